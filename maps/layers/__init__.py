"""The layers of every map, one class each, and their registry :data:`LAYERS`.

Like ``folium.plugins``, each module holds one kind of layer: a :class:`MapLayer` class that says
which table of :func:`maps.render.build_map` it draws, what it adds to the event payload and the
summary, and which folium elements it adds; its JavaScript part is a file in
``maps/assets/layers/`` (see :mod:`maps.layers.base`). :func:`maps.render.build_map` goes through
:data:`LAYERS`; adding a layer is one class, its script and one entry here.
"""

from __future__ import annotations

from maps.layers.base import MapLayer, MapParts, RuntimeLayer
from maps.layers.basemap import BasemapLayer, basemap_geojson
from maps.layers.events import EventLayer, HeatLayer
from maps.layers.facilities import FacilityLayer, capacity_text, facility_payload
from maps.layers.geometries import LINE_COLORS, GeometryLayer, geometry_geojson
from maps.layers.regions import EVENT_REGION_CODE_COLUMNS, ChoroplethLayer, event_regions, region_counts, region_geojson
from maps.layers.tiles import TILES_NAME, OnlineTiles

#: Every layer, in drawing and layer-control order (the last is drawn on top). Layers without their
#: table (``takes``) draw nothing, but every map carries every layer's script.
LAYERS: tuple[type[MapLayer], ...] = (
    BasemapLayer, ChoroplethLayer, GeometryLayer, FacilityLayer, EventLayer, HeatLayer, OnlineTiles,
)  # fmt: skip


def layer_scripts() -> list[str]:
    """The JavaScript parts of :data:`LAYERS` (asset names), top layer first, as the legend lists them."""
    return [layer.script for layer in reversed(LAYERS) if layer.script]


def layer_tables() -> frozenset[str]:
    """The table keywords the layers of :data:`LAYERS` draw (their ``takes``)."""
    return frozenset(layer.takes for layer in LAYERS if layer.takes)


__all__ = [
    "EVENT_REGION_CODE_COLUMNS", "LAYERS", "LINE_COLORS", "TILES_NAME", "BasemapLayer", "ChoroplethLayer", "EventLayer",
    "FacilityLayer", "GeometryLayer", "HeatLayer", "MapLayer", "MapParts", "OnlineTiles", "RuntimeLayer",
    "basemap_geojson", "capacity_text", "event_regions", "facility_payload", "geometry_geojson", "layer_scripts",
    "layer_tables", "region_counts", "region_geojson",
]  # fmt: skip
