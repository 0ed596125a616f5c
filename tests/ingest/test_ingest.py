"""The loader on both backends: geocoding outcomes, idempotency, updates, quarantine, strict,
dry run, deduplication with corroboration, interrupted runs and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from events.cli import run
from events.ingest import ingest_file, sample_events_path
from events.models import EventRevision, IngestRun, RejectedRow
from events.readers import template_header
from tests.helpers import write_csv
from tests.ingest_fixtures import (
    RYAZAN_ROW,
    add_bundled_facilities,
    add_facilities,
    counts,
    events_by,
    sources_of,
)


def _only(engine: Engine) -> dict:
    events = events_by(engine)
    assert len(events) == 1, events.keys()
    return next(iter(events.values()))


def test_geocoding_outcomes(engine: Engine, tmp_path: Path) -> None:
    ids = add_facilities(engine)
    rows = [
        # Coordinates 400 m from the Ryazan refinery and a text that says a refinery was hit: "nearest".
        {
            "date": "2025-08-02",
            "latitude": "54.5750",
            "longitude": "39.7520",
            "attack_type": "drone",
            "description": "Drones hit the refinery, fire in a processing unit",
        },
        # Only a facility name, in Cyrillic: an alias of KINEF.
        {"date": "2025-09-14", "facility": "Киришский НПЗ", "attack_type": "drone"},
        # Only a place: the gazetteer gives the town.
        {"date": "2025-11-02", "location": "Tuapse, Krasnodar Krai", "attack_type": "drone"},
        # Nothing that can be placed: quarantined.
        {"date": "2025-11-03", "location": "Nowhereville Xyzzy", "attack_type": "drone"},
    ]
    path = write_csv(tmp_path / "geo.csv", rows)
    report = ingest_file(engine, path)
    assert (report.read, report.inserted, report.rejected) == (4, 3, 1)
    by_date = events_by(engine, "event_date")

    near = by_date[dt.date(2025, 8, 2)]
    assert near["facility_id"] == ids["ru-ryazan"] and near["facility_match"] == "nearest"
    assert near["geocoded_by"] == "coordinates" and near["geo_precision"] == "exact"
    assert 0.2 < near["facility_distance_km"] < 0.6
    assert (near["country"], near["facility_type"]) == ("RU", "refinery")

    named = by_date[dt.date(2025, 9, 14)]
    assert named["facility_id"] == ids["ru-kirishi-kinef"]
    assert (named["geocoded_by"], named["facility_match"], named["geocode_score"]) == ("facility_alias", "alias", 100)
    assert (named["latitude"], named["longitude"]) == (59.4836, 32.0708)

    town = by_date[dt.date(2025, 11, 2)]
    assert (town["geocoded_by"], town["geo_precision"], town["country"]) == ("gazetteer", "near_town", "RU")
    assert abs(town["latitude"] - 44.10) < 0.05 and town["facility_id"] is None

    problem = report.problems[0]
    assert (problem.line, problem.column, problem.value) == (5, "location", "Nowhereville Xyzzy")
    assert "location 'Nowhereville Xyzzy' matches no known facility or place" in problem.reason


def test_swapped_coordinates_are_reported_not_swapped(engine: Engine, tmp_path: Path) -> None:
    row = dict(RYAZAN_ROW, latitude="39.7482", longitude="54.5725")
    report = ingest_file(engine, write_csv(tmp_path / "swapped.csv", [row]))
    assert (report.inserted, report.rejected) == (0, 1)
    assert "look swapped" in report.problems[0].reason and report.problems[0].column == "latitude"
    assert counts(engine)["events"] == 0


def test_swapped_coordinates_without_a_country_are_caught_by_the_named_site(engine: Engine, tmp_path: Path) -> None:
    """No country stated: the facility or town the row names tells where the point should be."""
    add_facilities(engine)
    rows = [
        dict(RYAZAN_ROW, latitude="39.7482", longitude="54.5725", country=""),
        dict(
            RYAZAN_ROW,
            date="2025-09-02",
            latitude="39.08",
            longitude="44.10",
            country="",
            facility="",
            location="Tuapse",
        ),
        # Correct points, no country: kept.
        dict(RYAZAN_ROW, date="2025-09-03", country=""),
        dict(
            RYAZAN_ROW,
            date="2025-09-04",
            latitude="44.10",
            longitude="39.08",
            country="",
            facility="",
            location="Tuapse",
        ),
    ]
    report = ingest_file(engine, write_csv(tmp_path / "swapped-no-country.csv", rows))
    assert (report.inserted, report.rejected) == (2, 2)
    reasons = [p.reason for p in report.problems]
    assert "look swapped" in reasons[0] and "facility 'Ryazan refinery'" in reasons[0]
    assert "look swapped" in reasons[1] and "place 'Tuapse'" in reasons[1]


def test_the_reason_for_an_unplaceable_row_names_what_was_tried(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {
            "date": "2025-09-01",
            "facility": "Xyzzy works",
            "location": "Nowhereville Xyzzy",
            "source_url": "https://a.b/1",
        },
        {"date": "2025-09-02", "facility": "Xyzzy works", "source_url": "https://a.b/2"},
    ]
    report = ingest_file(engine, write_csv(tmp_path / "unplaceable.csv", rows))
    first, second = report.problems
    assert first.column == "facility" and first.reason.startswith(
        "no coordinates, and neither facility name 'Xyzzy works' nor location 'Nowhereville Xyzzy' matches a known "
        "facility or place;"
    )
    assert second.reason.startswith("no coordinates, and facility name 'Xyzzy works' matches no known facility")


def test_a_point_far_outside_the_stated_country_is_rejected(engine: Engine, tmp_path: Path) -> None:
    rows = [
        dict(RYAZAN_ROW, latitude="-54.6", longitude="-39.7"),  # South Atlantic, country RU
        dict(RYAZAN_ROW, date="2025-09-02", latitude="59.48", longitude="32.07", country="UA", facility="Kirishi"),
        # At sea 115 km off Ukraine's coast (gas platforms, tankers): kept.
        dict(RYAZAN_ROW, date="2025-09-03", latitude="45.0", longitude="31.0", country="UA", facility=""),
    ]
    report = ingest_file(engine, write_csv(tmp_path / "outside.csv", rows))
    assert (report.inserted, report.rejected) == (1, 2)
    assert [p.line for p in report.problems] == [2, 3]
    assert all("km outside" in p.reason and p.column == "latitude" for p in report.problems)


def test_load_then_reload_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = [
        dict(RYAZAN_ROW),
        dict(RYAZAN_ROW, date="2025-09-05", source_url="https://kyivindependent.com/", publisher="Kyiv Independent"),
        {"date": "2025-09-14", "latitude": "59.48", "longitude": "32.07", "facility": "Kirishi", "attack_type": "x"},
    ]
    path = write_csv(tmp_path / "events.csv", rows)
    first = ingest_file(engine, path)
    assert (first.read, first.inserted, first.rejected) == (3, 2, 1)
    assert first.status == "committed" and len(first.checksum) == 64
    before = counts(engine)
    second = ingest_file(engine, path)
    assert (second.read, second.inserted, second.updated, second.unchanged, second.rejected) == (3, 0, 0, 2, 1)
    after = counts(engine)
    assert {k: after[k] for k in ("events", "sources", "event_sources", "event_revisions")} == {
        k: before[k] for k in ("events", "sources", "event_sources", "event_revisions")
    }
    with Session(engine) as conn:
        runs = conn.execute(select(IngestRun).order_by(IngestRun.id)).scalars().all()
    assert [r.status for r in runs] == ["committed", "committed"]
    assert runs[0].checksum == runs[1].checksum == first.checksum
    assert (runs[1].rows_read, runs[1].rows_unchanged, runs[1].rows_rejected) == (3, 2, 1)


def test_changed_row_updates_the_event_with_a_revision(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [dict(RYAZAN_ROW, event_id="R-1")])
    ingest_file(engine, path)
    original = _only(engine)
    changed = write_csv(
        tmp_path / "a.csv", [dict(RYAZAN_ROW, event_id="R-1", effect="shutdown", description="Unit halted")]
    )
    report = ingest_file(engine, changed)
    assert (report.updated, report.inserted, report.unchanged) == (1, 0, 0)
    event = _only(engine)
    assert event["public_id"] == original["public_id"] and event["id"] == original["id"]
    assert (event["effect"], event["description"]) == ("shutdown", "Unit halted")
    with Session(engine) as conn:
        revision = conn.execute(select(EventRevision)).scalar_one()
    assert revision.action == "update" and revision.event_public_id == event["public_id"]
    assert revision.previous == {"effect": "fire", "description": "Fire at the refinery after a drone attack"}
    assert revision.changes == {"effect": "shutdown", "description": "Unit halted"}
    assert revision.ingest_run_id == report.run_id
    # And the same changed file again is unchanged.
    assert ingest_file(engine, changed).unchanged == 1


def test_a_change_in_an_extra_column_is_shown_in_the_revision(engine: Engine, tmp_path: Path) -> None:
    """Only a value kept as extra data changed (as an ACLED timestamp does): the revision says which."""
    ingest_file(engine, write_csv(tmp_path / "x.csv", [dict(RYAZAN_ROW, event_id="R-2", analyst_note="first")]))
    path = write_csv(tmp_path / "x.csv", [dict(RYAZAN_ROW, event_id="R-2", analyst_note="second")])
    assert ingest_file(engine, path).updated == 1
    with Session(engine) as conn:
        revision = conn.execute(select(EventRevision)).scalar_one()
    assert revision.previous == {"extra.analyst_note": "first"}
    assert revision.changes == {"extra.analyst_note": "second"}


def test_rejected_rows_are_quarantined_with_reasons(engine: Engine, tmp_path: Path) -> None:
    rows = [
        dict(RYAZAN_ROW),
        dict(RYAZAN_ROW, date="31/02/2025"),
        dict(RYAZAN_ROW, date="2025-08-03", attack_type="catapult", claim_status="rumoured"),
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    report = ingest_file(engine, path)
    assert (report.read, report.inserted, report.rejected) == (3, 1, 2)
    with Session(engine) as conn:
        rejected = conn.execute(select(RejectedRow).order_by(RejectedRow.line_number)).scalars().all()
    assert [r.line_number for r in rejected] == [3, 4]
    assert all(r.run_id == report.run_id and r.file_path == str(path) for r in rejected)
    assert "31/02/2025" in rejected[0].raw_row
    assert {reason["column"] for reason in rejected[1].reasons} == {"attack_type", "claim_status"}
    assert all(reason["reason"] for r in rejected for reason in r.reasons)
    text = str(report.problems[0])
    assert text.startswith(f"{path}:3: column 'date' (value '31/02/2025'): ")


def test_strict_loads_nothing_when_a_row_is_bad(engine: Engine, tmp_path: Path) -> None:
    rows = [dict(RYAZAN_ROW), dict(RYAZAN_ROW, date="2025-08-03", latitude="95")]
    path = write_csv(tmp_path / "strict.csv", rows)
    report = ingest_file(engine, path, strict=True)
    assert report.status == "failed" and (report.read, report.inserted, report.rejected) == (2, 0, 1)
    c = counts(engine)
    assert (c["events"], c["sources"], c["rejected_rows"], c["ingest_runs"]) == (0, 0, 1, 1)
    with engine.connect() as conn:
        assert conn.execute(select(IngestRun.status)).scalar_one() == "failed"
    good = write_csv(tmp_path / "good.csv", [dict(RYAZAN_ROW)])
    assert ingest_file(engine, good, strict=True).inserted == 1


def test_dry_run_counts_but_keeps_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = [
        dict(RYAZAN_ROW),
        dict(RYAZAN_ROW, source_url="https://kyivindependent.com/", publisher="Kyiv Independent"),
        dict(RYAZAN_ROW, date="not a date"),
    ]
    path = write_csv(tmp_path / "dry.csv", rows)
    report = ingest_file(engine, path, dry_run=True)
    assert report.status == "dry_run" and report.run_id is None
    assert (report.inserted, report.merged, report.rejected) == (1, 1, 1)
    assert all(n == 0 for n in counts(engine).values())


def test_reports_of_one_strike_merge_and_corroborate(engine: Engine, tmp_path: Path) -> None:
    ids = add_facilities(engine)
    rows = [
        dict(RYAZAN_ROW),  # B3, reuters.com
        # Same strike, 1.5 km away, another publisher; same day.
        dict(RYAZAN_ROW, latitude="54.5800", longitude="39.7650", source_url="https://kyivindependent.com/",
             publisher="Kyiv Independent", info_credibility="4", description=""),
        # Same strike by facility name only, a Telegram channel.
        {"date": "2025-08-02", "facility": "Рязанский НПЗ", "attack_type": "drone", "claim_status": "claimed",
         "source_url": "https://t.me/s/some_channel/1"},
        # Another day: another strike.
        dict(RYAZAN_ROW, date="2025-08-20"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "dup.csv", rows)
    report = ingest_file(engine, path, batch_size=1)  # every merge goes through the database query
    assert (report.inserted, report.merged, report.rejected) == (2, 2, 0)
    event = events_by(engine, "event_date")[dt.date(2025, 8, 2)]
    assert event["facility_id"] == ids["ru-ryazan"]
    assert sources_of(engine, event["id"]) == [
        "https://kyivindependent.com/",
        "https://t.me/s/some_channel/1",
        "https://www.reuters.com/business/energy/",
    ]
    # Three independent publishers: credibility 1; with reliability B the report is confirmed.
    assert (event["info_credibility"], event["source_reliability"], event["confidence"]) == (1, "B", "confirmed")
    assert event["claim_status"] == "reported"  # a "claimed" report never downgrades
    assert event["extra"]["_strikedb"]["base_credibility"] == 3
    with engine.connect() as conn:
        actions = conn.execute(select(EventRevision.action).where(EventRevision.event_id == event["id"])).all()
    assert [a for (a,) in actions] == ["merge", "merge"]
    again = ingest_file(engine, path)
    assert (again.unchanged, again.inserted, again.merged) == (4, 0, 0)
    assert counts(engine)["events"] == 2


def test_two_reports_two_publishers_raise_credibility_one_step(engine: Engine, tmp_path: Path) -> None:
    # Two wires: independent publishers of one kind (two kinds count more: tests/ingest/test_grading.py).
    rows = [dict(RYAZAN_ROW), dict(RYAZAN_ROW, source_url="https://apnews.com/article/x", publisher="AP")]
    ingest_file(engine, write_csv(tmp_path / "two.csv", rows))
    event = _only(engine)
    assert (event["info_credibility"], event["confidence"]) == (2, "likely")


def test_distinct_identified_records_never_merge(engine: Engine, tmp_path: Path) -> None:
    rows = [dict(RYAZAN_ROW, event_id="A-1"), dict(RYAZAN_ROW, event_id="A-2")]
    report = ingest_file(engine, write_csv(tmp_path / "ids.csv", rows))
    assert (report.inserted, report.merged) == (2, 0)


def test_different_facilities_same_day_stay_apart(engine: Engine, tmp_path: Path) -> None:
    add_facilities(engine)
    rows = [
        dict(RYAZAN_ROW),
        dict(RYAZAN_ROW, latitude="48.4892", longitude="44.6272", facility="Volgograd refinery"),
    ]
    assert ingest_file(engine, write_csv(tmp_path / "two.csv", rows)).inserted == 2


def test_interrupted_run_keeps_committed_batches_and_resumes(engine: Engine, tmp_path: Path) -> None:
    rows = [dict(RYAZAN_ROW, date=f"2025-08-{day:02d}") for day in range(1, 6)]
    path = write_csv(tmp_path / "five.csv", rows)
    calls = []

    def interrupt(done: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, path, batch_size=2, progress=interrupt)
    assert counts(engine)["events"] == 2  # the first batch; the second was rolled back
    with Session(engine) as conn:
        run_row = conn.execute(select(IngestRun)).scalar_one()
    assert run_row.status == "interrupted" and (run_row.rows_read, run_row.rows_inserted) == (2, 2)
    resumed = ingest_file(engine, path, batch_size=2)
    assert (resumed.unchanged, resumed.inserted) == (2, 3)
    assert counts(engine)["events"] == 5 and counts(engine)["sources"] == 1


def test_cli_ingest_exit_codes_and_output(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = write_csv(tmp_path / "good.csv", [dict(RYAZAN_ROW)])
    assert run(["--db", db_url, "ingest", str(good)]) == 0
    out = capsys.readouterr().out
    assert "inserted" in out and "committed" in out
    bad = write_csv(tmp_path / "bad.csv", [dict(RYAZAN_ROW, date="2025-08-09", latitude="91")])
    assert run(["--db", db_url, "ingest", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: column 'latitude'" in err
    assert run(["--db", db_url, "ingest", str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv" in capsys.readouterr().err
    assert run(["--db", db_url, "ingest", "--template"]) == 0
    assert capsys.readouterr().out.strip() == template_header()
    assert run(["--db", db_url, "ingest", "--dry-run", str(good)]) == 0
    assert "dry run" in capsys.readouterr().out


def test_cli_points_to_rejected_rows_when_many(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [dict(RYAZAN_ROW, date=f"2025-13-{day:02d}") for day in range(1, 26)]
    path = write_csv(tmp_path / "bad.csv", rows)
    assert run(["--db", db_url, "ingest", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count(f"{path}:") == 20
    assert '... and 5 more; see `strikedb sql "SELECT * FROM rejected_rows WHERE run_id = 1"`' in err


def test_bundled_sample_loads_with_bundled_facilities(engine: Engine) -> None:
    add_bundled_facilities(engine)
    report = ingest_file(engine, sample_events_path())
    assert (report.read, report.inserted, report.merged, report.rejected) == (41, 35, 6, 0)
    events = events_by(engine)
    assert sum(1 for e in events.values() if e["facility_id"] is not None) == 34
    kirishi = [e for e in events.values() if e["event_date"] == dt.date(2025, 9, 14)]
    assert len(kirishi) == 1 and (kirishi[0]["info_credibility"], kirishi[0]["confidence"]) == (1, "confirmed")
    assert {e["geocoded_by"] for e in events.values()} == {"coordinates", "facility", "gazetteer"}
    assert ingest_file(engine, sample_events_path()).unchanged == 41


def test_a_source_that_names_no_publisher_does_not_corroborate() -> None:
    """ACLED's "Undisclosed Source" is nobody in particular: not a second independent publisher."""
    from events import dedup

    named = [(None, "Banouto"), (None, "Benin Web TV")]
    assert dedup.independent_publishers(named) == 2
    assert dedup.independent_publishers([*named, (None, "Undisclosed Source")]) == 2
    assert dedup.independent_publishers([(None, "Banouto"), (None, " undisclosed  source ")]) == 1
    # A URL still identifies its publisher, whatever the name column says.
    assert dedup.independent_publishers([(None, "Banouto"), ("https://t.me/chan/1", "Unknown")]) == 2
