"""``strikedb map`` and events.selection on both backends, with events inserted through the ORM."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from events.cli import run
from events.db import make_engine, session_scope
from events.errors import InputError, QueryError, ReadOnlyViolation
from events.models import Event, EventSource, Facility, Source
from events.selection import EventFilter, parse_bbox, select_events, select_facilities
from tests.maps._map_samples import HOSTILE

# (public id, date, lat, lon, country, confidence, facility slug, effect)
EVENTS = [
    ("SDB-A1", dt.date(2024, 1, 20), 59.45, 32.02, "RU", "confirmed", "kirishi", "fire"),
    ("SDB-A2", dt.date(2024, 3, 13), 54.6, 39.7, "RU", "likely", "ryazan", "fire"),
    ("SDB-A3", dt.date(2024, 5, 1), 44.1, 39.07, "RU", "possible", "tuapse", "damage"),
    ("SDB-A4", dt.date(2024, 8, 15), 48.6, 44.4, "RU", "unverified", None, "none_reported"),
    ("SDB-A5", dt.date(2024, 9, 2), 49.6, 36.35, "UA", "likely", "zmiiv", "shutdown"),
]
FACILITIES = {
    "kirishi": ("Kirishi refinery (KINEF)", "refinery", 59.45, 32.02, "RU", 20.1, None),
    "ryazan": ("Ryazan refinery", "refinery", 54.6, 39.7, "RU", 17.1, None),
    "tuapse": ("Tuapse refinery", "refinery", 44.1, 39.07, "RU", 12.0, None),
    "zmiiv": ("Zmiiv thermal power plant", "power_plant", 49.6, 36.35, "UA", None, 2200.0),
    "unstruck": ("Novo-Ufa depot", "oil_depot", 54.7, 55.9, "RU", None, None),
}


@pytest.fixture
def map_db(db_url: str) -> str:
    """A migrated database with five events, five facilities and linked sources."""
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        facilities = {}
        for slug, (name, ftype, lat, lon, country, mtpa, mw) in FACILITIES.items():
            facilities[slug] = Facility(
                slug=slug,
                name=name,
                facility_type=ftype,
                latitude=lat,
                longitude=lon,
                country=country,
                capacity_mtpa=mtpa,
                capacity_mw=mw,
            )
        session.add_all(facilities.values())
        shared = Source(
            url="https://example.org/weekly",
            publisher="Weekly Digest",
            source_type="media",
            published_date=dt.date(2024, 9, 10),
            title=HOSTILE,
        )
        for public_id, date, lat, lon, country, confidence, slug, effect in EVENTS:
            event = Event(
                public_id=public_id,
                event_date=date,
                latitude=lat,
                longitude=lon,
                geo_precision="exact",
                geocoded_by="coordinates",
                country=country,
                confidence=confidence,
                effect=effect,
                facility=facilities[slug] if slug else None,
                facility_type=None if slug else "oil_depot",
                claim_status="reported",
                source_reliability="B",
                info_credibility=2,
                event_time_utc=dt.time(3, 40) if public_id == "SDB-A2" else None,
                description=HOSTILE if public_id == "SDB-A1" else f"Strike {public_id}",
            )
            own = Source(
                url=f"https://example.org/{public_id}",
                publisher="Example News",
                source_type="media",
                published_date=date,
                archived_url=f"https://web.archive.org/{public_id}",
            )
            event.source_links.append(EventSource(source=own))
            if public_id in ("SDB-A1", "SDB-A5"):
                event.source_links.append(EventSource(source=shared, role="report"))
            session.add(event)
    engine.dispose()
    return db_url


def _payload(path) -> dict:
    html = path.read_text(encoding="utf-8")
    return json.loads(re.search(r"new StrikeDB\.Dataset\((\{\"n\".*?)\);\n", html).group(1))


def _ids(payload: dict) -> list[str]:
    col = payload["cols"]["id"]
    return [col["d"][c] for c in col["c"]] if "d" in col else col["v"]


def test_select_events_returns_view_columns_sources_and_typed_dates(map_db):
    engine = make_engine(map_db, read_only=True)
    events = select_events(engine)
    engine.dispose()
    assert list(events["public_id"]) == [e[0] for e in EVENTS]  # ordered by date
    first = events.iloc[0]
    assert first["event_date"] == dt.date(2024, 1, 20)
    assert first["facility_name"] == "Kirishi refinery (KINEF)" and first["admiralty_grade"] == "B2"
    assert [s["url"] for s in first["sources"]] == ["https://example.org/SDB-A1", "https://example.org/weekly"]
    assert first["sources"][0]["published_date"] == dt.date(2024, 1, 20)
    assert first["sources"][0]["archived_url"] == "https://web.archive.org/SDB-A1"
    assert events.crs.to_epsg() == 4326 and events.geometry.iloc[0].x == pytest.approx(32.02)
    assert events.iloc[1]["event_time_utc"] == dt.time(3, 40)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (EventFilter(since=dt.date(2024, 3, 13), until=dt.date(2024, 8, 15)), ["SDB-A2", "SDB-A3", "SDB-A4"]),
        (EventFilter(min_confidence="likely"), ["SDB-A1", "SDB-A2", "SDB-A5"]),
        (EventFilter(countries=("ua",)), ["SDB-A5"]),
        (EventFilter(countries=("UA", "RU")), ["SDB-A1", "SDB-A2", "SDB-A3", "SDB-A4", "SDB-A5"]),
        (EventFilter(facility_types=("power_plant", "oil_depot")), ["SDB-A4", "SDB-A5"]),
        (EventFilter(bbox=(35.0, 44.0, 45.0, 55.0)), ["SDB-A2", "SDB-A3", "SDB-A4", "SDB-A5"]),
        (EventFilter(bbox=(170.0, 40.0, 33.0, 60.0)), ["SDB-A1"]),  # crosses the antimeridian
        (EventFilter(where="effect = 'fire' AND description NOT LIKE '%;%'"), ["SDB-A1", "SDB-A2"]),
        (EventFilter(where="event_time_utc >= '03:40'"), ["SDB-A2"]),  # a colon is not a bind parameter
        (EventFilter(where="source_count > 1", min_confidence="confirmed"), ["SDB-A1"]),
    ],
)
def test_filters_select_the_right_events(map_db, flt, expected):
    engine = make_engine(map_db, read_only=True)
    try:
        assert list(select_events(engine, flt)["public_id"]) == expected
    finally:
        engine.dispose()


def test_select_facilities_with_strike_counts(map_db):
    engine = make_engine(map_db, read_only=True)
    facilities = select_facilities(engine, countries=("RU",), facility_types=("refinery", "oil_depot"))
    engine.dispose()
    assert list(facilities["name"]) == [
        "Kirishi refinery (KINEF)",
        "Novo-Ufa depot",
        "Ryazan refinery",
        "Tuapse refinery",
    ]
    assert dict(zip(facilities["name"], facilities["strikes"], strict=True))["Novo-Ufa depot"] == 0


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("1=1; DELETE FROM events", QueryError),
        ("1=1) OR (1=1", QueryError),
        ("no_such_column = 1", QueryError),
        # No backend's grammar has DML inside an expression: a syntax error (QueryError) or a refusal.
        ("event_id IN (SELECT id FROM events) AND 1=(DELETE FROM events RETURNING 1)", (QueryError, ReadOnlyViolation)),
    ],
)
def test_where_cannot_stack_escape_or_write(map_db, where, error):
    with pytest.raises(error):
        engine = make_engine(map_db, read_only=True)
        try:
            select_events(engine, EventFilter(where=where))
        finally:
            engine.dispose()
    engine = make_engine(map_db)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Event)).scalar_one() == len(EVENTS)
    engine.dispose()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"since": dt.date(2024, 5, 1), "until": dt.date(2024, 1, 1)},
        {"min_confidence": "certain"},
        {"countries": ("RUS",)},
        {"facility_types": ("nuclear_plant",)},
        {"bbox": (10.0, 60.0, 20.0, 50.0)},
        {"bbox": (200.0, 10.0, 20.0, 50.0)},
    ],
)
def test_bad_filters_raise_input_errors(kwargs):
    with pytest.raises(InputError):
        EventFilter(**kwargs)


def test_parse_bbox():
    assert parse_bbox(" 30, 44.5,50,60 ") == (30.0, 44.5, 50.0, 60.0)
    for bad in ("30,44,50", "a,b,c,d", "30,95,50,96"):
        with pytest.raises(InputError):
            parse_bbox(bad)


def test_map_command_writes_all_selected_events(map_db, tmp_path, capsys):
    out = tmp_path / "strikes.html"
    code = run(["--db", map_db, "map", "--out", str(out), "--title", "Test <b>map</b>"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = _payload(out)
    assert _ids(payload) == [e[0] for e in EVENTS]
    assert len(payload["sources"]) == 6  # five own sources + the shared one, stored once
    assert "wrote" in captured.out and "5 events" in captured.out and "5 facilities" in captured.out
    html = out.read_text(encoding="utf-8")
    assert "<title>Test &lt;b&gt;map&lt;/b&gt;</title>" in html
    assert "Strikes per region (admin-1)" in html  # bundled admin-1 regions of RU and UA


def test_map_command_applies_filters(map_db, tmp_path, capsys):
    out = tmp_path / "filtered.html"
    code = run(
        [
            "--db",
            map_db,
            "map",
            "--out",
            str(out),
            "--country",
            "RU",
            "--country",
            "UA",
            "--min-confidence",
            "likely",
            "--since",
            "2024-02-01",
            "--bbox",
            "30,44,45,60",
            "--where",
            "effect IN ('fire', 'shutdown')",
            "--facility-type",
            "refinery",
            "--facility-type",
            "power_plant",
            "--no-facilities",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert _ids(_payload(out)) == ["SDB-A2", "SDB-A5"]
    assert "0 facilities" in captured.out
    # The map lists the filters it was made with and knows which classes they left out.
    options = _options(out)
    assert options["filters"] == [
        ["--since", "2024-02-01"],
        ["--min-confidence", "likely"],
        ["--country", "RU, UA"],
        ["--facility-type", "refinery, power_plant"],
        ["--bbox", "30,44,45,60"],
        ["--where", "effect IN ('fire', 'shutdown')"],
    ]
    assert options["leftOut"]["conf"] == ["possible", "unverified"]
    assert "refinery" not in options["leftOut"]["ft"] and "oil_depot" in options["leftOut"]["ft"]


def _options(path) -> dict:
    html = path.read_text(encoding="utf-8")
    return json.loads(re.search(r"StrikeDB\.setup\(map_\d+, \{.*?\},\s*(\{.*?\})\);", html, re.S).group(1))


def test_unfiltered_map_says_so(map_db, tmp_path, capsys):
    out = tmp_path / "all.html"
    assert run(["--db", map_db, "map", "--out", str(out)]) == 0
    assert _options(out)["filters"] == [] and _options(out)["leftOut"] == {}


def test_map_command_default_map_needs_no_network(map_db, tmp_path, capsys):
    for args in ([], ["--offline"]):  # --offline is the default now, still accepted
        out = tmp_path / "offline.html"
        assert run(["--db", map_db, "map", "--out", str(out), *args]) == 0
        html = out.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", html)
        assert "StrikeDB.basemap(" in html  # bundled outlines; online tiles only as an optional layer
        assert "offline" in capsys.readouterr().out


def test_map_command_cdn_links_pinned_hashed_scripts(map_db, tmp_path, capsys):
    out = tmp_path / "cdn.html"
    assert run(["--db", map_db, "map", "--out", str(out), "--cdn"]) == 0
    html = out.read_text(encoding="utf-8")
    links = re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"(https?:[^\"]+)\"[^>]*>", html)
    assert links and all("@" in url for url in links)
    assert html.count('integrity="sha384-') == len(links)
    assert "CDN scripts" in capsys.readouterr().out
    assert len(html) < len(_offline_html(map_db, tmp_path))


def _offline_html(map_db, tmp_path) -> str:
    out = tmp_path / "offline-size.html"
    assert run(["--db", map_db, "map", "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_map_command_refuses_offline_and_cdn_together(map_db, tmp_path, capsys):
    code = run(["--db", map_db, "map", "--out", str(tmp_path / "m.html"), "--offline", "--cdn"])
    assert code == 1
    assert "contradict" in capsys.readouterr().err


def test_empty_selection_warns_and_still_writes_a_map(map_db, tmp_path, capsys):
    out = tmp_path / "empty.html"
    code = run(["--db", map_db, "map", "--out", str(out), "--since", "2030-01-01"])
    captured = capsys.readouterr()
    assert code == 0
    assert "no events match" in captured.err
    assert _payload(out)["n"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-confidence", "certain"], "unknown confidence level"),
        (["--since", "13/03/2024"], "is not a date"),
        (["--bbox", "30,44,50"], "four numbers"),
        (["--country", "Russia"], "alpha-2"),
        (["--where", "1=1; DROP TABLE events"], "single condition"),
        (["--where", "nonsense_column > 3"], "--where failed"),
    ],
)
def test_map_command_rejects_bad_filters(map_db, tmp_path, capsys, args, message):
    out = tmp_path / "bad.html"
    code = run(["--db", map_db, "map", "--out", str(out), *args])
    captured = capsys.readouterr()
    assert code == 1
    assert message in captured.err and "Error:" in captured.err
    assert not out.exists()


def test_map_command_refuses_missing_output_directory(map_db, tmp_path, capsys):
    code = run(["--db", map_db, "map", "--out", str(tmp_path / "nope" / "m.html")])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err
