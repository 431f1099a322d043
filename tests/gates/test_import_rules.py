"""ARCHITECTURE.md's "may depend on" table holds for the code, and the check would see it broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .import_rules import check, read_table

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "isg_lsp"
ARCHITECTURE = REPO / "ARCHITECTURE.md"


def test_the_code_keeps_the_dependency_table_of_architecture_md():
    problems = check(PACKAGE, ARCHITECTURE)
    assert problems == [], "\n".join(problems)


def test_the_table_states_the_invariants():
    rules = read_table(ARCHITECTURE)
    assert "sqlite3" not in rules["server/"].allowed and "sqlquery.py" not in rules["server/"].allowed
    assert not {"lsprotocol", "pygls"} & rules["analysis/"].allowed


# ---- the test of the test: a copy of the package with one deliberate violation each -------------------------


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "isg_lsp"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert check(copy, ARCHITECTURE) == []
    return copy


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_sqlite3_in_the_server_is_caught(package_copy):
    append(package_copy / "server" / "handlers.py", "\n\ndef peek():\n    import sqlite3\n    return sqlite3\n")
    problems = check(package_copy, ARCHITECTURE)
    assert len(problems) == 1 and "isg_lsp.server.handlers" in problems[0] and "sqlite3" in problems[0]
    assert "must never import" in problems[0]


def test_lsp_in_the_analysis_is_caught(package_copy):
    append(package_copy / "analysis" / "text.py", "\nfrom lsprotocol import types  # noqa\n")
    problems = check(package_copy, ARCHITECTURE)
    assert any("isg_lsp.analysis.text" in p and "lsprotocol" in p for p in problems), problems


def test_an_import_the_table_does_not_allow_is_caught(package_copy):
    append(package_copy / "queries.py", "\nfrom .server import convert  # noqa\n")
    problems = check(package_copy, ARCHITECTURE)
    assert any("isg_lsp.queries" in p and "does not allow queries.py" in p for p in problems), problems


def test_a_new_cycle_through_a_function_local_import_is_caught(package_copy):
    append(package_copy / "graph.py", "\n\ndef _late():\n    from . import engine\n    return engine\n")
    problems = check(package_copy, ARCHITECTURE)
    assert any(p.startswith("import cycle:") and "isg_lsp.graph" in p and "isg_lsp.engine" in p for p in problems), (
        problems
    )


def test_a_module_the_table_does_not_name_is_caught(package_copy):
    (package_copy / "newthing.py").write_text("VALUE = 1\n")
    problems = check(package_copy, ARCHITECTURE)
    assert problems == ["isg_lsp.newthing is not in ARCHITECTURE.md's code map: add a row saying what it may depend on"]


def test_a_cycle_written_into_the_table_is_caught(tmp_path):
    text = ARCHITECTURE.read_text(encoding="utf-8").replace(
        "| `graph.py` | the in-memory ISG, symbol tables, per-file surgery, dependency tracking | `model.py` |",
        "| `graph.py` | the in-memory ISG, symbol tables, per-file surgery, dependency tracking | `model.py`, "
        "`engine.py` |",
    )
    edited = tmp_path / "ARCHITECTURE.md"
    edited.write_text(text, encoding="utf-8")
    problems = check(PACKAGE, edited)
    assert any("code map has a dependency cycle" in p and "graph.py" in p for p in problems), problems
