"""Bytes → text lines: opening an input file, choosing its encoding, decoding it incrementally.

UTF-8 with or without BOM is the default; a UTF-16 BOM is honoured; any other encoding needs
``encoding=`` and a decode error names the byte offset and line, with an ``--encoding`` hint.
The file is read in 64 KB chunks, so memory stays flat however long it is.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from events.errors import InputError
from events.readers.inputs import check_text_encoding

CHUNK_BYTES = 64 * 1024
SNIFF_BYTES = 64 * 1024
#: Largest field accepted (csv.field_size_limit is raised to this, never further).
FIELD_LIMIT = 16 * 1024 * 1024
#: A physical line longer than this means the file is not line-oriented text.
MAX_LINE_CHARS = 2 * FIELD_LIMIT

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")


#: Suffixes of the one file of a ZIP archive that is read in its place (a dataset downloaded zipped,
#: as UCDP ships GED).
ARCHIVED_SUFFIXES = (".csv", ".tsv", ".txt", ".geojson", ".json")


def open_binary(path: Path) -> BinaryIO:
    """Open a file for binary reading; a missing file, a directory or an OS error is an InputError.

    A ZIP archive that holds one CSV or GeoJSON file (besides folders and macOS ``__MACOSX``
    entries) is read as that file. Any other archive (an ``.xlsx`` workbook, several files) is
    opened as it is, and the reader refuses it with a hint.
    """
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not stream.seekable():  # a pipe: read as it comes, never as an archive
        return stream
    if stream.read(4) != b"PK\x03\x04":
        stream.seek(0)
        return stream
    stream.seek(0)
    member = _archived_file(path)
    if member is None:
        return stream
    stream.close()
    return member


def _archived_file(path: Path) -> BinaryIO | None:
    """The one CSV or GeoJSON file of a ZIP archive, opened (see :func:`open_binary`), or None."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return None
    with archive:  # the member keeps the file open until it is closed itself
        names = [i.filename for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
        if len(names) != 1 or not names[0].lower().endswith(ARCHIVED_SUFFIXES):
            return None
        try:
            return archive.open(names[0])  # type: ignore[return-value]
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            raise InputError(f"{path}: {names[0]} cannot be read from the archive ({exc})") from None


def _check_encoding_name(encoding: str) -> str:
    return check_text_encoding(encoding)


def choose_encoding(path: Path, head: bytes, encoding: str | None) -> str:
    """Pick the decoder: the user's choice, a BOM's, or UTF-8 (BOM optional)."""
    if encoding:
        name = _check_encoding_name(encoding)
        return "utf-8-sig" if name == "utf-8" else encoding
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a ZIP archive (an .xlsx workbook, or several files), not a CSV file",
            hint="export the sheet as 'CSV UTF-8 (comma delimited)', or unzip the archive and ingest its files",
        )
    if head.count(b"\x00") > max(8, len(head) // 10):
        raise InputError(
            f"{path}: looks like a binary file or UTF-16 without BOM (many NUL bytes)",
            hint="save it as CSV UTF-8, or pass --encoding utf-16-le",
        )
    return "utf-8-sig"


def _decode_error(path: Path, encoding: str, byte_offset: int, exc: UnicodeDecodeError) -> InputError:
    line = 1
    with open_binary(path) as stream:
        remaining = byte_offset
        while remaining > 0:
            block = stream.read(min(CHUNK_BYTES, remaining))
            if not block:
                break
            line += block.count(b"\n")
            remaining -= len(block)
    bad = exc.object[exc.start : exc.start + 4].hex(" ")
    shown_encoding = "UTF-8" if encoding.replace("_", "-").lower().startswith("utf-8") else encoding
    cyrillic = "--encoding cp1251 (Cyrillic Windows)"
    western = "--encoding cp1252 (Western Windows)"
    first, second = (
        (cyrillic, western) if _looks_cyrillic(exc.object[exc.start : exc.start + 200]) else (western, cyrillic)
    )
    return InputError(
        f"{path}: not valid {shown_encoding} at byte {byte_offset} (line {line}): bytes {bad}",
        hint=f"pass the file's encoding, e.g. {first}, {second} or --encoding latin-1; or re-save it as UTF-8",
    )


def _looks_cyrillic(sample: bytes) -> bool:
    """Guess whether undecodable bytes are single-byte Cyrillic: words are runs of high bytes.

    In cp1251 every Cyrillic letter is 0xC0-0xFF, so words are runs of them; accented Latin
    letters (cp1252, latin-1) come one at a time among ASCII letters.
    """
    return re.search(rb"[\xc0-\xff]{3,}", sample) is not None


def iter_physical_lines(path: Path, stream: BinaryIO, encoding: str) -> Iterator[str]:
    """Decode a byte stream incrementally and yield physical lines with their terminators.

    Lines end at ``\\r\\n``, ``\\n`` or a lone ``\\r`` (the same rule the csv module uses); the
    last line may have no terminator.

    Parameters
    ----------
    path : Path
        Used in error messages.
    stream : binary file
        Positioned at the start of the data.
    encoding : str
        A Python codec name.

    Yields
    ------
    str
        One physical line.

    Raises
    ------
    InputError
        On a decode error (with byte offset, line and an ``--encoding`` hint) or a line longer
        than :data:`MAX_LINE_CHARS`.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    # The unfinished last line is kept as a list of pieces and joined once its terminator arrives:
    # appending to one string, or regex-scanning its tail on every chunk, is quadratic on long lines.
    tail: list[str] = []
    tail_chars = 0
    held_cr = False
    consumed = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        final = not chunk
        buffered = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise _decode_error(path, encoding, consumed - buffered + exc.start, exc) from None
        except UnicodeError as exc:  # e.g. "UTF-16 stream does not start with BOM": no offset to show
            raise InputError(
                f"{path}: cannot be decoded as {encoding} ({exc})",
                hint="check --encoding: utf-16 needs a BOM, otherwise name the byte order (utf-16-le)",
            ) from None
        consumed += len(chunk)
        if held_cr:
            text, held_cr = "\r" + text, False
        if not final and text.endswith("\r"):
            # A chunk may end between "\r" and "\n": hold the "\r" back until the next chunk.
            text, held_cr = text[:-1], True
        last_break = max(text.rfind("\n"), text.rfind("\r")) + 1
        if last_break:
            complete = "".join(tail) + text[:last_break]
            yield from (m.group() for m in _LINE.finditer(complete))
            rest = text[last_break:]
            tail, tail_chars = ([rest] if rest else []), len(rest)
        elif text:
            tail.append(text)
            tail_chars += len(text)
        if tail_chars > MAX_LINE_CHARS:
            raise InputError(
                f"{path}: a line is longer than {MAX_LINE_CHARS // (1024 * 1024)} M characters; is this a CSV file?"
            )
        if final:
            if tail:
                yield "".join(tail)
            return
