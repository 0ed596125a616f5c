"""The analysis views of migration 0002: same columns and same results on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from sqlalchemy import Engine, inspect, text

from events import migrate
from events.db import make_engine
from tests.analysis_fixtures import EXPECTED_BEST_SOURCE, add_sample_data

VIEWS = ("events_enriched", "strikes_monthly", "facility_strikes", "capacity_hit_monthly")
# Columns whose values depend on the moment of insertion, not on the data.
VOLATILE = {"created_at", "updated_at"}
CONTRACT = {
    "events_enriched": [
        "event_id",
        "public_id",
        "event_date",
        "date_precision",
        "event_time_utc",
        "month",
        "latitude",
        "longitude",
        "geo_precision",
        "geocoded_by",
        "location_text",
        "country",
        "admin1",
        "facility_id",
        "facility_slug",
        "facility_name",
        "facility_type",
        "facility_operator",
        "capacity_mtpa",
        "capacity_kbd",
        "capacity_mw",
        "attack_type",
        "effect",
        "damage_level",
        "description",
        "claim_status",
        "source_reliability",
        "info_credibility",
        "admiralty_grade",
        "confidence",
        "confidence_rank",
        "source_count",
        "best_source_url",
        "best_source_publisher",
        "origin",
        "external_id",
        "created_at",
        "updated_at",
    ],
    "strikes_monthly": ["month", "country", "facility_type", "confidence", "strikes", "facilities_hit"],
    "facility_strikes": [
        "facility_id",
        "slug",
        "name",
        "facility_type",
        "country",
        "admin1",
        "operator",
        "capacity_mtpa",
        "capacity_kbd",
        "capacity_mw",
        "strikes",
        "confirmed_strikes",
        "likely_or_better_strikes",
        "first_strike",
        "last_strike",
    ],
    "capacity_hit_monthly": [
        "country",
        "month",
        "facility_type",
        "min_confidence",
        "facilities_hit",
        "capacity_hit_mtpa",
        "capacity_hit_kbd",
        "capacity_hit_mw",
        "country_capacity_mtpa",
        "country_capacity_kbd",
        "country_capacity_mw",
        "share_capacity",
    ],
}
ORDER_BY = {
    "events_enriched": "event_id",
    "strikes_monthly": "month, country, facility_type, confidence",
    "facility_strikes": "facility_id",
    "capacity_hit_monthly": "country, month, facility_type, confidence_rank",
}


def _normalise(value: object) -> object:
    """Make values from both drivers comparable: ISO text for dates, rounded floats for numbers."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 9)
    return value


def _view_rows(engine: Engine, view: str) -> tuple[list[str], list[dict[str, object]]]:
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM {view} ORDER BY {ORDER_BY[view]}"))
        columns = list(result.keys())
        rows = [
            {col: _normalise(val) for col, val in zip(columns, row, strict=True) if col not in VOLATILE}
            for row in result
        ]
    return columns, rows


@pytest.fixture
def sample_engine(engine: Engine) -> Engine:
    add_sample_data(engine)
    return engine


@pytest.mark.parametrize("view", VIEWS)
def test_view_columns_follow_the_contract(engine: Engine, view: str) -> None:
    columns, _ = _view_rows(engine, view)
    assert columns[: len(CONTRACT[view])] == CONTRACT[view]


@pytest.mark.postgres
@pytest.mark.parametrize("view", VIEWS)
def test_views_identical_on_both_backends(both_engines: dict[str, Engine], view: str) -> None:
    sqlite_cols, sqlite_rows = _view_rows(both_engines["sqlite"], view)
    pg_cols, pg_rows = _view_rows(both_engines["postgresql"], view)
    assert sqlite_cols == pg_cols
    assert sqlite_rows == pg_rows
    assert sqlite_rows, f"{view} returned nothing for the sample data"


def test_events_enriched_values(sample_engine: Engine) -> None:
    _, rows = _view_rows(sample_engine, "events_enriched")
    by_id = {row["public_id"]: row for row in rows}
    assert len(rows) == 10
    for public_id, url in EXPECTED_BEST_SOURCE.items():
        assert by_id[public_id]["best_source_url"] == url
    kirishi = by_id["SDB-T01"]
    assert kirishi["month"] == "2025-03"
    assert kirishi["admiralty_grade"] == "B2"
    assert kirishi["source_count"] == 3
    assert kirishi["confidence_rank"] == 0
    assert kirishi["facility_slug"] == "ru-kirishi-kinef"
    assert kirishi["capacity_mtpa"] == 20.1
    assert kirishi["best_source_publisher"] == "Leningrad Oblast governor"
    assert by_id["SDB-T02"]["admiralty_grade"] is None
    assert by_id["SDB-T02"]["source_count"] == 0
    # A partial grade is completed with "cannot be judged" (F / 6).
    assert by_id["SDB-T08"]["admiralty_grade"] == "C6"
    assert by_id["SDB-T09"]["admiralty_grade"] == "F3"
    # No facility record: the reported type is kept.
    assert by_id["SDB-T08"]["facility_type"] == "rail_line"
    assert by_id["SDB-T08"]["facility_id"] is None
    assert [by_id[p]["confidence_rank"] for p in ("SDB-T01", "SDB-T03", "SDB-T02", "SDB-T04")] == [0, 1, 2, 3]


def test_strikes_monthly_counts(sample_engine: Engine) -> None:
    _, rows = _view_rows(sample_engine, "strikes_monthly")
    got = {
        (r["month"], r["country"], r["facility_type"], r["confidence"]): (r["strikes"], r["facilities_hit"])
        for r in rows
    }
    assert got[("2025-03", "RU", "refinery", "confirmed")] == (1, 1)
    assert got[("2025-04", "RU", "refinery", "likely")] == (1, 1)
    assert got[("2025-04", "RU", "refinery", "confirmed")] == (1, 1)
    assert got[("2025-05", "RU", "rail_line", "possible")] == (1, 0)
    assert sum(strikes for strikes, _ in got.values()) == 10


def test_facility_strikes_includes_unstruck_facilities(sample_engine: Engine) -> None:
    _, rows = _view_rows(sample_engine, "facility_strikes")
    by_slug = {row["slug"]: row for row in rows}
    assert len(rows) == 8
    depot = by_slug["ru-tikhoretsk-depot"]
    assert (depot["strikes"], depot["confirmed_strikes"], depot["likely_or_better_strikes"]) == (0, 0, 0)
    assert depot["first_strike"] is None
    kirishi = by_slug["ru-kirishi-kinef"]
    assert (kirishi["strikes"], kirishi["confirmed_strikes"], kirishi["likely_or_better_strikes"]) == (2, 1, 1)
    assert (kirishi["first_strike"], kirishi["last_strike"]) == ("2025-03-14", "2025-03-28")
    tuapse = by_slug["ru-tuapse"]
    assert (tuapse["strikes"], tuapse["confirmed_strikes"], tuapse["likely_or_better_strikes"]) == (2, 1, 2)


def test_capacity_hit_monthly_counts_each_facility_once(sample_engine: Engine) -> None:
    _, rows = _view_rows(sample_engine, "capacity_hit_monthly")
    got = {(r["country"], r["month"], r["facility_type"], r["min_confidence"]): r for r in rows}
    ru_total = 20.1 + 17.1 + 15.7 + 12.0
    march = {level: got[("RU", "2025-03", "refinery", level)] for level in ("confirmed", "likely", "possible")}
    # March: Kirishi (confirmed, then possible again) and Ryazan (likely).
    assert march["confirmed"]["facilities_hit"] == 1
    assert march["confirmed"]["capacity_hit_mtpa"] == 20.1
    assert march["likely"]["facilities_hit"] == 2
    assert march["likely"]["capacity_hit_mtpa"] == round(20.1 + 17.1, 9)
    # Kirishi struck twice in March still counts once at "possible".
    assert march["possible"]["facilities_hit"] == 2
    assert march["possible"]["strikes"] == 3
    assert march["possible"]["capacity_hit_mtpa"] == round(20.1 + 17.1, 9)
    assert march["likely"]["country_capacity_mtpa"] == round(ru_total, 9)
    assert march["likely"]["share_capacity"] == round((20.1 + 17.1) / ru_total, 9)
    # April: Tuapse struck twice (likely, confirmed); Volgograd only unverified.
    april = {level: got[("RU", "2025-04", "refinery", level)] for level in ("confirmed", "possible", "unverified")}
    assert april["confirmed"]["facilities_hit"] == 1
    assert april["possible"]["facilities_hit"] == 1
    assert april["unverified"]["facilities_hit"] == 2
    assert april["unverified"]["capacity_hit_mtpa"] == round(12.0 + 15.7, 9)
    # Power plants use MW for the share; one row per level even when nothing is hit at that level.
    trypilska = {level: got[("UA", "2025-05", "power_plant", level)] for level in ("confirmed", "unverified")}
    assert trypilska["confirmed"]["facilities_hit"] == 0
    assert trypilska["confirmed"]["capacity_hit_mw"] == 0
    assert trypilska["confirmed"]["share_capacity"] == 0
    assert trypilska["unverified"]["share_capacity"] == round(1800.0 / 4200.0, 9)
    # Novoshakhtinsk has no known capacity: hit but contributes none.
    may = got[("RU", "2025-05", "refinery", "likely")]
    assert may["facilities_hit"] == 1
    assert may["capacity_hit_mtpa"] is None
    assert may["share_capacity"] is None
    # Every (country, month, type) group has exactly one row per confidence level.
    groups = {(c, m, t) for c, m, t, _ in got}
    assert len(rows) == 4 * len(groups)


def test_downgrade_drops_the_views(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.downgrade(eng, "0001")
    assert not set(VIEWS) & set(inspect(eng).get_view_names())
    migrate.upgrade(eng)
    assert set(VIEWS) <= set(inspect(eng).get_view_names())
    eng.dispose()
