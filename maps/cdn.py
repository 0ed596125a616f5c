"""The ``--cdn`` variant of a map: scripts and styles linked from a CDN at pinned versions, with
Subresource Integrity hashes, plus a visible message when they cannot load.

The default map inlines everything (:mod:`maps.offline`) and needs no network; this smaller variant
trades that for a network dependency. Every link is pinned to an exact version and carries the
SHA-384 of the exact file the CDN serves, so a changed or tampered file is refused by the browser
instead of run. The hashes of the npm files are of the files inside the npm packages (jsDelivr's
``/npm/`` path serves those bytes unchanged); ``scripts/cdn_hashes.py`` recomputes them from the
registry. The heat-map plugin is folium's own copy, served from folium's git tag of the installed
version, so its hash is computed from the installed file.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from html import escape
from importlib.resources import files

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from maps.errors import OfflineAssetError

#: folium's link -> (pinned CDN URL, "sha384-..." of the file served there).
PINNED: dict[str, tuple[str, str]] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": (
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
        "sha384-okbbMvvx/qfQkmiQKfd5VifbKZ/W8p1qIsWvE1ROPUfHWsDcC8/BnHohF7vPg2T6",
    ),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": (
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
        "sha384-o/2yZuJZWGJ4s/adjxVW71R+EO/LyCwdQfP5UWSgX/w87iiTXuvDZaejd3TsN7mf",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.1.0/dist/leaflet.markercluster.js",
        "sha384-d3fZjp9NKg6g+z82JfePUaUc/O3DiJNfYUQh1lQ/+pV1TocwxX0ZU/+jVHjJ9dSU",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.1.0/dist/MarkerCluster.css",
        "sha384-lPzjPsFQL6te2x+VxmV6q1DpRxpRk0tmnl2cpwAO5y04ESyc752tnEWPKDfl1olr",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.1.0/dist/MarkerCluster.Default.css",
        "sha384-5kMSQJ6S4Qj5i09mtMNrWpSi8iXw230pKU76xTmrpezGnNJQzj0NzXjQLLg+jE7k",
    ),
}
#: folium links the heat plugin from its unpinned ``@main`` branch; we pin it to the tag of the
#: installed folium and hash the copy folium installs.
FOLIUM_HEAT_URL = "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js"


def sri(data: bytes) -> str:
    """Return the Subresource Integrity value (``sha384-<base64>``) of ``data``."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


@cache
def _heat_pin() -> tuple[str, str]:
    data = (files("folium") / "templates" / "leaflet_heat.min.js").read_bytes()
    url = (
        "https://cdn.jsdelivr.net/gh/python-visualization/folium"
        f"@v{folium.__version__}/folium/templates/leaflet_heat.min.js"
    )
    return url, sri(data)


def pinned(url: str) -> tuple[str, str]:
    """Return the pinned URL and integrity hash that replace folium's link ``url``.

    Raises
    ------
    OfflineAssetError
        For a link without a pinned, hashed copy (a new plugin): better no map than an unpinned one.
    """
    if url == FOLIUM_HEAT_URL:
        return _heat_pin()
    if url not in PINNED:
        raise OfflineAssetError(f"no pinned CDN copy with an integrity hash for {url}; add it to maps.cdn.PINNED")
    return PINNED[url]


def pin_header(figure: Figure) -> list[str]:
    """Replace the figure's ``<script src>``/``<link>`` elements by pinned, hashed ones, in place.

    Returns
    -------
    list of str
        The CDN URLs now linked, in order.
    """
    header = figure.header
    urls = []
    for name, child in list(header._children.items()):
        if isinstance(child, JavascriptLink):
            url, integrity = pinned(child.url)
            tag = f'<script src="{escape(url)}" integrity="{integrity}" crossorigin="anonymous"></script>'
        elif isinstance(child, CssLink):
            url, integrity = pinned(child.url)
            tag = f'<link rel="stylesheet" href="{escape(url)}" integrity="{integrity}" crossorigin="anonymous"/>'
        else:
            continue
        header._children[name] = Element(tag)
        urls.append(url)
    return urls
