"""Linking an event to a facility needs evidence: the rule shared by the ingest and ``facilities match``.

An event is linked to a facility (documented in ``docs/ingest.md``):

1. **By name**: the row names the facility (exact name, alternative name in any script, then a
   fuzzy name; :meth:`events.geo.Geocoder.match_facility_name`) and the facility lies within
   :data:`NAME_RADIUS_KM` of the event's point (the distance is recorded). A named facility
   farther away is not linked, with a warning: the row's point and its name disagree.
2. **By a name in the text**: the row's texts (description, location, titles, category cells)
   say that a site of some type was hit, **and** name exactly one facility of that type within
   :data:`NAME_RADIUS_KM` of the point (every distinctive word of its name or of an alternative
   name, inflected forms included, and its numbers next to them:
   :meth:`events.geo.Geocoder.facilities_named_in`). A location text counts only when it names
   a kind of site itself: "Ryazan" in the location column and "the refinery" in the description
   are a town and a type, not a name. This is how an ACLED or UCDP row, which has no
   facility column, is linked: "Ukrainian drones struck the Ryazan oil refinery", "атака на
   Рязанский НПЗ". Any precision of the point: the text names the site. Two named facilities
   link none by this rule.
3. **By distance, with words**: the point is site-precise (``geo_precision = exact``, given as
   coordinates), a facility lies within ``radius_km``, **and** the row's text or stated facility
   type says that a site of that facility's type was hit (:mod:`events.evidence`). The nearest
   facility of a type the text names is linked.

Town- or region-precise points are never linked by distance alone, and a point near a refinery
whose text talks about a cemetery is not a refinery strike.

Every decision is explained in ``events.link_evidence``: ``method`` (``name``/``alias``/``fuzzy``/
``text``/``nearest``), ``distance_km``, ``words`` matched, ``rule``, and ``warning`` when a named facility was
too far to link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from events import evidence
from events.db import distance_km

#: A facility the row names is linked when it lies within this distance of the row's point.
NAME_RADIUS_KM = 30.0

#: Extra columns whose text is read as evidence of what was hit (by normalised name).
_CATEGORY_COLUMN_WORDS = (
    "categ", "type", "tag", "target", "title", "summary", "note", "object", "objekt", "descr", "headline",
)  # fmt: skip


@dataclass
class Link:
    """A facility link decision: the facility (or None) and why."""

    facility: Any | None
    method: str | None
    distance_km: float | None
    evidence: dict[str, Any] | None

    def columns(self) -> dict[str, Any]:
        """The ``events`` columns of the decision."""
        f = self.facility
        return {
            "facility_id": f.facility_id if f is not None else None,
            "facility_match": self.method if f is not None else None,
            "facility_distance_km": None if self.distance_km is None or f is None else round(self.distance_km, 3),
            "link_evidence": self.evidence,
        }


def extra_texts(extra: Mapping[str, Any] | None) -> list[str]:
    """Texts of extra columns that describe the event (a category, type, tags, notes, title)."""
    if not extra:
        return []
    texts = []
    for name, value in extra.items():
        if not isinstance(value, str) or name.startswith("_"):
            continue
        lowered = name.lower()
        if any(word in lowered for word in _CATEGORY_COLUMN_WORDS):
            texts.append(value)
    return texts


def report_texts(
    facility_name: str | None,
    description: str | None,
    source_titles: Iterable[str | None] = (),
    extra: Mapping[str, Any] | None = None,
    location_text: str | None = None,
) -> list[str]:
    """The texts of a report that can say what was hit, in order of weight.

    The location text counts too: UCDP GED names the place of a strike on a plant after the plant
    ("Vuhlehirska thermal power plant").
    """
    texts = [facility_name, description, *source_titles, *extra_texts(extra), location_text]
    return [t for t in texts if t and t.strip()]


def site_precise(geo_precision: str | None, geocoded_by: str | None) -> bool:
    """True for a point given as coordinates of the site itself (not a town or region centroid)."""
    return geo_precision == "exact" and geocoded_by == "coordinates"


def decide_link(
    geocoder: Any,
    *,
    latitude: float,
    longitude: float,
    geo_precision: str | None,
    geocoded_by: str | None,
    facility_name: str | None,
    facility_type: str | None,
    country: str | None,
    texts: list[str],
    radius_km: float,
    location_text: str | None = None,
) -> Link:
    """Decide the facility link of an event from coordinates (see the module docstring).

    Parameters
    ----------
    geocoder : events.geo.Geocoder
    latitude, longitude : float
        The event's point.
    geo_precision, geocoded_by : str
        How precise the point is and where it came from.
    facility_name, facility_type, country : str, optional
        As reported.
    texts : list of str
        :func:`report_texts` of the report.
    radius_km : float
        Largest distance for a link by distance (``--radius-km``).
    location_text : str, optional
        The row's location, also one of ``texts``: it can name a facility only when it names a
        kind of site itself ("Vuhlehirska thermal power plant", not "Ryazan").

    Returns
    -------
    Link
        ``facility`` None when nothing is linked (``evidence`` may still hold a warning).
    """
    if facility_name and geocoder.any_facility_near(latitude, longitude):
        match = geocoder.match_facility_name(
            facility_name, country=country, facility_type=facility_type, near=(latitude, longitude, NAME_RADIUS_KM)
        )
        if match is not None and match.latitude is not None and match.longitude is not None:
            distance = distance_km(latitude, longitude, match.latitude, match.longitude) or 0.0
            if distance <= NAME_RADIUS_KM:
                rule = f"the row names the facility ({match.method} match, score {match.score:g}), {distance:.1f} km"
                rule += f" from the point (limit {NAME_RADIUS_KM:g} km)"
                return Link(match, match.method, distance, _evidence(match.method, distance, [], rule, match.score))
            warning = (
                f"facility {facility_name!r} matches {match.slug}, but it lies {distance:.0f} km from the row's "
                f"point (limit {NAME_RADIUS_KM:g} km): not linked; check the coordinates or the name"
            )
            return Link(None, None, None, {"rule": "named facility too far from the point", "warning": warning})
    said = evidence.site_types_in_text(*texts)
    if facility_type:
        said.setdefault(facility_type, []).append(f"facility_type={facility_type}")
    if not said:
        return Link(None, None, None, None)
    naming = [t for t in texts if t != location_text or evidence.site_types_in_text(t)]
    named = geocoder.facilities_named_in(naming, latitude, longitude, NAME_RADIUS_KM, said)
    if len(named) == 1:  # several: the text names more than one site; only the distance rule may link
        return _text_link(named[0], said[named[0].facility_type])
    if not site_precise(geo_precision, geocoded_by):
        return Link(None, None, None, None)
    best = None
    for ftype, words in said.items():
        near = geocoder.nearest_facility(latitude, longitude, facility_type=ftype)
        if near is not None and (best is None or near.distance_km < best[0].distance_km):
            best = (near, words)
    if best is None:
        return Link(None, None, None, None)
    near, words = best
    rule = (
        f"site-precise point {near.distance_km:.1f} km from a {near.facility_type} (limit {radius_km:g} km) "
        f"and the text says a {near.facility_type} was hit"
    )
    return Link(near, "nearest", near.distance_km, _evidence("nearest", near.distance_km, words, rule, None))


def _text_link(match: Any, words: list[str]) -> Link:
    """The link to the one facility of a type the text says was hit that the text also names."""
    distance = match.distance_km or 0.0
    article = "an" if match.facility_type[:1] in "aeiou" else "a"
    rule = (
        f"the text names {match.name!r} and says {article} {match.facility_type} was hit, {distance:.1f} km "
        f"from the point (limit {NAME_RADIUS_KM:g} km)"
    )
    return Link(match, "text", distance, _evidence("text", distance, words, rule, None))


def named_link_evidence(method: str, score: float | None) -> dict[str, Any]:
    """Evidence of a point taken from the facility the row names (no coordinates given)."""
    rule = "no coordinates: the point is the named facility's"
    return _evidence(method, 0.0, [], rule, score)


def _evidence(method: str, distance: float | None, words: list[str], rule: str, score: float | None) -> dict[str, Any]:
    found: dict[str, Any] = {"method": method, "rule": rule}
    if distance is not None:
        found["distance_km"] = round(distance, 3)
    if words:
        found["words"] = words[:10]
    if score is not None:
        found["score"] = score
    return found


def type_from_name(facility_name: str | None) -> tuple[str | None, list[str]]:
    """The one facility type a reported facility name says (``"Raffineria di Orenburg"`` -> refinery)."""
    if not facility_name:
        return None, []
    said = evidence.site_types_in_text(facility_name)
    if len(said) == 1:
        ftype, words = next(iter(said.items()))
        return ftype, words
    return None, []


__all__ = [
    "NAME_RADIUS_KM",
    "Link",
    "decide_link",
    "extra_texts",
    "named_link_evidence",
    "report_texts",
    "site_precise",
    "type_from_name",
]
