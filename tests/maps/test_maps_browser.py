"""The map in real headless Chromium, with every network request refused.

Checks what only a browser can: the default map runs without errors and without the network,
every event is on the map once, stacked events are one click or hover away with the strongest
first, one time window (and the toggles and the search box) changes every layer's count, the
URL fragment reopens the same view, the filters are shown, hostile text stays text, and a CDN
map that cannot load its scripts says so. Checks of the default map run on plain JSON data and
on packed (gzip + base64) data, which the page unpacks asynchronously. Screenshots go to
``$STRIKEDB_ARTIFACTS`` (default ``test-artifacts/``, gitignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from maps.render import build_map, write_map
from tests.browser import ARTIFACTS, LoadedPage
from tests.maps._map_samples import (
    HOSTILE,
    HOSTILE_IMG,
    sample_basemap,
    sample_events,
    sample_facilities,
    sample_regions,
    stacked_events,
)

pytestmark = pytest.mark.browser

N_EVENTS = 24


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "packed"])
def offline_map(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("maps") / f"offline-{'packed' if request.param else 'plain'}.html"
    fmap = build_map(
        sample_events(N_EVENTS),
        facilities=sample_facilities(),
        regions=sample_regions(),
        basemap=sample_basemap(),
        offline=True,
        title="Browser test map",
        compress=request.param,
    )
    assert fmap.summary["compressed"] is request.param
    write_map(fmap, path)
    return path


@pytest.fixture
def loaded(browser, offline_map) -> Iterator[LoadedPage]:
    page = LoadedPage(browser, offline_map.as_uri())
    yield page
    page.page.close()


def test_default_map_draws_every_event_offline_without_errors(loaded):
    assert loaded.errors == []
    assert loaded.network == []
    assert loaded.count(".sdb-status") == 0  # the loading message is gone
    assert loaded.count(".sdb-fatal") == 0
    assert loaded.drawn() == N_EVENTS  # every event is in the cluster layer, once
    drawn_markers = loaded.count("path.sdb-event")
    clustered = loaded.js("ctx.layers.events._featureGroup.getLayers().filter(l => l.getChildCount)"
                          ".reduce((s, c) => s + c.getChildCount(), 0)")  # fmt: skip
    assert drawn_markers + clustered == N_EVENTS
    assert loaded.count("path.sdb-facility") == 2
    # The last event's popup links its own source (indices into the source table survive decoding).
    last = loaded.js(f"StrikeDB.eventPopup(ctx, ctx.events, {N_EVENTS - 1})")
    assert f'href="https://example.org/report/{N_EVENTS - 1}"' in last
    assert loaded.count(".leaflet-tile") == 0  # online tiles are an optional layer, off
    assert loaded.counts()["title"] == f"Showing {N_EVENTS} of {N_EVENTS} events, 2024-01-01 to 2024-06-10"
    loaded.screenshot(loaded.page.url.split("#")[0].rsplit("/", 1)[1].removesuffix(".html"))


def test_online_tiles_are_optional_and_the_outlines_stay_when_they_cannot_load(loaded):
    loaded.toggle("OpenStreetMap tiles")
    loaded.page.wait_for_timeout(300)
    assert loaded.count(".leaflet-tile") > 0  # requested...
    assert any("tile.openstreetmap.org" in url for url in loaded.network)  # ...and refused here
    assert loaded.count(".leaflet-tile-loaded") == 0
    assert loaded.count(".leaflet-sdbBasemap-pane path") > 0  # the bundled outlines still draw
    assert "layers=" in loaded.page.evaluate("location.hash") and "tiles" in loaded.page.evaluate("location.hash")
    assert [e for e in loaded.errors if "tile" not in e and "ERR_FAILED" not in e] == []


def test_layer_toggles_and_legend_toggles_drive_every_layer(loaded):
    loaded.toggle("Heat map")
    assert loaded.count("canvas.leaflet-heatmap-layer") == 1
    before = loaded.counts()
    assert before["heat"] == N_EVENTS and before["regions"] == N_EVENTS
    loaded.legend_class("confirmed").click()  # untick confirmed: 6 of 24 events
    loaded.settle()
    after = loaded.counts()
    per_level = N_EVENTS // 4
    assert after["drawn"] == after["heat"] == after["regions"] == after["screen"] == N_EVENTS - per_level
    assert after["title"].startswith(f"Showing {N_EVENTS - per_level} of {N_EVENTS} events")
    assert "confirmed 0 of 6" in after["legend"]
    assert loaded.visible("path.sdb-conf-confirmed") == 0
    loaded.legend_class("refinery").click()  # and refineries: confirmed events are the refinery ones
    loaded.settle()
    assert loaded.counts()["drawn"] == N_EVENTS - per_level  # (i % 4 == 0 is both)
    loaded.legend_class("oil_depot").click()
    loaded.settle()
    assert loaded.counts()["heat"] == N_EVENTS - 2 * per_level
    loaded.toggle("Facilities")
    assert loaded.count("path.sdb-facility") == 0
    assert "Facilities" not in loaded.page.locator(".sdb-legend").inner_text()  # legends follow the layers
    assert loaded.errors == [] and loaded.network == []


def test_a_time_window_changes_every_layers_count(loaded):
    loaded.toggle("Heat map")
    # One event a week from 2024-01-01: the window 2024-01-29 .. 2024-02-25 holds events 4..7.
    loaded.set_window("2024-01-29", "2024-02-25")
    counts = loaded.counts()
    assert counts["drawn"] == counts["heat"] == counts["regions"] == 4
    assert counts["screen"] == 4  # markers and cluster numbers on screen add up to the window
    assert counts["title"] == f"Showing 4 of {N_EVENTS} events, 2024-01-29 to 2024-02-25"
    assert counts["time"] == "4 shown"
    assert sorted(counts["legend"])[:2] == ["confirmed 1 of 6", "likely 1 of 6"]
    assert counts["list"].startswith("4 events in view")
    # The histogram darkens the weeks inside the window: four weekly bars with one event each.
    assert loaded.count(".sdb-bar-in") == 4
    loaded.page.locator(".sdb-time-all").click()
    loaded.settle()
    assert loaded.counts()["drawn"] == N_EVENTS
    assert loaded.errors == [] and loaded.network == []


#: The heat canvas as drawn now, then redrawn by leaflet-heat's own _redraw from [lat, lon, 1] of
#: the events shown: [pixels that differ, pixels with any heat].
_HEAT_AGAINST_LEAFLET_HEAT = """(() => {
    const heat = ctx.layers.heat._heat, canvas = heat._canvas, ix = ctx.index;
    const pixels = () => canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    heat._redraw();
    const ours = pixels();
    heat._latlngs = [];
    for (let i = 0; i < ix.n; i++) if (ix.mask[i]) heat._latlngs.push([ix.lat[i], ix.lon[i], 1]);
    L.HeatLayer.prototype._redraw.call(heat);
    const theirs = pixels();
    let differ = 0, lit = 0;
    for (let k = 3; k < ours.length; k += 4) {
        if (ours[k] || theirs[k]) lit++;
        if (ours[k - 3] !== theirs[k - 3] || ours[k - 2] !== theirs[k - 2] || ours[k] !== theirs[k]) differ++;
    }
    return [differ, lit];
})()"""


@pytest.mark.parametrize("zoom_in", [0, 2], ids=["all", "zoomed-in"])
def test_heat_is_drawn_as_leaflet_heat_draws_it(loaded, zoom_in):
    loaded.toggle("Heat map")
    if zoom_in:  # the first event in the middle, others off screen (they still set the scale)
        loaded.js(f"ctx.map.setView([ctx.index.lat[0], ctx.index.lon[0]], ctx.map.getZoom() + {zoom_in})")
    for window in (None, ("2024-01-29", "2024-03-25")):
        if window:
            loaded.set_window(*window)
        loaded.settle()
        differ, lit = loaded.js(_HEAT_AGAINST_LEAFLET_HEAT)
        assert lit > 1000 and differ == 0
    assert loaded.errors == []


#: For every cluster of the tree: [its count and best rank as drawn, the same recounted from its markers].
_CLUSTER_COUNTS = """(() => {
    const out = [], todo = [ctx.layers.events._topClusterLevel];
    while (todo.length) {
        const cluster = todo.pop();
        todo.push(...cluster._childClusters);
        const ranks = cluster.getAllChildMarkers().filter((m) => m.options.sdbShown).map((m) => m.options.sdbRank);
        out.push([StrikeDB.clusterStats(ctx, cluster), [ranks.length, ranks.length ? Math.min(...ranks) : 99]]);
    }
    return out;
})()"""


def test_every_cluster_counts_what_is_shown_inside_through_window_changes(loaded):
    # Narrow, slide, hide a class, widen, back to all: the counts are kept up to date, not recounted.
    steps = [("2024-01-29", "2024-02-25"), ("2024-02-12", "2024-03-10"), "confirmed", ("2024-01-01", "2024-04-30")]
    for step in [*steps, None]:
        if step is None:
            loaded.page.locator(".sdb-time-all").click()
            loaded.settle()
        elif isinstance(step, str):
            loaded.legend_class(step).click()
            loaded.settle()
        else:
            loaded.set_window(*step)
        clusters = loaded.js(_CLUSTER_COUNTS)
        assert len(clusters) > 3
        assert [drawn for drawn, _ in clusters] == [recounted for _, recounted in clusters], step
    assert loaded.counts()["drawn"] == N_EVENTS - N_EVENTS // 4  # all dates, confirmed still hidden


def test_play_slides_the_window_forward(loaded):
    loaded.set_window("2024-01-01", "2024-01-28")
    loaded.page.locator(".sdb-time-play").click()
    loaded.page.wait_for_function("StrikeDB.current.state.from !== null && StrikeDB.current.state.from > "
                                  "StrikeDB.dayNumber('2024-01-01')", timeout=5000)  # fmt: skip
    loaded.page.locator(".sdb-time-play").click()  # pause
    state = loaded.js("[StrikeDB.isoDay(ctx.state.from), StrikeDB.isoDay(ctx.state.to)]")
    assert state[0] > "2024-01-01" and state[1] > "2024-01-28"
    assert loaded.counts()["drawn"] == 4  # same width, one event a week


def test_search_filters_every_layer_and_the_list_opens_popups(loaded):
    loaded.page.locator(".sdb-search").fill("number 13")
    loaded.page.wait_for_function("StrikeDB.current.state.q === 'number 13'")
    loaded.settle()
    counts = loaded.counts()
    assert counts["drawn"] == 1 and counts["regions"] == 1
    assert counts["list"].startswith("1 event in view")
    loaded.page.locator(".sdb-list-items li").first.click()
    popup = loaded.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Strike number 13" in popup.inner_text()
    assert "event=SDB-0014" in loaded.page.evaluate("location.hash")


def test_popup_shows_hostile_text_as_text(loaded):
    loaded.js("StrikeDB.openEvent(ctx, 0)")
    popup = loaded.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Facility 0 (refinery)" in text and "Admiralty grade B2" in text
    assert HOSTILE.split('"')[0] in text  # the description, shown literally
    assert HOSTILE_IMG in text  # the source title, shown literally
    assert popup.locator("img, script, [onmouseover], [onerror]").count() == 0
    hrefs = popup.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/report/0"]  # the javascript: archive URL is not a link
    popup.locator("a").first.hover()  # an injected onmouseover would fire now
    assert loaded.page.evaluate("window.__pwned") is None
    assert loaded.errors == []
    loaded.page.wait_for_timeout(300)  # popup fade-in
    loaded.screenshot(loaded.page.url.split("#")[0].rsplit("/", 1)[1].removesuffix(".html") + "-popup")


def test_the_url_fragment_reopens_the_same_view(browser, offline_map):
    first = LoadedPage(browser, offline_map.as_uri())
    try:
        first.toggle("Heat map")
        first.set_window("2024-02-01", "2024-04-30")
        first.legend_class("likely").click()
        first.page.locator(".sdb-search").fill("strike")
        first.page.wait_for_function("StrikeDB.current.state.q === 'strike'")
        first.page.locator('.sdb-legend input[name="sdb-colorby"][value="ft"]').check()
        first.js("ctx.map.setView([53, 34.5], 7, {animate: false})")
        first.settle()
        first.js(f"StrikeDB.openEvent(ctx, {first.js('ctx.index.newestFirst.find(i => ctx.index.mask[i])')})")
        first.page.locator(".leaflet-popup-content").wait_for()
        first.still()
        hash_ = first.page.evaluate("location.hash")
        before = first.counts()
        popup = first.page.locator(".leaflet-popup-content").inner_text()
        view = first.js("[ctx.map.getZoom(), ctx.map.getCenter()]")
    finally:
        first.page.close()
    for key in ("v=", "from=2024-02-01", "to=2024-04-30", "hide_conf=likely", "q=strike", "color=ft", "event=SDB-"):
        assert key in hash_
    assert "heat" in hash_.split("layers=")[1]
    second = LoadedPage(browser, offline_map.as_uri() + hash_)
    try:
        second.page.locator(".leaflet-popup-content").wait_for()
        second.settle()
        second.still()
        assert second.counts() == before
        assert second.page.locator(".leaflet-popup-content").inner_text() == popup
        assert second.js("[ctx.map.getZoom(), ctx.map.getCenter()]") == view
        assert second.page.locator(".sdb-search").input_value() == "strike"
        assert second.count("canvas.leaflet-heatmap-layer") == 1
        assert second.page.evaluate("location.hash") == hash_
        assert second.errors == [] and second.network == []
    finally:
        second.page.close()


@pytest.fixture(scope="module")
def stacked_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("maps") / "stacked.html"
    write_map(build_map(stacked_events(), basemap=sample_basemap(), title="Stacked"), path)
    return path


def test_stacked_events_are_one_click_away_strongest_first(browser, stacked_map):
    loaded = LoadedPage(browser, stacked_map.as_uri())
    try:
        loaded.js("ctx.map.setView([59.45, 32.02], 9, {animate: false})")
        loaded.settle()
        cluster = loaded.page.locator(".sdb-cluster")
        assert cluster.count() == 1
        assert "sdb-cluster-confirmed" in cluster.get_attribute("class")  # the colour of the best inside
        assert cluster.inner_text() == "3"
        # Hover: the tooltip lists what is stacked, strongest first.
        cluster.hover()
        tip = loaded.page.locator(".sdb-cluster-tip")
        tip.wait_for()
        lines = tip.locator("li").all_inner_texts()
        assert [line.split()[-1] for line in lines] == ["confirmed", "likely", "possible"]
        # One click fans them out; the first leg is the confirmed fire.
        cluster.click()
        loaded.page.wait_for_function("document.querySelectorAll('path.sdb-event').length === 3")
        spider = loaded.js("ctx.layers.events._spiderfied.getAllChildMarkers().map(m => m.options.sdbRank)")
        assert sorted(spider) == [0, 1, 2]
        first_leg = loaded.js(
            "(() => { const c = ctx.layers.events._spiderfied; const ms = c.getAllChildMarkers();"
            " ms.sort((a, b) => a.options.sdbRank - b.options.sdbRank); return ms[0].options.sdbIndex; })()"
        )
        box = loaded.page.evaluate(
            f"""() => {{
                const m = StrikeDB.current.index.markers[{first_leg}];
                const r = m.getElement().getBoundingClientRect();
                return {{x: r.x + r.width / 2, y: r.y + r.height / 2}};
            }}"""
        )
        loaded.page.mouse.click(box["x"], box["y"])
        popup = loaded.page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "confirmed" in text and "fire" in text and text.count("example.org") == 0
        assert popup.locator(".sdb-sources li").count() == 3
        assert loaded.count("path.sdb-event") == 3  # the click opened the popup and kept the fan
        loaded.page.wait_for_timeout(300)  # popup fade-in
        loaded.screenshot("stacked-fanned-out")
        assert loaded.errors == [] and loaded.network == []
    finally:
        loaded.page.close()


def test_a_spot_with_one_event_left_after_filtering_looks_and_clicks_like_one_marker(browser, stacked_map):
    loaded = LoadedPage(browser, stacked_map.as_uri())
    try:
        loaded.js("ctx.map.setView([59.45, 32.02], 9, {animate: false})")
        loaded.legend_class("likely").click()
        loaded.legend_class("possible").click()
        loaded.settle()
        assert loaded.count(".sdb-cluster") == 0
        one = loaded.page.locator(".sdb-cluster-one")
        assert one.count() == 1  # the stack of three, with only the confirmed event shown
        assert loaded.drawn() == 2  # confirmed at Kirishi + the unverified event, out of view
        assert loaded.counts()["screen"] == 1
        one.click()
        popup = loaded.page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "confirmed" in popup.inner_text() and popup.locator(".sdb-sources li").count() == 3
        assert loaded.errors == []
    finally:
        loaded.page.close()


def test_uncertain_geocodes_are_drawn_as_such(browser, stacked_map):
    loaded = LoadedPage(browser, stacked_map.as_uri())
    try:
        styles = loaded.js(
            "ctx.index.markers.map(m => [ctx.events.get('gp', m.options.sdbIndex), m.options.dashArray])"
        )
        assert {gp: dash for gp, dash in styles} == {"exact": None, "near_town": "3 2", "region": "3 2"}
        near = loaded.js("ctx.index.markers.findIndex(m => ctx.events.get('gp', m.options.sdbIndex) === 'near_town')")
        loaded.js(f"StrikeDB.openEvent(ctx, {near})")
        loaded.page.locator(".leaflet-popup-content").wait_for()
        assert "within ~10 km" in loaded.page.locator(".leaflet-popup-content").inner_text()
        assert loaded.count("path.sdb-uncertainty") == 1  # the radius of the uncertainty
        assert loaded.js("ctx.uncertainty.getRadius()") == 10_000
        assert "near a town" in loaded.page.locator(".sdb-legend").inner_text()
    finally:
        loaded.page.close()


def test_filters_of_the_selection_are_shown_and_left_out_classes_greyed(browser, tmp_path):
    path = tmp_path / "filtered.html"
    events = sample_events(N_EVENTS)
    events = events[events["confidence"].isin(["confirmed", "likely"])]
    write_map(
        build_map(
            events,
            filters=[("--min-confidence", "likely"), ("--country", "RU, UA"), ("--where", "effect = 'fire'")],
            left_out={"conf": ["possible", "unverified"]},
        ),
        path,
    )
    loaded = LoadedPage(browser, path.as_uri())
    try:
        shown = loaded.page.locator(".sdb-filters").inner_text()
        assert "Made with:" in shown and "--min-confidence likely" in shown and "--where effect = 'fire'" in shown
        for level in ("possible", "unverified"):
            item = loaded.page.locator(f'.sdb-legend li.sdb-class[data-value="{level}"]')
            assert "sdb-left-out" in item.get_attribute("class") and "not selected" in item.inner_text()
            assert item.locator("input").is_disabled()
        assert "confirmed 6" in loaded.counts()["legend"]
        assert loaded.errors == []
    finally:
        loaded.page.close()


#: Holds back every ``Response.json()`` (how the runtime reads unpacked data) until the test calls
#: ``window.__release()``: the page then stays in its "still unpacking" state as long as needed.
HOLD_UNPACKING = """
    window.__held = new Promise((resolve) => { window.__release = resolve; });
    const json = Response.prototype.json;
    Response.prototype.json = function () { return window.__held.then(() => json.call(this)); };
"""


def test_packed_map_shows_loading_and_honours_toggles_made_before_the_data_is_ready(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), facilities=sample_facilities(), compress=True), path)
    loaded = LoadedPage(browser, path.as_uri(), init_script=HOLD_UNPACKING, wait_ready=False)
    try:
        page = loaded.page
        assert page.locator(".sdb-status").inner_text() == f"Loading {N_EVENTS} events and 2 facilities\u2026"
        assert page.evaluate("StrikeDB.current.isReady") is False
        assert loaded.drawn() == 0
        loaded.toggle("Heat map")  # on, before any data
        loaded.toggle("Facilities")  # off
        page.evaluate("window.__release()")
        loaded.wait_ready()
        assert loaded.drawn() == N_EVENTS
        assert loaded.count("path.sdb-facility") == 0
        assert loaded.count("canvas.leaflet-heatmap-layer") == 1 and loaded.counts()["heat"] == N_EVENTS
        assert loaded.count(".sdb-status") == 0
        assert loaded.errors == [] and loaded.network == []
    finally:
        page.close()


#: Holds back the SECOND ``Response.json()`` of the page (on a map of events only: the events'
#: details, unpacked after the first draw) until the test calls ``window.__releaseDetails()``.
HOLD_DETAILS = """
    window.__heldDetails = new Promise((resolve) => { window.__releaseDetails = resolve; });
    const json = Response.prototype.json;
    let calls = 0;
    Response.prototype.json = function () {
        calls += 1;
        return calls === 2 ? window.__heldDetails.then(() => json.call(this)) : json.call(this);
    };
"""


def test_packed_map_draws_before_the_details_and_links_popups_and_search_wait_for_them(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), compress=True), path)
    linked = LoadedPage(browser, f"{path.as_uri()}#event=SDB-0006", init_script=HOLD_DETAILS, wait_ready=False)
    try:
        page = linked.page
        page.wait_for_function("StrikeDB.current.isDrawn")
        assert linked.drawn() == N_EVENTS  # drawn from the first pack alone...
        assert page.evaluate("StrikeDB.current.isReady") is False  # ...the details still packed
        assert page.evaluate("StrikeDB.current.events.get('desc', 5)") is None
        page.wait_for_timeout(200)
        assert linked.count(".leaflet-popup") == 0  # the linked event waits for the ids: no empty popup
        assert page.locator(".sdb-status").inner_text() == "Loading event details\u2026"
        page.evaluate("window.__releaseDetails()")
        linked.wait_ready()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "Strike number 5" in popup.inner_text()  # the full popup once they are here
        assert 'href="https://example.org/report/5"' in popup.inner_html()
        assert linked.count(".sdb-status") == 0
        assert linked.errors == [] and linked.network == []
    finally:
        linked.page.close()
    searched = LoadedPage(browser, path.as_uri(), init_script=HOLD_DETAILS, wait_ready=False)
    try:
        page = searched.page
        page.wait_for_function("StrikeDB.current.isDrawn")
        page.locator(".sdb-search").fill("number 13")
        page.wait_for_function("StrikeDB.current.state.q === 'number 13'")
        page.wait_for_timeout(200)
        assert searched.drawn() == N_EVENTS  # the search waits for the descriptions...
        page.evaluate("window.__releaseDetails()")
        searched.wait_ready()
        searched.settle()
        assert searched.counts()["drawn"] == 1  # ...and runs once they are here
        assert searched.errors == []
    finally:
        searched.page.close()


def test_packed_map_without_native_base64_decoder_uses_atob(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), compress=True), path)
    loaded = LoadedPage(browser, path.as_uri(), init_script="delete Uint8Array.fromBase64;")
    try:
        assert loaded.page.evaluate("typeof Uint8Array.fromBase64") == "undefined"
        assert loaded.drawn() == N_EVENTS
        assert loaded.errors == [] and loaded.network == []
    finally:
        loaded.page.close()


def test_browser_without_decompression_says_so_instead_of_drawing_nothing_silently(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), compress=True), path)
    loaded = LoadedPage(browser, path.as_uri(), init_script="delete window.DecompressionStream;", wait_ready=False)
    try:
        status = loaded.page.locator(".sdb-status")
        status.filter(has_text="Could not load").wait_for()
        assert "cannot unpack the map data" in status.inner_text()
        assert loaded.drawn() == 0
    finally:
        loaded.page.close()


def test_cdn_map_without_network_shows_a_message_not_a_blank_page(browser, tmp_path):
    path = tmp_path / "cdn.html"
    write_map(build_map(sample_events(N_EVENTS), offline=False), path)
    page = browser.new_page()
    try:
        refused = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else (refused.append(
            r.request.url), r.abort()))  # fmt: skip
        page.goto(path.as_uri(), wait_until="load")
        message = page.locator(".sdb-fatal")
        message.wait_for()
        text = message.inner_text()
        assert "cannot be shown" in text and "cdn.jsdelivr.net/npm/leaflet@1.9.3" in text and "without --cdn" in text
        assert any("leaflet.js" in url for url in refused)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "cdn-no-network.png"))
    finally:
        page.close()


def test_cdn_map_refuses_a_changed_script_and_says_so(browser, tmp_path):
    """The integrity hashes are enforced: a CDN answering with other bytes does not run."""
    from maps.offline import asset

    path = tmp_path / "cdn.html"
    write_map(build_map(sample_events(N_EVENTS), offline=False), path)
    page = browser.new_page()
    try:

        def serve(route):
            url = route.request.url
            if url.startswith("file:"):
                return route.continue_()
            # A plausible but different copy of leaflet.js (not byte-identical to the npm file).
            body = asset("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js") + "\n// changed"
            route.fulfill(status=200, body=body, headers={"Access-Control-Allow-Origin": "*"},
                          content_type="application/javascript")  # fmt: skip

        page.route("**/*", serve)
        page.goto(path.as_uri(), wait_until="load")
        page.locator(".sdb-fatal").wait_for()
        assert page.evaluate("typeof window.L") == "undefined"
    finally:
        page.close()


def test_demo_map_screenshots(browser, tmp_path):
    """The demo map at its opening view, zoomed on Kirishi, and with a time window: for a human to look at."""
    from events.demo import run_demo

    out = tmp_path / "demo.html"
    report = run_demo(f"sqlite:///{tmp_path / 'demo.db'}", out)
    assert report.map_summary["events"] > 20
    loaded = LoadedPage(browser, out.as_uri(), viewport=(1400, 900))
    try:
        assert loaded.errors == [] and loaded.network == []
        assert loaded.drawn() == report.map_summary["events"]
        loaded.screenshot("demo-opening")
        loaded.js("ctx.map.setView([59.45, 32.02], 11, {animate: false})")
        loaded.settle()
        cluster = loaded.page.locator(".sdb-cluster").first
        cluster.click()  # the Kirishi events fan out, the confirmed one first
        loaded.page.wait_for_timeout(300)
        first = loaded.js(
            "ctx.layers.events._spiderfied.getAllChildMarkers().sort((a, b) => a.options.sdbRank - b.options.sdbRank)"
            "[0].options.sdbIndex"
        )
        loaded.js(f"StrikeDB.openEvent(ctx, {first})")
        loaded.page.locator(".leaflet-popup-content").wait_for()
        assert "confirmed" in loaded.page.locator(".leaflet-popup-content").inner_text()
        loaded.page.wait_for_timeout(300)
        loaded.screenshot("demo-kirishi")
        legs = loaded.js("ctx.layers.events._spiderfied ? ctx.layers.events._spiderfied.getChildCount() : 0")
        assert legs >= 2
        loaded.js("(ctx.map.closePopup(), ctx.layers.events.unspiderfy(), 0)")
        loaded.page.goto(out.as_uri())
        loaded.wait_ready()
        loaded.set_window("2025-06-01", "2025-09-30")
        loaded.toggle("Heat map")
        loaded.settle()
        counts = loaded.counts()
        assert counts["drawn"] < report.map_summary["events"]
        assert counts["drawn"] == counts["heat"]
        loaded.screenshot("demo-window")
    finally:
        loaded.page.close()
