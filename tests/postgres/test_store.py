"""The PostgreSQL store against a real server: the same graph as SQLite's, roles, two workspaces in one database,
and the schema checks of docs/security.md."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.sqlquery import SqlError
from isg_lsp.storage import parse_store
from isg_lsp.store import StoreError
from isg_lsp.store_pg import PgStore
from tests.helpers import debian_crate
from tests.postgres.conftest import isg


def export(engine: Engine) -> list[str]:
    return list(jsonl_lines(engine.graph))


@pytest.fixture(scope="module")
def serde(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("ws") / "serde"
    shutil.copytree(debian_crate("serde"), target)
    return target


def test_the_same_export_from_the_sqlite_and_the_postgresql_stores(pg, serde, tmp_path):
    sqlite_db = tmp_path / "serde.db"
    cold = isg("index", str(serde), "--db", str(sqlite_db), "--quiet")
    assert cold.returncode == 0, cold.stderr
    written = isg("index", str(serde), "--store", pg.writer, "--commit", "c1", "--quiet")
    assert written.returncode == 0, written.stderr
    assert "(workspace serde, commit c1)" in written.stdout
    # each store warm: nothing parsed, the graph rebuilt from what the store holds
    from_sqlite = Engine(serde, db_path=sqlite_db)
    report = from_sqlite.index()
    assert report.parsed == 0 and report.files == 21
    from_pg = Engine(serde, store_spec=parse_store(pg.writer, commit="c1"))
    assert isinstance(from_pg.store, PgStore)
    report = from_pg.index()
    assert report.parsed == 0 and report.files == 21
    base = Engine(serde, store_spec=parse_store(pg.reader + "@c1"), store_write=False)   # an editor's read
    assert base.index().parsed == 0
    fresh = Engine(serde, persist=False)
    fresh.index()
    expected = export(fresh)
    assert len(expected) > 5000
    assert export(from_sqlite) == expected
    assert export(from_pg) == expected
    assert export(base) == expected
    # and the command line's export, read from the shared base
    out = tmp_path / "pg.jsonl"
    done = isg("export", str(serde), "--store", pg.reader + "@c1", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines() == expected
    # the SQL views agree too: the same statements, the same rows
    statements = ["SELECT count(*) FROM isg_nodes WHERE external = 0",
                  "SELECT kind, count(*) FROM isg_edges GROUP BY kind ORDER BY kind",
                  "SELECT count(*), sum(loc), sum(unresolved) FROM isg_files",
                  "SELECT src_fqp FROM isg_edges WHERE kind = 'IMPL' AND dst_fqp = 'serde::ser::Serialize' "
                  "ORDER BY 1 LIMIT 20",
                  "SELECT path, lang, loc, size, hash_hex FROM isg_files ORDER BY path"]
    answers = [[engine.run_sql(sql, limit=1000).rows for sql in statements] for engine in (from_sqlite, from_pg, base)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0][0][0] > 1500 and answers[0][2][0][:2] == [21, 14236] and len(answers[0][3]) == 20
    for engine in (from_sqlite, from_pg, base, fresh):
        engine.close()


def test_a_reader_role_cannot_write(pg, serde):
    done = isg("index", str(serde), "--store", pg.writer, "--commit", "c1", "--quiet")
    assert done.returncode == 0, done.stderr
    refused = isg("index", str(serde), "--store", pg.reader, "--commit", "c2", "--quiet")
    assert refused.returncode == 2
    assert "the shared index was not written" in refused.stderr and "read-only" in refused.stderr
    with psycopg.connect(pg.reader, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM isg.files").fetchone()[0] == 21      # it reads
        for statement in ("DELETE FROM isg.files", "UPDATE isg.nodes SET name = 'x'",
                          "INSERT INTO isg.meta VALUES ('k', 'v')", "DROP TABLE isg.edges",
                          "CREATE TABLE isg.mine (x int)", "TRUNCATE isg.files"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    # a store opened read-only never writes, whatever its role may do: an editor's changes stay in memory
    with psycopg.connect(pg.writer, autocommit=True) as conn:
        before = conn.execute("SELECT count(*), max(updated) FROM isg.snapshots").fetchone()
    base = Engine(serde, store_spec=parse_store(pg.writer + "@c1"), store_write=False)
    base.index()
    (serde / "src" / "extra.rs").write_text("pub struct Extra;\n")
    try:
        base.update_from_disk("src/extra.rs")
        assert base.flush() == 1
    finally:
        (serde / "src" / "extra.rs").unlink()
        base.close()
    with psycopg.connect(pg.writer, autocommit=True) as conn:
        assert conn.execute("SELECT count(*), max(updated) FROM isg.snapshots").fetchone() == before
        assert conn.execute("SELECT count(*) FROM isg.files WHERE path = 'src/extra.rs'").fetchone()[0] == 0


def test_one_workspaces_graph_never_answers_for_anothers(pg, tmp_path):
    first = tmp_path / "one" / "app"
    second = tmp_path / "two" / "app"              # the same folder name: told apart by --workspace only
    shutil.copytree(debian_crate("anyhow"), first)
    shutil.copytree(debian_crate("serde"), second)
    for folder, name in ((first, "anyhow"), (second, "serde")):
        done = isg("index", str(folder), "--store", pg.writer, "--workspace", name, "--commit", "main", "--quiet")
        assert done.returncode == 0, done.stderr
    a = Engine(first, store_spec=parse_store(pg.reader + "@main", workspace="anyhow"), store_write=False)
    b = Engine(second, store_spec=parse_store(pg.reader + "@main", workspace="serde"), store_write=False)
    assert a.index().parsed == 0 and b.index().parsed == 0
    for engine, folder in ((a, first), (b, second)):             # each is exactly its own workspace's graph
        fresh = Engine(folder, persist=False)
        fresh.index()
        assert export(engine) == export(fresh)
        fresh.close()
    # isg/sql sees its own snapshot only, even when asked for everything
    for engine, crate, other in ((a, "anyhow", "serde"), (b, "serde", "anyhow")):
        count = "SELECT count(*) FROM isg_nodes WHERE external = 0 AND fqp LIKE %s"
        assert engine.run_sql(count % f"'{crate}::%'", limit=10).rows[0][0] > 50
        assert engine.run_sql(count % f"'{other}::%'", limit=10).rows == [[0]]
        files = {r[0] for r in engine.run_sql("SELECT path FROM isg_files", limit=1000).rows}
        assert files == set(engine.graph.files)
        with pytest.raises(SqlError, match="refused"):
            engine.run_sql("SELECT fqp FROM isg.isg_nodes", limit=10)      # the shared view, all snapshots
    # a workspace that is not there is an error that names what is, never another workspace's graph
    with pytest.raises(StoreError, match="no snapshot of workspace 'app'"):
        PgStore.open(parse_store(pg.reader + "@main"), first, write=False)
    a.close()
    b.close()


def test_a_schema_with_objects_isg_lsp_did_not_create_is_refused(pg, serde):
    done = isg("index", str(serde), "--store", pg.writer, "--commit", "c1", "--quiet")
    assert done.returncode == 0, done.stderr
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION isg.boom() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'")
        conn.execute("CREATE TRIGGER boom BEFORE INSERT ON isg.meta FOR EACH ROW EXECUTE FUNCTION isg.boom()")
    with pytest.raises(StoreError, match="objects isg-lsp did not create.*(function boom|trigger boom)"):
        PgStore.open(parse_store(pg.reader + "@c1"), serde, write=False)
    refused = isg("index", str(serde), "--store", pg.writer, "--commit", "c1", "--quiet")
    assert refused.returncode == 2 and "did not create" in refused.stderr
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        conn.execute("DROP TRIGGER boom ON isg.meta")
        conn.execute("DROP FUNCTION isg.boom()")
        conn.execute("UPDATE isg.meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="version 99"):
        PgStore.open(parse_store(pg.reader + "@c1"), serde, write=False)
