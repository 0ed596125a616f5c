"""Controlled vocabularies shared by the schema, the ingest validators and the maps.

Each vocabulary is a tuple of the exact strings stored in the database. The schema turns
them into CHECK constraints, so a typo can never reach a row.
"""

from __future__ import annotations

FACILITY_TYPES: tuple[str, ...] = (
    "refinery",
    "oil_depot",
    "oil_terminal",
    "pipeline",
    "pumping_station",
    "power_plant",
    "substation",
    "rail_line",
    "rail_junction",
    "port",
    "other",
)

DATE_PRECISIONS: tuple[str, ...] = ("day", "week", "month")

# How exactly the point is known: the struck site itself, a nearby town, or only the region.
GEO_PRECISIONS: tuple[str, ...] = ("exact", "near_town", "region")

ATTACK_TYPES: tuple[str, ...] = ("drone", "missile", "combined", "sabotage", "unknown")

EFFECTS: tuple[str, ...] = ("fire", "damage", "shutdown", "intercepted", "none_reported")

DAMAGE_LEVELS: tuple[str, ...] = ("none", "light", "moderate", "heavy", "destroyed", "unknown")

CLAIM_STATUSES: tuple[str, ...] = (
    "claimed",
    "reported",
    "confirmed_by_official",
    "confirmed_by_imagery",
    "disputed",
    "debunked",
)

# NATO Admiralty code (STANAG 2511 / AJP-2.1): source reliability and information credibility.
SOURCE_RELIABILITIES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
INFO_CREDIBILITIES: tuple[int, ...] = (1, 2, 3, 4, 5, 6)

# Ordinal confidence levels, best first. Maps and SQL filter on these.
CONFIDENCE_LEVELS: tuple[str, ...] = ("confirmed", "likely", "possible", "unverified")

SOURCE_TYPES: tuple[str, ...] = ("official", "media", "social", "imagery", "dataset", "other")

# What a quarantine row stands for: a row not loaded, or one source cell of a loaded event.
QUARANTINE_KINDS: tuple[str, ...] = ("row", "source")

RUN_STATUSES: tuple[str, ...] = ("running", "committed", "failed", "dry_run", "interrupted")

# Who a publisher is (see docs/confidence.md, "Publishers"): a party's official channel, a news
# wire, a national or regional outlet, an OSINT account, a military blogger, an aggregator that
# republishes others, a satellite-imagery provider, or not known.
PUBLISHER_KINDS: tuple[str, ...] = (
    "official",
    "wire",
    "national_media",
    "regional_media",
    "osint",
    "military_blogger",
    "aggregator",
    "imagery",
    "unknown",
)

# For an official publisher: does it speak for the armed forces (which carry out strikes and
# report interceptions) or for a civil authority or operator (which reports strikes on its ground)?
PUBLISHER_VOICES: tuple[str, ...] = ("military", "civil")


REVISION_ACTIONS: tuple[str, ...] = ("update", "delete", "merge", "split", "restore")

# What an event concerns (events.target_category); see events.evidence.
TARGET_CATEGORIES: tuple[str, ...] = ("energy", "rail", "other", "unknown")

# Duplicate candidates: to review, judged two strikes, or merged.
CANDIDATE_STATUSES: tuple[str, ...] = ("open", "distinct", "merged")

# Roles of a source for an event (``event_sources.role``).
SOURCE_ROLES: tuple[str, ...] = ("report", "claim", "denial", "imagery")

#: Barrels per tonne of crude oil (a world-average crude of ~0.86 t/m³, ~33 API; Urals is 7.28-7.33
#: bbl/t): the one factor between Mt/yr and kb/d, for the stored capacities (events.facilities.units)
#: and for sizing facility markers on the map (maps.style).
BARRELS_PER_TONNE = 7.33


def confidence_rank(level: str) -> int:
    """Return the rank of a confidence level, 0 for ``confirmed`` up to 3 for ``unverified``.

    Parameters
    ----------
    level : str
        One of :data:`CONFIDENCE_LEVELS`.

    Returns
    -------
    int
        Position in :data:`CONFIDENCE_LEVELS`; lower is more certain.
    """
    return CONFIDENCE_LEVELS.index(level)


def levels_at_or_above(level: str) -> tuple[str, ...]:
    """Return the confidence levels at least as certain as ``level``.

    Parameters
    ----------
    level : str
        The weakest level to include.

    Returns
    -------
    tuple of str
        E.g. ``("confirmed", "likely")`` for ``"likely"``.
    """
    return CONFIDENCE_LEVELS[: confidence_rank(level) + 1]
