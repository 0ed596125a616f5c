"""Memory is bounded by the chunk, not by the data: peak RSS of a real ``strikedb ingest``.

Two inputs that used to blow up (issue 16): 8,000 reports at one point and date (each report
looked up, and loaded whole, every stored event at that point: 2.2 GB), and 10,000 columns x
2,000 rows with ``--batch-size 100`` (whole candidate rows, ``extra`` included: 3.97 GB). The
peak is that of the CLI process and its worker, measured by :func:`tests.reliability.test_hostile.run_cli_measured`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from events.models import Event
from tests.helpers import count_rows, write_csv
from tests.reliability.test_hostile import run_cli_measured

LIMIT_MB = 400


def write_hot_spot(path: Path, rows: int = 8000) -> Path:
    """Reports of distinct strikes (own ids and URLs) at one point on one date."""
    header = ["event_id", "date", "latitude", "longitude", "attack_type", "description", "source_url"]
    body = ([f"HOT-{i}", "2025-03-01", "50.45", "30.52", "drone", f"hot {i}", f"https://hot.example.org/{i}"]
            for i in range(rows))  # fmt: skip
    return write_csv(path, body, header)


def write_wide(path: Path, rows: int = 2000, columns: int = 10_000) -> Path:
    """A ~40 MB file: six canonical columns and ~10,000 extra ones."""
    head = ["event_id", "date", "latitude", "longitude", "attack_type", "source_url"]
    extra = [f"x{i}" for i in range(columns - len(head))]

    def body():
        for r in range(rows):
            canonical = [f"W-{r}", f"2025-03-{1 + r % 28:02d}", f"{48 + (r // 28) * 0.1:.4f}", "35.0", "drone"]
            yield [*canonical, f"https://w.example.org/{r}", *(str((r + i) % 10) for i in range(len(extra)))]

    return write_csv(path, body(), head + extra)


@pytest.mark.slow
def test_hot_spot_memory_is_bounded(db_url: str, tmp_path: Path) -> None:
    path = write_hot_spot(tmp_path / "hot.csv")
    code, err, peak_mb = run_cli_measured(["--db", db_url, "ingest", str(path)], tmp_path)
    assert code == 0, err[-3000:]
    assert count_rows(db_url, Event) == 8000  # distinct ids: no two reports are one strike
    assert peak_mb < LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    # A re-run finds every report by its key: unchanged, and no more memory.
    code, err, again_mb = run_cli_measured(["--db", db_url, "ingest", str(path)], tmp_path)
    assert code == 0 and count_rows(db_url, Event) == 8000, err[-3000:]
    assert again_mb < LIMIT_MB, f"re-run peak RSS {again_mb:.0f} MB"
    print(f"hot spot: peak RSS {peak_mb:.0f} MB, re-run {again_mb:.0f} MB")


@pytest.mark.slow
def test_wide_rows_memory_is_bounded(sqlite_url: str, tmp_path: Path) -> None:
    path = write_wide(tmp_path / "wide.csv")
    code, err, peak_mb = run_cli_measured(["--db", sqlite_url, "ingest", str(path), "--batch-size", "100"], tmp_path)
    assert code == 0, err[-3000:]
    assert count_rows(sqlite_url, Event) == 2000
    assert peak_mb < LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    print(f"wide rows: peak RSS {peak_mb:.0f} MB")
