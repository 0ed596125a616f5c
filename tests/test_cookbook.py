"""Every SQL block of docs/sql-cookbook.md runs on both backends, read-only, and returns rows.

Also checks, from the query plans, that the indexed radius and date-range forms of the cookbook
really use the R*Tree / GiST and B-tree indexes (plans, not timings: timings live in bench/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from events import analysis
from events.db import distance_km, make_engine
from events.facilities import import_bundled
from events.ingest import ingest_file
from tests.analysis_fixtures import KIRISHI, add_sample_data, sample_url  # noqa: F401  (fixture)
from tests.test_rail import rail_events_csv

COOKBOOK = Path(__file__).resolve().parents[1] / "docs" / "sql-cookbook.md"
_BLOCK = re.compile(r"^## (?P<title>[^\n]+)$|^```sql\n(?P<sql>.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Recipe:
    title: str
    sql: str
    backend: str | None
    params: dict[str, str]
    #: ``rail``: run on the bundled gazetteer with rail strikes (``-- data: rail``) instead of the sample.
    data: str | None = None


def recipes() -> list[Recipe]:
    """The SQL blocks of the cookbook with their section title, backend and parameters."""
    found: list[Recipe] = []
    title = "?"
    for match in _BLOCK.finditer(COOKBOOK.read_text(encoding="utf-8")):
        if match["title"]:
            title = match["title"]
            continue
        sql = match["sql"]
        backend = re.search(r"^-- backend: (\w+)$", sql, re.MULTILINE)
        params = re.search(r"^-- params: (.+)$", sql, re.MULTILINE)
        data = re.search(r"^-- data: (\w+)$", sql, re.MULTILINE)
        found.append(Recipe(
            title=title,
            sql=sql,
            backend=backend[1] if backend else None,
            params=dict(item.split("=", 1) for item in params[1].split()) if params else {},
            data=data[1] if data else None,
        ))
    return found


RECIPES = recipes()


def test_the_cookbook_has_at_least_ten_portable_questions() -> None:
    assert len({r.title for r in RECIPES if r.backend is None}) >= 10


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.title.split(".")[0] for r in RECIPES])
def test_recipe_runs(db_url: str, tmp_path: Path, recipe: Recipe) -> None:
    writer = make_engine(db_url)
    if recipe.data == "rail":
        add_rail_sample(writer, tmp_path)
    else:
        add_sample_data(writer)
    writer.dispose()
    engine = make_engine(db_url, read_only=True)
    if recipe.backend not in (None, engine.dialect.name):
        engine.dispose()
        pytest.skip(f"{recipe.backend} only")
    columns, rows = analysis.run_query(engine, recipe.sql, recipe.params)
    engine.dispose()
    assert columns
    assert rows, f"{recipe.title!r} returned no rows on the sample data"


def add_rail_sample(engine, tmp_path: Path) -> None:
    """The bundled gazetteer and three rail strikes (tests/test_rail.py)."""
    import_bundled(engine)
    ingest_file(engine, rail_events_csv(tmp_path))


def test_radius_recipes_agree_with_python(sample_url: str) -> None:  # noqa: F811
    """The portable and indexed radius queries return exactly the events within 50 km."""
    engine = make_engine(sample_url, read_only=True)
    with engine.connect() as conn:
        points = conn.execute(text("SELECT public_id, latitude, longitude FROM events")).all()
    expected = sorted(p for p, lat, lon in points if distance_km(*KIRISHI, lat, lon) <= 50)
    assert expected == ["SDB-T01", "SDB-T02", "SDB-T08"]
    for recipe in RECIPES:
        if "within 50 km" in recipe.title and recipe.backend in (None, engine.dialect.name):
            _, rows = analysis.run_query(engine, recipe.sql)
            assert sorted(row[0] for row in rows) == expected, recipe.title
    engine.dispose()


def _recipe(fragment: str) -> Recipe:
    return next(r for r in RECIPES if fragment in r.title)


def _plan(engine, sql: str) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return "\n".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
        # Tiny tables make a sequential scan cheapest; forbid it to see which index the query can use.
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql)))


def test_indexed_recipes_use_their_indexes(sample_url: str) -> None:  # noqa: F811
    engine = make_engine(sample_url, read_only=True)
    date_plan = _plan(engine, _recipe("date range").sql)
    assert "ix_events_event_date" in date_plan
    if engine.dialect.name == "sqlite":
        radius_plan = _plan(engine, _recipe("R*Tree").sql)
        # idxNum 2 is an R*Tree box search; 1 would be a probe by id after scanning events.
        assert "SCAN events_rtree VIRTUAL TABLE INDEX 2:" in radius_plan
        assert "SCAN events\n" not in radius_plan + "\n" and "SCAN e\n" not in radius_plan + "\n"
    else:
        radius_plan = _plan(engine, _recipe("GiST").sql.replace("-- backend: postgresql\n", ""))
        assert "ix_events_geom" in radius_plan
    engine.dispose()
