"""Compose a map from the database: select events, facilities and regions, hand them to ``maps``.

``maps/`` never sees a database; this module is the bridge the CLI (``strikedb map``) and the
demo share.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from events.errors import InputError
from maps.style import DEFAULT_TITLE

# geopandas, folium (maps.render) and the geocoder are imported where they are used: the CLI imports
# this module at start-up, and only `strikedb map` / `strikedb demo` need them.
if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from sqlalchemy import Engine

    from events.selection import EventFilter
    from maps.runtime import StrikeMap


def regions_for(events: gpd.GeoDataFrame, countries: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Return the admin-1 regions of the countries on the map (all of them would bloat the file).

    Parameters
    ----------
    events : geopandas.GeoDataFrame
        Selected events (their ``country`` column decides the regions when ``countries`` is empty).
    countries : tuple of str
        ISO 3166-1 alpha-2 codes the user filtered on.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``country``, ``admin1``, ``geometry``.
    """
    from events import geo

    wanted = set(countries) or {c for c in events["country"].dropna().unique()}
    regions = geo.admin1_regions()
    return regions[regions["country"].isin(wanted)].reset_index(drop=True)


def basemap() -> gpd.GeoDataFrame:
    """Return the bundled country outlines used as the offline basemap."""
    import geopandas as gpd

    from events import geo

    with resources.as_file(geo.countries_path()) as file:
        return gpd.read_file(file)


def describe_filter(flt: EventFilter) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """Say what a selection kept, for the map's "made with" list and its legend.

    Parameters
    ----------
    flt : EventFilter

    Returns
    -------
    filters : list of (str, str)
        Each option given and its value, e.g. ``("--min-confidence", "likely")``.
    left_out : dict
        ``{"conf": levels, "ft": facility types}`` that the selection excluded.
    """
    from events import vocab

    filters: list[tuple[str, str]] = []
    if flt.since:
        filters.append(("--since", flt.since.isoformat()))
    if flt.until:
        filters.append(("--until", flt.until.isoformat()))
    if flt.min_confidence:
        filters.append(("--min-confidence", flt.min_confidence))
    if flt.countries:
        filters.append(("--country", ", ".join(flt.countries)))
    if flt.facility_types:
        filters.append(("--facility-type", ", ".join(flt.facility_types)))
    if flt.bbox:
        filters.append(("--bbox", ",".join(f"{v:g}" for v in flt.bbox)))
    if flt.where:
        filters.append(("--where", flt.where))
    left_out: dict[str, list[str]] = {}
    if flt.min_confidence:
        kept = vocab.levels_at_or_above(flt.min_confidence)
        left_out["conf"] = [level for level in vocab.CONFIDENCE_LEVELS if level not in kept]
    if flt.facility_types:
        left_out["ft"] = [t for t in (*vocab.FACILITY_TYPES, "unknown") if t not in flt.facility_types]
    return filters, left_out


def make_map(
    engine: Engine,
    flt: EventFilter | None = None,
    *,
    offline: bool = True,
    title: str = DEFAULT_TITLE,
    with_facilities: bool = True,
    with_regions: bool = True,
) -> StrikeMap:
    """Select from the database and build the folium map.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Preferably read-only (``--where`` is raw SQL); the selection runs read-only anyway.
    flt : EventFilter, optional
        Which events to draw; all when omitted.
    offline : bool
        True (default): inline every script, so the file needs no network. False: link them
        from a CDN (pinned, with integrity hashes). Either way the bundled outlines are the
        basemap and online tiles an optional layer.
    title : str
        Shown on the map and as the page title.
    with_facilities, with_regions : bool
        Include the facilities layer and the strikes-per-region layer.

    Returns
    -------
    maps.render.StrikeMap

    Raises
    ------
    InputError
        When the selected data cannot be drawn.
    """
    from events.rail import select_geometries
    from events.selection import EventFilter, select_events, select_facilities
    from maps.errors import MapDataError
    from maps.render import build_map

    flt = flt or EventFilter()
    events = select_events(engine, flt)
    facilities = (
        select_facilities(engine, countries=flt.countries, facility_types=flt.facility_types, bbox=flt.bbox)
        if with_facilities
        else None
    )
    geometries = (
        select_geometries(engine, countries=flt.countries, facility_types=flt.facility_types)
        if with_facilities
        else None
    )
    regions = regions_for(events, flt.countries) if with_regions and len(events) else None
    filters, left_out = describe_filter(flt)
    try:
        return build_map(
            events,
            facilities=facilities,
            geometries=geometries,
            regions=regions,
            basemap=basemap(),
            offline=offline,
            title=title,
            filters=filters,
            left_out=left_out,
        )
    except MapDataError as exc:
        raise InputError(f"cannot draw the selected events: {exc}") from exc


def check_output(out: Path) -> None:
    """Raise :class:`InputError` unless ``out`` can be created (checked before any work is done)."""
    if not out.parent.exists():
        raise InputError(f"directory {out.parent} does not exist", hint="create it or choose another --out path")


def save_map(strike_map: StrikeMap, out: Path) -> int:
    """Write the map to ``out`` atomically and return its size in bytes.

    Raises
    ------
    InputError
        When the directory is missing or the file cannot be written.
    """
    from maps.render import write_map

    check_output(out)
    try:
        return write_map(strike_map, out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from exc
