"""Deduplication: when two reports describe one strike, and how corroboration raises credibility.

The rules (documented for analysts in ``docs/ingest.md``):

*Same strike.* Two reports merge automatically only under the strict rule of :func:`compare`
(same day, same place, compatible target), and only when exactly one event agrees with the
report; weaker matches become duplicate candidates for an analyst. Two records of one dataset
with different identifiers are never merged, nor proposed.

*Corroboration.* The independent publishers of an event's sources are counted (independence =
different registrable domains of the URLs, e.g. ``reuters.com`` vs ``kyivindependent.com``; per
channel/account for social networks such as ``t.me/<channel>``; the publisher name when a source
has no URL, except names that name no one, such as ACLED's "Undisclosed Source"). With two
independent publishers the information credibility improves by one step, but not beyond 2
("probably true"); an ungraded report (no credibility or 6) becomes 3 ("possibly true"). With
three or more it becomes 1 ("confirmed by other sources"). Two independent publishers of
different kinds (a wire and a governor, a national outlet and an OSINT account) count as three;
channels of one network (per :mod:`events.publishers`) count as one publisher, and aggregators,
which republish others, not at all. Corroboration never worsens a grade.
The confidence level is then recomputed with :func:`events.confidence.confidence_level`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from events.db import distance_km
from events.evidence import site_types_in_text

#: Default distance (km) within which two reports of the same date are one strike.
DEDUP_KM = 2.0

_GEO_RANK = {"exact": 0, "near_town": 1, "region": 2}
_DATE_RANK = {"day": 0, "week": 1, "month": 2}
# Strength of a claim status when two reports disagree; disputed/debunked are analyst decisions.
_CLAIM_RANK = {"claimed": 0, "reported": 1, "confirmed_by_official": 2, "confirmed_by_imagery": 3}
_SOCIAL_HOSTS = {
    "t.me",
    "telegram.me",
    "x.com",
    "twitter.com",
    "facebook.com",
    "instagram.com",
    "youtube.com",
    "tiktok.com",
    "vk.com",
    "threads.net",
}
# Second-level labels under which registrations happen (bbc.co.uk, pravda.com.ua, gov.ru).
_PUBLIC_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "in", "or", "ne", "go", "mil"}


def date_window(day: dt.date, precision: str) -> tuple[dt.date, dt.date]:
    """Return the first and last day a date of the given precision may mean.

    Parameters
    ----------
    day : datetime.date
        The stored date (for ``month``, any day of the month).
    precision : str
        ``day``, ``week`` or ``month``.

    Returns
    -------
    tuple of datetime.date
    """
    if precision == "week":
        return day, day + dt.timedelta(days=6)
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def dates_agree(a_date: dt.date, a_precision: str, b_date: dt.date, b_precision: str) -> bool:
    """Tell whether two dates (with their precisions) can mean the same day."""
    a_lo, a_hi = date_window(a_date, a_precision)
    b_lo, b_hi = date_window(b_date, b_precision)
    return a_lo <= b_hi and b_lo <= a_hi


def is_coarse(precision: str) -> bool:
    """True for week/month precision, where a report cannot pick one of several strikes."""
    return precision != "day"


#: Reports farther apart than this (km) are never proposed as duplicate candidates by distance.
CANDIDATE_KM = 10.0
#: Candidates scoring below this are not stored.
MIN_CANDIDATE_SCORE = 30.0


def _site_precise(v: Mapping[str, Any]) -> bool:
    return v["geo_precision"] == "exact" and v.get("geocoded_by") == "coordinates"


def _attacks_agree(a: str | None, b: str | None) -> bool:
    if a in (None, "unknown") or b in (None, "unknown") or a == b:
        return True
    return "combined" in (a, b) and {a, b} <= {"combined", "drone", "missile"}


def _named_types(v: Mapping[str, Any]) -> set[str]:
    return set(site_types_in_text(v.get("facility_name_reported"), v.get("description")))


def _date_relation(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    """``same`` (same day, or a coarse date containing the other's), ``near`` (overlap or a day apart), None."""
    a_lo, a_hi = date_window(a["event_date"], a["date_precision"])
    b_lo, b_hi = date_window(b["event_date"], b["date_precision"])
    if (a_lo, a_hi) == (b_lo, b_hi) or (a_lo <= b_lo and b_hi <= a_hi) or (b_lo <= a_lo and a_hi <= b_hi):
        return "same"
    if a_lo <= b_hi + dt.timedelta(days=1) and b_lo <= a_hi + dt.timedelta(days=1):
        return "near"
    return None


def compare(
    a: Mapping[str, Any], b: Mapping[str, Any], dedup_km: float = DEDUP_KM, *, shared_url: bool = False
) -> tuple[bool, float, list[str]]:
    """Compare two reports: may they merge automatically, how alike are they, and why.

    The **automatic merge rule** (all must hold; documented in ``docs/ingest.md``):

    * *day*: the same day, or one date is coarser (week/month) and contains the other's;
    * *place*: both points are site-precise (coordinates, ``exact``) and within ``dedup_km``,
      whether or not they are linked to a facility; or, when at least one point is not
      site-precise, both are linked to the same facility. Different facilities never merge;
    * *what was hit*: attack types compatible (equal, one unknown, or combined with drone/missile),
      facility types equal when both are stated, target categories equal when both are known,
      and the texts do not name different kinds of site ("refinery" vs "oil depot").

    Parameters
    ----------
    a, b : mapping
        Event values (``event_date``, ``date_precision``, ``latitude``, ``longitude``,
        ``geo_precision``, ``geocoded_by``, ``facility_id``, ``facility_type``, ``attack_type``,
        ``target_category``, ``facility_name_reported``, ``description``).
    dedup_km : float
    shared_url : bool
        The two share a source URL (raises the candidate score).

    Returns
    -------
    (bool, float, list of str)
        Whether the automatic rule holds, a 0-100 likeness score, and the reasons (what agrees
        and what does not). A pair that does not merge is a duplicate candidate when its score
        is at least :data:`MIN_CANDIDATE_SCORE`.
    """
    reasons: list[str] = []
    ok = True
    score = 0.0
    days = _date_relation(a, b)
    if days == "same":
        score += 35
        reasons.append("same day" if a["date_precision"] == b["date_precision"] == "day" else "date contains the other")
    elif days == "near":
        ok = False
        score += 15
        reasons.append("dates a day apart or overlapping, not the same day")
    else:
        return False, 0.0, ["different dates"]
    distance = distance_km(a["latitude"], a["longitude"], b["latitude"], b["longitude"])
    same_facility = a["facility_id"] is not None and a["facility_id"] == b["facility_id"]
    if not same_facility:
        # Far apart, or placed only by region: nothing to review (one article may report two strikes).
        if "region" in (a["geo_precision"], b["geo_precision"]):
            return False, 0.0, [*reasons, "a region-precise point and no common facility"]
        if distance is None or distance > CANDIDATE_KM:
            return False, 0.0, [*reasons, f"{distance or 0:.0f} km apart, no common facility"]
    if a["facility_id"] is not None and b["facility_id"] is not None and not same_facility:
        ok = False
        score -= 30
        reasons.append("linked to different facilities")
    if _site_precise(a) and _site_precise(b):
        if distance is not None and distance <= dedup_km:
            reasons.append(f"site-precise points {distance:.2f} km apart (limit {dedup_km:g} km)")
            score += 35
        else:
            ok = False
            reasons.append(f"site-precise points {distance or 0:.2f} km apart (more than {dedup_km:g} km)")
            score += 35 * max(0.0, 1 - (distance or 0) / CANDIDATE_KM) * 0.6
    elif same_facility:
        reasons.append("same facility")
        score += 30
    else:
        ok = False
        reasons.append(f"points {distance or 0:.2f} km apart, not both site-precise and no common facility")
        score += 25 * max(0.0, 1 - (distance or 0) / CANDIDATE_KM)
    if same_facility and _site_precise(a) and _site_precise(b):
        score += 5
        reasons.append("same facility")
    if shared_url:
        score += 20
        reasons.append("a source URL in common")
    if not _attacks_agree(a.get("attack_type"), b.get("attack_type")):
        ok = False
        score -= 15
        reasons.append(f"attack types differ ({a['attack_type']} vs {b['attack_type']})")
    if a["facility_type"] and b["facility_type"] and a["facility_type"] != b["facility_type"]:
        ok = False
        score -= 20
        reasons.append(f"facility types differ ({a['facility_type']} vs {b['facility_type']})")
    ca, cb = a.get("target_category") or "unknown", b.get("target_category") or "unknown"
    if "unknown" not in (ca, cb) and ca != cb:
        ok = False
        score -= 20
        reasons.append(f"categories differ ({ca} vs {cb})")
    ta, tb = _named_types(a), _named_types(b)
    if ta and tb and not ta & tb:
        ok = False
        score -= 20
        reasons.append(f"texts name different sites ({', '.join(sorted(ta))} vs {', '.join(sorted(tb))})")
    elif ta & tb:
        score += 10
        reasons.append(f"texts name the same kind of site ({', '.join(sorted(ta & tb))})")
    return ok, max(0.0, min(100.0, round(score, 1))), reasons


def search_box(latitude: float, longitude: float, km: float) -> tuple[float, float, float, float]:
    """Return ``(min_lat, max_lat, min_lon, max_lon)`` of a box containing the circle of ``km``."""
    dlat = km / 111.0
    cos_lat = max(math.cos(math.radians(min(abs(latitude), 89.0))), 0.01)
    dlon = min(180.0, km / (111.0 * cos_lat))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def publisher_key(url: str | None, publisher: str | None) -> str | None:
    """Return the identity of a source's publisher, used to count independent sources.

    Parameters
    ----------
    url : str, optional
    publisher : str, optional

    Returns
    -------
    str or None
        The registrable domain (``reuters.com``, ``bbc.co.uk``), ``host/account`` for social
        networks (``t.me/mod_russia``), else the lower-cased publisher name; None when neither
        is known.

    Examples
    --------
    >>> publisher_key("https://www.reuters.com/world/europe/", None)
    'reuters.com'
    >>> publisher_key("https://t.me/s/some_channel/123", None)
    't.me/some_channel'
    >>> publisher_key(None, " Kyiv Independent ")
    'kyiv independent'
    """
    if url:
        parts = urlsplit(url.strip() if "://" in url else "http://" + url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        if host:
            if host.startswith("m.") and host[2:] in _SOCIAL_HOSTS:
                host = host[2:]
            if host in _SOCIAL_HOSTS:
                segments = [s for s in parts.path.split("/") if s and s != "s"]
                return f"{host}/{segments[0].lower()}" if segments else host
            return _registrable_domain(host)
    if publisher and publisher.strip():
        name = re.sub(r"\s+", " ", publisher.strip().lower())
        # "Undisclosed Source" (ACLED), "unknown"...: nobody known, so not an independent publisher.
        return None if name in UNNAMED_PUBLISHERS else name
    return None


#: Publisher names that name no one (lower case); such sources never count as independent.
UNNAMED_PUBLISHERS = frozenset(
    {"undisclosed source", "undisclosed sources", "unknown", "anonymous", "anonymous source", "n/a", "na", "none"}
)


def _registrable_domain(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _PUBLIC_SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def independent_publishers(sources: Iterable[tuple[str | None, str | None]]) -> int:
    """Count the distinct publishers among ``(url, publisher)`` pairs."""
    return len({key for url, publisher in sources if (key := publisher_key(url, publisher)) is not None})


def corroborated_credibility(base: int | None, independent: int, *, kinds: int = 1) -> int | None:
    """Apply the corroboration rule to an information-credibility grade.

    Parameters
    ----------
    base : int or None
        The credibility the reports themselves give (1-6), None when ungraded.
    independent : int
        Number of independent publishers among the event's sources.
    kinds : int
        Number of different publisher kinds among them (wire, national media, official, OSINT...,
        see :mod:`events.publishers`). Two or more independent publishers of two or more kinds
        count as one publisher more: a wire story and a governor's statement corroborate each
        other more than two channels of one blogger network.

    Returns
    -------
    int or None

    Examples
    --------
    >>> corroborated_credibility(3, 2), corroborated_credibility(None, 2), corroborated_credibility(4, 3)
    (2, 3, 1)
    >>> corroborated_credibility(5, 1)
    5
    >>> corroborated_credibility(None, 2, kinds=2)
    1
    """
    if independent >= 2 and kinds >= 2:
        independent += 1
    if independent >= 3:
        return 1
    if independent == 2:
        if base is None or base == 6:
            return 3
        return base if base <= 2 else base - 1
    return base


def better_geo(a: str, b: str) -> bool:
    """True when geo precision ``a`` is strictly better than ``b``."""
    return _GEO_RANK.get(a, 9) < _GEO_RANK.get(b, 9)


def better_date(a: str, b: str) -> bool:
    """True when date precision ``a`` is strictly finer than ``b``."""
    return _DATE_RANK.get(a, 9) < _DATE_RANK.get(b, 9)


def stronger_claim(current: str, incoming: str) -> str:
    """Return the claim status an event keeps when a report with ``incoming`` status joins it.

    A disputed or debunked event stays so (that is an analyst's call); otherwise the stronger
    confirmation wins, and a merged report never downgrades the event.
    """
    if current in ("disputed", "debunked") or incoming not in _CLAIM_RANK:
        return current
    return incoming if _CLAIM_RANK[incoming] > _CLAIM_RANK.get(current, -1) else current


def best_reliability(a: str | None, b: str | None) -> str | None:
    """Return the better Admiralty reliability (A best; F and None last)."""
    order = {letter: i for i, letter in enumerate("ABCDEF")}
    candidates = [x for x in (a, b) if x is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda x: order.get(x, 9))


def best_credibility(a: int | None, b: int | None) -> int | None:
    """Return the better Admiralty credibility (1 best; 6 and None last)."""
    candidates = [x for x in (a, b) if x is not None]
    if not candidates:
        return None
    return min(candidates)


#: Location columns that move together when a more precise report improves an event.
LOCATION_COLUMNS = ("latitude", "longitude", "geo_precision", "geocoded_by", "geocode_score")
#: Columns taken from a merged report only when the event has no value.
FILL_COLUMNS = (
    "event_time_utc",
    "location_text",
    "facility_type",
    "facility_name_reported",
    "effect",
    "damage_level",
    "description",
    "country",
    "admin1",
    "fatalities_low",
    "fatalities_best",
    "fatalities_high",
)


def merged_values(event: Mapping[str, Any], report: Mapping[str, Any]) -> dict[str, Any]:
    """Return the columns of ``event`` that change when ``report`` is merged into it.

    Keeps the best geo and date precision, links the facility when only the report has one, fills
    empty columns, keeps the stronger claim status and the best Admiralty grades. Grading columns
    are returned ungraded by corroboration; the caller recomputes credibility and confidence.

    Parameters
    ----------
    event, report : mapping
        Event column values.

    Returns
    -------
    dict
        Column -> new value, only for columns that change.
    """
    new: dict[str, Any] = {}
    if better_geo(report["geo_precision"], event["geo_precision"]):
        new.update({c: report[c] for c in LOCATION_COLUMNS})
    if better_date(report["date_precision"], event["date_precision"]):
        new.update(event_date=report["event_date"], date_precision=report["date_precision"])
    if event["facility_id"] is None and report["facility_id"] is not None:
        link = ("facility_id", "facility_match", "facility_distance_km", "link_evidence")
        new.update({c: report.get(c) for c in link})
    if event.get("target_category", "unknown") in ("unknown", "other") and report.get("target_category") in (
        "energy",
        "rail",
    ):
        new.update(target_category=report["target_category"], target_basis=report.get("target_basis"))
    for column in FILL_COLUMNS:
        if event[column] in (None, "") and report[column] not in (None, ""):
            new[column] = report[column]
    if event["attack_type"] == "unknown" and report["attack_type"] != "unknown":
        new["attack_type"] = report["attack_type"]
    claim = stronger_claim(event["claim_status"], report["claim_status"])
    if claim != event["claim_status"]:
        new["claim_status"] = claim
    reliability = best_reliability(event["source_reliability"], report["source_reliability"])
    if reliability != event["source_reliability"]:
        new["source_reliability"] = reliability
    return {k: v for k, v in new.items() if event.get(k) != v}
