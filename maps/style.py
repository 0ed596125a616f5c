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

#: Fill colour per confidence level: one warm ramp from dark (confirmed) to white (unverified).
#: The levels differ mostly in lightness, which every colour-vision deficiency keeps: the four stay
#: at least 20 CAM02-UCS units apart under simulated deuteranopia, protanopia and tritanopia
#: (tests/maps/test_maps_palettes.py, with colorspacious). Weak evidence reads as a pale marker.
CONFIDENCE_COLORS: dict[str, str] = {
    "confirmed": "#67001f",
    "likely": "#d6604d",
    "possible": "#fdbf6f",
    "unverified": "#ffffff",
}

#: One sentence per confidence level for the legend (the rule lives in events/confidence.py).
CONFIDENCE_EXPLANATIONS: dict[str, str] = {
    "confirmed": "confirmed by an official statement or imagery, or reported and corroborated by reliable sources",
    "likely": "reported by media or officials, not yet independently confirmed",
    "possible": "claimed by a party, or reported with weak grading",
    "unverified": "disputed, debunked or graded as unreliable",
}

#: Colour per facility type (events coloured "by type", facility rings). Cool colours, greys and
#: black, none of them a warm confidence colour: picked greedily from the Tol, Okabe-Ito and
#: ColorBrewer qualitative sets for the largest smallest distance to each other AND to the
#: confidence colours under simulated colour-vision deficiencies (>= 10 CAM02-UCS units, checked
#: in tests/maps/test_maps_palettes.py). Oil is blue, power olive/brown, rail purple/salmon.
FACILITY_TYPE_COLORS: dict[str, str] = {
    "refinery": "#053061",
    "oil_depot": "#2166ac",
    "oil_terminal": "#56b4e9",
    "pipeline": "#99ddff",
    "pumping_station": "#35978f",
    "power_plant": "#aaaa00",
    "substation": "#8c510a",
    "rail_line": "#aa3377",
    "rail_junction": "#ee8866",
    "port": "#000000",
    "other": "#555555",
}
#: Colour of events whose facility type is unknown.
UNKNOWN_TYPE_COLOR = "#bbbbbb"
UNKNOWN_TYPE = "unknown"

#: Sequential colours of the strikes-per-region choropleth (ColorBrewer Purples, 6 classes): a
#: hue no marker uses, so regions never read as confidence or type.
CHOROPLETH_COLORS: tuple[str, ...] = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
#: Fill of regions without any shown strike.
CHOROPLETH_EMPTY_COLOR = "#f7f7f7"
#: Heat-map gradient (viridis: perceptually uniform and colour-blind safe), stop -> colour.
HEAT_GRADIENT: dict[str, str] = {"0.2": "#440154", "0.4": "#3b528b", "0.6": "#21918c", "0.8": "#5ec962", "1": "#fde725"}

#: How uncertain each geocode precision is, in metres, drawn as a dashed circle around the marker
#: (the marker itself is hollow with a dashed outline when the point is not exact).
GEO_UNCERTAINTY_M: dict[str, int] = {"exact": 0, "near_town": 10_000, "region": 50_000}
GEO_PRECISION_LABELS: dict[str, str] = {
    "exact": "exact point (solid marker)",
    "near_town": "near a town, within ~10 km (dashed ring)",
    "region": "somewhere in a region, ~50 km (dashed ring, hollow)",
}

EVENT_RADIUS_PX = 6
FACILITY_COLOR = "#2c3e50"
FACILITY_MIN_RADIUS_PX = 4.0
FACILITY_MAX_RADIUS_PX = 24.0
#: Event count from which markers are drawn on one canvas instead of one SVG path each:
#: SVG keeps every marker in the DOM (easy to inspect and test), canvas stays fast at 100k.
CANVAS_THRESHOLD = 5_000

assert set(CONFIDENCE_COLORS) == set(vocab.CONFIDENCE_LEVELS)
assert set(FACILITY_TYPE_COLORS) == set(vocab.FACILITY_TYPES)
assert set(GEO_UNCERTAINTY_M) == set(vocab.GEO_PRECISIONS)


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
        mtpa = _finite(capacity_kbd) * 1000 * 365 / vocab.BARRELS_PER_TONNE / 1e6
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
        "heatGradient": HEAT_GRADIENT,
        "geoUncertainty": GEO_UNCERTAINTY_M,
        "geoLabels": GEO_PRECISION_LABELS,
        "confidenceLevels": list(vocab.CONFIDENCE_LEVELS),
        "confidenceExplanations": CONFIDENCE_EXPLANATIONS,
        "facilityTypes": [*vocab.FACILITY_TYPES, UNKNOWN_TYPE],
        "facilityRadiusExamples": [
            [5, "small or unknown capacity"],
            [9, "about 5 Mt/yr or 1,000 MW"],
            [13, "20 Mt/yr+"],
        ],
    }
