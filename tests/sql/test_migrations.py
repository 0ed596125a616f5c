"""Migrations on both backends: upgrade, no drift, one head, down/up keeps data, spatial sync."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text

from events import migrate
from events.cli import run
from events.db import make_engine, session_scope
from events.errors import SchemaOutOfDateError
from events.models import Base, Event, EventSource, Facility, Source


def _add_sample(engine) -> None:
    with session_scope(engine) as session:
        kirishi = Facility(
            slug="ru-kirishi-kinef",
            name="KINEF Kirishi refinery",
            facility_type="refinery",
            country="RU",
            latitude=59.4603,
            longitude=32.0237,
            capacity_mtpa=20.1,
        )
        event = Event(
            public_id="SDB-TEST0001",
            event_date=dt.date(2025, 9, 14),
            latitude=59.46,
            longitude=32.02,
            geo_precision="exact",
            geocoded_by="coordinates",
            facility=kirishi,
            attack_type="drone",
            effect="fire",
            claim_status="reported",
            confidence="likely",
            country="RU",
            description="Кириши: fire after drone attack",
        )
        event.source_links.append(EventSource(source=Source(url="https://example.org/a", publisher="Reuters")))
        session.add(event)


def test_exactly_one_head() -> None:
    assert len(migrate.heads()) == 1


def test_upgrade_from_empty_matches_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    with pytest.raises(SchemaOutOfDateError):
        migrate.check(engine)
    migrate.upgrade(engine)
    migrate.check(engine)
    assert migrate.drift(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.downgrade(engine, "base")
    assert migrate.current(engine) == ()
    leftovers = set(inspect(engine).get_table_names()) & (set(Base.metadata.tables) | {"events_rtree"})
    assert leftovers == set()
    migrate.upgrade(engine)
    assert migrate.drift(engine) == []
    engine.dispose()


def test_data_survives_one_step_down_and_up(db_url: str) -> None:
    engine = make_engine(db_url)
    _add_sample(engine)
    history = migrate.history()
    if len(history) > 1:
        migrate.downgrade(engine, "-1")
        migrate.upgrade(engine)
    with session_scope(engine) as session:
        event = session.query(Event).one()
        assert event.public_id == "SDB-TEST0001"
        assert event.facility.slug == "ru-kirishi-kinef"
        assert [link.source.publisher for link in event.source_links] == ["Reuters"]
        assert event.description.startswith("Кириши")
    engine.dispose()


def test_spatial_index_follows_coordinates(engine) -> None:
    _add_sample(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET latitude = 54.62, longitude = 39.74"))
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT id, min_lat, min_lon FROM events_rtree")).all()
            assert len(rows) == 1 and rows[0][1] == pytest.approx(54.62, abs=1e-4)
            hits = conn.execute(
                text("SELECT count(*) FROM events_rtree WHERE min_lat BETWEEN 54 AND 55 AND min_lon BETWEEN 39 AND 40")
            ).scalar()
        else:
            hits = conn.execute(
                text("SELECT count(*) FROM events WHERE geom && ST_MakeEnvelope(39, 54, 40, 55, 4326)")
            ).scalar()
            assert conn.execute(text("SELECT ST_SRID(geom) FROM events")).scalar() == 4326
        assert hits == 1
        conn.execute(text("DELETE FROM events"))
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("SELECT count(*) FROM events_rtree")).scalar() == 0


def test_distance_km_is_the_same_sql_on_both_backends(engine) -> None:
    with engine.connect() as conn:
        km = conn.execute(text("SELECT distance_km(59.4603, 32.0237, 54.6269, 39.6916)")).scalar()
    # Kirishi to Ryazan refinery: within 0.5 % of the WGS84 geodesic (a sphere is not an ellipsoid).
    from pyproj import Geod

    _, _, metres = Geod(ellps="WGS84").inv(32.0237, 59.4603, 39.6916, 54.6269)
    assert km == pytest.approx(metres / 1000, rel=0.005)


def test_constraints_reject_bad_vocabulary(engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (public_id, event_date, latitude, longitude, geo_precision, geocoded_by,"
                " confidence, attack_type, claim_status, date_precision, origin)"
                " VALUES ('x', '2025-01-01', 95, 0, 'exact', 'coordinates', 'likely', 'drone', 'reported', 'day',"
                " 'csv')"
            )
        )


def test_cli_refuses_out_of_date_schema_and_upgrades(empty_db_url: str, capsys) -> None:
    assert run(["--db", empty_db_url, "db", "check"]) == 1
    assert "strikedb db upgrade" in capsys.readouterr().err
    assert run(["--db", empty_db_url, "db", "upgrade"]) == 0
    assert run(["--db", empty_db_url, "db", "check"]) == 0
    assert run(["--db", empty_db_url, "db", "current"]) == 0
    assert migrate.heads()[0] in capsys.readouterr().out


def test_cli_unknown_revision_is_a_clear_error(db_url: str, capsys) -> None:
    assert run(["--db", db_url, "db", "downgrade", "nope"]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "Hint" in err


def test_migrations_ship_inside_the_package() -> None:
    from importlib.resources import files

    versions = files("migrations") / "versions"
    assert any(p.name.endswith(".py") and p.name[0].isdigit() for p in versions.iterdir())
    assert (files("migrations") / "env.py").is_file()


@pytest.mark.parametrize(
    "command",
    [
        ["sql", "SELECT 1"],
        ["events", "list"],
        ["facilities", "list"],
        ["report", "monthly"],
    ],
)
def test_commands_refuse_a_schema_behind_the_code(db_url: str, command: list[str], capsys) -> None:
    engine = make_engine(db_url)
    migrate.downgrade(engine, "0001")
    engine.dispose()
    assert run(["--db", db_url, *command]) == 1
    err = capsys.readouterr().err
    assert "strikedb db upgrade" in err and "0001" in err
