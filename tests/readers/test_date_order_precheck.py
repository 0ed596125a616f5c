"""The date-order scan skips files whose text holds no day/month date (``OrderScanner.may_feed``).

The oracle is the scan of every cell: whenever a cell would settle the order or be ambiguous, the
pre-check must say "may", and the plan of a file must be what the full scan gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from events.readers import plan_file
from events.readers.dates import OrderScanner
from tests.helpers import write_csv

HEADER = ["date", "latitude", "longitude", "description", "source_url"]


def _counted_by_feed(text: str) -> bool:
    scanner = OrderScanner()
    scanner.feed(text, "cell")
    return scanner.order is not None or scanner.ambiguous > 0


@pytest.mark.parametrize(
    "cell",
    ["12/03/2024", "25/03/2024", "3/25/24", "1.2.2024", "01-02-2024", " 5/6/2025 ", "05/06/2025 14:30",
     "١٢/٠٣/٢٠٢٤", "12/03/24T10:00"],
)  # fmt: skip
def test_every_cell_the_scan_counts_is_seen_by_the_precheck(cell: str) -> None:
    assert _counted_by_feed(cell)
    for text in (cell, f"x,{cell},y\n", f'"{cell}"', f"2024-01-01,{cell}"):
        assert OrderScanner.may_feed([text])
    # However the text is cut into pieces.
    whole = f"a,b\n1,{cell}\n"
    for cut in range(len(whole) + 1):
        assert OrderScanner.may_feed([whole[:cut], whole[cut:]])


@pytest.mark.parametrize(
    "text",
    ["2023-11-23,58.34702,54.71763,https://www.reuters.com/2024/12/03/story",
     "2024-01-01T10:00:00Z,1.5,2.25,v1.2.3", "2023/11/23", "12:30", ""],
)  # fmt: skip
def test_iso_dates_coordinates_and_urls_need_no_scan(text: str) -> None:
    assert not OrderScanner.may_feed([text])
    assert not OrderScanner.may_feed(list(text))  # one character a piece


def _rows(dates: list[str]) -> list[dict[str, str]]:
    return [
        {
            "date": d,
            "latitude": "54.5",
            "longitude": "39.7",
            "description": f"report {i}",
            "source_url": f"https://e.org/{i}",
        }
        for i, d in enumerate(dates)
    ]


@pytest.mark.parametrize(
    ("dates", "order"),
    [(["2024-03-12"] * 50, None), (["12/03/2024"] * 40 + ["25/03/2024"], "dmy"), (["3/25/2024", "3/4/2024"], "mdy")],
)
def test_the_plan_is_the_full_scan_s(tmp_path: Path, dates: list[str], order: str | None) -> None:
    path = write_csv(tmp_path / "events.csv", _rows(dates), HEADER)
    assert plan_file(path).dates.order == order


def test_a_date_only_in_a_description_leaves_the_order_open(tmp_path: Path) -> None:
    # The pre-check sees it (and so the cells are scanned), but only date columns count.
    rows = _rows(["2024-03-12"] * 3)
    rows[1]["description"] = "updated 25/03/2024"
    path = write_csv(tmp_path / "events.csv", rows, HEADER)
    assert OrderScanner.may_feed([path.read_text()])
    assert plan_file(path).dates.order is None


def test_an_ambiguous_file_still_needs_the_order(tmp_path: Path) -> None:
    from events.errors import InputError

    path = write_csv(tmp_path / "events.csv", _rows(["01/02/2024", "03/04/2024"]), HEADER)
    with pytest.raises(InputError, match="day/month order"):
        plan_file(path)


def _random_piece(rng: Any, pieces: list[str]) -> str:
    def digits() -> str:
        return "".join(rng.choice("0123456789٣") for _ in range(rng.randint(1, 4)))

    roll = rng.random()
    if roll < 0.3:  # date-like: widths and separators that may or may not make a date
        return digits() + rng.choice("/.-") + digits() + rng.choice("/.-") + digits()
    return digits() if roll < 0.8 else rng.choice(pieces)


def test_random_texts_never_hide_a_counted_cell() -> None:
    import csv
    import io
    import random

    rng = random.Random(7)
    # Runs of digits and the separators between them, as dates, times, numbers and ids are written.
    pieces = ["/", ".", "-", ",", "\n", '"', " ", "T", ":", "x", "٣"]
    counted = 0
    for _ in range(10000):
        cells_written = ["".join(_random_piece(rng, pieces) for _ in range(rng.randint(1, 3))) for _ in range(6)]
        quoted = [f'"{c}"' if rng.random() < 0.2 and '"' not in c else c for c in cells_written]
        text = "".join(c + rng.choice([",", ",", "\n", " ,", ""]) for c in quoted)
        try:
            cells = [c for row in csv.reader(io.StringIO(text, newline=""), strict=True) for c in row]
        except csv.Error:  # the reader rejects such rows: no cell of theirs is scanned
            continue
        if any(_counted_by_feed(c) for c in cells):
            counted += 1
            cut = rng.randint(0, len(text))
            assert OrderScanner.may_feed([text]), text
            assert OrderScanner.may_feed([text[:cut], text[cut:]]), (text, cut)
    assert counted > 100  # the texts do hold such cells
