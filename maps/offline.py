"""Offline maps: inline every script and stylesheet a map links to.

The files come from the ``folium-offline`` package (module ``offlinefolium``), a dependency that
embeds the exact Leaflet and plugin files folium 0.20 links to, keyed by their CDN URL. Its
Leaflet CSS already carries its images as data URIs, so nothing is fetched at all.
"""

from __future__ import annotations

import re
from functools import cache

from branca.element import CssLink, Element, Figure, JavascriptLink

from maps.errors import OfflineAssetError

_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_STYLE_END = re.compile(r"</(style)", re.IGNORECASE)


@cache
def _bundled_assets() -> dict[str, str]:
    # Imported lazily: the module holds ~3.5 MB of text that online maps never need.
    from offlinefolium.elements import _res

    return dict(_res)


def asset(url: str) -> str:
    """Return the bundled text of the file folium links to at ``url``.

    Raises
    ------
    OfflineAssetError
        When no installed package bundles that file (e.g. a new plugin or folium version).
    """
    assets = _bundled_assets()
    if url not in assets:
        raise OfflineAssetError(
            f"no bundled copy of {url} for an offline map; "
            "the installed folium-offline does not match folium, or a plugin without offline assets is used"
        )
    return assets[url]


def inline_header(figure: Figure) -> None:
    """Replace the figure's ``<script src>``/``<link>`` elements by inline copies, in place.

    Order is kept (Leaflet before its plugins). Text that would close the inline element early
    (``</script``, ``</style``) is escaped the way browsers allow inside scripts and styles.

    Parameters
    ----------
    figure : branca.element.Figure
        The root of a rendered map; called after the map's children have added their links.
    """
    header = figure.header
    for name, child in list(header._children.items()):
        if isinstance(child, JavascriptLink):
            text = _SCRIPT_END.sub(r"<\\/\1", asset(child.url))
            header._children[name] = Element(f"<script>{text}</script>")
        elif isinstance(child, CssLink):
            text = _STYLE_END.sub(r"<\\/\1", asset(child.url))
            header._children[name] = Element(f"<style>{text}</style>")
