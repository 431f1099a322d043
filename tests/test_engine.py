"""The engine end to end on a real SQLite file: warm re-index, graph surgery equal to a fresh index, export."""

from __future__ import annotations

import sqlite3

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.model import sighash
from isg_lsp.store import SCHEMA_VERSION


def fresh_snapshot(root):
    engine = Engine(root, persist=False)
    engine.index()
    return engine.graph.snapshot()


def test_reindex_after_one_change_parses_only_that_file(copy_fixture, tmp_path):
    root = copy_fixture("rust/multi")
    first = Engine(root, db_path=tmp_path / "isg.db")
    report = first.index()
    first.close()
    assert report.parsed == report.files and report.files >= 8
    (root / "core-lib/src/net/addr.rs").write_text(
        (root / "core-lib/src/net/addr.rs").read_text() + "\npub fn extra() -> Addr { todo!() }\n")
    second = Engine(root, db_path=tmp_path / "isg.db")
    report = second.index()
    assert report.parsed == 1
    assert report.reused == report.files - 1
    assert second.graph.by_fqp("corelib::net::addr::extra")
    assert second.graph.snapshot() == fresh_snapshot(root)
    second.close()
    # and the database holds what the graph holds
    third = Engine(root, db_path=tmp_path / "isg.db")
    assert third.index().parsed == 0
    assert third.graph.snapshot() == fresh_snapshot(root)
    third.close()


def test_warm_start_survives_deleted_and_added_files(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    Engine(root, db_path=tmp_path / "isg.db").index()
    (root / "src/util.rs").unlink()
    (root / "src/extra.rs").write_text("pub struct Extra;\nimpl crate::shapes::Shape for Extra {\n"
                                       "    fn area(&self) -> f64 { 0.0 }\n}\n")
    engine = Engine(root, db_path=tmp_path / "isg.db")
    report = engine.index()
    assert report.deleted == 1 and report.parsed == 1
    assert not engine.graph.by_fqp("demo_crate::util::sum")
    implementors = {engine.graph.nodes[e.src].fqp for e in engine.graph.predecessors(
        engine.graph.by_fqp("demo_crate::shapes::Shape")[0].id)}
    assert "demo_crate::extra::Extra" in implementors
    assert engine.graph.snapshot() == fresh_snapshot(root)


def test_surgery_equals_fresh_index_for_each_edit(copy_fixture):
    """Every edit below changes what other files resolve to; after each, surgery must equal a fresh index."""
    root = copy_fixture("rust/demo")
    engine = Engine(root, persist=False)
    engine.index()
    edits = [
        # a new trait impl in another file: IMPL edges and CONTAINS from the type
        ("src/util.rs", "pub(crate) fn sum<I: Iterator<Item = f64>>(values: I) -> f64 { values.sum() }\n"
                        "pub struct Tri;\nimpl crate::shapes::Shape for Tri { fn area(&self) -> f64 { 1.0 } }\n"),
        # renaming the trait's method: heuristic calls elsewhere change their candidates
        ("src/shapes/mod.rs", (root / "src/shapes/mod.rs").read_text().replace("fn area(&self)", "fn surface(&self)")),
        # removing the re-export that lib.rs imports through
        ("src/shapes/mod.rs", (root / "src/shapes/mod.rs").read_text().replace("pub use self::circle::Circle;", "")),
        # putting it back
        ("src/shapes/mod.rs", (root / "src/shapes/mod.rs").read_text()),
        # broken syntax in the middle of a file
        ("src/lib.rs", (root / "src/lib.rs").read_text().replace("pub fn helper() -> u32 {", "pub fn helper( -> u32 {")),
    ]
    for rel, text in edits:
        (root / rel).write_text(text)
        engine.update_file(rel, text.encode())
        assert engine.graph.snapshot() == fresh_snapshot(root), f"after editing {rel}"
    (root / "src/util.rs").unlink()
    engine.update_file("src/util.rs", None)
    assert engine.graph.snapshot() == fresh_snapshot(root)


def test_export_is_byte_identical_and_follows_the_spec(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    a = Engine(root, db_path=tmp_path / "a.db")
    a.index()
    first = "\n".join(jsonl_lines(a.graph))
    b = Engine(root, persist=False, workers=1)
    b.index()
    assert "\n".join(jsonl_lines(b.graph)) == first
    import json

    records = [json.loads(line) for line in first.splitlines()]
    nodes = [r for r in records if r["type"] == "node"]
    edges = [r for r in records if r["type"] == "edge"]
    assert records == nodes + edges
    assert list(nodes[0]) == ["type", "id", "kind", "name", "fqp", "lang", "file", "span", "signature",
                              "visibility", "external"]
    assert [(n["fqp"], n["id"]) for n in nodes] == sorted((n["fqp"], n["id"]) for n in nodes)
    assert [(e["src"], e["kind"], e["dst"]) for e in edges] == sorted((e["src"], e["kind"], e["dst"]) for e in edges)
    shape = next(n for n in nodes if n["fqp"] == "demo_crate::shapes::Shape")
    assert shape["id"] == sighash("rust", "T", "demo_crate::shapes::Shape", "pub trait Shape").hex()
    assert shape["file"] == "src/shapes/mod.rs" and shape["span"][0] == 4
    assert all(e["resolution"] in ("exact", "import", "heuristic") for e in edges)
    assert all("candidates" in e for e in edges if e["resolution"] == "heuristic")
    assert any(e.get("derived") for e in edges)


def test_database_schema_and_indexes(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    engine = Engine(root, db_path=tmp_path / "isg.db")
    engine.index()
    engine.close()
    conn = sqlite3.connect(tmp_path / "isg.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"edges_src", "edges_dst", "nodes_fqp"} <= indexes
    (kind,) = conn.execute("SELECT kind FROM nodes WHERE fqp = 'demo_crate::shapes::Shape'").fetchone()
    assert kind == "T"
    assert conn.execute("SELECT typeof(id), length(id) FROM nodes LIMIT 1").fetchone() == ("blob", 16)


def test_unusable_database_is_moved_aside_and_rebuilt(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    db = tmp_path / "isg.db"
    db.write_bytes(b"this is not a database" * 100)
    engine = Engine(root, db_path=db)
    assert engine.store is not None and engine.store_message and "rebuilt" in engine.store_message
    report = engine.index()
    assert report.nodes > 0
    assert list(tmp_path.glob("isg.db.unusable-*"))
    engine.close()


def test_future_schema_is_moved_aside(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    db = tmp_path / "isg.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE files (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    engine = Engine(root, db_path=db)
    assert engine.index().nodes > 0
    assert list(tmp_path.glob("isg.db.unusable-*"))


def test_read_only_location_keeps_the_index_in_memory(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    engine = Engine(root, db_path=blocked / "isg.db")
    assert engine.store is None and "memory only" in engine.store_message
    assert engine.index().nodes > 0


def test_common_method_names_stay_exact_under_surgery(tmp_path):
    """A call by name among "too many" same-named methods is no guess; it depends only on such methods going away.
    Adding and removing them in steps must leave the graph equal to a fresh index."""
    root = tmp_path / "many"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "many"\n')
    (root / "src/lib.rs").write_text("pub mod types;\npub fn user(x: u8) { x.dup(); }\n")

    def types(count: int) -> str:
        return "".join(f"pub struct T{i};\nimpl T{i} {{ pub fn dup(&self) {{}} }}\n" for i in range(count))

    (root / "src/types.rs").write_text(types(45))
    engine = Engine(root, persist=False)
    engine.index()
    for count in (46, 50, 44, 41, 40, 3, 2, 45):
        text = types(count)
        (root / "src/types.rs").write_text(text)
        engine.update_file("src/types.rs", text.encode())
        assert engine.graph.snapshot() == fresh_snapshot(root), count
    user = engine.graph.by_fqp("many::user")[0]
    assert not list(engine.graph.successors(user.id))  # 45 candidates: no guess


def test_warm_start_loads_the_resolved_graph_and_equals_a_fresh_index(copy_fixture, tmp_path, monkeypatch):
    """A restart with nothing changed resolves nothing (it loads each file's edges and dependency keys); with a
    change, surgery from the loaded state equals a fresh index, and later edits still reach dependents."""
    from isg_lsp import graph as graph_module

    root = copy_fixture("rust/multi")
    first = Engine(root, db_path=tmp_path / "isg.db")
    first.index()
    first.close()
    calls = []
    original = graph_module.Graph._resolve_into
    monkeypatch.setattr(graph_module.Graph, "_resolve_into",
                        lambda self, state, *a, **kw: calls.append(state.facts.path) or original(self, state, *a, **kw))
    warm = Engine(root, db_path=tmp_path / "isg.db")
    assert warm.index().parsed == 0
    assert calls == []
    assert warm.graph.snapshot() == fresh_snapshot(root)
    warm.close()
    # a change while the server was away: surgery from the stored state
    addr = root / "core-lib/src/net/addr.rs"
    addr.write_text(addr.read_text().replace("pub struct Addr {", "pub struct Address {\n    pub port: u16,\n}\n\n"
                                             "pub struct Addr {"))
    again = Engine(root, db_path=tmp_path / "isg.db")
    assert again.index().parsed == 1
    assert again.graph.snapshot() == fresh_snapshot(root)
    # and dependency keys loaded from the database still route later changes to dependents
    text = addr.read_text().replace("pub struct Addr {", "pub struct Addr2 {")
    addr.write_text(text)
    again.update_file("core-lib/src/net/addr.rs", text.encode())
    assert again.graph.snapshot() == fresh_snapshot(root)


def test_a_relation_two_files_write_stays_until_both_let_go(tmp_path):
    """Most relations are written by one file and the graph keeps no count for them; one that several files write
    (two cfg'd modules implementing the same trait for the same type) is counted and stays while any writes it."""
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "twice"\nversion = "0.1.0"\n')
    src = tmp_path / "src"
    src.mkdir()
    (src / "lib.rs").write_text("pub trait Shape {}\npub struct Circle;\n#[cfg(unix)]\nmod a;\n#[cfg(windows)]\nmod b;\n")
    impl = "use crate::{Shape, Circle};\nimpl Shape for Circle {}\n"
    (src / "a.rs").write_text(impl)
    (src / "b.rs").write_text(impl)
    engine = Engine(tmp_path, persist=False)
    engine.index()

    def implementors():
        return sorted(engine.graph.nodes[e.src].fqp for e in engine.graph.predecessors(
            engine.graph.by_fqp("twice::Shape")[0].id) if e.kind == "IMPL")

    assert implementors() == ["twice::Circle"]
    count = engine.graph.edge_count()
    assert count == sum(1 for _ in engine.graph.edges())
    def edit(name: str, text: str) -> None:
        (src / name).write_text(text)
        engine.update_file(f"src/{name}", text.encode())
        assert engine.graph.snapshot() == fresh_snapshot(tmp_path)
        assert engine.graph.edge_count() == sum(1 for _ in engine.graph.edges())

    edit("a.rs", "")
    assert implementors() == ["twice::Circle"]  # b.rs still writes it
    assert engine.graph.edge_count() == count
    edit("b.rs", "")
    assert implementors() == []
    assert engine.graph.edge_count() < count
    edit("a.rs", impl)
    assert implementors() == ["twice::Circle"]
    edit("b.rs", impl)
    assert implementors() == ["twice::Circle"]


def _rows(db):
    conn = sqlite3.connect(db)
    try:
        tables = {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in ("files", "nodes", "edges")}
        indexes = sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return tables, indexes
    finally:
        conn.close()


def test_a_cold_index_writes_in_bulk_the_rows_file_by_file_saves_write(copy_fixture, tmp_path, monkeypatch):
    """A cold index saves the whole index at once (tables emptied, secondary indexes dropped and built again at
    the end): the same rows and the same indexes as saving file by file; a rebuild after a layout change leaves no
    row of the old layout."""
    from isg_lsp.store import Store

    root = copy_fixture("rust/demo")
    bulk = Engine(root, db_path=tmp_path / "bulk.db")
    bulk.index()
    wal = tmp_path / "bulk.db-wal"
    assert wal.stat().st_size < 64 * 1024  # the whole index checkpointed into the database file (a meta row after)
    bulk.close()
    save = Store.save
    monkeypatch.setattr(Store, "save", lambda self, files, externals=(), whole=False: save(self, files, externals))
    one_by_one = Engine(root, db_path=tmp_path / "one.db")
    one_by_one.index()
    one_by_one.close()
    monkeypatch.setattr(Store, "save", save)
    tables, indexes = _rows(tmp_path / "bulk.db")
    assert (tables, indexes) == _rows(tmp_path / "one.db")
    assert len(tables["nodes"]) > 30 and len(tables["edges"]) > 30
    assert {name for name, _sql in indexes} >= {"nodes_id", "nodes_fqp", "nodes_name", "edges_src", "edges_dst"}
    # the layout changes (the crate is renamed): every stored file is extracted again and written whole
    manifest = root / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('name = "demo-crate"', 'name = "renamed-crate"'))
    again = Engine(root, db_path=tmp_path / "bulk.db")
    again.index()
    again.close()
    fresh = Engine(root, db_path=tmp_path / "fresh.db")
    fresh.index()
    fresh.close()
    tables, _ = _rows(tmp_path / "bulk.db")
    assert not any("demo_crate" in str(row) for row in tables["nodes"])
    assert tables == _rows(tmp_path / "fresh.db")[0]
