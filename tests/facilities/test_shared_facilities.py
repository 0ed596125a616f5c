"""The facility importer against real facility lists in ../shared/data (skipped when absent).

Three sources place the Novokuibyshevsk refinery kilometres apart (NETL GOGI CSV/GeoJSON, a Russian
refinery JSON with a wrong point ~45 km off, and the bundled gazetteer): they must be one facility.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from events.facilities import get_facility, import_bundled, import_facilities, read_facilities
from events.models import Facility, FacilityExternalId, IngestRun, RejectedRow
from events.records import RejectedRecord
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


def _accounted(report) -> bool:
    c = report.counts()
    return c["read"] == c["created"] + c["matched"] + c["updated"] + c["unchanged"] + c["rejected"]


def _facilities_named(engine: Engine, pattern: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(Facility.slug).where(Facility.name.ilike(pattern))).scalars())


def test_three_sources_resolve_to_one_novokuibyshevsk(engine: Engine) -> None:
    gogi_csv = shared_data("netl-gogi-refineries", "refineries_RUS_UKR.csv")
    gogi_geojson = shared_data("netl-gogi-refineries", "refineries.geojson")
    russian_json = shared_data("russian-refineries-capacity", "refineries.json")
    import_bundled(engine)
    reports = [
        import_facilities(engine, gogi_csv),
        import_facilities(engine, gogi_geojson),
        import_facilities(engine, russian_json, facility_type="refinery"),
    ]
    assert all(_accounted(r) for r in reports)
    csv_report, geojson_report, json_report = reports
    assert csv_report.matched >= 28  # most RU/UA refineries are in the gazetteer
    assert json_report.matched >= 20
    # The 2014 list's small plants are gazetteer sites (Verkhoturye and Surgutneftegas' Surgut plant since
    # 2026-12), matched by name although the list's points are ~45 km (Verkhoturye) and 1 km off.
    assert {slug for _, slug, _ in json_report.matches} >= {"ru-verkhoturye", "ru-surgut-sng", "ru-strezhevoy"}
    with engine.connect() as conn:
        novo = get_facility(conn, "ru-novokuibyshevsk")
        same_site = conn.execute(
            select(func.count())
            .select_from(Facility)
            .where(Facility.facility_type == "refinery")
            .where(func.abs(Facility.latitude - 53.1) < 0.05)
            .where(func.abs(Facility.longitude - 49.92) < 0.08)  # Samara's refinery is 9 km east
        ).scalar_one()
    schemes = sorted(i.split(":")[0] for i in novo["external_ids"])
    assert schemes == ["gazetteer", "gogi", "refineries"]
    assert _facilities_named(engine, "%novokuib%") == ["ru-novokuibyshevsk"]
    assert same_site == 1
    # The bundled coordinates win; the other sources' names become aliases.
    assert (novo["latitude"], novo["longitude"]) == (53.118, 49.918)
    aliases = {a["alias"] for a in novo["aliases"]}
    assert {"OJSC Novokuibyshevsk Refinery", "Новокуйбышевский НПЗ"} <= aliases
    # The NETL GeoJSON repeats the CSV's Russian rows: they are found by external id, not duplicated.
    with engine.connect() as conn:
        gogi_ru = conn.execute(
            select(func.count())
            .select_from(FacilityExternalId)
            .where(FacilityExternalId.scheme == "gogi", FacilityExternalId.value.like("RU:%"))
        ).scalar_one()
    assert gogi_ru == 32
    assert geojson_report.created > 400  # the rest of the world
    # The JSON's Astrakhan GPZ point lies in Volgograd oblast, 400 km off: reported, not merged.
    assert any("ru-astrakhan-gpz" in w.reason and "km away" in w.reason for w in json_report.warnings)


def test_ufa_refineries_stay_three(engine: Engine) -> None:
    import_bundled(engine)
    import_facilities(engine, shared_data("netl-gogi-refineries", "refineries_RUS_UKR.csv"))
    with engine.connect() as conn:
        for slug in ("ru-ufa-ufimsky", "ru-ufa-novoufimsky", "ru-ufa-ufaneftekhim"):
            ids = get_facility(conn, slug)["external_ids"]
            assert len([i for i in ids if i.startswith("gogi:")]) == 1, (slug, ids)


def test_osm_power_stations_import(engine: Engine) -> None:
    path = shared_data("ukr-osm-power-stations", "power_stations_with_oblasts.geojson")
    import_bundled(engine)
    report = import_facilities(engine, path)
    assert _accounted(report)
    assert report.read == 999
    matched = {slug for _, slug, _ in report.matches}
    for slug in ("ua-burshtyn-tpp", "ua-zaporizhzhia-npp", "ua-zaporizhzhia-tpp", "ua-rivne-npp", "ua-dnipro-hpp"):
        assert slug in matched
    # "yes" and "0" capacities are kept as text with a warning, never guessed.
    assert any("states no amount" in w.reason for w in report.warnings)
    with Session(engine) as session:
        rivne = session.scalars(select(Facility).where(Facility.slug == "ua-rivne-npp")).one()
        parsed = session.scalars(select(Facility).where(Facility.capacity_raw == "2.835 GW")).all()
        unknown = session.scalars(select(Facility).where(Facility.capacity_raw == "yes")).all()
        run = session.scalars(select(IngestRun).order_by(IngestRun.id.desc())).first()
        rejected = session.scalar(select(func.count()).select_from(RejectedRow))
    assert rivne.capacity_mw == 2835.0
    assert all(f.capacity_mw == 2835.0 for f in parsed)
    assert unknown and all(f.capacity_mw is None for f in unknown)
    assert run.kind == "facilities" and run.rows_read == 999 and run.rows_rejected == rejected == report.rejected
    osm_ids = report.created + report.matched
    assert osm_ids == 999 - report.rejected


def test_every_osm_capacity_text_is_parsed_or_warned() -> None:
    path = shared_data("ukr-osm-power-stations", "power_stations_with_oblasts.geojson")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    texts = {f["properties"].get("plant:output:electricity") for f in features} - {None}
    records = [r for r in read_facilities(path) if not isinstance(r, RejectedRecord)]
    for record in records:
        if record.capacity_raw is None:
            continue
        assert record.capacity_raw in texts
        warned = any(w.column == "plant:output:electricity" for w in record.warnings)
        assert (record.capacity_mw is not None) != warned, (record.capacity_raw, record.warnings)
    mws = {r.capacity_raw: r.capacity_mw for r in records if r.capacity_mw is not None}
    assert mws.get("1578,6 MW") == pytest.approx(1578.6)
    assert mws.get("2135kW") == pytest.approx(2.135)


#: A GPPD-style list (WRI Global Power Plant Database columns) of Ukrainian plants: names and points
#: as such databases give them (English names, other spellings, points a few hundred metres off).
GPPD_CSV = """country,country_long,name,gppd_idnr,capacity_mw,latitude,longitude,primary_fuel,owner
UKR,Ukraine,Burshtynska TPP,TEST0000001,2300,49.2088,24.6601,Coal,DTEK
UKR,Ukraine,Zaporizhzhia NPP,TEST0000002,6000,47.5110,34.5850,Nuclear,Energoatom
UKR,Ukraine,Kyiv CHP-5,TEST0000003,700,50.3935,30.5690,Gas,Kyivteploenergo
UKR,Ukraine,Ladyzhyn TPP,TEST0000004,1800,48.7040,29.2200,Coal,DTEK
UKR,Ukraine,Kaniv HPP,TEST0000005,472,49.7610,31.4720,Hydro,Ukrhydroenergo
UKR,Ukraine,Dnister PSPP,TEST0000006,972,48.5170,27.4730,Hydro,Ukrhydroenergo
UKR,Ukraine,Example Solar Park,TEST0000007,50,46.9000,30.9000,Solar,Example Energy
"""


def test_osm_gogi_and_gppd_merge_into_the_bundled_gazetteer_without_duplicates(engine: Engine, tmp_path) -> None:
    bundled = import_bundled(engine)
    osm = import_facilities(engine, shared_data("ukr-osm-power-stations", "power_stations_with_oblasts.geojson"))
    gogi = import_facilities(engine, shared_data("netl-gogi-refineries", "refineries_RUS_UKR.csv"))
    gppd_path = tmp_path / "gppd_ukraine.csv"
    gppd_path.write_text(GPPD_CSV, encoding="utf-8")
    gppd = import_facilities(engine, gppd_path)
    assert all(_accounted(r) for r in (bundled, osm, gogi, gppd))
    counts = {name: r.counts() for name, r in (("osm", osm), ("gogi", gogi), ("gppd", gppd))}
    # The counts an analyst sees (read / created / matched), on the ~338-site gazetteer:
    assert bundled.created >= 300
    assert counts["osm"]["read"] == 999 and counts["osm"]["matched"] >= 140  # 40+ plants, 100+ substations
    assert counts["gogi"] == {"read": 38, "created": 0, "matched": 38, "updated": 0, "unchanged": 0, "rejected": 0}
    assert (counts["gppd"]["matched"], counts["gppd"]["created"]) == (6, 1)  # only the solar park is new
    with engine.connect() as conn:
        ids = conn.execute(
            select(FacilityExternalId.facility_id, FacilityExternalId.scheme, Facility.slug)
            .join(Facility, Facility.id == FacilityExternalId.facility_id)
        ).all()  # fmt: skip
    per_facility: dict[tuple[int, str], int] = {}
    for facility_id, scheme, _ in ids:
        per_facility[(facility_id, scheme)] = per_facility.get((facility_id, scheme), 0) + 1
    # No duplicates: no facility took two objects of one dataset, and the matches are the right sites.
    assert max(per_facility.values()) == 1
    matched = {slug for _, slug, _ in osm.matches} | {slug for _, slug, _ in gppd.matches}
    for slug in ("ua-ps-kharkivska-330", "ua-ps-zaporizka-750", "ua-ps-dzhankoy-330", "ua-sloviansk-tpp",
                 "ua-kyiv-hpp", "ua-burshtyn-tpp", "ua-zaporizhzhia-npp", "ua-kyiv-chp5"):  # fmt: skip
        assert slug in matched, slug
    assert {s for _, s, _ in gogi.matches} >= {"ru-ryazan", "ru-kirishi-kinef", "ua-kremenchuk", "ru-strezhevoy"}
    # Re-importing all three changes nothing.
    for path in (osm.file, gogi.file, gppd.file):
        again = import_facilities(engine, path)
        assert again.created == again.matched == 0, path
