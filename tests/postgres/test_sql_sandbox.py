"""isg/sql on PostgreSQL: what a prompt-injected model might send, against a real server and a reader role.

Each attempt must end in a clear error (or a harmless answer) within its budget, the next statement must still be
served, and the database must be unchanged. docs/sql.md's examples run on both stores with the same rows."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time

import psycopg
import pytest

from isg_lsp.engine import Engine
from isg_lsp.sqlquery import SqlError
from isg_lsp.storage import parse_store
from tests.postgres.conftest import isg

BUDGET_MS = 300
SLACK_S = 3.0
DEMO = "tests/fixtures/rust/demo"


def fingerprint(url: str) -> tuple:
    with psycopg.connect(url, autocommit=True) as conn:
        digest = hashlib.sha256()
        for table in ("nodes", "edges", "files", "meta", "snapshots", "snapshot_meta"):
            for row in conn.execute(f"SELECT * FROM isg.{table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
        objects = conn.execute("SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON "
                               "n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', "
                               "'pg_toast') AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE "
                               "'pg_toast_temp%%' ORDER BY 1").fetchall()
        roles = conn.execute("SELECT rolname, rolsuper FROM pg_roles ORDER BY 1").fetchall()
    return digest.hexdigest(), objects, roles


@pytest.fixture(scope="module")
def indexed(pg_module, tmp_path_factory):
    """The demo crate on SQLite and on PostgreSQL (read through the editor's reader role)."""
    pg = pg_module
    tmp_path = tmp_path_factory.mktemp("sandbox")
    workspace = tmp_path / "demo"
    shutil.copytree(DEMO, workspace, ignore=shutil.ignore_patterns(".isg", "target"))
    done = isg("index", str(workspace), "--store", pg.writer, "--commit", "c1", "--quiet")
    assert done.returncode == 0, done.stderr
    sqlite = Engine(workspace, db_path=tmp_path / "demo.db")
    sqlite.index()
    shared = Engine(workspace, store_spec=parse_store(pg.reader + "@c1"), store_write=False)
    assert shared.index().parsed == 0
    yield pg, sqlite, shared
    sqlite.close()
    shared.close()


@pytest.fixture
def engines(indexed):
    pg, sqlite, shared = indexed
    before = fingerprint(pg.admin)
    yield sqlite, shared
    assert fingerprint(pg.admin) == before, "the database changed"


def still_serving(engine) -> None:
    result = engine.run_sql("SELECT fqp FROM isg_nodes WHERE name = 'Circle' AND external = 0", limit=10,
                            budget_ms=5000)
    assert result.rows == [["demo_crate::shapes::circle::Circle"]]


def refused(engine, sql: str, expect: str = "refused", budget_ms: float = BUDGET_MS) -> str:
    started = time.perf_counter()
    with pytest.raises(SqlError) as info:
        engine.run_sql(sql, limit=100, budget_ms=budget_ms)
    assert time.perf_counter() - started < budget_ms / 1000 + SLACK_S
    message = str(info.value)
    assert expect.lower() in message.lower(), message
    still_serving(engine)
    return message


WRITES = [
    "INSERT INTO isg_nodes VALUES ('x')", "UPDATE isg_files SET loc = 0", "DELETE FROM isg_edges",
    "DROP VIEW isg_nodes", "CREATE TABLE t (x int)", "TRUNCATE isg.files", "COPY isg.files TO STDOUT",
    "ALTER ROLE isg_editor SUPERUSER", "GRANT ALL ON SCHEMA isg TO PUBLIC", "SET statement_timeout = 0",
    "BEGIN", "COMMIT", "LISTEN x", "NOTIFY x", "VACUUM", "DO $$ BEGIN END $$", "PREPARE p AS SELECT 1",
    "SELECT 1; DELETE FROM isg.files", "SELECT * INTO newtable FROM isg_nodes",
    "SELECT * FROM isg_nodes FOR UPDATE", "WITH d AS (DELETE FROM isg.files RETURNING *) SELECT * FROM d",
    "EXPLAIN ANALYZE SELECT 1", "CALL something()",
]


@pytest.mark.parametrize("sql", WRITES)
def test_anything_but_one_select_is_refused(engines, sql):
    _, shared = engines
    message = refused(shared, sql, expect="")
    assert message.startswith(("refused", "only SELECT", "SQL error")), message


ESCAPES = [
    ("SELECT * FROM isg.nodes", "isg.nodes"),
    ("SELECT facts FROM isg.files", "isg.files"),
    ("SELECT * FROM nodes", "'nodes'"),
    ("SELECT * FROM pg_class", "pg_class"),
    ("SELECT * FROM pg_catalog.pg_authid", "pg_catalog.pg_authid"),
    ("SELECT * FROM information_schema.tables", "information_schema"),
    ("SELECT * FROM pg_temp.isg_nodes", "pg_temp.isg_nodes"),
    ("WITH pg_roles AS (SELECT 1) SELECT * FROM pg_roles", "pg_roles"),
    ("SELECT set_config('isg.x', '1', false)", "set_config"),
    ("SELECT pg_sleep(10)", "pg_sleep"),
    ("SELECT pg_terminate_backend(1)", "pg_terminate_backend"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("SELECT query_to_xml('select * from isg.files', true, false, '')", "query_to_xml"),
    ("SELECT lo_import('/etc/passwd')", "lo_import"),
    ("SELECT repeat('x', 100000000)", "repeat"),
    ("SELECT * FROM generate_series(1, 1000000000)", "function in FROM"),
    ("SELECT current_user", "session value"),
    ("SELECT 'pg_authid'::regclass", "regclass"),
    ("SELECT pg_catalog.set_config('role', 'none', true)", "set_config"),
    ("SELECT name FROM isg_nodes TABLESAMPLE SYSTEM (1)", "TABLESAMPLE"),
    ("SELECT OPERATOR(pg_catalog.@@) 'a'", "operator"),
    ("SELECT xmlparse(document '<a/>')", "XML"),
]


@pytest.mark.parametrize("sql, expect", ESCAPES)
def test_only_the_views_and_safe_functions_are_reachable(engines, sql, expect):
    _, shared = engines
    message = refused(shared, sql)
    assert expect.lower() in message.lower(), message


def test_time_rows_and_bytes_are_bounded(engines):
    _, shared = engines
    message = refused(shared, "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
                              "SELECT count(*) FROM r", expect="budget exceeded")
    assert "300 ms" in message
    many = shared.run_sql("SELECT a.fqp FROM isg_nodes a, isg_nodes b", limit=50, budget_ms=5000)
    assert len(many.rows) == 50 and many.truncated
    wide = shared.run_sql("WITH RECURSIVE r(x, s) AS (SELECT 1, 'x' UNION ALL SELECT x + 1, s || s FROM r "
                          "WHERE x < 23) SELECT s FROM r, isg_nodes", limit=10_000, budget_ms=5000)
    assert wide.truncated and sum(len(row[0]) for row in wide.rows) <= 9 * 1024 * 1024


def test_a_cancelled_statement_stops_on_the_server(engines):
    _, shared = engines
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.perf_counter()
    with pytest.raises(SqlError, match="cancelled"):
        shared.run_sql("WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r",
                       limit=10, budget_ms=60_000, cancel=cancel)
    assert time.perf_counter() - started < 10
    still_serving(shared)


DOCS_EXAMPLES = [
    "SELECT src_fqp FROM isg_edges WHERE kind = 'IMPL' AND dst_fqp = 'demo_crate::shapes::Shape' ORDER BY 1",
    "SELECT dst_fqp, count(*) AS callers FROM isg_edges WHERE kind = 'CALLS' GROUP BY dst_fqp "
    "ORDER BY 2 DESC, 1 LIMIT 10",
    """WITH RECURSIVE up(fqp, depth) AS (
  SELECT 'demo_crate::util::sum', 0
  UNION
  SELECT e.src_fqp, up.depth + 1 FROM isg_edges e JOIN up ON e.dst_fqp = up.fqp
  WHERE e.kind = 'CALLS' AND up.depth < 5)
SELECT fqp, min(depth) FROM up GROUP BY fqp ORDER BY 2, 1""",
    "SELECT file, kind, count(*) FROM isg_nodes WHERE external = 0 GROUP BY file, kind ORDER BY 1, 2",
    "SELECT path, lang, loc, size, unresolved, error, hash_hex FROM isg_files ORDER BY path",
    "SELECT id_hex, kind, name, fqp, lang, file, start_line, start_char, end_line, end_char, signature, "
    "visibility, external FROM isg_nodes ORDER BY id_hex, file",
]


@pytest.mark.parametrize("sql", DOCS_EXAMPLES)
def test_docs_examples_give_the_same_rows_on_both_stores(engines, sql):
    sqlite, shared = engines
    on_sqlite = sqlite.run_sql(sql, limit=10_000, budget_ms=5000)
    on_pg = shared.run_sql(sql, limit=10_000, budget_ms=5000)
    assert on_pg.rows == on_sqlite.rows
    assert on_pg.rows, sql
