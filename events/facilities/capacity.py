"""Estimate of the capacity taken offline by strikes (an estimate, not a measurement).

Method (see ``docs/capacity.md``): every event linked to a facility of the chosen type, at or above a
confidence level, is assumed to take the facility's *whole* capacity offline from the event date for a
number of days that depends on the reported effect (:data:`DEFAULT_OUTAGE_DAYS`). Overlapping outages
of one facility are merged (a plant cannot be offline twice). The daily sum per country is divided by
the country's total capacity of that type in the gazetteer to give a share. Weekly and monthly figures
are the mean of the daily values over the period (capacity-days / days).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Engine, select

from events import vocab
from events.errors import InputError
from events.models import Event, Facility

#: Days a facility is assumed offline after a strike, by reported effect. ``None`` is "effect not
#: reported"; ``intercepted``/``none_reported`` take nothing offline.
DEFAULT_OUTAGE_DAYS: dict[str | None, int] = {
    "shutdown": 30,
    "damage": 14,
    "fire": 7,
    "intercepted": 0,
    "none_reported": 0,
    None: 3,
}
#: Published national primary-distillation (crude refining) capacity, Mt/yr, the denominator of
#: ``share_national``. Russia: 327 Mt/yr "on paper" (Carnegie / The Moscow Times, October 2025); the
#: idle-capacity shares that Reuters (March 2024) and Siala via RBC (September 2025) published imply
#: 325-327. See docs/capacity.md for the sources and how the bundled gazetteer's own total compares.
NATIONAL_REFINING_MTPA: dict[str, float] = {"RU": 327.0}
#: pandas period of each output frequency (weeks run Monday to Sunday, labelled by their Monday).
FREQUENCIES = {"D": "D", "W": "W-SUN", "M": "M"}
_MEASURES = ("capacity_mtpa", "capacity_kbd", "capacity_mw")
_OUTPUT = {"capacity_mtpa": "offline_mtpa", "capacity_kbd": "offline_kbd", "capacity_mw": "offline_mw"}


def resolve_outage_days(overrides: Mapping[str | None, int] | None = None) -> dict[str | None, int]:
    """Return the outage durations: the defaults updated with ``overrides`` (validated).

    Raises
    ------
    InputError
        For an effect that is not in :data:`events.vocab.EFFECTS` (or ``unknown``) or negative days.
    """
    days = dict(DEFAULT_OUTAGE_DAYS)
    for effect, value in (overrides or {}).items():
        key = None if effect in (None, "unknown", "none") else effect
        if key is not None and key not in vocab.EFFECTS:
            raise InputError(
                f"unknown effect {effect!r} in outage durations",
                hint=f"use one of {', '.join(vocab.EFFECTS)} or 'unknown' (effect not reported)",
            )
        if int(value) < 0:
            raise InputError(f"outage days for {effect!r} must not be negative")
        days[key] = int(value)
    return days


def _primary_measure(facility_type: str) -> str:
    return "capacity_mw" if facility_type in ("power_plant", "substation") else "capacity_mtpa"


def offline_capacity(
    engine: Engine,
    *,
    country: str | None = None,
    facility_type: str = "refinery",
    min_confidence: str = "likely",
    outage_days: Mapping[str | None, int] | None = None,
    freq: str = "D",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Estimate the capacity offline per day (or week/month) and country.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    country : str, optional
        ISO alpha-2 of the facilities; all countries when None.
    facility_type : str
        Facilities of this type count (``refinery`` by default).
    min_confidence : str
        Events at or above this level (:data:`events.vocab.CONFIDENCE_LEVELS`) count.
    outage_days : mapping, optional
        Days offline by effect; missing keys take :data:`DEFAULT_OUTAGE_DAYS`.
    freq : {"D", "W", "M"}
        Daily values, or weekly (weeks starting Monday) / monthly means of the daily values.
    start, end : datetime.date, optional
        Limit the output period (defaults: first outage day, last outage day).

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``country``, ``offline_mtpa``, ``offline_kbd``, ``offline_mw``,
        ``facilities_offline`` (mean count), ``total`` (country total of the primary measure in the
        gazetteer: Mt/yr for refineries, MW for power), ``share`` (primary offline / total, 0-1; NaN
        without a total), ``national_total`` and ``share_national`` (refineries: offline Mt/yr /
        the published national capacity :data:`NATIONAL_REFINING_MTPA`; NaN for other countries/types).
        Empty (with these columns) when no event qualifies.
    """
    if freq not in FREQUENCIES:
        raise InputError(f"unknown frequency {freq!r}", hint="use D (daily), W (weekly) or M (monthly)")
    if min_confidence not in vocab.CONFIDENCE_LEVELS:
        raise InputError(f"unknown confidence {min_confidence!r}", hint=f"use one of {vocab.CONFIDENCE_LEVELS}")
    if facility_type not in vocab.FACILITY_TYPES:
        raise InputError(f"unknown facility type {facility_type!r}")
    days = resolve_outage_days(outage_days)
    country = country.upper() if country else None
    facilities, strikes = _load(engine, country, facility_type, min_confidence)
    intervals = _outages(strikes, days)
    columns = [
        "date", "country", *(_OUTPUT.values()), "facilities_offline", "total", "share", "national_total",
        "share_national",
    ]  # fmt: skip
    if not intervals:
        return pd.DataFrame(columns=columns)
    daily = _daily(intervals, facilities, start, end, freq)
    if daily.empty:
        return pd.DataFrame(columns=columns)
    totals = _totals(facilities, facility_type)
    if freq != "D":
        daily["date"] = daily["date"].dt.to_period(FREQUENCIES[freq]).dt.start_time
        daily = daily.groupby(["date", "country"], as_index=False)[[*_OUTPUT.values(), "facilities_offline"]].mean()
    for measure in _MEASURES:
        if facilities[measure].isna().all():
            daily[_OUTPUT[measure]] = float("nan")  # no facility of this type states this measure
    primary = _OUTPUT[_primary_measure(facility_type)]
    daily["total"] = daily["country"].map(totals).astype(float)
    daily["share"] = daily[primary] / daily["total"].where(daily["total"] > 0)
    national = NATIONAL_REFINING_MTPA if facility_type == "refinery" else {}
    daily["national_total"] = daily["country"].map(national).astype(float)
    daily["share_national"] = daily["offline_mtpa"] / daily["national_total"]
    daily["date"] = pd.to_datetime(daily["date"]).dt.date
    return daily[columns].sort_values(["date", "country"]).reset_index(drop=True)


def _load(
    engine: Engine, country: str | None, facility_type: str, min_confidence: str
) -> tuple[pd.DataFrame, list[tuple[int, dt.date, str | None]]]:
    query = select(Facility.id, Facility.country, *(getattr(Facility, m) for m in _MEASURES)).where(
        Facility.facility_type == facility_type
    )
    if country:
        query = query.where(Facility.country == country)
    strikes_query = (
        select(Event.facility_id, Event.event_date, Event.effect)
        .join(Facility, Facility.id == Event.facility_id)
        .where(Facility.facility_type == facility_type)
        .where(Event.confidence.in_(vocab.levels_at_or_above(min_confidence)))
    )
    if country:
        strikes_query = strikes_query.where(Facility.country == country)
    with engine.connect() as conn:
        facilities = pd.DataFrame(conn.execute(query).all(), columns=["id", "country", *_MEASURES])
        strikes = [tuple(r) for r in conn.execute(strikes_query)]
    return facilities.set_index("id"), strikes


def _outages(
    strikes: list[tuple[int, dt.date, str | None]], days: Mapping[str | None, int]
) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Merge each facility's outage intervals [start, end) so overlapping strikes count once."""
    by_facility: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for facility_id, date, effect in strikes:
        length = days.get(effect, days.get(None, 0))
        if length > 0:
            by_facility[facility_id].append((date, date + dt.timedelta(days=length)))
    merged: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for facility_id, spans in by_facility.items():
        spans.sort()
        out = [spans[0]]
        for begin, finish in spans[1:]:
            if begin <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], finish))
            else:
                out.append((begin, finish))
        merged[facility_id] = out
    return merged


def _daily(
    intervals: dict[int, list[tuple[dt.date, dt.date]]],
    facilities: pd.DataFrame,
    start: dt.date | None,
    end: dt.date | None,
    freq: str = "D",
) -> pd.DataFrame:
    rows = []
    for facility_id, spans in intervals.items():
        facility = facilities.loc[facility_id]
        for begin, finish in spans:
            for day in pd.date_range(begin, finish - dt.timedelta(days=1), freq="D"):
                rows.append((day, facility["country"], *(facility[m] for m in _MEASURES)))
    frame = pd.DataFrame(rows, columns=["date", "country", *_MEASURES])
    frame["country"] = frame["country"].fillna("??")
    frame["facilities_offline"] = 1
    daily = frame.groupby(["date", "country"], as_index=False).agg(
        **{_OUTPUT[m]: (m, "sum") for m in _MEASURES}, facilities_offline=("facilities_offline", "sum")
    )
    # Fill the days between outages with zeros so means over weeks/months are honest.
    full = []
    for country, group in daily.groupby("country"):
        first = pd.Timestamp(start) if start else group["date"].min()
        last = pd.Timestamp(end) if end else group["date"].max()
        if freq != "D" and not (start or end):
            # Whole periods, so a month's mean is over the whole month, not from the first strike on.
            first = first.to_period(FREQUENCIES[freq]).start_time
            last = last.to_period(FREQUENCIES[freq]).end_time.normalize()
        index = pd.date_range(first, last, freq="D", name="date")
        filled = group.set_index("date").reindex(index).drop(columns="country").fillna(0.0).reset_index()
        filled["country"] = country
        full.append(filled)
    return pd.concat(full, ignore_index=True) if full else daily.iloc[0:0]


def _totals(facilities: pd.DataFrame, facility_type: str) -> dict[str, float]:
    measure = _primary_measure(facility_type)
    grouped = facilities.assign(country=facilities["country"].fillna("??")).groupby("country")[measure].sum()
    return {k: float(v) for k, v in grouped.items()}


__all__ = ["DEFAULT_OUTAGE_DAYS", "FREQUENCIES", "NATIONAL_REFINING_MTPA", "offline_capacity", "resolve_outage_days"]
