"""The isg/* requests of docs/protocol.md, with targets named by FQP, by SigHash and by a document position."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from .conftest import doc, open_document, position_of, request

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHAPE = "demo_crate::shapes::Shape"
CIRCLE = "demo_crate::shapes::circle::Circle"
SQUARE = "demo_crate::shapes::Square"


async def test_who_implements_by_fqp_id_and_position(client: LanguageClient):
    by_fqp = await request(client, "isg/whoImplements", {"fqp": SHAPE})
    assert [t.fqp for t in by_fqp.target] == [SHAPE]
    assert [i.node.fqp for i in by_fqp.implementors] == sorted([CIRCLE, SQUARE])
    assert {i.edge.kind for i in by_fqp.implementors} == {"IMPL"}
    assert by_fqp.heuristicCount == 0
    node = by_fqp.target[0]
    assert len(node.id) == 32 and node.kindName == "trait" and node.location.uri.endswith("src/shapes/mod.rs")

    by_id = await request(client, "isg/whoImplements", {"id": node.id})
    assert by_id.implementors == by_fqp.implementors

    uri = open_document(client, "src/lib.rs")
    by_position = await request(client, "isg/whoImplements", {
        "textDocument": {"uri": uri}, "position": _pos(position_of(client, "src/lib.rs", "impl Shape", 6))})
    assert [t.fqp for t in by_position.target] == [SHAPE]

    method = await request(client, "isg/whoImplements", {"fqp": SHAPE + "::area"})
    assert sorted(i.node.fqp for i in method.implementors) == sorted([
        f"<{CIRCLE} as {SHAPE}>::area", f"<{SQUARE} as {SHAPE}>::area"])


async def test_derived_implementations_are_marked(client: LanguageClient):
    result = await request(client, "isg/search", {"pattern": "Clone", "kinds": ["T"]})
    assert result.total == 0                                      # Clone is external: not listed by search
    who = await request(client, "isg/blastRadius", {"fqp": CIRCLE, "direction": "down", "depth": 1,
                                                     "edgeKinds": ["IMPL"]})
    assert {i.node.fqp for i in who.impacted} >= {SHAPE, "Clone", "Copy", "Debug"}


async def test_callers_and_callees_count_heuristic_edges(client: LanguageClient):
    callers = await request(client, "isg/callers", {"fqp": SHAPE + "::area"})
    # `self.items.iter().map(|s| s.area())` (an iterator adapter's item): a guess; `helper`'s
    # `unit_circle().area()` follows unit_circle's declared return type to Circle's area (issue #16)
    assert [c.node.fqp for c in callers.calls] == ["demo_crate::Registry::total", SHAPE + "::scaled"]
    assert callers.heuristicCount == 1
    circle = await request(client, "isg/callers", {"fqp": CIRCLE + "::area", "includeHeuristic": False})
    assert [(c.node.fqp, c.edge.resolution) for c in circle.calls] == [("demo_crate::helper", "import")]
    assert {c.edge.resolution for c in callers.calls} == {"heuristic", "exact"}
    assert all(c.edge.candidates == 3 for c in callers.calls if c.edge.resolution == "heuristic")
    strict = await request(client, "isg/callers", {"fqp": SHAPE + "::area", "includeHeuristic": False})
    assert [c.node.fqp for c in strict.calls] == [SHAPE + "::scaled"] and strict.heuristicCount == 0

    callees = await request(client, "isg/callees", {"fqp": "demo_crate::Registry::total"})
    assert "demo_crate::util::sum" in [c.node.fqp for c in callees.calls]
    assert isinstance(callees.unresolved, list)


async def test_blast_radius(client: LanguageClient):
    result = await request(client, "isg/blastRadius", {"fqp": SHAPE, "depth": 2})
    impacted = {i.node.fqp: i for i in result.impacted}
    assert impacted[SQUARE].distance == 1 and impacted[SQUARE].via == "IMPL"
    assert impacted[SQUARE].path == [SHAPE, SQUARE]
    assert impacted["demo_crate::boxed"].via == "ACCEPTS"
    assert result.total == len(result.impacted) and not result.truncated
    assert sum(m.count for m in result.byModule) == result.total
    assert sum(k.count for k in result.byKind) == result.total
    limited = await request(client, "isg/blastRadius", {"fqp": SHAPE, "depth": 2, "limit": 1})
    assert len(limited.impacted) == 1 and limited.truncated and limited.total == result.total
    down = await request(client, "isg/blastRadius", {"fqp": "demo_crate::helper", "direction": "down"})
    assert "demo_crate::shapes::unit_circle" in {i.node.fqp for i in down.impacted}
    with pytest.raises(JsonRpcInvalidParams, match="depth"):
        await request(client, "isg/blastRadius", {"fqp": SHAPE, "depth": 11})
    with pytest.raises(JsonRpcInvalidParams, match="edge kind"):
        await request(client, "isg/blastRadius", {"fqp": SHAPE, "edgeKinds": ["NOPE"]})


async def test_cycles_search_and_stats(client: LanguageClient):
    cycles = await request(client, "isg/cycles", {"level": "module"})
    assert [c.members for c in cycles.cycles] == [["demo_crate::shapes", "demo_crate::shapes::circle"]]
    assert cycles.cycles[0].example[0] == cycles.cycles[0].example[-1]

    found = await request(client, "isg/search", {"pattern": "area", "kinds": ["function"]})
    assert found.total == 3 and {n.name for n in found.nodes} == {"area"}
    found = await request(client, "isg/search", {"pattern": "*-> f64", "field": "signature"})
    assert {n.name for n in found.nodes} >= {"area", "total", "scaled"}

    stats = await request(client, "isg/stats", {})
    assert stats.state == "ready" and stats.indexed.done == stats.indexed.total == stats.files == 4
    assert stats.nodesByKind.T == 2 and stats.edgesByKind.IMPL >= 4 and stats.byLanguage.rust == 4
    assert stats.unresolvedReferences >= 0 and stats.heuristicEdges == 3
    assert stats.database.persistent and stats.database.path.endswith(".isg/isg.db")
    assert stats.latencyMs.query.count > 0 and stats.latencyMs.query.p99 >= stats.latencyMs.query.p50


async def test_query_sql_and_context_delegate(client: LanguageClient):
    result = await request(client, "isg/query", {"query": f"who-implements {SHAPE}"})
    assert {row.fqp for row in result.rows} == {CIRCLE, SQUARE}
    assert "heuristicCount" in result._fields and "elapsedMs" in result._fields
    triples = await request(client, "isg/query", {"query": f"who-implements {SHAPE}", "format": "triples"})
    assert "IMPL" in triples.triples
    with pytest.raises(JsonRpcInvalidParams, match="column"):
        await request(client, "isg/query", {"query": "no-such-command x"})

    sql = await request(client, "isg/sql", {"sql": "select count(*) from isg_nodes where kind = 'T'"})
    assert sql.columns and sql.rows[0][0] >= 2 and sql.truncated is False
    with pytest.raises(JsonRpcInvalidParams, match="SELECT"):
        await request(client, "isg/sql", {"sql": "delete from nodes"})

    context = await request(client, "isg/context", {"fqp": SHAPE, "budgetTokens": 400})
    assert "IMPL" in context.text and 0 < context.tokens <= 400


async def test_bad_targets_and_params_are_invalid_params(client: LanguageClient):
    with pytest.raises(JsonRpcInvalidParams, match="no node matches demo_crate::Nope"):
        await request(client, "isg/callers", {"fqp": "demo_crate::Nope"})
    with pytest.raises(JsonRpcInvalidParams, match="no node matches"):
        await request(client, "isg/callers", {"id": "0" * 32})
    with pytest.raises(JsonRpcInvalidParams, match="depth"):
        await request(client, "isg/blastRadius", {"fqp": SHAPE, "depth": "deep"})
    with pytest.raises(JsonRpcInvalidParams, match="no target"):
        await request(client, "isg/whoImplements", {})
    stats = await request(client, "isg/stats", {})            # and the server is still serving
    assert stats.state == "ready"


def _pos(position) -> dict:
    return {"line": position.line, "character": position.character}


async def test_targets_as_users_write_them_and_answers_that_say_why(client: LanguageClient):
    """`fqp` takes every form of docs/query-language.md "Targets"; notes state the resolution and why it is empty."""
    public = await request(client, "isg/whoImplements", {"fqp": "demo_crate::Shape"})     # a `pub use` path
    assert [t.fqp for t in public.target] == [SHAPE]
    assert [i.node.fqp for i in public.implementors] == sorted([CIRCLE, SQUARE])
    assert public.notes == ["target: demo_crate::Shape = demo_crate::shapes::Shape (trait, src/shapes/mod.rs:5) "
                            "(a public path)"]
    member = await request(client, "isg/callers", {"fqp": "Circle::area", "includeHeuristic": False})
    assert [t.fqp for t in member.target] == [f"<{CIRCLE} as {SHAPE}>::area"]
    assert [c.node.fqp for c in member.calls] == ["demo_crate::helper"]        # its receiver's type is known
    assert member.notes[1].startswith(f"1 caller of <{CIRCLE} as {SHAPE}>::area ")
    assert member.notes[1].endswith("heuristic edges (guesses by name) and was left out by 'exclude heuristic'")
    debug = await request(client, "isg/whoImplements", {"fqp": "Debug"})                  # externals by name
    assert {t.fqp for t in debug.target} == {"Debug", "std::fmt::Debug"}
    assert {i.node.fqp for i in debug.implementors} == {CIRCLE, "demo_crate::Registry"}
    named = await request(client, "isg/whoImplements", {"fqp": "demo_crate::Named"})
    assert named.implementors == [] and named.notes[0].startswith("nothing in the graph implements demo_crate::Named")
    with pytest.raises(JsonRpcInvalidParams, match="did you mean demo_crate::shapes::Square"):
        await request(client, "isg/callers", {"fqp": "demo_crate::shapes::Sqare"})


async def test_context_with_docs_focus_targets_and_impact_that_stops(client: LanguageClient):
    named = await request(client, "isg/context", {"fqp": "demo_crate::Named", "budgetTokens": 300})
    assert "    /// A named thing." in named.text                           # the doc comment's first paragraph
    both = await request(client, "isg/context", {"fqp": "Circle", "focus": ["helper"], "budgetTokens": 300})
    assert both.text.startswith("# ISG context for Circle = demo_crate::shapes::circle::Circle (struct, "
                                "src/shapes/circle.rs:4); helper = demo_crate::helper")
    only_focus = await request(client, "isg/context", {"focus": ["helper"], "budgetTokens": 200})
    assert "[F] demo_crate::helper: pub fn helper() -> u32" in only_focus.text
    radius = await request(client, "isg/blastRadius", {"fqp": CIRCLE, "direction": "down", "depth": 2})
    stops = {i.node.fqp for i in radius.impacted if i.stop}
    assert {"Clone", "Debug"} <= stops and radius.stoppedAt == []   # external nodes have nothing behind them
    cycles = await request(client, "isg/cycles", {"level": "module", "includeHeuristic": False})
    assert cycles.heuristicCount == 0 and [c.heuristic for c in cycles.cycles] == [False]
    with pytest.raises(JsonRpcInvalidParams, match="no module matches 'nowhere'"):
        await request(client, "isg/cycles", {"within": "nowhere"})
