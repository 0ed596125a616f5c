"""Bundled country outlines drawn under everything: the basemap that needs no network.

The JavaScript part is ``maps/assets/layers/basemap.js``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from maps.data import REGION_SIMPLIFY_DEG, script_json
from maps.layers.base import MapParts, RuntimeLayer, nonempty
from maps.runtime import Runtime


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
    takes = "basemap"
    script = "layers/basemap.js"
    under_data = True

    def __init__(self, runtime: Runtime, geojson: dict[str, Any]) -> None:
        super().__init__(runtime, [script_json(geojson)], name="Country outlines", show=True, control=False)
        self._name = "BasemapLayer"

    @classmethod
    def build(cls, parts: MapParts) -> list[BasemapLayer]:
        """The outlines; nothing without ``basemap``."""
        basemap = nonempty(cls.table(parts))
        return [] if basemap is None else [cls(parts.runtime, basemap_geojson(basemap))]


__all__ = ["BasemapLayer", "basemap_geojson"]
