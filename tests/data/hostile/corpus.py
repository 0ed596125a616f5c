"""The hostile-input corpus: every case, how its file is made, and the outcome strikedb must give.

Small files are committed next to this module and must equal what :func:`build` writes
(``tests/reliability/test_hostile.py`` checks it, so the files, this list and ``README.md`` cannot drift).
Big files (10 MB field, 100,000 columns, a 5 MB line) are generated at test time only.

Regenerate the committed files (and the case table of ``docs/reliability.md``) after a change::

    python tests/data/hostile/corpus.py
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Columns of a native strikedb CSV used by the cases (see docs/csv-format.md).
HEADER = [
    "date",
    "latitude",
    "longitude",
    "location",
    "facility",
    "facility_type",
    "country",
    "attack_type",
    "effect",
    "claim_status",
    "description",
    "source_url",
    "source_title",
    "publisher",
]


def _row(**overrides: str) -> list[str]:
    """A valid row (Kirishi refinery, drone strike), with some cells replaced."""
    values = {
        "date": "2025-08-14",
        "latitude": "59.4460",
        "longitude": "32.0300",
        "location": "Kirishi, Leningrad oblast",
        "facility": "Kirishi refinery",
        "facility_type": "refinery",
        "country": "RU",
        "attack_type": "drone",
        "effect": "fire",
        "claim_status": "reported",
        "description": "Drone strike reported on the refinery",
        "source_url": "https://example.org/kirishi",
        "source_title": "Report",
        "publisher": "Example News",
    }
    unknown = set(overrides) - set(values)
    if unknown:
        raise KeyError(f"unknown columns {unknown}")
    values.update(overrides)
    return [values[c] for c in HEADER]


def _cell(text: str) -> str:
    """Quote a cell the way a spreadsheet would (RFC 4180)."""
    if any(ch in text for ch in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _line(row: list[str]) -> str:
    return ",".join(_cell(c) for c in row)


def _csv(rows: list[list[str]], *, header: list[str] | None = None, newline: str = "\n") -> str:
    lines = [",".join(_cell(c) for c in (header or HEADER))]
    lines += [",".join(_cell(c) for c in row) for row in rows]
    return newline.join(lines) + newline


def _dated(i: int, **overrides: str) -> list[str]:
    """A valid row with a distinct date and point, so rows never merge as duplicates.

    The points lie in European Russia, the country every row states.
    """
    base = {"date": f"2025-0{1 + i % 9}-{10 + i}", "latitude": f"{55 + i * 0.37:.4f}"}
    base["longitude"] = f"{37 + i * 0.41:.4f}"
    base["description"] = f"Strike number {i}"
    base["source_url"] = f"https://example.org/report/{i}"
    base.update(overrides)
    return _row(**base)


# ---------------------------------------------------------------------------------------------
# Case builders: each returns the file's bytes.
# ---------------------------------------------------------------------------------------------

CYRILLIC_ROWS = [
    _dated(0, location="Кириши, Ленинградская область", facility="КИНЕФ", description="Пожар на НПЗ"),
    _dated(1, location="Рязань", facility="Рязанский НПЗ", description="Атака беспилотников"),
]
ITALIAN_ROWS = [
    _dated(0, location="Città di Tuapse, Krasnodar", description="Attacco con droni: è scoppiato un incendio"),
    _dated(1, location="Volgograd, località Krasnoarmeysky", description="Raffineria colpita, più incendi"),
]


def utf16() -> bytes:
    return _csv(CYRILLIC_ROWS).encode("utf-16")  # with BOM, little-endian on this machine


def cp1251() -> bytes:
    return _csv(CYRILLIC_ROWS).encode("cp1251")


def latin1() -> bytes:
    return _csv(ITALIAN_ROWS).encode("latin-1")


def invalid_utf8() -> bytes:
    good = _csv([_dated(0), _dated(2)]).encode()
    bad_row = _line(_dated(1)).encode().replace(b"Strike number 1", b"Strike \xff\xfe\xc3( number 1 \xed\xa0\x80")
    return good + bad_row + b"\n"


def nul_bytes() -> bytes:
    rows = _csv([_dated(0, description="before\x00after"), _dated(1)]).encode()
    return rows + b"\x00\x00\x00\n" + _line(_dated(2)).encode() + b"\n"


#: Placeholder for a cell written without CSV quoting (to break the quoting on purpose).
RAW = "@@raw@@"


def unbalanced_quotes() -> bytes:
    rows = [_line(_dated(0)), _line(_dated(1, description=RAW)).replace(RAW, '"never closed'), _line(_dated(2))]
    return (",".join(HEADER) + "\n" + "\n".join(rows) + "\n").encode()


def stray_quote() -> bytes:
    rows = [_line(_dated(0, description=RAW)).replace(RAW, 'a "quoted" word inside'), _line(_dated(1))]
    return (",".join(HEADER) + "\n" + "\n".join(rows) + "\n").encode()


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+2", '\r=HYPERLINK("http://x")', "=1+2"]


def formula_cells() -> bytes:
    rows = [
        _dated(i, description=f, location=f"{f} town", facility=f, source_title=f, publisher=f)
        for i, f in enumerate(FORMULAS)
    ]
    return _csv(rows).encode()


HTML_PAYLOADS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(document.domain)>",
    "</textarea><iframe src=javascript:alert(1)>",
    "{{7*7}} ${7*7} <b onmouseover=alert(1)>b</b>",
]


def html_js() -> bytes:
    rows = [
        _dated(
            i,
            location=p,
            facility=p,
            description=p,
            source_title=p,
            publisher=p,
            source_url=f"https://example.org/{i}?q=<script>alert({i})</script>",
        )
        for i, p in enumerate(HTML_PAYLOADS)
    ]
    # A javascript: URL is not a web source: it is never stored as a link. The source cell is
    # dropped (a source problem in the quarantine); the event itself is valid and kept.
    p = HTML_PAYLOADS[0]
    js_row = {"location": p, "facility": p, "description": p, "source_title": p, "publisher": p}
    rows.append(_dated(len(HTML_PAYLOADS), **js_row, source_url="javascript:alert(1)"))
    return _csv(rows).encode()


BAD_COORDINATES = [
    ("NaN", "32.0"),
    ("59.0", "nan"),
    ("inf", "32.0"),
    ("59.0", "-Infinity"),
    ("1e309", "32.0"),
    ("91", "32.0"),
    ("-90.5", "32.0"),
    ("59.0", "180.0001"),
    ("59.0", "-181"),
    ("0x1p3", "32.0"),
    ("59,0,1", "32.0"),
    ("5e-324", "1e-400"),
]


def bad_coordinates() -> bytes:
    rows = [_dated(i, latitude=lat, longitude=lon) for i, (lat, lon) in enumerate(BAD_COORDINATES)]
    return _csv(rows).encode()


BAD_DATES = ["0000-01-01", "9999-12-31", "0001-01-01", "10000-01-01", "2024-02-30", "31/12/9999", "00/00/0000"]


def bad_dates() -> bytes:
    rows = [_dated(i, date=d) for i, d in enumerate(BAD_DATES)]
    return _csv(rows).encode()


SQL_FRAGMENTS = [
    "'; DROP TABLE events; --",
    "Robert'); DROP TABLE facilities;--",
    "1 OR 1=1",
    '" OR ""="',
    "x'); DELETE FROM ingest_runs; SELECT ('",
    "%' UNION SELECT sqlite_version() --",
]


def sql_fragments() -> bytes:
    rows = [
        _dated(i, location=s, facility=s, description=s, source_title=s, publisher=s)
        for i, s in enumerate(SQL_FRAGMENTS)
    ]
    return _csv(rows).encode()


def empty() -> bytes:
    return b""


def header_only() -> bytes:
    return (",".join(HEADER) + "\n").encode()


def binary_garbage() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(4096))


def mixed_line_endings() -> bytes:
    rows = [_line(_dated(i)) for i in range(4)]
    return (",".join(HEADER) + "\r\n" + rows[0] + "\n" + rows[1] + "\r" + rows[2] + "\r\n" + rows[3]).encode()


def bom_in_middle() -> bytes:
    bom = "\ufeff"
    text = bom + ",".join(HEADER) + "\n"
    text += _line(_dated(0, description=f"text{bom}with a BOM inside")) + "\n"
    text += bom + _line(_dated(1)) + "\n"
    text += _line(_dated(2, location=f"{bom}Kirishi")) + "\n"
    return text.encode()


def ragged_rows() -> bytes:
    rows = [
        _line(_dated(0)),
        _line(_dated(1)[:5]),
        _line([*_dated(2), "extra", "cells"]),
        _line(_dated(3)),
    ]
    return (",".join(HEADER) + "\n" + "\n".join(rows) + "\n").encode()


def duplicate_header() -> bytes:
    return _csv([_dated(0)], header=[*HEADER[:-1], "latitude"]).encode()


def big_field() -> bytes:
    # 10 MB in one quoted cell: beyond csv's default field_size_limit (128 KB).
    return _csv([_dated(0, description="A" * (10 * 1024 * 1024)), _dated(1)]).encode()


def wide_columns() -> bytes:
    header = HEADER + [f"extra_{i}" for i in range(100_000 - len(HEADER))]
    row = _dated(0) + ["x"] * (100_000 - len(HEADER))
    return _csv([row], header=header).encode()


def long_line() -> bytes:
    # A 5 MB row with no line break at all after the header, and no final newline.
    return (",".join(HEADER) + "\n" + _line(_dated(0, description="B" * (5 * 1024 * 1024)))).encode()


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

#: Outcomes: ``load`` (exit 0, every row stored), ``partial`` (exit 1, good rows stored, bad
#: rows quarantined with reasons), ``refused`` (exit 1, clear error, nothing stored).


UNBALANCED = "a quote opened and never closed: the next row is swallowed into the quarantined one"
FORMULA_TEXT = "spreadsheet formulas (= + - @ tab CR) in every text field"
HTML_TEXT = "HTML/JS in every text field; one javascript: source URL"
COORD_TEXT = "NaN, inf, 1e309, out-of-range, hex and garbage coordinates"
DATE_TEXT = "dates in year 0, 1, 9999, 10000, 30 February, 00/00/0000"
LINE_ENDINGS = "CRLF, LF and CR line endings in one file, no final newline"
BOM_TEXT = "a BOM at the start, inside cells (kept), and opening a line (that row's date is rejected)"


@dataclass(frozen=True)
class Case:
    """One hostile input and what strikedb must do with it."""

    name: str
    filename: str
    build: Callable[[], bytes]
    outcome: str
    #: Rows that must be stored, and rows that must be quarantined (for load/partial).
    stored: int
    rejected: int
    what: str
    #: Big inputs are generated at test time, never committed.
    generated: bool = False
    #: Extra ``ingest`` options the case is run with.
    options: tuple[str, ...] = ()


CASES: tuple[Case, ...] = (
    Case("utf16", "utf16_bom.csv", utf16, "load", 2, 0, "UTF-16 with BOM, Cyrillic text"),
    Case("cp1251", "cp1251.csv", cp1251, "refused", 0, 0, "Windows-1251 Cyrillic without --encoding"),
    Case("cp1251_option", "cp1251.csv", cp1251, "load", 2, 0, "Windows-1251", options=("--encoding", "cp1251")),
    Case("latin1", "latin1.csv", latin1, "refused", 0, 0, "Latin-1 Italian accents without --encoding"),
    Case("invalid_utf8", "invalid_utf8.csv", invalid_utf8, "refused", 0, 0, "UTF-8 with invalid byte sequences"),
    Case("nul_bytes", "nul_bytes.csv", nul_bytes, "partial", 2, 2, "NUL bytes inside a field and on a line"),
    Case("big_field", "big_field.csv", big_field, "load", 2, 0, "one 10 MB quoted field", generated=True),
    Case("wide_columns", "wide_columns.csv", wide_columns, "load", 1, 0, "100,000 columns", generated=True),
    Case("long_line", "long_line.csv", long_line, "load", 1, 0, "a 5 MB row, no newline at all", generated=True),
    Case("unbalanced_quotes", "unbalanced_quotes.csv", unbalanced_quotes, "partial", 1, 1, UNBALANCED),
    Case("stray_quote", "stray_quote.csv", stray_quote, "load", 2, 0, "a quote in the middle of an unquoted cell"),
    Case("formula_cells", "formula_cells.csv", formula_cells, "load", len(FORMULAS), 0, FORMULA_TEXT),
    Case("html_js", "html_js.csv", html_js, "load", len(HTML_PAYLOADS) + 1, 0, HTML_TEXT),
    Case("bad_coordinates", "bad_coordinates.csv", bad_coordinates, "partial", 0, len(BAD_COORDINATES), COORD_TEXT),
    Case("bad_dates", "bad_dates.csv", bad_dates, "partial", 0, len(BAD_DATES), DATE_TEXT),
    Case("sql_fragments", "sql_fragments.csv", sql_fragments, "load", len(SQL_FRAGMENTS), 0, "SQL in names/text"),
    Case("empty", "empty.csv", empty, "refused", 0, 0, "a 0-byte file"),
    Case("header_only", "header_only.csv", header_only, "load", 0, 0, "a header and no rows"),
    Case("binary_garbage", "binary_garbage.csv", binary_garbage, "refused", 0, 0, "4 KB of random bytes"),
    Case("mixed_line_endings", "mixed_line_endings.csv", mixed_line_endings, "load", 4, 0, LINE_ENDINGS),
    Case("bom_in_middle", "bom_in_middle.csv", bom_in_middle, "partial", 2, 1, BOM_TEXT),
    Case("ragged_rows", "ragged_rows.csv", ragged_rows, "partial", 2, 2, "rows with too few and too many cells"),
    Case("duplicate_header", "duplicate_header.csv", duplicate_header, "refused", 0, 0, "a column named twice"),
)


def committed_files() -> dict[str, Callable[[], bytes]]:
    """The small files kept in git, by file name."""
    return {case.filename: case.build for case in CASES if not case.generated}


OUTCOME_MEANING = {
    "load": "exit 0; every row stored, text verbatim",
    "partial": "exit 1; good rows stored, bad rows quarantined in `rejected_rows` with reasons",
    "refused": "exit 1; a clear `Error:` naming the file and a hint; nothing stored",
}


def readme_text() -> str:
    """The corpus README, generated from :data:`CASES` (committed; a test checks it is current)."""
    lines = [
        "# Hostile input corpus",
        "",
        "Inputs built to break an importer. Every case must end in a clear error or a safe load:",
        "never a Python traceback, never a partial batch, memory bounded.",
        "`tests/reliability/test_hostile.py` runs each through `strikedb ingest` (in-process, and the big ones",
        "in a subprocess with a memory check).",
        "",
        "Generated by `corpus.py` (run `python tests/data/hostile/corpus.py` after changing it). Files marked",
        "*generated* are too big to commit and are written at test time.",
        "",
        "Outcomes: " + "; ".join(f"**{k}**: {v}" for k, v in OUTCOME_MEANING.items()) + ".",
        "",
        "| case | file | input | outcome | stored | quarantined |",
        "|---|---|---|---|---|---|",
    ]
    for case in CASES:
        shown = f"{case.filename} (generated)" if case.generated else case.filename
        options = f" (`{' '.join(case.options)}`)" if case.options else ""
        lines.append(
            f"| {case.name} | {shown} | {case.what}{options} | {case.outcome} | {case.stored} | {case.rejected} |"
        )
    return "\n".join(lines) + "\n"


DOC = HERE.parents[2] / "docs" / "reliability.md"
DOC_BEGIN = "<!-- hostile-cases: begin (generated by tests/data/hostile/corpus.py) -->"
DOC_END = "<!-- hostile-cases: end -->"


def doc_table() -> str:
    """The per-case table of docs/reliability.md (each row is asserted by tests/reliability/test_hostile.py)."""
    lines = [
        "| case | input | outcome | events stored | rows quarantined |",
        "|---|---|---|---|---|",
    ]
    for case in CASES:
        options = f" (`{' '.join(case.options)}`)" if case.options else ""
        lines.append(f"| {case.name} | {case.what}{options} | {case.outcome} | {case.stored} | {case.rejected} |")
    return "\n".join(lines)


def update_doc(path: Path = DOC) -> None:
    """Rewrite the generated block of docs/reliability.md from :data:`CASES`."""
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(DOC_BEGIN)
    _, _, tail = rest.partition(DOC_END)
    path.write_text(f"{head}{DOC_BEGIN}\n{doc_table()}\n{DOC_END}{tail}", encoding="utf-8")


def build(directory: Path = HERE) -> list[Path]:
    """Write the committed (small) files of the corpus and its README into ``directory``."""
    (directory / "README.md").write_text(readme_text(), encoding="utf-8")
    written = []
    for filename, make in committed_files().items():
        path = directory / filename
        path.write_bytes(make())
        written.append(path)
    return written


def materialise(case: Case, directory: Path) -> Path:
    """Return the path of a case's file: the committed one, or a freshly generated big one."""
    if not case.generated:
        return HERE / case.filename
    path = directory / case.filename
    if not path.exists():
        path.write_bytes(case.build())
    return path


if __name__ == "__main__":
    for written_path in build():
        print(f"{written_path.name}: {written_path.stat().st_size} bytes")
    if DOC.exists():
        update_doc()
        print(f"updated {DOC}")
