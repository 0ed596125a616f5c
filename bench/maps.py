"""Benchmark: HTML size and build time of strike maps, against folium's one-object-per-event way.

Run by hand (not in the test suite)::

    python bench/maps.py            # 10k, 50k, 100k events; baselines on 2k
    python bench/maps.py --browser  # also load the 100k offline maps in headless Chromium
    python bench/maps.py --skip-sizes --interaction 100000,1000000
        # page open, time-window changes and zoom steps in Chromium, against folium's own
        # MarkerCluster and FastMarkerCluster maps of the same points (baselines up to 100k)

Prints a Markdown table for ``docs/benchmarks.md`` (section ``## Maps``). Numbers are per
10,000 events so sizes of different N compare directly; the baselines (folium ``Marker`` and
``CircleMarker`` objects in a FeatureGroup, each with an HTML popup) are measured in the same
run on a smaller N because they grow linearly and take minutes at 100k. Each strikedb size is
built with the data as plain JSON (``compress=False``, how maps were before packing) and with
the default (packed gzip + base64 above 200 KB of JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events import vocab
from maps.offline import inline_header
from maps.render import MAX_ZOOM, build_map, render_html

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def synthetic_events(n: int, seed: int = 7, notes: list[str] | None = None) -> gpd.GeoDataFrame:
    """``n`` plausible events: 300 facilities in western Russia/Ukraine, one or two sources each.

    Descriptions are a templated sentence, or real free text cycled from ``notes`` (made unique by
    the event number): templated text compresses far better than real reports do.
    """
    rng = random.Random(seed)
    facilities = [
        (f"Facility {k}", rng.choice(vocab.FACILITY_TYPES), 44 + rng.random() * 16, 30 + rng.random() * 20)
        for k in range(300)
    ]
    rows = []
    start = dt.date(2022, 2, 24)
    for i in range(n):
        name, ftype, lat, lon = rng.choice(facilities)
        date = start + dt.timedelta(days=rng.randrange(1400))
        sources = [
            {"url": f"https://news.example.org/{date.isoformat()}/story-{i}-{j}", "publisher": rng.choice(
                ["Reuters", "Kyiv Independent", "Meduza", "ASTRA", "RBC-Ukraine"]), "title": f"Drones hit {name}",
             "published_date": date, "archived_url": f"https://web.archive.org/web/2024/{i}-{j}",
             "source_type": "media", "claimed_by": None}
            for j in range(1 + (i % 2))
        ]  # fmt: skip
        rows.append(
            {
                "public_id": f"SDB-{i:012X}",
                "event_date": date,
                "date_precision": "day",
                "latitude": lat + rng.gauss(0, 0.01),
                "longitude": lon + rng.gauss(0, 0.01),
                "geo_precision": "exact",
                "country": "RU" if lon < 40 else "UA",
                "facility_name": name,
                "facility_type": ftype,
                "attack_type": rng.choice(vocab.ATTACK_TYPES),
                "effect": rng.choice(vocab.EFFECTS),
                "claim_status": "reported",
                "admiralty_grade": rng.choice(["B2", "C3", "F6"]),
                "confidence": rng.choice(vocab.CONFIDENCE_LEVELS),
                "description": (
                    f"{notes[i % len(notes)]} (event {i})"
                    if notes
                    else f"Drone attack reported at {name}; fire at a processing unit, event {i}."
                ),
                "sources": sources,
            }
        )
    return gpd.GeoDataFrame(pd.DataFrame(rows))


def _baseline_popup(row: pd.Series) -> str:
    links = "".join(f'<li><a href="{escape(s["url"])}">{escape(s["publisher"])}</a></li>' for s in row["sources"])
    head = f"<b>{escape(row['facility_name'])}</b><br>{row['event_date']}"
    return f"{head}<br>{escape(row['description'])}<ul>{links}</ul>"


def baseline(events: gpd.GeoDataFrame, kind: str) -> tuple[float, int]:
    """Build + render folium's usual map: one Marker/CircleMarker object with a popup per event."""
    started = time.perf_counter()
    fmap = folium.Map(location=(50, 37), zoom_start=5, tiles=None)
    group = folium.FeatureGroup(name="events").add_to(fmap)
    for _, row in events.iterrows():
        popup = folium.Popup(_baseline_popup(row), max_width=350)
        if kind == "Marker":
            folium.Marker((row["latitude"], row["longitude"]), popup=popup).add_to(group)
        else:
            folium.CircleMarker((row["latitude"], row["longitude"]), radius=6, popup=popup).add_to(group)
    html = fmap.get_root().render()
    return time.perf_counter() - started, len(html.encode())


def ours(events: gpd.GeoDataFrame, *, offline: bool, compress: bool | None) -> tuple[float, int, str]:
    started = time.perf_counter()
    html = render_html(build_map(events, offline=offline, compress=compress))
    return time.perf_counter() - started, len(html.encode()), html


def browser_load(html: str, n: int) -> float:
    """Seconds from navigation until all ``n`` markers are on the map (canvas renderer), data unpacked."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path = Path(tmp) / "map.html"
        path.write_text(html, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load", timeout=300_000)
        page.wait_for_function(
            f"window.StrikeDB && StrikeDB.current && StrikeDB.current.isReady"
            f" && StrikeDB.current.drawnEvents() === {n}",
            timeout=300_000,
            polling=50,
        )
        elapsed = time.perf_counter() - started
        browser.close()
    return elapsed


class _OfflineFoliumMap(folium.Map):
    """folium's own map with every asset inlined (offline, like ours, so both open with no network)."""

    def render(self, **kwargs):
        super().render(**kwargs)
        inline_header(self.get_root())


def folium_cluster_html(events: gpd.GeoDataFrame, kind: str, max_zoom: int = MAX_ZOOM) -> tuple[float, str]:
    """folium's ``MarkerCluster`` (one ``Marker`` + popup each) or ``FastMarkerCluster`` map of the points.

    ``max_zoom`` defaults to our maps' range: markercluster builds its tree for every level of it.
    """
    from folium.plugins import FastMarkerCluster, MarkerCluster

    started = time.perf_counter()
    fmap = _OfflineFoliumMap(location=(50, 37), zoom_start=5, tiles=None)
    fmap.options["max_zoom"] = max_zoom
    if kind == "MarkerCluster":
        cluster = MarkerCluster(name="events").add_to(fmap)
        for _, row in events.iterrows():
            popup = folium.Popup(_baseline_popup(row), max_width=350)
            folium.Marker((row["latitude"], row["longitude"]), popup=popup).add_to(cluster)
    else:
        FastMarkerCluster(list(zip(events["latitude"], events["longitude"], strict=True)), name="events").add_to(fmap)
    html = fmap.get_root().render()
    return time.perf_counter() - started, html


#: Window changes measured on our map (days relative to the first event's date).
WINDOW_CASES = [
    ("90-day window from all dates", (0, 89)),
    ("slide 7 days (a play step)", (7, 96)),
    ("slide 7 days again", (14, 103)),
    ("jump to one month a year later", (365, 394)),
    ("widen to a year", (365, 729)),
    ("back to all dates", (None, None)),
]

_MEASURE_OURS = """async ([cases, heat]) => {
    const ctx = StrikeDB.current, ix = ctx.index, out = [];
    if (heat) { ctx.map.addLayer(ctx.layers.heat); await StrikeDB.whenDrawn(ctx); }
    for (const [label, span] of cases) {
        const from = span[0] === null ? null : ix.minDay + span[0];
        const to = span[1] === null ? null : ix.minDay + span[1];
        const t = performance.now();
        await StrikeDB.setWindow(ctx, from, to);
        out.push([label, performance.now() - t, ctx.drawnEvents()]);
    }
    if (heat) ctx.map.removeLayer(ctx.layers.heat);
    return out;
}"""

_MEASURE_ZOOM = """async ([mapVar]) => {
    const map = mapVar ? window[mapVar] : StrikeDB.current.map, out = [];
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    map.setView([50, 40], 5, {animate: false});
    await frame();
    for (const z of [6, 7, 8, 9, 8, 7, 6, 5]) {
        const t = performance.now();
        map.setZoom(z, {animate: false});
        await frame();
        out.push([z, performance.now() - t]);
    }
    return out;
}"""


def browser_interaction(html: str, n: int, *, ours: bool, timeout_s: float = 600) -> dict:
    """Open ``html`` in Chromium (network refused): seconds to all drawn, window changes, zoom steps (ms)."""
    from playwright.sync_api import sync_playwright

    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path = Path(tmp) / "map.html"
        path.write_text(html, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        started = time.perf_counter()
        try:
            page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
            if ours:
                # Drawn: every event in the cluster layer, from the data the layers draw from; the
                # details (popups, search) are unpacked after that and timed apart (details_s).
                done = (
                    "window.StrikeDB && StrikeDB.current && StrikeDB.current.isDrawn"
                    f" && StrikeDB.current.drawnEvents() === {n}"
                )
            else:
                done = (
                    "(() => { const id = document.querySelector('.folium-map').id, map = window[id];"
                    " if (!map) return false;"
                    " const c = Object.values(map._layers).find((l) => l instanceof L.MarkerClusterGroup);"
                    f" return c && c.getLayers().length === {n}; }})()"
                )
            page.wait_for_function(done, timeout=timeout_s * 1000, polling=50)
            page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            result["open_s"] = time.perf_counter() - started
            if ours:
                # The page's own clock (ms since navigation) at the first draw and once the details
                # are unpacked: polling from here cannot see the first while the page is busy with
                # the second, right after it.
                page.wait_for_function("StrikeDB.current.isReady", timeout=timeout_s * 1000, polling=20)
                result["drawn_s"], result["details_s"] = (
                    v / 1000 for v in page.evaluate("[StrikeDB.current.drawnAt, StrikeDB.current.readyAt]")
                )
            map_var = None if ours else page.evaluate("document.querySelector('.folium-map').id")
            # A second of idle time, as a user would leave before the first click, so the browser's
            # clean-up after loading (garbage collection of the unpacked data) is not billed to it.
            page.wait_for_timeout(1000)
            if ours:
                result["window"] = page.evaluate(_MEASURE_OURS, [WINDOW_CASES, False])
                result["window_heat"] = page.evaluate(_MEASURE_OURS, [WINDOW_CASES, True])
            result["zoom"] = page.evaluate(_MEASURE_ZOOM, [map_var])
            result["heap_mb"] = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null")
        except Exception as exc:  # a timeout or a crash is a result too at this scale
            result["failed"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            result["open_s"] = time.perf_counter() - started
        result["errors"] = errors[:3]
        browser.close()
    return result


def interaction_report(sizes: list[int], baseline_max: int) -> None:
    """Print the interaction table (Markdown) for ``docs/benchmarks.md``."""
    from events import geo

    regions = geo.admin1_regions()
    regions = regions[regions["country"].isin(["RU", "UA"])].reset_index(drop=True)
    print("| map | events | build s | HTML MB | Chromium open to all drawn s | window changes ms | zoom steps ms |")
    print("|---|---:|---:|---:|---:|---|---|")
    for n in sizes:
        events = synthetic_events(n)
        started = time.perf_counter()
        html = render_html(build_map(events, regions=regions))
        build_s = time.perf_counter() - started
        maps = [("strikedb (offline, packed, regions)", build_s, html, True)]
        del html
        started = time.perf_counter()
        html = render_html(build_map(events))
        maps.append(
            ("strikedb (offline, packed, events only, like the baselines)", time.perf_counter() - started, html, True)
        )
        del html
        if n <= baseline_max:
            # FastMarkerCluster also with the deeper zoom range our maps had before (17), for scale.
            for kind, max_zoom in (
                ("FastMarkerCluster", MAX_ZOOM),
                ("FastMarkerCluster", 17),
                ("MarkerCluster", MAX_ZOOM),
            ):
                seconds, baseline_html = folium_cluster_html(events, kind, max_zoom)
                maps.append((f"folium {kind} (offline, max zoom {max_zoom})", seconds, baseline_html, False))
        for name, seconds, page_html, ours_flag in maps:
            measured = browser_interaction(page_html, n, ours=ours_flag)
            size = len(page_html.encode()) / 1e6
            window = "; ".join(f"{label}: {ms:.0f}" for label, ms, _ in measured.get("window", []))
            if measured.get("window_heat"):
                window += " | with heat on: " + "; ".join(f"{ms:.0f}" for _, ms, _ in measured["window_heat"])
            zoom = ", ".join(f"{z}: {ms:.0f}" for z, ms in measured.get("zoom", []))
            opened = f"{measured['open_s']:.1f}" + (f" ({measured['failed']})" if "failed" in measured else "")
            if "details_s" in measured:
                opened += f" (in the page: drawn {measured['drawn_s']:.1f}, details {measured['details_s']:.1f})"
            print(
                f"| {name} | {n:,} | {seconds:.1f} | {size:.1f} | {opened} | {window or '-'} | {zoom or '-'} |",
                flush=True,
            )
            if measured.get("heap_mb"):
                print(
                    f"<!-- {name} {n}: JS heap {measured['heap_mb']:.0f} MB; errors {measured['errors']} -->",
                    flush=True,
                )
        del maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--baseline-n", type=int, default=2000)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--skip-sizes", action="store_true", help="skip the size table")
    parser.add_argument(
        "--interaction",
        default="",
        help="comma-separated event counts: open/window/zoom timings in Chromium against folium's clusters",
    )
    parser.add_argument("--baseline-max", type=int, default=100_000, help="largest N for the folium cluster maps")
    parser.add_argument(
        "--notes",
        type=Path,
        help="CSV with a 'notes' column (e.g. the ACLED sample): also build the largest map with real "
        "free text as descriptions, which compresses less than the templated sentence",
    )
    args = parser.parse_args()
    if args.interaction:
        interaction_report([int(v) for v in args.interaction.split(",")], args.baseline_max)
    if args.skip_sizes:
        return

    rows = []
    small = synthetic_events(args.baseline_n)
    for kind in ("Marker", "CircleMarker"):
        seconds, size = baseline(small, kind)
        rows.append((f"folium {kind} per event + popup (baseline)", args.baseline_n, seconds, size, None))
    seconds, size, _ = ours(small, offline=False, compress=None)
    rows.append(("strikedb build_map (packed)", args.baseline_n, seconds, size, None))
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        events = synthetic_events(n)
        for offline in (False, True):
            for compress in (False, None):
                seconds, size, html = ours(events, offline=offline, compress=compress)
                load = browser_load(html, n) if args.browser and offline and n == max(sizes) else None
                form = "plain JSON" if compress is False else "packed"
                name = f"strikedb build_map{' --offline' if offline else ''} ({form})"
                rows.append((name, n, seconds, size, load))
                del html

    if args.notes:
        notes = [str(v) for v in pd.read_csv(args.notes)["notes"].dropna()]
        n = max(sizes)
        events = synthetic_events(n, notes=notes)
        for compress in (False, None):
            seconds, size, html = ours(events, offline=True, compress=compress)
            load = browser_load(html, n) if args.browser else None
            form = "plain JSON" if compress is False else "packed"
            rows.append((f"strikedb build_map --offline ({form}), real notes as descriptions", n, seconds, size, load))
            del html

    base_s = rows[1][2] / rows[1][1] * 10_000  # CircleMarker baseline, per 10k
    base_mb = rows[1][3] / rows[1][1] * 10_000 / 1e6
    print("| method | events | build+render s | s per 10k | HTML MB | MB per 10k | vs CircleMarker (time, size) | "
          "Chromium load to all drawn |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, seconds, size, load in rows:
        per_s, per_mb = seconds / n * 10_000, size / n * 10_000 / 1e6
        print(
            f"| {name} | {n:,} | {seconds:.2f} | {per_s:.2f} | {size / 1e6:.1f} | {per_mb:.2f} | "
            f"{per_s / base_s:.3f}x, {per_mb / base_mb:.2f}x | {f'{load:.1f} s' if load else '-'} |"
        )


if __name__ == "__main__":
    main()
