"""strikedb's cache directory: derived indexes kept between processes as NumPy ``.npz`` files.

Indexes that are slow to build and depend only on installed data (the GeoNames place index, the
grid indexes of the bundled boundaries) are written here once and read by later processes. The
files hold plain arrays only and are read with ``allow_pickle=False``, so a tampered file cannot
run code; each name carries a key of everything it was derived from, so an upgrade writes a new
file (and removes the older one) by itself. Deleting the directory is always safe.

Location: ``$STRIKEDB_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/strikedb``, else
``~/.cache/strikedb``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

#: Environment variable naming the cache directory (overrides the XDG default).
CACHE_ENV_VAR = "STRIKEDB_CACHE_DIR"
#: What reading a damaged or foreign cache file may raise (the caller then rebuilds it).
READ_ERRORS = (OSError, ValueError, KeyError, UnicodeDecodeError, EOFError, zipfile.BadZipFile)


def cache_dir() -> Path:
    """Return the directory for strikedb's caches.

    ``$STRIKEDB_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/strikedb``, else ``~/.cache/strikedb``.

    Raises
    ------
    RuntimeError
        When neither variable is set and the home directory is unknown.
    """
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "strikedb"


def cache_file(stem: str, parts: Iterable[str | bytes]) -> Path | None:
    """Return ``<cache dir>/<stem>-<key>.npz``, the key hashing ``parts``; None without a usable home.

    Parameters
    ----------
    stem : str
        What the file holds, e.g. ``"places-500"`` (files of the same stem and another key are stale).
    parts : iterable of str or bytes
        Everything the content is derived from (data versions, file contents, code).
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    try:
        return cache_dir() / f"{stem}-{digest.hexdigest()[:20]}.npz"
    except RuntimeError:  # no home directory
        return None


def writable(directory: Path) -> bool:
    """Create ``directory`` if needed and tell whether files can be written in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK | os.X_OK)


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> bool:
    """Write ``arrays`` to ``path`` atomically and delete stale versions; False when it cannot be written.

    The file is written under a temporary name in the same directory and renamed into place, so a
    concurrent reader sees either no file or the whole file.
    """
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", suffix=".npz", delete=False) as tmp:
            tmp_name = tmp.name
            np.savez(tmp, **arrays)
        os.replace(tmp_name, path)
    except OSError:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        return False
    _remove_stale(path)
    return True


def _remove_stale(current: Path) -> None:
    """Delete the files of the same stem with another key (each may be tens of MB)."""
    prefix = current.name.rsplit("-", 1)[0] + "-"
    for old in current.parent.glob(f"{prefix}*.npz"):
        if old != current and len(old.name) == len(current.name):
            old.unlink(missing_ok=True)


def read_arrays(path: Path) -> Mapping[str, np.ndarray] | None:
    """Open a cache file (arrays are read when indexed); None when it is missing or not an ``.npz``."""
    try:
        return np.load(path, allow_pickle=False)
    except READ_ERRORS:
        return None


def pack_strings(values: list[str]) -> np.ndarray:
    """Pack strings into one ``uint8`` array (they must not contain U+001F)."""
    # Each value is preceded by the separator, so [] and [""] stay distinct.
    return np.frombuffer("".join("\x1f" + value for value in values).encode("utf-8"), dtype=np.uint8)


def unpack_strings(array: np.ndarray) -> list[str]:
    """Read what :func:`pack_strings` wrote."""
    return array.tobytes().decode("utf-8").split("\x1f")[1:]
