"""Header → column plan: the canonical columns, their synonyms, ``--map``, and where each column goes.

Headers are matched case-, space- and underscore-insensitively, with synonyms (``lat``, ``lng``,
``event_date``, ``url``...) and a user ``column_map``; unknown columns go to ``extra``. Dataset
exports (ACLED, UCDP) keep their own column names: :func:`dataset_header` applies ``--map`` to them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from events.errors import InputError
from events.readers.dates import DateRules
from events.readers.layouts import DATASET_COLUMNS

#: Fields describing one source; they may be numbered (``source_url_2``, ``publisher_2``...).
#: ``geolocation_url`` links geolocated footage or imagery of the strike: it becomes a source of
#: type ``imagery`` (which raises the claim status to ``confirmed_by_imagery``, see events.grading).
SOURCE_FIELDS: tuple[str, ...] = (
    "source_url",
    "publisher",
    "source_title",
    "source_date",
    "archived_url",
    "geolocation_url",
)

#: Columns of the canonical CSV format, in template order (``strikedb ingest --template``).
CANONICAL_COLUMNS: tuple[str, ...] = (
    "event_id",
    "date",
    "time",
    "location",
    "latitude",
    "longitude",
    "facility",
    "facility_type",
    "country",
    "admin1",
    "attack_type",
    "effect",
    "damage_level",
    "description",
    "claim_status",
    "source_reliability",
    "info_credibility",
    *SOURCE_FIELDS,
)

#: Extra targets accepted by ``--map``: keep the column in ``extra`` or drop it.
MAP_KEYWORDS: tuple[str, ...] = ("extra", "ignore")

# Header spellings accepted for each canonical column, after normalisation (see _norm_header).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Id columns of published event logs and datasets (see docs/ingest.md, "Identity").
    "event_id": (
        "id",
        "external_id",
        "ref",
        "reference",
        "uid",
        "event_ref",
        "entry",
        "entry_id",
        # A row number: "No.", "№" (NFKC: "No"), "Nr", "#", "№ п/п", "Номер".
        "no",
        "nr",
        "no_п_п",
        "номер",
        "entry_no",
        "eventid",
        "event_no",
        "event_number",
        "event_id_cnty",
        "relid",
        "record_id",
        "incident_id",
        "incident_no",
        "uuid",
        "guid",
        "row_id",
        "report_id",
    ),
    "date": ("event_date", "data", "day", "date_reported", "incident_date", "дата"),
    "time": ("event_time", "time_utc", "ora", "время", "час"),
    "location": (
        "location_text",
        "place",
        "place_name",
        "luogo",
        "locality",
        "city",
        "town",
        "where",
        "место",
        "місце",
        "населенный_пункт",
        "населений_пункт",
        "город",
        "місто",
    ),
    "latitude": ("lat", "y", "lat_dd", "latitudine", "широта"),
    "longitude": ("lon", "lng", "long", "x", "lon_dd", "longitudine", "долгота", "довгота"),
    "coordinates": ("coords", "coord", "latlon", "lat_lon", "lat_long", "latlong", "coordinate", "coordinate_s"),
    # A tracker of one kind of site names the column after it ("Refinery": "Ryazan").
    "facility": (
        "facility_name",
        "target",
        "site",
        "title",
        "name",
        "asset",
        "obiettivo",
        "объект",
        "об_єкт",
        "refinery",
        "plant",
        "нпз",
        "нефтебаза",
        "нафтобаза",
    ),
    "facility_type": ("target_type", "asset_type", "site_type", "object_type", "tipo_obiettivo"),
    "country": ("country_code", "iso2", "iso3", "iso", "paese", "nation", "страна", "країна"),
    "admin1": ("region", "oblast", "province", "state", "regione", "регион", "область"),
    "attack_type": ("type", "weapon", "weapon_type", "means", "tipo", "attack", "method", "attack_method"),
    "effect": ("effects", "outcome", "result", "consequence", "esito"),
    "damage_level": ("damage", "damage_assessment", "danni"),
    "description": (
        "notes",
        "note",
        "details",
        "summary",
        "descrizione",
        "comment",
        "comments",
        "описание",
        "опис",
    ),
    "claim_status": ("verification", "verified", "status", "claim", "verification_status", "verifica"),
    "source_reliability": ("reliability", "admiralty", "admiralty_code", "admiralty_grade", "grade"),
    "info_credibility": ("information_credibility", "credibility"),
    "source_url": (
        "source",
        "url",
        "link",
        "source_link",
        "sources",
        "source_urls",
        "fonte",
        "источник",
        "джерело",
        "ссылка",
        "посилання",
    ),
    "publisher": ("outlet", "source_name", "source_publisher", "publisher_name", "media", "editore"),
    "source_title": ("headline", "article_title"),
    "source_date": ("published", "published_date", "publication_date", "date_published"),
    "archived_url": ("archived", "archive", "archive_url", "archive_link", "wayback", "archivio"),
    "geolocation_url": (
        "geolocation",
        "geolocation_link",
        "geolocated",
        "geolocated_url",
        "geoloc",
        "geolocation_source",
        "geolocalizzazione",
        "геолокация",
        "геолокація",
    ),
}
_HEADER_TO_FIELD: dict[str, str] = {}
for _field, _names in _SYNONYMS.items():
    _HEADER_TO_FIELD[_field] = _field
    for _name in _names:
        _HEADER_TO_FIELD[_name] = _field
_NUMBERED = re.compile(r"^(?P<base>.+?)_?(?P<n>\d+)$")


def template_header() -> str:
    """Return the header-only template line of the canonical CSV format.

    Returns
    -------
    str
        The canonical column names joined by commas, without a line terminator.

    Examples
    --------
    >>> template_header().split(",")[:3]
    ['event_id', 'date', 'time']
    """
    return ",".join(CANONICAL_COLUMNS)


def _norm_header(name: str) -> str:
    """Normalise a column name: BOM, case, accents, spaces/punctuation → single underscores."""
    text = unicodedata.normalize("NFKC", name.replace("\ufeff", "")).strip().lower()
    if text == "#":  # a row number ("#" alone would otherwise normalise to nothing, like a blank header)
        return "no"
    return re.sub(r"[\W_]+", "_", text).strip("_")


def _is_map_target(target: str) -> bool:
    if target in CANONICAL_COLUMNS or target in MAP_KEYWORDS or target == "coordinates":
        return True
    if target in DATASET_COLUMNS:  # ACLED / UCDP column names, for --map with those formats
        return True
    m = _NUMBERED.match(target)
    return bool(m and m["base"] in SOURCE_FIELDS)


def parse_column_map(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Parse ``--map`` options of the form ``column=field``.

    Parameters
    ----------
    items : list of str
        E.g. ``["Datum=date", "Breite=latitude", "Kommentar=ignore"]``. The column is matched
        against the file's header case- and space-insensitively; the field must be one of
        :data:`CANONICAL_COLUMNS`, ``coordinates`` (one ``lat, lon`` cell), a numbered source field
        (``source_url_2``), ``extra`` (keep the column in ``extra``) or ``ignore``.

    Returns
    -------
    dict
        Input column name → target field.

    Raises
    ------
    InputError
        For an item without ``=``, an empty side, an unknown field or a column mapped twice.
    """
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        column, target = column.strip(), _norm_header(target)
        if not sep or not column or not target:
            raise InputError(f"--map {item!r} is not of the form column=field", hint="e.g. --map 'Datum=date'")
        if not _is_map_target(target):
            raise InputError(
                f"--map {item!r}: unknown field {target!r}",
                hint=f"fields: {', '.join(CANONICAL_COLUMNS)}, coordinates, extra, ignore",
            )
        if column in mapping:
            raise InputError(f"--map names column {column!r} twice")
        mapping[column] = target
    return mapping


@dataclass
class ColumnPlan:
    """Where each input column goes.

    Attributes
    ----------
    fields : dict
        Canonical field (or ``coordinates``) → column index.
    sources : dict
        Source group number (0 for unnumbered) → {source field → column index}.
    extra : list of (int, str)
        Column index and name of columns kept in ``extra``.
    names : list of str
        The header as written, for messages.
    """

    fields: dict[str, int]
    sources: dict[int, dict[str, int]]
    extra: list[tuple[int, str]]
    names: list[str]
    #: How the file's dates are read (day/month order decided once per file), set by the reader.
    dates: DateRules | None = None


#: Text fields whose exactly named column wins over columns that are only synonyms of them.
_TEXT_FIELDS = frozenset({"description", "location", "facility"})


def _target_of(normalised: str) -> tuple[str, int] | None:
    """Map a normalised header to (field, source group) or None for an unknown column."""
    if normalised in _HEADER_TO_FIELD:
        return _HEADER_TO_FIELD[normalised], 0
    m = _NUMBERED.match(normalised)
    if m and _HEADER_TO_FIELD.get(m["base"]) in SOURCE_FIELDS:
        return _HEADER_TO_FIELD[m["base"]], int(m["n"])
    return None


def plan_columns(
    path: Path | str, header: list[str], column_map: dict[str, str] | None = None, *, located: bool = False
) -> ColumnPlan:
    """Decide where each column goes and check that the required ones are there.

    Parameters
    ----------
    path : Path or str
        For messages.
    header : list of str
        Column names as written in the file (or GeoJSON property names).
    column_map : dict, optional
        From :func:`parse_column_map`: input column → field, ``extra`` or ``ignore``.
    located : bool
        True when positions come from elsewhere (GeoJSON geometry): no location column needed.

    Returns
    -------
    ColumnPlan
        The mapping.

    Raises
    ------
    InputError
        When a ``column_map`` column is not in the header, two columns map to the same field,
        or ``date`` or every location column (coordinates, location, facility) is missing.
    """
    overrides = _resolve_overrides(path, header, column_map or {})
    explicit = {field_name for field_name, _group in overrides.values()}
    fields: dict[str, int] = {}
    sources: dict[int, dict[str, int]] = {}
    extra: list[tuple[int, str]] = []
    extra_names: set[str] = set()  # a set kept in step: rebuilding it per column was quadratic (100k columns)
    # A column named exactly as a text field ("description") holds it; another column that is only
    # a synonym of it ("notes") is then kept as extra data, not a conflict. (Two columns for a date,
    # a coordinate or a source stay a conflict: which one is right is not for the reader to choose.)
    norms = [_norm_header(name) for name in header]
    named = {norm: index for index, norm in enumerate(norms) if norm in _TEXT_FIELDS}
    for index, name in enumerate(header):
        target = overrides.get(index) or _target_of(norms[index])
        if (
            target is not None
            and index not in overrides
            and target[1] == 0
            and named.get(target[0], index) != index
            and target[0] not in explicit
        ):
            extra.append((index, _extra_name(name, index, extra_names)))
            continue
        if target == ("ignore", 0):
            continue
        if target is None or target == ("extra", 0):
            extra.append((index, _extra_name(name, index, extra_names)))
            continue
        field_name, group = target
        slot = sources.setdefault(group, {}) if field_name in SOURCE_FIELDS else fields
        if field_name == "event_id" and index not in overrides and (field_name in slot or "event_id" in explicit):
            # Several id-like columns ("id" and "entry"): the first one (or the one chosen with
            # --id-column / --map) identifies the rows, the others are kept as extra data.
            extra.append((index, _extra_name(name, index, extra_names)))
            continue
        if field_name in slot:
            raise InputError(
                f"{path}: columns {header[slot[field_name]]!r} and {name!r} both map to {field_name!r}",
                hint=f"keep one with e.g. --map '{name}=ignore' (or '{name}=extra')",
            )
        slot[field_name] = index
    plan = ColumnPlan(fields, dict(sorted(sources.items())), extra, list(header))
    _check_required(path, plan, located=located)
    return plan


def id_column_of(plan: ColumnPlan) -> str | None:
    """Return the header name of the column that identifies the rows (mapped to ``event_id``), or None."""
    index = plan.fields.get("event_id")
    return None if index is None else plan.names[index]


def _resolve_overrides(path: Path | str, header: list[str], column_map: dict[str, str]) -> dict[int, tuple[str, int]]:
    by_name = {_norm_header(name): index for index, name in enumerate(header)}
    overrides: dict[int, tuple[str, int]] = {}
    for column, target in column_map.items():
        index = by_name.get(_norm_header(column))
        if index is None:
            raise InputError(
                f"{path}: --map names column {column!r}, which is not in the header",
                hint=f"the header is: {', '.join(repr(h) for h in header)}",
            )
        m = _NUMBERED.match(target)
        if target not in CANONICAL_COLUMNS and m and m["base"] in SOURCE_FIELDS:
            overrides[index] = (m["base"], int(m["n"]))
        else:
            overrides[index] = (target, 0)
    return overrides


def _extra_name(name: str, index: int, taken: set[str]) -> str:
    base = name.replace("\ufeff", "").strip() or f"column_{index + 1}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _check_required(path: Path | str, plan: ColumnPlan, *, located: bool = False) -> None:
    have = set(plan.fields)
    missing: list[str] = []
    if "date" not in have:
        missing.append("date (or event_date, data)")
    if ("latitude" in have) != ("longitude" in have):
        missing.append("longitude" if "latitude" in have else "latitude")
    if not located and not have & {"latitude", "coordinates", "location", "facility"}:
        missing.append("latitude+longitude, coordinates, location or facility")
    if missing:
        raise InputError(
            f"{path}: required columns missing: {'; '.join(missing)}. Found: "
            + ", ".join(repr(name) for name in plan.names),
            hint="rename the columns (see `strikedb ingest --template`) or map them, e.g. --map 'Datum=date'",
        )


def dataset_header(
    path: str | Path, header: list[str], column_map: dict[str, str] | None, fields: dict[str, str], name: str
) -> list[str]:
    """Return a dataset file's column names, lower-cased, with ``--map`` applied.

    Parameters
    ----------
    path : str or Path
        For messages.
    header : list of str
        Column (or property) names as written.
    column_map : dict, optional
        Input column -> canonical field (translated to the dataset's column, e.g. ``date`` ->
        ``event_date`` for ACLED), a dataset column name, ``extra`` or ``ignore``.
    fields : dict
        Canonical field -> the dataset's column.
    name : str
        The dataset's name, for messages.

    Returns
    -------
    list of str
        One name per column; ignored columns are ``""``.

    Raises
    ------
    InputError
        For a mapped column not in the header, a field the dataset has no column for, or two
        columns mapped to one.
    """
    lowered = [h.replace("\ufeff", "").strip().lower() for h in header]
    if not column_map:
        return lowered
    result = list(lowered)
    by_name = {" ".join(h.replace("_", " ").split()): i for i, h in enumerate(lowered)}
    for column, target in column_map.items():
        index = by_name.get(" ".join(column.strip().lower().replace("_", " ").split()))
        if index is None:
            raise InputError(
                f"{path}: --map names column {column!r}, which is not in the header",
                hint=f"the header is: {', '.join(repr(h) for h in header)}",
            )
        if target == "ignore":
            result[index] = ""
        elif target == "extra":
            interpreted = lowered[index] in DATASET_COLUMNS
            result[index] = f"{header[index].strip()} (kept as extra)" if interpreted else header[index].strip()
        elif target in fields or target in DATASET_COLUMNS:
            result[index] = fields.get(target, target)
        else:
            raise InputError(
                f"--map {column}={target}: a {name} file has no column for {target!r}",
                hint=f"map to one of {', '.join(sorted(fields))}, a {name} column name, extra or ignore",
            )
    named = [n for n in result if n]
    doubled = sorted({n for n in named if named.count(n) > 1})
    if doubled:
        raise InputError(
            f"{path}: after --map, several columns are called {', '.join(map(repr, doubled))}",
            hint="map the other column to ignore or extra",
        )
    return result


def plan_date_columns(
    path: str | Path, names: list[str], column_map: dict[str, str] | None, *, located: bool
) -> list[str]:
    """Return the names (as written) of the columns holding dates, for the date-order scan.

    Parameters
    ----------
    path, column_map
        As for :func:`dataset_header`.
    names : list of str
        The header (or GeoJSON property names) as written.
    located : bool
        As for :func:`plan_columns`.

    Returns
    -------
    list of str
        The event date column and the source date columns; none when the header does not plan
        (the reader reports that problem itself).
    """
    try:
        plan = plan_columns(path, names, column_map, located=located)
    except InputError:
        return []  # the reader reports the header problem itself
    indexes = [plan.fields["date"]] if "date" in plan.fields else []
    indexes += [slots["source_date"] for slots in plan.sources.values() if "source_date" in slots]
    return [names[i] for i in indexes]
