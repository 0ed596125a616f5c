"""Rail lines and junctions: the bundled rail gazetteer, line geometry, linking strikes to lines."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from sqlalchemy import Engine, select

from events import lines
from events.cli import run
from events.facilities import (
    bundled_rail_path,
    get_facility,
    import_bundled,
    line_stations,
    list_facilities,
    match_events,
)
from events.ingest import ingest_file
from events.models import Event, EventLineLink, EventRevision, Facility
from events.rail import RAIL_LINK_MAX_KM, says_rail

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "text",
    [
        "Drone attack on the railway station in Timashevsk",
        "a freight train with fuel tank cars derailed",
        "Поезд с цистернами загорелся на перегоне",
        "удар по железнодорожной станции",
        "ж/д узел обесточен",
        "Обстріл залізничної станції",
        "Укрзалізниця: пошкоджено локомотив",
        "attacco alla linea ferroviaria",
    ],
)
def test_texts_that_say_rail(text: str) -> None:
    assert says_rail(text)


@pytest.mark.parametrize(
    "text",
    ["Drone attack on the Ryazan refinery", "oil pumping station on fire", "power station shelled",
     "trainer aircraft", "Атака на НПЗ", "Удар по підстанції 330 кВ", None, ""],
)  # fmt: skip
def test_texts_that_do_not_say_rail(text: str | None) -> None:
    assert not says_rail(text)


def test_locate_on_a_line() -> None:
    # A line due east along the equator from 0 to 1 degree (~111 km), then north.
    parts = lines.line_parts("LINESTRING (0 0, 1 0, 1 1)")
    assert lines.line_length_km(parts) == pytest.approx(222.4, abs=0.5)
    where = lines.locate(parts, 0.02, 0.5)  # ~2.2 km north of the first segment's middle
    assert where.distance_km == pytest.approx(2.22, abs=0.02)
    assert where.along_km == pytest.approx(55.6, abs=0.2)
    beyond = lines.locate(parts, 0.5, 1.03)  # east of the second segment
    assert beyond.along_km == pytest.approx(111.2 + 55.6, abs=0.5)
    assert lines.locate([], 0, 0) is None


def test_bundled_rail_file_is_built_by_its_script() -> None:
    result = subprocess.run([sys.executable, "scripts/build_rail.py", "--check"], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.DictReader(bundled_rail_path().open(encoding="utf-8")))
    rail_lines = [r for r in rows if r["facility_type"] == "rail_line"]
    points = [r for r in rows if r["facility_type"] == "rail_junction"]
    assert len(rail_lines) >= 20 and len(points) >= 30
    for row in rail_lines:
        geometry = shapely.from_wkt(row["geometry_wkt"])
        stations = row["stations"].split("|")
        assert geometry.geom_type == "LineString" and len(geometry.coords) == len(stations) >= 2
        # Every vertex is one of the row's stations, in order.
        for (lon, lat), station in zip(geometry.coords, stations, strict=True):
            assert station.endswith(f"@{lat},{lon}")
        assert any(w in row["aliases"] for w in ("железная дорога",)) and "залізниця" in row["aliases"]
    names = " ".join(r["name"] for r in rows)
    for wanted in ("Crimean Bridge", "Dzhankoi", "Valuyki", "Kupiansk", "Moscow - Kursk - Belgorod", "Azov"):
        assert wanted in names, wanted
    # Every station of a line lies in Russia or Ukraine (no stray GeoNames namesake).
    for row in rail_lines:
        for lon, lat in shapely.from_wkt(row["geometry_wkt"]).coords:
            assert 44 <= lat <= 56 and 22 <= lon <= 41, (row["slug"], lat, lon)


def rail_events_csv(tmp_path: Path) -> Path:
    """Write five events (three rail strikes near bundled lines) to a CSV and return its path."""
    path = tmp_path / "rail.csv"
    path.write_text(
        "event_date,latitude,longitude,country,description,source_url\n"
        "2024-05-10,45.62,38.94,RU,Drone attack on the railway station in Timashevsk,https://example.org/a\n"
        "2024-05-11,47.30,39.78,RU,Поезд с цистернами загорелся на перегоне,https://example.org/b\n"
        "2024-05-12,48.60,37.65,UA,Обстріл залізничної станції,https://example.org/c\n"
        "2024-05-13,55.0,60.0,RU,railway bridge hit far from every bundled line,https://example.org/d\n"
        "2024-05-14,45.25,38.30,RU,Drone attack on a fuel depot,https://example.org/e\n",
        encoding="utf-8",
    )
    return path


def _links(engine: Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.description, Facility.slug, EventLineLink.distance_km, EventLineLink.along_km,
                   EventLineLink.nearest_station, EventLineLink.station_km, EventLineLink.method, Event.facility_match)
            .join(EventLineLink, EventLineLink.event_id == Event.id)
            .join(Facility, Facility.id == EventLineLink.facility_id)
        ).all()  # fmt: skip
    return {r[0][:20]: tuple(r[1:]) for r in rows}


def test_rail_strikes_are_linked_to_their_line_by_the_ingest(engine: Engine, tmp_path: Path) -> None:
    import_bundled(engine)
    report = ingest_file(engine, rail_events_csv(tmp_path))
    assert report.inserted == 5
    links = _links(engine)
    assert set(links) == {"Drone attack on the ", "Поезд с цистернами з", "Обстріл залізничної "}
    slug, distance, along, station, station_km, method, match = links["Drone attack on the "]
    # On the line, at Timashevsk station; the event itself stays linked to the Timashevsk junction
    # (0.5 km; the text names it: "railway station in Timashevsk"): a junction is more precise than
    # the line.
    assert (slug, station, method, match) == ("rail-rostov-kerch-dzhankoi", "Timashevsk", "rail_text", "text")
    assert distance < 1.0 and station_km < 1.0
    # Along the line from Rostov: Rostov - Bataysk - Timashevsk is ~190 km of straight segments.
    assert along == pytest.approx(190, abs=3)
    slug, distance, *_, match = links["Поезд с цистернами з"]
    assert slug == "rail-voronezh-rostov" and distance <= RAIL_LINK_MAX_KM
    assert match == "rail"  # no junction nearby: the event's facility is the line itself
    with engine.connect() as conn:
        evidence = conn.execute(select(Event.link_evidence).where(Event.description.like("Поезд%"))).scalar_one()
    assert evidence["method"] == "rail" and evidence["distance_km"] == distance and evidence["words"]
    assert links["Обстріл залізничної "][0] == "rail-kharkiv-lozova-kostiantynivka"
    with engine.connect() as conn:
        junction = conn.execute(
            select(Facility.slug)
            .join(Event, Event.facility_id == Facility.id)
            .where(Event.description.like("%Timashevsk"))
        ).scalar_one()
        assert junction == "rail-timashevsk-junction"
        far = conn.execute(select(Event.facility_id).where(Event.description.like("railway bridge%"))).scalar_one()
        depot_link = conn.execute(select(Event.facility_match).where(Event.description.like("%fuel depot"))).scalar()
    assert far is None  # "says rail" but 1,000 km from every line
    assert depot_link != "rail"  # near a line but the text does not say rail
    with engine.connect() as conn:
        shown = get_facility(conn, "rail-rostov-kerch-dzhankoi")
    assert [e["nearest_station"] for e in shown["line_events"]] == ["Timashevsk"]
    assert shown["stations"][0]["name"] == "Rostov-on-Don"
    with engine.connect() as conn:
        # The list counts the strikes on a line (event_line_links), not only events linked to it.
        counts = {f["slug"]: f["events"] for f in list_facilities(conn, facility_type="rail_line")}
    assert counts["rail-rostov-kerch-dzhankoi"] == 1 and counts["rail-voronezh-rostov"] == 1
    # Re-running the linking (facilities match) changes nothing and keeps the rail links.
    before = _links(engine)
    with engine.connect() as conn:
        revisions = len(conn.execute(select(EventRevision.id)).all())
    match_events(engine)
    assert _links(engine) == before
    with engine.connect() as conn:
        assert len(conn.execute(select(EventRevision.id)).all()) == revisions


def test_line_stations_are_stored_with_their_distance_along_the_line(engine: Engine) -> None:
    import_bundled(engine)
    with engine.connect() as conn:
        line_id = conn.execute(select(Facility.id).where(Facility.slug == "rail-rostov-kerch-dzhankoi")).scalar_one()
        stations = line_stations(conn, line_id)
    assert [s["name"] for s in stations][:3] == ["Rostov-on-Don", "Bataysk", "Timashevsk"]
    assert stations[-1]["name"] == "Dzhankoi" and stations[0]["km_from_start"] == 0.0
    kms = [s["km_from_start"] for s in stations]
    assert kms == sorted(kms) and 550 < kms[-1] < 650


def test_cli_lists_rail_lines_and_substations(db_url: str, capsys) -> None:
    assert run(["--db", db_url, "facilities", "import", "--bundled"]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "facilities", "list", "--type", "rail_line"]) == 0
    out = capsys.readouterr().out
    assert "rail-rostov-kerch-dzhankoi" in out and "rail-moscow-kursk-belgorod" in out
    assert run(["--db", db_url, "facilities", "list", "--type", "substation", "--country", "UA"]) == 0
    out = capsys.readouterr().out
    assert "ua-ps-kharkivska-330" in out and "ua-ps-zaporizka-750" in out
    assert run(["--db", db_url, "facilities", "list", "--type", "rail_junction"]) == 0
    assert "rail-crimean-bridge" in capsys.readouterr().out
