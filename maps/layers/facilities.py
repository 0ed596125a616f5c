"""Facilities as rings sized by capacity: their payload (embedded once, like the events) and their layer.

The JavaScript part is ``maps/assets/layers/facilities.js``.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from maps import style
from maps.data import (
    bounds,
    clean,
    coordinates,
    decode_column,
    encode_column,
    facility_types,
    first_present,
)
from maps.layers.base import MapParts, RuntimeLayer
from maps.runtime import Dataset


def capacity_text(row: dict[str, Any]) -> str | None:
    """Return a facility's capacity for display, e.g. ``"20.1 Mt/yr"`` or ``"1578.6 MW"``."""
    parts = []
    for column, unit in (("capacity_mtpa", "Mt/yr"), ("capacity_kbd", "kb/d"), ("capacity_mw", "MW")):
        value = clean(row.get(column))
        if isinstance(value, (int, float)):
            parts.append(f"{value:g} {unit}")
    if parts:
        return ", ".join(parts)
    raw = clean(row.get("capacity_raw"))
    return str(raw) if raw is not None else None


def facility_payload(facilities: pd.DataFrame) -> dict[str, Any]:
    """Build the embedded payload of a facility table.

    Parameters
    ----------
    facilities : pandas.DataFrame or geopandas.GeoDataFrame
        Rows shaped like the ``facilities`` table or the ``facility_strikes`` view: ``name``,
        ``facility_type``, coordinates, optional ``operator``, capacities and ``strikes``.
        Rows without coordinates are skipped (they cannot be drawn).

    Returns
    -------
    dict
        Same shape as :func:`event_payload` (without sources).
    """
    frame = facilities
    if "latitude" in frame.columns and "longitude" in frame.columns:
        frame = frame[frame["latitude"].notna() & frame["longitude"].notna()]
    lats, lons = coordinates(frame)
    records = frame.to_dict("records")
    columns: dict[str, list[Any]] = {
        "lat": lats,
        "lon": lons,
        "name": first_present(frame, ("name", "facility_name", "slug")),
        "ft": facility_types(first_present(frame, ("facility_type",))),
        "op": first_present(frame, ("operator", "facility_operator")),
        "cc": first_present(frame, ("country",)),
        "a1": first_present(frame, ("admin1",)),
        "cap": [capacity_text(r) for r in records],
        "r": [
            style.facility_radius(r.get("capacity_mtpa"), r.get("capacity_kbd"), r.get("capacity_mw")) for r in records
        ],
        "hits": first_present(frame, ("strikes",)),
    }
    return {"n": len(frame), "cols": {key: encode_column(values) for key, values in columns.items()}}


class FacilityLayer(RuntimeLayer):
    """Facilities as rings sized by capacity."""

    js_call = "new StrikeDB.FacilityLayer"
    key = "facilities"
    summary_counts = ("facilities",)

    @classmethod
    def draw(cls, parts: MapParts, table: pd.DataFrame) -> list[Any]:
        """The facility dataset and its layer (shown, also when empty)."""
        payload = facility_payload(table)
        data = Dataset(payload, "FacilityData", what="facilities", compress=parts.compress)
        parts.summary["facilities"] = payload["n"]
        parts.fallback_bounds = bounds(decode_column(payload["cols"]["lat"]), decode_column(payload["cols"]["lon"]))
        label = f"Facilities, sized by capacity ({payload['n']:,})"
        return [data, cls(parts.runtime, [data], name=escape(label), show=True)]


__all__ = ["FacilityLayer", "capacity_text", "facility_payload"]
