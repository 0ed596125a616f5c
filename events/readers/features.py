"""GeoJSON streaming: the features of a FeatureCollection, one at a time, without loading the file.

Used by the GeoJSON reader and by the ACLED and UCDP readers for their GeoJSON exports.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import shapely
from shapely.geometry import shape

from events.errors import InputError
from events.readers.decoding import CHUNK_BYTES, FIELD_LIMIT, open_binary
from events.readers.rows import rejected
from events.records import RejectedRecord


def looks_like_json(path: Path) -> bool:
    """Tell whether a file starts with a JSON object (GeoJSON) rather than CSV text."""
    with open_binary(path) as stream:
        head = stream.read(4096)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{")


def feature_properties(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(feature number, properties)`` of a GeoJSON file, streaming (used to scan dates).

    Raises
    ------
    InputError
        When the file is not a GeoJSON FeatureCollection or Feature.
    """
    features = stream_features(Path(path))
    try:
        for index, feature in enumerate(features, start=1):
            properties = feature.get("properties") if isinstance(feature, dict) else None
            yield index, with_feature_id(feature, properties if isinstance(properties, dict) else {})
    finally:
        features.close()  # type: ignore[attr-defined]


def with_feature_id(feature: Any, properties: dict[str, Any]) -> dict[str, Any]:
    """The properties, with the Feature's own ``id`` member (RFC 7946, 3.2) as an ``id`` property.

    A publisher that numbers its features gives each one an ``id`` beside its properties; read as a
    property, it identifies the feature like a CSV file's id column. An ``id`` property of the
    feature's own wins (it comes first, and is kept).
    """
    feature_id = feature.get("id") if isinstance(feature, dict) else None
    if isinstance(feature_id, bool) or not isinstance(feature_id, (str, int)) or "id" in properties:
        return properties
    return {**properties, "id": feature_id}


def feature_raw(feature: Any) -> str:
    """Return a feature's JSON text, kept as the raw text of its row."""
    try:
        return json.dumps(feature, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(feature)


def property_text(value: Any) -> str:
    """Return a property value as the text of a cell (numbers as written by ``repr``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def point_of(geometry: Any) -> tuple[tuple[float, float] | None, str | None]:
    """Return ((lat, lon), None) for a valid Point, (None, None) for no geometry, or (None, reason)."""
    if geometry is None:
        return None, None
    if not isinstance(geometry, dict):
        return None, "geometry must be an object"
    kind = geometry.get("type")
    if kind in ("Polygon", "MultiPolygon"):
        return _site_outline_point(geometry)
    if kind != "Point":
        return None, f"geometry type {kind!r} is not supported: only Point features (or a site's outline) are events"
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        return None, "a Point needs coordinates [longitude, latitude]"
    lon, lat = coords[0], coords[1]
    if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in (lon, lat)):
        return None, "Point coordinates must be numbers"
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None, "Point coordinates must be finite"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        hint = " (GeoJSON order is [longitude, latitude])" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        return None, f"Point [{lon}, {lat}] is out of range{hint}"
    return (float(lat), float(lon)), None


#: A Polygon at most this wide (km, its bounding box's diagonal) is a site's outline: the event is at
#: a point inside it. A wider one is an area (a district, a region), not a site.
SITE_OUTLINE_MAX_KM = 5.0


def _site_outline_point(geometry: dict[str, Any]) -> tuple[tuple[float, float] | None, str | None]:
    """A point inside a site's outline (a Polygon drawn around a depot, a plant), or why not."""
    try:
        outline = shape(geometry)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        return None, f"{geometry.get('type')} coordinates are not a valid outline ({exc})"
    if outline.is_empty or not outline.is_valid:
        return None, f"{geometry.get('type')} is empty or not a valid outline (it crosses itself?)"
    west, south, east, north = outline.bounds
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        return None, f"{geometry.get('type')} lies out of range (GeoJSON order is [longitude, latitude])"
    middle = math.cos(math.radians((south + north) / 2))
    across = math.hypot((north - south) * 111.2, (east - west) * 111.2 * middle)
    if across > SITE_OUTLINE_MAX_KM:
        return None, (
            f"a {geometry.get('type')} {across:,.0f} km across is an area, not a site (an outline is read as the "
            f"event's point only up to {SITE_OUTLINE_MAX_KM:g} km): give the event a Point"
        )
    inside = outline.representative_point()
    return (round(inside.y, 6), round(inside.x, 6)), None


def feature_parts(
    path: str, line: int, feature: Any
) -> tuple[str, dict[str, Any], tuple[float, float] | None] | RejectedRecord:
    """Split a feature into its raw JSON, its properties and its point, or reject it.

    Parameters
    ----------
    path : str
        The file, for messages.
    line : int
        The feature's number (index + 1).
    feature : object
        One element of the ``features`` array.

    Returns
    -------
    tuple or RejectedRecord
        ``(raw, properties, point)`` (point None without geometry), or the rejection of a value
        that is not a Feature, whose properties are not an object or whose geometry is not a
        valid Point.
    """
    raw = feature_raw(feature)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return rejected(path, line, raw, None, "not a GeoJSON Feature object")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return rejected(path, line, raw, "properties", "properties must be an object")
    point, problem = point_of(feature.get("geometry"))
    if problem:
        return rejected(path, line, raw, "geometry", problem)
    return raw, with_feature_id(feature, properties), point


class _JsonStream:
    """Incremental JSON tokenizer over a UTF-8 byte stream, enough to walk a FeatureCollection."""

    def __init__(self, path: Path, stream: BinaryIO) -> None:
        self.path = path
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.buffer = ""
        self.pos = 0
        self.consumed = 0
        self.eof = False
        self.json = json.JSONDecoder()

    def _fill(self, size: int = CHUNK_BYTES) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(size)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.path}: not valid UTF-8 near byte {self.consumed + exc.start}",
                hint="GeoJSON must be UTF-8 (RFC 7946); re-save the file as UTF-8",
            ) from None
        self.consumed += len(chunk)
        self.eof = not chunk
        self.buffer = self.buffer[self.pos :] + text
        self.pos = 0
        return True

    def peek(self) -> str:
        """Return the next non-space character ('' at end of file)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"expected {char!r} but found {found or 'end of file'!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value, reading more input until it is complete."""
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buffer, self.pos)
            except RecursionError:
                error = self.error("values nested too deeply (thousands of levels)")
                error.hint = "this is not a plausible GeoJSON export; check where the file came from"
                raise error from None
            except json.JSONDecodeError as exc:
                if len(self.buffer) - self.pos > 4 * FIELD_LIMIT:
                    raise self.error("a single JSON value is larger than 64 MB") from None
                # Read as much again as is pending, so a big feature costs O(n log n), not O(n^2).
                if not self._fill(max(CHUNK_BYTES, len(self.buffer) - self.pos)):
                    raise self.error(f"invalid JSON ({exc.msg})") from None
                continue
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buffer) and not self.eof and self.buffer[self.pos] not in '{["':
                self._fill()
                continue
            self.pos = end
            return value

    def error(self, message: str) -> InputError:
        return InputError(f"{self.path}: not a GeoJSON FeatureCollection: {message}")


def stream_features(path: Path) -> Iterator[Any]:
    """Open a GeoJSON file and return its features lazily (raises InputError when it is no JSON object)."""
    stream = open_binary(path)
    reader = _JsonStream(path, stream)
    try:
        first = reader.peek()
    except BaseException:
        stream.close()
        raise
    if first != "{":
        stream.close()
        raise reader.error("the file does not start with a JSON object" if first else "the file is empty")
    return _walk_collection(reader, stream)


def _walk_collection(reader: _JsonStream, stream: BinaryIO) -> Iterator[Any]:
    """Yield the elements of the top-level ``features`` array one by one (or a lone Feature)."""
    with stream:
        reader.expect("{")
        members: dict[str, Any] = {}
        saw_features = False
        while reader.peek() != "}":
            if members or saw_features:
                reader.expect(",")
            key = reader.value()
            if not isinstance(key, str):
                raise reader.error("object keys must be strings")
            reader.expect(":")
            if key == "features" and reader.peek() == "[":
                saw_features = True
                yield from _walk_array(reader)
            else:
                members[key] = reader.value()
        reader.expect("}")
        if reader.peek():
            raise reader.error("extra data after the top-level object")
        if saw_features:
            return
        if members.get("type") == "Feature":
            yield members
            return
        raise reader.error("no 'features' array (expected a FeatureCollection or a Feature)")


def _walk_array(reader: _JsonStream) -> Iterator[Any]:
    reader.expect("[")
    first = True
    while reader.peek() != "]":
        if not first:
            reader.expect(",")
        first = False
        yield reader.value()
    reader.expect("]")
