"""Who speaks behind an outlet: the voice a dataset names (UCDP ``source_original``, ACLED ``source``).

UCDP GED names, besides the outlet (``source_office``, "Ukrinform"), the party actually speaking
(``source_original``: "Ukrinform - the General Staff of the Armed Forces of Ukraine", "official
representative of the Russian Defense Ministry", "local residents"); ACLED lists such speakers
among its sources ("Ukrainska Pravda; Ministry of Defence of Ukraine"). This module reads that
text with one table, the bundled ``events/data/speakers.csv`` (documented in
``docs/confidence.md``, "The voice behind an outlet"):

* ``party`` rows name a party's official voice and the registry publisher it is
  (``ukrainian air force`` → ``t.me/kpszsu``);
* ``official`` rows name an office either side has (``general staff``, ``governor``): the side
  comes from a ``side`` row in the same text (``ukrinform``, ``russia*``), else, for a civil
  office, from the side hit; ``publisher`` holds the Ukrainian and the Russian key;
* ``independent`` rows name voices that are no party (residents, journalists, NGOs, the UN).

Phrases are matched as whole words on the folded text (:func:`events.publishers.normalize_name`);
a trailing ``*`` matches any ending (``ukrain*``). Longer phrases win over the shorter ones they
contain. Everything here is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from events.errors import InputError
from events.publishers import Publisher, Registry, checked_rows, normalize_name

#: Columns of the speaker table, in order.
SPEAKER_COLUMNS: tuple[str, ...] = ("phrase", "speaker", "party", "publisher", "note")
#: What a row of the table names.
SPEAKER_KINDS: tuple[str, ...] = ("party", "official", "side", "independent")
#: The parties the table knows, in the order of an ``official`` row's ``publisher`` keys.
PARTIES: tuple[str, ...] = ("UA", "RU")


@dataclass(frozen=True)
class SpeakerRule:
    """One row of the speaker table."""

    phrase: str
    speaker: str
    #: ``UA`` or ``RU``; ``either`` for an ``official`` row; None for ``independent``.
    party: str | None
    #: Registry key(s): one for a ``party`` row, ``UA key|RU key`` for an ``official`` row.
    publishers: tuple[str, ...]


@dataclass(frozen=True)
class Voices:
    """What a speaker text says: the parties' publishers speaking, and the independent voices."""

    parties: tuple[Publisher, ...] = ()
    independent: tuple[str, ...] = ()
    #: The phrases that matched, for the reasons shown by ``strikedb events show``.
    phrases: tuple[str, ...] = ()


class SpeakerTable:
    """The speaker table with its matchers (one regular expression per role).

    Parameters
    ----------
    rules : iterable of SpeakerRule
    """

    def __init__(self, rules: list[SpeakerRule]) -> None:
        self.rules = rules
        self._by_phrase = {r.phrase: r for r in rules}
        self._voice = _matcher([r for r in rules if r.speaker != "side"])
        self._side = _matcher([r for r in rules if r.speaker == "side"])

    def voices(self, text: str | None, registry: Registry, sides: frozenset[str] = frozenset()) -> Voices:
        """Read a speaker text: which parties' publishers speak in it, which independent voices.

        Parameters
        ----------
        text : str or None
            ``source_original`` or a source's name.
        registry : Registry
            Resolves the table's publisher keys (grade, party, voice, network).
        sides : frozenset of str
            The side hit (:func:`events.grading.struck_sides`): the side of an unqualified civil office.

        Examples
        --------
        >>> from events.publishers import bundled_registry
        >>> table, registry = bundled_speakers(), bundled_registry()
        >>> [p.key for p in table.voices("Ukrinform - the General Staff", registry).parties]
        ['t.me/generalstaffzsu']
        >>> table.voices("local residents", registry).independent
        ('resident*',)
        """
        folded = normalize_name(text or "")
        if not folded:
            return Voices()
        qualified = {self._by_phrase[phrase].party for phrase in _phrases(self._side, folded)}
        parties: list[Publisher] = []
        independent: list[str] = []
        phrases: list[str] = []
        for phrase in _phrases(self._voice, folded):
            rule = self._by_phrase[phrase]
            if rule.speaker == "independent":
                independent.append(rule.phrase)
                phrases.append(rule.phrase)
                continue
            publisher = _resolve(rule, qualified, sides, registry)
            if publisher is not None and publisher not in parties:
                parties.append(publisher)
                phrases.append(rule.phrase)
        return Voices(tuple(parties), tuple(independent), tuple(phrases))


_Matcher = tuple[re.Pattern[str], dict[str, str]]


def _phrases(matcher: _Matcher | None, folded: str) -> list[str]:
    """The table phrases found in a folded text, left to right."""
    if matcher is None:
        return []
    pattern, names = matcher
    return [names[m.lastgroup] for m in pattern.finditer(folded) if m.lastgroup]


def _matcher(rules: list[SpeakerRule]) -> _Matcher | None:
    """One alternation of whole-word phrases, longest first (so a phrase wins over its parts)."""
    if not rules:
        return None
    ordered = sorted(rules, key=lambda r: len(r.phrase), reverse=True)
    parts, names = [], {}
    for i, rule in enumerate(ordered):
        body = re.escape(rule.phrase.rstrip("*")) + (r"\w*" if rule.phrase.endswith("*") else "")
        parts.append(f"(?P<p{i}>{body})")
        names[f"p{i}"] = rule.phrase
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)"), names


def _resolve(
    rule: SpeakerRule, qualified: set[str | None], sides: frozenset[str], registry: Registry
) -> Publisher | None:
    if rule.speaker == "party":
        return registry.get(rule.publishers[0])
    # An office either side has: the side the text names, else (a civil office) the side hit.
    named = qualified & set(PARTIES)
    if len(named) == 1:
        party = next(iter(named))
    else:
        candidates = [registry.get(key) for key in rule.publishers]
        civil = all(c is not None and c.voice == "civil" for c in candidates)
        hit = sides & set(PARTIES)
        if named or not civil or len(hit) != 1:
            return None
        party = next(iter(hit))
    return registry.get(rule.publishers[PARTIES.index(party)])


def bundled_speakers_path() -> Path:
    """Return the path of the bundled speaker table (``events/data/speakers.csv``)."""
    return Path(str(files("events") / "data" / "speakers.csv"))


def read_speaker_table(path: str | Path, registry: Registry) -> SpeakerTable:
    """Read and check a speaker table (the columns of :data:`SPEAKER_COLUMNS`).

    Raises
    ------
    InputError
        For a missing column, an unknown speaker kind or party, a publisher key the registry does
        not know, or a repeated phrase, naming the line.
    """
    path = Path(path)
    rules: list[SpeakerRule] = []
    seen: set[str] = set()
    for line, row in checked_rows(path, SPEAKER_COLUMNS):
        rule = _rule(row, registry, f"{path}:{line}")
        if rule.phrase in seen:
            raise InputError(f"{path}:{line}: phrase {rule.phrase!r} repeats")
        seen.add(rule.phrase)
        rules.append(rule)
    return SpeakerTable(rules)


def _rule(row: dict[str, str], registry: Registry, where: str) -> SpeakerRule:
    raw = (row.get("phrase") or "").strip()
    phrase = normalize_name(raw.rstrip("*")) + ("*" if raw.endswith("*") else "")
    speaker = (row.get("speaker") or "").strip()
    party = (row.get("party") or "").strip() or None
    keys = tuple(k.strip().lower() for k in (row.get("publisher") or "").split("|") if k.strip())
    if not phrase.rstrip("*"):
        raise InputError(f"{where}: phrase is required")
    if speaker not in SPEAKER_KINDS:
        raise InputError(f"{where}: speaker {speaker!r} is not one of {', '.join(SPEAKER_KINDS)}")
    expected = {"party": (PARTIES, 1), "official": (("either",), len(PARTIES)), "side": (PARTIES, 0)}
    if speaker in expected:
        parties, n_keys = expected[speaker]
        if party not in parties or len(keys) != n_keys:
            raise InputError(f"{where}: a {speaker} row needs party {'/'.join(parties)} and {n_keys} publisher key(s)")
    unknown = [k for k in keys if registry.get(k) is None]
    if unknown:
        raise InputError(f"{where}: publisher {', '.join(unknown)} is not in the registry")
    return SpeakerRule(phrase, speaker, party, keys)


@lru_cache(maxsize=1)
def bundled_speakers() -> SpeakerTable:
    """Return the bundled speaker table, resolved against the bundled registry (read once)."""
    from events.publishers import bundled_registry

    return read_speaker_table(bundled_speakers_path(), bundled_registry())
