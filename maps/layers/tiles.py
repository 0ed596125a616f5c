"""Online OpenStreetMap tiles, offered as a hidden layer above the bundled outlines."""

from __future__ import annotations

from typing import Any

import folium

from maps.layers.base import MapLayer, MapParts
from maps.runtime import Registered

TILES_NAME = "OpenStreetMap tiles (online; outlines stay underneath)"


class OnlineTiles(MapLayer):
    """folium's own tile layer, registered with the runtime so it takes part in the URL fragment."""

    key = "tiles"
    takes = "tiles"

    @classmethod
    def draw(cls, parts: MapParts, table: bool) -> list[Any]:
        """The tile layer (hidden; needs the network when ticked); nothing when ``tiles`` is false."""
        if not table:
            return []
        # In the tile pane, above the outlines: where tiles cannot load, the outlines still show.
        tile_layer = folium.TileLayer("OpenStreetMap", name=TILES_NAME, overlay=True, control=True, show=False)
        return [tile_layer, Registered(parts.runtime, cls.key, tile_layer)]


__all__ = ["TILES_NAME", "OnlineTiles"]
