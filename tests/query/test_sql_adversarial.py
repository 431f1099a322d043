"""Hostile input: what a prompt-injected model might send through isg/sql and isg/query.

Each attempt must end in a clear error (or a harmless literal answer) within its time budget, the next request must
still be served, and the database must be unchanged: same rows, same schema, no new files next to it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

import pytest

from isg_lsp.querylang import QueryLanguageError, run_query
from isg_lsp.sqlquery import SqlError, close_connections, run_sql

BUDGET_MS = 150
SLACK_S = 3.0          # a shared, loaded 2-core machine: generous, but far below "hangs"


def snapshot(db) -> tuple:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for table in ("nodes", "edges", "files", "meta"):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    files = sorted(p.name for p in db.parent.iterdir() if not p.name.startswith(db.name))
    return digest.hexdigest(), schema, version, files


@pytest.fixture
def db(demo_db):
    engine, path = demo_db
    before = snapshot(path)
    yield path
    close_connections()
    assert snapshot(path) == before, "the database or its folder changed"


def still_serving(db) -> None:
    result = run_sql(db, "SELECT fqp FROM isg_nodes WHERE name = 'Circle' AND external = 0", budget_ms=5000)
    assert result.rows == [["demo_crate::shapes::circle::Circle"]]


def refused(db, sql: str, *, expect: str = "", budget_ms: float = BUDGET_MS) -> str:
    started = time.perf_counter()
    with pytest.raises(SqlError) as info:
        run_sql(db, sql, budget_ms=budget_ms)
    elapsed = time.perf_counter() - started
    assert elapsed < budget_ms / 1000 + SLACK_S, f"took {elapsed:.2f}s"
    message = str(info.value)
    assert message and expect.lower() in message.lower(), message
    still_serving(db)
    return message


# ---- isg/sql: writes, schema changes, attachments, pragmas, extensions ----------------------------------------------

@pytest.mark.parametrize("sql", [
    "DELETE FROM nodes",
    "DROP TABLE edges",
    "INSERT INTO meta VALUES ('x', 'y')",
    "UPDATE nodes SET name = 'pwned'",
    "CREATE TABLE t (a)",
    "CREATE TEMP TABLE t (a)",
    "CREATE TEMP VIEW v AS SELECT 1",
    "CREATE TRIGGER t AFTER INSERT ON nodes BEGIN SELECT 1; END",
    "ALTER TABLE nodes ADD COLUMN x",
    "REINDEX",
    "VACUUM",
    "ANALYZE",
    "BEGIN IMMEDIATE",
    "SAVEPOINT s",
    "REPLACE INTO meta VALUES ('a', 'b')",
    "PRAGMA query_only = 0",
    "PRAGMA writable_schema = 1",
    "PRAGMA journal_mode = DELETE",
    "ATTACH DATABASE 'evil.db' AS evil",
    "DETACH DATABASE main",
    "EXPLAIN SELECT 1",
    "/* hidden */ DELETE FROM nodes",
    "-- comment\nDROP TABLE nodes",
])
def test_statements_other_than_select_are_refused(db, sql):
    refused(db, sql, expect="SELECT")


@pytest.mark.parametrize("sql, expect", [
    ("SELECT 1; DELETE FROM nodes", "one statement"),
    ("SELECT 1; ATTACH 'evil.db' AS evil", "one statement"),
    ("WITH x AS (SELECT 1) DELETE FROM nodes", "not allowed"),
    ("WITH x AS (SELECT 1) INSERT INTO meta VALUES ('a', 'b')", "not allowed"),
    ("SELECT load_extension('/tmp/evil.so')", "load_extension"),
    ("SELECT load_extension('libc.so.6', 'system')", "load_extension"),
    ("SELECT * FROM sqlite_master", "sqlite_master"),
    ("SELECT * FROM main.sqlite_schema", "sqlite_master"),
    ("SELECT * FROM sqlite_temp_master", "not allowed"),
    ("SELECT * FROM pragma_table_info('nodes')", "not allowed"),
    ("SELECT * FROM pragma_database_list", "not allowed"),
    ("SELECT * FROM nodes", "only the views"),
    ("SELECT facts FROM files", "only the views"),
    ("SELECT * FROM meta", "only the views"),
    ("WITH isg_files AS (SELECT facts FROM files) SELECT * FROM isg_files", "not allowed"),
    ("WITH isg_nodes AS (SELECT * FROM meta) SELECT * FROM isg_nodes", "not allowed"),
    ("SELECT readfile('/etc/passwd')", "readfile"),
    ("SELECT writefile('/tmp/x', 'y')", "writefile"),
    ("SELECT edit('x')", "edit"),
    ("SELECT fts3_tokenizer('simple')", "fts3_tokenizer"),
    ("SELECT * FROM json_each('[1]')", "not allowed"),
    ("SELECT randomblob(1000000000)", "randomblob"),
    ("SELECT zeroblob(1000000000)", "zeroblob"),
    ("SELECT printf('%.*c', 2000000000, 'x')", "printf"),
    ("SELECT sqlite_version()", "sqlite_version"),
    ("SELECT sqlite_offset(id_hex) FROM isg_nodes", ""),
    ("SELECT ?", ""),
    ("SELECT :name", ""),
    ("SELECT fqp FROM isg_nodes WHERE fqp REGEXP '(.)\\1'", "backreferences"),
    ("SELECT fqp FROM isg_nodes WHERE fqp REGEXP '['", "invalid"),
    ("SELECT * FROM temp.isg_nodes", ""),
    ("SELECT * FROM evil.isg_nodes", ""),
])
def test_hostile_selects_are_refused(db, sql, expect):
    refused(db, sql, expect=expect)


def test_attach_cannot_create_a_file(db):
    target = db.parent / "attached.db"
    for sql in (f"ATTACH '{target}' AS x", f"SELECT 1 FROM isg_nodes; ATTACH '{target}' AS x"):
        refused(db, sql)
    assert not target.exists()


# ---- resource exhaustion ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c ORDER BY x DESC",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c), d(y) AS (SELECT 1 UNION ALL "
    "SELECT y + 1 FROM d) SELECT count(*) FROM c, d",
    "WITH RECURSIVE c(x) AS (SELECT 'a' UNION ALL SELECT x || x FROM c) SELECT length(x) FROM c ORDER BY 1 DESC",
    "SELECT count(*) FROM isg_nodes a, isg_nodes b, isg_nodes c, isg_nodes d, isg_nodes e",
    "SELECT count(*) FROM isg_edges a, isg_edges b, isg_edges c, isg_edges d",
    "SELECT max(a.fqp || b.fqp || c.fqp) FROM isg_nodes a, isg_nodes b, isg_nodes c, isg_nodes d "
    "ORDER BY random()",
])
def test_runaway_statements_stop_at_the_budget(db, sql):
    message = refused(db, sql, budget_ms=BUDGET_MS)
    assert "budget exceeded" in message or "too big" in message or "not allowed" in message, message


def test_huge_string_growth_is_bounded(db):
    refused(db, "WITH RECURSIVE c(x) AS (SELECT 'ab' UNION ALL SELECT x || x FROM c) SELECT x FROM c",
            budget_ms=2000)


@pytest.mark.parametrize("sql, expect", [
    ("SELECT " + "(" * 300 + "1" + ")" * 300, "nested"),
    ("SELECT " + " + ".join(["1"] * 2000), ""),
    ("SELECT " + " UNION ALL SELECT ".join(["1"] * 50), ""),
    ("SELECT 1 WHERE " + " OR ".join(f"'{i}' = ?" for i in range(300)), ""),
    ("SELECT '" + "x" * 30000 + "'", "too long"),
    ("SELECT " + ", ".join(f"{i}" for i in range(500)), ""),
    ("SELECT coalesce(" + ", ".join(["1"] * 100) + ")", ""),
])
def test_oversized_and_deep_statements_are_refused(db, sql, expect):
    refused(db, sql, expect=expect)


def test_row_cap(db):
    result = run_sql(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
                     limit=50)
    assert len(result.rows) == 50 and result.truncated
    result = run_sql(db, "SELECT fqp FROM isg_nodes", limit=10**9)
    assert not result.truncated


def test_not_a_string_and_nul_bytes(db):
    with pytest.raises(SqlError):
        run_sql(db, None)                                              # type: ignore[arg-type]
    refused(db, "SELECT 1\x00; DROP TABLE nodes", expect="NUL")


def test_missing_database(tmp_path):
    with pytest.raises(SqlError, match="no database"):
        run_sql(tmp_path / "nothing.db", "SELECT 1")


def test_allowed_reads_work(db):
    result = run_sql(db, "SELECT src_fqp, dst_fqp, resolution FROM isg_edges WHERE kind = 'IMPL' "
                         "AND dst_fqp = 'demo_crate::shapes::Shape' ORDER BY 1")
    assert result.rows == [["demo_crate::shapes::Square", "demo_crate::shapes::Shape", "exact"],
                           ["demo_crate::shapes::circle::Circle", "demo_crate::shapes::Shape", "import"]]
    assert run_sql(db, "SELECT count(*) FROM isg_files").rows[0][0] == 4
    assert run_sql(db, "SELECT fqp FROM isg_nodes WHERE signature REGEXP 'fn \\w+\\(&self, k'").rows == [
        ["demo_crate::shapes::Shape::scaled"]]


# ---- isg/query: injection payloads in every string position ---------------------------------------------------------

PAYLOADS = [
    "'; DROP TABLE nodes; --",
    "\" OR 1=1 --",
    "x' UNION SELECT facts FROM files --",
    "'); ATTACH DATABASE '/tmp/evil.db' AS evil; --",
    "1; PRAGMA query_only=0",
    "%' OR '1'='1",
    "*",
    "\\",
    "Robert'); DELETE FROM edges WHERE ('1'='1",
    "x\x00y",
    "load_extension('evil')",
]

POSITIONS = [
    "who-implements {q}",
    "callers {q}",
    "callees {q} depth 2",
    "blast-radius {q} depth 2",
    "path {q} to {q}",
    "cycles module in {q}",
    "context {q}",
    "find * where name = {q}",
    "find * where fqp != {q}",
    "find * where signature contains {q}",
    "find * where file glob {q}",
    "find * where name starts-with {q} or name ends-with {q}",
    "find * where lang = {q} or visibility = {q}",
    "find * where implements {q}",
    "find * where called-by {q}",
    "find * where bound-by {q}",
    "find * where in module {q}",
    "find * where name regex {q}",
]


def quoted(payload: str) -> str:
    return '"' + payload.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("position", POSITIONS)
def test_injection_payloads_are_literals(demo_db, position):
    engine, db_path = demo_db
    before = snapshot(db_path)
    graph_before = engine.graph.snapshot()
    for payload in PAYLOADS:
        text = position.format(q=quoted(payload))
        for graph, store in ((engine.graph, None), (None, db_path)):
            if graph is None and not text.startswith("find"):
                continue
            started = time.perf_counter()
            try:
                result = run_query(graph, text, store_path=store, budget_ms=BUDGET_MS)
            except QueryLanguageError as error:
                assert str(error).startswith("at column"), str(error)
            else:
                for row in result.rows:                                  # literal matches only: nothing leaked
                    assert "facts" not in row and "pwned" not in str(row)
            assert time.perf_counter() - started < BUDGET_MS / 1000 + SLACK_S
    close_connections()
    assert snapshot(db_path) == before
    assert engine.graph.snapshot() == graph_before
    assert [r["fqp"] for r in run_query(engine.graph, "who-implements Shape").rows] == [
        "demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle"]


def test_unquoted_payload_words_are_syntax_errors_or_literals(graph):
    for text in ("find * where name = x'; DROP TABLE nodes; --", "callers a;b", "find * where name = 1 OR 1=1"):
        try:
            run_query(graph, text)
        except QueryLanguageError as error:
            assert error.code in ("syntax", "unknown-target", "unknown-field"), str(error)
