"""Capacity text parsing, unit normalisation and the offline-capacity estimate."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from events.errors import InputError
from events.facilities.capacity import (
    DEFAULT_OUTAGE_DAYS,
    NATIONAL_REFINING_MTPA,
    offline_capacity,
    resolve_outage_days,
)
from events.facilities.units import (
    KBD_PER_MTPA,
    Capacity,
    CapacityParseError,
    kbd_to_mtpa,
    mtpa_to_kbd,
    normalise,
    parse_capacity,
)
from events.models import Event, Facility


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("2.835 GW", 2.835, "GW"),
        ("1578,6 MW", 1578.6, "MW"),
        ("2135kW", 2135.0, "kW"),
        ("5700 MW", 5700.0, "MW"),
        ("1 500 MW", 1500.0, "MW"),
        ("1.234,5 MW", 1234.5, "MW"),
        ("1,234.5 MW", 1234.5, "MW"),
        ("240,000 bbl/d", 240000.0, "bbl/d"),
        ("12 Mt/yr", 12.0, "Mt/yr"),
        ("17.1 mtpa", 17.1, "Mt/yr"),
        ("300 MW;50 MW", 350.0, "MW"),
        ("12 bcm/yr", 12.0, "bcm/yr"),
        ("950 МВт", 950.0, "MW"),
    ],
)
def test_parse_capacity_free_text(text: str, value: float, unit: str) -> None:
    parsed = parse_capacity(text)
    assert parsed == Capacity(pytest.approx(value), unit)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yes", "states no amount"),
        ("0", "has no unit"),
        ("12 furlongs", "unknown unit"),
        ("-5 MW", "negative"),
        ("about a lot", "not a number"),
        ("300 MW;2 Mt/yr", "mixes units"),
    ],
)
def test_unreadable_capacity_raises_with_reason(text: str, message: str) -> None:
    with pytest.raises(CapacityParseError, match=message):
        parse_capacity(text)


def test_bare_numbers_take_the_default_unit_and_blanks_are_none() -> None:
    assert parse_capacity("5.8", default_unit="Mt/yr") == Capacity(5.8, "Mt/yr")
    assert parse_capacity(1578.6, default_unit="MW") == Capacity(1578.6, "MW")
    assert parse_capacity("  ") is None
    assert parse_capacity(None) is None
    assert parse_capacity(float("nan"), default_unit="MW") is None


def test_normalise_power_and_refining_units() -> None:
    assert normalise(Capacity(2.835, "GW")).mw == pytest.approx(2835.0)
    assert normalise(Capacity(2135, "kW")).mw == pytest.approx(2.135)
    refining = normalise(Capacity(20.1, "Mt/yr"))
    assert refining.mtpa == 20.1
    assert refining.kbd == pytest.approx(403.6, abs=0.1)
    assert normalise(Capacity(240, "kb/d")).mtpa == pytest.approx(11.95, abs=0.01)
    assert normalise(Capacity(12, "bcm/yr")) == normalise(None)


def test_documented_conversion_factor() -> None:
    # 1 t = 7.33 bbl -> 1 Mt/yr = 20.08 kb/d (docs and facilities.md say ~20.1).
    assert abs(KBD_PER_MTPA - 20.08) < 0.01


@given(st.floats(min_value=0, max_value=1e4, allow_nan=False))
def test_mtpa_kbd_round_trip(mtpa: float) -> None:
    assert kbd_to_mtpa(mtpa_to_kbd(mtpa)) == pytest.approx(mtpa, rel=1e-9, abs=1e-9)


def test_outage_overrides_are_validated() -> None:
    days = resolve_outage_days({"shutdown": 45, "unknown": 1})
    assert days["shutdown"] == 45 and days[None] == 1 and days["fire"] == DEFAULT_OUTAGE_DAYS["fire"]
    with pytest.raises(InputError, match="unknown effect"):
        resolve_outage_days({"explosion": 3})
    with pytest.raises(InputError, match="negative"):
        resolve_outage_days({"fire": -1})


# ------------------------------------------------------------------------------------------------
# offline_capacity on both backends
# ------------------------------------------------------------------------------------------------


def _facility(conn, slug: str, country: str, mtpa: float | None = None, mw: float | None = None, **kw) -> int:
    values = {
        "slug": slug,
        "name": slug,
        "facility_type": kw.get("facility_type", "refinery" if mw is None else "power_plant"),
        "country": country,
        "latitude": 50.0,
        "longitude": 40.0,
        "capacity_mtpa": mtpa,
        "capacity_kbd": None if mtpa is None else mtpa_to_kbd(mtpa),
        "capacity_mw": mw,
    }
    return conn.execute(insert(Facility.__table__).returning(Facility.__table__.c.id), values).scalar_one()


def _event(conn, n: int, facility_id: int, date: dt.date, effect: str | None, confidence: str = "likely") -> None:
    conn.execute(
        insert(Event.__table__),
        {
            "public_id": f"SDB-TEST{n:08d}",
            "event_date": date,
            "latitude": 50.0,
            "longitude": 40.0,
            "geo_precision": "exact",
            "geocoded_by": "coordinates",
            "facility_id": facility_id,
            "effect": effect,
            "confidence": confidence,
            "country": "RU",
        },
    )


@pytest.fixture
def struck(engine: Engine) -> Engine:
    """Two RU refineries (10 + 30 Mt/yr) and one UA power plant, with strikes in March 2024."""
    with engine.begin() as conn:
        a = _facility(conn, "ru-a", "RU", mtpa=10.0)
        b = _facility(conn, "ru-b", "RU", mtpa=30.0)
        p = _facility(conn, "ua-p", "UA", mw=1000.0)
        _event(conn, 1, a, dt.date(2024, 3, 1), "fire")  # 7 days: 1-7 March
        _event(conn, 2, a, dt.date(2024, 3, 5), "fire")  # overlaps: extends to 11 March
        _event(conn, 3, b, dt.date(2024, 3, 10), "intercepted")  # nothing offline
        _event(conn, 4, b, dt.date(2024, 3, 20), "damage", confidence="possible")  # below "likely"
        _event(conn, 5, p, dt.date(2024, 3, 1), "shutdown")
    return engine


def test_daily_offline_merges_overlapping_outages(struck: Engine) -> None:
    frame = offline_capacity(struck, country="RU", freq="D")
    assert list(frame.columns) == [
        "date", "country", "offline_mtpa", "offline_kbd", "offline_mw", "facilities_offline", "total", "share",
        "national_total", "share_national",
    ]  # fmt: skip
    offline_days = frame[frame["offline_mtpa"] > 0]
    assert offline_days["date"].min() == dt.date(2024, 3, 1)
    assert offline_days["date"].max() == dt.date(2024, 3, 11)
    assert len(offline_days) == 11
    assert set(offline_days["offline_mtpa"]) == {10.0}
    assert set(offline_days["facilities_offline"]) == {1}
    assert offline_days["share"].iloc[0] == pytest.approx(10 / 40)
    assert offline_days["offline_kbd"].iloc[0] == pytest.approx(mtpa_to_kbd(10.0))
    assert frame["offline_mw"].isna().all()


def test_lower_confidence_and_overrides_change_the_estimate(struck: Engine) -> None:
    loose = offline_capacity(struck, country="RU", min_confidence="possible", freq="D")
    assert loose["offline_mtpa"].max() == 30.0  # refinery b now counts from 20 March
    longer = offline_capacity(struck, country="RU", outage_days={"fire": 1}, freq="D")
    assert (longer["offline_mtpa"] > 0).sum() == 2  # 1 and 5 March only


def test_monthly_mean_is_capacity_days_over_days(struck: Engine) -> None:
    monthly = offline_capacity(struck, country="RU", freq="M")
    assert list(monthly["date"]) == [dt.date(2024, 3, 1)]
    assert monthly["offline_mtpa"].iloc[0] == pytest.approx(10.0 * 11 / 31)
    # The same month against the published national capacity (not the facilities in the database).
    assert monthly["national_total"].iloc[0] == NATIONAL_REFINING_MTPA["RU"]
    assert monthly["share_national"].iloc[0] == pytest.approx(10.0 * 11 / 31 / NATIONAL_REFINING_MTPA["RU"])
    weekly = offline_capacity(struck, country="RU", freq="W")
    assert weekly["date"].iloc[0] == dt.date(2024, 2, 26)  # the Monday of the week of 1 March
    assert all(d.weekday() == 0 for d in weekly["date"])


def test_power_plants_are_counted_in_mw(struck: Engine) -> None:
    frame = offline_capacity(struck, facility_type="power_plant", freq="D")
    assert set(frame["country"]) == {"UA"}
    assert (frame["offline_mw"] == 1000.0).sum() == DEFAULT_OUTAGE_DAYS["shutdown"]
    assert frame["offline_mtpa"].isna().all()
    assert frame["share"].max() == 1.0


def test_no_qualifying_events_gives_an_empty_frame(engine: Engine) -> None:
    frame = offline_capacity(engine)
    assert frame.empty and "share" in frame.columns


def test_bad_options_are_input_errors(engine: Engine) -> None:
    for kwargs in ({"freq": "Y"}, {"min_confidence": "sure"}, {"facility_type": "castle"}):
        with pytest.raises(InputError):
            offline_capacity(engine, **kwargs)
    assert not math.isnan(KBD_PER_MTPA)
