"""Golden tests: the Rust fixtures' whole graphs, every node and edge kind, reviewed line by line."""

from __future__ import annotations

import pytest

from isg_lsp.engine import Engine
from isg_lsp.model import EdgeKind, NodeKind

from tests.helpers import FIXTURES, GOLDEN, check_golden, dump


@pytest.mark.parametrize("fixture", ["demo", "multi"])
def test_rust_fixture_matches_golden(fixture):
    engine = Engine(FIXTURES / "rust" / fixture, persist=False)
    engine.index()
    check_golden(dump(engine.graph), GOLDEN / f"rust-{fixture}.txt")


def test_fixtures_cover_every_node_and_edge_kind():
    kinds, edges = set(), set()
    for fixture in ("demo", "multi"):
        engine = Engine(FIXTURES / "rust" / fixture, persist=False)
        engine.index()
        kinds |= {n.kind for n in engine.graph.nodes.values() if not n.external}
        edges |= {e.kind for e in engine.graph.edges()}
    assert kinds == set(NodeKind)
    # EXTENDS is for classes and interfaces: Rust has none (supertraits are BOUND_BY, per the spec)
    assert edges == set(EdgeKind) - {EdgeKind.EXTENDS}
