"""Migration 0008: a generic file's ids are unique per dataset, so (origin, external_id) is not unique."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from events import migrate
from events.db import make_engine, session_scope
from events.models import Event, EventSource, Source

_URLS = itertools.count()


def _event(public_id: str, key: str, external_id: str = "1") -> Event:
    event = Event(
        public_id=public_id,
        event_date=dt.date(2025, 2, 3),
        latitude=50.985,
        longitude=39.491,
        geo_precision="exact",
        geocoded_by="coordinates",
        attack_type="drone",
        claim_status="reported",
        confidence="likely",
        origin="csv",
        external_id=external_id,
        natural_key=key,
        description="Удар дронів по нафтобазі",
    )
    event.source_links.append(EventSource(source=Source(url=f"https://t.me/log/{next(_URLS)}")))
    return event


def _count(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(Event)).scalar_one()
        links = conn.execute(select(func.count()).select_from(EventSource)).scalar_one()
    return events, links


def test_two_datasets_may_share_an_id_and_the_downgrade_says_why_it_cannot(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add_all([_event("SDB-A1", "a" * 64), _event("SDB-B1", "b" * 64), _event("SDB-A2", "c" * 64, "2")])
    with pytest.raises(Exception, match="ids are used by events of several datasets"):
        migrate.downgrade(engine, "0007")
    assert migrate.current(engine) == tuple(migrate.heads())
    assert _count(engine) == (3, 3)
    with engine.begin() as conn:
        conn.execute(delete(Event).where(Event.public_id == "SDB-B1"))
    migrate.downgrade(engine, "0007")
    assert _count(engine) == (2, 2)  # rows and their sources kept
    with pytest.raises(IntegrityError, match="external_id"), session_scope(engine) as session:
        session.add(_event("SDB-B1", "b" * 64))  # the older schema: one event per origin and id
    migrate.upgrade(engine)
    assert migrate.drift(engine) == []
    with session_scope(engine) as session:
        session.add(_event("SDB-B1", "b" * 64))
    assert _count(engine) == (3, 3)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    engine.dispose()
