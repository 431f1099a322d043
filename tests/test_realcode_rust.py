"""Extraction of real crates (Debian's librust-*-dev packages, installed by the test command) against known facts."""

from __future__ import annotations

import json

import pytest

from isg_lsp.cli import main as cli_main
from isg_lsp.engine import Engine
from isg_lsp.model import EdgeKind, NodeKind
from tests.helpers import debian_crate

pytestmark = pytest.mark.realcode


@pytest.fixture(scope="module")
def serde():
    engine = Engine(debian_crate("serde"), persist=False)
    report = engine.index()
    return engine, report


def implementors(graph, fqp):
    (trait,) = [n for n in graph.by_fqp(fqp) if not n.external]
    return {graph.nodes[e.src].fqp for e in graph.predecessors(trait.id, (EdgeKind.IMPL,))}


def test_serialize_is_a_trait_with_many_implementations(serde):
    engine, _ = serde
    graph = engine.graph
    (serialize,) = [n for n in graph.by_fqp("serde::ser::Serialize") if not n.external]
    assert serialize.kind is NodeKind.TRAIT
    assert serialize.file == "src/ser/mod.rs"
    assert serialize.signature == "pub trait Serialize"
    found = implementors(graph, "serde::ser::Serialize")
    assert len(found) >= 25
    # workspace types are named by their full paths, std types (reached through `use lib::*`) by their bare names
    assert "serde::__private::ser::content::Content" in found
    assert {"Option", "String", "PhantomData"} <= found
    # its method is defined by the trait, and implemented by each impl under `<Type as Trait>::serialize`
    defines = {graph.nodes[e.dst].fqp for e in graph.successors(serialize.id, (EdgeKind.DEFINES,))}
    assert "serde::ser::Serialize::serialize" in defines
    assert graph.by_fqp("<serde::__private::ser::content::Content as serde::ser::Serialize>::serialize")


def test_deserializer_supertraits_and_bounds(serde):
    graph = serde[0].graph
    (deserialize,) = [n for n in graph.by_fqp("serde::de::Deserialize") if not n.external]
    assert deserialize.signature == "pub trait Deserialize<'de>: Sized"
    bounds = {graph.nodes[e.dst].fqp for e in graph.successors(deserialize.id, (EdgeKind.BOUND_BY,))}
    assert bounds == {"Sized"}
    owned = [n for n in graph.by_fqp("serde::de::DeserializeOwned") if not n.external][0]
    bounds = {graph.nodes[e.dst].fqp for e in graph.successors(owned.id, (EdgeKind.BOUND_BY,))}
    assert "serde::de::Deserialize" in bounds
    # an associated type bounded by `Error`: serde declares `trait Error` inside a macro (`declare_error_trait!`),
    # out of reach of a syntactic parser, so the bound is an external bare name marked as a guess, not a fact
    (error,) = graph.by_fqp("serde::de::Deserializer::Error")
    assert error.kind is NodeKind.ASSOC_TYPE
    (edge,) = graph.successors(error.id, (EdgeKind.BOUND_BY,))
    assert graph.nodes[edge.dst].fqp == "Error" and graph.nodes[edge.dst].external
    assert edge.resolution.value == "heuristic" and edge.candidates == 0


def test_module_tree_matches_the_files(serde):
    graph = serde[0].graph
    root = debian_crate("serde")
    modules = {n.fqp: n.file for n in graph.nodes.values() if n.kind is NodeKind.MODULE}
    # every source file is one module, named as rustc names it (lib.rs declares `#[path = "private/mod.rs"]
    # mod __private;` and `#[path = "de/seed.rs"] mod seed;`)
    files = {str(p.relative_to(root)) for p in root.rglob("*.rs")}
    assert files == {f for f in modules.values()}
    assert modules["serde"] == "src/lib.rs"
    assert modules["serde::de::value"] == "src/de/value.rs"
    assert modules["serde::__private::de"] == "src/private/de.rs"
    assert modules["serde::seed"] == "src/de/seed.rs"
    assert modules["build_script_build"] == "build.rs"
    # module CONTAINS its direct submodules
    de = graph.by_fqp("serde::de")[0]
    children = {graph.nodes[e.dst].fqp for e in graph.successors(de.id, (EdgeKind.CONTAINS,))
                if graph.nodes[e.dst].kind is NodeKind.MODULE}
    assert {"serde::de::value", "serde::de::impls", "serde::de::utf8"} <= children


def test_index_summary_and_map_size_through_the_cli(capsys, tmp_path):
    root = debian_crate("anyhow")
    assert cli_main(["index", str(root), "--db", str(tmp_path / "isg.db"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] >= 10 and summary["nodes"] > 100
    assert summary["nodes_by_kind"]["S"] >= 5 and summary["edges_by_kind"]["IMPL"] >= 10
    assert 0 < summary["map_share"] < 0.25
    assert cli_main(["query", str(root), "--db", str(tmp_path / "isg.db"), "--json",
                     "who-implements anyhow::Context"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {"Option", "Result"} <= {r["fqp"] for r in rows}


def test_warm_start_keeps_path_placed_modules_without_extracting_them_again(tmp_path, monkeypatch):
    """serde places files with `#[path]`: a warm start restores their places instead of re-extracting them, and the
    graph equals a fresh index."""
    from isg_lsp import engine as engine_module

    root = debian_crate("serde")
    first = Engine(root, db_path=tmp_path / "isg.db")
    first.index()
    first.close()
    fresh = first.graph.snapshot()
    extracted = []
    original = engine_module.extract_path
    monkeypatch.setattr(engine_module, "extract_path",
                        lambda *args, **kw: extracted.append(args[1]) or original(*args, **kw))
    warm = Engine(root, db_path=tmp_path / "isg.db")
    report = warm.index()
    assert report.parsed == 0 and extracted == []
    assert warm.graph.by_fqp("serde::__private::de")
    assert warm.graph.snapshot() == fresh
    warm.close()


# ---- namespaces and macro calls on real crates (ISG-SPEC §1 clarifications, issue #12) ---------------------------

def test_serialize_through_its_reexport_is_the_trait_not_the_derive_macro(serde):
    """serde's lib.rs re-exports the trait `ser::Serialize` and the derive macro `serde_derive::Serialize` under one
    name: `serde::Serialize` names the trait, with the same complete list of implementors."""
    from isg_lsp.queries import find_targets, who_implements

    graph = serde[0].graph
    assert [n.fqp for n in find_targets(graph, "serde::Serialize")] == ["serde::ser::Serialize"]
    assert [n.fqp for n in find_targets(graph, "serde::Deserialize")] == ["serde::de::Deserialize"]
    canonical = {r.node.fqp for r in who_implements(graph, find_targets(graph, "serde::ser::Serialize"))}
    reexported = {r.node.fqp for r in who_implements(graph, find_targets(graph, "serde::Serialize"))}
    assert canonical == reexported and len(canonical) >= 25
    # no stand-in: neither the macro nor the trait is an external node
    assert not [n.fqp for n in graph.nodes.values() if n.external and n.fqp.endswith(("Serialize", "Deserialize"))]
    assert serde[1].workspace_stand_ins == 0


@pytest.fixture(scope="module")
def tokio():
    root = debian_crate("tokio")
    engine = Engine(root, persist=False)
    report = engine.index()
    return root, engine.graph, report


def line_of_text(path, needle: str) -> int:
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_tokio_items_written_inside_macro_calls_are_nodes_at_their_real_lines(tokio):
    """tokio writes most of its API inside `cfg_rt! { .. }`, `cfg_net! { .. }`, `pin_project! { .. }`."""
    from isg_lsp.queries import find_targets

    root, graph, _ = tokio
    for path, file, needle, kind in [
            ("tokio::spawn", "src/task/spawn.rs", "pub fn spawn<T>(future: T)", NodeKind.FUNCTION),
            ("tokio::net::TcpStream", "src/net/tcp/stream.rs", "pub struct TcpStream", NodeKind.STRUCT),
            ("tokio::task::JoinHandle", "src/runtime/task/join.rs", "pub struct JoinHandle<T>", NodeKind.STRUCT),
            ("tokio::runtime::Handle", "src/runtime/handle.rs", "pub struct Handle", NodeKind.STRUCT)]:
        found = find_targets(graph, path)
        assert [(n.kind, n.file, n.span[0] + 1) for n in found] == [(kind, file, line_of_text(root / file, needle))]


def test_tokio_blast_radius_of_handle_reaches_other_modules_and_no_stand_ins(tokio):
    from isg_lsp.queries import blast_radius, find_targets

    _, graph, report = tokio
    (handle,) = find_targets(graph, "tokio::runtime::Handle")
    radius = blast_radius(graph, [handle], depth=2)
    reached = {impact.node.fqp for impact in radius.impacted}
    # users of Handle in other modules (before issue #12 they pointed at a stand-in `tokio::runtime::Handle`, and
    # the blast radius held 3 items, all in handle.rs)
    assert {"tokio::runtime::runtime::Runtime::handle", "tokio::task::builder::Builder::spawn_on",
            "tokio::runtime::blocking::pool::Spawner::spawn_blocking"} <= reached
    assert len({impact.node.file for impact in radius.impacted}) >= 10
    stand_ins = [n.fqp for n in graph.nodes.values() if n.external and n.fqp.startswith("tokio::")]
    assert len(stand_ins) <= 5, stand_ins
    assert report.workspace_stand_ins == len(stand_ins)
    assert report.macro_calls > 0        # item-position calls whose items only an expansion makes, counted


def test_tokio_item_cache_inside_macro_bodies_gives_the_facts_of_a_fresh_extraction(tokio):
    """The item cache works inside macro bodies: an edit inside `cfg_rt! { .. }` re-extracts that item, and the
    facts equal those of an extraction without the cache."""
    from isg_lsp import languages
    from isg_lsp.engine import extract_source
    from isg_lsp.languages.rust import build_layout

    root, _, _ = tokio
    spec = languages.get("rust")
    rels = ["src/runtime/handle.rs", "src/net/tcp/stream.rs", "src/lib.rs", "src/task/mod.rs"]
    layout = build_layout(root, rels)
    for rel in rels:
        text = (root / rel).read_bytes()
        cache: dict = {}
        extract_source(rel, text, spec, layout, cache=cache)
        edited = text.replace(b"        ", b"        let _unused = 1;\n        ", 1)
        cached, _ = extract_source(rel, edited, spec, layout, cache=cache)
        plain, _ = extract_source(rel, edited, spec, layout)
        for field in ("nodes", "edges", "references", "imports", "glob_imports", "macro_calls"):
            assert getattr(cached, field) == getattr(plain, field), (rel, field)


# ---- receiver types (issue #16): calls written as chains ---------------------------------------------------------

def callers_of(graph, fqp):
    from isg_lsp import queries

    (target,) = [n for n in graph.by_fqp(fqp) if not n.external]
    return {r.node.fqp: r.edge.resolution.value for r in queries.callers(graph, [target])}


def test_tokio_callers_of_a_builder_method_find_its_chained_call_sites(tokio):
    """`Builder::new_multi_thread().enable_all().build()` (Runtime::new): `new_multi_thread` returns `Builder`,
    `enable_all` `&mut Self`, so each hop is the Builder's method, found without a type checker."""
    _, graph, _ = tokio
    enable_all = callers_of(graph, "tokio::runtime::builder::Builder::enable_all")
    assert enable_all.get("tokio::runtime::runtime::Runtime::new") in ("exact", "import")
    build = callers_of(graph, "tokio::runtime::builder::Builder::build")
    assert build.get("tokio::runtime::runtime::Runtime::new") in ("exact", "import")
    # the integration tests build their runtimes the same way, over more hops (`.worker_threads(1)`)
    chained = [caller for caller, how in build.items() if how != "heuristic" and "::" in caller
               and not caller.startswith("tokio::")]
    assert len(chained) >= 10, chained


def test_serde_callers_through_a_field_chain(serde):
    """`self.content.unexpected()` in the content deserializers: the field's declared type (`Content<'de>`, and
    `&'a Content<'de>`) gives the method, exactly."""
    graph = serde[0].graph
    found = callers_of(graph, "serde::__private::de::content::Content::unexpected")
    assert found.get("serde::__private::de::content::ContentDeserializer::invalid_type") == "exact"
    assert found.get("serde::__private::de::content::ContentRefDeserializer::invalid_type") == "exact"
