"""The bundled boundaries drawn in real headless Chromium: no bands across the Arctic.

The map is the one ``strikedb map --offline`` draws: the bundled admin-1 regions as the region layer
and the bundled country outlines as the basemap. At zoom 3 over the Arctic (and over the
antimeridian) no drawn ring may span 170 degrees of longitude or more. The old files drew Russia and
Kaliningrad as bands from -180 to 30 E.
"""

from __future__ import annotations

import datetime as dt

import pytest

from events import geo
from events.mapping import basemap
from maps.render import build_map, write_map
from tests.browser import ARTIFACTS, LoadedPage

pytestmark = pytest.mark.browser

#: (latitude, longitude, stored ISO 3166-2 code): strikes in the Russian Arctic and the north-west.
EVENTS = [
    (68.97, 33.08, "RU-MUR"),
    (69.35, 88.20, "RU-KYA"),
    (64.54, 40.54, "RU-ARK"),
    (59.68, 28.40, "RU-LEN"),
    (60.34, 28.70, "RU-LEN"),
    (59.47, 32.05, "RU-LEN"),
    (64.73, 177.51, "RU-CHU"),
]
VIEWS = {"arctic": (72.0, 60.0), "antimeridian": (66.0, 179.0), "north-atlantic": (66.0, -10.0)}
# The longitude span of every ring of every drawn polygon (region layer and basemap).
MEASURE = """(view) => {
  const ctx = StrikeDB.current, map = ctx.map;
  map.setView(view, 3, {animate: false});
  const spans = [];
  const rings = (latlngs) => Array.isArray(latlngs[0]) ? latlngs.flatMap(rings) : [latlngs];
  map.eachLayer((layer) => {
    if (!(layer instanceof L.Polygon) || !layer._path) return;
    for (const ring of rings(layer.getLatLngs())) {
      const lons = ring.map((p) => p.lng);
      spans.push(Math.max(...lons) - Math.min(...lons));
    }
  });
  const paths = document.querySelectorAll(".leaflet-pane path").length;
  return {spans, zoom: map.getZoom(), paths};
}"""


@pytest.fixture(scope="module")
def arctic_map(tmp_path_factory: pytest.TempPathFactory):
    rows = [
        {
            "event_id": i + 1,
            "event_date": dt.date(2025, 1, 1) + dt.timedelta(days=i),
            "latitude": lat,
            "longitude": lon,
            "country": "RU",
            "admin1_code": code,
            "admin1": None,
            "confidence": "confirmed",
            "facility_type": "refinery",
        }
        for i, (lat, lon, code) in enumerate(EVENTS)
    ]
    import pandas as pd

    regions = geo.admin1_regions()
    fmap = build_map(pd.DataFrame(rows), regions=regions, basemap=basemap(), offline=True, title="Arctic")
    path = tmp_path_factory.mktemp("arctic") / "arctic.html"
    write_map(fmap, path)
    return path


@pytest.mark.parametrize("view", list(VIEWS), ids=list(VIEWS))
def test_no_bands_at_zoom_3(browser, arctic_map, view: str) -> None:
    page = LoadedPage(browser, arctic_map.as_uri())
    try:
        measured = page.page.evaluate(MEASURE, list(VIEWS[view]))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / f"boundaries-{view}-zoom3.png"))
        assert measured["zoom"] == 3
        assert measured["paths"] > 0 and measured["spans"], "nothing drawn"
        bands = [s for s in measured["spans"] if s >= 170]
        assert bands == [], f"{len(bands)} drawn rings span 170 degrees of longitude or more"
        assert page.errors == [] and page.network == []
    finally:
        page.page.close()


def test_region_layer_counts_the_stored_regions() -> None:
    """Ust-Luga, Primorsk and Kirishi are stored in Leningrad Oblast: the layer counts all three there."""
    import pandas as pd

    from maps.layers import region_counts

    events = pd.DataFrame({"admin1_code": [code for *_, code in EVENTS], "admin1": None})
    regions = geo.admin1_regions()
    counts = dict(zip(regions["iso_3166_2"], region_counts(events, regions), strict=True))
    assert counts["RU-LEN"] == 3 and counts["RU-MUR"] == 1 and counts["RU-CHU"] == 1
    assert sum(counts.values()) == len(EVENTS)
