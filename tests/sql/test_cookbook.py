"""Every SQL block of docs/sql-cookbook.md runs on both backends, read-only, and returns rows.

Also checks, from the query plans, that the indexed radius and date-range forms of the cookbook
really use the R*Tree / GiST and B-tree indexes (plans, not timings: timings live in bench/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from events import analysis
from events.db import distance_km, make_engine
from events.facilities import import_bundled
from events.ingest import ingest_file
from tests.analysis_fixtures import KIRISHI, add_sample_data
from tests.facilities.test_rail import rail_events_csv

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "sql-cookbook.md"
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
        found.append(
            Recipe(
                title=title,
                sql=sql,
                backend=backend[1] if backend else None,
                params=dict(item.split("=", 1) for item in params[1].split()) if params else {},
                data=data[1] if data else None,
            )
        )
    return found


RECIPES = recipes()

#: The rail lines of the three rail strikes of tests/facilities/test_rail.py.
RAIL_LINES = {
    "Kharkiv - Lozova - Sloviansk - Kostiantynivka railway",
    "Rostov-on-Don - Crimean Bridge - Dzhankoi railway",
    "Voronezh - Liski - Millerovo - Rostov-on-Don main line",
}
#: What each recipe returns on the sample data, on both backends: its columns, number of rows, the values of
#: its first column and the total of each numeric column (see :func:`totals`). A new recipe needs its entry here.
EXPECTED: dict[str, tuple[list[str], int, set[str], dict[str, float]]] = {
    "1": (
        ["month", "strikes", "confirmed", "likely_or_better"],
        3,
        {"2025-03", "2025-04", "2025-05"},
        {"strikes": 10.0, "confirmed": 3.0, "likely_or_better": 6.0},
    ),
    "2": (
        ["name", "country", "admin1", "capacity_mtpa", "strikes", "confirmed_strikes", "first_strike", "last_strike"],
        5,
        {
            "KINEF Kirishi refinery",
            "Novoshakhtinsk refinery",
            "Ryazan refinery",
            "Tuapse refinery",
            "Volgograd refinery",
        },
        {"capacity_mtpa": 64.9, "strikes": 7.0, "confirmed_strikes": 2.0},
    ),
    "3": (
        ["month", "facilities_hit", "capacity_hit_mtpa", "country_capacity_mtpa", "percent_of_capacity"],
        3,
        {"2025-03", "2025-04", "2025-05"},
        {"facilities_hit": 4.0, "capacity_hit_mtpa": 49.2, "country_capacity_mtpa": 194.7, "percent_of_capacity": 75.8},
    ),
    "4": (
        ["public_id", "event_date", "facility_name", "location_text", "confidence", "km"],
        3,
        {"SDB-T01", "SDB-T02", "SDB-T08"},
        {"km": 4.5},
    ),
    "5": (
        ["public_id", "event_date", "facility_name", "location_text", "confidence", "km"],
        3,
        {"SDB-T01", "SDB-T02", "SDB-T08"},
        {"km": 4.5},
    ),
    "6": (
        ["public_id", "event_date", "facility_name", "location_text", "confidence", "km"],
        3,
        {"SDB-T01", "SDB-T02", "SDB-T08"},
        {"km": 4.5},
    ),
    "7": (
        ["strikes"],
        1,
        {"7"},
        {"strikes": 7.0},
    ),
    "8": (
        ["public_id", "event_date", "location_text", "claim_status", "confidence"],
        6,
        {"SDB-T02", "SDB-T05", "SDB-T06", "SDB-T08", "SDB-T09", "SDB-T10"},
        {},
    ),
    "9": (
        ["country", "strikes", "confirmed", "likely", "possible", "unverified"],
        2,
        {"RU", "UA"},
        {"strikes": 10.0, "confirmed": 3.0, "likely": 3.0, "possible": 2.0, "unverified": 2.0},
    ),
    "10": (
        ["facility_slug", "facility_name", "months_struck", "strikes", "first_month", "last_month"],
        2,
        {"ru-kirishi-kinef", "ru-tuapse"},
        {"months_struck": 2.0, "strikes": 4.0},
    ),
    "11": (
        ["slug", "name", "facility_type", "country", "capacity_mtpa", "capacity_mw"],
        1,
        {"ru-tikhoretsk-depot"},
        {},
    ),
    "12": (
        ["public_id", "location_text", "nearest_facility", "km"],
        1,
        {"SDB-T08"},
        {"km": 4.5},
    ),
    "13": (
        ["best_source_publisher", "events", "first_event"],
        4,
        {'=HYPERLINK("http://evil")', "Kyiv Independent", "Leningrad Oblast governor", "Maxar"},
        {"events": 4.0},
    ),
    "14": (
        ["grade", "confidence", "events"],
        10,
        {"A1", "A2", "B2", "B3", "C6", "E5", "F3", "ungraded"},
        {"events": 10.0},
    ),
    "15": (
        ["region", "month", "strikes"],
        6,
        {"(unknown)", "Krasnodar Krai", "Leningrad Oblast", "Rostov Oblast", "Ryazan Oblast", "Volgograd Oblast"},
        {"strikes": 8.0},
    ),
    "16": (
        ["month", "facilities_hit", "capacity_hit_mw", "country_capacity_mw", "share_capacity"],
        2,
        {"2025-04", "2025-05"},
        {"facilities_hit": 2.0, "capacity_hit_mw": 4200.0, "country_capacity_mw": 8400.0, "share_capacity": 1.0},
    ),
    "17": (
        ["public_id", "event_date", "facility_name", "confidence", "best_source_url"],
        7,
        {"SDB-T04", "SDB-T05", "SDB-T06", "SDB-T07", "SDB-T08", "SDB-T09", "SDB-T10"},
        {},
    ),
    "18": (
        ["rail_line", "month", "strikes", "farthest_km_from_line"],
        3,
        RAIL_LINES,
        {"strikes": 3.0, "farthest_km_from_line": 4.6},
    ),
    "19": (
        ["rail_line", "event_date", "public_id", "km_along_line", "nearest_station", "km_to_station", "km_off_line"],
        3,
        RAIL_LINES,
        {"km_along_line": 1063.1, "km_to_station": 19.1, "km_off_line": 4.7},
    ),
    "20": (
        ["position", "name", "km_from_start", "latitude", "longitude"],
        11,
        {"0", "1", "10", "2", "3", "4", "5", "6", "7", "8", "9"},
        {"position": 55.0, "km_from_start": 3409.2, "latitude": 502.5, "longitude": 410.3},
    ),
}


def totals(columns: list[str], rows: list[tuple]) -> dict[str, float]:
    """The total of each numeric column (``None`` cells left out), rounded to 0.1."""
    found = {}
    for i, name in enumerate(columns):
        cells = [row[i] for row in rows if row[i] is not None]
        if cells and all(isinstance(c, (int, float, Decimal)) and not isinstance(c, bool) for c in cells):
            found[name] = round(sum(float(c) for c in cells), 1)
    return found


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
    number = recipe.title.split(".")[0]
    assert number in EXPECTED, f"{recipe.title!r} has no expected result in EXPECTED"
    expected_columns, expected_rows, first_values, expected_totals = EXPECTED[number]
    assert columns == expected_columns
    assert len(rows) == expected_rows, rows
    assert {str(row[0]) for row in rows} == first_values
    assert totals(columns, rows) == expected_totals, rows


def add_rail_sample(engine, tmp_path: Path) -> None:
    """The bundled gazetteer and three rail strikes (tests/facilities/test_rail.py)."""
    import_bundled(engine)
    ingest_file(engine, rail_events_csv(tmp_path))


def test_radius_recipes_agree_with_python(sample_url: str) -> None:
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


def test_indexed_recipes_use_their_indexes(sample_url: str) -> None:
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
