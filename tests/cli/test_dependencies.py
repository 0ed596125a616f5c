"""Every third-party module the code imports is a declared dependency of the extra it belongs to.

deptry reads ``pyproject.toml``. Two runs, because the rule differs by folder:

* the library (``events/``, ``maps/``, ``migrations/``, ``scripts/``) may import runtime dependencies only:
  a test-only package imported there (DEP004), an undeclared one (DEP001), one that only arrives through
  another package (DEP003, the way ``click`` broke fresh installs) or a declared one nothing uses (DEP002)
  fails; the configuration is ``[tool.deptry]``;
* ``tests/`` and ``bench/`` may import runtime and ``test``/``bench`` dependencies; undeclared or transitive
  imports fail. Unused-dependency checks (DEP002) belong to the first run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _deptry(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deptry", *args, "--no-ansi"], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_library_imports_only_declared_runtime_dependencies() -> None:
    result = _deptry(".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_and_benchmarks_import_only_declared_dependencies() -> None:
    # tests/ is excluded by deptry's defaults and bench/ by [tool.deptry]; name them and reset the excludes.
    result = _deptry(
        "tests", "bench", "--exclude", r"\.venv|build|dist", "--ignore", "DEP002",
        "--optional-dependencies-dev-groups", "fuzz",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Scanning" in result.stderr + result.stdout
