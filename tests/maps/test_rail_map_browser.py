"""A rail strike drawn on its rail line, end to end: bundled gazetteer, ingest, map, headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from events.facilities import import_bundled
from events.ingest import ingest_file
from events.mapping import make_map, save_map
from maps.layers import geometry_geojson
from tests.browser import ARTIFACTS, LoadedPage

pytestmark = pytest.mark.browser


def _rail_map(engine: Engine, tmp_path: Path) -> Path:
    import_bundled(engine)
    events = tmp_path / "rail-strike.csv"
    events.write_text(
        "event_date,latitude,longitude,country,description,source_url\n"
        "2024-05-10,45.62,38.94,RU,Drone strike on a fuel train at Timashevsk railway station,"
        "https://example.org/rail\n",
        encoding="utf-8",
    )
    assert ingest_file(engine, events).inserted == 1
    out = tmp_path / "rail-map.html"
    save_map(make_map(engine, offline=True, title="Rail strike"), out)
    return out


def test_rail_line_popup_counts_its_strikes_and_escapes_names() -> None:
    import pandas as pd

    frame = pd.DataFrame([
        {"name": "<b>Line</b>", "facility_type": "rail_line", "geometry_wkt": "LINESTRING (30 50, 31 51)",
         "strikes": 2, "stations": ["A", "<script>"]},
        {"name": "Site", "facility_type": "refinery", "geometry_wkt": "POINT (30 50)", "strikes": 0, "stations": []},
        {"name": "Outline", "facility_type": "power_plant",
         "geometry_wkt": "POLYGON ((30 50, 30.1 50, 30.1 50.1, 30 50))", "strikes": 0, "stations": []},
    ])  # fmt: skip
    shapes = geometry_geojson(frame)
    assert [f["geometry"]["type"] for f in shapes["features"]] == ["LineString", "Polygon"]  # points are not shapes
    popup = shapes["features"][0]["properties"]["popup"]
    assert "&lt;b&gt;Line&lt;/b&gt;" in popup and "&lt;script&gt;" in popup and "2 strikes linked" in popup


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rail_strike_is_drawn_on_its_line(engine: Engine, tmp_path: Path, browser) -> None:
    path = _rail_map(engine, tmp_path)
    page = LoadedPage(browser, path.as_uri())
    try:
        found = page.page.evaluate(
            """() => {
                const ctx = StrikeDB.current, map = ctx.map;
                let line = null, lines = 0;
                map.eachLayer((l) => {
                    const f = l.feature;
                    if (f && f.properties.ft === "rail_line" && l.getLatLngs) {
                        lines += 1;
                        if (f.properties.hits) line = l;
                    }
                });
                const markers = ctx.layers.events.getLayers();
                const p = map.latLngToLayerPoint(markers[0].getLatLng());
                const pts = line.getLatLngs().map((ll) => map.latLngToLayerPoint(ll));
                let best = Infinity;
                for (let i = 1; i < pts.length; i++) {
                    best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, pts[i - 1], pts[i]));
                }
                const zoomed = map.getZoom();
                const drawn = document.querySelectorAll("path.sdb-geometry-rail_line").length;
                return {lines, markers: markers.length, popup: line.getPopup().getContent(), px: best, zoom: zoomed,
                        weight: line.options.weight, drawn};
            }"""
        )
        assert found["lines"] >= 20 and found["drawn"] == found["lines"]  # every bundled line is an SVG path
        assert found["markers"] == 1
        assert "Rostov-on-Don - Crimean Bridge - Dzhankoi railway" in found["popup"]
        assert "1 strike linked" in found["popup"] and "Timashevsk" in found["popup"]
        assert found["weight"] == 5  # struck lines are drawn thicker
        # The strike's marker sits on the line: within 1 km at the map's zoom (a few pixels).
        km_per_px = 40075 * 0.7 / (256 * 2 ** found["zoom"])
        assert found["px"] * km_per_px < 1.0, found
        assert page.errors == [] and page.network == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "rail-strike-on-line.png"))
    finally:
        page.page.close()
