"""Map rendering without a database: structure, escaping, offline assets, determinism."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib.resources import files

import folium
import geopandas as gpd
import pandas as pd
import pytest

from events import vocab
from maps import cdn, style
from maps import data as mapdata
from maps.errors import MapDataError, OfflineAssetError
from maps.layers import LAYERS, TILES_NAME, event_regions, layer_scripts, region_counts, region_geojson
from maps.offline import asset
from maps.render import build_map, render_html, write_map
from maps.runtime import LAYER_SCRIPTS_SLOT, asset_text
from tests.maps._map_samples import (
    HOSTILE,
    HOSTILE_IMG,
    sample_basemap,
    sample_events,
    sample_facilities,
    sample_regions,
)


class _Tags(HTMLParser):
    """Collects the tags and attributes of a document, and the text of its <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _embedded(html: str, name: str = "event_data") -> dict:
    """The dataset as written in the HTML: the payload itself, or its packed form."""
    match = re.search(rf"var {name}_\d+ = new StrikeDB\.Dataset\((.*?)\);\n", html)
    assert match, f"{name} not found"
    return json.loads(match.group(1))


def _dataset(html: str, name: str = "event_data") -> dict:
    return mapdata.unpack_payload(_embedded(html, name))


def _decoded(column: dict) -> list:
    return [column["d"][c] for c in column["c"]] if "d" in column else column["v"]


def _overlays(html: str) -> list[str]:
    block = re.search(r"overlays :  \{(.*?)\},\n", html, re.S).group(1)
    return [json.loads(m) for m in re.findall(r'^\s*(".*?") :', block, re.M)]


def test_layers_are_one_clustered_event_layer_facilities_regions_heat_and_optional_tiles():
    html = render_html(build_map(sample_events(), facilities=sample_facilities(), regions=sample_regions()))
    assert _overlays(html) == [
        "Strikes per region (admin-1)",
        "Facilities, sized by capacity (2)",  # the row without coordinates is skipped
        "Events, clustered (24)",
        "Heat map of the events shown",
        TILES_NAME,
    ]
    # One marker layer for all events (no second "by type" or time copy of each marker).
    assert html.count("new StrikeDB.EventLayer(") == 1
    assert "TimeLayer" not in html
    # Events, facilities and regions start visible; the heat map and the online tiles hidden.
    shown = set(re.findall(r"(\w+_\d+)\.addTo\(map_\d+\);", html))
    assert {s.rsplit("_", 1)[0] for s in shown} == {"event_layer", "facility_layer", "choropleth_layer"}
    assert "L.markerClusterGroup" in asset_text("strikedb.js")
    assert "leaflet.markercluster" in html.lower() or "MarkerClusterGroup" in html  # the plugin is inlined
    assert html.index("StrikeDB.start(") > html.index(".fitBounds(")  # the URL fragment can override the view


def test_payload_holds_every_event_once_with_deduplicated_sources():
    events = sample_events(30)
    events.at[1, "sources"] = [*events.at[1, "sources"], events.at[2, "sources"][0]]  # shared source
    payload = _dataset(render_html(build_map(events)))
    assert payload["n"] == 30
    assert len(payload["sources"]) == 30  # the shared one is stored once
    src = mapdata.undelta_lists(payload["cols"]["src"])
    assert src[:4] == [[0], [1, 2], [2], [3]]
    assert payload["cols"]["src"]["dv"][:4] == [[0], [1, 1], [0], [1]]
    conf = payload["cols"]["conf"]
    assert conf["d"] == list(vocab.CONFIDENCE_LEVELS)  # dictionary-encoded: repeated values
    assert [conf["d"][c] for c in conf["c"]][:5] == ["confirmed", "likely", "possible", "unverified", "confirmed"]


def test_hostile_text_is_escaped_and_never_becomes_markup():
    events = sample_events()
    events.at[3, "facility_name"] = HOSTILE
    regions = sample_regions()
    html = render_html(build_map(events, regions=regions, title=HOSTILE, subtitle=HOSTILE_IMG))
    tags = _parse(html)
    # No element got an event-handler attribute, no image was injected, and the only scripts
    # are Leaflet, our runtime and the map script.
    assert not [attrs for _, attrs in tags.tags if any(name.startswith("on") for name in attrs)]
    assert not [t for t, _ in tags.tags if t == "img"]
    # guard, folium's switches, leaflet, markercluster, heat, runtime, map: all inline
    assert [t for t, _ in tags.tags].count("script") == 7
    assert tags.title == HOSTILE  # <title> holds the text, not markup
    assert "window.__pwned" in html  # the text is there, as data...
    assert "<script>window.__pwned" not in html and "<img src=x" not in html  # ...never as markup
    assert "javascript:" not in json.dumps(_dataset(html))  # a javascript: archive URL is dropped, not linked


def test_runtime_escapes_every_data_field_before_html():
    js = asset_text("strikedb.js")
    assert "</script" not in js.lower()
    # Every g(...)/data value placed in popup HTML goes through esc (e) or a label() then esc.
    assert "</script" not in asset_text("guard.js").lower()
    for script in layer_scripts():
        assert "</script" not in asset_text(script).lower(), script
    # The popup and its rows (SDB.popupRows, which other modules extend) are one section.
    popup = js[js.index("SDB.popupRows = [") : js.index("function openPopup")]
    assert "SDB.eventPopup" in popup
    for match in re.finditer(r"\+\s*g\(\"(\w+)\"\)", popup):
        pytest.fail(f"unescaped field {match.group(1)} in popup")
    assert "SDB.safeUrl(src[0])" in js and "SDB.safeUrl(src[4])" in js


def test_every_layer_script_is_spliced_into_the_runtime_once_top_layer_first():
    html = render_html(build_map(sample_events()))  # no facilities or regions: their scripts are still there
    scripts = layer_scripts()
    assert scripts == ["layers/heat.js", "layers/facilities.js", "layers/regions.js", "layers/basemap.js"]
    positions = [html.index(asset_text(script)) for script in scripts]
    assert positions == sorted(positions)
    assert all(html.count(asset_text(script)) == 1 for script in scripts)
    assert LAYER_SCRIPTS_SLOT.strip() not in html
    # Each layer that registers itself in the browser does so under its key.
    for layer in LAYERS:
        if layer.script and layer.key != "basemap":
            assert f'"{layer.key}"' in asset_text(layer.script), layer.__name__


def test_a_table_no_layer_takes_is_refused():
    with pytest.raises(TypeError, match="no map layer takes pipelines"):
        build_map(sample_events(), layer_data={"pipelines": pd.DataFrame()})


def test_same_input_gives_identical_html_and_ids_are_stable():
    first = render_html(build_map(sample_events(), facilities=sample_facilities(), regions=sample_regions()))
    second = render_html(build_map(sample_events(), facilities=sample_facilities(), regions=sample_regions()))
    assert first == second
    assert re.search(r'id="map_\d{6}"', first)
    assert not re.search(r"_[0-9a-f]{32}\b", first)  # no random branca ids left
    changed = sample_events()
    changed.at[0, "description"] = "changed"
    assert render_html(build_map(changed, facilities=sample_facilities(), regions=sample_regions())) != first


def test_rendering_twice_gives_the_same_bytes():
    fmap = build_map(sample_events(), offline=True)
    assert render_html(fmap) == render_html(fmap)


def test_default_map_inlines_everything_and_starts_without_tiles():
    html = render_html(build_map(sample_events(), facilities=sample_facilities(), basemap=sample_basemap()))
    tags = _parse(html)
    external = [a for t, a in tags.tags if t in ("script", "link") and (a.get("src") or a.get("href"))]
    assert external == []
    assert asset("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")[:200] in html
    assert (
        asset("https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js")[:200]
        in html
    )
    assert "StrikeDB.basemap(" in html
    # Online tiles are only an optional layer, off at the start, registered for the URL fragment.
    tile_var = re.search(r"var (tile_layer_\d+) = L\.tileLayer", html).group(1)
    assert f"{tile_var}.addTo(" not in html
    assert re.search(rf'StrikeDB\.register\(strike_db_runtime_\d+, "tiles", {tile_var}\)', html)


def test_cdn_map_links_pinned_versions_with_integrity_hashes():
    html = render_html(build_map(sample_events(), offline=False))
    tags = _parse(html)
    links = [a for t, a in tags.tags if t in ("script", "link") and (a.get("src") or a.get("href"))]
    urls = [a.get("src") or a.get("href") for a in links]
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in urls
    assert "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.1.0/dist/leaflet.markercluster.js" in urls
    assert any(u.endswith(f"folium@v{folium.__version__}/folium/templates/leaflet_heat.min.js") for u in urls)
    for attrs in links:
        url = attrs.get("src") or attrs.get("href")
        assert re.search(r"@v?\d+\.\d+\.\d+/", url), f"{url} is not pinned to a version"
        assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", attrs["integrity"]), url
        assert attrs["crossorigin"] == "anonymous"
    heat = (files("folium") / "templates" / "leaflet_heat.min.js").read_bytes()
    assert cdn.sri(heat) in html  # the hash of the exact file folium ships for that tag
    for unused in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "@main", "@latest"):
        assert unused not in " ".join(urls)
    assert "var SDB_CDN = true;" in html  # the guard explains a failed load (tested in Chromium)


def test_cdn_refuses_links_it_cannot_pin():
    with pytest.raises(OfflineAssetError, match="no pinned CDN copy"):
        cdn.pinned("https://unpkg.com/some-plugin@latest/plugin.js")


def test_unknown_offline_asset_is_a_clear_error():
    with pytest.raises(OfflineAssetError, match="no bundled copy"):
        asset("https://example.invalid/plugin.js")


def test_empty_selection_still_renders_a_valid_map():
    empty = sample_events().iloc[0:0]
    fmap = build_map(empty, offline=True)
    html = render_html(fmap)
    assert fmap.summary["events"] == 0
    assert _dataset(html)["n"] == 0
    assert ".fitBounds(" not in html.split("<body>")[1]


def test_events_may_come_as_plain_dataframe_or_geometry_only():
    events = sample_events(8)
    plain = pd.DataFrame(events.drop(columns="geometry"))
    geometry_only = events.drop(columns=["latitude", "longitude"])
    a = _dataset(render_html(build_map(plain)))
    b = _dataset(render_html(build_map(geometry_only)))
    assert a["cols"]["lat"] == b["cols"]["lat"] and a["cols"]["lon"] == b["cols"]["lon"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("confidence", "certain", "confidence 'certain' is not one of"),
        ("latitude", 123.0, "coordinates out of range"),
        ("latitude", None, "missing coordinates"),
        ("event_date", "13/03/2024", "not an ISO date"),
    ],
)
def test_bad_event_values_are_rejected_with_the_row(column, value, message):
    events = pd.DataFrame(sample_events(4).drop(columns="geometry"))
    events[column] = events[column].astype(object)
    events.at[2, column] = value
    with pytest.raises(MapDataError, match=f"row 2: .*{re.escape(message)}|row 2: {re.escape(message)}"):
        build_map(events)


def test_missing_required_column_is_rejected():
    with pytest.raises(MapDataError, match="lacks column"):
        build_map(pd.DataFrame({"latitude": [1.0], "longitude": [2.0], "event_date": ["2024-01-01"]}))


def _events_stored_in_sample_regions() -> pd.DataFrame:
    events = sample_events()
    events["admin1"] = ["West <b>Oblast</b>" if lon < 37 else "East Oblast" for lon in events["longitude"]]
    return events


def test_choropleth_counts_events_by_their_stored_region():
    events = _events_stored_in_sample_regions()
    counts = region_counts(events, sample_regions())
    west = int((events["longitude"] < 37).sum())
    assert counts == [west, len(events) - west, 0]
    geojson = region_geojson(sample_regions(), counts)
    assert [f["properties"]["n"] for f in geojson["features"]] == counts
    html = render_html(build_map(events, regions=sample_regions()))
    assert "West \\u003cb\\u003eOblast" in html  # region names are data too: escaped in JSON
    assert "Strikes per region" in html


def test_choropleth_never_counts_by_position():
    """A port stored in West Oblast counts there although its point lies off the drawn outline."""
    events = _events_stored_in_sample_regions()
    events.loc[0, ["latitude", "longitude"]] = [49.9, 29.9]  # outside every sample box
    events.loc[1, "admin1"] = None  # stored without a region: counted nowhere, wherever it lies
    counts = region_counts(events, sample_regions())
    west = int((events["admin1"] == "West <b>Oblast</b>").sum())
    assert counts == [west, int((events["admin1"] == "East Oblast").sum()), 0]
    assert sum(counts) == len(events) - 1


def test_choropleth_counts_by_iso_3166_2_code_when_stored():
    events = _events_stored_in_sample_regions()
    regions = sample_regions().assign(iso_3166_2=["RU-WST", "UA-EST", "RU-EMP"])
    events["admin1_code"] = ["ru-wst" if lon < 37 else "UA-EST" for lon in events["longitude"]]
    events["admin1"] = "spelt any way"
    west = int((events["longitude"] < 37).sum())
    assert region_counts(events, regions) == [west, len(events) - west, 0]


def test_renderer_switches_to_canvas_for_many_events(monkeypatch):
    assert build_map(sample_events(8)).summary["renderer"] == "svg"
    monkeypatch.setattr(style, "CANVAS_THRESHOLD", 8)
    fmap = build_map(sample_events(8))
    assert fmap.summary["renderer"] == "canvas"
    assert '{"canvas":true,"offline":true,' in render_html(fmap)
    with pytest.raises(ValueError, match="renderer"):
        build_map(sample_events(2), renderer="webgl")


def test_facility_radius_grows_with_capacity_and_is_bounded():
    small, big = style.facility_radius(1, None, None), style.facility_radius(20, None, None)
    assert style.FACILITY_MIN_RADIUS_PX < small < big <= style.FACILITY_MAX_RADIUS_PX
    kbd_as_mtpa = 400 * 365 / vocab.BARRELS_PER_TONNE / 1000
    assert style.facility_radius(None, 400, None) == style.facility_radius(kbd_as_mtpa, None, None)
    assert style.facility_radius(None, None, 4000) > style.facility_radius(None, None, 100)
    assert style.facility_radius(None, None, None) == style.FACILITY_MIN_RADIUS_PX
    assert style.facility_radius(float("nan"), None, 1e9) == style.FACILITY_MAX_RADIUS_PX


@pytest.mark.parametrize(
    ("max_count", "expected"),
    [(0, [1]), (1, [1]), (7, [1, 2, 5]), (30, [1, 2, 5, 10, 20]), (1000, [1, 5, 20, 100, 500])],
)
def test_choropleth_breaks_are_nice_and_fit_the_palette(max_count, expected):
    breaks = style.choropleth_breaks(max_count)
    assert breaks == expected
    assert len(breaks) <= len(style.CHOROPLETH_COLORS)


def test_script_json_cannot_close_its_script_element():
    text = mapdata.script_json({"a": "</script><script>alert(1)</script>", "b": "\u2028&"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "\u2028&"}


def test_write_map_writes_utf8_and_returns_size(tmp_path):
    events = sample_events(4)
    events.at[0, "description"] = "Кириши НПЗ"
    out = tmp_path / "m.html"
    size = write_map(build_map(events), out)
    assert out.stat().st_size == size
    assert "Кириши НПЗ" in out.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.tmp"))


def test_projected_point_geometries_are_reprojected_to_degrees():
    events = sample_events(4)
    projected = gpd.GeoDataFrame(events.drop(columns=["latitude", "longitude"]), geometry=events.geometry).to_crs(3857)
    payload = _dataset(render_html(build_map(projected)))
    assert _decoded(payload["cols"]["lat"]) == pytest.approx(list(events["latitude"]), abs=1e-5)


def test_large_payloads_are_packed_and_unpack_to_the_same_data(monkeypatch):
    events = sample_events(40)
    plain_html = render_html(build_map(events, facilities=sample_facilities(), compress=False))
    plain = _embedded(plain_html)
    assert "gzip" not in plain
    monkeypatch.setattr(mapdata, "PACK_THRESHOLD_BYTES", len(mapdata.payload_json(plain)) - 1)
    fmap = build_map(events, facilities=sample_facilities())  # auto: just over the threshold
    html = render_html(fmap)
    packed = _embedded(html)
    assert fmap.summary["compressed"] is True
    assert packed["n"] == 40 and packed["what"] == "events"
    assert mapdata.unpack_payload(packed) == plain
    assert _dataset(html, "facility_data") == _dataset(plain_html, "facility_data")  # small: stays plain
    assert "gzip" not in _embedded(html, "facility_data")
    assert len(html) < len(plain_html)


def test_packed_payload_is_base64_only_and_hides_no_markup():
    events = sample_events()
    html = render_html(build_map(events, title="Packed", compress=True))
    packed = _embedded(html)
    # Base64 has no quote, "<", "&" or backslash: nothing in the data can end the string or the script.
    assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", packed["gzip"])
    assert "__pwned" not in html  # the hostile description is only inside the packed data...
    assert _decoded(mapdata.unpack_payload(packed)["cols"]["desc"])[0] == HOSTILE  # ...where it is intact
    tags = _parse(html)
    assert [t for t, _ in tags.tags].count("script") == 7
    assert not [attrs for _, attrs in tags.tags if any(name.startswith("on") for name in attrs)]


def test_packed_maps_are_deterministic():
    first = render_html(build_map(sample_events(), facilities=sample_facilities(), compress=True))
    second = render_html(build_map(sample_events(), facilities=sample_facilities(), compress=True))
    assert first == second
    assert render_html(build_map(sample_events(), compress=False)) != render_html(
        build_map(sample_events(), compress=True)
    )


def test_small_maps_stay_plain_json():
    fmap = build_map(sample_events())
    assert fmap.summary["compressed"] is False
    assert "gzip" not in _embedded(render_html(fmap))


def test_each_event_knows_its_region_so_the_browser_can_recount_per_filter():
    events = _events_stored_in_sample_regions()
    html = render_html(build_map(events, regions=sample_regions()))
    payload = _dataset(html)
    regions = _decoded(payload["cols"]["rg"])
    assert regions == [0 if lon < 37 else 1 for lon in events["longitude"]]
    assert regions == event_regions(events, sample_regions())
    features = _geojson_features(html)
    assert [f["properties"]["i"] for f in features] == [0, 1, 2]  # events refer to regions by row number
    assert "rg" not in _dataset(render_html(build_map(events)))["cols"]  # no regions, no column


def test_event_stored_without_a_region_has_none():
    events = _events_stored_in_sample_regions().head(2)
    events["admin1"] = [None, "Atlantis"]
    assert event_regions(events, sample_regions()) == [-1, -1]
    assert event_regions(events.head(0), sample_regions()) == []


def test_filters_and_left_out_classes_reach_the_page_as_data():
    html = render_html(
        build_map(
            sample_events(),
            filters=[("--min-confidence", "likely"), ("--where", HOSTILE)],
            left_out={"conf": ["possible", "unverified"]},
        )
    )
    options = json.loads(re.search(r"StrikeDB\.setup\(map_\d+, \{.*?\},\s*(\{.*?\})\);", html, re.S).group(1))
    assert options["filters"] == [["--min-confidence", "likely"], ["--where", HOSTILE]]
    assert options["leftOut"] == {"conf": ["possible", "unverified"]}
    assert "<script>window.__pwned" not in html  # escaped like every other piece of data


def _geojson_features(html: str) -> list[dict]:
    match = re.search(r"StrikeDB\.choropleth\(strike_db_runtime_\d+, (\{.*?\}), \[", html, re.S)
    return json.loads(match.group(1))["features"]
