"""The import rules of ARCHITECTURE.md's code map, read from the table and checked against the code.

A row names a unit (`model.py`, `languages/<lang>.py`, `server/`) and what it may depend on: other units (in
backticks, ending in `.py` or `/`) and non-standard libraries (in backticks, bare names; `sqlite3` counts as one).
``check`` returns every problem as a sentence: an import the table does not allow, a module no row names, an import
cycle between modules (run-time imports, function-local ones included), a cycle in the table itself, and a broken
invariant (``INVARIANTS``: what some units must never import, whatever the table says).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from .imports import Import, module_name, package_imports

PACKAGE = "isg_lsp"
LIBRARIES_CHECKED = frozenset({"sqlite3"})  # standard modules that count as dependencies all the same
INVARIANTS = {
    # "server/ knows no SQL": SQL is reached through Engine.run_sql
    "server/": {"sqlite3", "sqlquery.py", "store.py"},
    # "analysis knows no LSP" (nor MCP, nor SQL)
    "analysis/": {"lsprotocol", "pygls", "mcp", "sqlite3", "sqlquery.py", "store.py", "server/"},
    # the engine and everything under it know nothing of LSP
    "engine.py": {"lsprotocol", "pygls", "mcp", "server/", "analysis/"},
    "graph.py": {"lsprotocol", "pygls", "mcp", "sqlite3"},
    "model.py": {"lsprotocol", "pygls", "mcp", "sqlite3", "tree_sitter"},
}


@dataclass
class Rule:
    unit: str  # as written in the table: `server/`, `model.py`
    allowed: set[str] = field(default_factory=set)  # units and libraries


def read_table(architecture: Path) -> dict[str, Rule]:
    """The code map's rows: unit → what it may depend on."""
    text = architecture.read_text(encoding="utf-8")
    section = text.split("## Code map", 1)[1].split("\n## ", 1)[0]
    rules: dict[str, Rule] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        unit = cells[0].strip("`")
        if unit.endswith(".scm"):
            continue
        rules[unit] = Rule(unit, set(re.findall(r"`([^`]+)`", cells[2])))
    return rules


def unit_of(module: str, rules: dict[str, Rule]) -> str | None:
    """The table row a dotted module name falls under, or None."""
    parts = module.split(".")[1:]  # without the package
    if not parts:
        return "__init__.py"
    candidates = ["/".join(parts) + ".py", "/".join(parts) + "/__init__.py"]
    for i in range(len(parts), 0, -1):
        candidates.append("/".join(parts[:i]) + "/")
    if len(parts) == 2:
        candidates.append(parts[0] + "/<lang>.py")
    for candidate in candidates:
        if candidate in rules:
            return candidate
    return None


def _library(imported: str) -> str | None:
    """A non-standard (or checked standard) library's name, else None."""
    top = imported.split(".")[0]
    if top == PACKAGE:
        return None
    if top in LIBRARIES_CHECKED or top not in sys.stdlib_module_names:
        return top
    return None


def check(root: Path, architecture: Path) -> list[str]:
    """Every way the package in ``root`` breaks the table of ``architecture`` (empty: none)."""
    rules = read_table(architecture)
    rules.setdefault("__init__.py", Rule("__init__.py"))
    problems: list[str] = []
    imports = package_imports(root)
    modules = {module_name(root, p) for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    for module in sorted(modules):
        if unit_of(module, rules) is None:
            problems.append(f"{module} is not in ARCHITECTURE.md's code map: add a row saying what it may depend on")
    for imp in imports:
        problems.extend(_check_import(imp, rules))
    problems.extend(_check_invariants(rules))
    problems.extend(_module_cycles(imports))
    problems.extend(_table_cycles(rules))
    return problems


def _check_import(imp: Import, rules: dict[str, Rule]) -> list[str]:
    unit = unit_of(imp.importer, rules)
    if unit is None:
        return []
    where = f"{imp.importer}:{imp.line}"
    library = _library(imp.imported)
    if library is not None:
        forbidden = INVARIANTS.get(unit, set())
        if library in forbidden:
            return [f"{where} imports {library}, which {unit} must never import (an invariant of ARCHITECTURE.md)"]
        if library not in rules[unit].allowed:
            return [f"{where} imports {library}, which ARCHITECTURE.md does not allow {unit}"]
        return []
    if not imp.imported.startswith(PACKAGE):
        return []
    target = unit_of(imp.imported, rules)
    if target is None or target == unit or target == "__init__.py":
        return []
    if target in INVARIANTS.get(unit, set()):
        return [f"{where} imports {imp.imported}, which {unit} must never import (an invariant of ARCHITECTURE.md)"]
    if target not in rules[unit].allowed:
        return [f"{where} imports {imp.imported} ({target}), which ARCHITECTURE.md does not allow {unit}"]
    return []


def _check_invariants(rules: dict[str, Rule]) -> list[str]:
    return [
        f"ARCHITECTURE.md lets {unit} depend on {name}, which breaks an invariant"
        for unit, forbidden in INVARIANTS.items()
        if unit in rules
        for name in sorted(rules[unit].allowed & forbidden)
    ]


def _module_cycles(imports: list[Import]) -> list[str]:
    """Cycles between modules through imports that run (type-only imports never do)."""
    graph = nx.DiGraph()
    for imp in imports:
        if not imp.type_only and imp.imported.startswith(PACKAGE) and imp.imported != imp.importer:
            graph.add_edge(imp.importer, imp.imported)
    return [f"import cycle: {' -> '.join(c + [c[0]])}" for c in _cycles(graph)]


def _table_cycles(rules: dict[str, Rule]) -> list[str]:
    """The table must layer the code: no unit may depend on itself through others."""
    graph = nx.DiGraph()
    for unit, rule in rules.items():
        for other in rule.allowed:
            if other in rules:
                graph.add_edge(unit, other)
    return [f"ARCHITECTURE.md's code map has a dependency cycle: {' -> '.join(c + [c[0]])}" for c in _cycles(graph)]


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    found = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            found.append([edge[0] for edge in cycle])
    return sorted(found)
