"""Acceptance: real files nobody here wrote (../shared/data), on both backends.

Every row must be accounted for (loaded, merged or quarantined with a reason), and a re-import
must add nothing. Skips when the shared data folder is absent.
"""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import Engine, func, select, text

from events.ingest import ingest_file
from events.models import DuplicateCandidate, Event, EventSource, Facility, RejectedRow, Source
from tests.conftest import shared_data
from tests.helpers import count_rows
from tests.ingest_fixtures import add_bundled_facilities, counts

pytestmark = pytest.mark.shared_data


def _reimport_adds_nothing(engine: Engine, path, fmt: str) -> None:
    before = counts(engine) | {"duplicate_candidates": count_rows(engine, DuplicateCandidate)}
    again = ingest_file(engine, path, fmt=fmt)
    assert again.inserted == again.updated == again.merged == again.candidates == 0
    assert again.unchanged + again.rejected == again.read
    after = counts(engine) | {"duplicate_candidates": count_rows(engine, DuplicateCandidate)}
    for table in ("events", "sources", "event_sources", "event_revisions", "duplicate_candidates"):
        assert after[table] == before[table], table


def _tracker_refinery_rows_per_month(path) -> dict[str, int]:
    """The tracker's own count: rows whose title names a refinery (Italian titles, or the plant's name)."""
    per_month: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            title = row["title"].strip()
            if title.startswith(("Raffineria", "Bashneft", "Lukoil")):
                _day, month, year = row["date"].split("/")
                key = f"{2000 + int(year) if len(year) == 2 else int(year)}-{int(month):02d}"
                per_month[key] = per_month.get(key, 0) + 1
    return per_month


def test_osint_tracker_refinery_strikes_per_month_match_its_rows(engine: Engine) -> None:
    path = shared_data("osint-tracker-refinery-strikes", "events_timeline.csv")
    add_bundled_facilities(engine)
    ingest_file(engine, path)
    expected = _tracker_refinery_rows_per_month(path)
    assert expected == {"2025-08": 13, "2025-09": 11, "2025-10": 14, "2025-11": 6}
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT month, SUM(strikes) FROM strikes_monthly WHERE facility_type = 'refinery' GROUP BY month")
        ).all()
        # Every event of the tracker concerns energy infrastructure, and none was merged into another.
        categories = set(conn.execute(select(Event.target_category).distinct()).scalars())
    assert {month: int(n) for month, n in rows} == expected
    assert categories == {"energy"}
    _reimport_adds_nothing(engine, path, "csv")


@pytest.mark.parametrize(
    ("folder", "name", "fmt"),
    [
        ("osint-tracker-refinery-strikes", "events_timeline.csv", "csv"),
        ("osint-tracker-refinery-strikes", "events.geojson", "geojson"),
        ("acled-export-benin-sample", "acled.csv", "acled"),
        ("ucdp-ged-231-sample", "ucdpged.csv", "ucdp"),
        ("ucdp-ged-231-sample", "ucdpged_ukraine.csv", "ucdp"),
    ],
)
def test_every_shared_event_file_reingested_writes_nothing(engine: Engine, folder: str, name: str, fmt: str) -> None:
    path = shared_data(folder, name)
    add_bundled_facilities(engine)
    first = ingest_file(engine, path, fmt=fmt)
    assert first.accounted == first.read
    _reimport_adds_nothing(engine, path, fmt)


def test_osint_tracker_all_48_rows_accounted_for(engine: Engine) -> None:
    path = shared_data("osint-tracker-refinery-strikes", "events_timeline.csv")
    add_bundled_facilities(engine)
    report = ingest_file(engine, path)
    assert report.read == 48
    assert report.inserted + report.merged + report.rejected == 48
    assert count_rows(engine, RejectedRow, RejectedRow.run_id == report.run_id) == report.rejected
    assert counts(engine)["events"] == report.inserted
    with engine.connect() as conn:
        linked = conn.execute(select(func.count()).where(Event.facility_id.is_not(None))).scalar_one()
        countries = set(conn.execute(select(Event.country).distinct()).scalars())
    # The tracker covers refineries the bundled list knows: most events link to one.
    assert linked >= 30
    assert countries <= {"RU", "UA"}
    _reimport_adds_nothing(engine, path, "csv")


#: What differs between any two imports of one event (ids, times, the file's format, hashes of the row as
#: read) and how its facility was matched, which follows the spelling of the name (see _unmangled).
NOT_COMPARED = {
    "id", "public_id", "origin", "natural_key", "content_hash", "created_at", "updated_at", "ingest_run_id",
    "facility_match", "link_evidence",
}  # fmt: skip


def _unmangled(value: object) -> object:
    """Undo the tracker's mojibake: its GeoJSON carries some UTF-8 titles decoded as Latin-1 ("Â«Rylsk")."""
    if not isinstance(value, str):
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _stored_events(engine: Engine) -> list[dict]:
    """Every event with its source URLs, bookkeeping left out, text repaired, in a stable order."""
    with engine.connect() as conn:
        events = [dict(row) for row in conn.execute(select(Event.__table__)).mappings()]
        urls: dict[int, set[str]] = {}
        for event_id, url in conn.execute(
            select(EventSource.event_id, Source.url).join(Source, Source.id == EventSource.source_id)
        ):
            urls.setdefault(event_id, set()).add(url)
    rows = []
    for event in events:
        row = {k: _unmangled(v) for k, v in event.items() if k not in NOT_COMPARED}
        rows.append(row | {"source_urls": sorted(urls.get(event["id"], ()))})
    return sorted(rows, key=lambda r: (str(r["event_date"]), r["latitude"], r["longitude"], r["description"] or ""))


def test_osint_tracker_geojson_matches_the_csv(engine: Engine, other_engine: Engine) -> None:
    """The tracker ships its 48 events twice (CSV and GeoJSON): both files store the same events."""
    path = shared_data("osint-tracker-refinery-strikes", "events.geojson")
    add_bundled_facilities(engine)
    report = ingest_file(engine, path, fmt="geojson")
    assert report.read == 48 and report.inserted + report.merged + report.rejected == 48
    _reimport_adds_nothing(engine, path, "geojson")
    add_bundled_facilities(other_engine)
    from_csv = ingest_file(other_engine, shared_data("osint-tracker-refinery-strikes", "events_timeline.csv"))
    assert (from_csv.inserted, from_csv.merged, from_csv.rejected) == (report.inserted, report.merged, report.rejected)
    geojson_rows, csv_rows = _stored_events(engine), _stored_events(other_engine)
    assert len(geojson_rows) == len(csv_rows) == report.inserted
    assert sum(1 for row in csv_rows if row["source_urls"]) >= 40  # the comparison covers the sources too
    for number, (geojson_row, csv_row) in enumerate(zip(geojson_rows, csv_rows, strict=True)):
        differs = {k: (geojson_row[k], csv_row[k]) for k in csv_row if geojson_row[k] != csv_row[k]}
        assert differs == {}, f"event {number} ({csv_row['event_date']}, {csv_row['description']!r})"


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


def test_ucdp_ukraine_rows_only_the_power_plant_strike_is_energy(engine: Engine) -> None:
    """UCDP names the place of the strike on Vuhlehirska TPP after the plant; nothing else is energy."""
    path = shared_data("ucdp-ged-231-sample", "ucdpged_ukraine.csv")
    add_bundled_facilities(engine)
    ingest_file(engine, path, fmt="ucdp")
    with engine.connect() as conn:
        energy = conn.execute(select(Event.location_text).where(Event.target_category == "energy")).scalars().all()
        linked = conn.execute(
            select(Facility.slug, Event.facility_match, Event.geo_precision).join(
                Facility, Facility.id == Event.facility_id
            )
        ).all()
    assert energy == ["Vuhlehirska thermal power plant"]
    # Not by distance (the point is town-precise): UCDP names the plant in the location text.
    assert [tuple(row) for row in linked] == [("ua-vuhlehirska-tpp", "text", "near_town")]
