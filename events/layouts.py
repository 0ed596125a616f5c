"""The input layouts strikedb recognises, and the columns that tell them apart.

Constants only (no reading): :mod:`events.readers` detects a file's layout from its header or
GeoJSON properties, :mod:`events.formats` reads the dataset layouts, and :mod:`events.parse`
accepts their column names as ``--map`` targets.
"""

from __future__ import annotations

#: ``--format`` values; ``auto`` detects the layout from the file's content.
INPUT_FORMATS: tuple[str, ...] = ("auto", "csv", "acled", "ucdp", "geojson")

#: Human names of the layouts, for the ingest summary.
LAYOUT_NAMES = {
    "csv": "strikedb CSV",
    "acled": "ACLED export",
    "ucdp": "UCDP GED",
    "geojson": "GeoJSON features",
}

#: Columns whose presence identifies a dataset (after lower-casing the header).
ACLED_SIGNATURE = frozenset({"event_id_cnty", "event_date"})
UCDP_SIGNATURE = frozenset({"relid", "date_start", "where_prec"})

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
UCDP_COLUMNS: tuple[str, ...] = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id", "conflict_new_id",
    "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a",
    "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates", "where_description",
    "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
    "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)  # fmt: skip

#: Canonical field -> the dataset column that holds it, for ``--map COLUMN=FIELD`` on datasets.
ACLED_FIELD_COLUMNS = {
    "event_id": "event_id_cnty",
    "date": "event_date",
    "latitude": "latitude",
    "longitude": "longitude",
    "country": "country",
    "admin1": "admin1",
    "location": "location",
    "description": "notes",
    "publisher": "source",
}
UCDP_FIELD_COLUMNS = {
    "event_id": "relid",
    "date": "date_start",
    "latitude": "latitude",
    "longitude": "longitude",
    "country": "country",
    "admin1": "adm_1",
    "location": "where_coordinates",
    "publisher": "source_office",
    "source_title": "source_headline",
    "source_date": "source_date",
}
#: Dataset column names accepted as ``--map`` targets.
DATASET_COLUMNS = frozenset(ACLED_COLUMNS) | frozenset(UCDP_COLUMNS)


def identify(names: list[str] | tuple[str, ...]) -> str:
    """Tell the layout from a header or a GeoJSON feature's property names.

    Parameters
    ----------
    names : list of str
        Column or property names as written.

    Returns
    -------
    str
        ``acled``, ``ucdp`` or ``csv`` (the canonical layout, with synonyms and ``--map``).
    """
    lowered = {name.replace("\ufeff", "").strip().lower() for name in names}
    if lowered >= ACLED_SIGNATURE:
        return "acled"
    if lowered >= UCDP_SIGNATURE:
        return "ucdp"
    return "csv"
