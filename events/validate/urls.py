"""Source URLs: one link, a cell of several, links written without a scheme, and the notes on what was dropped."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from events.validate.fields import FieldError, shown

_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
_URL_SPLIT = re.compile(r"\s*(?:[|;,]\s*|\s+)(?=https?://)|\s*\|\s*|\s+", re.IGNORECASE)


def parse_url(text: str) -> str:
    """Check one source URL: ``http``/``https`` with a host; anything else is rejected.

    Parameters
    ----------
    text : str
        The URL.

    Returns
    -------
    str
        The URL, stripped of surrounding whitespace.

    Raises
    ------
    FieldError
        For other schemes (``javascript:``, ``data:``, ``file:``...), no host, or spaces or
        control characters inside.
    """
    url = text.strip()
    if _URL_FORBIDDEN.search(url):
        raise FieldError("a URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise FieldError(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FieldError("only http:// and https:// URLs are accepted")
    if not parts.hostname:
        raise FieldError("URL has no host name")
    return url


def split_urls(text: str) -> list[str]:
    """Split a cell holding several URLs (separated by whitespace, ``|``, or ``;``/``,`` before a scheme).

    Parameters
    ----------
    text : str
        The cell's text.

    Returns
    -------
    list of str
        The non-empty pieces, not yet validated (see :func:`parse_url`).
    """
    return [piece for piece in _URL_SPLIT.split(text.strip()) if piece]


_LOCAL_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|/|~[/\\]|\.{1,2}[/\\]|file:)", re.IGNORECASE)
# A host name with a real-looking top-level domain, optionally a path: "t.me/channel/123".
_BARE_HOST = re.compile(
    r"^(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


def complete_url(text: str) -> str | None:
    """Add ``https://`` to a link written without a scheme, when that is unambiguous.

    Parameters
    ----------
    text : str
        E.g. ``t.me/RVvoenkor/12877`` or ``www.reuters.com/world``.

    Returns
    -------
    str or None
        ``https://t.me/RVvoenkor/12877``; None when the text is not a bare host name with a
        top-level domain (an e-mail address, a word, a path).
    """
    piece = text.strip()
    if "@" in piece.split("/")[0] or not _BARE_HOST.match(piece):
        return None
    try:
        return parse_url("https://" + piece)
    except FieldError:
        return None


def source_links(text: str) -> tuple[list[str], str | None]:
    """Read one source cell: the usable URLs, and one warning about the rest (None when all is usable).

    A cell that is not a usable link drops only its source, never the event: a placeholder
    sentence ("Access can be requested, hidden for privacy reasons"), a local file path, or a
    link of another scheme. A link without a scheme (``t.me/...``) is completed with
    ``https://`` and said so.

    Parameters
    ----------
    text : str
        The cell.

    Returns
    -------
    tuple
        ``(urls, warning)``.
    """
    pieces = split_urls(text)
    urls: list[str] = []
    completed: list[str] = []
    dropped: list[str] = []
    for piece in pieces:
        try:
            urls.append(parse_url(piece))
            continue
        except FieldError as exc:
            reason = exc.reason
        fixed = None if "://" in piece else complete_url(piece)
        if fixed:
            urls.append(fixed)
            completed.append(f"{piece!r} has no scheme: stored as {fixed!r}")
        elif _LOCAL_PATH.match(piece):
            dropped.append(f"{piece!r} is a local file path, not a public link")
        elif "://" in piece or ":" in piece.split("/")[0]:
            dropped.append(f"{piece!r}: {reason}")
        else:
            dropped.append(piece)
    if not (completed or dropped):
        return urls, None
    notes = list(completed)
    words = [p for p in dropped if not p.startswith("'")]
    if words:
        # Words that are not links: one note for the whole cell, not one per word.
        sentence = " ".join(words)
        notes.append(f"{shown(sentence)!r} is not a link (a note or placeholder, not a URL)")
    notes += [p for p in dropped if p.startswith("'")]
    if dropped:
        notes.append("that source is dropped, the event is kept" if not urls else "the other links are kept")
    return urls, "; ".join(notes)


__all__ = ["complete_url", "parse_url", "source_links", "split_urls"]
