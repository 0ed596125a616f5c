"""The publisher registry: who published a source, what kind of publisher it is, how reliable.

Real event files rarely grade their sources; they do name them, by URL (``reuters.com``,
``t.me/vvgladkov``) or by name (ACLED's ``source``, UCDP's ``source_office``). The registry maps
those to a publisher with

* a **name** (``Reuters``, ``Belgorod oblast governor (V. Gladkov)``),
* a **kind** (:data:`events.vocab.PUBLISHER_KINDS`: official, wire, national_media,
  regional_media, osint, military_blogger, aggregator, imagery, unknown),
* for official publishers, the **party** it speaks for (``RU``, ``UA``; empty for a monitor such as
  the OSCE or the IAEA) and its **voice** (``military``: forces that strike and report
  interceptions; ``civil``: an authority or operator reporting strikes on its ground),
* a **network** (an owner or group: the channels of one blogger network, the outlets of one
  state holding count as one publisher for corroboration),
* a default Admiralty **source reliability** (A-F) with a one-line justification.

The bundled registry is ``events/data/publishers.csv`` (edit it, or regrade a publisher in a
database with ``strikedb publishers set``). Lookups are pure: this module reads no database.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from events import vocab
from events.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Connection

#: Columns of the registry file, in order.
REGISTRY_COLUMNS: tuple[str, ...] = (
    "key",
    "name",
    "kind",
    "party",
    "voice",
    "network",
    "reliability",
    "aliases",
    "justification",
)
#: The fields a :class:`Publisher` shares unchanged with its ``publishers`` table row and its listing.
PLAIN_FIELDS: tuple[str, ...] = REGISTRY_COLUMNS[:6]
#: Parties an official publisher may speak for (ISO 3166-1 alpha-2 of the state or authority).
PARTY_PATTERN = re.compile(r"^[A-Z]{2}$")

# Hosts whose first path segment names the account (t.me/<channel>, x.com/<account>...).
_SOCIAL_HOSTS = {
    "t.me": "t.me",
    "telegram.me": "t.me",
    "telegram.dog": "t.me",
    "x.com": "x.com",
    "twitter.com": "x.com",
    "mobile.twitter.com": "x.com",
    "nitter.net": "x.com",
    "facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "instagram.com": "instagram.com",
    "youtube.com": "youtube.com",
    "tiktok.com": "tiktok.com",
    "vk.com": "vk.com",
    "ok.ru": "ok.ru",
    "threads.net": "threads.net",
    "bsky.app": "bsky.app",
    "rumble.com": "rumble.com",
}
# Path segments that are not an account name (a video page, a share link, a Telegram preview).
_NOT_AN_ACCOUNT = {
    "s",
    "share",
    "watch",
    "shorts",
    "embed",
    "live",
    "video",
    "videos",
    "i",
    "intent",
    "hashtag",
    "search",
    "home",
    "profile.php",
    "permalink.php",
    "story.php",
    "photo.php",
    "groups",
    "wall",
    "video-",
    "joinchat",
    "c",
    "channel",
    "user",
    "profile",
}
# Host and path of a URL (a regular expression: urlsplit was a visible share of the ingest cost).
_URL_PARTS = re.compile(r"^[^:/?#]*://(?:[^@/?#]*@)?(?P<host>\[[^\]]*\]|[^:/?#]*)(?::[^/?#]*)?(?P<path>[^?#]*)")
# Second-level labels under which registrations happen (bbc.co.uk, pravda.com.ua, rk.gov.ru).
_PUBLIC_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "in", "or", "ne", "go", "mil", "info", "biz"}


@dataclass(frozen=True)
class Publisher:
    """One publisher of the registry (or an unknown one, ``known`` False)."""

    #: Domain (``reuters.com``), social account (``t.me/mod_russia``) or ``name:<name>``.
    key: str
    name: str
    kind: str = "unknown"
    #: For official publishers: the party it speaks for (``RU``, ``UA``); None for others.
    party: str | None = None
    #: For official publishers: ``military`` or ``civil``.
    voice: str | None = None
    #: Owner or group; publishers of one network count once for corroboration.
    network: str | None = None
    #: Default Admiralty source reliability (A-F); None = F, cannot be judged.
    reliability: str | None = None
    #: Other keys (domains, accounts) and names that mean this publisher.
    aliases: tuple[str, ...] = ()
    justification: str = ""
    #: ``bundled`` (from the registry file) or ``analyst`` (regraded in the database).
    origin: str = "bundled"
    known: bool = True

    @property
    def group(self) -> str:
        """The identity used to count independent publishers: the network, else the key."""
        return self.network or self.key

    @property
    def grade(self) -> str:
        """The reliability letter, ``F`` when not graded."""
        return self.reliability or "F"


@lru_cache(maxsize=1 << 14)
def normalize_name(name: str) -> str:
    """Return a publisher name folded for matching: lower case, no accents, single spaces.

    >>> normalize_name("  Ukrinform: news ")
    'ukrinform news'
    >>> normalize_name("Agence France-Presse")
    'agence france presse'
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[\s\-_:;,.'\"«»()]+", " ", text)
    return text.strip()


def _registrable(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _PUBLIC_SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def url_keys(url: str) -> list[str]:
    """Return the registry keys a URL may be filed under, most specific first.

    A social account gives ``host/account`` (then the bare host); other URLs give the host
    without ``www.``, each parent domain, and the registrable domain.

    >>> url_keys("https://t.me/s/Mod_Russia/4411")
    ['t.me/mod_russia', 't.me']
    >>> url_keys("https://twitter.com/GeoConfirmed/status/1")
    ['x.com/geoconfirmed', 'x.com']
    >>> url_keys("https://www.news.sky.com/story/x")
    ['news.sky.com', 'sky.com']
    >>> url_keys("https://www.youtube.com/watch?v=abc")
    ['youtube.com']
    """
    text = url.strip()
    match = _URL_PARTS.match(text if "://" in text else "http://" + text)
    if match is not None:
        host, path = match["host"].lower().rstrip("."), match["path"]
    else:  # pragma: no cover - the pattern matches any text after a scheme
        parts = urlsplit(text if "://" in text else "http://" + text)
        try:
            host, path = (parts.hostname or "").lower().rstrip("."), parts.path
        except ValueError:
            return []
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix) and host[len(prefix) :] in _SOCIAL_HOSTS:
            host = host[len(prefix) :]
    if host.startswith("www."):
        host = host[4:]
    if not host:
        return []
    social = _SOCIAL_HOSTS.get(host)
    if social is not None:
        segments = [s for s in path.split("/") if s]
        while segments and segments[0].lower() in ("s", "c") and social == "t.me":
            segments = segments[1:]
        if (
            social == "youtube.com"
            and segments
            and segments[0].lower() in ("c", "channel", "user")
            and len(segments) > 1
        ):
            segments = segments[1:]
        if segments and segments[0].lower() not in _NOT_AN_ACCOUNT:
            return [f"{social}/{segments[0].lower()}", social]
        return [social]
    keys = []
    labels = host.split(".")
    registrable = _registrable(host)
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        keys.append(candidate)
        if candidate == registrable:
            break
    return keys or [host]


class Registry:
    """Publishers by key and by alias, with lookups from a URL or a name.

    Parameters
    ----------
    entries : iterable of Publisher
    """

    def __init__(self, entries: Iterable[Publisher]) -> None:
        self.by_key: dict[str, Publisher] = {}
        self._by_alias: dict[str, Publisher] = {}
        self._by_name: dict[str, Publisher] = {}
        # Each source is looked up when it is read and again when its event is graded.
        self._find_url = lru_cache(maxsize=1 << 16)(self._find_url_uncached)
        self._unknown_url = lru_cache(maxsize=1 << 16)(self._unknown_url_uncached)
        for entry in entries:
            self.by_key[entry.key] = entry
        for entry in self.by_key.values():
            if not entry.key.startswith("name:"):
                self._by_name.setdefault(normalize_name(entry.name), entry)
            else:
                self._by_name.setdefault(entry.key[5:], entry)
            for alias in entry.aliases:
                if _is_key(alias):
                    self._by_alias.setdefault(alias.lower(), entry)
                else:
                    self._by_name.setdefault(normalize_name(alias), entry)

    def __len__(self) -> int:
        return len(self.by_key)

    def __iter__(self) -> Iterator[Publisher]:
        return iter(self.by_key.values())

    def get(self, key: str) -> Publisher | None:
        """Return the publisher filed under ``key`` (or one of its key aliases), or None."""
        key = key.strip().lower()
        return self.by_key.get(key) or self._by_alias.get(key)

    def find(self, url: str | None, name: str | None = None) -> Publisher | None:
        """Return the known publisher of a source from its URL, else its name; None if unknown."""
        if url and url.strip():
            found = self._find_url(url)
            if found is not None:
                return found
        if name and name.strip():
            return self._by_name.get(normalize_name(name)) or self.get(name)
        return None

    def _find_url_uncached(self, url: str) -> Publisher | None:
        keys = url_keys(url)
        if keys and "/" in keys[0]:
            # A named account: the platform's own entry is only for links that name none.
            keys = keys[:1]
        for key in keys:
            found = self.by_key.get(key) or self._by_alias.get(key)
            if found is not None:
                return found
        return None

    def identify(self, url: str | None, name: str | None = None) -> Publisher | None:
        """Return the publisher of a source; an unknown one is named after its domain or account.

        Returns None only when the source has neither a URL nor a name.
        """
        found = self.find(url, name)
        if found is not None:
            return found
        if url and url.strip():
            return self._unknown_url(url)
        if name and name.strip():
            folded = normalize_name(name)
            if folded:
                return Publisher(key="name:" + folded, name=name.strip()[:300], known=False)
        return None

    def _unknown_url_uncached(self, url: str) -> Publisher | None:
        keys = url_keys(url)
        if not keys:
            return None
        key = keys[0] if "/" in keys[0] else keys[-1]
        return Publisher(key=key, name=key, known=False)


def _is_key(alias: str) -> bool:
    """Aliases with a dot or a slash and no space are domains or accounts; others are names."""
    return (("." in alias) or ("/" in alias)) and " " not in alias.strip()


def bundled_path() -> Path:
    """Return the path of the bundled registry file (``events/data/publishers.csv``)."""
    return Path(str(files("events") / "data" / "publishers.csv"))


def read_registry_file(path: str | Path) -> list[Publisher]:
    """Read and check a registry CSV (the columns of :data:`REGISTRY_COLUMNS`).

    Raises
    ------
    InputError
        For a missing column, an unknown kind, voice or grade, a bad party code or a repeated key,
        naming the line.
    """
    path = Path(path)
    entries: list[Publisher] = []
    seen: dict[str, int] = {}
    for line, row in checked_rows(path, REGISTRY_COLUMNS):
        entry = _entry(path, line, row)
        if entry.key in seen:
            raise InputError(f"{path}:{line}: key {entry.key!r} repeats line {seen[entry.key]}")
        seen[entry.key] = line
        entries.append(entry)
    return entries


def checked_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, row)`` of a bundled CSV table that has all ``columns``.

    Raises
    ------
    InputError
        When a column is missing.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, row


def _entry(path: Path, line: int, row: dict[str, str]) -> Publisher:
    def cell(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    def fail(reason: str) -> InputError:
        return InputError(f"{path}:{line}: {reason}")

    key, name = cell("key"), cell("name")
    if not key or not name:
        raise fail("key and name are required")
    kind = cell("kind") or "unknown"
    if kind not in vocab.PUBLISHER_KINDS:
        raise fail(f"kind {kind!r} is not one of {', '.join(vocab.PUBLISHER_KINDS)}")
    party, voice = cell("party"), cell("voice")
    if party is not None and not PARTY_PATTERN.match(party):
        raise fail(f"party {party!r} is not a two-letter country code")
    if voice is not None and voice not in vocab.PUBLISHER_VOICES:
        raise fail(f"voice {voice!r} is not one of {', '.join(vocab.PUBLISHER_VOICES)}")
    reliability = cell("reliability")
    if reliability is not None and reliability not in vocab.SOURCE_RELIABILITIES:
        raise fail(f"reliability {reliability!r} is not an Admiralty grade A-F")
    aliases = tuple(a.strip() for a in (cell("aliases") or "").split("|") if a.strip())
    return Publisher(
        key=key.lower(),
        name=name,
        kind=kind,
        party=party,
        voice=voice,
        network=cell("network"),
        reliability=reliability,
        aliases=aliases,
        justification=cell("justification") or "",
    )


@lru_cache(maxsize=1)
def bundled_registry() -> Registry:
    """Return the registry of the bundled file (read once per process)."""
    return Registry(read_registry_file(bundled_path()))


def regraded(entry: Publisher, **changes: str | None) -> Publisher:
    """Return a copy of ``entry`` with ``changes`` applied, marked as an analyst's grading."""
    return replace(entry, origin="analyst", known=True, **changes)


def entry_from_row(row: Any) -> Publisher:
    """Build a :class:`Publisher` from a ``publishers`` table row (a mapping)."""
    aliases = tuple(a for a in (row["aliases"] or "").split("|") if a)
    return Publisher(
        **{name: row[name] for name in PLAIN_FIELDS},
        reliability=row["reliability"],
        aliases=aliases,
        justification=row["justification"] or "",
        origin=row["origin"],
    )


def plain_fields(entry: Publisher) -> dict[str, Any]:
    """Return the :data:`PLAIN_FIELDS` of an entry, in order, as they are."""
    return {name: getattr(entry, name) for name in PLAIN_FIELDS}


def row_from_entry(entry: Publisher) -> dict[str, Any]:
    """Return the ``publishers`` table values of an entry (without id and timestamps)."""
    return {
        **plain_fields(entry),
        "reliability": entry.reliability,
        "aliases": "|".join(entry.aliases) or None,
        "justification": entry.justification or None,
        "origin": entry.origin,
    }


def load_registry(conn: Connection) -> Registry:
    """Return the registry in force for a database: the bundled file, overridden by its analysts.

    Rows an analyst regraded (``origin = 'analyst'``) and publishers the bundled file does not
    know win over the bundled entries; the database's copies of bundled entries are only a
    mirror for SQL (the current bundled file is the truth for them).
    """
    from sqlalchemy import inspect, select

    from events.models import PublisherRecord

    bundled = bundled_registry()
    if not inspect(conn).has_table(PublisherRecord.__tablename__):
        return bundled
    table = PublisherRecord.__table__
    overrides = [
        entry_from_row(row)
        for row in conn.execute(select(table)).mappings()
        if row["origin"] == "analyst" or row["key"] not in bundled.by_key
    ]
    if not overrides:
        return bundled
    merged = dict(bundled.by_key)
    merged.update({entry.key: entry for entry in overrides})
    return Registry(merged.values())
