"""`strikedb export` and the writers in events.export: formula-safe CSV, GeoJSON, GeoPackage, GeoParquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from sqlalchemy import Engine

from events import analysis, export
from events.cli import run
from events.db import make_engine, session_scope
from events.errors import InputError
from events.models import Event, Facility


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7 999", "'+7 999"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("＝HYPERLINK()", "'＝HYPERLINK()"),
        ("Kirishi = KINEF", "Kirishi = KINEF"),
        ("", ""),
        (-33.5, -33.5),
        (7, 7),
        (None, None),
    ],
)
def test_neutralise(cell: object, expected: object) -> None:
    assert export.neutralise(cell) == expected


def test_csv_writer_quotes_and_neutralises() -> None:
    text = export.render_csv(["=name", "note"], [("@x", 'say "hi",\nbye'), (-1.5, None)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=name", "note"], ["'@x", 'say "hi",\nbye'], ["-1.5", ""]]


def _csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_export_csv_to_stdout(sample_url: str, capsys) -> None:
    assert run(["--db", sample_url, "export"]) == 0
    rows = _csv_rows(capsys.readouterr().out)
    assert len(rows) == 10
    by_id = {row["public_id"]: row for row in rows}
    assert by_id["SDB-T04"]["description"] == "'=1+1 looks like a formula"
    assert by_id["SDB-T04"]["source_publishers"] == '\'=HYPERLINK("http://evil")'
    kirishi = by_id["SDB-T01"]
    assert kirishi["source_urls"].split(" | ") == [
        "https://t.me/astrapress/1234",
        "https://www.reuters.com/kirishi-drone",
        "https://lenobl.ru/news/kirishi",
    ]
    assert kirishi["best_source_url"] == "https://lenobl.ru/news/kirishi"
    assert kirishi["event_date"] == "2025-03-14"
    assert float(kirishi["longitude"]) == pytest.approx(32.0237)


def test_export_filters(sample_url: str, capsys) -> None:
    assert run(["--db", sample_url, "export", "--country", "UA"]) == 0
    assert {r["public_id"] for r in _csv_rows(capsys.readouterr().out)} == {"SDB-T07", "SDB-T10"}
    assert run(["--db", sample_url, "export", "--min-confidence", "confirmed", "--since", "2025-04-01"]) == 0
    assert {r["public_id"] for r in _csv_rows(capsys.readouterr().out)} == {"SDB-T06", "SDB-T07"}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet"])
def test_export_geodata_files(sample_url: str, tmp_path: Path, fmt: str, capsys) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / f"events.{fmt}"
    assert run(["--db", sample_url, "export", "--format", fmt, "--out", str(target)]) == 0
    assert "exported 10 events" in capsys.readouterr().err
    frame = gpd.read_parquet(target) if fmt == "parquet" else gpd.read_file(target, engine="pyogrio")
    assert len(frame) == 10
    assert frame.crs.to_epsg() == 4326
    kirishi = frame[frame["public_id"] == "SDB-T01"].iloc[0]
    assert (kirishi.geometry.x, kirishi.geometry.y) == pytest.approx((32.0237, 59.4603))
    assert kirishi["source_count"] == 3
    assert kirishi["facility_name"] == "KINEF Kirishi refinery"
    if fmt != "parquet":
        info = pyogrio.read_info(target)
        assert info["features"] == 10 and info["geometry_type"] == "Point"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind


def test_gpkg_is_readable_by_ogrinfo(sample_url: str, tmp_path: Path) -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs gdal-bin, but ogrinfo is missing")
        pytest.skip("ogrinfo (GDAL command-line tools) is not installed; pyogrio.read_info is checked elsewhere")
    target = tmp_path / "events.gpkg"
    assert run(["--db", sample_url, "export", "-F", "gpkg", "-o", str(target)]) == 0
    report = subprocess.run([ogrinfo, "-so", "-al", str(target)], capture_output=True, text=True, check=True).stdout
    assert "Feature Count: 10" in report


def test_geojson_to_stdout_is_rfc7946(sample_url: str, capsys) -> None:
    assert run(["--db", sample_url, "export", "-F", "geojson", "--country", "UA"]) == 0
    collection = json.loads(capsys.readouterr().out)
    assert collection["type"] == "FeatureCollection"
    coords = sorted(tuple(f["geometry"]["coordinates"]) for f in collection["features"])
    assert coords == [(24.6489, 49.2083), (30.7396, 50.1356)]  # longitude first


def test_export_errors(sample_url: str, tmp_path: Path, capsys) -> None:
    assert run(["--db", sample_url, "export", "-F", "gpkg"]) == 1
    assert "--out" in capsys.readouterr().err
    assert run(["--db", sample_url, "export", "-F", "shp", "-o", str(tmp_path / "x.shp")]) == 1
    assert "unknown export format" in capsys.readouterr().err
    assert run(["--db", sample_url, "export", "-F", "csv", "-o", str(tmp_path / "missing" / "x.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert run(["--db", sample_url, "export", "--min-confidence", "sure"]) == 1
    assert "confidence level" in capsys.readouterr().err


def test_report_csv_neutralises_formulas(sample_url: str, capsys) -> None:
    engine = make_engine(sample_url)
    with session_scope(engine) as session:
        evil = Facility(slug="@evil", name="=cmd|' /C calc'!A0", facility_type="oil_depot", country="RU")
        for day in (1, 2, 3):
            session.add(
                Event(
                    public_id=f"SDB-EVIL{day}",
                    event_date=dt.date(2025, 6, day),
                    latitude=50.0,
                    longitude=40.0,
                    geo_precision="exact",
                    geocoded_by="coordinates",
                    facility=evil,
                    claim_status="reported",
                    confidence="likely",
                )
            )
    engine.dispose()
    assert run(["--db", sample_url, "report", "top-facilities", "--limit", "1", "-F", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1][:2] == ["'@evil", "'=cmd|' /C calc'!A0"]


def test_empty_database_exports_empty_files(db_url: str, tmp_path: Path, capsys) -> None:
    assert run(["--db", db_url, "export"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        ",".join([*analysis.EXPORT_COLUMNS, "source_urls", "source_publishers", "extra"])
    ]
    target = tmp_path / "empty.gpkg"
    assert run(["--db", db_url, "export", "-F", "gpkg", "-o", str(target)]) == 0
    assert pyogrio.read_info(target)["features"] == 0


def test_write_result_rejects_unknown_format() -> None:
    with pytest.raises(InputError):
        export.write_result(["a"], [(1,)], "xlsx")


@pytest.mark.postgres
def test_export_identical_on_both_backends(both_engines: dict[str, Engine]) -> None:
    volatile = {"created_at", "updated_at"}
    tables = {}
    for name, engine in both_engines.items():
        columns, rows = analysis.event_table(engine)
        keep = [i for i, c in enumerate(columns) if c not in volatile]
        tables[name] = export.render_csv([columns[i] for i in keep], [[row[i] for i in keep] for row in rows])
    assert tables["sqlite"] == tables["postgresql"]
    assert tables["sqlite"].count("\r\n") == 11
