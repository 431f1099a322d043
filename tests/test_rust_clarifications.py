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
