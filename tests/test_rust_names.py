"""Rust impl members are named by definition paths, whatever route their file takes to the type and the trait
(ISG-SPEC §2: `<{Type} as {Trait}>::{item}` where both are FQPs): re-exports, globs, aliases, `crate::` and
`super::` paths (tests/fixtures/rust/reexports). Another file's re-export decides those names, so an edit of it
renames the members that depend on it, and any sequence of edits ends where a fresh index of the final files does
(naming.py; ARCHITECTURE.md, "Invariants")."""

from __future__ import annotations

import pytest

from isg_lsp.engine import Engine
from isg_lsp.languages import rust
from isg_lsp.model import EdgeKind
from isg_lsp.naming import Names
from isg_lsp.queries import find_targets, who_implements
from isg_lsp.store import facts_from_json, facts_to_json
from tests.helpers import FIXTURES, debian_crate, out

FIXTURE = FIXTURES / "rust" / "reexports"
CIRCLE = "reexp::shapes::circle::Circle"
SQUARE = "reexp::shapes::square::Square"
TRI = "reexp::shapes::square::Tri"
AREA = "reexp::traits::Area"
NAMED = "reexp::traits::Named"
MEMBERS = {
    f"<{CIRCLE} as {AREA}>::area",  # imp.rs: `use crate::{Area, Circle};` (a `pub use` and a glob)
    f"{CIRCLE}::grow",
    f"{CIRCLE}::grow::<T>",  # imp.rs: an inherent impl through the re-export, its G node
    f"<{CIRCLE} as {NAMED}>::name",  # imp.rs: `impl crate::Named for crate::shapes::Round`
    f"<{CIRCLE} as {NAMED}>::Id",
    f"<{SQUARE} as {AREA}>::area",  # square.rs: `impl super::super::Area for super::super::Sq`
    f"<{SQUARE} as {NAMED}>::name",  # globbed.rs: `use crate::*; impl Named for Sq`
    f"<{SQUARE} as {NAMED}>::Id",
}
ROUTES = ("reexp::Circle", "reexp::Sq", "reexp::Area", "reexp::Named", "Round", "reexp::shapes::Area")


def indexed(root=FIXTURE, **kwargs) -> Engine:
    engine = Engine(root, **({"persist": False} | kwargs))
    engine.index()
    return engine


def members(graph) -> set[str]:
    return {n.fqp for n in graph.nodes.values() if not n.external and (n.fqp.startswith("<") or "::grow" in n.fqp)}


def test_members_are_named_by_definition_paths_through_every_route():
    graph = indexed().graph
    assert members(graph) == MEMBERS
    fqps = {n.fqp for n in graph.nodes.values()}
    assert not [f for f in fqps if any(route in f for route in ROUTES)]
    # the names are those of the nodes the impls' edges start from and point at
    assert out(graph, CIRCLE, EdgeKind.CONTAINS) >= {
        f"<{CIRCLE} as {AREA}>::area",
        f"{CIRCLE}::grow",
        f"<{CIRCLE} as {NAMED}>::name",
        f"{CIRCLE}::twice",
    }
    assert out(graph, SQUARE, EdgeKind.IMPL) == {AREA, NAMED}
    assert {r.node.fqp for r in who_implements(graph, find_targets(graph, "reexp::Area"))} == {CIRCLE, SQUARE}
    # `self.twice()` inside an impl of the re-exported type: the receiver is the type's definition path too
    assert out(graph, f"<{CIRCLE} as {AREA}>::area", EdgeKind.CALLS, resolution=True) == {(f"{CIRCLE}::twice", "exact")}
    assert out(graph, f"{CIRCLE}::grow", EdgeKind.CALLS) == {f"{CIRCLE}::twice"}
    assert out(graph, f"{CIRCLE}::grow::<T>", EdgeKind.BOUND_BY) == {"Into"}


def test_extraction_alone_names_by_the_files_routes_and_the_workspace_renames():
    """What each file asks, and that naming is exactly undone: facts as extracted come back from named ones, in
    memory and through the database's JSON."""
    engine = indexed()
    raw = engine.extract("src/imp.rs", (FIXTURE / "src/imp.rs").read_bytes())
    assert {n.fqp for n in raw.nodes} >= {
        "<reexp::Circle as reexp::Area>::area",
        "reexp::Circle::grow",
        "<reexp::shapes::Round as reexp::Named>::name",
    }
    assert raw.names[rust.NAMES_IMPLS]["<reexp::Circle as reexp::Area>::"] == [
        "reexp::imp",
        "reexp::Circle",
        "Circle",
        "reexp::Area",
        "Area",
    ]
    named = engine.graph.files["src/imp.rs"].facts
    assert {n.fqp for n in named.nodes} >= {f"<{CIRCLE} as {AREA}>::area", f"{CIRCLE}::grow"}
    assert rust.rename_facts(named, {}) == raw
    assert rust.rename_facts(facts_from_json(facts_to_json(named)), {}) == raw
    assert rust.rename_facts(raw, rust.naming_applied(named)) == named


LIB = (FIXTURE / "src" / "lib.rs").read_text()
LIB_EDITS = [
    # the re-export now names another type: imp.rs's impls are Tri's
    LIB.replace("pub use shapes::circle::Circle;", "pub use shapes::square::Tri as Circle;"),
    # the glob that brought the traits is gone: the impls through it name nothing in the workspace any more
    LIB.replace("pub use traits::*;", "pub use traits::Area;"),
    LIB.replace("pub use self::shapes::square::Square as Sq;", "pub use self::shapes::square::Tri as Sq;"),
    LIB,
]


def test_an_edit_of_a_reexport_renames_the_members_that_depend_on_it(copy_fixture):
    root = copy_fixture("rust/reexports")
    engine = indexed(root)
    lib = root / "src" / "lib.rs"
    for i, text in enumerate(LIB_EDITS):
        lib.write_text(text)
        touched = engine.update_file("src/lib.rs", text.encode())
        if i == 0:
            assert {"src/imp.rs"} <= touched  # renamed without being parsed again
            assert {f"<{TRI} as {AREA}>::area", f"{TRI}::grow"} <= members(engine.graph)
            assert f"{CIRCLE}::grow" not in members(engine.graph)
        fresh = indexed(root)
        assert engine.graph.snapshot() == fresh.graph.snapshot(), i
        assert {p: s.facts for p, s in engine.graph.files.items()} == {p: s.facts for p, s in fresh.graph.files.items()}


IMP = (FIXTURE / "src" / "imp.rs").read_text()
INNER = "mod inner {{ pub use crate::shapes::square::{} as C; }}\nimpl inner::C {{ pub fn extra(&self) {{}} }}\n"
IMP_EDITS = [
    # inside a body: the same requests, nothing they read changed, so the earlier answer stands (not asked again)
    (IMP.replace("self.twice() * self.r", "self.twice() * self.r * 2.0"), True),
    # another `use` in the same module: a key the answer read changed, so it is asked again (and is the same)
    (IMP.replace("use crate::{Area, Circle};", "use crate::{Area, Circle};\nuse crate::traits::Named;"), False),
    # the file's own route now names another type: new requests
    (IMP.replace("use crate::{Area, Circle};", "use crate::{Area, shapes::square::Tri as Circle};"), False),
    # a declaration in the file shadows the re-export it imported (the module's own `Circle`)
    (
        IMP.replace(
            "use crate::{Area, Circle};",
            "use crate::Area;\npub struct Circle { r: f64 }\nimpl Circle { fn twice(&self) -> f64 { self.r } }",
        ),
        False,
    ),
    (IMP, False),
    (IMP.replace("String::new()", 'String::from("round")'), True),
    # an inline module's re-export the file's own impl names: the same requests after the `pub use` changes, but a
    # key the answer read changed, so it is asked again (reusing the answer would keep `Tri::extra`)
    (IMP + INNER.format("Tri"), False),
    (IMP + INNER.format("Square"), False),
    (IMP.replace("self.twice() * self.r", "self.r") + INNER.format("Square"), True),
]


def test_an_edit_of_the_file_that_asks_equals_a_fresh_index(copy_fixture, monkeypatch):
    """Edits of imp.rs itself (whose impls' names other files decide): an edit that keeps its requests and touches
    nothing their answer read reuses the answer (naming.Names.update), and every edit ends where a fresh index
    does."""
    root = copy_fixture("rust/reexports")
    engine = indexed(root)
    asked: list[str] = []
    answer = Names._answer

    def counted(self, path, memo):
        asked.append(path)
        return answer(self, path, memo)

    monkeypatch.setattr(Names, "_answer", counted)
    imp = root / "src" / "imp.rs"
    for i, (text, reused) in enumerate(IMP_EDITS):
        imp.write_text(text)
        asked.clear()
        engine.update_file("src/imp.rs", text.encode())
        assert ("src/imp.rs" not in asked) == reused, i
        fresh = indexed(root)
        assert engine.graph.snapshot() == fresh.graph.snapshot(), i
        assert {p: s.facts for p, s in engine.graph.files.items()} == {p: s.facts for p, s in fresh.graph.files.items()}
        assert engine.names.tables == fresh.names.tables, i
    assert f"<{CIRCLE} as {AREA}>::area" in members(engine.graph)
    assert f"{SQUARE}::extra" in {n.fqp for n in engine.graph.nodes.values()}


def test_a_warm_start_after_a_reexport_changed_equals_a_cold_index(copy_fixture, tmp_path):
    root = copy_fixture("rust/reexports")
    db = tmp_path / "isg.db"
    first = indexed(root, persist=True, db_path=db)
    first.close()
    (root / "src" / "lib.rs").write_text(LIB_EDITS[0])
    warm = Engine(root, db_path=db)
    report = warm.index()
    assert report.parsed == 1  # lib.rs only: imp.rs is renamed, not parsed
    cold = indexed(root)
    assert warm.graph.snapshot() == cold.graph.snapshot()
    assert f"{TRI}::grow" in members(warm.graph)
    warm.close()
    again = Engine(root, db_path=db)  # and what it stored starts the next run right
    again.index()
    assert again.graph.snapshot() == cold.graph.snapshot()
    again.close()


def test_the_graph_is_a_pure_function_of_the_extracted_facts():
    """Graph.load of the named facts, named from scratch, equals the engine's graph; the same facts named in any
    order name the same."""
    from isg_lsp.graph import Graph

    engine = indexed()
    extracted = [engine.extract(rel, (FIXTURE / rel).read_bytes()) for rel in sorted(engine.graph.files)]
    graph = Graph(resolver_for=engine.graph._resolver_for, family_of=engine.graph._family_of)
    graph.load(Names().load(extracted))
    assert graph.snapshot() == engine.graph.snapshot()
    backwards = Names().load(reversed(extracted))
    assert {f.path: f for f in backwards} == {f.path: f for f in Names().load(extracted)}


@pytest.mark.realcode
@pytest.mark.parametrize("crate", ["tokio", "serde"])
def test_real_crates_name_members_by_nodes_of_the_workspace(crate):
    """On Debian's tokio 1.24 and serde: an impl member's type and trait, when they are workspace paths, are the
    FQPs of workspace nodes (but for the few that macros or cfg'd mocks declare), and naming is undone exactly."""
    from bench.accuracy.compare import split_qualified

    engine = indexed(debian_crate(crate))
    graph = engine.graph
    crates = {n.fqp for n in graph.nodes.values() if n.kind.value == "M" and "::" not in n.fqp and not n.external}
    unnamed = set()
    count = 0
    for node in graph.nodes.values():
        parts = split_qualified(node.fqp) if not node.external else None
        if parts:
            count += 1
            unnamed |= {x for x in parts[:2] if x.split("::")[0] in crates and not graph.fqp_index.get(x)}
    assert count > 800
    if crate == "tokio":
        assert len(engine.names.tables) >= 30  # files whose members the workspace renamed
        # src/blocking.rs names `tokio::task::JoinHandle`, src/io/stdout.rs `tokio::io::AsyncWrite` (re-exports)
        assert graph.by_fqp("<tokio::runtime::task::join::JoinHandle as std::future::Future>::poll")
        assert graph.by_fqp("<tokio::io::stdout::Stdout as tokio::io::async_write::AsyncWrite>::poll_write")
        assert not graph.by_fqp("<tokio::io::stdout::Stdout as tokio::io::AsyncWrite>::poll_write")
        # macro-declared or cfg'd mocks (`tokio::fs::mocks::MockFile`), traits re-exported from std (`sys::AsRawFd`)
        assert len(unnamed) <= 12, sorted(unnamed)
        assert not [x for x in unnamed if x.startswith(("tokio::runtime", "tokio::sync", "tokio::task"))]
    else:
        assert unnamed <= {"serde::ser::Error", "serde::de::Error", "serde::lib::fmt::Write"}  # macro-declared
    for path, state in graph.files.items():
        if rust.NAMES_TABLE in state.facts.names:
            raw = rust.rename_facts(state.facts, {})
            assert rust.rename_facts(raw, rust.naming_applied(state.facts)) == state.facts, path


def test_the_editor_and_the_disk_paths_rename_through_the_workers(copy_fixture):
    """The server's paths: an editor's buffer (`update_document`), then the disk (`refresh_from_disk`, files parsed
    in the pool's worker processes, as the server and `isg-lsp watch` do): both end where a fresh index does."""
    from isg_lsp.isolation import ParserPool

    root = copy_fixture("rust/reexports")
    pool = ParserPool(workers=1)
    try:
        engine = Engine(root, persist=False, pool=pool)
        engine.index()
        touched, _tree = engine.update_document("src/lib.rs", LIB_EDITS[0].encode())
        assert "src/imp.rs" in touched and f"{TRI}::grow" in members(engine.graph)
        (root / "src" / "lib.rs").write_text(LIB_EDITS[2])
        engine.refresh_from_disk("src/lib.rs")
        fresh = indexed(root)
        assert engine.graph.snapshot() == fresh.graph.snapshot()
        assert f"<{TRI} as {NAMED}>::name" in members(engine.graph)  # globbed.rs: `impl Named for Sq`
        (root / "src" / "imp.rs").unlink()
        engine.refresh_from_disk("src/imp.rs")
        assert engine.graph.snapshot() == indexed(root).graph.snapshot()
    finally:
        pool.close()


def test_one_relation_written_by_two_files_is_labelled_as_a_fresh_index_labels_it(copy_fixture):
    """Conflicting impls (invalid Rust, but an editor sees it mid-edit): imp.rs and square.rs both write `Sq: Area`,
    one through an import, one by a path. The graph holds the relation once, with the surest label of the files that
    write it, whatever order the files were updated in (the edge first added used to win)."""
    root = copy_fixture("rust/reexports")
    engine = indexed(root)
    imp = root / "src" / "imp.rs"
    original = imp.read_text()
    conflicting = original.replace("use crate::{Area, Circle};", "use crate::{Area, Sq as Circle};")
    for text in (conflicting, original, conflicting):
        imp.write_text(text)
        engine.update_file("src/imp.rs", text.encode())
        fresh = indexed(root)
        assert engine.graph.snapshot() == fresh.graph.snapshot()
        assert engine.graph.edge_count() == fresh.graph.edge_count()
