"""Bundled country outlines drawn under everything: the basemap that needs no network.

The JavaScript part is ``maps/assets/layers/basemap.js``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from maps.data import REGION_SIMPLIFY_DEG, script_json
from maps.layers.base import MapParts, RuntimeLayer, nonempty


def basemap_geojson(basemap: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return an outline basemap (e.g. Natural Earth countries) as compact GeoJSON."""
    frame = basemap.reset_index(drop=True)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geometry = shapely.set_precision(frame.geometry.simplify(REGION_SIMPLIFY_DEG).values, 0.01)
    features = [
        {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(shape)}
        for shape in geometry
        if shape is not None and not shape.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


class BasemapLayer(RuntimeLayer):
    """Bundled country outlines, the basemap that needs no network (always shown, not in the control)."""

    js_call = "StrikeDB.basemap"
    key = "basemap"
    under_data = True
    sends_key = False

    @classmethod
    def draw(cls, parts: MapParts, table: gpd.GeoDataFrame) -> list[BasemapLayer]:
        """The outlines; nothing for an empty ``basemap``."""
        basemap = nonempty(table)
        if basemap is None:
            return []
        geojson = script_json(basemap_geojson(basemap))
        return [cls(parts.runtime, [geojson], name="Country outlines", show=True, control=False)]


__all__ = ["BasemapLayer", "basemap_geojson"]
