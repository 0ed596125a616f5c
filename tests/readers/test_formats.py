"""ACLED, UCDP GED and GeoJSON adapters, on small files written here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from events.errors import InputError
from events.readers import FORMATS, READERS, read_events
from events.readers.layouts import ACLED_COLUMNS
from events.records import EventRecord, RejectedRecord
from tests.helpers import write_csv

UCDP_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,conflict_name,"
    "dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,"
    "number_of_sources,source_article,source_office,source_date,source_headline,source_original,where_prec,"
    "where_coordinates,where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,"
    "region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,"
    "low,gwnoa,gwnob"
)


def acled_line(**overrides: str) -> str:
    values = dict.fromkeys(ACLED_COLUMNS, "NA")
    values.update(
        event_id_cnty="UKR1",
        event_date="14 September 2025",
        year="2025",
        time_precision="1",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        actor1="Military Forces of Ukraine (2019-)",
        iso="643",
        country="Russia",
        admin1="Leningrad",
        location="Kirishi",
        latitude="59.4500",
        longitude="32.0200",
        geo_precision="2",
        source="Reuters; Meduza;Reuters",
        notes="Drone strike on the KINEF refinery; fire.",
        fatalities="0",
        timestamp="1757900000",
    )
    values.update(overrides)
    return ",".join(f'"{values[c]}"' if ("," in values[c] or ";" in values[c]) else values[c] for c in ACLED_COLUMNS)


def test_acled_row_is_mapped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acled.csv", ",".join(ACLED_COLUMNS) + "\n" + acled_line() + "\n")
    (event,) = read_events(path, fmt="acled")
    assert isinstance(event, EventRecord), event
    assert (event.origin, event.external_id, event.line_number) == ("acled", "UKR1", 2)
    assert (event.event_date, event.date_precision) == (dt.date(2025, 9, 14), "day")
    assert (event.latitude, event.longitude, event.geo_precision) == (59.45, 32.02, "near_town")
    assert (event.country, event.admin1, event.location_text) == ("RU", "Leningrad", "Kirishi")
    assert (event.attack_type, event.claim_status, event.fatalities_best) == ("drone", "reported", 0)
    assert event.description.startswith("Drone strike")
    assert [s.publisher for s in event.sources] == ["Reuters", "Meduza"]
    assert all(s.url is None for s in event.sources)
    assert event.extra["sub_event_type"] == "Air/drone strike" and event.extra["actor1"].startswith("Military")
    assert "actor2" not in event.extra  # NA is missing


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"time_precision": "2"}, "date_precision", "week"),
        ({"time_precision": "3"}, "date_precision", "month"),
        # Code 1 is the point of the town the source names, not the site's (ACLED's codebook).
        ({"geo_precision": "1"}, "geo_precision", "near_town"),
        ({"geo_precision": "2"}, "geo_precision", "near_town"),
        ({"geo_precision": "3"}, "geo_precision", "region"),
        ({"sub_event_type": "Shelling/artillery/missile attack"}, "attack_type", "missile"),
        ({"sub_event_type": "Remote explosive/landmine/IED"}, "attack_type", "unknown"),
        ({"iso": "NA", "country": "Ukraine"}, "country", "UA"),
        ({"event_date": "2025-09-14"}, "event_date", dt.date(2025, 9, 14)),
    ],
)
def test_acled_precision_and_type_mapping(tmp_path: Path, overrides: dict, field: str, expected: object) -> None:
    path = write_csv(tmp_path / "acled.csv", ",".join(ACLED_COLUMNS) + "\n" + acled_line(**overrides) + "\n")
    (event,) = read_events(path, fmt="acled")
    assert getattr(event, field) == expected


def test_acled_bad_rows_are_rejected_with_all_problems(tmp_path: Path) -> None:
    bad = acled_line(event_date="NA", latitude="95", time_precision="7", fatalities="-3")
    text = ",".join(ACLED_COLUMNS) + "\n" + bad + "\n" + acled_line(event_id_cnty="UKR2") + "\n"
    path = write_csv(tmp_path / "a.csv", text)
    rejected, good = read_events(path, fmt="acled")
    assert isinstance(rejected, RejectedRecord) and isinstance(good, EventRecord)
    assert [p.column for p in rejected.problems] == ["event_date", "time_precision", "latitude", "fatalities"]
    assert rejected.raw == bad and good.line_number == 3


def test_acled_requires_its_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "not_acled.csv", "date,location\n2025-01-01,Kyiv\n")
    with pytest.raises(InputError, match="not a ACLED file: columns event_id_cnty"):
        list(read_events(path, fmt="acled"))
    # --map works with every format: a canonical field becomes the dataset's column (date -> event_date).
    with pytest.raises(InputError, match="columns event_id_cnty, latitude, longitude are missing"):
        read_events(path, fmt="acled", column_map={"date": "date"})


def ucdp_line(**overrides: str) -> str:
    names = UCDP_HEADER.split(",")
    values = dict.fromkeys(names, "")
    values.update(
        id="999",
        relid="UKR-2022-1-14117-728",
        year="2022",
        type_of_violence="1",
        side_a="Government of Russia (Soviet Union)",
        side_b="Government of Ukraine",
        source_article='"Kyiv Post,2022-05-01,Strike on TPP";"Ukrinform,2022-05-02,Fire at plant"',
        source_office="Kyiv Post;Ukrinform",
        source_date="2022-05-01;2022-05-02",
        source_headline="Strike on TPP;Fire at plant",
        where_prec="2",
        where_coordinates="Vuhlehirska thermal power plant",
        adm_1="Donetsk oblast",
        latitude="48.3135",
        longitude="38.2117",
        country="Ukraine",
        date_prec="1",
        date_start="2022-05-01",
        date_end="2022-05-01",
        best="2",
        high="3",
        low="1",
    )
    values.update(overrides)
    return ",".join(
        '"' + values[n].replace('"', '""') + '"' if any(c in values[n] for c in ',;"') else values[n] for n in names
    )


def test_ucdp_row_is_mapped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ged.csv", UCDP_HEADER + "\n" + ucdp_line() + "\n")
    (event,) = read_events(path, fmt="ucdp")
    assert isinstance(event, EventRecord), event
    assert (event.origin, event.external_id) == ("ucdp", "UKR-2022-1-14117-728")
    assert (event.event_date, event.date_precision, event.geo_precision) == (dt.date(2022, 5, 1), "day", "near_town")
    assert (event.fatalities_low, event.fatalities_best, event.fatalities_high) == (1, 2, 3)
    assert (event.country, event.admin1, event.location_text) == (
        "UA",
        "Donetsk oblast",
        "Vuhlehirska thermal power plant",
    )
    assert [(s.publisher, s.title, s.published_date) for s in event.sources] == [
        ("Kyiv Post", "Strike on TPP", dt.date(2022, 5, 1)),
        ("Ukrinform", "Fire at plant", dt.date(2022, 5, 2)),
    ]
    assert event.extra["id"] == "999" and event.extra["date_end"] == "2022-05-01"


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"where_prec": "1"}, "geo_precision", "exact"),
        ({"where_prec": "3"}, "geo_precision", "near_town"),
        ({"where_prec": "4"}, "geo_precision", "region"),
        ({"where_prec": "7"}, "geo_precision", "region"),
        ({"date_prec": "2"}, "date_precision", "week"),
        ({"date_prec": "3"}, "date_precision", "week"),
        ({"date_prec": "5"}, "date_precision", "month"),
        ({"country": "Russia (Soviet Union)"}, "country", "RU"),
        ({"country": "Neverland"}, "country", None),
    ],
)
def test_ucdp_precision_mapping(tmp_path: Path, overrides: dict, field: str, expected: object) -> None:
    path = write_csv(tmp_path / "ged.csv", UCDP_HEADER + "\n" + ucdp_line(**overrides) + "\n")
    (event,) = read_events(path, fmt="ucdp")
    assert getattr(event, field) == expected


def test_ucdp_article_only_and_bad_rows(tmp_path: Path) -> None:
    article_only = ucdp_line(source_office="", source_date="", source_headline="", source_article="Reuters 1989-05-17")
    bad = ucdp_line(where_prec="9", best="many", date_start="")
    path = write_csv(tmp_path / "ged.csv", UCDP_HEADER + "\n" + article_only + "\n" + bad + "\n")
    good, rejected = read_events(path, fmt="ucdp")
    assert [s.title for s in good.sources] == ["Reuters 1989-05-17"]
    assert isinstance(rejected, RejectedRecord)
    assert [p.column for p in rejected.problems] == ["date_start", "where_prec", "best"]


def feature(properties: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def test_geojson_points_properties_and_rejections(tmp_path: Path) -> None:
    props = {"title": "Raffineria di Tuapse", "date": "02/11/25", "type": "Drones", "source": "https://a.org/x", "n": 3}
    collection = {
        "type": "FeatureCollection",
        "name": "strikes",
        "features": [
            feature(props, {"type": "Point", "coordinates": [39.09861, 44.10417]}),
            feature(props, {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
            feature(props, {"type": "Point", "coordinates": [44.1, 139.1]}),
            feature({**props, "date": "32/13/25"}, {"type": "Point", "coordinates": [1.5, 2.5]}),
            feature({**props, "location": "Tuapse"}, None),
            {"type": "Nonsense"},
        ],
    }
    path = write_csv(tmp_path / "strikes.geojson", json.dumps(collection, indent=2))
    # Every date here reads both ways ("02/11/25"): the file alone cannot settle the order.
    with pytest.raises(InputError, match="day/month order of its dates cannot be told") as refused:
        read_events(path, fmt="geojson")
    assert "--date-order" in refused.value.hint
    records = list(read_events(path, fmt="geojson", date_order="dmy"))
    assert [r.line_number for r in records] == [1, 2, 3, 4, 5, 6]
    first = records[0]
    assert isinstance(first, EventRecord) and first.origin == "geojson"
    assert (first.latitude, first.longitude, first.event_date) == (44.10417, 39.09861, dt.date(2025, 11, 2))
    assert (first.facility_name, first.attack_type, first.extra) == ("Raffineria di Tuapse", "drone", {"n": 3})
    assert json.loads(first.raw) == collection["features"][0]
    assert "only Point features" in records[1].problems[0].reason
    assert "[longitude, latitude]" in records[2].problems[0].reason
    assert records[3].problems[0].column == "date"
    assert isinstance(records[4], EventRecord) and records[4].latitude is None and records[4].location_text == "Tuapse"
    assert "not a GeoJSON Feature" in records[5].problems[0].reason


def test_geojson_single_feature_and_member_order(tmp_path: Path) -> None:
    single = feature({"date": "2025-01-01", "location": "Kyiv"}, {"type": "Point", "coordinates": [30.5, 50.4]})
    path = write_csv(tmp_path / "one.geojson", json.dumps(single))
    (event,) = read_events(path, fmt="geojson")
    assert event.latitude == 50.4
    later_type = '{"features": [' + json.dumps(single) + '], "type": "FeatureCollection", "bbox": [1, 2, 3, 4]}'
    assert len(list(read_events(write_csv(tmp_path / "b.geojson", later_type), fmt="geojson"))) == 1


def test_geojson_site_outlines_give_a_point_inside(tmp_path: Path) -> None:
    """A Polygon drawn around a depot (2 x 1.3 km) is the event's point; a district-sized one is refused."""
    depot = [[[37.0, 54.9], [37.02, 54.9], [37.02, 54.91], [37.0, 54.91], [37.0, 54.9]]]
    district = [[[37.0, 54.9], [37.5, 54.9], [37.5, 55.2], [37.0, 55.2], [37.0, 54.9]]]
    bowtie = [[[37.0, 54.9], [37.02, 54.91], [37.02, 54.9], [37.0, 54.91], [37.0, 54.9]]]
    props = {"date": "2024-04-01", "description": "Tank farm burning"}
    features = [
        feature(props, {"type": "Polygon", "coordinates": depot}),
        feature(props, {"type": "MultiPolygon", "coordinates": [depot]}),
        feature(props, {"type": "Polygon", "coordinates": district}),
        feature(props, {"type": "Polygon", "coordinates": bowtie}),
        feature(props, {"type": "Polygon", "coordinates": [[[37.0]]]}),
    ]
    path = write_csv(tmp_path / "outlines.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    first, second, wide, crossed, broken = read_events(path, fmt="geojson")
    assert isinstance(first, EventRecord) and 37.0 < first.longitude < 37.02 and 54.9 < first.latitude < 54.91
    assert isinstance(second, EventRecord) and (second.latitude, second.longitude) == (first.latitude, first.longitude)
    assert "km across is an area, not a site" in wide.problems[0].reason
    assert "not a valid outline" in crossed.problems[0].reason
    assert "not a valid outline" in broken.problems[0].reason


def test_geojson_feature_ids_identify_the_features(engine, tmp_path: Path) -> None:
    """RFC 7946 puts a feature's id beside its properties; an ``id`` property still wins."""
    from events.ingest import ingest_file

    point = {"type": "Point", "coordinates": [39.7357, 54.5846]}
    features = [
        {**feature({"date": "2024-03-13", "name": "Ryazan refinery"}, point), "id": "GC-101"},
        {**feature({"date": "2024-03-14", "name": "Ryazan refinery"}, point), "id": 102},
        {**feature({"date": "2024-03-15", "name": "Ryazan refinery", "id": "own-7"}, point), "id": "GC-103"},
    ]
    path = write_csv(tmp_path / "gc.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    assert [e.external_id for e in read_events(path, fmt="geojson")] == ["GC-101", "102", "own-7"]
    report = ingest_file(engine, path)
    assert report.id_column == "id" and report.inserted == 3
    assert ingest_file(engine, path).unchanged == 3


def test_geojson_streams_big_features_across_chunks(tmp_path: Path) -> None:
    notes = "x" * 200_000
    features = [
        feature({"date": "2025-01-01", "notes": notes, "n": i}, {"type": "Point", "coordinates": [30 + i / 10, 50]})
        for i in range(5)
    ]
    path = write_csv(tmp_path / "big.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    records = list(read_events(path, fmt="geojson"))
    assert [r.longitude for r in records] == [30.0, 30.1, 30.2, 30.3, 30.4]
    assert all(r.description == notes for r in records)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("[1, 2]", "does not start with a JSON object"),
        ('{"type": "FeatureCollection"}', "no 'features' array"),
        ('{"type": "FeatureCollection", "features": [{"type": "Feature"', "invalid JSON"),
        ('{"features": []} trailing', "extra data"),
        ('{"type": "FeatureCollection", "features": [' + json.dumps(feature({"x": 1}, None)) + "]}", "date"),
    ],
)
def test_geojson_whole_file_problems(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(read_events(write_csv(tmp_path / "bad.geojson", content), fmt="geojson"))


def test_geojson_column_map_and_encoding(tmp_path: Path) -> None:
    data = {"type": "FeatureCollection", "features": [feature({"quando": "2025-01-01"}, None)]}
    path = write_csv(tmp_path / "m.geojson", json.dumps(data))
    with pytest.raises(InputError, match="required columns"):
        list(read_events(path, fmt="geojson"))
    (rejected,) = read_events(path, fmt="geojson", column_map={"quando": "date"})
    assert "nothing to place it" in rejected.problems[0].reason
    latin = tmp_path / "latin.geojson"
    latin.write_bytes('{"features": [{"properties": {"date": "città"}}]}'.encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        list(read_events(latin, fmt="geojson"))


def test_the_format_list_and_its_error_come_from_the_registry(tmp_path: Path) -> None:
    # One list for the reader and the ingest: adding a dataset is one module and one READERS entry.
    assert FORMATS == ("auto", "csv", "acled", "ucdp", "geojson")
    assert FORMATS[1:] == tuple(READERS)
    path = tmp_path / "a.csv"
    path.write_text("date,location\n2025-01-01,Kyiv\n")
    with pytest.raises(InputError, match="unknown input format 'gdelt'") as raised:
        read_events(path, fmt="gdelt")
    assert raised.value.hint == "use one of: auto, csv, acled, ucdp, geojson"
