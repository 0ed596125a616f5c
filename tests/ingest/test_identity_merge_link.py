"""Identity, merging and linking on files shaped like what publishers ship (issue 12).

Each test writes a small file the way a real source writes it: an OSINT event log with its own
``entry`` ids and free-text descriptions, a UCDP GED extract whose ``relid`` is 0 in every row, an
id-less log with one row per source report. They reproduce what went wrong on real data: distinct
rows merged, rows overwriting each other, re-imports that wrote revisions, a cemetery next to a
refinery stored as a refinery strike, a named refinery 6 km from its gazetteer point left unlinked.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from events import analysis, duplicates
from events.cli import run
from events.evidence import decide_category, says_rail, site_types_in_text
from events.facilities import match_events
from events.ingest import ingest_file
from events.models import DuplicateCandidate, Event, EventRevision, RejectedRow
from tests.helpers import count_rows, write_csv
from tests.ingest_fixtures import add_bundled_facilities, counts

# An OSINT event log: one row per event, its own id column ("entry"), a category and a description.
OSINT_HEADER = "entry,date,category,description,latitude,longitude,source\n"
BRYANSK_ROWS = (
    '101,2025-03-11,Explosion,"Burning Rosneft oil refinery in Bryansk",53.2468,34.3950,https://t.me/astrapress/1\n'
    '102,2025-03-11,Fire,"Burning oil tank in Bryansk",53.2590,34.3950,https://t.me/astrapress/2\n'
    '103,2025-03-11,Other,"Sirens in Bryansk, no damage reported",53.2430,34.3630,https://t.me/astrapress/3\n'
)


def _written(engine: Engine) -> dict[str, int]:
    """Row counts of what an ingest writes besides its own run record."""
    found = {k: v for k, v in counts(engine).items() if k != "ingest_runs"}
    return found | {"duplicate_candidates": count_rows(engine, DuplicateCandidate)}


def _groups(engine: Engine) -> set[frozenset[str]]:
    """Each event as the set of its source URLs (what 'the same events' means across orders)."""
    sql = (
        "SELECT e.id, s.url FROM events e JOIN event_sources l ON l.event_id = e.id "
        "JOIN sources s ON s.id = l.source_id"
    )
    by_event: dict[int, set[str]] = {}
    with engine.connect() as conn:
        for event_id, url in conn.execute(text(sql)):
            by_event.setdefault(event_id, set()).add(url)
    return {frozenset(urls) for urls in by_event.values()}


# ------------------------------------------------------------------------------------------------
# 1. Identity
# ------------------------------------------------------------------------------------------------


def test_rows_of_one_file_with_distinct_ids_are_never_merged(engine: Engine, tmp_path: Path) -> None:
    report = ingest_file(engine, write_csv(tmp_path / "log.csv", OSINT_HEADER + BRYANSK_ROWS))
    assert report.id_column == "entry"
    assert (report.inserted, report.merged, report.candidates, report.rejected) == (3, 0, 0, 0)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Event.external_id, Event.description)).all())
    assert stored["101"] == "Burning Rosneft oil refinery in Bryansk"
    assert stored["102"] == "Burning oil tank in Bryansk"
    # The first import writes no revision.
    assert count_rows(engine, EventRevision) == 0


def test_id_column_option_chooses_the_column(engine: Engine, tmp_path: Path) -> None:
    content = "id,report_no,date,description,latitude,longitude\n" + (
        "7,A-1,2025-03-11,Drone hit the refinery,53.2468,34.3950\n"
        "7,A-2,2025-03-12,Drone hit the refinery,53.2468,34.3950\n"
    )
    path = write_csv(tmp_path / "two_ids.csv", content)
    by_default = ingest_file(engine, path, dry_run=True)
    assert by_default.id_column == "id" and by_default.rejected == 1
    chosen = ingest_file(engine, path, id_column="report_no")
    assert chosen.id_column == "report_no" and (chosen.inserted, chosen.rejected) == (2, 0)
    with engine.connect() as conn:
        assert set(conn.execute(select(Event.external_id)).scalars()) == {"A-1", "A-2"}


def test_a_repeated_id_quarantines_the_later_row(engine: Engine, tmp_path: Path) -> None:
    content = OSINT_HEADER + BRYANSK_ROWS + '102,2025-03-12,Fire,"Oil tank still burning",53.259,34.395,\n'
    report = ingest_file(engine, write_csv(tmp_path / "log.csv", content))
    assert (report.inserted, report.rejected) == (3, 1)
    problem = report.problems[0]
    assert problem.line == 5 and "duplicate id '102', first at line 3" in problem.reason
    with engine.connect() as conn:
        kept = conn.execute(select(Event.description).where(Event.external_id == "102")).scalar_one()
        quarantined = conn.execute(select(RejectedRow.line_number)).scalars().all()
    assert kept == "Burning oil tank in Bryansk" and quarantined == [5]
    assert report.id_warning is None


UCDP_HEADER = (
    "id,relid,year,type_of_violence,conflict_name,side_a,side_b,source_headline,where_prec,where_coordinates,adm_1,"
    "latitude,longitude,country,date_prec,date_start,date_end,best,low,high\n"
)


def _ucdp_rows(n: int) -> str:
    lines = []
    for i in range(n):
        day = dt.date(2022, 3, 1) + dt.timedelta(days=i)
        lines.append(
            f"{301000 + i},0,2022,1,Russia - Ukraine,Government of Russia (Soviet Union),Government of Ukraine,"
            f'"Shelling near Kharkiv, day {i}",2,"Kharkiv city",Kharkiv oblast,{49.99 + i / 1000:.3f},36.23,'
            f"Ukraine,1,{day.isoformat()},{day.isoformat()},{i % 5},{i % 5},{i % 5 + 2}"
        )
    return "\n".join(lines) + "\n"


def test_ucdp_file_whose_relid_is_zero_everywhere_says_the_id_column_looks_wrong(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "ged.csv", UCDP_HEADER + _ucdp_rows(12))
    report = ingest_file(engine, path, fmt="ucdp")
    assert report.id_column == "relid"
    assert (report.inserted, report.rejected) == (1, 11)  # nothing overwritten, nothing merged
    assert report.id_warning and "column 'relid' looks wrong" in report.id_warning
    assert "12 of 12 rows share the id '0'" in report.id_warning and "--id-column id" in report.id_warning
    fixed = ingest_file(engine, path, fmt="ucdp", id_column="id")
    assert (fixed.inserted, fixed.rejected, fixed.id_warning) == (12, 0, None)
    with engine.connect() as conn:
        ids = set(conn.execute(select(Event.external_id).where(Event.origin == "ucdp")).scalars())
    assert {"301000", "301011"} <= ids


def test_id_less_rows_with_the_same_date_place_and_sources_never_overwrite(engine: Engine, tmp_path: Path) -> None:
    header = "date,latitude,longitude,description,source_url\n"
    content = header + (
        "2025-05-02,54.5725,39.7482,Explosions at the refinery,\n"
        "2025-05-02,54.5725,39.7482,Fire at the refinery after a drone attack,\n"
        "2025-05-02,54.5725,39.7482,Explosions at the refinery,\n"
    )
    path = write_csv(tmp_path / "reports.csv", content)
    report = ingest_file(engine, path)
    assert report.id_column is None
    # Row 3 repeats row 2 exactly; row 3 is a report of its own (not an overwrite of row 2).
    assert (report.inserted + report.merged, report.rejected, report.updated) == (2, 1, 0)
    assert "repeats line 2" in report.problems[0].reason
    assert count_rows(engine, EventRevision) == 0
    again = ingest_file(engine, path)
    assert (again.inserted, again.updated, again.merged, again.unchanged) == (0, 0, 0, 2)
    assert count_rows(engine, EventRevision) == 0


# ------------------------------------------------------------------------------------------------
# 2. The strict merge rule and duplicate candidates
# ------------------------------------------------------------------------------------------------

# An id-less log with one row per source report (like the bundled sample).
REPORTS_HEADER = "date,latitude,longitude,facility,description,attack_type,source_url\n"


def test_strict_rule_merges_reports_of_one_strike_and_proposes_the_rest(engine: Engine, tmp_path: Path) -> None:
    add_bundled_facilities(engine)
    content = REPORTS_HEADER + (
        # Two reports of one strike on the Ryazan refinery, 300 m apart: merged automatically.
        "2025-05-02,54.5690,39.7420,Ryazan refinery,Drones hit the refinery,drone,https://reuters.example/ryazan\n"
        "2025-05-02,54.5700,39.7450,Ryazan refinery,Fire at the refinery,drone,https://kyivindependent.example/ry\n"
        # Same facility named, same day, but 3.6 km away: beyond --dedup-km, so only a candidate.
        "2025-05-02,54.6010,39.7580,Ryazan refinery,Drones over the refinery,drone,https://t.me/chan/5\n"
        # The day after, same place: a candidate (reports of a night strike are often dated both days).
        "2025-05-03,54.5690,39.7420,Ryazan refinery,Refinery burning,drone,https://t.me/chan/6\n"
    )
    report = ingest_file(engine, write_csv(tmp_path / "reports.csv", content))
    assert (report.inserted, report.merged) == (3, 1)
    # Both weak reports are proposed against the merged event, and against each other.
    assert report.candidates == 3
    rows = duplicates.list_candidates(engine)
    assert len(rows) == 3
    reasons = " | ".join("; ".join(r["reasons"]) for r in rows)
    assert "more than 2 km" in reasons and "a day apart" in reasons
    assert count_rows(engine, EventRevision) == 0  # the first import writes no revision, merges included
    # The merged event explains itself.
    with engine.connect() as conn:
        extra = conn.execute(select(Event.extra).where(Event.description == "Drones hit the refinery")).scalar_one()
    merged = next(iter(extra["_strikedb"]["reports"].values()))
    assert merged["where"].endswith("reports.csv:3") and "same day" in merged["rule"]
    assert any("0.21 km apart" in r or "0.2" in r for r in merged["rule"])
    # Unchanged re-import: nothing written, whatever merged or was proposed.
    before = _written(engine)
    again = ingest_file(engine, write_csv(tmp_path / "reports.csv", content))
    assert (again.inserted, again.updated, again.merged, again.candidates) == (0, 0, 0, 0)
    assert _written(engine) == before


def test_contradicting_texts_are_candidates_not_merges(engine: Engine, tmp_path: Path) -> None:
    content = "date,description,latitude,longitude,source_url\n" + (
        "2025-03-11,Burning Rosneft oil refinery in Bryansk,53.2468,34.3950,https://t.me/a/1\n"
        "2025-03-11,Burning oil tank in Bryansk,53.2590,34.3950,https://t.me/a/2\n"
    )
    report = ingest_file(engine, write_csv(tmp_path / "bryansk.csv", content))
    assert (report.inserted, report.merged, report.candidates) == (2, 0, 1)
    (pair,) = duplicates.list_candidates(engine)
    assert any("texts name different sites (oil_depot vs refinery)" in r for r in pair["reasons"])


def test_distinct_is_remembered_and_merge_resolves(db_url: str, tmp_path: Path, capsys) -> None:
    content = "date,description,latitude,longitude,source_url\n" + (
        "2025-03-11,Drone attack on the depot,53.2468,34.3950,https://t.me/a/1\n"
        "2025-03-12,Drone attack on the depot,53.2468,34.3950,https://t.me/a/2\n"
        "2025-03-13,Drone attack on the depot,53.2468,34.3950,https://t.me/a/3\n"
    )
    path = write_csv(tmp_path / "depot.csv", content)
    assert run(["--db", db_url, "ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "merged automatically: 0; new duplicate candidates for review: 2" in out
    assert run(["--db", db_url, "events", "duplicates", "--min-score", "30"]) == 0
    listing = capsys.readouterr().out
    pairs = [re.findall(r"SDB-[0-9A-F]+", line) for line in listing.splitlines() if line.startswith("│ SDB-")]
    assert len(pairs) == 2
    (a, b), (c, d) = pairs
    assert run(["--db", db_url, "events", "distinct", a, b, "--reason", "two nights"]) == 0
    assert run(["--db", db_url, "events", "merge", c, d]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "events", "duplicates"]) == 0
    assert "no open duplicate candidates" in capsys.readouterr().out
    assert run(["--db", db_url, "events", "duplicates", "--status", "distinct"]) == 0
    assert a in capsys.readouterr().out
    # A re-import proposes nothing again.
    assert run(["--db", db_url, "ingest", str(path)]) == 0
    assert "new duplicate candidates for review: 0" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------
# 3. Idempotency and order
# ------------------------------------------------------------------------------------------------

FILE_A = REPORTS_HEADER + (
    "2025-06-01,54.5690,39.7420,Ryazan refinery,Drones hit the refinery,drone,https://a.example/1\n"
    "2025-06-04,59.4800,32.0680,Kirishi refinery,Fire at KINEF,drone,https://a.example/2\n"
    "2025-06-07,44.1000,39.0800,Tuapse refinery,Tuapse refinery on fire,drone,https://a.example/3\n"
)
FILE_B = REPORTS_HEADER + (
    "2025-06-01,54.5700,39.7450,Ryazan refinery,Fire at the Ryazan refinery,drone,https://b.example/1\n"
    "2025-06-04,59.4810,32.0700,Kirishi refinery,KINEF refinery hit,drone,https://b.example/2\n"
    "2025-06-09,44.1000,39.0800,Tuapse refinery,Tuapse again,drone,https://b.example/3\n"
)


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_two_files_in_either_order_give_the_same_events(engine: Engine, tmp_path: Path, order: str) -> None:
    add_bundled_facilities(engine)
    files = {"a": write_csv(tmp_path / "a.csv", FILE_A), "b": write_csv(tmp_path / "b.csv", FILE_B)}
    for name in order:
        ingest_file(engine, files[name])
    expected = {
        frozenset({"https://a.example/1", "https://b.example/1"}),
        frozenset({"https://a.example/2", "https://b.example/2"}),
        frozenset({"https://a.example/3"}),
        frozenset({"https://b.example/3"}),
    }
    assert _groups(engine) == expected
    before = _written(engine)
    for name in order:
        again = ingest_file(engine, files[name])
        assert (again.inserted, again.updated, again.merged, again.candidates) == (0, 0, 0, 0)
    assert _written(engine) == before


# ------------------------------------------------------------------------------------------------
# 4. Linking needs evidence
# ------------------------------------------------------------------------------------------------


def test_a_cemetery_next_to_a_refinery_is_not_a_refinery_strike(engine: Engine, tmp_path: Path) -> None:
    add_bundled_facilities(engine)
    content = OSINT_HEADER + (
        # 0.6 km from the Ryazan refinery, about something else.
        '201,2025-04-02,Other,"A cemetery in Ryazan with new graves",54.5700,39.7480,\n'
        # Same place, and the text says the refinery was hit (Russian, inflected).
        '202,2025-04-03,Explosion,"Взрывы на Рязанском НПЗ, горит установка",54.5700,39.7480,\n'
    )
    report = ingest_file(engine, write_csv(tmp_path / "log.csv", content))
    assert report.inserted == 2
    with engine.connect() as conn:
        rows = {
            r.external_id: r
            for r in conn.execute(
                select(Event.external_id, Event.facility_id, Event.facility_type, Event.target_category,
                       Event.target_basis, Event.link_evidence)
            )
        }  # fmt: skip
        monthly = conn.execute(text("SELECT SUM(strikes) FROM strikes_monthly")).scalar_one()
        everything = dict(
            conn.execute(text("SELECT target_category, SUM(strikes) FROM strikes_monthly_all GROUP BY 1")).all()
        )
    cemetery, strike = rows["201"], rows["202"]
    assert cemetery.facility_id is None and cemetery.facility_type is None
    assert (cemetery.target_category, cemetery.target_basis) == ("other", "no infrastructure words")
    assert strike.facility_id is not None and strike.target_category == "energy"
    # The text names the refinery ("Рязанском НПЗ"): linked by the name in the text, 0.6 km away.
    assert strike.link_evidence["method"] == "text" and strike.link_evidence["words"] == ["нпз"]
    assert monthly == 1 and everything == {"energy": 1, "other": 1}
    # The canned reports count strikes as the views do: the cemetery is no strike.
    for name in ("monthly", "confidence"):
        columns, rows = analysis.run_report(engine, name)
        assert sum(row[columns.index("strikes")] for row in rows) == 1, name


def test_town_precise_points_are_never_linked_by_distance(engine: Engine, tmp_path: Path) -> None:
    add_bundled_facilities(engine)
    content = "date,location,description\n2025-04-05,Ryazan,Drones attacked the refinery overnight\n"
    report = ingest_file(engine, write_csv(tmp_path / "town.csv", content))
    assert report.inserted == 1
    with engine.connect() as conn:
        event = conn.execute(select(Event.geo_precision, Event.facility_id, Event.target_category)).one()
    assert event == ("near_town", None, "energy")


def test_a_named_refinery_6_km_from_its_gazetteer_point_is_linked_with_its_distance(
    engine: Engine, tmp_path: Path
) -> None:
    add_bundled_facilities(engine)
    content = "title,date,latitude,longitude,source\n" + (
        "Raffineria di Novokuibyshevsk,02/08/2025,53.067561,49.876177,https://www.reuters.com/x\n"
        "Raffineria di Ilsky,07/09/25,46.33291,38.93463,https://kyivindependent.com/y\n"
    )
    # Both dates read either way (02/08, 07/09): the tracker writes day first, which the file alone cannot show.
    report = ingest_file(engine, write_csv(tmp_path / "tracker.csv", content), date_order="dmy")
    assert report.inserted == 2
    with engine.connect() as conn:
        rows = {
            r.facility_name_reported: r
            for r in conn.execute(
                select(Event.facility_name_reported, Event.facility_id, Event.facility_match,
                       Event.facility_distance_km, Event.facility_type, Event.link_evidence)
            )
        }  # fmt: skip
    novo = rows["Raffineria di Novokuibyshevsk"]
    assert novo.facility_id is not None and novo.facility_match == "name"
    assert 6.0 < novo.facility_distance_km < 6.6
    assert "names the facility" in novo.link_evidence["rule"]
    # Ilsky's coordinates are 168 km from the Ilsky refinery: not linked, with a warning; still a refinery.
    ilsky = rows["Raffineria di Ilsky"]
    assert ilsky.facility_id is None and ilsky.facility_type == "refinery"
    assert "168 km" in ilsky.link_evidence["warning"]
    assert any("168 km" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("Drones hit the Saratov refinery", {"refinery"}),
        ("Атака беспилотников на Рязанский НПЗ", {"refinery"}),
        ("пожар на нефтеперерабатывающем заводе", {"refinery"}),
        ("удар по нафтопереробному заводу", {"refinery"}),
        ("Raffineria di Tuapse", {"refinery"}),
        ("fire at an oil depot", {"oil_depot"}),
        ("горит нефтебаза в Брянске", {"oil_depot"}),
        ("пожежа на нафтобазі", {"oil_depot"}),
        ("damaged substation", {"substation"}),
        ("обесточена подстанция", {"substation"}),
        ("пошкоджено підстанцію 330 кВ", {"substation"}),
        ("Kyiv CHP-6 hit", {"power_plant"}),
        ("удар по ТЭЦ", {"power_plant"}),
        ("обстріл Бурштинської ТЕС", {"power_plant"}),
        ("Каховская ГЭС", {"power_plant"}),
        ("ж/д пути повреждены", {"rail_line"}),
        ("підрив на залізниці", {"rail_line"}),
        ("Druzhba pipeline", {"pipeline"}),
        ("нефтепровод поврежден", {"pipeline"}),
        ("НПС «Унеча» атакована", {"pumping_station"}),
        ("oil pumping station on fire", {"pumping_station"}),
    ],
)
def test_vocabulary_names_sites_in_three_languages(text: str, types: set[str]) -> None:
    assert set(site_types_in_text(text)) == types


@pytest.mark.parametrize(
    "text",
    ["A cemetery in Ryazan with new graves", "monument to Lenin is being erected",
     "shots fired at a party activist's car", "report of a training flight", "airport closed", "",
     "drones hit houses in the port city of Izmail", "a harbour town on the Black Sea"],
)  # fmt: skip
def test_vocabulary_finds_nothing_where_no_site_is_named(text: str) -> None:
    assert site_types_in_text(text) == {}
    assert not says_rail(text)
    assert decide_category(linked_type=None, linked_slug=None, stated_type=None, texts=[text]).category in (
        "other",
        "unknown",
    )


# ------------------------------------------------------------------------------------------------
# 5. Explain
# ------------------------------------------------------------------------------------------------


def test_events_show_says_why_and_match_dry_run_shows_what_would_change(db_url: str, tmp_path: Path, capsys) -> None:
    assert run(["--db", db_url, "facilities", "import", "--bundled"]) == 0
    content = REPORTS_HEADER + (
        "2025-05-02,54.5690,39.7420,,Drones hit the refinery,drone,https://reuters.example/ryazan\n"
        "2025-05-02,54.5700,39.7450,,Fire at the refinery,drone,https://kyivindependent.example/ry\n"
    )
    assert run(["--db", db_url, "ingest", str(write_csv(tmp_path / "r.csv", content))]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "events", "list"]) == 0
    public_id = next(w for w in capsys.readouterr().out.split() if w.startswith("SDB-"))
    assert run(["--db", db_url, "events", "show", public_id]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "facility link: nearest" in shown and "words: refinery" in shown
    assert "text says a refinery was hit" in shown and "target category: energy" in shown
    assert "merged report" in shown and "same day" in shown
    assert run(["--db", db_url, "facilities", "match", "--dry-run", "--radius-km", "0.1"]) == 0
    dry = " ".join(capsys.readouterr().out.split())
    assert "unlinked 1" in dry and "dry run: nothing changed" in dry and public_id in dry


def test_match_events_dry_run_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    add_bundled_facilities(engine)
    content = "date,latitude,longitude,description\n2025-05-02,54.5690,39.7420,Drones hit the refinery\n"
    ingest_file(engine, write_csv(tmp_path / "r.csv", content))
    before = counts(engine)
    report = match_events(engine, radius_km=0.1, dry_run=True)
    assert report.unlinked == 1 and report.changes[0]["after"]["facility"] is None
    assert counts(engine) == before
