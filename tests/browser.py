"""A map page in headless Chromium for the browser tests: the launch flags and a page recording errors.

The ``browser`` fixture (tests/conftest.py) launches Chromium with :data:`FLAGS`; tests open the map in
a :class:`LoadedPage`. Screenshots go to ``$STRIKEDB_ARTIFACTS`` (default ``test-artifacts/``, gitignored).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

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
ARTIFACTS = Path(os.environ.get("STRIKEDB_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


class LoadedPage:
    """A page showing the map, recording JS errors and every request that tried the network."""

    def __init__(
        self,
        browser,
        url: str,
        *,
        init_script: str | None = None,
        wait_ready: bool = True,
        viewport: tuple[int, int] = (1280, 860),
    ) -> None:
        self.errors: list[str] = []
        self.network: list[str] = []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
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

    def visible(self, selector: str) -> int:
        """Elements matching ``selector`` that are displayed (filtered-out markers are hidden, not removed)."""
        return self.page.evaluate(
            "(s) => Array.from(document.querySelectorAll(s)).filter((e) => e.style.display !== 'none').length",
            selector,
        )

    def js(self, expression: str):
        """Evaluate ``expression`` with ``ctx`` bound to the map's runtime context."""
        return self.page.evaluate(f"(ctx => ({expression}))(StrikeDB.current)")

    def drawn(self) -> int:
        return self.js("ctx.drawnEvents()")

    def settle(self) -> None:
        """Wait until the layers have drawn what the last change asked for."""
        self.page.evaluate("StrikeDB.whenDrawn(StrikeDB.current).then(() => true)")

    def still(self, timeout_s: float = 15.0) -> None:
        """Wait until the map has stopped moving and the URL fragment says where it is.

        An opened popup pans the map to fit (Leaflet's auto-pan, animated), and the fragment is
        written 60 ms after each move ends: on a loaded machine a fixed wait can read the view
        before the pan ends or the fragment before it is written.
        """
        probe = (
            "[ctx.map.getZoom(), ctx.map.getCenter(), !!(ctx.map._panAnim && ctx.map._panAnim._inProgress),"
            " location.hash === StrikeDB.stateHash(ctx)]"
        )
        deadline = time.monotonic() + timeout_s
        last = None
        while True:
            now = self.js(probe)
            if now == last and not now[2] and now[3]:
                return
            assert time.monotonic() < deadline, f"the map did not come to rest: {now}"
            last = now
            self.page.wait_for_timeout(150)

    def counts(self) -> dict:
        """What every part of the map says is shown now."""
        return self.js(
            """{
                title: document.querySelector('.sdb-shown').textContent,
                drawn: ctx.drawnEvents(),
                heat: ctx.layers.heat._count === undefined ? null : ctx.layers.heat._count,
                regions: ctx.layers.regions ? ctx.layers.regions.sdbTotal : null,
                legend: Array.from(document.querySelectorAll('.sdb-legend li.sdb-class'))
                    .map(li => li.dataset.value + ' ' + li.querySelector('.sdb-count').textContent),
                list: document.querySelector('.sdb-list-head').textContent,
                time: document.querySelector('.sdb-time-label').textContent,
                screen: Array.from(document.querySelectorAll('path.sdb-event'))
                    .filter((e) => e.style.display !== 'none').length
                    + Array.from(document.querySelectorAll('.sdb-cluster'))
                    .reduce((sum, c) => sum + Number(c.textContent.replace(/,/g, '')), 0)
                    + document.querySelectorAll('.sdb-cluster-one').length,
            }"""
        )

    def toggle(self, layer_prefix: str) -> None:
        """Click the layer control's checkbox whose label starts with ``layer_prefix``."""
        self.page.hover(".leaflet-control-layers")
        label = self.page.locator(".leaflet-control-layers-overlays label", has_text=layer_prefix)
        label.locator("input").click()
        self.page.mouse.move(640, 430)  # let the control collapse again

    def legend_class(self, value: str):
        return self.page.locator(f'.sdb-legend li.sdb-class[data-value="{value}"] input')

    def set_window(self, start: str, end: str) -> None:
        """Type a window into the date fields, as a user would."""
        self.page.locator(".sdb-time-from").fill(start)
        self.page.locator(".sdb-time-from").dispatch_event("change")
        self.page.locator(".sdb-time-to").fill(end)
        self.page.locator(".sdb-time-to").dispatch_event("change")
        self.settle()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
