"""A refinery-strike tracker as energy analysts keep it: a "Refinery" column, free-text "Damage".

The rows name their refinery only by a short name ("Ryazan", "Kstovo", "Taneco") in a column named
after the kind of site; the "Damage" column is prose, not a damage level.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from events.ingest import ingest_file
from events.models import Event, Facility
from tests.helpers import write_csv
from tests.ingest_fixtures import add_bundled_facilities

TRACKER = """Date,Refinery,Operator,Region,Capacity (mt/y),Weapon,Damage,Status,Source
"Jan 25, 2024",Tuapse Refinery,Rosneft,Krasnodar Krai,12,drone,"fire, CDU damaged",confirmed,https://www.reuters.com/a
"Jan 29, 2024",Nizhny Novgorod refinery (NORSI),Lukoil,Nizhny Novgorod,17,drone,,unconfirmed,https://t.me/astrapress/48000
"Mar 12, 2024",Kstovo,Lukoil,Nizhny Novgorod,17,drone,CDU-6 hit,confirmed,https://www.reuters.com/b
"Mar 13, 2024",Ryazan,Rosneft,Ryazan,17.1,drone,two CDUs damaged,confirmed,https://www.reuters.com/c
"Mar 23, 2024",Kuibyshev refinery,Rosneft,Samara,7,drone,fire,confirmed,https://www.reuters.com/d
"Apr 2, 2024",Taneco,Tatneft,Tatarstan,16,drone,primary unit,confirmed,https://www.reuters.com/e
"""


def test_a_refinery_column_names_the_site_and_free_text_damage_says_how_to_keep_it(
    engine: Engine, tmp_path: Path
) -> None:
    add_bundled_facilities(engine)
    path = write_csv(tmp_path / "refinery_strikes.csv", TRACKER)
    strict = ingest_file(engine, path, dry_run=True)
    assert (strict.read, strict.rejected) == (6, 5)
    reasons = [p.reason for p in strict.problems]
    assert all(p.column == "Damage" for p in strict.problems)
    assert "unknown damage level 'fire, CDU damaged'" in reasons[0]
    assert all(r.endswith("a column of free text can be kept with --map 'Damage=extra'") for r in reasons)

    report = ingest_file(engine, path, column_map={"Damage": "extra"})
    assert (report.inserted, report.rejected) == (6, 0)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.event_date, Facility.slug, Event.facility_match, Event.facility_type, Event.extra)
            .join(Facility, Facility.id == Event.facility_id)
            .order_by(Event.event_date)
        ).all()
    assert [(str(r[0]), r[1], r[3]) for r in rows] == [
        ("2024-01-25", "ru-tuapse", "refinery"),
        ("2024-01-29", "ru-kstovo-norsi", "refinery"),
        ("2024-03-12", "ru-kstovo-norsi", "refinery"),
        ("2024-03-13", "ru-ryazan", "refinery"),
        ("2024-03-23", "ru-kuibyshev-samara", "refinery"),
        ("2024-04-02", "ru-nizhnekamsk-taneco", "refinery"),
    ]
    assert rows[0].extra["Damage"] == "fire, CDU damaged" and rows[0].extra["Operator"] == "Rosneft"
