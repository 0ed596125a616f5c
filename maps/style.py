"""Colours, sizes and labels of everything drawn on a map, in one place.

The browser runtime (``maps/assets/strikedb.js``) receives these values from Python, so the
legend, the markers and the tests can never disagree about what a colour means.
"""

from __future__ import annotations

import math

from events import vocab

#: Title of a map when none is given (here rather than in ``maps.render`` so that the CLI can show
#: it in ``--help`` without importing folium).
DEFAULT_TITLE = "Reported strikes on energy infrastructure"

#: Fill colour per confidence level: a dark-to-light red ramp, grey for unverified, chosen to stay
#: distinguishable for the common colour-vision deficiencies and on a light basemap.
CONFIDENCE_COLORS: dict[str, str] = {
    "confirmed": "#a50026",
    "likely": "#f46d43",
    "possible": "#fdd835",
    "unverified": "#8c8c8c",
}

#: One sentence per confidence level for the legend (the rule lives in events/confidence.py).
CONFIDENCE_EXPLANATIONS: dict[str, str] = {
    "confirmed": "confirmed by an official statement or imagery, or reported and corroborated by reliable sources",
    "likely": "reported by media or officials, not yet independently confirmed",
    "possible": "claimed by a party, or reported with weak grading",
    "unverified": "disputed, debunked or graded as unreliable",
}

#: Fill colour per facility type (qualitative palette, ColorBrewer Paired + grey for "other").
FACILITY_TYPE_COLORS: dict[str, str] = {
    "refinery": "#e31a1c",
    "oil_depot": "#ff7f00",
    "oil_terminal": "#fdbf6f",
    "pipeline": "#6a3d9a",
    "pumping_station": "#cab2d6",
    "power_plant": "#1f78b4",
    "substation": "#a6cee3",
    "rail_line": "#33a02c",
    "rail_junction": "#b2df8a",
    "port": "#b15928",
    "other": "#969696",
}
#: Colour of events whose facility type is unknown.
UNKNOWN_TYPE_COLOR = "#4d4d4d"
UNKNOWN_TYPE = "unknown"

#: Sequential colours of the strikes-per-region choropleth (ColorBrewer YlOrRd, 6 classes).
CHOROPLETH_COLORS: tuple[str, ...] = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
#: Fill of regions without any selected strike.
CHOROPLETH_EMPTY_COLOR = "#f7f7f7"

EVENT_RADIUS_PX = 6
FACILITY_COLOR = "#2c3e50"
FACILITY_MIN_RADIUS_PX = 4.0
FACILITY_MAX_RADIUS_PX = 24.0
#: Tonnes of crude per barrel (average crude, ~33 API); turns kb/d into Mt/yr for sizing.
_TONNES_PER_BARREL = 0.1364
#: Event count from which markers are drawn on one canvas instead of one SVG path each:
#: SVG keeps every marker in the DOM (easy to inspect and test), canvas stays fast at 100k.
CANVAS_THRESHOLD = 5_000

assert set(CONFIDENCE_COLORS) == set(vocab.CONFIDENCE_LEVELS)
assert set(FACILITY_TYPE_COLORS) == set(vocab.FACILITY_TYPES)


def facility_type_label(facility_type: str | None) -> str:
    """Return a human label for a facility type, e.g. ``"oil depot"`` for ``oil_depot``."""
    return (facility_type or UNKNOWN_TYPE).replace("_", " ")


def facility_radius(capacity_mtpa: float | None, capacity_kbd: float | None, capacity_mw: float | None) -> float:
    """Return the radius in pixels of a facility marker from its capacity.

    The area of the circle grows with capacity (radius ~ square root), so a refinery of
    20 Mt/yr looks twice as big as one of 5 Mt/yr. Refining and power capacities have
    different units; each gets a scale on which a large plant of its kind reaches about
    the same size (20 Mt/yr ~ 4,000 MW ~ 13 px).

    Parameters
    ----------
    capacity_mtpa, capacity_kbd, capacity_mw : float or None
        Normalised capacities as stored in ``facilities``; the first known one is used.

    Returns
    -------
    float
        Between :data:`FACILITY_MIN_RADIUS_PX` and :data:`FACILITY_MAX_RADIUS_PX`.
    """
    mtpa = _finite(capacity_mtpa)
    if mtpa is None and _finite(capacity_kbd) is not None:
        mtpa = _finite(capacity_kbd) * 1000 * 365 * _TONNES_PER_BARREL / 1e6
    if mtpa is not None:
        radius = FACILITY_MIN_RADIUS_PX + 2.0 * math.sqrt(max(mtpa, 0.0))
    elif _finite(capacity_mw) is not None:
        radius = FACILITY_MIN_RADIUS_PX + 0.14 * math.sqrt(max(_finite(capacity_mw), 0.0))
    else:
        return FACILITY_MIN_RADIUS_PX
    return round(min(FACILITY_MAX_RADIUS_PX, radius), 1)


def _finite(value: float | None) -> float | None:
    """Return ``value`` as a float, or None for None/NaN/inf (pandas gives NaN for NULL)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def choropleth_breaks(max_count: int) -> list[int]:
    """Return the lower bounds of the choropleth classes for counts up to ``max_count``.

    Classes use "nice" bounds (1, 2, 5, 10, 20, 50...) so the legend reads naturally; at most
    ``len(CHOROPLETH_COLORS)`` classes, the first always starting at 1.

    Parameters
    ----------
    max_count : int
        The largest count of any region.

    Returns
    -------
    list of int
        Ascending lower bounds, e.g. ``[1, 2, 5, 10]`` for ``max_count=12``.
    """
    if max_count <= 0:
        return [1]
    nice: list[int] = []
    magnitude = 1
    while len(nice) < 40:
        nice.extend(step * magnitude for step in (1, 2, 5))
        magnitude *= 10
    bounds = [b for b in nice if b <= max_count]
    classes = len(CHOROPLETH_COLORS)
    while len(bounds) > classes:
        # Too many classes for the palette: drop every other inner bound, keep 1.
        bounds = [bounds[0], *bounds[2::2]] if len(bounds) > 2 else bounds[:classes]
    return bounds


def runtime_style() -> dict[str, object]:
    """Return the style table handed to the browser runtime."""
    return {
        "confidenceColors": CONFIDENCE_COLORS,
        "typeColors": {**FACILITY_TYPE_COLORS, UNKNOWN_TYPE: UNKNOWN_TYPE_COLOR},
        "eventRadius": EVENT_RADIUS_PX,
        "facilityColor": FACILITY_COLOR,
        "choroplethColors": list(CHOROPLETH_COLORS),
        "choroplethEmpty": CHOROPLETH_EMPTY_COLOR,
    }
