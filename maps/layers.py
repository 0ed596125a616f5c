"""folium elements that put the strikedb runtime and its layers into a map.

Each element renders one short JavaScript statement calling ``maps/assets/strikedb.js``; the
data comes from a :class:`Dataset` element rendered once. Layers subclass
:class:`folium.map.Layer`, so :class:`folium.LayerControl` lists and toggles them like any
other layer.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any, ClassVar

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import HeatMap
from folium.template import Template

from maps.data import embedded_payload, script_json


def asset_text(name: str) -> str:
    """Return the text of a file in ``maps/assets``."""
    return (files("maps") / "assets" / name).read_text(encoding="utf-8")


class Runtime(MacroElement):
    """The strikedb runtime (JS + CSS, inlined: it is ours and small) and the map's context."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = StrikeDB.setup({{ this._parent.get_name() }}, {{ this.style_json }},
                {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, style: dict[str, Any], *, canvas: bool, offline: bool) -> None:
        super().__init__()
        self._name = "StrikeDBRuntime"
        self.style_json = script_json(style)
        self.options_json = script_json({"canvas": canvas, "offline": offline})

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "the runtime must be rendered inside a Figure"
        # Inline script text cannot contain "</script": our own file never does (checked in tests).
        figure.header.add_child(Element(f"<style>{asset_text('strikedb.css')}</style>"), name="strikedb_css")
        figure.header.add_child(Element(f"<script>{asset_text('strikedb.js')}</script>"), name="strikedb_js")
        super().render(**kwargs)


class Dataset(MacroElement):
    """One embedded table (events or facilities) shared by every layer built from it.

    Large tables are embedded packed (gzip + base64, see :func:`maps.data.embedded_payload`);
    the browser then unpacks them asynchronously and the layers fill in when the data is ready
    (``StrikeDB.ready`` resolves then). The JavaScript call keeps the payload as its only
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
        self, payload: dict[str, Any], name: str = "Dataset", *, what: str = "rows", compress: bool | None = None
    ) -> None:
        super().__init__()
        self._name = name
        embedded = embedded_payload(payload, what, compress=compress)
        self.packed = embedded is not payload
        self.payload_json = script_json(embedded)


class _RuntimeLayer(Layer):
    """A layer created by one call into the runtime: ``new StrikeDB.<js_call>(ctx, ...args)``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.js_call }}({{ this.runtime.get_name() }}
                {%- for arg in this.args_js() %}, {{ arg }}{% endfor %});
        {% endmacro %}
        """
    )
    js_call = ""

    def __init__(
        self, runtime: Runtime, js_args: list[str | Dataset], *, name: str, show: bool, control: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self.runtime = runtime
        self.js_args = js_args

    def args_js(self) -> list[str]:
        """JavaScript arguments; datasets by name, resolved at render time (ids may be renumbered)."""
        return [arg.get_name() if isinstance(arg, Dataset) else arg for arg in self.js_args]


class EventLayer(_RuntimeLayer):
    """Events whose ``key`` column equals ``value``, coloured by ``color_by`` (``conf`` or ``ft``)."""

    js_call = "new StrikeDB.EventLayer"

    def __init__(
        self, runtime: Runtime, data: Dataset, *, key: str, value: str, color_by: str, name: str, show: bool
    ) -> None:
        options = script_json({"key": key, "value": value, "colorBy": color_by})
        super().__init__(runtime, [data, options], name=name, show=show)
        self._name = "EventLayer"


class HeatLayer(JSCSSMixin, _RuntimeLayer):
    """Heat map of all selected events (the leaflet-heat plugin folium's HeatMap uses)."""

    js_call = "new StrikeDB.HeatLayer"
    default_js = HeatMap.default_js

    def __init__(self, runtime: Runtime, data: Dataset, *, name: str, show: bool) -> None:
        super().__init__(runtime, [data], name=name, show=show)
        self._name = "HeatLayer"


class TimeLayer(_RuntimeLayer):
    """Strikes accumulating up to the date of a slider, which appears with the layer."""

    js_call = "new StrikeDB.TimeLayer"

    def __init__(self, runtime: Runtime, data: Dataset, *, name: str, show: bool) -> None:
        super().__init__(runtime, [data], name=name, show=show)
        self._name = "TimeLayer"


class FacilityLayer(_RuntimeLayer):
    """Facilities as circles sized by capacity."""

    js_call = "new StrikeDB.FacilityLayer"

    def __init__(self, runtime: Runtime, data: Dataset, *, name: str, show: bool) -> None:
        super().__init__(runtime, [data], name=name, show=show)
        self._name = "FacilityLayer"


class ChoroplethLayer(_RuntimeLayer):
    """Strike counts per admin-1 region."""

    js_call = "StrikeDB.choropleth"

    def __init__(self, runtime: Runtime, geojson: dict[str, Any], breaks: list[int], *, name: str, show: bool) -> None:
        super().__init__(runtime, [script_json(geojson), script_json(breaks)], name=name, show=show)
        self._name = "ChoroplethLayer"


class BasemapLayer(_RuntimeLayer):
    """Bundled country outlines, the basemap of offline maps (always shown, not in the control)."""

    js_call = "StrikeDB.basemap"

    def __init__(self, runtime: Runtime, geojson: dict[str, Any]) -> None:
        super().__init__(runtime, [script_json(geojson)], name="Country outlines", show=True, control=False)
        self._name = "BasemapLayer"


class Box(MacroElement):
    """A fixed box (legend, title) holding HTML that the caller has already escaped."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            StrikeDB.box({{ this.runtime.get_name() }}, {{ this.html_json }}, {{ this.position_json }},
                {{ this.css_class_json }});
        {% endmacro %}
        """
    )

    def __init__(self, runtime: Runtime, html: str, *, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "Box"
        self.runtime = runtime
        self.html_json = script_json(html)
        self.position_json = script_json(position)
        self.css_class_json = script_json(css_class)


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
    """A folium Map that loads only Leaflet (no jQuery, Bootstrap or icon fonts: nothing uses them).

    With ``offline=True`` every script and stylesheet is inlined when the map renders, so the
    HTML works without a network (see :mod:`maps.offline`).
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
