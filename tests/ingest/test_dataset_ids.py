"""Ids of generic files are unique within their dataset only (issue 12, "nothing is overwritten").

Two OSINT logs that each number their rows 1, 2, 3 are two datasets: row 1 of one is not row 1 of
the other. The dataset of a generic CSV is its file name unless ``--dataset`` names one (monthly
exports of one log). Databases written before datasets existed keep matching their files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from events.cli import run
from events.eventops import delete_event
from events.ingest import ingest_file, public_id_for
from events.ingest.identity import legacy_key
from events.models import Event, EventRevision, IngestRun, RejectedRow
from tests.helpers import count_rows, write_csv
from tests.ingest_fixtures import counts

# A Ukrainian-language channel log (Cyrillic descriptions) and an English-language one, each
# numbering its rows from 1: different strikes on different days and places.
UA_LOG = "id,date,description,latitude,longitude,source\n" + (
    '1,2025-02-03,"Удар дронів по нафтобазі в Лиски, пожежа",50.9850,39.4910,https://t.me/ua_log/101\n'
    '2,2025-02-07,"Вибухи на підстанції біля Білгорода",50.6300,36.5800,https://t.me/ua_log/102\n'
    '3,2025-02-11,"Атака на НПЗ у Волгограді",48.5200,44.4950,https://t.me/ua_log/103\n'
)
EN_LOG = "id,date,description,latitude,longitude,source\n" + (
    '1,2025-03-14,"Drone strike on Ryazan refinery, fire",54.5690,39.7420,https://x.example/en_log/1\n'
    '2,2025-03-19,"Fire at the Tuapse oil terminal",44.1000,39.0800,https://x.example/en_log/2\n'
    '3,2025-03-25,"Explosions at Kirishi refinery",59.4800,32.0680,https://x.example/en_log/3\n'
)


def _written(engine: Engine) -> dict[str, int]:
    return {k: v for k, v in counts(engine).items() if k != "ingest_runs"}


def _descriptions(engine: Engine) -> dict[tuple[str, str], str]:
    """Each event's description by (first source URL's host path prefix, external id)."""
    sql = (
        "SELECT e.external_id, e.description, s.url FROM events e JOIN event_sources l ON l.event_id = e.id "
        "JOIN sources s ON s.id = l.source_id"
    )
    with engine.connect() as conn:
        return {(url.rsplit("/", 2)[-2], ext): desc for ext, desc, url in conn.execute(text(sql))}


@pytest.mark.parametrize("order", ["ua_en", "en_ua"])
def test_two_logs_numbering_their_rows_alike_are_two_datasets(engine: Engine, tmp_path: Path, order: str) -> None:
    files = {"ua": write_csv(tmp_path / "ua_log.csv", UA_LOG), "en": write_csv(tmp_path / "en_log.csv", EN_LOG)}
    for name in order.split("_"):
        report = ingest_file(engine, files[name])
        assert (report.inserted, report.updated, report.merged, report.unchanged) == (3, 0, 0, 0)
        assert report.dataset == files[name].name
    stored = _descriptions(engine)
    assert len(stored) == 6 and count_rows(engine, Event) == 6
    assert stored[("ua_log", "1")] == "Удар дронів по нафтобазі в Лиски, пожежа"
    assert stored[("en_log", "1")] == "Drone strike on Ryazan refinery, fire"
    assert count_rows(engine, EventRevision) == 0
    before = _written(engine)
    for name in order.split("_"):
        again = ingest_file(engine, files[name])
        assert (again.inserted, again.updated, again.merged, again.unchanged) == (0, 0, 0, 3)
    assert _written(engine) == before


def test_files_of_one_dataset_update_each_other_by_id(db_url: str, engine: Engine, tmp_path: Path, capsys) -> None:
    january = write_csv(tmp_path / "log-2025-01.csv", UA_LOG)
    # The February export repeats rows 2 and 3 (row 3 corrected) and adds row 4.
    february = write_csv(
        tmp_path / "log-2025-02.csv",
        UA_LOG.splitlines(keepends=True)[0]
        + UA_LOG.splitlines(keepends=True)[2]
        + '3,2025-02-11,"Атака на НПЗ у Волгограді, горить установка АВТ-6",48.5200,44.4950,https://t.me/ua_log/103\n'
        + '4,2025-02-20,"Удар по нафтобазі в Новоросійську",44.7200,37.7700,https://t.me/ua_log/104\n',
    )
    assert run(["--db", db_url, "ingest", "--dataset", "ua-channel", str(january)]) == 0
    assert "rows identified by column 'id' in dataset 'ua-channel'" in capsys.readouterr().out
    assert run(["--db", db_url, "ingest", "--dataset", "ua-channel", str(february)]) == 0
    assert count_rows(engine, Event) == 4
    with engine.connect() as conn:
        revisions = conn.execute(select(EventRevision.action, EventRevision.changes)).all()
        third = conn.execute(select(Event.description).where(Event.external_id == "3")).scalar_one()
    assert [(action, changes["description"]) for action, changes in revisions] == [("update", third)]
    assert third.endswith("горить установка АВТ-6")
    # Without --dataset the February export is a dataset of its own: its rows are not updates by id
    # (they are the same strikes, same day, point and source, so the merge rule joins them).
    report = ingest_file(engine, february, dry_run=True)
    assert (report.updated, report.merged, report.inserted) == (0, 3, 0), report


def test_dataset_is_refused_for_datasets_with_global_ids(engine: Engine, tmp_path: Path) -> None:
    from events.errors import InputError

    acled = "event_id_cnty,event_date,event_type,sub_event_type,country,latitude,longitude,notes,source\n" + (
        "UKR1,2025-02-03,Explosions/Remote violence,Air/drone strike,Ukraine,50.45,30.52,Drone,Media\n"
    )
    with pytest.raises(InputError, match="--dataset"):
        ingest_file(engine, write_csv(tmp_path / "acled.csv", acled), fmt="acled", dataset="x")


def _as_the_previous_version_wrote_it(engine: Engine) -> None:
    """Rewrite a database into what strikedb stored before ids had a namespace per dataset: the
    key of an id-carrying CSV row was SHA-256 of ``("ext", "csv", id)``, its public id derived from
    it, and runs recorded no dataset."""
    with engine.begin() as conn:
        for event_id, origin, ext in conn.execute(select(Event.id, Event.origin, Event.external_id)).all():
            key = legacy_key(origin, ext)
            conn.execute(
                update(Event).where(Event.id == event_id).values(natural_key=key, public_id=public_id_for(key))
            )
        for rev_id, previous in conn.execute(select(EventRevision.id, EventRevision.previous)).all():
            key = legacy_key(previous["origin"], previous["external_id"])
            previous = {**previous, "natural_key": key, "public_id": public_id_for(key)}
            conn.execute(
                update(EventRevision)
                .where(EventRevision.id == rev_id)
                .values(previous=previous, event_public_id=public_id_for(key))
            )
        for run_id, options in conn.execute(select(IngestRun.id, IngestRun.options)).all():
            old = {k: v for k, v in options.items() if k != "dataset"}
            conn.execute(update(IngestRun).where(IngestRun.id == run_id).values(options=old))


def test_a_database_of_the_previous_version_keeps_matching_its_files(engine: Engine, tmp_path: Path) -> None:
    ua = write_csv(tmp_path / "ua_log.csv", UA_LOG)
    ingest_file(engine, ua)
    with engine.connect() as conn:
        third = conn.execute(select(Event.public_id).where(Event.external_id == "3")).scalar_one()
    delete_event(engine, third, reason="not an energy strike")
    _as_the_previous_version_wrote_it(engine)
    with engine.connect() as conn:
        old_ids = dict(conn.execute(select(Event.external_id, Event.public_id)).all())
    before = _written(engine)

    again = ingest_file(engine, ua)
    # Found by the old keys: nothing new, and the deleted row stays deleted.
    assert (again.inserted, again.updated, again.merged, again.unchanged) == (0, 0, 0, 3)
    assert _written(engine) == before
    # Another log numbering its rows alike no longer overwrites the stored ones.
    other = ingest_file(engine, write_csv(tmp_path / "en_log.csv", EN_LOG))
    assert (other.inserted, other.updated, other.merged) == (3, 0, 0)
    assert count_rows(engine, EventRevision) == 1  # the analyst's delete
    # A newer export with the same name updates by id; the event keeps its public id and gets the new key.
    (tmp_path / "newer").mkdir()
    newer = write_csv(tmp_path / "newer" / "ua_log.csv", UA_LOG.replace("пожежа", "пожежа, два резервуари"))
    changed = ingest_file(engine, newer)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    with engine.connect() as conn:
        first = conn.execute(select(Event.public_id, Event.natural_key).where(Event.public_id == old_ids["1"])).one()
    assert first.natural_key != legacy_key("csv", "1")
    assert ingest_file(engine, newer).unchanged == 3
    assert count_rows(engine, Event) == 5


def test_an_id_matching_an_event_of_another_day_and_place_is_quarantined(engine: Engine, tmp_path: Path) -> None:
    ingest_file(engine, write_csv(tmp_path / "ua_log.csv", UA_LOG))
    # The next export reuses id 1 for another strike (months later, 456 km away), corrects row 2's
    # point by 2 km, and keeps row 3.
    reused = UA_LOG.replace(
        '1,2025-02-03,"Удар дронів по нафтобазі в Лиски, пожежа",50.9850,39.4910',
        '1,2025-06-21,"Удар по НПЗ в Саратові",51.5000,45.9900',
    ).replace("50.6300,36.5800", "50.6450,36.5900")
    (tmp_path / "june").mkdir()
    report = ingest_file(engine, write_csv(tmp_path / "june" / "ua_log.csv", reused))
    assert (report.rejected, report.updated, report.unchanged, report.inserted) == (1, 1, 1, 0)
    (problem,) = report.problems
    assert problem.line == 2
    assert "138 days apart" in problem.reason and "not overwritten" in problem.reason
    with engine.connect() as conn:
        first = conn.execute(select(Event.event_date, Event.description).where(Event.external_id == "1")).one()
        quarantined = conn.execute(select(RejectedRow.raw_row, RejectedRow.reasons)).one()
    assert str(first.event_date) == "2025-02-03" and first.description.startswith("Удар дронів")
    # The quarantine keeps the row exactly as the file has it (so it can be fixed and re-ingested).
    assert quarantined.raw_row == '1,2025-06-21,"Удар по НПЗ в Саратові",51.5000,45.9900,https://t.me/ua_log/101'
    assert "--dataset" in quarantined.reasons[0]["reason"]
