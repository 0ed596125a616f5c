"""The demo: one call that shows the whole product on the embedded default database.

Creates (or upgrades) the database, loads the bundled facility gazetteer, ingests the bundled
sample events and writes a map. Re-running it is safe: every step is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from events import facilities, ingest, migrate
from events.db import make_engine
from events.facilities import FacilityImportReport
from events.ingest import IngestReport
from events.mapping import check_output, make_map, save_map


@dataclass
class DemoReport:
    """What the demo did."""

    database: str
    revision: str
    facilities: FacilityImportReport
    events: IngestReport
    map_path: Path
    map_bytes: int
    map_summary: dict


def run_demo(url: str | None, out: Path, *, offline: bool = True) -> DemoReport:
    """Build a demo database and map.

    Parameters
    ----------
    url : str, optional
        Database URL; default ``sqlite:///strikes.db``.
    out : Path
        HTML map to write.
    offline : bool
        Write a map that needs no network (default); False links the scripts from a CDN.

    Returns
    -------
    DemoReport
    """
    check_output(out)
    engine = make_engine(url)
    database = engine.url.render_as_string()
    try:
        migrate.upgrade(engine)
        facility_report = facilities.import_bundled(engine)
        event_report = ingest.ingest_file(engine, ingest.sample_events_path())
        reader = make_engine(url, read_only=True)
        try:
            title = "strikedb demo: sample strikes on energy infrastructure"
            strike_map = make_map(reader, offline=offline, title=title)
            migrate.check(reader)
            revision = ", ".join(migrate.current(reader))
        finally:
            reader.dispose()
    finally:
        # Disposed after the reader: a read-only connection cannot remove the -wal and -shm files it
        # needed; the writer's pooled connection, the last to close, checkpoints and removes them.
        engine.dispose()
    size = save_map(strike_map, out)
    return DemoReport(database, revision, facility_report, event_report, out, size, strike_map.summary)
