"""Property: any sequence of per-file changes leaves the graph equal to a fresh index of the final files."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp.engine import Engine
from isg_lsp.graph import Graph
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
        engine.update_file(rel, None if text is None else text.encode())
        assert engine.graph.snapshot() == fresh_graph(engine, texts).snapshot(), (rel, choice)


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
