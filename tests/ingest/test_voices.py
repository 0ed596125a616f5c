"""The voice behind an outlet, and a claim with nothing to read (docs/confidence.md).

UCDP rows name the outlet (``source_office``) and the party actually speaking
(``source_original``, written as UCDP writes it); ACLED lists the speaking office among its
sources; a community tracker's "not verified" row has no source at all. Each goes through the
real reader and loader into a real database on each backend.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from events import grading, publisher_ops
from events.cli import run
from events.ingest import ingest_file
from events.publishers import bundled_registry
from events.speakers import bundled_speakers
from tests.helpers import write_csv
from tests.ingest_fixtures import events_by

UCDP_COLUMNS = [
    "relid", "date_start", "latitude", "longitude", "where_prec", "date_prec", "country", "adm_1",
    "event_clarity", "number_of_sources", "source_office", "source_date", "source_headline", "source_original",
    "best",
]  # fmt: skip
UCDP_BASE = {
    "date_start": "2022-10-10",
    "where_prec": "1",
    "date_prec": "1",
    "event_clarity": "1",
    "number_of_sources": "1",
    "source_date": "2022-10-10",
    "best": "0",
}
PLACE_AND_VOICE = ("latitude", "longitude", "country", "adm_1", "source_office", "source_original")
# (relid, place, source_office, source_original) -> the documented grades.
UCDP_CASES = {
    # The defender's air force reports the strike on its ground: the side hit confirms.
    "UKR-2022-1-14117-9001": (
        ("50.45", "30.52", "Ukraine", "Kyiv oblast", "Kyiv Independent", "Kyiv Independent; Ukrainian Air Force"),
        ("confirmed_by_official", "C", 3, "confirmed"),
    ),
    # The attacker's defence ministry, relayed by a news feed: only a claim, by a D publisher.
    "UKR-2022-1-14117-3750": (
        (
            "49.99",
            "36.23",
            "Ukraine",
            "Kharkiv oblast",
            "Unified news feed",
            "official representative of the Russian Defense Ministry, Lieutenant-General Igor Konashenkov.",
        ),
        ("claimed", "D", 3, "unverified"),
    ),
    # The Ukrainian General Staff on a strike in Russia: the attacker's claim, relayed by its state wire.
    "RUS-2022-1-14117-9002": (
        ("50.60", "36.59", "Russia (Soviet Union)", "Belgorod oblast", "Ukrinform", "Ukrinform - the General Staff"),
        ("claimed", "C", 3, "possible"),
    ),
    # The Russian governor on his own ground, via a Telegram channel: the side hit confirms.
    "RUS-2022-1-14117-9003": (
        ("50.61", "36.58", "Russia (Soviet Union)", "Belgorod oblast", "Telegram", "Telegram - governor of Belgorod"),
        ("confirmed_by_official", "C", 3, "confirmed"),
    ),
    # Residents are no party: the wire's own reporting stands.
    "UKR-2022-1-14117-9004": (
        ("50.91", "34.80", "Ukraine", "Sumy oblast", "Ukrinform", "local residents"),
        ("reported", "C", 3, "likely"),
    ),
}


def _grades(event: dict) -> tuple:
    return event["claim_status"], event["source_reliability"], event["info_credibility"], event["confidence"]


def test_ucdp_source_original_names_who_speaks(engine: Engine, tmp_path: Path) -> None:
    rows = [
        dict(UCDP_BASE, relid=relid, source_headline="Drone attack", **dict(zip(PLACE_AND_VOICE, cells, strict=True)))
        for relid, (cells, _) in UCDP_CASES.items()
    ]
    ingest_file(engine, write_csv(tmp_path / "ged.csv", rows, UCDP_COLUMNS), fmt="ucdp")
    by_id = {e["external_id"]: e for e in events_by(engine).values()}
    assert {relid: _grades(by_id[relid]) for relid in UCDP_CASES} == {r: c[1] for r, c in UCDP_CASES.items()}


ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "time_precision", "sub_event_type", "iso", "country", "admin1", "location",
    "latitude", "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities",
]  # fmt: skip


def test_acled_source_naming_a_partys_office_is_that_partys_voice(engine: Engine, tmp_path: Path) -> None:
    base = {
        "event_date": "2024-03-13",
        "time_precision": "1",
        "sub_event_type": "Air/drone strike",
        "iso": "643",
        "country": "Russia",
        "admin1": "Belgorod",
        "location": "Belgorod",
        "latitude": "50.5977",
        "longitude": "36.5858",
        "geo_precision": "1",
        "source_scale": "National",
        "fatalities": "0",
    }
    rows = [
        # The attacker's ministry, relayed by a national outlet: a claim, not independent reporting.
        dict(
            base,
            event_id_cnty="RUS9001",
            source="Ukrainska Pravda; Ministry of Defence of Ukraine",
            notes="On 13 March 2024, Ukrainian forces struck an oil depot in Belgorod with drones.",
        ),
        # The side hit's ministry, named as ACLED names it: an official confirmation.
        dict(
            base,
            event_id_cnty="RUS9002",
            source="Kommersant; Ministry of Defence of Russia",
            latitude="50.62",
            notes="On 13 March 2024, Russian air defence downed drones over Belgorod; a substation was damaged.",
        ),
    ]
    ingest_file(engine, write_csv(tmp_path / "acled.csv", rows, ACLED_COLUMNS), fmt="acled")
    by_id = {e["external_id"]: e for e in events_by(engine).values()}
    assert _grades(by_id["RUS9001"]) == ("claimed", "C", 3, "possible")
    assert _grades(by_id["RUS9002"]) == ("confirmed_by_official", "D", 3, "likely")


TRACKER_COLUMNS = ["title", "date", "type", "location", "latitude", "longitude", "source", "archived", "verification"]


def test_tracker_row_without_a_source_and_not_verified_is_unverified(engine: Engine, tmp_path: Path) -> None:
    # The tracker's first row, as it is (no source, no archived link).
    cells = ['Deposito petrolifero di Serpukhov ZAO "ros-trade"', "26/10/25", "Drones"]
    cells += ["Serpukhov, distretto di Serpukhov, villaggio Novoselki, regione di Mosca.", "54.941428", "37.0169"]
    row = dict(zip(TRACKER_COLUMNS, [*cells, "", "", "not verified"], strict=True))
    # Another strike (another day and place) that a "not verified" row does cite a source for.
    sourced = dict(
        row,
        title="Raffineria di Rjazan",
        date="02/11/25",
        location="Rjazan, oblast di Rjazan",
        latitude="54.5725405",
        longitude="39.7482438",
        source="https://www.reuters.com/business/energy/ryazan-refinery-drone-attack-2025-11-02/",
    )
    ingest_file(engine, write_csv(tmp_path / "timeline.csv", [row, sourced], TRACKER_COLUMNS))
    levels = sorted((_grades(e) for e in events_by(engine).values()), key=lambda g: g[3])
    # The file's "not verified" is stated and wins; with no source there is nothing to read.
    assert levels == [("claimed", "B", None, "possible"), ("claimed", None, None, "unverified")]


def _doc_table(header: str) -> list[list[str]]:
    doc = (Path(__file__).parents[2] / "docs" / "confidence.md").read_text(encoding="utf-8")
    lines = doc[doc.index(header) :].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([c.strip().strip("`") for c in line.strip("|").split("|")])
    return rows


@pytest.mark.parametrize(
    "row", _doc_table("| speaker text (as the dataset writes it) | place | read as | claim status |"), ids=str
)
def test_documented_speaker_examples_match_the_table(row: list[str]) -> None:
    text, place, read_as, claim = row
    country, _, admin1 = place.partition(", ")
    values = {"country": country, "admin1": admin1 or None, "origin": "ucdp", "extra": {"source_original": text}}
    items = grading.evidence([(None, "Ukrinform", "report")], values, bundled_registry())
    voices = bundled_speakers().voices(text, bundled_registry(), grading.struck_sides(country, admin1 or None))
    spoken = ", ".join(p.name for p in voices.parties) or ("independent" if voices.independent else "-")
    assert (spoken, grading.derived_claim(items, grading.struck_sides(country, admin1 or None))[0]) == (read_as, claim)


def test_a_source_about_another_site_and_place_is_flagged_not_regraded(engine: Engine, tmp_path: Path) -> None:
    # The tracker's Yaroslavl row cites an article about a power plant in Oryol oblast.
    cells = ["Raffineria di Yaroslavl", "31/10/25", "Neptune missiles", "Yaroslavl, Oblast di Yaroslav", "57.54583"]
    url = "https://kyivindependent.com/drone-strike-damages-thermal-power-plant-in-russias-oryol-oblast-governor-says/"
    row = dict(zip(TRACKER_COLUMNS, [*cells, "39.78944", url, "", "verified"], strict=True))
    saratov = "https://militarnyi.com/en/news/oil-refinery-burns-in-saratov-after-drone-attack/"
    fine = dict(
        zip(
            TRACKER_COLUMNS, ["Raffineria di Saratov", "16/10/25", "Drones", "Saratov, Oblast di Saratov"], strict=False
        )
    )
    fine.update(latitude="51.46116", longitude="45.93466", source=saratov, archived="", verification="verified")
    ingest_file(engine, write_csv(tmp_path / "timeline.csv", [row, fine], TRACKER_COLUMNS))
    checks = {}
    for event in events_by(engine).values():
        reasons = publisher_ops.explain_event(engine, event["public_id"])["reasons"]
        checks[event["facility_name_reported"]] = (event["confidence"], [r for r in reasons if "check the source" in r])
    assert checks["Raffineria di Saratov"] == ("likely", [])
    level, (warning,) = checks["Raffineria di Yaroslavl"]
    assert level == "likely" and url in warning and "power plant" in warning


def test_events_show_lists_the_voice_behind_the_outlet(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (cells, _) = UCDP_CASES["UKR-2022-1-14117-3750"]
    place_and_voice = dict(zip(PLACE_AND_VOICE, cells, strict=True))
    row = dict(UCDP_BASE, relid="UKR-2022-1-14117-3750", source_headline="65 soldiers destroyed", **place_and_voice)
    path = write_csv(tmp_path / "ged.csv", [row], UCDP_COLUMNS)
    assert run(["--db", db_url, "ingest", "--format", "ucdp", str(path)]) == 0
    assert run(["--db", db_url, "events", "list"]) == 0
    public_id = next(word for word in capsys.readouterr().out.split() if word.startswith("SDB-"))
    assert run(["--db", db_url, "events", "show", public_id]) == 0
    shown = capsys.readouterr().out
    assert "the voice behind Unified news feed" in shown and "voice" in shown and "relay" in shown
