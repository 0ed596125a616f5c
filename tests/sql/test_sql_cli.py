"""`strikedb sql` and `strikedb report`: output formats, parameters, and a read-only guarantee on both backends."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events import analysis
from events.cli import run
from events.db import make_engine, sqlite_path
from events.errors import QueryError, ReadOnlyViolation

WRITES = [
    "INSERT INTO facilities (slug, name, facility_type) VALUES ('x', 'X', 'refinery')",
    "UPDATE events SET country = 'XX'",
    "DELETE FROM events",
    "DROP TABLE events",
    "DROP VIEW events_enriched",
    "CREATE TABLE scratch (x INTEGER)",
    "CREATE INDEX ix_scratch ON events (description)",
    "ALTER TABLE events ADD COLUMN scratch INTEGER",
    "select 1; delete from events",
    "WITH gone AS (DELETE FROM events RETURNING id) SELECT count(*) FROM gone",
    "EXPLAIN ANALYZE DELETE FROM events",
    "SELECT * INTO scratch FROM events",
    "/* harmless? */ delete /* no */ from events -- really",
    "BEGIN",
    "COMMIT",
]
SQLITE_ONLY_WRITES = [
    "ATTACH DATABASE '{tmp}/attached.db' AS other",
    "VACUUM INTO '{tmp}/copy.db'",
    "PRAGMA writable_schema = ON",
    "PRAGMA writable_schema",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = DELETE",
    "REPLACE INTO facilities (slug, name, facility_type) VALUES ('x', 'X', 'refinery')",
]
PG_ONLY_WRITES = [
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT pg_terminate_backend(pg_backend_pid())",
    "SELECT lo_export(0, '/tmp/strikedb-lo')",
    "TRUNCATE events CASCADE",
    "COPY events TO '/tmp/strikedb-copy.csv'",
    "SET default_transaction_read_only = off",
]


def _snapshot(url: str) -> dict[str, object]:
    """Everything a write could change: row counts, a digest of the events, schema objects."""
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("events", "facilities", "sources", "event_sources")
        }
        events = conn.execute(text("SELECT id, public_id, country, description FROM events ORDER BY id")).all()
        if engine.dialect.name == "sqlite":
            schema = conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()
            version = conn.execute(text("PRAGMA user_version")).scalar()
        else:
            schema = conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' ORDER BY 1, 2"
                )
            ).all()
            version = conn.execute(text("SHOW default_transaction_read_only")).scalar()
    engine.dispose()
    return {"counts": counts, "events": events, "schema": schema, "version": version}


def _run(url: str, *args: str) -> int:
    return run(["--db", url, *args])


def test_select_prints_a_table(sample_url: str, capsys) -> None:
    code = _run(sample_url, "sql", "SELECT public_id, facility_slug FROM events_enriched ORDER BY event_id")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "SDB-T01" in out and "ru-kirishi-kinef" in out
    assert "10 rows" in err


def test_bound_parameters_text_and_typed(sample_url: str, capsys) -> None:
    code = _run(
        sample_url,
        "sql",
        "-F",
        "json",
        "SELECT public_id FROM events_enriched WHERE country = :c AND event_date >= :since "
        "ORDER BY event_date LIMIT :n",
        "--param",
        "c=UA",
        "--param",
        "since:date=2025-04-01",
        "-p",
        "n:int=1",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == [{"public_id": "SDB-T07"}]


def test_missing_parameter_is_a_clear_error(sample_url: str, capsys) -> None:
    code = _run(sample_url, "sql", "SELECT * FROM events WHERE country = :country")
    _, err = capsys.readouterr()
    assert code == 1
    assert "Error:" in err and "country" in err and "--param" in err


def test_query_from_file_and_stdin(sample_url: str, tmp_path: Path, capsys, monkeypatch) -> None:
    query = tmp_path / "q.sql"
    query.write_text(
        "-- count confirmed strikes\nSELECT count(*) AS n FROM events_enriched\nWHERE confidence = 'confirmed';\n",
        encoding="utf-8",
    )
    assert _run(sample_url, "sql", "-f", str(query), "-F", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["n", "3"]
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT count(*) AS n FROM facility_strikes WHERE strikes = 0"))
    assert _run(sample_url, "sql", "-f", "-", "-F", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["n", "1"]  # only the Tikhoretsk depot


def test_csv_output_neutralises_formulas(sample_url: str, capsys) -> None:
    code = _run(
        sample_url,
        "sql",
        "-F",
        "csv",
        "SELECT description, best_source_publisher, longitude - 100 AS west FROM events_enriched "
        "WHERE public_id = 'SDB-T04'",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][0] == "'=1+1 looks like a formula"
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    assert float(rows[1][2]) == pytest.approx(44.5858 - 100)  # numbers stay numbers, even negative


def test_geojson_output(sample_url: str, capsys) -> None:
    code = _run(
        sample_url,
        "sql",
        "-F",
        "geojson",
        "SELECT public_id, latitude, longitude FROM events_enriched WHERE country = 'UA' ORDER BY event_id",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    collection = json.loads(out)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["public_id"] for f in collection["features"]] == ["SDB-T07", "SDB-T10"]
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [24.6489, 49.2083]}


def test_geojson_needs_coordinates(sample_url: str, capsys) -> None:
    assert _run(sample_url, "sql", "-F", "geojson", "SELECT public_id FROM events") == 1
    assert "latitude and longitude" in capsys.readouterr().err


def test_parquet_output_needs_and_writes_a_file(sample_url: str, tmp_path: Path, capsys) -> None:
    assert _run(sample_url, "sql", "-F", "parquet", "SELECT * FROM strikes_monthly") == 1
    assert "--out" in capsys.readouterr().err
    target = tmp_path / "monthly.parquet"
    assert (
        _run(
            sample_url,
            "sql",
            "-F",
            "parquet",
            "-o",
            str(target),
            "SELECT * FROM strikes_monthly ORDER BY month, country, facility_type, confidence",
        )
        == 0
    )
    frame = pd.read_parquet(target)
    assert list(frame.columns) == ["month", "country", "facility_type", "confidence", "strikes", "facilities_hit"]
    assert frame["strikes"].sum() == 10


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_change_nothing(sample_url: str, statement: str, capsys) -> None:
    before = _snapshot(sample_url)
    code = _run(sample_url, "sql", statement)
    _, err = capsys.readouterr()
    assert code == 1
    assert "Error:" in err
    # SQLite has no data-modifying CTE: there it is a syntax error, which changes nothing either.
    assert (
        "refused" in err
        or "one statement at a time" in err
        or (sample_url.startswith("sqlite") and "syntax error" in err)
    )
    assert _snapshot(sample_url) == before


def test_backend_specific_writes_are_refused(sample_url: str, tmp_path: Path, capsys) -> None:
    statements = SQLITE_ONLY_WRITES if sample_url.startswith("sqlite") else PG_ONLY_WRITES
    before = _snapshot(sample_url)
    for statement in statements:
        code = _run(sample_url, "sql", statement.format(tmp=tmp_path))
        err = capsys.readouterr().err
        assert code == 1, statement
        assert "refused" in err, (statement, err)
    assert _snapshot(sample_url) == before
    assert not (tmp_path / "attached.db").exists()
    assert not (tmp_path / "copy.db").exists()


def test_the_database_refuses_writes_the_statement_check_would_miss(sample_url: str, tmp_path: Path) -> None:
    """Below the statement check, the read-only connection itself refuses writes."""
    engine = make_engine(sample_url, read_only=True)
    before = _snapshot(sample_url)
    attempts = ["DELETE FROM events", "CREATE TABLE scratch (x INTEGER)"]
    if engine.dialect.name == "sqlite":
        attempts += [
            f"ATTACH DATABASE '{tmp_path}/a.db' AS a",
            f"VACUUM INTO '{tmp_path}/v.db'",
            "PRAGMA writable_schema = ON",
        ]
    for statement in attempts:
        with pytest.raises(DBAPIError), analysis.read_only_connection(engine) as conn:
            conn.exec_driver_sql(statement)
    engine.dispose()
    assert _snapshot(sample_url) == before
    assert not (tmp_path / "a.db").exists()
    assert not (tmp_path / "v.db").exists()


def test_run_query_reports_the_statement_kind(sample_url: str) -> None:
    engine = make_engine(sample_url, read_only=True)
    with pytest.raises(ReadOnlyViolation, match="UPDATE"):
        analysis.run_query(engine, "update events set country = 'XX'")
    with pytest.raises(QueryError, match="one statement"):
        analysis.run_query(engine, "SELECT 1; SELECT 2")
    with pytest.raises(QueryError, match="empty"):
        analysis.run_query(engine, "  -- nothing\n ; ")
    columns, rows = analysis.run_query(
        engine, "SELECT ';' AS semi, 'DELETE' AS word, \"public_id\" FROM events WHERE public_id = :p", {"p": "SDB-T01"}
    )
    assert columns == ["semi", "word", "public_id"] and rows == [(";", "DELETE", "SDB-T01")]
    engine.dispose()


def test_timeout_cancels_a_runaway_query(sample_url: str, capsys) -> None:
    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    code = _run(sample_url, "sql", "--timeout", "0.5", runaway)
    _, err = capsys.readouterr()
    assert code == 1
    assert "cancelled" in err and "--timeout" in err


def test_sqlite_read_only_needs_an_existing_file(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.db"
    assert run(["--db", str(missing), "sql", "SELECT 1"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()


def test_sql_does_not_modify_the_sqlite_file(sqlite_url: str) -> None:
    path = sqlite_path(sqlite_url)
    assert path is not None
    before = path.read_bytes()
    assert run(["--db", sqlite_url, "sql", "SELECT count(*) FROM events_enriched"]) == 0
    assert run(["--db", sqlite_url, "sql", "DELETE FROM events"]) == 1
    assert path.read_bytes() == before


SAMPLE_IDS = {f"SDB-T{n:02d}" for n in range(1, 11)}
STRUCK = {
    "ru-kirishi-kinef", "ru-novoshakhtinsk", "ru-ryazan", "ru-tuapse", "ru-volgograd", "ua-burshtyn-tpp",
    "ua-trypilska-tpp",
}  # fmt: skip
NEW_SINCE_COLUMNS = [
    "public_id", "event_date", "created_at", "facility_name", "location_text", "country", "confidence",
    "admiralty_grade", "best_source_url",
]  # fmt: skip
TOP_FACILITIES_COLUMNS = [
    "facility_slug", "facility_name", "facility_type", "country", "strikes", "confirmed", "first_strike",
    "last_strike", "capacity_mtpa", "capacity_mw",
]  # fmt: skip
#: What each report exports for the sample data since 2000-01-01, on both backends: the header, the values
#: of the first column and the total of the ``strikes`` column (``None``: the report has none).
REPORT_CSV = {
    "confidence": (
        ["confidence", "strikes", "percent", "facilities", "with_sources", "graded"],
        {"confirmed", "likely", "possible", "unverified"},
        10,
    ),
    "monthly": (
        ["month", "strikes", "confirmed", "likely", "possible", "unverified", "facilities_hit", "countries"],
        {"2025-03", "2025-04", "2025-05"},
        10,
    ),
    "new-since": (NEW_SINCE_COLUMNS, SAMPLE_IDS, None),
    "top-facilities": (TOP_FACILITIES_COLUMNS, STRUCK, 9),
}


@pytest.mark.parametrize("name", sorted(analysis.REPORTS))
def test_every_report_runs_and_exports(sample_url: str, name: str, tmp_path: Path, capsys) -> None:
    header, first_column, strikes = REPORT_CSV[name]
    assert _run(sample_url, "report", name, "--since", "2000-01-01") == 0
    table = capsys.readouterr()
    assert analysis.REPORTS[name].description in table.out
    assert f"{len(first_column)} rows" in table.err
    target = tmp_path / f"{name}.csv"
    assert _run(sample_url, "report", name, "--since", "2000-01-01", "-F", "csv", "-o", str(target)) == 0
    with target.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == header
    assert len(rows) == len(first_column)
    assert {row[header[0]] for row in rows} == first_column
    if strikes is not None:
        assert sum(int(row["strikes"]) for row in rows) == strikes


def test_report_values(sample_url: str) -> None:
    engine = make_engine(sample_url, read_only=True)
    columns, rows = analysis.run_report(engine, "monthly", analysis.ReportOptions(country="RU"))
    assert columns[:6] == ["month", "strikes", "confirmed", "likely", "possible", "unverified"]
    assert rows == [
        ("2025-03", 3, 1, 1, 1, 0, 2, 1),
        ("2025-04", 3, 1, 1, 0, 1, 2, 1),
        ("2025-05", 2, 0, 1, 1, 0, 1, 1),
    ]
    _, top = analysis.run_report(engine, "top-facilities", analysis.ReportOptions(limit=2))
    assert [(r[0], r[4]) for r in top] == [("ru-tuapse", 2), ("ru-kirishi-kinef", 2)]
    _, levels = analysis.run_report(engine, "confidence", analysis.ReportOptions(country="UA"))
    assert [(r[0], r[1]) for r in levels] == [("confirmed", 1), ("likely", 0), ("possible", 0), ("unverified", 1)]
    options = analysis.ReportOptions(since=dt.date(2000, 1, 1), min_confidence="confirmed")
    _, fresh = analysis.run_report(engine, "new-since", options)
    assert {r[0] for r in fresh} == {"SDB-T01", "SDB-T06", "SDB-T07"}
    _, none = analysis.run_report(engine, "new-since", analysis.ReportOptions(since=dt.date(2999, 1, 1)))
    assert none == []
    engine.dispose()


def test_report_errors(sample_url: str, capsys) -> None:
    assert _run(sample_url, "report", "nope") == 1
    assert "no report named" in capsys.readouterr().err
    assert _run(sample_url, "report", "new-since") == 1
    assert "--since" in capsys.readouterr().err
    assert _run(sample_url, "report", "monthly", "--since", "yesterday") == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert _run(sample_url, "report") == 0
    assert "top-facilities" in capsys.readouterr().out
