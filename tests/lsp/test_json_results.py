"""The answers sent as JSON text (``P.JsonText``: whoImplements, callers, callees, blastRadius) read back as exactly
what the converter makes of their attrs results (``P.WhoImplementsResult``, ...), the classes docs/protocol.md
documents."""

from __future__ import annotations

import dataclasses
import json

import pytest

from isg_lsp.analysis import Analysis, heuristic_count
from isg_lsp.engine import Engine
from isg_lsp.model import Edge, EdgeKind, NodeKind, Resolution
from isg_lsp.server import convert
from isg_lsp.server import protocol as P
from tests.helpers import FIXTURES

WORKSPACES = ["rust/demo", "rust/multi", "java/demo", "typescript/shop", "python/shop", "go/demo", "mixed/poly"]


@pytest.fixture(scope="module", params=WORKSPACES)
def folder(request):
    engine = Engine(FIXTURES / request.param, persist=False)
    engine.index()
    return engine, Analysis(engine), convert.Locator(engine.root)


def test_every_node_and_answer_in_json_form_is_what_the_converter_writes(folder):
    engine, analysis, locator = folder
    unstructure = P.converter_factory().unstructure
    nodes = sorted(engine.graph.nodes.values(), key=lambda n: (n.fqp, n.id))
    assert any(n.external for n in nodes) and any(not n.external for n in nodes)
    for node in nodes:
        assert locator.node_json(node) == unstructure(locator.isg_node(node))
        assert json.loads(locator.node_text(node)) == unstructure(locator.isg_node(node))
        assert locator.node_text(node) is locator.node_text(node)        # written once per node object
    asked = stops = 0
    for node in nodes:
        if node.external:
            continue
        targets = [node]
        if node.kind in (NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.FUNCTION):
            related = analysis.implementors(targets, True)
            expected = P.WhoImplementsResult(locator.isg_nodes(targets), locator.with_edges(related),
                                             heuristic_count(related))
            assert json.loads(locator.who_implements_text(targets, related)) == unstructure(expected)
            expected.notes = ["target: a \"quoted\" note", "é"]
            assert (json.loads(locator.who_implements_text(targets, related, expected.notes))
                    == unstructure(expected))
        if node.kind is NodeKind.FUNCTION:
            for related, unresolved in ((analysis.callers(targets, True), None),
                                        (analysis.callees(targets, True), analysis.unresolved_calls(targets))):
                expected_calls = convert.calls_result(locator, targets, related, unresolved)
                assert json.loads(locator.calls_text(targets, related, unresolved)) == unstructure(expected_calls)
                notes = ["target: f (2 symbols)"]
                expected_calls = convert.calls_result(locator, targets, related, unresolved, notes)
                assert (json.loads(locator.calls_text(targets, related, unresolved, notes))
                        == unstructure(expected_calls))
                asked += bool(related)
        for direction in ("up", "down"):
            for through_hubs in (False, True):
                radius = analysis.impact(targets, depth=3, direction=direction, limit=7, through_hubs=through_hubs)
                stops += bool(radius.stopped)
                assert (json.loads(locator.blast_radius_text(analysis, targets, radius))
                        == unstructure(locator.blast_radius(analysis, targets, radius)))
    assert asked, "no function with callers or callees: the comparison proved nothing"
    # the fixtures' hubs and external nodes leave nothing behind them: stops written by hand as well
    radius = next(r for r in (analysis.impact([n], depth=2) for n in nodes if not n.external) if r.impacted)
    stopped = dataclasses.replace(radius, impacted=[dataclasses.replace(i, stop=True) for i in radius.impacted],
                                  stopped=radius.impacted[:1])
    assert stops or stopped.stopped
    assert (json.loads(locator.blast_radius_text(analysis, [nodes[0]], stopped))
            == unstructure(locator.blast_radius(analysis, [nodes[0]], stopped)))


def test_edge_json_leaves_out_absent_optional_fields():
    unstructure = P.converter_factory().unstructure
    edge = Edge(b"a" * 16, EdgeKind.CALLS, b"b" * 16)
    for variant in (edge, dataclasses.replace(edge, resolution=Resolution.HEURISTIC, candidates=3),
                    dataclasses.replace(edge, derived=True)):
        assert convert.edge_json(variant) == unstructure(convert.edge_info(variant))
        assert json.loads(convert.edge_text(variant)) == convert.edge_json(variant)
    assert set(convert.edge_json(edge)) == {"kind", "resolution"}


def test_a_node_changed_by_an_edit_is_written_anew(folder):
    engine, _analysis, locator = folder
    node = next(n for n in engine.graph.nodes.values() if not n.external and n.span)
    first = json.loads(locator.node_text(node))
    moved = dataclasses.replace(node, span=(node.span[0] + 1, 0, node.span[2] + 1, 0))
    assert json.loads(locator.node_text(moved))["location"]["range"]["start"]["line"] == node.span[0] + 1
    assert first["location"]["range"]["start"]["line"] == node.span[0]
