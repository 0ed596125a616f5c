"""What every map layer is: a :class:`MapLayer` class, and :class:`RuntimeLayer` for those the runtime draws.

A layer class says what it is called (``key``, its name in the URL fragment and in the browser),
which table of :func:`maps.render.build_map` it draws (``takes``), which columns it adds to the
event payload (:meth:`MapLayer.event_columns`), what it counts in the map's summary
(``summary_counts``) and which folium elements it adds (:meth:`MapLayer.build`). Its JavaScript
part is a file in ``maps/assets`` (``script``): a snippet spliced into the runtime's closure (see
:func:`maps.runtime.runtime_script`), so it can use the runtime's helpers, register itself with
``ctx.register(key, layer)`` and define ``sdbUpdate(ctx)`` (after each filter change) and
``sdbLegend(ctx)`` (its legend section, escaped HTML).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import pandas as pd
from branca.element import Element
from folium.map import Layer
from folium.template import Template

from maps.data import script_json
from maps.runtime import Dataset, Runtime, StrikeMap


@dataclass
class MapParts:
    """What the layers of :data:`maps.layers.LAYERS` get: the map, its runtime and its data.

    Attributes
    ----------
    fmap, runtime : the map and its :class:`maps.runtime.Runtime`
    events : the event table as given to :func:`maps.render.build_map`
    payload : the embedded event payload (:func:`maps.data.event_payload`)
    event_data : the :class:`maps.runtime.Dataset` holding it in the page (None while base layers are added)
    tables : the tables given to :func:`maps.render.build_map`, by the ``takes`` of the layer drawing them
    compress : how to embed further datasets
    summary : counts for :attr:`maps.runtime.StrikeMap.summary`; layers add to it
    fallback_bounds : where to fit the map when there are no events (e.g. the facilities)
    """

    fmap: StrikeMap
    runtime: Runtime
    events: pd.DataFrame
    payload: dict[str, Any]
    event_data: Dataset | None
    tables: dict[str, Any]
    compress: bool | None
    summary: dict[str, Any] = field(default_factory=dict)
    fallback_bounds: list[list[float]] | None = None


class MapLayer:
    """One kind of layer of every map, listed in :data:`maps.layers.LAYERS`.

    Attributes
    ----------
    key : str
        Its name; for the layers the browser registers, in the URL fragment (``layers=``) and ``ctx.register``.
    takes : str or None
        The keyword of :func:`maps.render.build_map` holding the table it draws (None: only the events).
    script : str or None
        Its JavaScript part, a file in ``maps/assets`` (None: it needs no runtime code).
    under_data : bool
        Drawn under everything, before the event data is embedded (the offline basemap).
    summary_counts : tuple of str
        The counts it gives in the map's summary, 0 until it draws (it sets the real counts itself).
    """

    key: ClassVar[str] = ""
    takes: ClassVar[str | None] = None
    script: ClassVar[str | None] = None
    under_data: ClassVar[bool] = False
    summary_counts: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def table(cls, parts: MapParts) -> Any:
        """Return the table this layer draws (None when it was not given)."""
        return parts.tables.get(cls.takes) if cls.takes else None

    @classmethod
    def event_columns(cls, events: pd.DataFrame, table: Any) -> dict[str, list[Any]]:
        """Return columns to add to the event payload (before it is embedded); none by default.

        ``table`` is the layer's table (see ``takes``), None when it was not given.
        """
        return {}

    @classmethod
    def build(cls, parts: MapParts) -> list[Element]:
        """Return the folium elements to add to the map: those of :meth:`draw`, none without its table."""
        table = cls.table(parts)
        return [] if cls.takes and table is None else cls.draw(parts, table)

    @classmethod
    def draw(cls, parts: MapParts, table: Any) -> list[Element]:
        """Return the folium elements that draw ``table`` (None for a layer of the events alone)."""
        raise NotImplementedError


class RuntimeLayer(Layer, MapLayer):
    """A layer created by one call into the runtime: ``<js_call>(ctx, ...args)``.

    Unless a class says otherwise, it draws the table named as its key (``takes = key``) and its
    script is ``layers/<key>.js``, so a layer's name is written once.

    Attributes
    ----------
    js_call : str
        The runtime's function or constructor.
    sends_key : bool
        Whether the last argument is ``{"key": key}`` (the layers the browser registers by name).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.js_call }}({{ this.runtime.get_name() }}
                {%- for arg in this.args_js() %}, {{ arg }}{% endfor %});
        {% endmacro %}
        """
    )
    js_call: ClassVar[str] = ""
    sends_key: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.takes = cls.__dict__.get("takes", cls.key)
        cls.script = cls.__dict__.get("script", f"layers/{cls.key}.js")

    def __init__(
        self, runtime: Runtime, js_args: list[str | Dataset], *, name: str, show: bool, control: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = type(self).__name__
        self.runtime = runtime
        self.js_args = [*js_args, script_json({"key": self.key})] if self.sends_key else js_args

    def args_js(self) -> list[str]:
        """JavaScript arguments; datasets by name, resolved at render time (ids may be renumbered)."""
        return [arg.get_name() if isinstance(arg, Dataset) else arg for arg in self.js_args]


def nonempty(table: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Return the table when it has rows, else None (nothing to draw)."""
    return table if table is not None and len(table) else None


__all__ = ["MapLayer", "MapParts", "RuntimeLayer", "nonempty"]
