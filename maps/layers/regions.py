"""Strikes per admin-1 region: which region each event is stored in, the outlines, and the choropleth layer.

Events are assigned to regions by what is stored with them, never by position; the ``rg`` column
this layer adds to the event payload lets the browser recount the events shown per region at each
filter change. The JavaScript part is ``maps/assets/layers/regions.js``.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from maps import style
from maps.data import REGION_SIMPLIFY_DEG, decode_column, first_present, script_json
from maps.layers.base import MapParts, RuntimeLayer, nonempty

#: Event columns holding the stored ISO 3166-2 region code, in order of preference.
EVENT_REGION_CODE_COLUMNS = ("admin1_code", "iso_3166_2", "region_code")


def event_regions(events: pd.DataFrame, regions: gpd.GeoDataFrame) -> list[int]:
    """Return per event the row number of the region it is stored in, or -1 (by stored region, not position).

    An event belongs to a region when its stored ISO 3166-2 code (the first of
    :data:`EVENT_REGION_CODE_COLUMNS` present) equals the region's ``iso_3166_2``; without codes on
    either side, when its stored ``country`` and ``admin1`` equal the region's. Where the point falls
    on the drawn (simplified) outline decides nothing, so a port on the coast counts for its region
    and the layer's total equals the events stored with a region on the map. The browser counts the
    events shown per region from this column (``rg`` in the payload), so the region layer follows
    the time window and the confidence/type/search toggles.

    Parameters
    ----------
    events : pandas.DataFrame
        The events drawn, in payload order; a code column, or ``admin1`` (and ``country``).
    regions : geopandas.GeoDataFrame
        Region rows with ``iso_3166_2`` and/or ``admin1`` (and ``country``) columns.
    """
    if not len(events):
        return []
    frame = regions.reset_index(drop=True)
    code_column = next((c for c in EVENT_REGION_CODE_COLUMNS if c in events.columns), None)
    if code_column is not None and "iso_3166_2" in frame.columns:
        row_of = {str(code).upper(): i for i, code in enumerate(frame["iso_3166_2"]) if _present(code)}
        return [row_of.get(str(code).upper(), -1) if _present(code) else -1 for code in events[code_column]]
    if "admin1" not in events.columns or "admin1" not in frame.columns:
        return [-1] * len(events)
    region_rows: dict[tuple[str, str], int] = {}
    for i, key in enumerate(_region_keys(frame.get("country"), frame["admin1"])):
        region_rows.setdefault(key, i)
    keys = _region_keys(events.get("country") if "country" in frame.columns else None, events["admin1"])
    return [region_rows.get(key, -1) if key[1] else -1 for key in keys]


def region_counts(events: pd.DataFrame, regions: gpd.GeoDataFrame) -> list[int]:
    """Count the events stored in each region, in row order (see :func:`event_regions`)."""
    if not len(regions):
        return []
    counts = [0] * len(regions)
    for region in event_regions(events, regions):
        if region >= 0:
            counts[region] += 1
    return counts


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value) != ""


def _region_keys(countries: pd.Series | None, names: pd.Series) -> list[tuple[str, str]]:
    """(country, name) per row, the country left blank when there is no country column."""
    country_values = [""] * len(names) if countries is None else ["" if not _present(c) else str(c) for c in countries]
    return [(c, str(n) if _present(n) else "") for c, n in zip(country_values, names, strict=True)]


def region_geojson(regions: gpd.GeoDataFrame, counts: list[int]) -> dict[str, Any]:
    """Return simplified region outlines with their names and strike counts as GeoJSON.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Polygons with ``admin1`` (or ``name``) and optionally ``country`` columns.
    counts : list of int
        Strikes per region, in row order (see :func:`region_counts`). Each feature keeps its row
        number as ``i``: events refer to regions by it (the ``rg`` column, :func:`event_regions`).
    """
    frame = regions.reset_index(drop=True)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geometry = shapely.set_precision(frame.geometry.simplify(REGION_SIMPLIFY_DEG).values, 0.001)
    names = first_present(frame, ("admin1", "name", "shapeName"))
    countries = first_present(frame, ("country",))
    features = []
    for index, shape in enumerate(geometry):
        if shape is None or shape.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"i": index, "name": names[index], "cc": countries[index], "n": counts[index]},
                "geometry": shapely.geometry.mapping(shape),
            }
        )
    return {"type": "FeatureCollection", "features": features}


class ChoroplethLayer(RuntimeLayer):
    """Strikes per admin-1 region, recounted in the browser from the events shown now."""

    js_call = "StrikeDB.choropleth"
    key = "regions"
    summary_counts = ("regions",)

    @classmethod
    def event_columns(cls, events: pd.DataFrame, table: Any) -> dict[str, list[Any]]:
        """The region row of each event (``rg``), when regions are given."""
        regions = nonempty(table)
        return {} if regions is None else {"rg": event_regions(events, regions)}

    @classmethod
    def draw(cls, parts: MapParts, table: gpd.GeoDataFrame) -> list[ChoroplethLayer]:
        """The strikes-per-region layer (shown); nothing for empty ``regions``."""
        regions = nonempty(table)
        if regions is None:
            return []
        counts = [0] * len(regions)
        for region in decode_column(parts.payload["cols"]["rg"]):
            if region >= 0:
                counts[region] += 1
        breaks = style.choropleth_breaks(max(counts, default=0))
        args = [script_json(region_geojson(regions, counts)), script_json(breaks)]
        parts.summary["regions"] = len(regions)
        return [cls(parts.runtime, args, name="Strikes per region (admin-1)", show=True)]


__all__ = [
    "EVENT_REGION_CODE_COLUMNS", "ChoroplethLayer", "event_regions", "region_counts", "region_geojson",
]  # fmt: skip
