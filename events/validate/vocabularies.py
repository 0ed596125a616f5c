"""Vocabulary values (attack type, effect, facility type, damage, claim, Admiralty grades), matched forgivingly."""

from __future__ import annotations

import re
from collections.abc import Callable

from events import vocab
from events.validate.fields import FieldError, lookup_key


def _table(entries: dict[str, str]) -> dict[str, str]:
    """Build a synonym table keyed by normalised text (each value listed with its synonyms)."""
    table: dict[str, str] = {}
    for canonical, synonyms in entries.items():
        table[lookup_key(canonical)] = canonical
        table[lookup_key(canonical.replace("_", " "))] = canonical
        for synonym in synonyms.split("|"):
            if synonym.strip():
                table[lookup_key(synonym)] = canonical
    return table


_ATTACK_SYNONYMS = _table(
    {
        "drone": "drones|uav|uavs|ucav|drone attack|drone attacks|drone strike|drone strikes|air drone strike"
        "|loitering munition|shahed|kamikaze drone|droni|drone kamikaze|attacco con droni|бпла|беспилотник"
        "|беспилотники|дрон|дроны|безпілотник|дрони",
        "missile": "missiles|missile attack|missile strike|cruise missile|ballistic missile|rocket|rockets|kalibr"
        "|neptune|neptune missiles|iskander|kinzhal|storm shadow|atacms|flamingo|kh 101|missili|missile da crociera"
        "|ракета|ракеты|ракетный удар|ракетний удар",
        "combined": "combined attack|drones and missiles|missiles and drones|drone and missile|missile and drone"
        "|droni e missili|missili e droni|mixed",
        "sabotage": "sabotaggio|arson|partisan|partisans|diversion|диверсия|підпал|поджог|explosive|ied",
        "unknown": "unknown|unclear|not known|unspecified|sconosciuto|n d|неизвестно",
    }
)
_DRONE_WORDS = ("drone", "uav", "shahed", "droni", "бпла", "дрон", "беспилот", "безпілот", "lancet", "geran")
_MISSILE_WORDS = ("missile", "missil", "rocket", "kalibr", "neptune", "iskander", "kinzhal", "atacms", "ракет")
_SABOTAGE_WORDS = ("sabotage", "sabotag", "arson", "partisan", "диверс", "підпал", "поджог")

_EFFECT_SYNONYMS = _table(
    {
        "fire": "fires|fire reported|blaze|burning|on fire|fire broke out|explosion and fire|incendio|incendi"
        "|пожар|пожежа|возгорание",
        "damage": "damaged|damages|hit|struck|destroyed|explosion|explosions|danni|danneggiato|повреждение"
        "|повреждения|пошкодження",
        "shutdown": "shut down|shutdowns|halted|halt|stopped|suspended|outage|offline|operations halted"
        "|halted operations|processing halted|fermo|sospeso|остановка|остановлен|зупинка",
        "intercepted": "interception|shot down|downed|repelled|repulsed|abbattuto|abbattuti|intercettato"
        "|intercettati|сбит|сбиты|збито",
        "none_reported": "none|no damage|no damage reported|nothing reported|no effect|nessuno|nessun danno",
    }
)
_FACILITY_SYNONYMS = _table(
    {
        "refinery": "refineries|oil refinery|petroleum refinery|raffineria|raffinerie|нпз|нафтопереробний завод"
        "|gas processing plant|gas plant|petrochemical plant|petrochemical complex",
        "oil_depot": "oil depot|fuel depot|depot|oil storage|fuel storage|tank farm|oil base|deposito petrolifero"
        "|deposito di carburante|нефтебаза|нафтобаза",
        "oil_terminal": "terminal|oil terminal|export terminal|port terminal|marine terminal|terminale petrolifero",
        "pipeline": "pipelines|oil pipeline|gas pipeline|oleodotto|gasdotto|трубопровод|нефтепровод",
        "pumping_station": "pumping station|pump station|compressor station|stazione di pompaggio|насосная станция|нпс",
        "power_plant": "power plant|power station|thermal power plant|tpp|chp|hpp|hydroelectric plant"
        "|nuclear power plant|npp|centrale elettrica|centrale termoelettrica|тэц|грэс|тец|электростанция",
        "substation": "substations|electrical substation|power substation|sottostazione|sottostazione elettrica"
        "|подстанция|підстанція",
        "rail_line": "railway|railway line|rail line|railroad|track|ferrovia|linea ferroviaria|железная дорога",
        "rail_junction": "rail junction|railway junction|railway station|rail hub|marshalling yard"
        "|stazione ferroviaria",
        "port": "seaport|harbour|harbor|porto|порт",
        "other": "other|altro",
    }
)
_DAMAGE_SYNONYMS = _table(
    {
        "none": "no damage|nessuno",
        "light": "minor|low|slight|lieve|leggero",
        "moderate": "medium|moderato|medio",
        "heavy": "severe|major|significant|serious|high|grave|pesante",
        "destroyed": "destruction|total|distrutto",
        "unknown": "unknown|unclear|sconosciuto",
    }
)
# "verified" in a community tracker means the curator found a named source (media or official);
# that is independent reporting, not an official confirmation, so it maps to "reported". Only an
# explicit "official"/"confirmed" says more. "not verified" rows carry no source at all, so they
# are treated as unconfirmed claims.
_CLAIM_SYNONYMS = _table(
    {
        "claimed": "claim|claimed by ukraine|claimed by russia|not verified|unverified|non verificato|unconfirmed"
        "|alleged|заявлено",
        "reported": "report|reports|media report|media reports|news|reported by media|segnalato|verified|verificato",
        "confirmed_by_official": "confirmed|official|officially confirmed|confirmed official|confermato|подтверждено",
        "confirmed_by_imagery": "imagery|satellite|satellite imagery|geolocated|confirmed imagery"
        "|confirmed by satellite|confermato da immagini",
        "disputed": "contested|denied|dispute|contestato|smentito",
        "debunked": "false|fake|hoax|falso",
    }
)


def _lookup(text: str, table: dict[str, str], allowed: tuple[str, ...], what: str) -> str:
    key = lookup_key(text)
    if key in table:
        return table[key]
    singular = key[:-1] if key.endswith("s") else key
    if singular in table:
        return table[singular]
    raise FieldError(f"unknown {what} {text.strip()!r}; expected one of {', '.join(allowed)} (or a common synonym)")


# The parsers differ only in their table, their keyword fallback and their words: one template.
_PARSER_DOC = """{summary}

Parameters
----------
text : str
    The value as written.

Returns
-------
str
    {returns}

Raises
------
FieldError
    {raises}
"""


def _vocabulary_parser(
    name: str,
    table: dict[str, str],
    values: str,
    what: str,
    *,
    summary: str,
    returns: str = "",
    raises: str = "",
    fallback: Callable[[str], str | None] | None = None,
) -> Callable[[str], str]:
    """Build the parser ``name`` onto ``events.vocab.<values>``: ``table`` first, then ``fallback`` on the key."""
    allowed = getattr(vocab, values)

    def parse(text: str) -> str:
        try:
            return _lookup(text, table, allowed, what)
        except FieldError:
            found = fallback(lookup_key(text)) if fallback else None
            if found is None:
                raise
            return found

    parse.__name__ = parse.__qualname__ = name
    parse.__doc__ = _PARSER_DOC.format(
        summary=summary,
        returns=returns or f"One of :data:`events.vocab.{values}`.",
        raises=raises or f"When the value matches no {what} or synonym.",
    )
    return parse


def _attack_by_keyword(key: str) -> str | None:
    if not key:
        return "unknown"
    drone = any(word in key for word in _DRONE_WORDS)
    missile = any(word in key for word in _MISSILE_WORDS)
    if drone and missile:
        return "combined"
    if drone:
        return "drone"
    if missile:
        return "missile"
    if any(word in key for word in _SABOTAGE_WORDS):
        return "sabotage"
    return None


def _effect_by_keyword(key: str) -> str | None:
    for word, effect in (("fire", "fire"), ("incendi", "fire"), ("halt", "shutdown"), ("intercept", "intercepted")):
        if word in key:
            return effect
    return None


parse_attack_type = _vocabulary_parser(
    "parse_attack_type",
    _ATTACK_SYNONYMS,
    "ATTACK_TYPES",
    "attack type",
    summary="Map a reported attack type onto :data:`events.vocab.ATTACK_TYPES`.\n\n"
    "Exact synonyms first (``Drones``, ``UAV``, ``Kalibr``, ``Neptune missiles``...), then\n"
    "keywords: text naming both drones and missiles is ``combined``.",
    returns="One of ``drone``, ``missile``, ``combined``, ``sabotage``, ``unknown``.",
    raises="When no synonym or keyword matches.",
    fallback=_attack_by_keyword,
)
parse_effect = _vocabulary_parser(
    "parse_effect",
    _EFFECT_SYNONYMS,
    "EFFECTS",
    "effect",
    summary="Map a reported effect onto :data:`events.vocab.EFFECTS` (``Fire``, ``fire reported`` → ``fire``).",
    fallback=_effect_by_keyword,
)
parse_facility_type = _vocabulary_parser(
    "parse_facility_type",
    _FACILITY_SYNONYMS,
    "FACILITY_TYPES",
    "facility type",
    summary="Map a facility type onto :data:`events.vocab.FACILITY_TYPES` (``Raffineria`` → ``refinery``).",
)
parse_damage_level = _vocabulary_parser(
    "parse_damage_level",
    _DAMAGE_SYNONYMS,
    "DAMAGE_LEVELS",
    "damage level",
    summary="Map a damage level onto :data:`events.vocab.DAMAGE_LEVELS` (``severe`` → ``heavy``).",
    raises="When the value matches no level or synonym.",
)
parse_claim_status = _vocabulary_parser(
    "parse_claim_status",
    _CLAIM_SYNONYMS,
    "CLAIM_STATUSES",
    "claim status",
    summary="Map a claim/verification status onto :data:`events.vocab.CLAIM_STATUSES`.\n\n"
    "``verified`` → ``reported``; ``confirmed`` → ``confirmed_by_official``; ``not verified``/``unverified`` →\n"
    "``claimed``; ``satellite imagery``/``geolocated`` → ``confirmed_by_imagery``.",
    raises="When the value matches no status or synonym.",
)


_ADMIRALTY = re.compile(r"^([A-Fa-f])?\s*[-/]?\s*([1-6])?$")


def parse_admiralty(text: str) -> tuple[str | None, int | None]:
    """Parse an Admiralty grade: a reliability letter, a credibility digit, or both (``B2``).

    Parameters
    ----------
    text : str
        ``A``-``F``, ``1``-``6`` or a combination such as ``B2``, ``b-2``, ``C/3``.

    Returns
    -------
    tuple of (str or None, int or None)
        Source reliability and information credibility.

    Raises
    ------
    FieldError
        For anything else (e.g. ``G``, ``7``, ``high``).
    """
    m = _ADMIRALTY.match(text.strip())
    if not m or not (m[1] or m[2]):
        raise FieldError("not an Admiralty grade; reliability is A-F, credibility 1-6, or both together such as B2")
    return (m[1].upper() if m[1] else None), (int(m[2]) if m[2] else None)


def _grade_with(text: str, part: int, problem: str) -> tuple[str | None, int | None]:
    """Parse an Admiralty grade that must have its ``part`` (0: reliability, 1: credibility)."""
    grade = parse_admiralty(text)
    if grade[part] is None:
        raise FieldError(problem)
    return grade


def parse_reliability(text: str) -> tuple[str | None, int | None]:
    """Parse the source-reliability cell; a combined grade (``B2``) also yields the credibility.

    Parameters
    ----------
    text : str
        ``A``-``F`` or a combined grade.

    Returns
    -------
    tuple of (str or None, int or None)
        Reliability letter and, for a combined grade, the credibility digit.

    Raises
    ------
    FieldError
        When the cell holds no reliability letter.
    """
    return _grade_with(text, 0, "source reliability must be a letter A-F (or a combined grade such as B2)")


def parse_credibility(text: str) -> int:
    """Parse the information-credibility cell: a digit 1-6 (``B2`` gives 2 as well).

    Parameters
    ----------
    text : str
        ``1``-``6`` or a combined grade.

    Returns
    -------
    int
        The credibility digit.

    Raises
    ------
    FieldError
        When the cell holds no credibility digit.
    """
    return _grade_with(text, 1, "information credibility must be a digit 1-6 (or a combined grade such as B2)")[1]


__all__ = [
    "parse_admiralty",
    "parse_attack_type",
    "parse_claim_status",
    "parse_credibility",
    "parse_damage_level",
    "parse_effect",
    "parse_facility_type",
    "parse_reliability",
]
