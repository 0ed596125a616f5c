"""Confidence from evidence: real-shaped rows without grades get the levels docs/confidence.md documents.

Each row looks like what OSINT logs and dataset exports ship: a source link and nothing else (no
claim status, no Admiralty grade), a geolocation link, a UCDP row with its own certainty fields.
They go through the real reader and loader into a real database on each backend.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from events import grading, publisher_ops, vocab
from events.cli import run
from events.ingest import ingest_file
from events.models import EventRevision, Source
from events.publishers import bundled_path, bundled_registry, read_registry_file, url_keys
from tests.helpers import write_csv
from tests.ingest_fixtures import events_by

RYAZAN = {
    "date": "2025-10-23",
    "latitude": "54.5725",
    "longitude": "39.7482",
    "facility": "Ryazan refinery",
    "facility_type": "refinery",
    "country": "RU",
    "attack_type": "drone",
}
BELGOROD_SUBSTATION = {
    "date": "2025-10-20",
    "latitude": "50.5977",
    "longitude": "36.5858",
    "facility": "Belgorod substation",
    "facility_type": "substation",
    "country": "RU",
    "attack_type": "drone",
}


def _only(engine: Engine, rows: list[dict], tmp_path: Path, name: str = "log.csv") -> dict:
    ingest_file(engine, write_csv(tmp_path / name, rows))
    (event,) = events_by(engine).values()
    return event


def _grades(event: dict) -> tuple:
    return event["claim_status"], event["source_reliability"], event["info_credibility"], event["confidence"]


def test_governor_channel_is_confirmation_by_the_side_hit(engine: Engine, tmp_path: Path) -> None:
    row = dict(BELGOROD_SUBSTATION, source_url="https://t.me/vvgladkov/11234")
    event = _only(engine, [row], tmp_path)
    assert _grades(event) == ("confirmed_by_official", "C", None, "confirmed")
    with engine.connect() as conn:
        source = conn.execute(select(Source.__table__)).mappings().one()
    assert (source["publisher"], source["publisher_kind"]) == ("Belgorod oblast governor (V. Gladkov)", "official")
    assert source["publisher_key"] == "t.me/vvgladkov"


def test_wire_story_is_independent_reporting(engine: Engine, tmp_path: Path) -> None:
    url = (
        "https://www.reuters.com/business/energy/russias-fourth-largest-oil-refinery-halts-processing-unit-2025-10-24/"
    )
    event = _only(engine, [dict(RYAZAN, source_url=url)], tmp_path)
    assert _grades(event) == ("reported", "B", None, "likely")


def test_military_blogger_post_alone_is_possible(engine: Engine, tmp_path: Path) -> None:
    event = _only(engine, [dict(RYAZAN, source_url="https://t.me/rybar/74512")], tmp_path)
    assert _grades(event) == ("reported", "E", None, "possible")


def test_attackers_claim_alone_is_claimed(engine: Engine, tmp_path: Path) -> None:
    event = _only(engine, [dict(RYAZAN, source_url="https://t.me/GeneralStaffZSU/31520")], tmp_path)
    assert _grades(event) == ("claimed", "C", None, "possible")


def test_geolocated_video_link_confirms_by_imagery(engine: Engine, tmp_path: Path) -> None:
    row = dict(
        RYAZAN,
        source_url="https://t.me/exilenova_plus/9812",
        geolocation="https://x.com/GeoConfirmed/status/1981234567890123456",
    )
    # The log's own header: a "geolocation" column, as OSINT logs name it.
    ingest_file(engine, write_csv(tmp_path / "log.csv", [row], columns=tuple(row)))
    (event,) = events_by(engine).values()
    assert event["claim_status"] == "confirmed_by_imagery" and event["confidence"] == "confirmed"
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(Source.url, Source.source_type)).all())
    assert kinds["https://x.com/GeoConfirmed/status/1981234567890123456"] == "imagery"


def test_a_files_explicit_claim_status_wins(engine: Engine, tmp_path: Path) -> None:
    row = dict(BELGOROD_SUBSTATION, source_url="https://t.me/vvgladkov/11234", claim_status="not verified")
    assert _grades(_only(engine, [row], tmp_path)) == ("claimed", "C", None, "possible")


def test_denial_by_the_side_hit_disputes_unless_a_reliable_report(engine: Engine, tmp_path: Path) -> None:
    denial = dict(
        RYAZAN,
        source_url="https://t.me/mod_russia/51234",
        source_title="Все беспилотники уничтожены над Рязанской областью",
    )
    assert _grades(_only(engine, [denial], tmp_path))[::3] == ("disputed", "unverified")
    both = dict(denial, source_url_2="https://www.reuters.com/world/ryazan-refinery-fire-2025-10-23/")
    ingest_file(engine, write_csv(tmp_path / "both.csv", [both]))
    levels = {e["claim_status"]: e["confidence"] for e in events_by(engine).values()}
    assert levels["reported"] == "likely"


def test_two_publishers_of_different_kinds_count_more_than_one_network(engine: Engine, tmp_path: Path) -> None:
    wire_and_national = dict(
        RYAZAN, source_url="https://www.reuters.com/x", source_url_2="https://kyivindependent.com/ryazan-refinery/"
    )
    # Wire + national outlet: counted as three independent publishers -> credibility 1 -> confirmed.
    assert _grades(_only(engine, [wire_and_national], tmp_path, "a.csv")) == ("reported", "B", 1, "confirmed")


def test_two_channels_of_one_network_do_not_corroborate(engine: Engine, tmp_path: Path) -> None:
    one_network = dict(RYAZAN, source_url="https://t.me/rybar/1", source_url_2="https://t.me/rybar_in_english/2")
    assert _grades(_only(engine, [one_network], tmp_path)) == ("reported", "E", None, "possible")


UCDP_GED_COLUMNS = [
    "relid", "date_start", "latitude", "longitude", "where_prec", "date_prec", "country", "adm_1",
    "event_clarity", "number_of_sources", "source_office", "source_date", "source_headline", "best",
]  # fmt: skip


UCDP_ROW = {
    "relid": "UKR-2022-1-14117-728",
    "date_start": "2022-10-10",
    "latitude": "48.2431",
    "longitude": "38.2283",
    "where_prec": "1",
    "date_prec": "1",
    "country": "Ukraine",
    "adm_1": "Donetsk oblast",
    "event_clarity": "1",
    "number_of_sources": "1",
    "source_office": "Ukrinform",
    "source_date": "2022-10-10",
    "source_headline": "Enemy shelled Vuhlehirska thermal power plant",
    "best": "0",
}


def test_ucdp_event_clarity_2_lowers_the_level(engine: Engine, tmp_path: Path) -> None:
    rows = [UCDP_ROW, dict(UCDP_ROW, relid="UKR-2022-1-14117-729", event_clarity="2", latitude="48.5")]
    ingest_file(engine, write_csv(tmp_path / "ged.csv", rows, UCDP_GED_COLUMNS), fmt="ucdp")
    by_id = {e["external_id"]: e for e in events_by(engine).values()}
    assert _grades(by_id["UKR-2022-1-14117-728"]) == ("reported", "C", 3, "likely")
    assert _grades(by_id["UKR-2022-1-14117-729"]) == ("reported", "C", 4, "possible")


def test_acled_source_scale_gives_credibility() -> None:
    def credibility(scale: str, geo: str = "1") -> int | None:
        values = {"origin": "acled", "extra": {"source_scale": scale, "geo_precision": geo, "time_precision": "1"}}
        return grading.dataset_credibility(values)[0]

    assert credibility("National-International") == 2
    assert credibility("National") == 3
    assert credibility("New media") == 4
    assert credibility("National", geo="3") == 4


def test_acled_precision_codes_from_an_export_lower_credibility(engine: Engine, tmp_path: Path) -> None:
    """The reader keeps both codes in ``extra``; a month-dated or region-placed event is less credible."""
    from events.readers.layouts import ACLED_COLUMNS

    base = dict.fromkeys(ACLED_COLUMNS, "NA") | {
        "event_date": "13 March 2024", "year": "2024", "iso": "643", "country": "Russia", "location": "Ryazan",
        "latitude": "54.6269", "longitude": "39.6916", "source": "Kommersant", "source_scale": "National",
        "notes": "Drones attacked Ryazan", "fatalities": "0", "sub_event_type": "Air/drone strike",
    }  # fmt: skip
    rows = [
        base | {"event_id_cnty": "RUS1", "time_precision": "1", "geo_precision": "1"},
        base | {"event_id_cnty": "RUS2", "time_precision": "3", "geo_precision": "1"},
        base | {"event_id_cnty": "RUS3", "time_precision": "1", "geo_precision": "3"},
    ]
    ingest_file(engine, write_csv(tmp_path / "acled.csv", rows, list(ACLED_COLUMNS)))
    credibility = {e["external_id"]: e["info_credibility"] for e in events_by(engine).values()}
    assert credibility == {"RUS1": 3, "RUS2": 4, "RUS3": 4}


def test_every_source_gets_a_publisher_and_kind(engine: Engine, tmp_path: Path) -> None:
    row = dict(
        RYAZAN, source_url="https://ryazan-news.example.ru/2025/10/23/pozhar", source_url_2="https://t.me/x_ch/1"
    )
    ingest_file(engine, write_csv(tmp_path / "log.csv", [row]))
    with engine.connect() as conn:
        rows = conn.execute(select(Source.publisher, Source.publisher_kind, Source.publisher_key)).all()
    found = {tuple(row) for row in rows}
    assert found == {
        ("example.ru", "unknown", "example.ru"),
        ("t.me/x_ch", "unknown", "t.me/x_ch"),
    }


def test_regrading_a_publisher_recomputes_its_events_with_revisions(engine: Engine, tmp_path: Path) -> None:
    event = _only(engine, [dict(RYAZAN, source_url="https://t.me/rybar/74512")], tmp_path)
    assert event["confidence"] == "possible"
    result = publisher_ops.set_publisher(engine, "t.me/rybar", {"reliability": "B"}, user="ana", reason="test")
    assert result["levels"] == {event["public_id"]: ("possible", "likely")}
    (after,) = events_by(engine).values()
    assert (after["source_reliability"], after["confidence"]) == ("B", "likely")
    with engine.connect() as conn:
        revision = conn.execute(select(EventRevision.__table__)).mappings().one()
    assert revision["changes"] == {"source_reliability": "B", "confidence": "likely"}
    assert revision["changed_by"] == "ana" and "t.me/rybar" in revision["reason"]
    # A new ingest uses the analyst's grade too.
    other = dict(RYAZAN, date="2025-11-02", source_url="https://t.me/rybar/80000")
    ingest_file(engine, write_csv(tmp_path / "later.csv", [other]))
    assert {e["confidence"] for e in events_by(engine).values()} == {"likely"}
    shown = publisher_ops.get_publisher(engine, "https://t.me/rybar/1")
    assert (shown["reliability"], shown["origin"], shown["bundled"]) == ("B", "analyst", "E")


def test_analyst_update_wins_over_the_evidence(engine: Engine, tmp_path: Path) -> None:
    from events import eventops

    event = _only(engine, [dict(RYAZAN, source_url="https://t.me/GeneralStaffZSU/31520")], tmp_path)
    eventops.update_event(engine, event["public_id"], {"claim_status": "confirmed_by_imagery"}, user="ana")
    publisher_ops.set_publisher(engine, "t.me/generalstaffzsu", {"reliability": "D"})
    (after,) = events_by(engine).values()
    assert (after["claim_status"], after["source_reliability"], after["confidence"]) == (
        "confirmed_by_imagery",
        "D",
        "likely",
    )


def test_cli_publishers_and_events_show_explain_the_level(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write_csv(tmp_path / "log.csv", [dict(BELGOROD_SUBSTATION, source_url="https://t.me/vvgladkov/11234")])
    assert run(["--db", db_url, "ingest", str(path)]) == 0
    assert run(["--db", db_url, "events", "list"]) == 0
    public_id = next(word for word in capsys.readouterr().out.split() if word.startswith("SDB-"))
    assert run(["--db", db_url, "events", "show", public_id]) == 0
    shown = capsys.readouterr().out
    assert "how the level was reached" in shown
    assert "the side hit (RU) confirms" in shown and "confirmed_by_official scores 3" in shown
    assert run(["--db", db_url, "publishers", "show", "t.me/vvgladkov"]) == 0
    assert "Belgorod" in capsys.readouterr().out
    assert run(["--db", db_url, "publishers", "set", "t.me/vvgladkov", "--reliability", "E", "--reason", "x"]) == 0
    assert "1 changed confidence level" in capsys.readouterr().out
    assert run(["--db", db_url, "publishers", "set", "t.me/vvgladkov", "--reliability", "Q"]) == 1
    assert run(["--db", db_url, "publishers", "list", "--seen"]) == 0
    assert "t.me/vvgladkov" in capsys.readouterr().out


def test_bundled_registry_is_large_checked_and_justified() -> None:
    entries = read_registry_file(bundled_path())
    assert len(entries) >= 300
    assert all(e.justification and e.kind in vocab.PUBLISHER_KINDS for e in entries)
    assert all(e.party for e in entries if e.voice == "military")
    kinds = {e.kind for e in entries}
    assert {"official", "wire", "national_media", "regional_media", "osint", "military_blogger", "aggregator"} <= kinds
    registry = bundled_registry()
    for url, name in [
        ("https://t.me/s/mod_russia/44000", "Russian Ministry of Defence (Telegram)"),
        ("https://tass.ru/proisshestviya/25000000", "TASS"),
        ("https://www.ukrinform.net/rubric-ato/4047496-drone-attacks.html", "Ukrinform (English)"),
        ("https://interfax.com.ua/news/general/1.html", "Interfax-Ukraine"),
        ("https://ria.ru/20251023/npz-1.html", "RIA Novosti"),
    ]:
        assert registry.identify(url).name == name
    assert registry.identify(None, "Reuters News").key == "reuters.com"
    assert registry.identify(None, "Agence France Presse").key == "afp.com"
    assert url_keys("https://twitter.com/GeoConfirmed/status/1")[0] == "x.com/geoconfirmed"


def test_documented_evidence_table_matches_the_code() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "confidence.md").read_text(encoding="utf-8")
    header = "| evidence (no stated claim status) | claim status | example source |"
    lines = doc[doc.index(header) :].splitlines()[2:]
    checked = 0
    registry = bundled_registry()
    values = {"country": "RU", "admin1": "Ryazan oblast"}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        expected, url = cells[1], cells[2]
        role = "imagery" if "geolocation" in cells[0] else ("denial" if "denial" in cells[0] else "report")
        items = grading.evidence([(url, None, role)], values, registry)
        assert grading.derived_claim(items, grading.struck_sides("RU", None))[0] == expected, line
        checked += 1
    assert checked >= 5


def test_map_popup_data_names_the_publisher_and_its_grade(engine: Engine, tmp_path: Path) -> None:
    from events.selection import select_events
    from maps.data import SOURCE_FIELDS, event_payload

    _only(engine, [dict(BELGOROD_SUBSTATION, source_url="https://t.me/vvgladkov/11234")], tmp_path)
    (source,) = event_payload(select_events(engine))["sources"]
    shown = dict(zip(SOURCE_FIELDS, source, strict=True))
    assert shown["publisher"] == "Belgorod oblast governor (V. Gladkov)"
    assert (shown["publisher_kind"], shown["publisher_reliability"]) == ("official", "C")


def test_sync_restores_the_bundled_rows_and_keeps_analyst_ones(engine: Engine) -> None:
    from sqlalchemy import delete, update

    from events.models import PublisherRecord

    table = PublisherRecord.__table__
    with engine.begin() as conn:
        assert conn.execute(select(table.c.key)).all()  # seeded by the migration
        conn.execute(delete(table).where(table.c.key == "reuters.com"))
        conn.execute(update(table).where(table.c.key == "tass.ru").values(reliability="A"))
    publisher_ops.set_publisher(engine, "t.me/rybar", {"reliability": "D"})
    result = publisher_ops.sync_bundled(engine)
    assert (result["added"], result["updated"]) == (["reuters.com"], ["tass.ru"])
    with engine.connect() as conn:
        grades = dict(conn.execute(select(table.c.key, table.c.reliability)).all())
    assert (grades["tass.ru"], grades["t.me/rybar"], grades["reuters.com"]) == ("C", "D", "B")


def test_map_popup_in_a_browser_names_the_publisher_and_its_grade(sqlite_url: str, tmp_path: Path, browser) -> None:
    from events.db import make_engine
    from events.mapping import make_map, save_map
    from events.selection import EventFilter
    from tests.browser import LoadedPage

    engine = make_engine(sqlite_url)
    row = dict(BELGOROD_SUBSTATION, source_url="https://t.me/vvgladkov/11234", description="Substation on fire")
    ingest_file(engine, write_csv(tmp_path / "log.csv", [row]))
    out = tmp_path / "map.html"
    save_map(make_map(engine, EventFilter(), offline=True, title="Grades"), out)
    engine.dispose()
    loaded = LoadedPage(browser, out.as_uri())
    try:
        loaded.page.locator(".sdb-search").fill("Substation")
        loaded.page.wait_for_function("StrikeDB.current.state.q === 'Substation'")
        loaded.settle()
        loaded.page.locator(".sdb-list-items li").first.click()
        popup = loaded.page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "Belgorod oblast governor (V. Gladkov)" in text
        assert "[official, reliability C]" in text
        assert loaded.errors == []
    finally:
        loaded.page.close()


def test_events_stored_before_evidence_grading_keep_their_grades_until_regraded(engine: Engine, tmp_path: Path) -> None:
    from sqlalchemy import update

    from events.models import Event

    row = dict(RYAZAN, source_url="https://www.reuters.com/x", source_url_2="https://kyivindependent.com/ryazan/")
    event = _only(engine, [row], tmp_path)
    legacy = {"claim_status": "reported", "source_reliability": None, "info_credibility": 3, "confidence": "likely"}
    with engine.begin() as conn:  # what the loader stored before: no "stated" bookkeeping
        conn.execute(update(Event.__table__).values(extra=None, **legacy))
    publisher_ops.set_publisher(engine, "kyivindependent.com", {"reliability": "C"})
    (kept,) = events_by(engine).values()
    assert kept["source_reliability"] is None and kept["claim_status"] == "reported"
    done = publisher_ops.regrade_legacy(engine, user="ana")
    assert done["levels"] == {event["public_id"]: ("likely", "confirmed")}
    (graded,) = events_by(engine).values()
    assert _grades(graded) == ("reported", "B", 1, "confirmed")
    assert publisher_ops.regrade_legacy(engine)["events"] == 0
