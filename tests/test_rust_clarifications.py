"""ISG-SPEC §1's Rust clarifications, one hand-written fixture per rule (tests/fixtures/rust/*): namespaces,
items written inside macro calls, no stand-ins for workspace items, projections, method-level bounds, impls on
references."""

from __future__ import annotations

import pytest

from isg_lsp.engine import Engine
from isg_lsp.model import EdgeKind, NodeKind
from isg_lsp.queries import find_targets, who_implements
from tests.helpers import FIXTURES, node, out


def indexed(name: str) -> Engine:
    engine = Engine(FIXTURES / "rust" / name, persist=False)
    engine.index()
    return engine


def implementors(graph, name: str) -> set[str]:
    return {r.node.fqp for r in who_implements(graph, find_targets(graph, name))}


# ---- 1. names live in namespaces ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def namespaces():
    return indexed("namespaces").graph


def test_a_derive_macro_reexported_beside_its_trait_never_shadows_it(namespaces):
    graph = namespaces
    everyone = {"ns::json::Json", "ns::json::Form", "ns::json::Multipart"}
    # the trait, through its own path and through every re-export (the macro of the same name is re-exported on
    # the line after the trait's, in the same module, as axum's extract/mod.rs does)
    assert implementors(graph, "ns::core_traits::FromRequest") == everyone
    assert implementors(graph, "ns::extract::FromRequest") == everyone
    assert implementors(graph, "ns::FromRequest") == everyone
    # the derive resolves to the trait, not to the macro re-exported beside it (serde's pattern)
    assert out(graph, "ns::json::Json", EdgeKind.IMPL, resolution=True) >= {
        ("ns::core_traits::Serialize", "import"), ("ns::core_traits::FromRequest", "import")}
    derived = [e for e in graph.successors(node(graph, "ns::json::Json").id, (EdgeKind.IMPL,))
               if graph.nodes[e.dst].fqp == "ns::core_traits::Serialize"]
    assert [e.derived for e in derived] == [True]
    assert implementors(graph, "ns::extract::Serialize") == {"ns::json::Json", "ns::json::Form"}
    # no stand-in for the trait nor for the macros: nothing external carries their names
    externals = {n.fqp for n in graph.nodes.values() if n.external}
    assert not {f for f in externals if f.endswith(("FromRequest", "Serialize", "spawn"))}


def test_a_call_resolves_in_the_value_namespace(namespaces):
    graph = namespaces
    # `pub use task::spawn;` beside `pub use ns_macros::spawn;` (a function and a macro of one name, as tokio)
    assert out(graph, "ns::json::handler", EdgeKind.CALLS) == {"ns::task::spawn"}
    assert out(graph, "ns::task::run", EdgeKind.CALLS) == {"ns::task::spawn"}


def test_module_import_tables_keep_both_bindings(namespaces):
    state = namespaces.files["src/extract.rs"]
    bindings = state.facts.imports["ns::extract"]
    assert bindings["FromRequest"] == ["::ns::core_traits::FromRequest", "ns_macros::FromRequest"]
    assert bindings["Serialize"] == ["::ns::core_traits::Serialize", "ns_derive::Serialize"]


# ---- 2. items written inside item-position macro calls ------------------------------------------------------

@pytest.fixture(scope="module")
def macros():
    engine = Engine(FIXTURES / "rust" / "macros", persist=False)
    report = engine.index()
    return engine.graph, report


def line_of(graph, fqp: str, kind: NodeKind | None = None) -> tuple[str, int]:
    found = node(graph, fqp, kind)
    return found.file, found.span[0] + 1


def test_items_inside_macro_calls_are_nodes_at_their_own_lines(macros):
    graph, _ = macros
    # `cfg_rt! { .. }` at module level, holding a `mod`, a `pub use`, a struct and its impl
    assert line_of(graph, "mtk::runtime::Runtime") == ("src/runtime/mod.rs", 6)
    assert line_of(graph, "mtk::runtime::Runtime::handle") == ("src/runtime/mod.rs", 11)
    # inside an impl block
    assert line_of(graph, "mtk::runtime::handle::Handle::spawn") == ("src/runtime/handle.rs", 13)
    # `cfg_if! { if #[cfg(..)] { .. } else { .. } }`: both arms; the twins are one node (the first)
    assert line_of(graph, "mtk::task::spawn", NodeKind.FUNCTION) == ("src/task.rs", 3)
    # `pin_project! { .. }`: attributes on fields and all
    assert line_of(graph, "mtk::task::JoinHandle") == ("src/task.rs", 15)
    assert line_of(graph, "mtk::net::TcpStream") == ("src/net.rs", 4)
    # the signature is the item's own head, as anywhere else
    assert node(graph, "mtk::runtime::handle::Handle::spawn").signature == (
        "pub fn spawn<F>(&self, future: F) -> JoinHandle<F>")


def test_reexports_and_modules_inside_macro_calls_count(macros):
    graph, _ = macros
    # `cfg_rt! { pub use crate::task::spawn; }` at the crate root
    assert [n.fqp for n in find_targets(graph, "mtk::spawn")] == ["mtk::task::spawn"]
    assert [n.fqp for n in find_targets(graph, "mtk::JoinHandle")] == ["mtk::task::JoinHandle"]
    # `cfg_rt! { mod handle; pub use handle::Handle; }`: the module is contained, the re-export resolves
    assert "mtk::runtime::handle" in out(graph, "mtk::runtime", EdgeKind.CONTAINS)
    assert out(graph, "mtk::net::TcpStream", EdgeKind.USES, resolution=True) == {
        ("mtk::runtime::handle::Handle", "import")}
    assert out(graph, "mtk::net::TcpStream::connect", EdgeKind.CALLS) == {"mtk::runtime::handle::Handle::current"}
    assert out(graph, "mtk::runtime::handle::Handle::spawn", EdgeKind.CALLS) == {"mtk::task::spawn"}


def test_what_only_an_expansion_makes_is_counted_not_guessed(macros):
    graph, report = macros
    # `define_id!(RuntimeId);` makes a struct from a `$name` fragment: no node, one call counted; the calls whose
    # tokens were read as items are not counted, and neither are `macro_rules!` definitions nor expression macros
    assert not find_targets(graph, "mtk::runtime::RuntimeId")
    assert report.macro_calls == 1
    assert report.external_nodes == 0 and report.workspace_stand_ins == 0


def test_an_edit_inside_a_macro_body_is_seen_by_the_next_query(copy_fixture):
    root = copy_fixture("rust/macros")
    engine = Engine(root, persist=False)
    engine.index()
    rel = "src/runtime/mod.rs"
    original = (root / rel).read_text()
    renamed = original.replace("pub fn handle(&self)", "pub fn handle_ref(&self)").replace(
        "let _ = self.handle();", "let _ = self.handle_ref();")
    edits = [
        renamed,                                         # a signature inside the macro body
        renamed.replace("let _ = self.handle_ref();", "let _ = crate::runtime::Handle::current();"),   # a body
        original,
    ]
    for number, text in enumerate(edits):
        engine.update_file(rel, text.encode())          # through the file's item cache, as an editor's buffer
        fresh = Engine(root, persist=False)
        (root / rel).write_text(text)
        fresh.index()
        assert engine.graph.snapshot() == fresh.graph.snapshot(), f"edit {number}"
        if number == 0:
            assert find_targets(engine.graph, "mtk::runtime::Runtime::handle_ref")
            assert not find_targets(engine.graph, "mtk::runtime::Runtime::handle")
            assert out(engine.graph, "mtk::runtime::Runtime::block_on", EdgeKind.CALLS) == {
                "mtk::runtime::Runtime::handle_ref"}
        if number == 1:
            assert out(engine.graph, "mtk::runtime::Runtime::block_on", EdgeKind.CALLS) == {
                "mtk::runtime::handle::Handle::current"}
    # the items inside `cfg_rt! { .. }` are items of the cache, each under the macro call's header
    cache = engine._item_caches[rel]
    inside = [key for key in cache if isinstance(key, tuple) and any(h.startswith(b"cfg_rt! {") for h in key[1])]
    assert len(inside) >= 4                              # mod, use, struct, the impl's two methods


# ---- 4-6. projections, method-level bounds, impls on references ---------------------------------------------

@pytest.fixture(scope="module")
def projections():
    return indexed("projections").graph


def test_projections_name_the_traits_associated_type(projections):
    graph = projections
    token, slice_ = "proj::stream::Stream::Token", "proj::stream::Stream::Slice"
    # `Self::Token` in the trait and in its impls; `<I as Stream>::Token`, `I::Slice` through `I: Stream`
    assert (token, "exact") in out(graph, "proj::stream::Stream::next_token", EdgeKind.RETURNS, resolution=True)
    assert (token, "exact") in out(graph, "<str as proj::stream::Stream>::next_token", EdgeKind.RETURNS, True)
    assert out(graph, "<proj::stream::Located as proj::stream::Stream>::Token", EdgeKind.USES) == {token}
    assert out(graph, "<proj::stream::Located as proj::stream::Stream>::Slice", EdgeKind.USES) == {slice_}
    assert out(graph, "proj::stream::slice_of", EdgeKind.RETURNS) == {slice_}
    # through the supertraits (one level, two levels up), as the compiler looks it up
    assert out(graph, "proj::stream::StreamIsPartial::complete", EdgeKind.RETURNS, True) == {(slice_, "exact")}
    assert out(graph, "proj::stream::Partial::restart", EdgeKind.RETURNS, True) == {(token, "exact")}
    # two supertraits declaring it: a guess between them, never a fact
    edges = list(graph.successors(node(graph, "proj::stream::Mixed::mixed").id, (EdgeKind.RETURNS,)))
    assert {graph.nodes[e.dst].fqp for e in edges} == {token, "proj::stream::Tokens::Token"}
    assert {(e.resolution.value, e.candidates) for e in edges} == {("heuristic", 2)}
    # a trait outside the workspace: no edge (`I::Item` with `I: Iterator`)
    assert out(graph, "proj::stream::first", EdgeKind.RETURNS) == set()
    # no invented node: nothing external is named after an associated type
    assert not [n.fqp for n in graph.nodes.values() if n.external and n.name in ("Token", "Slice", "Item")]
    # a bare `Self` in a trait's own items names no type
    assert "proj::stream::Stream" not in out(graph, "proj::stream::Stream::next_token", EdgeKind.RETURNS)


def test_method_level_bounds_belong_to_the_method(projections):
    graph = projections
    # `fn next_token(..) where Self: Sized`: the method's bound, not a supertrait of Stream
    assert out(graph, "proj::stream::Stream", EdgeKind.BOUND_BY) == {"proj::stream::Offset"}
    assert out(graph, "proj::stream::Stream::next_token", EdgeKind.BOUND_BY) == {"Sized"}
    # `fn checkpoint<E: AddContext>`: the bound of the method's G node
    assert out(graph, "proj::stream::Stream::checkpoint::<E>", EdgeKind.BOUND_BY) == {"proj::parser::AddContext"}
    # `where Self: Sized, I: Clone` on a method of `Parser<I, O>`: the method's, not the trait's nor its `I`'s
    assert out(graph, "proj::parser::Parser", EdgeKind.BOUND_BY) == set()
    assert out(graph, "proj::parser::Parser::<I>", EdgeKind.BOUND_BY) == {"proj::stream::Stream"}
    assert out(graph, "proj::parser::Parser::by_ref", EdgeKind.BOUND_BY) == {"core::marker::Sized", "Clone"}


def test_impls_on_references_count_for_the_type_and_plain_self_types(projections):
    graph = projections
    # `impl Offset for &'a mut Located<I>` counts for Located, its member named with Located
    assert "proj::stream::Located" in implementors(graph, "proj::stream::Offset")
    assert "<proj::stream::Located as proj::stream::Offset>::offset_from" in out(
        graph, "proj::stream::Located", EdgeKind.CONTAINS)
    # self types that are not paths: no references, lifetimes nor `mut`
    members = {n.fqp for n in graph.nodes.values() if n.name == "offset_from" and not n.external}
    assert members == {"proj::stream::Offset::offset_from", "<str as proj::stream::Offset>::offset_from",
                       "<[u8] as proj::stream::Offset>::offset_from", "<(A, B) as proj::stream::Offset>::offset_from",
                       "<proj::stream::Located as proj::stream::Offset>::offset_from"}
    assert node(graph, "<str as proj::stream::Stream>::next_token").kind is NodeKind.FUNCTION


def test_an_edit_after_a_macro_call_reuses_its_fragment(copy_fixture):
    from isg_lsp.languages.rust import FRAGMENTS_KEY

    root = copy_fixture("rust/macros")
    engine = Engine(root, persist=False)
    engine.index()
    rel = "src/runtime/mod.rs"
    text = (root / rel).read_text()
    engine.update_file(rel, text.encode())
    before = dict(engine._item_caches[rel][FRAGMENTS_KEY])
    edited = text + "\npub fn after() {}\n"
    engine.update_file(rel, edited.encode())
    after = engine._item_caches[rel][FRAGMENTS_KEY]
    # the `cfg_rt! { .. }` call did not change nor move: its tokens are not parsed again
    assert before and all(after[key] is tree for key, tree in before.items())
    (root / rel).write_text(edited)
    fresh = Engine(root, persist=False)
    fresh.index()
    assert engine.graph.snapshot() == fresh.graph.snapshot()
    assert find_targets(engine.graph, "mtk::runtime::after")
