"""The reader of GeoJSON files: a FeatureCollection of Point features, one event per feature.

The properties are mapped like CSV columns (same synonyms and ``column_map``). The line number of
a feature is its index + 1 and its raw text is the feature's JSON. A site's outline (a Polygon up
to :data:`events.readers.features.SITE_OUTLINE_MAX_KM` across) gives a point inside it; other
geometries are rejected. The file is parsed incrementally, one feature at a time (:mod:`events.readers.features`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from events.errors import InputError
from events.readers.base import Reader, ReadOptions
from events.readers.columns import plan_columns, plan_date_columns
from events.readers.dates import DateRules
from events.readers.features import feature_parts, property_text, stream_features
from events.readers.rows import build_event, rejected
from events.records import EventRecord, RejectedRecord


def read_geojson(
    path: str | Path, *, column_map: dict[str, str] | None = None, dates: DateRules | None = None
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream the Point features of a GeoJSON file as event records.

    Parameters
    ----------
    path : str or Path
        A GeoJSON FeatureCollection (or a single Feature), UTF-8.
    column_map : dict, optional
        Property name → canonical field, as for CSV columns.
    dates : DateRules, optional
        The file's date rules (:mod:`events.readers.dates`); None reads slash dates day first.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        One per feature: ``line_number`` is the feature's index + 1, ``raw`` its JSON.

    Raises
    ------
    InputError
        When the file is not JSON, not GeoJSON, not UTF-8, or the properties lack the required
        fields (checked on the first feature, like a CSV header).
    """
    features = stream_features(Path(path))
    return _geojson_records(str(path), features, column_map, dates)


def _geojson_records(
    path: str, features: Iterator[Any], column_map: dict[str, str] | None, dates: DateRules | None
) -> Iterator[EventRecord | RejectedRecord]:
    plans: dict[tuple[str, ...], Any] = {}
    try:
        for index, feature in enumerate(features):
            yield _feature_record(path, index + 1, feature, plans, column_map, dates)
    finally:
        features.close()  # type: ignore[attr-defined]


def _feature_record(
    path: str,
    line: int,
    feature: Any,
    plans: dict[tuple[str, ...], Any],
    column_map: dict[str, str] | None,
    dates: DateRules | None = None,
) -> EventRecord | RejectedRecord:
    parts = feature_parts(path, line, feature)
    if isinstance(parts, RejectedRecord):
        return parts
    raw, properties, point = parts
    names = tuple(str(key) for key in properties)
    if names not in plans:
        # Each distinct property set is planned once; a failure on the first feature is a file error.
        try:
            plans[names] = plan_columns(path, list(names), column_map, located=True)
        except InputError as exc:
            if line == 1:
                raise
            plans[names] = exc
    plan = plans[names]
    if isinstance(plan, InputError):
        return rejected(path, line, raw, None, f"properties unlike the first feature's: {plan}")
    texts = [property_text(value) for value in properties.values()]
    values = {name: texts[index] for name, index in plan.fields.items()}
    sources = {g: {n: texts[i] for n, i in slots.items()} for g, slots in plan.sources.items()}
    extra = {name: properties[names[index]] for index, name in plan.extra if texts[index].strip()}
    columns = {name: plan.names[index] for name, index in plan.fields.items()}
    return build_event(
        path, line, raw, values, sources, extra, origin="geojson", columns=columns, point=point, dates=dates
    )


def _read(path: str | Path, **options: Unpack[ReadOptions]) -> Iterator[EventRecord | RejectedRecord]:
    # GeoJSON is always UTF-8 and has no delimiter: those options do not apply.
    return read_geojson(path, column_map=options.get("column_map"), dates=options.get("dates"))


READER = Reader(
    name="geojson",
    title="GeoJSON features",
    read=_read,
    date_columns=partial(plan_date_columns, located=True),
    containers=("geojson",),
    show_container=False,
)
