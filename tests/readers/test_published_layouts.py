"""Files as ACLED, UCDP and OSINT logs publish them: dates, layouts, precision codes, sources, sea events.

Every file is written here, in the layout its publisher uses (issue 13); each test fails on the
readers that took day-first as a rule, read files by extension and rejected a whole event for
one bad source cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import text

from events import analysis, export
from events.cli import run
from events.errors import InputError
from events.ingest import ingest_file
from events.readers import plan_file, read_events
from events.readers.layouts import ACLED_COLUMNS, UCDP_COLUMNS
from events.records import EventRecord, RejectedRecord
from tests.helpers import write_csv


def _csv(columns: tuple[str, ...] | list[str], rows: list[dict[str, str]], default: str = "") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, default) for column in columns])
    return buffer.getvalue()


def acled_row(**values: str) -> dict[str, str]:
    row = {
        "event_id_cnty": "UKR100",
        "year": "2020",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "actor1": "Military Forces of Russia (2000-)",
        "iso": "804",
        "region": "Europe",
        "country": "Ukraine",
        "admin1": "Kharkiv",
        "location": "Kharkiv",
        "latitude": "49.9935",
        "longitude": "36.2304",
        "geo_precision": "1",
        "source": "Ukrainska Pravda",
        "source_scale": "National",
        "notes": "Shelling of a substation.",
        "fatalities": "2",
        "timestamp": "1600000000",
    }
    row.update(values)
    return row


def ucdp_row(**values: str) -> dict[str, str]:
    row = {
        "id": "1",
        "relid": "UKR-2014-1-1-1",
        "year": "2014",
        "active_year": "1",
        "code_status": "Clear",
        "type_of_violence": "1",
        "conflict_name": "Ukraine: Donetsk",
        "side_a": "Government of Ukraine",
        "side_b": "DPR",
        "number_of_sources": "2",
        "source_office": "Reuters;Interfax",
        "source_date": "2014-05-02;2014-05-03",
        "source_headline": "Fighting near Sloviansk;Clashes",
        "where_prec": "1",
        "where_coordinates": "Sloviansk town",
        "adm_1": "Donetsk oblast",
        "latitude": "48.85",
        "longitude": "37.6",
        "country": "Ukraine",
        "country_id": "369",
        "region": "Europe",
        "event_clarity": "1",
        "date_prec": "1",
        "deaths_a": "1",
        "deaths_b": "2",
        "deaths_civilians": "3",
        "deaths_unknown": "0",
        "best": "6",
        "high": "8",
        "low": "5",
    }
    row.update(values)
    return row


def _stored(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


# ----------------------------------------------------------------------------------- ACLED


def test_acled_day_first_timestamps_detected_and_kept(engine, tmp_path: Path) -> None:
    rows = [
        acled_row(event_id_cnty="UKR1", event_date="14/08/2020 00:00:00"),
        acled_row(event_id_cnty="UKR2", event_date="03/09/2020 13:45:00", time_precision="2", geo_precision="3"),
        # ACLED's own sea event: 226 km off Ukraine's outline, in the Black Sea.
        acled_row(
            event_id_cnty="UKR3",
            event_date="05/09/2020 00:00:00",
            admin1="",
            location="Western Black Sea",
            latitude="43.517",
            longitude="31.245",
        ),
    ]
    path = write_csv(tmp_path / "acled_export.csv", _csv(ACLED_COLUMNS, rows, "NA"))
    report = ingest_file(engine, path, parallel=False)  # no --format: detected from the header
    assert (report.read, report.inserted, report.rejected) == (3, 3, 0), report.problems
    assert "ACLED export" in report.layout and "detected from its header" in report.layout
    assert "day first" in report.layout and "'14/08/2020 00:00:00' on line 2" in report.layout
    stored = _stored(
        engine,
        "SELECT external_id, event_date, event_time_utc, date_precision, geo_precision, fatalities_best, "
        "admin1_code, admin1, at_sea, extra FROM events ORDER BY external_id",
    )
    first, second, at_sea = stored
    assert [str(v) for v in first[1:3]] == ["2020-08-14", "None"]  # midnight is "no time"
    assert str(second[1]) == "2020-09-03" and str(second[2]).startswith("13:45")
    assert (second[3], second[4]) == ("week", "region")  # time_precision 2, geo_precision 3
    assert first[5] == 2 and (first[6], first[7]) == ("UA-63", "Kharkiv Oblast")
    extra = first[9] if isinstance(first[9], dict) else json.loads(first[9])
    assert extra["event_type"] == "Explosions/Remote violence" and extra["source_scale"] == "National"
    assert str(at_sea[1]) == "2020-09-05" and bool(at_sea[8]) is True and not first[8]


def test_acled_month_first_file_and_contradicting_row(tmp_path: Path) -> None:
    rows = [
        acled_row(event_id_cnty="UKR1", event_date="08/14/2020"),
        acled_row(event_id_cnty="UKR2", event_date="14/08/2020"),
    ]
    path = write_csv(tmp_path / "acled_mdy.csv", _csv(ACLED_COLUMNS, rows, "NA"))
    first, second = read_events(path)
    assert isinstance(first, EventRecord) and first.event_date == dt.date(2020, 8, 14)
    assert isinstance(second, RejectedRecord)
    reason = second.problems[0].reason
    # The hint quotes the value, says how the file is read and what settled it.
    assert "'14/08/2020'" in reason and "month first" in reason and "'08/14/2020' on line 2" in reason


def test_hints_quote_the_value_and_what_was_understood(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad_iso.csv", "date,latitude,longitude\n2025-13-45,50.4,30.5\n")
    (rejected,) = read_events(path)
    assert rejected.problems[0].reason == "'2025-13-45' read as ISO year-month-day: 13 is not a month (1-12)"


def test_acled_without_format_is_not_the_canonical_layout(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acled.csv", _csv(ACLED_COLUMNS, [acled_row(event_date="2020-08-14")], "NA"))
    assert plan_file(path).fmt == "acled"
    with pytest.raises(InputError) as forced:
        read_events(path, fmt="csv")
    assert "--format acled" in forced.value.hint


# ------------------------------------------------------------------------------------ UCDP


def test_ucdp_month_first_am_pm_cp1252(engine, tmp_path: Path) -> None:
    rows = [
        ucdp_row(relid="UKR-1", date_start="1/22/2014 12:00:00 AM", date_end="1/22/2014 12:00:00 AM"),
        ucdp_row(relid="UKR-2", date_start="05/02/2014 00:00", date_end="05/02/2014 00:00", adm_1="Donec'ka"),
        ucdp_row(relid="UKR-3", date_start="2/3/2014 3:30:00 PM", where_coordinates="Mariupol – port"),
    ]
    path = write_csv(tmp_path / "ged.csv", _csv(UCDP_COLUMNS, rows), encoding="cp1252")
    report = ingest_file(engine, path, encoding="cp1252", parallel=False)
    assert (report.inserted, report.rejected) == (3, 0), report.problems
    assert "UCDP GED" in report.layout and "month first" in report.layout
    stored = _stored(
        engine, "SELECT external_id, event_date, event_time_utc, admin1_code, admin1_reported FROM events ORDER BY 1"
    )
    assert [(r[0], str(r[1])) for r in stored] == [
        ("UKR-1", "2014-01-22"),
        ("UKR-2", "2014-05-02"),
        ("UKR-3", "2014-02-03"),
    ]
    assert stored[0][2] is None and str(stored[2][2]).startswith("15:30")
    assert [r[3] for r in stored] == ["UA-14", "UA-14", "UA-14"]
    assert stored[1][4] == "Donec'ka"


def test_ucdp_geojson_with_precision_codes(engine, tmp_path: Path) -> None:
    def feature(relid: str, lon: float, lat: float, **props: object) -> dict:
        properties = {k: v for k, v in ucdp_row(relid=relid).items() if k not in ("latitude", "longitude")}
        properties.update({"date_start": "2022-03-01T00:00:00.000Z", "date_end": "2022-03-31T00:00:00.000Z"})
        properties.update({k: v for k, v in props.items()})
        for key in ("where_prec", "date_prec", "event_clarity", "best", "low", "high", "deaths_civilians"):
            if isinstance(properties.get(key), str) and properties[key].isdigit():
                properties[key] = int(properties[key])  # GeoJSON exports carry numbers
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}

    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("UKR-10", 36.23, 49.99, where_prec=1, date_prec=1, adm_1="Kharkiv oblast"),
            # A province centroid, the month known, aggregated information: not an exact day-level point.
            feature("UKR-11", 37.8, 48.0, where_prec=4, date_prec=4, event_clarity=2, adm_1="Donetsk oblast"),
            feature("UKR-12", 35.2, 47.8, where_prec=6, date_prec=5, adm_1=None),
        ],
    }
    path = write_csv(tmp_path / "ged231.geojson", json.dumps(collection))
    plan = plan_file(path)
    assert (plan.fmt, plan.container) == ("ucdp", "geojson")
    assert plan_file(path, fmt="ucdp").container == "geojson"  # --format ucdp reads GeoJSON too
    report = ingest_file(engine, path, parallel=False)
    assert (report.inserted, report.rejected) == (3, 0), report.problems
    stored = _stored(
        engine,
        "SELECT external_id, geo_precision, date_precision, fatalities_best, admin1, admin1_code, extra "
        "FROM events ORDER BY external_id",
    )
    assert [r[1:3] for r in stored] == [("exact", "day"), ("region", "month"), ("region", "month")]
    assert stored[0][3] == 6 and stored[0][4:6] == ("Kharkiv Oblast", "UA-63")
    extras = [r[6] if isinstance(r[6], dict) else json.loads(r[6]) for r in stored]
    assert extras[1]["event_clarity"] == 2 and extras[1]["side_a"] == "Government of Ukraine"
    assert extras[0]["deaths_civilians"] == 3 and extras[0]["region"] == "Europe"
    assert "Europe" not in {r[4] for r in stored}  # UCDP's region is a continent, not admin-1


def test_map_works_with_dataset_formats(tmp_path: Path) -> None:
    rows = [ucdp_row(relid="X-1", date_start="2014-05-02")]
    text_ = _csv(UCDP_COLUMNS, rows).replace("date_start", "Start Date", 1)
    path = write_csv(tmp_path / "renamed.csv", text_)
    with pytest.raises(InputError, match="date_start"):
        read_events(path, fmt="ucdp")
    (event,) = read_events(path, fmt="ucdp", column_map={"Start Date": "date"})
    assert isinstance(event, EventRecord) and event.event_date == dt.date(2014, 5, 2)
    (kept,) = read_events(path, fmt="ucdp", column_map={"Start Date": "date", "adm_1": "extra"})
    assert kept.admin1 is None and kept.extra["adm_1 (kept as extra)"] == "Donetsk oblast"


# --------------------------------------------------------------------------- date order


def test_undecidable_file_needs_date_order(engine, tmp_path: Path) -> None:
    body = "date,latitude,longitude,location\n03/04/2025,50.45,30.52,Kyiv\n05/06/2025,49.99,36.23,Kharkiv\n"
    path = write_csv(tmp_path / "ambiguous.csv", body)
    with pytest.raises(InputError, match="day/month order of its dates cannot be told") as refused:
        ingest_file(engine, path, parallel=False)
    assert "--date-order" in refused.value.hint and "'03/04/2025' on line 2" in str(refused.value)
    assert _stored(engine, "SELECT COUNT(*) FROM ingest_runs") == [(0,)]  # refused before anything is written
    report = ingest_file(engine, path, date_order="mdy", parallel=False)
    assert report.inserted == 2
    assert [str(r[0]) for r in _stored(engine, "SELECT event_date FROM events ORDER BY event_date")] == [
        "2025-03-04",
        "2025-05-06",
    ]


def test_date_format_pattern(tmp_path: Path) -> None:
    body = "date,latitude,longitude\n2025.14.09 13:05,50.45,30.52\n2025-09-15,50.45,30.52\n"
    path = write_csv(tmp_path / "pattern.csv", body)
    first, second = read_events(path, date_format="%Y.%d.%m %H:%M")
    assert (first.event_date, first.event_time_utc) == (dt.date(2025, 9, 14), dt.time(13, 5))
    assert second.event_date == dt.date(2025, 9, 15)


def test_two_digit_years_and_iso_times(tmp_path: Path) -> None:
    body = "date,latitude,longitude\n26/10/25,50.45,30.52\n2025-09-14T03:10:00+03:00,50.45,30.52\n"
    first, second = read_events(write_csv(tmp_path / "log.csv", body))
    assert first.event_date == dt.date(2025, 10, 26) and first.event_time_utc is None
    assert second.event_date == dt.date(2025, 9, 14) and second.event_time_utc == dt.time(0, 10)


# ------------------------------------------------------------------------------- sources


def test_bad_source_cells_drop_only_that_source(engine, tmp_path: Path) -> None:
    placeholder = "Access can be requested, hidden for privacy reasons"
    rows = [
        {"date": "2025-09-14", "latitude": "59.46", "longitude": "32.07", "country": "RU", "source_url": placeholder},
        {"date": "2025-09-15", "latitude": "45.1", "longitude": "39.1", "country": "RU",
         "source_url": "t.me/RVvoenkor/12877"},
        {"date": "2025-09-16", "latitude": "54.6", "longitude": "39.7", "country": "RU",
         "source_url": "C:\\Users\\analyst\\Desktop\\strike.png https://example.org/ok"},
    ]  # fmt: skip
    path = write_csv(tmp_path / "log.csv", _csv(["date", "latitude", "longitude", "country", "source_url"], rows))
    report = ingest_file(engine, path, parallel=False)
    assert (report.inserted, report.rejected, report.source_problems) == (3, 0, 3)
    urls = _stored(
        engine,
        "SELECT e.event_date, s.url FROM events e JOIN event_sources es ON es.event_id = e.id "
        "JOIN sources s ON s.id = es.source_id ORDER BY e.event_date",
    )
    assert [(str(d), u) for d, u in urls] == [
        ("2025-09-15", "https://t.me/RVvoenkor/12877"),
        ("2025-09-16", "https://example.org/ok"),
    ]
    quarantined = _stored(engine, "SELECT line_number, kind, reasons FROM rejected_rows ORDER BY line_number")
    assert [(line, kind) for line, kind, _ in quarantined] == [(2, "source"), (3, "source"), (4, "source")]
    reasons = [r if isinstance(r, list) else json.loads(r) for _, _, r in quarantined]
    assert all(len(r) == 1 for r in reasons)  # one warning per cell, not one per word
    assert "not a link" in reasons[0][0]["reason"] and placeholder in reasons[0][0]["reason"]
    assert "stored as 'https://t.me/RVvoenkor/12877'" in reasons[1][0]["reason"]
    assert "local file path" in reasons[2][0]["reason"]


# ----------------------------------------------------------------------------------- sea


def test_sea_events(engine, tmp_path: Path) -> None:
    rows = [
        # In the sea, 226 km off Ukraine's outline: within the 200 nmi buffer.
        {"event_id": "S1", "date": "2025-09-14", "latitude": "43.517", "longitude": "31.245", "country": "UA"},
        # Far out, but the location names the sea.
        {"event_id": "S2", "date": "2025-09-14", "latitude": "42.3", "longitude": "34.9", "country": "UA",
         "location": "Black Sea, tanker"},
        # On land in another country: still wrong.
        {"event_id": "S3", "date": "2025-09-14", "latitude": "48.85", "longitude": "2.35", "country": "UA",
         "location": "Black Sea"},
        {"event_id": "S4", "date": "2025-09-14", "latitude": "59.46", "longitude": "32.07", "country": "RU"},
    ]  # fmt: skip
    columns = ["event_id", "date", "latitude", "longitude", "country", "location"]
    report = ingest_file(engine, write_csv(tmp_path / "sea.csv", _csv(columns, rows)), parallel=False)
    assert (report.inserted, report.rejected) == (3, 1)
    assert "outside UA" in report.problems[0].reason and report.problems[0].line == 4
    stored = _stored(engine, "SELECT external_id, at_sea FROM events ORDER BY external_id")
    assert [(i, bool(s)) for i, s in stored] == [("S1", True), ("S2", True), ("S4", False)]


# -------------------------------------------------------------------------------- strict


def test_strict_accounts_for_every_row(db_url: str, tmp_path: Path, capsys) -> None:
    body = "date,latitude,longitude\n" + "".join(f"2025-09-{d:02d},50.45,30.52\n" for d in range(1, 5))
    path = write_csv(tmp_path / "five.csv", body + "not a date,50.45,30.52\n")
    assert run(["--db", db_url, "ingest", str(path), "--strict"]) == 1
    captured = capsys.readouterr()
    assert "held" in captured.out and "back" in captured.out  # the column of held-back rows
    assert "1 row(s) rejected, so none of the 4 valid row(s)" in captured.err
    from events.db import make_engine

    engine = make_engine(db_url)
    try:
        report = ingest_file(engine, path, strict=True, parallel=False)
    finally:
        engine.dispose()
    assert (report.read, report.rejected, report.held_back, report.accounted) == (5, 1, 4, 5)


# -------------------------------------------------------------------------------- export


def test_exports_keep_extra(engine, tmp_path: Path) -> None:
    rows = [ucdp_row(relid="UKR-20", date_start="2014-05-02")]
    ingest_file(engine, write_csv(tmp_path / "ged.csv", _csv(UCDP_COLUMNS, rows)), parallel=False)
    columns, table = analysis.event_table(engine)
    extra = json.loads(table[0][columns.index("extra")])
    assert extra["conflict_name"] == "Ukraine: Donetsk" and extra["side_b"] == "DPR"
    assert "_strikedb" not in extra
    gdf = analysis.events_with_sources(engine)
    export.export_events(gdf, "csv", tmp_path / "e.csv")
    assert json.loads(next(csv.DictReader((tmp_path / "e.csv").open(encoding="utf-8")))["extra"])["side_a"]
    export.export_events(gdf, "parquet", tmp_path / "e.parquet")
    assert json.loads(pd.read_parquet(tmp_path / "e.parquet")["extra"][0])["conflict_name"] == "Ukraine: Donetsk"
    export.export_events(gdf, "geojson", tmp_path / "e.geojson")
    props = json.loads((tmp_path / "e.geojson").read_text(encoding="utf-8"))["features"][0]["properties"]
    assert props["extra.conflict_name"] == "Ukraine: Donetsk" and "extra" not in props
    export.export_events(gdf, "gpkg", tmp_path / "e.gpkg")
    assert gpd.read_file(tmp_path / "e.gpkg")["extra.side_b"][0] == "DPR"
