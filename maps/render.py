"""Build, render and write strike maps.

:func:`build_map` takes plain tables (GeoDataFrames shaped like the ``events_enriched`` view,
the ``facilities`` table and admin-1 region polygons) and options; it never sees a database.
The same input always gives byte-identical HTML: element ids are numbered in document order
instead of being random (see :func:`number_elements`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure

from maps import data as mapdata
from maps import style
from maps.layers import LAYERS, MapParts, layer_scripts, layer_tables
from maps.runtime import Dataset, Runtime, Start, StrikeMap

DEFAULT_TITLE = style.DEFAULT_TITLE
#: Where an empty map opens: the Black Sea region, where most tracked strikes happen.
DEFAULT_CENTER = (50.0, 37.0)
DEFAULT_ZOOM = 4
#: Never zoom in further than this when fitting the map to a few close events.
FIT_MAX_ZOOM = 9
#: Zoom range of every map. Leaflet.markercluster builds its tree for every level in between and
#: inserts each marker level by level from the deepest, where nearly every point is still alone:
#: each level beyond 14 added about 1 s to opening a 100,000-event map (docs/benchmarks.md). 14
#: (~6 m per pixel at 50 deg N, a screen ~8 km wide) still frames a refinery's units, and events
#: at one spot still fan out there in one click.
MIN_ZOOM, MAX_ZOOM = 2, 14


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


def build_map(
    events: pd.DataFrame,
    *,
    facilities: pd.DataFrame | None = None,
    regions: gpd.GeoDataFrame | None = None,
    basemap: gpd.GeoDataFrame | None = None,
    offline: bool = True,
    title: str = DEFAULT_TITLE,
    subtitle: str | None = None,
    filters: Sequence[tuple[str, str]] = (),
    left_out: Mapping[str, Sequence[str]] | None = None,
    tiles: bool = True,
    renderer: str = "auto",
    collapsed_layer_control: bool = True,
    compress: bool | None = None,
    geometries: pd.DataFrame | None = None,
    layer_data: Mapping[str, Any] | None = None,
) -> StrikeMap:
    """Build a map of strike events that an analyst can filter, search and share.

    The layers are those of :data:`maps.layers.LAYERS`, in its order. Built in (all listed in the
    layer control): the events, one marker each, clustered with counts and coloured by confidence
    or facility type (shown); facilities sized by capacity (shown); strikes per admin-1 region
    (shown when ``regions`` is given); a heat map (hidden); online tiles over the bundled outlines
    (hidden). One time window (with a histogram and play), the
    confidence and type toggles of the legend and a search box drive every layer, the legend
    counts and the title; a list shows the events in view; the URL fragment keeps the state.

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
        choropleth. Events are assigned to the region they are stored in (its ISO 3166-2 code, else
        country and name), never by position (:func:`maps.layers.event_regions`).
    basemap : geopandas.GeoDataFrame, optional
        Country outlines drawn under everything, so the map has a basemap with no network.
    offline : bool
        True (default): inline Leaflet and every plugin, so the file needs no network. False:
        the smaller CDN variant, with pinned versions and integrity hashes (:mod:`maps.cdn`).
    title, subtitle : str
        The title is shown on the map and as the page title; the subtitle, when given, under it.
    filters : sequence of (str, str)
        The selection the map was made with, e.g. ``[("--since", "2024-01-01")]``, listed on the
        map (empty: "all events in the database").
    left_out : mapping, optional
        Classes the selection excluded: ``{"conf": [...levels], "ft": [...types]}``. The legend
        greys them out ("not selected") instead of showing them as zero.
    tiles : bool
        Offer OpenStreetMap tiles as an optional layer (hidden; needs the network when ticked).
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
    geometries : DataFrame, optional
        Facilities drawn as their shapes (rail lines, pipelines, site outlines): ``geometry_wkt``,
        ``name``, ``facility_type``, ``strikes``, ``stations`` (see :mod:`maps.layers.geometries`).
    layer_data : mapping, optional
        Tables of further layers registered in :data:`maps.layers.LAYERS`, by their ``takes``.

    Returns
    -------
    maps.runtime.StrikeMap
        A folium Map; render with :func:`render_html` or write with :func:`write_map`. Its
        ``summary`` attribute counts what was drawn.

    Raises
    ------
    maps.errors.MapDataError
        When the events cannot be drawn (missing columns, bad coordinates or values).
    ValueError
        For an unknown ``renderer``.
    TypeError
        For a ``layer_data`` table no layer draws.
    """
    if renderer not in ("auto", "svg", "canvas"):
        raise ValueError(f"renderer must be auto, svg or canvas, not {renderer!r}")
    unknown = sorted(set(layer_data or {}) - layer_tables())
    if unknown:
        raise TypeError(f"no map layer takes {', '.join(unknown)}")
    tables = {"facilities": facilities, "regions": regions, "basemap": basemap, "geometries": geometries}
    tables = {**tables, "tiles": tiles, **(layer_data or {})}
    payload = mapdata.event_payload(events)
    lats, lons = mapdata.decode_column(payload["cols"]["lat"]), mapdata.decode_column(payload["cols"]["lon"])
    for layer in LAYERS:
        table = tables.get(layer.takes) if layer.takes else None
        for key, column in layer.event_columns(events, table).items():
            payload["cols"][key] = mapdata.encode_column(column)
    canvas = renderer == "canvas" or (renderer == "auto" and payload["n"] >= style.CANVAS_THRESHOLD)

    figure = Figure(title=escape(title))
    fmap = StrikeMap(
        location=DEFAULT_CENTER,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        control_scale=True,
        offline=offline,
    )
    # folium hands min/max zoom to tile layers only; without a base tile layer the map itself needs
    # them (markercluster throws "Map has no maxZoom specified" otherwise).
    fmap.options["min_zoom"] = MIN_ZOOM
    fmap.options["max_zoom"] = MAX_ZOOM
    figure.add_child(fmap)
    options = {
        "title": title,
        "subtitle": subtitle,
        "filters": [[str(name), str(value)] for name, value in filters],
        "leftOut": {key: list(values) for key, values in (left_out or {}).items()},
    }
    runtime = Runtime(style.runtime_style(), canvas=canvas, offline=offline, layer_scripts=layer_scripts(), **options)
    fmap.add_child(runtime)
    parts = MapParts(fmap, runtime, events, payload, None, tables, compress)
    for layer in LAYERS:
        parts.summary.update(dict.fromkeys(layer.summary_counts, 0))
    # The basemap goes under everything, before the data; the overlays after it, in registry order.
    for layer in LAYERS:
        if layer.under_data:
            for element in layer.build(parts):
                fmap.add_child(element)
    event_data = Dataset(payload, "EventData", what="events", compress=compress, details_apart=True)
    fmap.add_child(event_data, name="event_data")
    parts.event_data = event_data
    for layer in LAYERS:
        if not layer.under_data:
            for element in layer.build(parts):
                fmap.add_child(element)
    folium.LayerControl(collapsed=collapsed_layer_control).add_to(fmap)
    bounds = mapdata.bounds(lats, lons) or parts.fallback_bounds
    if bounds:
        # Keep events clear of the list (top left), the legend (bottom right) and the time window.
        fit = folium.FitBounds(
            bounds, padding_top_left=(330, 60), padding_bottom_right=(290, 150), max_zoom=FIT_MAX_ZOOM
        )
        # No zoom animation: renderers created at the opening view would otherwise stay clipped
        # to it until the animation ends (and screenshots catch half-drawn maps).
        fit.options["animate"] = False
        fmap.add_child(fit)
    fmap.add_child(Start(runtime))
    fmap.summary = {
        "events": payload["n"],
        **parts.summary,
        "by_confidence": dict(Counter(mapdata.decode_column(payload["cols"]["conf"]))),
        "renderer": "canvas" if canvas else "svg",
        "offline": offline,
        "compressed": event_data.packed,
    }
    number_elements(figure)
    return fmap


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
