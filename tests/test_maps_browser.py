"""The offline map in real headless Chromium, with every network request refused.

Checks what only a browser can: the scripts run without errors and without the network, the
number of drawn markers equals the events given, layer toggles change what is drawn, and a
popup shows hostile text as text. Every check runs on a map with plain JSON data and on one
with packed (gzip + base64) data, which the page unpacks asynchronously. Screenshots go to
``$STRIKEDB_ARTIFACTS`` (default ``test-artifacts/``, gitignored) for a human to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from maps.render import build_map, write_map
from tests._map_samples import HOSTILE, HOSTILE_IMG, sample_basemap, sample_events, sample_facilities, sample_regions
from tests.conftest import need_chromium, need_playwright

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
N_EVENTS = 24
ARTIFACTS = Path(os.environ.get("STRIKEDB_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = need_chromium()
    sync_api = need_playwright()
    # Playwright gives the browser a fresh temporary profile itself (it refuses --user-data-dir).
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=FLAGS, timeout=30_000)
        yield launched
        launched.close()


class LoadedPage:
    """A page showing the map, recording JS errors and every request that tried the network."""

    def __init__(self, browser, url: str, *, init_script: str | None = None, wait_ready: bool = True) -> None:
        self.errors: list[str] = []
        self.network: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.route("**/*", self._route)
        if init_script:
            self.page.add_init_script(init_script)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function("window.StrikeDB && StrikeDB.current")
        if wait_ready:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the data is unpacked and the shown layers are drawn (StrikeDB.ready)."""
        assert self.page.evaluate("StrikeDB.ready.then((ctx) => ctx.isReady)") is True

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.network.append(url)
            route.abort()

    def count(self, selector: str) -> int:
        return self.page.evaluate("(s) => document.querySelectorAll(s).length", selector)

    def toggle(self, layer_prefix: str) -> None:
        """Click the layer control's checkbox whose label starts with ``layer_prefix``."""
        self.page.hover(".leaflet-control-layers")
        label = self.page.locator(".leaflet-control-layers-overlays label", has_text=layer_prefix)
        label.locator("input").click()


@pytest.fixture
def loaded(browser, offline_map) -> Iterator[LoadedPage]:
    page = LoadedPage(browser, offline_map.as_uri())
    yield page
    page.page.close()


def test_offline_map_draws_every_event_without_errors_or_network(loaded):
    assert loaded.errors == []
    assert loaded.network == []
    assert loaded.count(".sdb-status") == 0  # the loading message is gone
    assert loaded.count("path.sdb-event") == N_EVENTS
    assert loaded.page.evaluate("StrikeDB.current.drawnEvents()") == N_EVENTS
    assert loaded.count("path.sdb-facility") == 2
    # The last event's popup links its own source (indices into the source table survive decoding).
    last = loaded.page.evaluate(
        f"(ctx => StrikeDB.eventPopup(ctx, ctx.eventLayers[0]._data, {N_EVENTS - 1}))(StrikeDB.current)"
    )
    assert f'href="https://example.org/report/{N_EVENTS - 1}"' in last
    assert loaded.count(".leaflet-tile") == 0  # no tile layer: the basemap is the bundled outline
    assert loaded.page.locator(".sdb-legend").inner_text().count("confirmed") >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    loaded.page.screenshot(path=str(ARTIFACTS / f"{Path(loaded.page.url).stem}.png"))


def test_layer_toggles_change_what_is_drawn(loaded):
    per_level = N_EVENTS // 4
    loaded.toggle("Events: confirmed")
    assert loaded.count("path.sdb-event") == N_EVENTS - per_level
    assert loaded.count("path.sdb-conf-confirmed") == 0
    loaded.toggle("By type: refinery")
    assert loaded.count("path.sdb-ft-refinery") == per_level
    loaded.toggle("Facilities")
    assert loaded.count("path.sdb-facility") == 0
    loaded.toggle("Heat map")
    assert loaded.count("canvas.leaflet-heatmap-layer") == 1
    loaded.toggle("Time view")
    assert loaded.count(".sdb-time-slider") == 1
    assert loaded.count("path.sdb-time") == N_EVENTS  # starts at the last date: everything
    # Move the slider to the 5th event's date (one event a week): five strikes so far.
    day = loaded.page.evaluate("StrikeDB.current.timeLayer.minDay() + 4 * 7")
    loaded.page.locator(".sdb-time-slider").fill(str(day))
    assert loaded.count("path.sdb-time") == 5
    assert "5 strikes" in loaded.page.locator(".sdb-time-label").inner_text()
    loaded.toggle("Time view")
    assert loaded.count(".sdb-time-slider") == 0 and loaded.count("path.sdb-time") == 0
    assert loaded.errors == [] and loaded.network == []


def test_popup_shows_hostile_text_as_text(loaded):
    box = loaded.page.evaluate(
        """() => {
            for (const layer of StrikeDB.current.eventLayers) {
                for (const m of layer.getLayers()) {
                    if (m.options.sdbIndex === 0) {
                        const r = m.getElement().getBoundingClientRect();
                        return {x: r.x + r.width / 2, y: r.y + r.height / 2};
                    }
                }
            }
        }"""
    )
    loaded.page.mouse.click(box["x"], box["y"])
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    loaded.page.screenshot(path=str(ARTIFACTS / f"{Path(loaded.page.url).stem}-popup.png"))


#: Holds back every ``Response.json()`` (how the runtime reads unpacked data) until the test calls
#: ``window.__release()``: the page then stays in its "still unpacking" state as long as needed.
HOLD_UNPACKING = """
    window.__held = new Promise((resolve) => { window.__release = resolve; });
    const json = Response.prototype.json;
    Response.prototype.json = function () { return window.__held.then(() => json.call(this)); };
"""


def test_packed_map_shows_loading_and_honours_toggles_made_before_the_data_is_ready(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), facilities=sample_facilities(), offline=True, compress=True), path)
    loaded = LoadedPage(browser, path.as_uri(), init_script=HOLD_UNPACKING, wait_ready=False)
    try:
        page = loaded.page
        assert page.locator(".sdb-status").inner_text() == f"Loading {N_EVENTS} events and 2 facilities\u2026"
        assert page.evaluate("StrikeDB.current.isReady") is False
        assert page.evaluate("StrikeDB.current.drawnEvents()") == 0
        loaded.toggle("Events: confirmed")  # off, before any marker exists
        loaded.toggle("Time view")  # on: its slider can only appear with the data
        loaded.toggle("Heat map")
        assert loaded.count(".sdb-time-slider") == 0
        page.evaluate("window.__release()")
        loaded.wait_ready()
        per_level = N_EVENTS // 4
        assert page.evaluate("StrikeDB.current.drawnEvents()") == N_EVENTS - per_level
        assert loaded.count("path.sdb-event.sdb-conf-confirmed") == 0
        assert loaded.count("path.sdb-facility") == 2
        assert loaded.count(".sdb-time-slider") == 1 and loaded.count("path.sdb-time") == N_EVENTS
        assert loaded.count("canvas.leaflet-heatmap-layer") == 1
        assert loaded.count(".sdb-status") == 0
        assert loaded.errors == [] and loaded.network == []
    finally:
        page.close()


def test_packed_map_without_native_base64_decoder_uses_atob(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), offline=True, compress=True), path)
    loaded = LoadedPage(browser, path.as_uri(), init_script="delete Uint8Array.fromBase64;")
    try:
        assert loaded.page.evaluate("typeof Uint8Array.fromBase64") == "undefined"
        assert loaded.page.evaluate("StrikeDB.current.drawnEvents()") == N_EVENTS
        assert loaded.errors == [] and loaded.network == []
    finally:
        loaded.page.close()


def test_browser_without_decompression_says_so_instead_of_drawing_nothing_silently(browser, tmp_path):
    path = tmp_path / "packed.html"
    write_map(build_map(sample_events(N_EVENTS), offline=True, compress=True), path)
    loaded = LoadedPage(browser, path.as_uri(), init_script="delete window.DecompressionStream;", wait_ready=False)
    try:
        status = loaded.page.locator(".sdb-status")
        status.filter(has_text="Could not load").wait_for()
        assert "cannot unpack the map data" in status.inner_text()
        assert loaded.page.evaluate("StrikeDB.current.drawnEvents()") == 0
    finally:
        loaded.page.close()
