"""Turn the event table into the compact payload embedded in a map, and the helpers every layer's payload uses.

Every event is embedded once, column by column, with repeated strings (dates, confidence
levels, facility names, publishers...) stored once in a dictionary and referenced by index.
All layers (clustered events, heat, regions, legend counts, the time histogram) are built in
the browser from that one payload, so 100,000 events cost one copy of the data, not one per layer.

Large payloads are embedded gzip-compressed and base64-encoded (see :func:`pack_payload`): the
JSON of 100,000 events is ~40 MB, its gzip ~4.4 MB. The browser inflates it with
``DecompressionStream`` and builds the layers when it is ready. Event payloads are packed in two
parts (:func:`split_details`): the map is drawn from the first, and the details only popups and
search read (~90 % of the bytes) are unpacked after that first draw.

Nothing here escapes HTML: the payload carries raw text and the browser runtime escapes it when
it builds popups. What this module guarantees is that the JSON cannot end the ``<script>``
element it sits in (see :func:`script_json`), that a packed payload is only base64 characters,
and that only ``http(s)`` URLs become links.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from events import vocab
from maps import style
from maps.errors import MapDataError

#: Columns an event table must have (latitude/longitude may come from a point geometry instead).
REQUIRED_EVENT_COLUMNS = ("event_date", "confidence")

#: Payload key -> events_enriched column(s), first non-empty wins.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("public_id",),
    "dp": ("date_precision",),
    "t": ("event_time_utc",),
    "fac": ("facility_name", "facility_name_reported"),
    "ft": ("facility_type",),
    "op": ("facility_operator",),
    "loc": ("location_text",),
    "cc": ("country",),
    "a1": ("admin1",),
    "gp": ("geo_precision",),
    "att": ("attack_type",),
    "eff": ("effect",),
    "dmg": ("damage_level",),
    "cs": ("claim_status",),
    "adm": ("admiralty_grade",),
    "desc": ("description",),
}
#: Order of the fields of one source in the payload's source table.
SOURCE_FIELDS = (
    "url", "publisher", "title", "published_date", "archived_url", "source_type", "claimed_by", "publisher_kind",
    "publisher_reliability",
)  # fmt: skip
#: Decimal places kept for coordinates: 5 places is about 1 m, far below any reported precision.
COORD_DECIMALS = 5
#: Payloads whose JSON is larger than this are embedded gzip-compressed (about 500 events and up);
#: smaller maps keep readable, greppable JSON.
PACK_THRESHOLD_BYTES = 200_000
#: zlib level of packed payloads: level 9 is ~5 % smaller but 5x slower on 40 MB of JSON.
PACK_LEVEL = 6
#: Key of a packed payload that holds the base64 text of the gzip-compressed JSON.
PACKED_KEY = "gzip"
#: Key of a packed payload that holds, packed apart, the parts only popups and search read (see
#: :data:`DETAIL_COLUMNS`): the browser draws the map from the rest and unpacks these after.
DETAILS_KEY = "gzip_details"
#: Event columns read only by popups, search and links to one event (never by a marker, filter,
#: count, the list or a cluster's tooltip). With the source table they are ~85 % of the JSON of
#: 100,000 events, so a packed map keeps them apart and unpacks them after the first draw.
DETAIL_COLUMNS = ("desc", "id", "src", "t", "dp", "op", "a1", "cc", "att", "eff", "dmg", "cs", "adm")
#: Payload keys (beside ``cols``) that go with the details.
DETAIL_KEYS = ("sources",)
#: Region and country outlines are simplified to this tolerance in degrees (~1 km) to keep files small.
REGION_SIMPLIFY_DEG = 0.01


def script_json(value: Any) -> str:
    """Serialise ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``... so text such as ``</script><script>`` in a
    description cannot close the element and run; U+2028/2029 are escaped because older
    JavaScript engines treat them as line ends inside strings.

    Parameters
    ----------
    value : Any
        JSON-serialisable data.

    Returns
    -------
    str
        Compact JSON text.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # branca renders each element's script a second time as a Jinja2 template, so "{{", "{%" and
    # "{#" in data would be evaluated (code execution from a CSV cell). In JSON such a "{" can only
    # be inside a string, where \u007b means the same character.
    return _JINJA_OPENER.sub(r"\\u007b", text)


_JINJA_OPENER = re.compile(r"\{(?=[{%#])")


def payload_json(payload: dict[str, Any]) -> str:
    """Serialise a payload as compact JSON (not HTML-safe: for packing, see :func:`script_json`)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def pack_payload(payload: dict[str, Any], what: str) -> dict[str, Any]:
    """Compress a payload for embedding: ``{"n": rows, "what": what, "gzip": base64 text}``.

    The gzip stream has no timestamp or file name, so the same payload always packs to the
    same bytes (with the same zlib). Base64 text holds only ``A-Z a-z 0-9 + / =``: whatever
    the data says, it cannot end the ``<script>`` element it is embedded in.

    Parameters
    ----------
    payload : dict
        A payload from :func:`event_payload` or :func:`facility_payload`.
    what : str
        What the rows are ("events"), shown while the browser unpacks them.

    Returns
    -------
    dict
        The packed payload; :func:`unpack_payload` reverses it.
    """
    return _packed(payload_json(payload).encode("utf-8"), payload["n"], what)


def _packed(raw: bytes, n: int, what: str) -> dict[str, Any]:
    packed = gzip.compress(raw, compresslevel=PACK_LEVEL, mtime=0)
    return {"n": n, "what": what, PACKED_KEY: base64.b64encode(packed).decode("ascii")}


def _unpacked(text: str) -> dict[str, Any]:
    return json.loads(gzip.decompress(base64.b64decode(text, validate=True)))


def unpack_payload(embedded: dict[str, Any]) -> dict[str, Any]:
    """Return the payload of an embedded dataset, packed (see :func:`embedded_payload`) or not.

    A payload packed in two parts (the details apart) is joined back into one.
    """
    if PACKED_KEY not in embedded:
        return embedded
    payload = _unpacked(embedded[PACKED_KEY])
    if DETAILS_KEY in embedded:
        details = _unpacked(embedded[DETAILS_KEY])
        payload["cols"].update(details.pop("cols"))
        payload.update(details)
    return payload


def split_details(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a payload into what the map draws from and its details (:data:`DETAIL_COLUMNS`, sources).

    Returns
    -------
    tuple of dict
        ``(first, details)``: ``first`` is the payload without the details; ``details`` is
        ``{"cols": {...}, "sources": [...]}`` with those of them the payload has.
    """
    first = {key: value for key, value in payload.items() if key not in DETAIL_KEYS}
    first["cols"] = {key: col for key, col in payload["cols"].items() if key not in DETAIL_COLUMNS}
    details = {key: payload[key] for key in DETAIL_KEYS if key in payload}
    details["cols"] = {key: col for key, col in payload["cols"].items() if key in DETAIL_COLUMNS}
    return first, details


def embedded_payload(
    payload: dict[str, Any], what: str, *, compress: bool | None = None, details_apart: bool = False
) -> dict[str, Any]:
    """Return the form of ``payload`` to embed: packed when asked, or (``None``) when it is large.

    Parameters
    ----------
    payload : dict
        A payload from :func:`event_payload` or :func:`facility_payload`.
    what : str
        What the rows are, for the browser's loading message.
    compress : bool or None
        True: always pack; False: never; None: pack when the JSON exceeds
        :data:`PACK_THRESHOLD_BYTES`.
    details_apart : bool
        Pack the details (:func:`split_details`) apart under :data:`DETAILS_KEY`, so the browser
        can draw before it unpacks them (event payloads).
    """
    if compress is False:
        return payload
    raw = payload_json(payload).encode("utf-8")
    if compress is None and len(raw) <= PACK_THRESHOLD_BYTES:
        return payload
    if not details_apart or "cols" not in payload:
        return _packed(raw, payload["n"], what)
    first, details = split_details(payload)
    packed = _packed(payload_json(first).encode("utf-8"), payload["n"], what)
    packed[DETAILS_KEY] = _packed(payload_json(details).encode("utf-8"), payload["n"], what)[PACKED_KEY]
    return packed


def clean(value: Any) -> Any:
    """Return a JSON-friendly scalar: None for NULL/NaN/NaT, ISO text for dates and times."""
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return clean(value.item())
    if isinstance(value, str):
        return value if value.strip() else None
    return value


def safe_url(url: Any) -> str | None:
    """Return ``url`` if it is an http(s) URL, else None (no ``javascript:`` or ``data:`` links)."""
    url = clean(url)
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def encode_column(values: Sequence[Any]) -> dict[str, list[Any]]:
    """Encode one column, with a dictionary when values repeat.

    Returns ``{"v": values}`` or ``{"d": distinct values, "c": codes}``; the browser decodes
    both with ``StrikeDB.value(column, i)``. Dictionary order is first appearance, so the same
    input always gives the same output.
    """
    distinct: dict[Any, int] = {}
    codes = [distinct.setdefault(v, len(distinct)) for v in values]
    if values and len(distinct) * 2 <= len(values):
        return {"d": list(distinct), "c": codes}
    return {"v": list(values)}


def decode_column(column: dict[str, list[Any]]) -> list[Any]:
    """Decode a column made by :func:`encode_column`."""
    return [column["d"][c] for c in column["c"]] if "d" in column else column["v"]


def bounds(lats: Sequence[float], lons: Sequence[float]) -> list[list[float]] | None:
    """Return ``[[south, west], [north, east]]`` of the points, or None without points."""
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def delta_lists(lists: Sequence[Sequence[int]]) -> dict[str, list[list[int]]]:
    """Encode per-row index lists as differences from the previous index (across rows).

    Sources are numbered in order of first appearance, so consecutive events mostly cite the
    next new source: the differences are mostly 1 and compress to almost nothing, where the
    plain indices (0 to hundreds of thousands) cost ~4 % of a packed map. Decoded in the browser
    by ``StrikeDB.Dataset`` and here by :func:`undelta_lists`.

    Returns
    -------
    dict
        ``{"dv": [[differences], ...]}``, one list per row.
    """
    previous = 0
    out = []
    for indices in lists:
        row = []
        for index in indices:
            row.append(index - previous)
            previous = index
        out.append(row)
    return {"dv": out}


def undelta_lists(column: dict[str, list[list[int]]]) -> list[list[int]]:
    """Decode a column made by :func:`delta_lists`."""
    previous = 0
    out = []
    for deltas in column["dv"]:
        row = []
        for delta in deltas:
            previous += delta
            row.append(previous)
        out.append(row)
    return out


def coordinates(frame: pd.DataFrame) -> tuple[list[float], list[float]]:
    """Return latitudes and longitudes from columns, or from point geometries."""
    if "latitude" in frame.columns and "longitude" in frame.columns:
        lats, lons = list(frame["latitude"]), list(frame["longitude"])
    elif isinstance(frame, gpd.GeoDataFrame) and frame.geometry is not None and len(frame):
        geometry = frame.geometry
        if geometry.crs is not None and geometry.crs.to_epsg() != 4326:
            geometry = geometry.to_crs(4326)
        if not all(geometry.geom_type == "Point"):
            raise MapDataError("event geometries must be points (or give latitude/longitude columns)")
        lats, lons = list(geometry.y), list(geometry.x)
    elif not len(frame):
        return [], []
    else:
        raise MapDataError("events need latitude/longitude columns or a point geometry")
    out_lat, out_lon = [], []
    for row, (lat, lon) in enumerate(zip(lats, lons, strict=True)):
        lat, lon = clean(lat), clean(lon)
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            raise MapDataError(f"row {row}: missing coordinates")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise MapDataError(f"row {row}: coordinates out of range ({lat}, {lon})")
        out_lat.append(round(float(lat), COORD_DECIMALS))
        out_lon.append(round(float(lon), COORD_DECIMALS))
    return out_lat, out_lon


def first_present(frame: pd.DataFrame, names: tuple[str, ...]) -> list[Any]:
    """Return per row the first non-empty value among ``names`` (missing columns count as empty)."""
    columns = [[clean(v) for v in frame[name]] for name in names if name in frame.columns]
    if not columns:
        return [None] * len(frame)
    return [next((v for v in values if v is not None), None) for values in zip(*columns, strict=True)]


def _admiralty(frame: pd.DataFrame) -> list[str | None]:
    """Return the Admiralty grade column, deriving it from its parts when absent."""
    if "admiralty_grade" in frame.columns:
        return [clean(v) for v in frame["admiralty_grade"]]
    if "source_reliability" not in frame.columns and "info_credibility" not in frame.columns:
        return [None] * len(frame)
    grades = []
    for rel, cred in zip(
        first_present(frame, ("source_reliability",)), first_present(frame, ("info_credibility",)), strict=True
    ):
        grades.append(None if rel is None and cred is None else f"{rel or 'F'}{int(cred) if cred else 6}")
    return grades


def _checked_confidence(values: Iterable[Any]) -> list[str]:
    out = []
    for row, value in enumerate(values):
        value = clean(value)
        if value not in vocab.CONFIDENCE_LEVELS:
            raise MapDataError(f"row {row}: confidence {value!r} is not one of {', '.join(vocab.CONFIDENCE_LEVELS)}")
        out.append(value)
    return out


def _checked_dates(values: Iterable[Any]) -> list[str]:
    out = []
    for row, value in enumerate(values):
        value = clean(value)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                value = None
        if value is None:
            raise MapDataError(f"row {row}: event_date is missing or not an ISO date")
        out.append(value)
    return out


def facility_types(values: Iterable[Any]) -> list[str]:
    """Facility types, with anything outside the vocabulary shown as "unknown"."""
    return [v if v in vocab.FACILITY_TYPES else style.UNKNOWN_TYPE for v in (clean(x) for x in values)]


def _source_table(frame: pd.DataFrame) -> tuple[list[list[Any]], list[list[int]]]:
    """Deduplicate the sources of all events; return the table and each event's indices into it."""
    table: dict[tuple[Any, ...], int] = {}
    per_event: list[list[int]] = []
    column = frame["sources"] if "sources" in frame.columns else [None] * len(frame)
    for sources in column:
        indices = []
        for source in sources if isinstance(sources, (list, tuple)) else []:
            row = tuple(clean(source.get(field)) for field in SOURCE_FIELDS)
            row = (safe_url(row[0]), *row[1:4], safe_url(row[4]), *row[5:])
            if all(v is None for v in row):
                continue
            index = table.setdefault(row, len(table))
            if index not in indices:
                indices.append(index)
        per_event.append(indices)
    return [list(row) for row in table], per_event


def event_payload(events: pd.DataFrame) -> dict[str, Any]:
    """Build the embedded payload of an event table.

    Parameters
    ----------
    events : pandas.DataFrame or geopandas.GeoDataFrame
        Rows shaped like the ``events_enriched`` view, plus an optional ``sources`` column
        (list of dicts with the keys of :data:`SOURCE_FIELDS`). Needs ``event_date``,
        ``confidence`` and coordinates; every other column is optional.

    Returns
    -------
    dict
        ``{"n": rows, "cols": {key: encoded column}, "sources": [[...], ...]}``; ``cols["src"]``
        holds each event's indices into ``sources``, delta-encoded (:func:`delta_lists`).

    Raises
    ------
    MapDataError
        For a missing required column, missing or out-of-range coordinates, a bad date or an
        unknown confidence level.
    """
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise MapDataError(f"event table lacks column(s) {', '.join(missing)}")
    lats, lons = coordinates(events)
    sources, source_indices = _source_table(events)
    columns: dict[str, list[Any]] = {
        "lat": lats,
        "lon": lons,
        "date": _checked_dates(events["event_date"]),
        "conf": _checked_confidence(events["confidence"]),
    }
    for key, names in EVENT_FIELDS.items():
        columns[key] = first_present(events, names)
    columns["ft"] = facility_types(columns["ft"])
    columns["adm"] = _admiralty(events)
    encoded = {key: encode_column(values) for key, values in columns.items()}
    encoded["src"] = delta_lists(source_indices)
    return {"n": len(events), "cols": encoded, "sources": sources}
