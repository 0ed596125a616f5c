"""Facilities drawn as their shapes: rail lines and pipelines as lines, site outlines as polygons.

:func:`geometry_geojson` turns a table of facilities with WKT geometries (and their strike counts)
into GeoJSON whose popups are escaped HTML; :class:`GeometryLayer` draws it with plain Leaflet
(``L.geoJSON``, in its template), so it has no script in the runtime. The strikes on a line
are the event markers drawn by the event layers; a line's popup counts them and names its stations.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
import shapely
from folium.map import Layer
from folium.template import Template

from maps.data import clean, script_json
from maps.layers.base import MapLayer, MapParts

#: Stroke colour by facility type (others: :data:`DEFAULT_COLOR`).
LINE_COLORS = {"rail_line": "#5b2a86", "pipeline": "#1f6f8b"}
DEFAULT_COLOR = "#555555"
#: Lines with at least one strike are drawn thicker.
WEIGHT, STRUCK_WEIGHT = 3, 5
#: Coordinates are rounded to this many decimals (~1 m).
DECIMALS = 5


def _popup(row: dict[str, Any]) -> str:
    kind = str(clean(row.get("facility_type")) or "facility").replace("_", " ")
    parts = [f"<b>{escape(str(clean(row.get('name')) or ''))}</b>", escape(kind)]
    strikes = clean(row.get("strikes")) or 0
    parts.append(f"{int(strikes)} strike{'s' if strikes != 1 else ''} linked")
    stations = clean(row.get("stations"))
    if stations:
        parts.append("stations: " + escape(" – ".join(str(s) for s in stations)))
    return "<br>".join(parts)


def geometry_geojson(facilities: pd.DataFrame) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of the facilities that have a line or polygon geometry.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Columns ``geometry_wkt`` (WKT; rows without one, or with a point, are skipped), ``name``,
        ``facility_type``, optional ``strikes`` (count) and ``stations`` (list of names).

    Returns
    -------
    dict
        Features with properties ``ft`` (type), ``hits`` (strikes) and ``popup`` (escaped HTML).
    """
    features = []
    if "geometry_wkt" not in facilities.columns:
        return {"type": "FeatureCollection", "features": features}
    for row in facilities.to_dict("records"):
        wkt = clean(row.get("geometry_wkt"))
        if not wkt:
            continue
        try:
            geometry = shapely.from_wkt(str(wkt))
        except shapely.errors.GEOSException:
            continue
        if geometry is None or geometry.is_empty or geometry.geom_type in ("Point", "MultiPoint"):
            continue
        geometry = shapely.set_precision(geometry, 10**-DECIMALS)
        features.append({
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geometry),
            "properties": {
                "ft": str(clean(row.get("facility_type")) or "other"),
                "hits": int(clean(row.get("strikes")) or 0),
                "popup": _popup(row),
            },
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


class GeometryLayer(Layer, MapLayer):
    """Line and polygon facilities (rail lines, pipelines, site outlines), struck ones thicker."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJSON({{ this.geojson_json }}, {
                style: function (f) {
                    var colors = {{ this.colors_json }};
                    var c = colors[f.properties.ft] || {{ this.default_json }};
                    return {color: c, weight: f.properties.hits ? {{ this.struck_weight }} : {{ this.weight }},
                            opacity: 0.85, fillOpacity: 0.15,
                            className: "sdb-geometry sdb-geometry-" + f.properties.ft};
                },
                onEachFeature: function (f, layer) { layer.bindPopup(f.properties.popup); }
            });
        {% endmacro %}
        """
    )
    key = "geometries"
    takes = "geometries"

    def __init__(self, geojson: dict[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeometryLayer"
        self.count = len(geojson["features"])
        self.geojson_json = script_json(geojson)
        self.colors_json = script_json(LINE_COLORS)
        self.default_json = script_json(DEFAULT_COLOR)
        self.weight, self.struck_weight = WEIGHT, STRUCK_WEIGHT

    @classmethod
    def draw(cls, parts: MapParts, table: pd.DataFrame) -> list[GeometryLayer]:
        """One layer of the line/polygon facilities; nothing when ``geometries`` has no shapes."""
        shapes = geometry_geojson(table)
        parts.summary["geometries"] = len(shapes["features"])
        if not shapes["features"]:
            return []
        label = f"Lines and outlines: rail, pipelines, sites ({len(shapes['features']):,})"
        return [cls(shapes, name=escape(label), show=True)]


__all__ = ["LINE_COLORS", "GeometryLayer", "geometry_geojson"]
