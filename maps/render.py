"""Build, render and write strike maps.

:func:`build_map` takes plain tables (GeoDataFrames shaped like the ``events_enriched`` view,
the ``facilities`` table and admin-1 region polygons) and options; it never sees a database.
The same input always gives byte-identical HTML: element ids are numbered in document order
instead of being random (see :func:`number_elements`).
"""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure

from events import vocab
from maps import data as mapdata
from maps import style
from maps.layers import (
    BasemapLayer,
    Box,
    ChoroplethLayer,
    Dataset,
    EventLayer,
    FacilityLayer,
    HeatLayer,
    Runtime,
    StrikeMap,
    TimeLayer,
)
from maps.legend import legend_html, title_html

DEFAULT_TITLE = style.DEFAULT_TITLE
#: Where an empty map opens: the Black Sea region, where most tracked strikes happen.
DEFAULT_CENTER = (50.0, 37.0)
DEFAULT_ZOOM = 4
#: Never zoom in further than this when fitting the map to a few close events.
FIT_MAX_ZOOM = 9


def number_elements(root: Element) -> None:
    """Give every element under ``root`` a sequential id, in document order.

    branca draws a random 32-hex id per element, which makes every rendering differ; this
    replaces them with ``000001``, ``000002``... so the same map renders to the same bytes and
    two versions of a map diff cleanly.
    """
    counter = 0
    stack = [root]
    while stack:
        element = stack.pop()
        counter += 1
        element._id = f"{counter:06d}"
        stack.extend(reversed(list(element._children.values())))


def _bounds(lats: list[float], lons: list[float]) -> list[list[float]] | None:
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _subtitle(payload: dict[str, Any], subtitle: str | None) -> str:
    """Default subtitle: how many events over which dates."""
    if subtitle is not None:
        return subtitle
    n = payload["n"]
    if not n:
        return "no events match the selection"
    dates = payload["cols"]["date"]
    values = dates["d"] if "d" in dates else dates["v"]
    return f"{n:,} event{'s' if n != 1 else ''}, {min(values)} to {max(values)}"


def _decoded(column: dict[str, list[Any]]) -> list[Any]:
    return [column["d"][c] for c in column["c"]] if "d" in column else column["v"]


def build_map(
    events: pd.DataFrame,
    *,
    facilities: pd.DataFrame | None = None,
    regions: gpd.GeoDataFrame | None = None,
    basemap: gpd.GeoDataFrame | None = None,
    offline: bool = False,
    title: str = DEFAULT_TITLE,
    subtitle: str | None = None,
    renderer: str = "auto",
    collapsed_layer_control: bool = True,
    compress: bool | None = None,
) -> StrikeMap:
    """Build a map of strike events with toggleable layers.

    Layers (all listed in the layer control): events by confidence level (shown), events by
    facility type (hidden), facilities sized by capacity (shown), a heat map (hidden), strikes
    per admin-1 region (shown when ``regions`` is given) and a time view with a slider (hidden).

    Parameters
    ----------
    events : geopandas.GeoDataFrame or pandas.DataFrame
        Rows shaped like the ``events_enriched`` view plus an optional ``sources`` column
        (list of dicts: url, publisher, title, published_date, archived_url, source_type,
        claimed_by). Needs ``event_date``, ``confidence`` and latitude/longitude (or point
        geometries). May be empty: the map is still valid.
    facilities : DataFrame, optional
        Rows shaped like ``facilities`` / ``facility_strikes`` (name, facility_type,
        latitude, longitude, capacity_mtpa/kbd/mw, operator, strikes).
    regions : geopandas.GeoDataFrame, optional
        Admin-1 polygons with ``admin1`` (or ``name``) and ``country`` columns, for the
        choropleth. Events are counted by position.
    basemap : geopandas.GeoDataFrame, optional
        Country outlines drawn under everything (used when ``offline``; tiles otherwise).
    offline : bool
        Inline Leaflet and every plugin and draw no tile layer, so the file needs no network.
    title, subtitle : str
        Shown in a box on the map (escaped); the subtitle defaults to the count and dates.
    renderer : {"auto", "svg", "canvas"}
        How event markers are drawn: SVG keeps one DOM node per marker; canvas stays fast
        for tens of thousands. ``auto`` switches to canvas from
        :data:`maps.style.CANVAS_THRESHOLD` events.
    collapsed_layer_control : bool
        Whether the layer control shows as an icon until hovered.
    compress : bool or None
        Embed the event and facility data gzip-compressed (about 10x smaller; the browser
        unpacks it with ``DecompressionStream`` and shows "loading N events" meanwhile).
        ``None`` compresses tables whose JSON exceeds :data:`maps.data.PACK_THRESHOLD_BYTES`
        (roughly 500 events), so small maps stay readable text.

    Returns
    -------
    maps.layers.StrikeMap
        A folium Map; render with :func:`render_html` or write with :func:`write_map`. Its
        ``summary`` attribute counts what was drawn.

    Raises
    ------
    maps.errors.MapDataError
        When the events cannot be drawn (missing columns, bad coordinates or values).
    ValueError
        For an unknown ``renderer``.
    """
    if renderer not in ("auto", "svg", "canvas"):
        raise ValueError(f"renderer must be auto, svg or canvas, not {renderer!r}")
    payload = mapdata.event_payload(events)
    lats, lons = _decoded(payload["cols"]["lat"]), _decoded(payload["cols"]["lon"])
    facility_payload = mapdata.facility_payload(facilities) if facilities is not None else None
    canvas = renderer == "canvas" or (renderer == "auto" and payload["n"] >= style.CANVAS_THRESHOLD)

    figure = Figure(title=escape(title))
    fmap = StrikeMap(
        location=DEFAULT_CENTER,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        control_scale=True,
        offline=offline,
    )
    figure.add_child(fmap)
    if not offline:
        # One tile layer: keep it out of the layer control (a single radio button toggles nothing).
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(fmap)
    runtime = Runtime(style.runtime_style(), canvas=canvas, offline=offline)
    fmap.add_child(runtime)
    if basemap is not None and len(basemap):
        fmap.add_child(BasemapLayer(runtime, mapdata.basemap_geojson(basemap)))

    breaks = _add_choropleth(fmap, runtime, regions, lats, lons)
    events_data, confidence_counts, type_counts = _add_event_layers(fmap, runtime, payload, compress)
    facility_types: set[str] = set()
    if facility_payload is not None:
        label = f"Facilities, sized by capacity ({facility_payload['n']:,})"
        facility_data = Dataset(facility_payload, "FacilityData", what="facilities", compress=compress)
        fmap.add_child(facility_data)
        fmap.add_child(FacilityLayer(runtime, facility_data, name=escape(label), show=True))
        facility_types = set(_decoded(facility_payload["cols"]["ft"]))
    fmap.add_child(HeatLayer(runtime, events_data, name="Heat map of events", show=False))
    fmap.add_child(TimeLayer(runtime, events_data, name="Time view: strikes accumulating (slider)", show=False))

    legend = legend_html(
        confidence_counts,
        type_counts,
        facility_types=facility_types,
        has_facilities=facility_payload is not None,
        choropleth_breaks=breaks,
    )
    fmap.add_child(Box(runtime, legend, position="bottomright", css_class="sdb-legend"))
    fmap.add_child(
        Box(runtime, title_html(title, _subtitle(payload, subtitle)), position="topright", css_class="sdb-title")
    )
    folium.LayerControl(collapsed=collapsed_layer_control).add_to(fmap)
    bounds = _bounds(lats, lons) or (
        _bounds(_decoded(facility_payload["cols"]["lat"]), _decoded(facility_payload["cols"]["lon"]))
        if facility_payload
        else None
    )
    if bounds:
        # Keep events clear of the legend (bottom right) and the title (top right).
        fit = folium.FitBounds(bounds, padding_top_left=(30, 30), padding_bottom_right=(300, 40), max_zoom=FIT_MAX_ZOOM)
        # No zoom animation: renderers created at the opening view would otherwise stay clipped
        # to it until the animation ends (and screenshots catch half-drawn maps).
        fit.options["animate"] = False
        fmap.add_child(fit)
    fmap.summary = {
        "events": payload["n"],
        "facilities": facility_payload["n"] if facility_payload else 0,
        "regions": len(regions) if regions is not None else 0,
        "by_confidence": dict(confidence_counts),
        "renderer": "canvas" if canvas else "svg",
        "offline": offline,
        "compressed": events_data.packed,
    }
    number_elements(figure)
    return fmap


def _add_event_layers(
    fmap: StrikeMap, runtime: Runtime, payload: dict[str, Any], compress: bool | None
) -> tuple[Dataset, Counter[str], Counter[str]]:
    """Add the shared event data and one layer per confidence level and per facility type."""
    data = Dataset(payload, "EventData", what="events", compress=compress)
    fmap.add_child(data, name="event_data")
    confidence_counts = Counter(_decoded(payload["cols"]["conf"]))
    for level in vocab.CONFIDENCE_LEVELS:
        # Leaflet shows layer names as HTML: escape them even though they come from vocabularies.
        name = escape(f"Events: {level} ({confidence_counts.get(level, 0):,})")
        fmap.add_child(EventLayer(runtime, data, key="conf", value=level, color_by="conf", name=name, show=True))
    type_counts = Counter(_decoded(payload["cols"]["ft"]))
    for facility_type in (*vocab.FACILITY_TYPES, style.UNKNOWN_TYPE):
        if type_counts.get(facility_type):
            name = escape(f"By type: {style.facility_type_label(facility_type)} ({type_counts[facility_type]:,})")
            layer = EventLayer(runtime, data, key="ft", value=facility_type, color_by="ft", name=name, show=False)
            fmap.add_child(layer)
    return data, confidence_counts, type_counts


def _add_choropleth(
    fmap: StrikeMap, runtime: Runtime, regions: gpd.GeoDataFrame | None, lats: list[float], lons: list[float]
) -> list[int] | None:
    """Add the strikes-per-region layer; return its class bounds (None without regions)."""
    if regions is None or not len(regions):
        return None
    counts = mapdata.region_counts(lats, lons, regions)
    breaks = style.choropleth_breaks(max(counts, default=0))
    geojson = mapdata.region_geojson(regions, counts)
    fmap.add_child(ChoroplethLayer(runtime, geojson, breaks, name="Strikes per region (admin-1)", show=True))
    return breaks


def render_html(fmap: folium.Map) -> str:
    """Render a map built by :func:`build_map` to one self-contained HTML document."""
    return fmap.get_root().render()


def write_map(fmap: folium.Map, path: str | Path) -> int:
    """Write a map to ``path`` (UTF-8) and return the number of bytes written.

    The file is written to a temporary name and renamed, so a failed render never leaves a
    half-written map behind.
    """
    path = Path(path)
    html = render_html(fmap).encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(html)
        tmp.replace(path)
    finally:
        # A full disk fails the write half-way: leave no temporary file behind.
        tmp.unlink(missing_ok=True)
    return len(html)
