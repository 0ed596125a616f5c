"""The layout of the code, checked: imports point one way, no cycle, no private name crosses a module.

Read from the source with :mod:`ast` (nothing is imported), so the checks see every import,
including the ones inside functions, and every use of a private name (``module._name``,
``from module import _name``, ``setattr(module, "_name", ...)`` and ``"module._name"`` strings
given to ``monkeypatch``), also from tests, benchmarks and scripts. ``docs/architecture.md`` draws
the floors that :data:`FLOORS` lists.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("events", "maps")
#: Longest module of events/ and maps/, in lines.
MAX_LINES = 600

#: Floors of the library, lowest first: a module may import its own floor and the floors below,
#: never one above. A name is a module or a package (then it covers everything below it); the
#: longest matching name decides.
FLOORS: dict[str, int] = {
    # 0: the base: schema, engines, run records, plain records, vocabularies, errors, text folding.
    **dict.fromkeys(
        ["events", "events.models", "events.db", "events.migrate", "events.runs", "events.health",
         "events.records", "events.values", "events.vocab", "events.errors", "events.text", "events.sqlguard",
         "events.pgroles", "events.counters"],
        0,
    ),
    # 1: the parts, each one job: readers, validators, geocoding, grading, dedup and linking rules, maps.
    **dict.fromkeys(
        ["events.readers", "events.validate", "events.geo", "events.grading", "events.confidence",
         "events.publishers", "events.speakers", "events.dedup", "events.evidence", "events.linking", "events.rail",
         "events.lines", "events.revisions", "maps"],
        1,
    ),
    # 2: the jobs: the ingest pipeline, facilities, analysis, event operations, exports, maps from the database.
    **dict.fromkeys(
        ["events.ingest", "events.facilities", "events.analysis", "events.export", "events.eventops",
         "events.mergesplit", "events.publisher_ops", "events.duplicates", "events.backup", "events.selection",
         "events.mapping", "events.demo"],
        2,
    ),
    # 3: the command line.
    "events.cli": 3,
}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted(p for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


@cache
def library_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in _python_files(*PACKAGES)}


def _absolute(current: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = current.split(".")
    if library_modules().get(current, Path()).name != "__init__.py":
        package = package[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


@cache
def imports_of(path: Path) -> tuple[frozenset[str], tuple[tuple[int, str], ...]]:
    """The library modules a file imports (at any depth) and the private names it uses from them."""
    modules = library_modules()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    current = _module_name(path)
    targets: set[str] = set()
    private: list[tuple[int, str]] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    targets.add(alias.name)
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(current, node)
            if target.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    # ``from package import module`` depends on the module, not on the rest of the package.
                    targets.add(f"{target}.{alias.name}")
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
                else:
                    targets.add(target)
                    if _private(alias.name):
                        private.append((node.lineno, f"from {target} import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if _private(node.attr):
                private.append((node.lineno, f"{aliases[node.value.id]}.{node.attr}"))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "setattr", "getattr", "delattr",
        ):  # fmt: skip
            module, name = [*node.args, None, None][:2]
            if (
                isinstance(module, ast.Name)
                and module.id in aliases
                and isinstance(name, ast.Constant)
                and _private(str(name.value))
            ):
                private.append((node.lineno, f"{aliases[module.id]}.{name.value}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value:
            head, _, last = node.value.rpartition(".")
            if head in modules and _private(last):
                private.append((node.lineno, node.value))
    return frozenset(t for t in targets if t in modules and t != current), tuple(private)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def floor_of(module: str) -> int | None:
    parts = module.split(".")
    # ``events`` names the package's ``__init__`` only: every module of it must be placed itself.
    for end in range(len(parts), 1 if parts[0] == "events" else 0, -1):
        floor = FLOORS.get(".".join(parts[:end]))
        if floor is not None:
            return floor
    return FLOORS.get(module)


def import_graph() -> dict[str, frozenset[str]]:
    return {name: imports_of(path)[0] for name, path in library_modules().items()}


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_even_through_imports_inside_functions() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert cycles(graph) == [["a", "b", "c"]]


def test_every_library_module_has_a_floor() -> None:
    assert [name for name in library_modules() if floor_of(name) is None] == []


def test_imports_point_down_the_floors() -> None:
    upward = [
        f"{name} (floor {floor_of(name)}) imports {target} (floor {floor_of(target)})"
        for name, targets in import_graph().items()
        for target in sorted(targets)
        if (floor_of(target) or 0) > (floor_of(name) or 0)
    ]
    assert upward == []


def test_maps_never_import_the_orm_or_a_session() -> None:
    allowed = {"events.vocab"}
    offenders = {
        name: sorted(t for t in targets if not t.startswith("maps") and t not in allowed)
        for name, targets in import_graph().items()
        if name.startswith("maps")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    for path in _python_files("maps"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        roots = {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        assert "sqlalchemy" not in roots, path


@pytest.mark.parametrize("folder", ["events", "maps", "tests", "bench", "scripts", "migrations"])
def test_no_private_name_is_used_outside_its_module(folder: str) -> None:
    used = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _python_files(folder)
        for line, what in imports_of(path)[1]
    ]
    assert used == []


def test_no_library_module_is_over_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in library_modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
