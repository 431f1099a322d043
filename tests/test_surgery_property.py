"""Property: any sequence of per-file changes leaves the graph equal to a fresh index of the final files."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp import queries
from isg_lsp.engine import Engine
from isg_lsp.graph import Graph
from isg_lsp.model import NodeKind
from isg_lsp.naming import Names
from tests.helpers import FIXTURES

ROOT = FIXTURES / "rust" / "demo"
ORIGINAL = {rel: (ROOT / rel).read_text() for rel in ("src/lib.rs", "src/shapes/mod.rs", "src/shapes/circle.rs",
                                                     "src/util.rs")}
VARIANTS = {
    "src/lib.rs": [
        ORIGINAL["src/lib.rs"],
        ORIGINAL["src/lib.rs"].replace("use crate::shapes::{Shape, Circle as Round};", "use crate::shapes::*;"),
        ORIGINAL["src/lib.rs"].replace("pub fn helper() -> u32 {", "pub fn helper( -> u32 {"),
        "pub mod shapes;\nmod util;\npub trait Shape {}\n",
        # edits inside bodies only: the file declares the same things, its earlier answers are reused
        ORIGINAL["src/lib.rs"].replace("self.items.len()", "self.items.len() + helper() as usize + self.total() as usize"),
        ORIGINAL["src/lib.rs"].replace("util::sum(", "crate::util::sum(").replace("Box::new(", "Box::new(   "),
    ],
    "src/shapes/mod.rs": [
        ORIGINAL["src/shapes/mod.rs"],
        ORIGINAL["src/shapes/mod.rs"].replace("pub use self::circle::Circle;", ""),
        ORIGINAL["src/shapes/mod.rs"].replace("fn area(&self)", "fn surface(&self)"),
        ORIGINAL["src/shapes/mod.rs"] + "\npub struct Circle;\n",
    ],
    "src/shapes/circle.rs": [
        ORIGINAL["src/shapes/circle.rs"],
        ORIGINAL["src/shapes/circle.rs"].replace("impl Shape for Circle", "impl Clone for Circle"),
        "",
    ],
    "src/util.rs": [
        ORIGINAL["src/util.rs"],
        None,   # deleted
        "pub struct Tri;\nimpl crate::shapes::Shape for Tri { fn area(&self) -> f64 { 1.0 } }\n"
        "pub fn sum(x: Vec<f64>) -> f64 { Tri.area() }\n",
        # impls of a type named through shapes/mod.rs's re-export (whose variants remove it, or shadow it): their
        # members are named by the definition path, which another file decides (naming.py)
        "use crate::shapes::Circle;\npub(crate) fn sum(x: Vec<f64>) -> f64 { 0.0 }\n"
        "impl Circle { pub fn grow<T: Into<f64>>(&self, by: T) -> Circle { Circle::new(by.into()) } }\n"
        "impl crate::Named for Circle { type Id = u8; const LIMIT: usize = 1;\n"
        "    fn name(&self) -> String { self.grow(1.0); String::new() } }\n",
    ],
}
FILES = sorted(VARIANTS)


def fresh_graph(engine: Engine, texts: dict[str, str | None]) -> Graph:
    graph = Graph(resolver_for=engine.graph._resolver_for, family_of=engine.graph._family_of)
    graph.load(Names().load(engine.extract(rel, text.encode()) for rel, text in sorted(texts.items())
                            if text is not None))
    return graph


def structure_facts(graph: Graph) -> tuple:
    """What queries derive from the adjacency and kept per graph structure (``queries.structure_memo``): hubs,
    fan-ins, modules, blast radius (its implementing methods by name), as plain values."""
    nodes = graph.nodes
    owners = queries.module_owners(graph)
    radius = {}
    for node in sorted(nodes.values(), key=lambda n: n.id):
        if not node.external and node.kind in (NodeKind.TRAIT, NodeKind.FUNCTION, NodeKind.STRUCT):
            found = queries.blast_radius(graph, [node], depth=3, stop_at_hubs=True)
            radius[node.fqp] = [(i.node.fqp, i.distance, i.via, i.fan_in, i.stop, i.edge.resolution if i.edge else None)
                                for i in found.impacted]
    fan_ins = queries.structure_memo(graph).setdefault("fan_in", {})  # what blast radius reads for hubs
    return (queries.hub_threshold(graph), {n.fqp: queries._fan_in(graph, n.id, fan_ins) for n in nodes.values()},
            {n.fqp: queries.module_of(graph, n) for n in nodes.values()},
            {nodes[k].fqp: nodes[v].fqp for k, v in owners.items()}, radius)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FILES), st.integers(min_value=0, max_value=5)), min_size=1, max_size=8))
def test_any_edit_sequence_equals_a_fresh_index(steps):
    engine = Engine(ROOT, persist=False)
    engine.index()
    texts: dict[str, str | None] = dict(ORIGINAL)
    for rel, choice in steps:
        variants = VARIANTS[rel]
        text = variants[choice % len(variants)]
        texts[rel] = text
        structure_facts(engine.graph)  # memoized before the change: what the change leaves must still be true
        engine.update_file(rel, None if text is None else text.encode())
        fresh = fresh_graph(engine, texts)
        assert engine.graph.snapshot() == fresh.snapshot(), (rel, choice)
        assert structure_facts(engine.graph) == structure_facts(fresh), (rel, choice)


def test_a_body_edit_that_changes_no_relation_keeps_the_structure():
    """An edit inside a body whose references resolve as before leaves every node id and relation: the facts
    memoized per structure (fan-ins, hubs, modules) stay; one that changes a relation empties them."""
    engine = Engine(ROOT, persist=False)
    engine.index()
    graph = engine.graph
    version, structure = graph.version, graph.structure_version
    engine.update_file("src/lib.rs", VARIANTS["src/lib.rs"][5].encode())  # spaces and a path written out
    assert graph.version > version and graph.structure_version == structure
    engine.update_file("src/lib.rs", VARIANTS["src/lib.rs"][4].encode())  # new calls
    assert graph.structure_version > structure


def test_the_fixture_is_unchanged_by_the_property_test():
    assert {rel: (Path(ROOT) / rel).read_text() for rel in ORIGINAL} == ORIGINAL


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from("abc"), st.sampled_from(["x.rs", "y.rs", "z.rs"]))))
def test_the_dependency_index_holds_what_a_dict_of_sets_holds(ops):
    """Graph's key → files index keeps one file as a string and more as a set (graph.KeyFiles)."""
    from isg_lsp.graph import KeyFiles

    index, model = KeyFiles(), {}
    for add, key, path in ops:
        if add:
            index.add(key, path)
            model.setdefault(key, set()).add(path)
        else:
            index.discard(key, path)
            model.get(key, set()).discard(path)
            if key in model and not model[key]:
                del model[key]
        for k in "abc":
            assert set(index.files(k)) == model.get(k, set())
        assert len(index) == len(model)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from("ab"), st.integers(0, 11))))
def test_the_fqp_and_name_indexes_hold_what_a_dict_of_sets_holds(ops):
    """An FQP or name index keeps a few ids as a tuple and more as a set (graph._index_add, _TUPLE_IDS = 8)."""
    from isg_lsp.graph import _discard, _index_add

    index: dict = {}
    model: dict = {}
    for add, key, n in ops:
        node_id = bytes([n])
        if add:
            _index_add(index, key, node_id)
            model.setdefault(key, set()).add(node_id)
        else:
            _discard(index, key, node_id)
            model.get(key, set()).discard(node_id)
            if key in model and not model[key]:
                del model[key]
        assert {k: set(v) for k, v in index.items()} == model
        assert all(len(v) == len(set(v)) for v in index.values())  # no id twice in a tuple
