"""Checks on input files made before reading them, with the message a user can act on."""

from __future__ import annotations

import codecs
import math
import os
import stat
from pathlib import Path

from events.errors import InputError

#: Codecs that decode bytes to text but are not file encodings (host names, escapes...).
NOT_FILE_ENCODINGS = frozenset({"idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape"})


def check_regular_file(path: str | Path, what: str = "input") -> Path:
    """Make sure ``path`` is an existing, readable regular file.

    Parameters
    ----------
    path : str or Path
    what : str
        How the file is named in messages ("input", "backup"...).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        Missing, a directory, a device (``/dev/zero``), a FIFO or socket, or not readable.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such file (it does not exist)", hint=f"check the path of the {what} file"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory, not a file", hint=f"name the {what} file inside it")
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        raise InputError(
            f"{path}: is a pipe or socket, not a file",
            hint="strikedb reads a file more than once (checksum, then rows): save the stream to a file first",
        )
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: is a device, not a regular file", hint=f"name a regular {what} file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied", hint="check the file's permissions")
    return path


def check_text_encoding(encoding: str) -> str:
    """Return the codec name of ``encoding`` if it can decode a text file.

    Raises
    ------
    InputError
        For an unknown name, or a codec that is not a text encoding of files (``rot13``,
        ``hex``, ``base64``, ``zlib_codec`` turn bytes into bytes or text into text; ``idna``
        and ``punycode`` encode host names).
    """
    hint = "e.g. --encoding utf-8, cp1251, cp1252, latin-1, utf-16"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", hint=hint) from None
    try:
        # Non-text codecs (bytes-to-bytes, str-to-str) refuse the str.encode / bytes.decode pair.
        "".encode(name)
        b"".decode(name)
    except (LookupError, UnicodeError, TypeError):
        raise InputError(f"{encoding!r} is not a text encoding", hint=hint) from None
    if name.replace("-", "_") in NOT_FILE_ENCODINGS:
        raise InputError(f"{encoding!r} is not a text encoding for files", hint=hint)
    return name


def check_finite(value: float, option: str) -> float:
    """Refuse NaN and infinity for a distance option (``--radius-km``, ``--dedup-km``)."""
    if not math.isfinite(value):
        raise InputError(f"{option} must be a finite number of kilometres, not {value}", hint=f"e.g. {option} 3")
    return value
