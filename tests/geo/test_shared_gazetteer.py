"""The bundled gazetteer against the shared OSINT refinery-strike tracker (skipped when absent).

Every refinery, depot and substation the tracker names must be a gazetteer site, found by its name
(Italian titles: "Raffineria di Novokuibyshevsk"), and the ingest must link the tracker's strikes.
"""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import Engine, select

from events.db import distance_km
from events.facilities import import_bundled
from events.geo import Geocoder
from events.ingest import ingest_file
from events.models import Event, Facility
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data

#: The tracker's own point is wrong for these (known quirks, see its SOURCE.txt; the Serpukhov depot is in
#: the city, 25 km east of the tracker's point, which lies in Kaluga Oblast): checked by name only.
SERPUKHOV = 'Deposito petrolifero di Serpukhov ZAO "ros-trade"'
WRONG_POINTS = {"Raffineria di Ilsky", "Raffineria di Krasnodar", SERPUKHOV}


def _tracker_rows() -> list[dict[str, str]]:
    path = shared_data("osint-tracker-refinery-strikes", "events_timeline.csv")
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_every_site_the_tracker_names_is_in_the_gazetteer(engine: Engine) -> None:
    import_bundled(engine)
    with engine.connect() as conn:
        geocoder = Geocoder(conn)
        slugs = dict(conn.execute(select(Facility.id, Facility.slug)).all())
    found: dict[str, str] = {}
    for row in _tracker_rows():
        title = row["title"].strip()
        if title == "Deposito petrolifero":  # no name: an oil depot in a town, matched by place below
            continue
        match = geocoder.match_facility_name(title, country="RU")
        assert match is not None, title
        found[title] = slugs[match.facility_id]
        if title not in WRONG_POINTS:
            km = distance_km(float(row["latitude"]), float(row["longitude"]), match.latitude, match.longitude)
            assert km < 12, (title, found[title], km)
    assert found["Raffineria di Orenburg"] == "ru-orenburg-gpz"
    assert found["Raffineria di Makhachkala"] == "ru-makhachkala"
    assert found["Raffineria di Novospassky"] == "ru-novospassky"
    assert found["Raffineria di Ilsky"] == "ru-ilsky" and found["Raffineria di Krasnodar"] == "ru-krasnodar"
    assert found["Bashneft-Ufaneftkhim"] == "ru-ufa-ufaneftekhim" and found["Bashneft-Novoyl"] == "ru-ufa-novoufimsky"
    assert found["Sottostazione elettrica PS 110 kV «Rylsk»"] == "ru-ps-rylsk-110"
    assert len(set(found.values())) >= 24


def test_the_ingest_links_the_trackers_strikes(engine: Engine) -> None:
    import_bundled(engine)
    report = ingest_file(engine, shared_data("osint-tracker-refinery-strikes", "events_timeline.csv"))
    assert report.read == 48 and report.rejected == 0
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.facility_name_reported, Facility.slug).outerjoin(Facility, Facility.id == Event.facility_id)
        ).all()  # fmt: skip
        geocoder = Geocoder(conn)
        slugs = dict(conn.execute(select(Facility.id, Facility.slug)).all())
    unlinked = sorted({title for title, slug in rows if slug is None})
    # 47 of 48: the tracker's Ilsky point is ~170 km from the refinery (a known quirk), too far for
    # the link by name (the identity rule warns instead of linking). Its Serpukhov point is 25 km from
    # the depot, close enough for a link by name.
    assert unlinked == ["Raffineria di Ilsky"]
    for title, slug in rows:
        if slug is not None and title != "Deposito petrolifero":
            assert slug == slugs[geocoder.match_facility_name(title, country="RU").facility_id], title
    by_title = dict(rows)
    assert by_title["Raffineria di Orenburg"] == "ru-orenburg-gpz"
    assert by_title["Raffineria di Makhachkala"] == "ru-makhachkala"
    assert by_title["Raffineria di Novospassky"] == "ru-novospassky"
    assert by_title["Raffineria di Novokuibyshevsk"] == "ru-novokuibyshevsk"
    assert by_title["Sottostazione elettrica PS 110 kV «Rylsk»"] == "ru-ps-rylsk-110"
