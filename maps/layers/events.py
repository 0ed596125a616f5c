"""The event layers: every event as a clustered marker, and the heat map of the same filtered events.

Both draw from the one embedded event dataset. The clustered markers are the runtime's core (the
list, the time window and the search work on them), so their JavaScript is ``strikedb.js`` itself;
the heat map's is ``maps/assets/layers/heat.js``.
"""

from __future__ import annotations

from html import escape

from maps.layers.base import MapParts, RuntimeLayer


class EventLayer(RuntimeLayer):
    """Every event, one marker each, clustered (Leaflet.markercluster) and filtered in the browser."""

    js_call = "new StrikeDB.EventLayer"
    key = "events"
    takes = None
    script = None  # the runtime's core, strikedb.js itself

    @classmethod
    def draw(cls, parts: MapParts, table: None) -> list[EventLayer]:
        """One layer of every event (shown)."""
        assert parts.event_data is not None
        name = escape(f"Events, clustered ({parts.payload['n']:,})")
        return [cls(parts.runtime, [parts.event_data], name=name, show=True)]


class HeatLayer(RuntimeLayer):
    """Heat map of the events shown now (the leaflet-heat plugin folium's HeatMap uses)."""

    js_call = "new StrikeDB.HeatLayer"
    key = "heat"
    takes = None

    @classmethod
    def draw(cls, parts: MapParts, table: None) -> list[HeatLayer]:
        """The heat map of the events (hidden until ticked)."""
        assert parts.event_data is not None
        return [cls(parts.runtime, [parts.event_data], name="Heat map of the events shown", show=False)]


__all__ = ["EventLayer", "HeatLayer"]
