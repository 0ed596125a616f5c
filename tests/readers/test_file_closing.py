"""Every file the readers open is closed when they are done with it, not later by the garbage collector."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from events.readers import detect_format, open_csv, plan_file, read_events
from tests.helpers import write_csv

CANONICAL = "event_date,latitude,longitude,attack_type\n2025-09-14,59.45,32.02,drone\n"
ACLED = "event_id_cnty,event_date,latitude,longitude\nUKR1,14 September 2025,59.45,32.02\n"


@contextmanager
def no_resource_warning() -> Iterator[None]:
    """Fail when a file is left open for the garbage collector (its ResourceWarning) inside the block."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    left_open = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not left_open, left_open


@pytest.mark.parametrize("text", [CANONICAL, ACLED], ids=["canonical", "acled-header"])
@pytest.mark.parametrize(
    "use",
    [
        pytest.param(detect_format, id="detect_format"),
        pytest.param(lambda path: plan_file(path), id="plan_file"),
        pytest.param(lambda path: plan_file(path, date_order="dmy"), id="plan_file-given-dates"),
        pytest.param(lambda path: open_csv(path).records.close(), id="open_csv-closed-unread"),
        pytest.param(lambda path: list(read_events(path)), id="read_events"),
    ],
)
def test_reading_a_csv_closes_it(tmp_path: Path, text: str, use: Callable[[Path], object]) -> None:
    path = write_csv(tmp_path / "events.csv", text)
    with no_resource_warning():
        use(path)


def test_records_closed_midway_close_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", CANONICAL + "2025-09-15,59.45,32.02,drone\n")
    with no_resource_warning():
        records = open_csv(path).records
        next(records)
        records.close()
