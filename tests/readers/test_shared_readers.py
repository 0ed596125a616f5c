"""Acceptance: the readers on real files nobody here wrote (../shared/data; skipped when absent)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from events.readers import read_events
from events.records import EventRecord, RejectedRecord
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


def split(records: list) -> tuple[list[EventRecord], list[RejectedRecord]]:
    return [r for r in records if isinstance(r, EventRecord)], [r for r in records if isinstance(r, RejectedRecord)]


def test_osint_tracker_csv_all_48_rows_accounted_for() -> None:
    path = shared_data("osint-tracker-refinery-strikes", "events_timeline.csv")
    events, rejected = split(list(read_events(path)))
    # Every row of this file is valid in our format: mixed DD/MM/YY and DD/MM/YYYY dates, Italian
    # titles, rows without a source, an unnamed empty column. None is rejected.
    assert (len(events), len(rejected)) == (48, 0), [str(p) for r in rejected for p in r.problems]
    assert [e.line_number for e in events] == list(range(2, 50))
    assert Counter(e.claim_status for e in events) == {"reported": 44, "claimed": 4}
    assert Counter(e.attack_type for e in events) == {"drone": 47, "missile": 1}  # "Neptune missiles" (Yaroslavl)
    assert min(e.event_date for e in events) == dt.date(2025, 8, 2)
    assert max(e.event_date for e in events) == dt.date(2025, 11, 11)
    kirishi = [e for e in events if e.facility_name == "Raffineria di Kiriši"]
    assert [e.event_date for e in kirishi] == [dt.date(2025, 9, 14), dt.date(2025, 10, 4)]
    assert (kirishi[0].latitude, kirishi[0].longitude) == (59.48362, 32.0708)
    salavat = next(e for e in events if e.event_date == dt.date(2025, 9, 24))
    assert salavat.sources[0].url.endswith("a%20major%20unit%20caught%20fire.")  # a URL with commas, kept whole
    assert sum(len(e.sources) for e in events) == 44
    assert sum(1 for e in events for s in e.sources if s.archived_url) == 29
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [e.raw for e in events] == lines[1:49]  # raw rows verbatim, for the quarantine


def test_osint_tracker_geojson_48_features() -> None:
    path = shared_data("osint-tracker-refinery-strikes", "events.geojson")
    events, rejected = split(list(read_events(path, fmt="geojson")))
    assert (len(events), len(rejected)) == (48, 0)
    assert [e.line_number for e in events] == list(range(1, 49))
    csv_events = list(read_events(shared_data("osint-tracker-refinery-strikes", "events_timeline.csv")))
    # Same events as the CSV: same dates and points, in the same order.
    assert [(e.event_date, e.latitude, e.longitude) for e in events] == [
        (e.event_date, e.latitude, e.longitude) for e in csv_events
    ]
    assert "Â«RylskÂ»" in events[1].facility_name  # upstream mojibake is kept verbatim, not "repaired"


def test_acled_benin_811_rows() -> None:
    path = shared_data("acled-export-benin-sample", "acled.csv")
    events, rejected = split(list(read_events(path, fmt="acled")))
    assert (len(events), len(rejected)) == (811, 0)
    assert len({e.external_id for e in events}) == 811 and events[0].external_id == "BEN892"
    assert {e.country for e in events} == {"BJ"} and all(e.origin == "acled" for e in events)
    assert Counter(e.date_precision for e in events) == {"day": 744, "week": 61, "month": 6}
    # Codes 1 (the town's point) and 2 (a town nearby) are both town-precise; the code stays in extra.
    assert Counter(e.geo_precision for e in events) == {"near_town": 605 + 194, "region": 12}
    assert Counter(e.extra["geo_precision"] for e in events) == {"1": 605, "2": 194, "3": 12}
    assert Counter(e.extra["time_precision"] for e in events) == {"1": 744, "2": 61, "3": 6}
    assert events[0].event_date == dt.date(2022, 12, 28) and events[0].description.startswith("Displacement")
    assert all(e.sources and all(s.publisher for s in e.sources) for e in events)
    assert all("event_type" in e.extra for e in events)
    assert sum(e.fatalities_best for e in events) > 0


def test_ucdp_ged_sample_1000_rows_with_multiline_fields() -> None:
    path = shared_data("ucdp-ged-231-sample", "ucdpged.csv")
    events, rejected = split(list(read_events(path, fmt="ucdp")))
    assert (len(events), len(rejected)) == (1000, 0)
    assert len({e.external_id for e in events}) == 1000
    # Quoted source_article fields span lines: record line numbers must follow physical lines.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert events[-1].line_number > 1001
    for event in events:
        first_line = event.raw.splitlines()[0] if event.raw else ""
        assert lines[event.line_number - 1] == first_line
    assert Counter(e.geo_precision for e in events) == {"exact": 475, "near_town": 372, "region": 153}
    assert Counter(e.date_precision for e in events) == {"day": 849, "week": 114, "month": 37}
    assert sum(e.country is None for e in events) == 0
    # Estimates are kept as stated: this sample (from the uncertainUCDP R package) has rows where
    # low > best or best > high, so the reader must not enforce an order.
    assert all(min(e.fatalities_low, e.fatalities_best, e.fatalities_high) >= 0 for e in events)
    assert sum(e.fatalities_low > e.fatalities_best for e in events) > 0


def test_ucdp_ukraine_rows_include_the_thermal_power_plant() -> None:
    path = shared_data("ucdp-ged-231-sample", "ucdpged_ukraine.csv")
    events, rejected = split(list(read_events(path, fmt="ucdp")))
    assert (len(events), len(rejected)) == (26, 0)
    assert {e.country for e in events} == {"UA"}
    (plant,) = [e for e in events if e.external_id == "UKR-2022-1-14117-728"]
    assert "Vuhlehirska" in (plant.location_text or "")
