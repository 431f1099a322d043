"""Helpers shared by the tests: fixture locations, real code installed by the test command, golden files.

Golden files: a readable dump of a graph, compared line by line.

Refresh with `UPDATE_GOLDEN=1 python3 -m pytest tests/...` and review the diff before committing.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from isg_lsp.export import triple
from isg_lsp.graph import Graph


FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
CARGO_REGISTRY = Path("/usr/share/cargo/registry")


def debian_crate(name: str) -> Path:
    """The source folder of a crate from Debian's librust-<name>-dev package (installed by .ci/test.sh)."""
    found = sorted(glob.glob(str(CARGO_REGISTRY / f"{name}-[0-9]*")))
    if not found:
        pytest.fail(f"crate {name} is not installed: run the test command (bash .ci/test.sh), which installs "
                    f"librust-{name.replace('_', '-')}-dev")
    return Path(found[-1])


def node(graph, fqp, kind=None):
    """The workspace node with this FQP (and kind); fails the test when there is none."""
    found = [n for n in graph.by_fqp(fqp) if not n.external and (kind is None or n.kind is kind)]
    assert found, f"no workspace node {fqp}"
    return found[0]


def out(graph, fqp, kind, resolution=False):
    """The targets of `kind` edges from every workspace node with this FQP (overloads share one), as FQPs, or
    as (FQP, resolution) pairs."""
    node(graph, fqp)
    edges = [e for src in graph.by_fqp(fqp) if not src.external for e in graph.successors(src.id, (kind,))]
    if resolution:
        return {(graph.nodes[e.dst].fqp, e.resolution.value) for e in edges}
    return {graph.nodes[e.dst].fqp for e in edges}


def dump(graph: Graph) -> str:
    lines = []
    for node in sorted(graph.nodes.values(), key=lambda n: (n.fqp, n.kind.value, n.signature)):
        where = f"{node.file}:{node.span[0] + 1}" if node.file and node.span else "external"
        lines.append(f"N [{node.kind.value}] {node.fqp} | {node.signature} | {where}")
    edges = []
    for edge in graph.edges():
        marks = edge.resolution.value
        if edge.candidates is not None and edge.resolution.value == "heuristic":
            marks += f" {edge.candidates}"
        if edge.derived:
            marks += " derived"
        edges.append(f"E {triple(graph, edge)} ({marks})")
    lines.extend(sorted(edges))
    return "\n".join(lines) + "\n"


def check_golden(actual: str, path: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, "utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            raise AssertionError(f"golden file {path} did not exist; written now: review and commit it")
        return
    expected = path.read_text("utf-8")
    if actual != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path), "actual"))
        raise AssertionError(f"extraction differs from {path} (UPDATE_GOLDEN=1 refreshes it):\n{diff[:6000]}")
