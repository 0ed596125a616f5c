"""A facility named in a row's text is linked; a town's point is not a site's (issue 12).

ACLED and UCDP rows have no facility column: the site is named in the notes ("Ukrainian drones
struck the Ryazan oil refinery"), and ACLED's most precise point (``geo_precision`` 1) is the point
of the town the source names. So these rows are linked when their text says a site of some type was
hit and names one facility of that type within 30 km, and never by their distance to a site.
The files below are shaped like an ACLED export as downloaded and an OSINT log in Russian.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from events.facilities import match_events
from events.ingest import ingest_file
from events.models import Event, Facility
from events.readers.layouts import ACLED_COLUMNS
from tests.helpers import write_csv
from tests.ingest_fixtures import add_bundled_facilities, counts

RYAZAN_CITY = ("54.6269", "39.6916")  # the city's point, ~8 km from the refinery's
TUAPSE_TOWN = ("44.1050", "39.0820")  # ~1.3 km from the Tuapse refinery's point
KHARKIV_CITY = ("49.9935", "36.2304")
KAMIANSKE_TOWN = ("48.5130", "34.6030")  # two bundled power plants lie within a few km


def _acled_row(event_id: str, point: tuple[str, str], notes: str, geo_precision: str = "1") -> str:
    values = dict.fromkeys(ACLED_COLUMNS, "")
    values.update(
        event_id_cnty=event_id,
        event_date="13 March 2024",
        year="2024",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        actor1="Military Forces of Ukraine (2019-)",
        inter1="State forces",
        iso="643" if event_id.startswith("RUS") else "804",
        region="Europe",
        country="Russia" if event_id.startswith("RUS") else "Ukraine",
        latitude=point[0],
        longitude=point[1],
        geo_precision=geo_precision,
        source="Kommersant; Ukrainska Pravda",
        source_scale="National-International",
        notes=notes,
        fatalities="0",
        timestamp="1710777600",
    )
    return ",".join(f'"{values[c]}"' if any(ch in values[c] for ch in ",;") else values[c] for c in ACLED_COLUMNS)


def _acled_file(tmp_path: Path, rows: list[str]) -> Path:
    return write_csv(tmp_path / "acled.csv", ",".join(ACLED_COLUMNS) + "\n" + "\n".join(rows) + "\n")


def _links(engine: Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.external_id, Facility.slug, Event.facility_match, Event.facility_distance_km,
                   Event.geo_precision, Event.target_category, Event.link_evidence)
            .outerjoin(Facility, Facility.id == Event.facility_id)
        ).all()  # fmt: skip
    return {r[0]: tuple(r[1:]) for r in rows}


def test_acled_rows_naming_their_refinery_are_linked_by_the_name_not_the_distance(
    engine: Engine, tmp_path: Path
) -> None:
    add_bundled_facilities(engine)
    path = _acled_file(
        tmp_path,
        [
            _acled_row(
                "RUS1",
                RYAZAN_CITY,
                "On 13 March 2024, Ukrainian drones struck the Ryazan oil refinery; a fire broke out.",
            ),
            _acled_row(
                "RUS2", RYAZAN_CITY, "On 13 March 2024, a drone was shot down over Ryazan; debris damaged a house."
            ),
            # The town's point 1.3 km from the refinery, and the refinery is not named: before, the
            # precision-1 point counted as the site's and was linked to the nearest refinery.
            _acled_row(
                "RUS3", TUAPSE_TOWN, "On 13 March 2024, a drone set fire to an oil refinery, the governor said."
            ),
            _acled_row(
                "RUS4", TUAPSE_TOWN, "On 13 March 2024, a drone attack set fire to the Rosneft Tuapse refinery."
            ),
        ],
    )
    report = ingest_file(engine, path)
    assert (report.inserted, report.merged, report.rejected) == (4, 0, 0)
    links = _links(engine)
    slug, method, km, precision, category, evidence = links["RUS1"]
    assert (slug, method, precision, category) == ("ru-ryazan", "text", "near_town", "energy")
    assert 6 < km < 9 and evidence["distance_km"] == km and evidence["words"] == ["refinery"]
    assert "names 'Ryazan refinery'" in evidence["rule"] and "limit 30 km" in evidence["rule"]
    assert links["RUS2"][:2] == (None, None) and links["RUS2"][4] == "other"
    assert links["RUS3"][:2] == (None, None) and links["RUS3"][3:5] == ("near_town", "energy")
    assert links["RUS4"][:2] == ("ru-tuapse", "text")
    # The same rule in `facilities match`: nothing to change, and a re-import writes nothing.
    assert match_events(engine, dry_run=True).changes == []
    before = {k: v for k, v in counts(engine).items() if k != "ingest_runs"}
    again = ingest_file(engine, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert {k: v for k, v in counts(engine).items() if k != "ingest_runs"} == before


def test_a_name_needs_its_numbers_and_names_one_site(engine: Engine, tmp_path: Path) -> None:
    add_bundled_facilities(engine)
    path = _acled_file(
        tmp_path,
        [
            # "5" is the day, not CHP-5: Kharkiv has several power plants.
            _acled_row("UKR1", KHARKIV_CITY, "On 5 March 2024, Russian missiles hit a power plant in Kharkiv.", "3"),
            _acled_row(
                "UKR2", KHARKIV_CITY, "On 13 March 2024, Russian missiles hit Kharkiv CHP-5, causing blackouts."
            ),
            # Two bundled plants are named after Kamianske: the text does not say which was hit.
            _acled_row("UKR3", KAMIANSKE_TOWN, "On 13 March 2024, missiles hit power plants in Kamianske."),
        ],
    )
    ingest_file(engine, path)
    links = _links(engine)
    assert links["UKR1"][:2] == (None, None) and links["UKR1"][4] == "energy"
    assert links["UKR2"][:2] == ("ua-kharkiv-chp5", "text")
    assert links["UKR3"][:2] == (None, None) and links["UKR3"][4] == "energy"


def test_an_inflected_russian_name_in_a_log_is_linked_beyond_the_distance_radius(
    engine: Engine, tmp_path: Path
) -> None:
    add_bundled_facilities(engine)
    content = "id,date,location,description,latitude,longitude,source\n" + (
        # ~4.6 km from the refinery's point: too far for the distance rule (3 km).
        '7,2024-03-14,Кириши,"Атака беспилотников на Киришский НПЗ, на установке пожар",59.447,32.020,https://t.me/x/7\n'
        '8,2024-03-14,Кириши,"В Киришах сбит беспилотник, пострадавших нет",59.447,32.020,https://t.me/x/8\n'
        # The location names the town, the description the type: a town and a type, not a name.
        '9,2024-03-15,Kirishi,"Drones attacked the refinery overnight",59.447,32.020,https://t.me/x/9\n'
    )
    ingest_file(engine, write_csv(tmp_path / "log.csv", content))
    links = _links(engine)
    slug, method, km, precision, category, evidence = links["7"]
    assert (slug, method, precision, category) == ("ru-kirishi-kinef", "text", "exact", "energy")
    assert 4 < km < 6 and evidence["words"] == ["нпз"]
    assert links["8"][:2] == (None, None) and links["8"][4] == "other"
    assert links["9"][:2] == (None, None) and links["9"][4] == "energy"


def test_a_russian_log_numbered_with_no_sign_and_placeholders(engine: Engine, tmp_path: Path) -> None:
    """A log as Russian OSINT channels keep it: ``;``, decimal commas, "№" ids, "н/д" for no data."""
    add_bundled_facilities(engine)
    content = "№;Дата;Объект;Регион;Широта;Долгота;Описание;Источник\n" + (
        "1;13.03.2024;Рязанский НПЗ;Рязанская область;54,5846;39,7357;Атака БПЛА, пожар;https://t.me/a/1\n"
        "2;13.03.2024;н/д;Нижегородская область;56,1471;44,1989;"
        "Беспилотник атаковал НПЗ «Лукойл-Нижегороднефтеоргсинтез» в Кстово;https://t.me/a/2\n"
        # No coordinates: the point is the named refinery's.
        "3;14.03.2024;Киришский НПЗ;Ленинградская область;н/д;н/д;Попытка атаки, беспилотник сбит;https://t.me/a/3\n"
        "1;13.03.2024;Рязанский НПЗ;Рязанская область;54,5846;39,7357;Атака БПЛА, пожар (дубль);https://t.me/a/4\n"
    )
    report = ingest_file(engine, write_csv(tmp_path / "лог.csv", content))
    assert report.id_column == "№"
    assert (report.inserted, report.merged, report.rejected) == (3, 0, 1)
    assert "duplicate id '1', first at line 2" in report.problems[0].reason
    links = _links(engine)
    assert links["1"][:2] == ("ru-ryazan", "alias")
    assert links["2"][:2] == ("ru-kstovo-norsi", "text")  # "н/д" is no facility name
    assert links["3"][:2] == ("ru-kirishi-kinef", "alias") and links["3"][2] == 0.0
    with engine.connect() as conn:
        names = dict(conn.execute(select(Event.external_id, Event.facility_name_reported)).all())
        regions = set(conn.execute(select(Event.admin1_code)).scalars())
    assert names["2"] is None and regions == {"RU-RYA", "RU-NIZ", "RU-LEN"}


def test_a_port_city_is_no_port_strike(engine: Engine, tmp_path: Path) -> None:
    """ACLED notes call Izmail "the port city": that names the town, not a strike on its port."""
    add_bundled_facilities(engine)
    izmail = ("45.3516", "28.8365")
    path = _acled_file(
        tmp_path,
        [
            _acled_row("UKR1", izmail, "On 13 March 2024, Russian drones hit houses in the port city of Izmail."),
            _acled_row("UKR2", izmail, "On 13 March 2024, Russian drones hit the port of Izmail; grain silos burned."),
        ],
    )
    ingest_file(engine, path)
    links = _links(engine)
    assert links["UKR1"][:2] == (None, None) and links["UKR1"][4] == "other"
    assert links["UKR2"][:2] == ("ua-izmail-port", "text") and links["UKR2"][4] == "energy"
