"""Coverage-guided fuzzing of the CSV/ACLED/UCDP/GeoJSON readers and the cell validators (atheris).

Run by hand, not in CI (the hypothesis tests in ``tests/readers/test_fuzz.py`` run there)::

    pip install -e '.[fuzz]'                 # atheris: a 35 MB manylinux wheel for CPython 3.11
    python bench/fuzz_atheris.py -max_total_time=300 [corpus_dir]

Arguments after the script are libFuzzer's (``-max_total_time``, ``-runs``, ``-jobs``...). A
directory argument is used as (and grows into) a corpus; ``tests/data/hostile`` is a good seed.
The contract checked is the one of the test suite: a reader raises only ``InputError``, a
validator returns a value or raises ``FieldError``. Anything else is a crash: libFuzzer stops and
writes the input to ``crash-<sha1>`` in the current directory; reproduce it with
``python bench/fuzz_atheris.py crash-<sha1>``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from events import validate
    from events.errors import InputError
    from events.readers import read_events

FORMATS = ("csv", "acled", "ucdp", "geojson")
ENCODINGS = (None, "latin-1", "utf-16", "cp1251", "utf-8")
VALIDATORS = (
    lambda t: validate.parse_date(t),
    validate.parse_time,
    lambda t: validate.parse_coordinate(t, "latitude"),
    lambda t: validate.parse_coordinate(t, "longitude"),
    validate.parse_attack_type,
    validate.parse_effect,
    validate.parse_facility_type,
    validate.parse_damage_level,
    validate.parse_claim_status,
    validate.parse_admiralty,
    validate.parse_country,
    validate.parse_url,
    validate.parse_int,
    validate.split_urls,
)
#: One scratch file, rewritten for every input (creating a file per input would dominate the time).
SCRATCH = Path(tempfile.mkdtemp(prefix="strikedb-fuzz-")) / "input"


def fuzz_reader(fdp: atheris.FuzzedDataProvider) -> None:
    """Feed the remaining bytes to a reader as a file; only InputError may escape."""
    fmt = FORMATS[fdp.ConsumeIntInRange(0, len(FORMATS) - 1)]
    encoding = ENCODINGS[fdp.ConsumeIntInRange(0, len(ENCODINGS) - 1)]
    SCRATCH.write_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()))
    options = {} if fmt == "geojson" else {"encoding": encoding}
    try:
        for record in read_events(SCRATCH, fmt=fmt, **options):
            assert record.line_number >= 1
    except InputError:
        pass


def fuzz_validator(fdp: atheris.FuzzedDataProvider) -> None:
    """Feed text to one validator; only FieldError may escape."""
    validator = VALIDATORS[fdp.ConsumeIntInRange(0, len(VALIDATORS) - 1)]
    with contextlib.suppress(validate.FieldError):
        validator(fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()))


def test_one_input(data: bytes) -> None:
    """libFuzzer entry point: the first byte chooses between a reader and a validator."""
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        fuzz_reader(fdp)
    else:
        fuzz_validator(fdp)


def main() -> None:
    os.environ.setdefault("STRIKEDB_URL", "sqlite:///:memory:")  # never touch a real database
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
