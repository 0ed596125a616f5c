"""Grade an event from its evidence: claim status, source reliability, information credibility.

Files rarely state a claim status or Admiralty grades; this module derives them from what real
data does carry (the rules are documented as one table in ``docs/confidence.md``):

* **claim status** from who speaks (:mod:`events.publishers`): an official of the side that was
  hit confirms (``confirmed_by_official``), geolocated footage or imagery confirms
  (``confirmed_by_imagery``), a denial by the side hit disputes (``disputed``) unless a usually
  reliable independent publisher reports the strike, independent reporting gives ``reported``,
  and a party's own claim alone gives ``claimed``;
* **source reliability**: the best default grade of the event's publishers;
* **information credibility** from the dataset's own certainty (UCDP ``event_clarity`` and
  ``number_of_sources``, ACLED ``source_scale``, coarse precision codes), then corroboration by
  independent publishers (:func:`events.dedup.corroborated_credibility`, extended across kinds).

A value the file states (a ``claim_status`` column, Admiralty grades) or an analyst sets
(``strikedb events update``) always wins over the derived one. The values stated by each report
are kept in the event's bookkeeping (``extra["_strikedb"]``): ``stated`` for the report that
created the event, ``reports[key]["stated"]`` for merged ones, ``analyst`` for an analyst's
changes. Events stored before this grading existed have no ``stated`` entry: their columns are
taken as stated, so nothing changes for them.

Everything here is pure: the caller passes the event's values, its sources and the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from events import dedup
from events import evidence as evidence_words
from events.confidence import confidence_level, confidence_steps
from events.publishers import Publisher, Registry, bundled_registry
from events.speakers import bundled_speakers

#: Key in an event's bookkeeping holding the grades its primary report stated.
STATED_KEY = "stated"
#: Key holding the grades an analyst set.
ANALYST_KEY = "analyst"
#: The three graded columns.
GRADED_COLUMNS: tuple[str, ...] = ("claim_status", "source_reliability", "info_credibility")

#: Ukrainian regions under Russian control since 2014: Russian officials there are the side hit.
RU_HELD_UA_REGIONS = frozenset({"crimea", "autonomous republic of crimea", "sevastopol", "krym", "respublika krym"})
#: Ukrainian regions held in part by each side since 2022: either side's civil officials may be the side hit.
CONTESTED_UA_REGIONS = frozenset(
    {"donetsk", "donetsk oblast", "luhansk", "luhansk oblast", "zaporizhzhia", "zaporizhia oblast",
     "zaporizhzhia oblast", "kherson", "kherson oblast", "donetska", "luhanska", "zaporizka", "khersonska"}
)  # fmt: skip

# A source title (or URL slug) saying that nothing was hit, or that the report is false.
_DENIAL = re.compile(
    r"\bden(y|ies|ied|ial)\b.{0,40}\b(strikes?|attacks?|hit|damage|reports?|claims?|explosions?|fires?)\b"
    r"|\bfake (news|video|footage|report|claim)s?\b|\b(is|was|are) (a )?fake\b|\bdebunk(ed|s)?\b|\bhoax\b"
    r"|\bno damage\b|\bnot damaged\b|\bwithout damage\b"
    r"|\ball\b.{0,40}\b(drones?|uavs?|missiles?)\b.{0,40}\b(intercepted|shot down|downed|destroyed|repelled)\b"
    r"|опроверг\w*|фейк\w*|не пострада\w*|без повреждени\w*|ущерба нет|спростов\w*|не постраждал\w*"
    r"|\b(все|всі)\s.{0,30}(сбиты|уничтожены|перехвачены|збито|знищено|збиті|знищені)",
    re.IGNORECASE,
)

#: Datasets whose rows name outlets and the voices they carry (UCDP ``source_original``, ACLED
#: ``source``): see "The voice behind an outlet" in docs/confidence.md.
VOICED_ORIGINS = frozenset({"ucdp", "acled"})
# Signals whose publisher gives the event no grade: a denial, an outlet relaying a party.
_NOT_GRADING = ("denial", "relay")

# ACLED source_scale parts and the credibility a single scale gives (several parts: 2).
_ACLED_SCALE_CREDIBILITY = {
    "local partner": 3,
    "subnational": 3,
    "national": 3,
    "regional": 3,
    "international": 3,
    "other": 3,
    "new media": 4,
}


@dataclass(frozen=True)
class SourceEvidence:
    """What one source of an event says, as far as grading is concerned."""

    url: str | None
    publisher_name: str | None
    #: ``event_sources.role``: report, claim, denial or imagery; ``voice`` for the party a dataset
    #: row names as speaking (UCDP ``source_original``), which is not a stored source.
    role: str
    publisher: Publisher | None
    #: ``confirmation`` (the side hit speaks), ``claim`` (a party claims), ``denial``, ``imagery``,
    #: ``report`` (independent reporting), ``relay`` (an outlet carrying a party's statement).
    signal: str


@dataclass
class Grade:
    """The grading of an event and how it was reached (one line per step)."""

    claim_status: str
    source_reliability: str | None
    info_credibility: int | None
    confidence: str
    reasons: list[str] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """Return the graded columns and the confidence, ready to store."""
        return {
            "claim_status": self.claim_status,
            "source_reliability": self.source_reliability,
            "info_credibility": self.info_credibility,
            "confidence": self.confidence,
        }


def is_denial(text: str | None) -> bool:
    """True when a title (or URL slug) says the strike hit nothing or did not happen.

    >>> is_denial("Governor: all drones were shot down, no damage")
    True
    >>> is_denial("Drone strike sparks fire at Ryazan refinery")
    False
    >>> is_denial("https://example.com/news/ministry-denies-refinery-was-hit")
    True
    """
    if not text:
        return False
    return _DENIAL.search(re.sub(r"[-_+/]+", " ", text)) is not None


@lru_cache(maxsize=1 << 16)
def source_role(url: str | None, title: str | None, source_type: str | None, claimed_by: str | None) -> str:
    """Return the role of a source for its event: imagery, denial, claim or report.

    A source from an imagery column or of type ``imagery`` is imagery; a title or URL saying
    nothing was hit is a denial; a source naming who claims the strike is a claim.
    """
    if source_type == "imagery":
        return "imagery"
    if is_denial(title) or is_denial(_slug(url)):
        return "denial"
    if claimed_by:
        return "claim"
    return "report"


def _slug(url: str | None) -> str | None:
    if not url:
        return None
    path = url.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    return path.split("/", 1)[1] if "/" in path else None


def struck_sides(country: str | None, admin1: str | None) -> frozenset[str]:
    """Return the parties whose officials speak for the side hit by a strike at this place.

    Russia: RU. Crimea and Sevastopol: RU (held since 2014). Donetsk, Luhansk, Zaporizhzhia and
    Kherson oblasts: UA and RU (each holds part). Elsewhere in Ukraine: UA. Any other country:
    that country. Unknown: none.
    """
    if not country:
        return frozenset()
    region = (admin1 or "").strip().lower()
    if country == "UA":
        if region in RU_HELD_UA_REGIONS:
            return frozenset({"RU"})
        if region in CONTESTED_UA_REGIONS:
            return frozenset({"UA", "RU"})
    return frozenset({country})


def source_signal(publisher: Publisher | None, role: str, sides: frozenset[str]) -> str:
    """Classify what a source contributes to the claim status (see :class:`SourceEvidence`)."""
    if role == "imagery" or (publisher is not None and publisher.kind == "imagery"):
        return "imagery"
    if role == "denial":
        return "denial"
    if role == "claim":
        return "claim"
    if publisher is None or publisher.kind != "official" or not publisher.party:
        return "report"
    if publisher.party in sides:
        # Where both sides hold ground, a military statement is usually about its own strike.
        if len(sides) > 1 and publisher.voice == "military":
            return "claim"
        return "confirmation"
    if sides or publisher.voice == "military":
        return "claim"
    return "report"


def evidence(
    sources: Iterable[Sequence[Any]], values: Mapping[str, Any], registry: Registry | None = None
) -> list[SourceEvidence]:
    """Identify the publisher and the signal of each source of an event.

    Parameters
    ----------
    sources : iterable of tuple
        ``(url, publisher name, role)`` per source (``role`` may be missing or None: report).
    values : mapping
        The event's columns (``country`` and ``admin1`` tell the side hit).
    registry : Registry, optional
        Defaults to the bundled registry.
    """
    registry = registry or bundled_registry()
    sides = struck_sides(values.get("country"), values.get("admin1"))
    found = []
    for source in sources:
        url, name = source[0], source[1]
        role = (source[2] if len(source) > 2 else None) or "report"
        publisher = identify(url, name, registry)
        found.append(SourceEvidence(url, name, role, publisher, source_signal(publisher, role, sides)))
    if values.get("origin") in VOICED_ORIGINS:
        return with_voices(found, values, sides, registry)
    return found


def with_voices(
    found: list[SourceEvidence], values: Mapping[str, Any], sides: frozenset[str], registry: Registry
) -> list[SourceEvidence]:
    """Read the voice behind a dataset row's outlets (UCDP ``source_original``, ACLED's named officials).

    A dataset row names outlets and who spoke in them, not separate reports: when it names a
    party speaking (a ministry, general staff, air force, governor, administration...) and no
    independent voice (residents, journalists, NGOs, the UN), its outlets without a link relay
    that party (signal ``relay``: no independent reporting, no grade, no corroboration) and the
    party's own signal decides (a claim, or the side hit confirming). UCDP's speakers are added
    as items of role ``voice``.
    """
    table = bundled_speakers()
    extra = values.get("extra")
    text = extra.get("source_original") if isinstance(extra, Mapping) else None
    voices = table.voices(text if isinstance(text, str) else None, registry, sides)
    named = [table.voices(i.publisher_name, registry, sides) for i in found if i.url is None and i.publisher_name]
    officials = [i for i in found if i.url is None and i.publisher is not None and i.publisher.party]
    if voices.independent or any(v.independent for v in named) or not (voices.parties or officials):
        return found
    known = {i.publisher for i in found}
    spoken = [
        SourceEvidence(None, text, "voice", p, source_signal(p, "report", sides))
        for p in voices.parties
        if p not in known
    ]
    relayed = [replace(i, signal="relay") if i.url is None and i.signal == "report" else i for i in found]
    return relayed + spoken


def _label(item: SourceEvidence) -> str:
    p = item.publisher
    if p is None:
        return item.url or item.publisher_name or "an unnamed source"
    detail = p.kind if p.kind != "official" else f"official, {p.party or 'no party'}, {p.voice or 'civil'}"
    return f"{p.name} ({detail}, {p.grade})"


def derived_claim(items: list[SourceEvidence], sides: frozenset[str]) -> tuple[str, str]:
    """Return the claim status the evidence supports and why (the order of docs/confidence.md)."""
    by_signal: dict[str, list[SourceEvidence]] = {}
    for item in items:
        by_signal.setdefault(item.signal, []).append(item)
    if "imagery" in by_signal:
        return "confirmed_by_imagery", "geolocated footage or imagery: " + _names(by_signal["imagery"])
    if "confirmation" in by_signal:
        side = "/".join(sorted(sides)) or "?"
        return "confirmed_by_official", f"the side hit ({side}) confirms: " + _names(by_signal["confirmation"])
    reports = by_signal.get("report", [])
    if "denial" in by_signal:
        reliable = [r for r in reports if r.publisher is not None and r.publisher.grade in ("A", "B")]
        if not reliable:
            return "disputed", "denied by " + _names(by_signal["denial"]) + ", and no usually reliable report"
        return "reported", ("reported by " + _names(reliable) + " despite the denial by " + _names(by_signal["denial"]))
    if reports:
        return "reported", "independent reporting: " + _names(reports)
    if "relay" in by_signal and "claim" in by_signal:
        return "claimed", (
            "only a party's claim: " + _names(by_signal["claim"]) + ", relayed by " + _names(by_signal["relay"])
        )
    if "claim" in by_signal:
        return "claimed", "only a party's claim: " + _names(by_signal["claim"])
    return "reported", "no source to go on: reported (the default)"


def _names(items: list[SourceEvidence], limit: int = 3) -> str:
    labels = list(dict.fromkeys(_label(i) for i in items))
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def derived_reliability(items: list[SourceEvidence]) -> tuple[str | None, str]:
    """Return the best default reliability among the publishers (None when none is graded)."""
    graded = [
        i
        for i in items
        if i.publisher is not None and i.publisher.reliability not in (None, "F") and i.signal not in _NOT_GRADING
    ]
    if not graded:
        return None, "no graded publisher (F, cannot be judged)"
    best = min(graded, key=lambda i: "ABCDEF".index(i.publisher.reliability))  # type: ignore[union-attr]
    return best.publisher.reliability, "best graded publisher: " + _label(best)  # type: ignore[union-attr]


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip().split(".")[0])
    except (TypeError, ValueError):
        return None


def dataset_credibility(values: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """Translate a dataset's own certainty fields (kept in ``extra``) into a credibility grade.

    * UCDP ``event_clarity`` 2 (lower clarity) → 4; clarity 1 with ``number_of_sources`` of 2 or
      more → 2, else 3.
    * ACLED ``source_scale``: two or more scales (``National-International``) → 2; one scale → 3,
      ``New media`` alone → 4.
    * Then one step less credible (at most 5) when the dataset places the event only roughly
      (UCDP ``where_prec`` 6-7, ACLED ``geo_precision`` 3) or dates it only to a month or worse
      (UCDP ``date_prec`` 4-5, ACLED ``time_precision`` 3); without the raw codes, from the stored
      precisions they map to (ACLED region or month; UCDP month).
    """
    extra = values.get("extra") or {}
    if not isinstance(extra, Mapping):
        return None, None
    origin = values.get("origin")
    grade: int | None = None
    why: list[str] = []
    clarity = _int(extra.get("event_clarity"))
    if clarity is not None:
        n_sources = _int(extra.get("number_of_sources"))
        if clarity == 2:
            grade, text = 4, "UCDP event_clarity 2 (lower clarity)"
        elif n_sources is not None and n_sources >= 2:
            grade, text = 2, f"UCDP event_clarity 1, {n_sources} sources"
        else:
            grade, text = 3, "UCDP event_clarity 1, " + ("1 source" if n_sources == 1 else "sources not counted")
        why.append(text)
    scale = extra.get("source_scale")
    if grade is None and isinstance(scale, str) and scale.strip():
        parts = {p.strip().lower() for p in scale.split("-") if p.strip()}
        known = parts & _ACLED_SCALE_CREDIBILITY.keys()
        if len(known) >= 2:
            grade = 2
        elif known:
            grade = _ACLED_SCALE_CREDIBILITY[next(iter(known))]
        if grade is not None:
            why.append(f"ACLED source_scale {scale.strip()!r}")
    if grade is None:
        return None, None
    vague = _vague_precision(values, extra, origin)
    if vague:
        grade = min(5, grade + 1)
        why.append(vague)
    return grade, "; ".join(why)


def _vague_precision(values: Mapping[str, Any], extra: Mapping[str, Any], origin: Any) -> str | None:
    where, when = _int(extra.get("where_prec")), _int(extra.get("date_prec"))
    geo, time = _int(extra.get("geo_precision")), _int(extra.get("time_precision"))
    if where is not None or when is not None:
        if (where or 0) >= 6 or (when or 0) >= 4:
            return f"UCDP where_prec {where}, date_prec {when}: one step less credible"
        return None
    if origin == "acled" and (geo is not None or time is not None):
        if geo == 3 or time == 3:
            return f"ACLED geo_precision {geo}, time_precision {time}: one step less credible"
        return None
    # Without the raw codes, the stored precisions tell as much: ACLED geo 3 is "region" and time
    # 3 is "month"; UCDP date_prec 4-5 is "month" (where_prec 6-7 cannot be told from 4-5).
    if origin == "acled" and (values.get("geo_precision") == "region" or values.get("date_precision") == "month"):
        return "ACLED event placed only to a region or dated only to a month: one step less credible"
    if origin == "ucdp" and values.get("date_precision") == "month":
        return "UCDP event dated only to a month or worse: one step less credible"
    return None


def stated_grades(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the grades stated for an event (analyst first, then its reports), or None if legacy.

    None means the event was stored before evidence grading: its columns count as stated.
    """
    extra = values.get("extra")
    meta = extra.get("_strikedb") if isinstance(extra, Mapping) else None
    if not isinstance(meta, Mapping) or STATED_KEY not in meta:
        return None
    combined = dict(meta.get(STATED_KEY) or {})
    for report in (meta.get("reports") or {}).values():
        other = report.get(STATED_KEY) if isinstance(report, Mapping) else None
        if other:
            combined = combine_stated(combined, other)
    combined.update(meta.get(ANALYST_KEY) or {})
    return combined


def combine_stated(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Combine the grades two reports of one strike state: stronger claim, best grades."""
    out = dict(a)
    if "claim_status" in b:
        out["claim_status"] = (
            dedup.stronger_claim(a["claim_status"], b["claim_status"]) if "claim_status" in a else b["claim_status"]
        )
    if b.get("source_reliability"):
        out["source_reliability"] = dedup.best_reliability(a.get("source_reliability"), b["source_reliability"])
    if b.get("info_credibility") is not None:
        out["info_credibility"] = dedup.best_credibility(a.get("info_credibility"), b["info_credibility"])
    return out


def record_stated(claim_status: str | None, reliability: str | None, credibility: int | None) -> dict[str, Any]:
    """Return the ``stated`` bookkeeping of a report: only the grades its file gave."""
    stated: dict[str, Any] = {}
    if claim_status is not None:
        stated["claim_status"] = claim_status
    if reliability is not None:
        stated["source_reliability"] = reliability
    if credibility is not None:
        stated["info_credibility"] = credibility
    return stated


def corroboration(items: list[SourceEvidence]) -> tuple[int, list[str]]:
    """Return the number of independent publisher groups and their kinds.

    A group is a publisher's network, else the publisher. Denials, relays, aggregators (they republish
    others) and names that name no one (ACLED's "Undisclosed Source") do not count; ``unknown``
    is not a kind.
    """
    groups: dict[str, str] = {}
    for item in items:
        p = item.publisher
        if p is None or item.signal in _NOT_GRADING or p.kind == "aggregator":
            continue
        if p.key.startswith("name:") and p.key[5:] in dedup.UNNAMED_PUBLISHERS:
            continue
        groups.setdefault(p.group, p.kind)
    kinds = sorted({kind for kind in groups.values() if kind != "unknown"})
    return len(groups), kinds


def grade_event(values: Mapping[str, Any], sources: Iterable[Sequence[Any]], registry: Registry | None = None) -> Grade:
    """Grade an event from what its reports state and what its sources are.

    Parameters
    ----------
    values : mapping
        The event's columns, with ``extra`` (bookkeeping and the dataset's certainty fields).
    sources : iterable of tuple
        ``(url, publisher name, role)`` of each source linked to the event.
    registry : Registry, optional
        Defaults to the bundled registry.

    Returns
    -------
    Grade
    """
    items = evidence(sources, values, registry)
    stated = stated_grades(values)
    reasons: list[str] = []
    if stated is None:
        stated = {"claim_status": values.get("claim_status") or "reported"}
        stated["source_reliability"] = values.get("source_reliability")
        meta = (values.get("extra") or {}).get("_strikedb") or {}
        base = meta["base_credibility"] if "base_credibility" in meta else values.get("info_credibility")
        stated["info_credibility"] = base
        legacy = True
    else:
        legacy = False

    sides = struck_sides(values.get("country"), values.get("admin1"))
    if "claim_status" in stated:
        claim = stated["claim_status"]
        reasons.append(f"claim status {claim}: stated by the file or an analyst")
    else:
        claim, why = derived_claim(items, sides)
        reasons.append(f"claim status {claim}: {why}")

    if legacy or stated.get("source_reliability"):
        reliability = stated.get("source_reliability")
        reasons.append(f"source reliability {reliability or 'F'}: stated by the file or an analyst")
    else:
        reliability, why = derived_reliability(items)
        reasons.append(f"source reliability {reliability or 'F'}: {why}")

    if legacy or stated.get("info_credibility") is not None:
        base = stated.get("info_credibility")
        if base is not None:
            reasons.append(f"information credibility {base} before corroboration: stated by the file or an analyst")
    else:
        base, why = dataset_credibility(values)
        if why:
            reasons.append(f"information credibility {base} before corroboration: {why}")

    groups, kinds = corroboration(items)
    credibility = dedup.corroborated_credibility(base, groups, kinds=len(kinds))
    if groups >= 2:
        kinds_text = ", ".join(kinds) if kinds else "no known kind"
        bonus = " (different kinds count as one more)" if len(kinds) >= 2 else ""
        reasons.append(
            f"corroboration: {groups} independent publishers ({kinds_text}){bonus}: "
            f"credibility {base if base is not None else 'ungraded'} -> {credibility}"
        )
    elif len(items) >= 2:
        reasons.append("corroboration: none (the sources are one publisher, one network, aggregators or denials)")
    for warning in evidence_words.unlikely_sources(
        values.get("facility_type"),
        [values.get(c) for c in ("location_text", "facility_name_reported", "admin1")],
        [i.url for i in items if i.url],
    ):
        reasons.append(f"check the source (the level is not changed): {warning}")
    relays = [i for i in items if i.signal == "relay"]
    if relays:
        speakers = [i for i in items if i.signal in ("claim", "confirmation", "report") and i.url is None]
        why = "the outlets relay it: not independent reporting"
        reasons.insert(1, f"the voice behind {_names(relays)}: {_names(speakers)} ({why})")
    sourced = bool(items)
    level = confidence_level(claim, reliability, credibility, sourced=sourced)
    reasons.append("level: " + "; ".join(confidence_steps(claim, reliability, credibility, sourced=sourced)))
    return Grade(claim, reliability, credibility, level, reasons)


@lru_cache(maxsize=1 << 14)
def _identify_cached(url: str | None, name: str | None, registry: Registry) -> Publisher | None:
    publisher = registry.identify(url, name)
    if url or publisher is None or publisher.known:
        return publisher
    # A name the registry does not know may still name a party's office (ACLED's "Ministry of
    # Defence of Russia"): read it with the speaker table.
    parties = bundled_speakers().voices(name, registry).parties
    return parties[0] if len(parties) == 1 else publisher


def identify(url: str | None, name: str | None, registry: Registry | None = None) -> Publisher | None:
    """Return the publisher of a source (see :meth:`events.publishers.Registry.identify`).

    A source named only by a name the registry does not know, but that names one party's office
    in the speaker table (:mod:`events.speakers`), gets that office's publisher.
    """
    return _identify_cached(url, name, registry or bundled_registry())
