"""folium elements that put the strikedb runtime into a map: the map, the runtime, datasets, the start.

Each element renders one short JavaScript statement calling ``maps/assets/strikedb.js``; the
data comes from a :class:`Dataset` element rendered once. The layers drawn from it live in
:mod:`maps.layers` (one class each, registered in :data:`maps.layers.LAYERS`); their JavaScript
parts (``maps/assets/layers/*.js``) are spliced into the runtime's script by :func:`runtime_script`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from typing import Any, ClassVar

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.plugins import HeatMap, MarkerCluster
from folium.template import Template

from maps.data import embedded_payload, script_json


def asset_text(name: str) -> str:
    """Return the text of a file in ``maps/assets``."""
    return (files("maps") / "assets" / name).read_text(encoding="utf-8")


#: The line of ``strikedb.js`` where the layers' scripts go. They are snippets inside the runtime's
#: closure (they use its helpers), so they are spliced into its text rather than loaded apart.
LAYER_SCRIPTS_SLOT = "  // @layer-scripts: maps/assets/layers/*.js go here, top layer first (maps.runtime.Runtime)\n"


def runtime_script(layer_scripts: Sequence[str]) -> str:
    """Return the runtime's JavaScript with the given layer scripts (asset names) spliced in, in order.

    Parameters
    ----------
    layer_scripts : sequence of str
        Files in ``maps/assets`` (e.g. ``"layers/heat.js"``), each the JavaScript part of one layer.
    """
    core = asset_text("strikedb.js")
    if core.count(LAYER_SCRIPTS_SLOT) != 1:
        raise RuntimeError("strikedb.js must hold the layer-scripts line exactly once")
    return core.replace(LAYER_SCRIPTS_SLOT, "".join(asset_text(name) for name in layer_scripts))


#: Leaflet plugins every map loads (through folium.plugins, so offline maps inline the same files).
PLUGIN_JS: list[tuple[str, str]] = [*MarkerCluster.default_js, *HeatMap.default_js]
PLUGIN_CSS: list[tuple[str, str]] = list(MarkerCluster.default_css)


class Runtime(MacroElement):
    """The strikedb runtime (JS + CSS, inlined: it is ours and small), its plugins and the map's context.

    ``options`` is handed to ``StrikeDB.setup`` as is (title, filters, classes left out...); its
    text is escaped by the runtime when it becomes HTML. ``layer_scripts`` are the JavaScript parts
    of the layers (asset names, spliced in by :func:`runtime_script`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = StrikeDB.setup({{ this._parent.get_name() }}, {{ this.style_json }},
                {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        style: dict[str, Any],
        *,
        canvas: bool,
        offline: bool,
        layer_scripts: Sequence[str] = (),
        **options: Any,
    ) -> None:
        super().__init__()
        self._name = "StrikeDBRuntime"
        self.offline = offline
        self.layer_scripts = list(layer_scripts)
        self.style_json = script_json(style)
        self.options_json = script_json({"canvas": canvas, "offline": offline, **options})

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "the runtime must be rendered inside a Figure"
        header = figure.header
        # The guard goes first, before any library: it reports scripts that fail to load.
        flag = "true" if not self.offline else "false"
        header.add_child(Element(f"<script>var SDB_CDN = {flag};{asset_text('guard.js')}</script>"), name="sdb_guard")
        header._children.move_to_end("sdb_guard", last=False)
        for name, url in PLUGIN_JS:
            header.add_child(JavascriptLink(url), name=name)
        for name, url in PLUGIN_CSS:
            header.add_child(CssLink(url), name=name)
        # Inline script text cannot contain "</script": our own files never do (checked in tests).
        header.add_child(Element(f"<style>{asset_text('strikedb.css')}</style>"), name="strikedb_css")
        script = runtime_script(self.layer_scripts)
        header.add_child(Element(f"<script>{script}</script>"), name="strikedb_js")
        super().render(**kwargs)


class Dataset(MacroElement):
    """One embedded table (events or facilities) shared by every layer built from it.

    Large tables are embedded packed (gzip + base64, see :func:`maps.data.embedded_payload`);
    the browser then unpacks them asynchronously and the layers fill in when the data is ready
    (``StrikeDB.ready`` resolves then). With ``details_apart`` the columns only popups and search
    read are packed apart and unpacked after the first draw (``StrikeDB.drawn`` resolves at that
    draw; a popup or search asked for before then waits for them). The JavaScript call keeps the payload as its only
    argument, so ``new StrikeDB.Dataset({...});`` can be found and read back from the HTML.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new StrikeDB.Dataset({{ this.payload_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        payload: dict[str, Any],
        name: str = "Dataset",
        *,
        what: str = "rows",
        compress: bool | None = None,
        details_apart: bool = False,
    ) -> None:
        super().__init__()
        self._name = name
        embedded = embedded_payload(payload, what, compress=compress, details_apart=details_apart)
        self.packed = embedded is not payload
        self.payload_json = script_json(embedded)


class Registered(MacroElement):
    """Register a layer made by folium itself (e.g. a tile layer) with the runtime under ``key``.

    Registered layers take part in the URL fragment (``layers=``) and, if they define
    ``sdbUpdate``/``sdbLegend`` in JavaScript, in filtering and the legend.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            StrikeDB.register({{ this.runtime.get_name() }}, {{ this.key_json }}, {{ this.layer.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, runtime: Runtime, key: str, layer: Element) -> None:
        super().__init__()
        self._name = "Registered"
        self.runtime = runtime
        self.layer = layer
        self.key_json = script_json(key)


class Start(MacroElement):
    """Start the runtime once every layer exists: apply the URL fragment, build the boxes, draw."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            StrikeDB.start({{ this.runtime.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self._name = "Start"
        self.runtime = runtime


_ID_LOCK = threading.Lock()


@contextmanager
def _render_time_ids() -> Iterator[None]:
    """Make branca number the elements created during one render ``r000001``, ``r000002``..."""
    counter = itertools.count(1)
    with _ID_LOCK:
        original = Element.__dict__["_generate_id"]
        Element._generate_id = classmethod(lambda cls: f"r{next(counter):06d}")
        try:
            yield
        finally:
            Element._generate_id = original


class StrikeMap(folium.Map):
    """A folium Map that loads only Leaflet and its plugins (no jQuery, Bootstrap or icon fonts).

    With ``offline=True`` (the default of :func:`maps.render.build_map`) every script and
    stylesheet is inlined when the map renders, so the HTML works without a network (see
    :mod:`maps.offline`); otherwise they are linked from a CDN at pinned versions with integrity
    hashes (:mod:`maps.cdn`).
    """

    default_js: ClassVar[list[tuple[str, str]]] = [
        ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    ]
    default_css: ClassVar[list[tuple[str, str]]] = [
        ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")
    ]

    def __init__(self, *args: Any, offline: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offline = offline

    def render(self, **kwargs: Any) -> None:
        # folium creates helper elements while rendering (e.g. the ``addTo`` call of each shown
        # layer) with fresh random ids, so a second render would append them again under new
        # names. Numbering them from a fixed start makes every render identical.
        with _render_time_ids():
            super().render(**kwargs)
        if self.offline:
            from maps.offline import inline_header

            inline_header(self.get_root())
        else:
            from maps.cdn import pin_header

            pin_header(self.get_root())
