"""The facility gazetteer: read facility lists, merge them into the database, link events to them.

Reading is pure (:func:`read_facilities` yields :class:`FacilityRecord` or
:class:`events.records.RejectedRecord`); writing is :func:`import_facilities`, one transaction per
file. Supported inputs:

* the bundled gazetteer schema (``events/data/facilities.csv``; aliases pipe-separated),
* OpenStreetMap-style tags (``power=plant|substation``, ``industrial=refinery``,
  ``plant:output:electricity``...) in GeoJSON, GeoPackage or CSV,
* the WRI Global Power Plant Database (``gppd_idnr``, ``capacity_mw``...) and GEM trackers,
* the NETL GOGI refinery schema (``MD_Country``, ``Operator``, ``Type``...), GeoJSON or flattened CSV,
* plain CSV/JSON lists with ``name``, ``lat``/``lon`` and a capacity column.

The parts, in the order a facility list goes through them:

* :mod:`events.facilities.read`: files into rows (container and schema detection);
* :mod:`events.facilities.record`: one row into a normalised :class:`FacilityRecord`;
* :mod:`events.facilities.units`: capacity texts and unit conversions (pure);
* :mod:`events.facilities.store`: the merge rule and the import (``strikedb facilities import``);
* :mod:`events.facilities.query`: listing and showing stored facilities;
* :mod:`events.facilities.link`: linking stored events to facilities again (``strikedb facilities match``);
* :mod:`events.facilities.capacity`: the estimate of capacity taken offline (imported on its own:
  it needs pandas, which the other commands do not).
"""

from __future__ import annotations

from events.facilities.link import MatchReport, match_events
from events.facilities.query import get_facility, line_stations, list_facilities
from events.facilities.read import FORMATS, bundled_path, bundled_rail_path, detect_schema, read_facilities
from events.facilities.record import FacilityRecord, to_record
from events.facilities.store import MERGE_RADIUS_KM, FacilityImportReport, find_match, import_bundled, import_facilities

__all__ = [
    "FORMATS",
    "MERGE_RADIUS_KM",
    "FacilityImportReport",
    "FacilityRecord",
    "MatchReport",
    "bundled_path",
    "bundled_rail_path",
    "detect_schema",
    "find_match",
    "get_facility",
    "import_bundled",
    "import_facilities",
    "line_stations",
    "list_facilities",
    "match_events",
    "read_facilities",
    "to_record",
]
