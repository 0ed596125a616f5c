"""Events at sea: a point off the stated country's coast, or a location that names a sea.

Strikes on tankers, offshore platforms, terminals' buoys and naval targets lie in the sea, which
the country outlines do not cover. A point that lies on no land outline (more than ~10 km off a
simplified coast) and within :data:`SEA_BUFFER_KM` of the stated country's outline stands for its
territorial sea and exclusive economic zone (200 nautical miles, UNCLOS art. 57; a buffer of the
coastline, not the negotiated EEZ boundaries), so it is accepted and marked ``at_sea``. A row
whose location names a sea (``"Western Black Sea"``, ``"Азовське море"``) is accepted at sea
however far out, as long as the point is not on another country's land.
"""

from __future__ import annotations

import functools
import json
import re

from events.geo.boundaries import countries_index, countries_path
from events.geo.regions import fold

# A point within COAST_TOLERANCE_DEG (~10 km) of a simplified land outline counts as on the coast, not
# at sea: the tolerance events.geo.boundaries gives coastal sites.

#: A point off every outline but with land this close (degrees) in all four directions lies in a
#: gap between outlines, which is land without a code (Kosovo, between Serbia, Albania, Montenegro
#: and North Macedonia), not sea. Open water that narrow (a strait) is missed: a location naming
#: the sea or strait still marks the event at sea.
LAND_GAP_DEG = 1.2

#: Distance (km) from the stated country's outline within which a point at sea is accepted:
#: 200 nautical miles, the outer limit of an exclusive economic zone.
SEA_BUFFER_KM = 370.4

# Folded names of seas and words for "at sea" (English, Russian, Ukrainian, Italian).
_SEA_PHRASES = tuple(
    fold(p)
    for p in (
        "black sea", "sea of azov", "azov sea", "caspian sea", "baltic sea", "gulf of finland", "kerch strait",
        "white sea", "barents sea", "kara sea", "sea of okhotsk", "sea of japan", "bering sea", "mediterranean",
        "north sea", "red sea", "arabian sea", "persian gulf", "gulf of aden", "arctic ocean", "pacific ocean",
        "atlantic ocean", "indian ocean", "offshore", "at sea", "open sea", "high seas", "territorial waters",
        "international waters", "exclusive economic zone", "черное море", "чорне море", "азовское море",
        "азовське море", "каспийское море", "балтийское море", "балтійське море", "керченский пролив",
        "керченська протока", "mar nero", "mare d azov", "mar caspio", "mar baltico", "in mare",
    )
)  # fmt: skip
_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _SEA_PHRASES) + r")\b")


def names_a_sea(text: str | None) -> bool:
    """Tell whether a location text names a sea or says "at sea".

    Parameters
    ----------
    text : str or None
        E.g. ``"Western Black Sea"``.

    Returns
    -------
    bool
    """
    return bool(text) and _PATTERN.search(fold(text)) is not None  # type: ignore[arg-type]


@functools.cache
def _land():
    """STRtree over every land polygon of the bundled country outlines (whatever their codes)."""
    import shapely

    collection = json.loads(countries_path().read_text(encoding="utf-8"))
    shapes = [shapely.geometry.shape(f["geometry"]) for f in collection["features"] if f.get("geometry")]
    # Prepared outlines answer point-in-polygon from their own index: the common case (a point on land)
    # costs microseconds instead of a distance computation over every vertex of Russia's outline.
    shapely.prepare(shapes)
    return shapely.STRtree(shapes)


@functools.lru_cache(maxsize=200_000)
def on_land(latitude: float, longitude: float) -> bool:
    """Tell whether a point lies on (or within ~10 km of) any land outline.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees of the point to test.

    Returns
    -------
    bool
        False for a point in the sea; also True for land without an ISO code (Kosovo...).
    """
    import shapely

    # On an outline or within the coast tolerance of one: the country grid answers that (a point in a
    # cell wholly inside a country without any geometry test), from the same outlines.
    if countries_index().locate(latitude, longitude) is not None:
        return True
    # The predicates are evaluated on the prepared outlines (the tree's own predicate queries would
    # prepare the small ray instead): the same answers, at a fraction of the cost.
    tree = _land()
    rays = [
        shapely.LineString([(longitude, latitude), (longitude + dx * LAND_GAP_DEG, latitude + dy * LAND_GAP_DEG)])
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))
    ]
    return all(shapely.intersects(tree.geometries[tree.query(ray)], ray).any() for ray in rays)
