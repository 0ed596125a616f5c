"""Acceptance: real files nobody here wrote (../shared/data), on both backends.

Every row must be accounted for (loaded, merged or quarantined with a reason), and a re-import
must add nothing. Skips when the shared data folder is absent.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from events.ingest import ingest_file
from events.models import Event, RejectedRow
from tests.conftest import shared_data
from tests.ingest_fixtures import add_bundled_facilities, counts

pytestmark = pytest.mark.shared_data


def _rejected_rows(engine: Engine, run_id: int) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(RejectedRow).where(RejectedRow.run_id == run_id)
        return conn.execute(stmt).scalar_one()


def _reimport_adds_nothing(engine: Engine, path, fmt: str) -> None:
    before = counts(engine)
    again = ingest_file(engine, path, fmt=fmt)
    assert again.inserted == again.updated == again.merged == 0
    assert again.unchanged + again.rejected == again.read
    after = counts(engine)
    for table in ("events", "sources", "event_sources", "event_revisions"):
        assert after[table] == before[table], table


def test_osint_tracker_all_48_rows_accounted_for(engine: Engine) -> None:
    path = shared_data("osint-tracker-refinery-strikes", "events_timeline.csv")
    add_bundled_facilities(engine)
    report = ingest_file(engine, path)
    assert report.read == 48
    assert report.inserted + report.merged + report.rejected == 48
    assert _rejected_rows(engine, report.run_id) == report.rejected
    assert counts(engine)["events"] == report.inserted
    with engine.connect() as conn:
        linked = conn.execute(select(func.count()).where(Event.facility_id.is_not(None))).scalar_one()
        countries = set(conn.execute(select(Event.country).distinct()).scalars())
    # The tracker covers refineries the bundled list knows: most events link to one.
    assert linked >= 30
    assert countries <= {"RU", "UA"}
    _reimport_adds_nothing(engine, path, "csv")


def test_osint_tracker_geojson_matches_the_csv(engine: Engine) -> None:
    path = shared_data("osint-tracker-refinery-strikes", "events.geojson")
    report = ingest_file(engine, path, fmt="geojson")
    assert report.read == 48 and report.inserted + report.merged + report.rejected == 48
    _reimport_adds_nothing(engine, path, "geojson")


def test_acled_benin_export_811_events(engine: Engine) -> None:
    path = shared_data("acled-export-benin-sample", "acled.csv")
    report = ingest_file(engine, path, fmt="acled")
    assert (report.read, report.inserted, report.merged, report.rejected) == (811, 811, 0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count(Event.external_id.distinct()))).scalar_one() == 811
        assert set(conn.execute(select(Event.origin).distinct()).scalars()) == {"acled"}
    _reimport_adds_nothing(engine, path, "acled")


def test_ucdp_ged_sample_1000_events(engine: Engine) -> None:
    path = shared_data("ucdp-ged-231-sample", "ucdpged.csv")
    report = ingest_file(engine, path, fmt="ucdp")
    assert (report.read, report.inserted, report.merged, report.rejected) == (1000, 1000, 0, 0), report.problems[:3]
    with engine.connect() as conn:
        assert set(conn.execute(select(Event.origin).distinct()).scalars()) == {"ucdp"}
    _reimport_adds_nothing(engine, path, "ucdp")
