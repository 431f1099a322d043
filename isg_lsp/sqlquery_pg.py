"""`isg/sql` on a PostgreSQL store: the same views and the same guarantees as SQLite's sandbox (sqlquery.py).

The text comes from an untrusted client, so it never reaches PostgreSQL as it was written:

- it is parsed by PostgreSQL's own parser (libpg_query, through pglast) and must be exactly one ``SELECT`` (or
  ``WITH ... SELECT``, ``VALUES``); every node of the tree is checked against an allow-list: the three views (and
  the statement's own common table expressions) are the only relations, functions and operators come from a list of
  safe ones, casts only to plain types, no ``INTO``, ``FOR UPDATE``, functions in ``FROM``, schema-qualified names,
  ``pg_*`` relations, XML, or session functions (``set_config``, ``pg_sleep``, ``pg_terminate_backend`` ...);
- what runs is the checked tree printed back to SQL (pglast's deparser) inside ``SELECT * FROM (...) LIMIT n``;
- in a ``READ ONLY`` transaction, rolled back at the end, with ``SET LOCAL`` ``statement_timeout`` (the budget),
  ``work_mem``, ``search_path = pg_temp`` and no parallel workers; over a role that can only read (the store's
  credentials: a reader role for editors and agents);
- the views ``isg_nodes``, ``isg_edges``, ``isg_files`` are temporary views of the connection, fixed to one snapshot
  (and, for an editor over a shared base, to the base plus the editor's own files): one workspace's graph never
  answers for another's;
- rows are capped, and so are the bytes of a result; a cancelled request cancels the statement on the server.

Every failure is an ``SqlError`` whose message says what was refused and why.
"""

from __future__ import annotations

import decimal
import threading
import time
from typing import Any

from .sqlquery import DEFAULT_BUDGET_MS, DEFAULT_LIMIT, MAX_LIMIT, MAX_RESULT_BYTES, MAX_SQL_LENGTH, VIEWS, SqlError
from .sqlquery import SqlResult

WORK_MEM = "16MB"
MAX_DEPTH = 200

SAFE_FUNCTIONS = frozenset(
    {
        # scalar functions without side effects or unbounded allocation (no repeat, lpad, rpad, generate_series)
        "abs",
        "ceil",
        "ceiling",
        "floor",
        "round",
        "trunc",
        "sign",
        "mod",
        "lower",
        "upper",
        "initcap",
        "length",
        "char_length",
        "character_length",
        "octet_length",
        "substr",
        "substring",
        "strpos",
        "position",
        "replace",
        "trim",
        "btrim",
        "ltrim",
        "rtrim",
        "left",
        "right",
        "concat",
        "concat_ws",
        "split_part",
        "starts_with",
        "reverse",
        "md5",
        "regexp_replace",
        "regexp_match",
        "regexp_like",
        "regexp_count",
        "regexp_substr",
        "regexp_instr",
        "string_to_array",
        "array_to_string",
        "array_length",
        "cardinality",
        "nullif",
        "coalesce",
        "greatest",
        "least",
        "similar_to_escape",
        # aggregates and window functions
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "string_agg",
        "array_agg",
        "bool_and",
        "bool_or",
        "every",
        "row_number",
        "rank",
        "dense_rank",
        "percent_rank",
        "cume_dist",
        "ntile",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        # JSON builders
        "json_build_object",
        "json_build_array",
        "jsonb_build_object",
        "jsonb_build_array",
        "to_json",
        "to_jsonb",
        "json_agg",
        "jsonb_agg",
        "json_object_agg",
        "jsonb_object_agg",
    }
)

SAFE_OPERATORS = frozenset(
    {
        "=",
        "<>",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "||",
        "~~",
        "!~~",
        "~~*",
        "!~~*",
        "~",
        "~*",
        "!~",
        "!~*",
    }
)

SAFE_TYPES = frozenset(
    {
        "text",
        "varchar",
        "bpchar",
        "char",
        "int2",
        "int4",
        "int8",
        "smallint",
        "integer",
        "int",
        "bigint",
        "numeric",
        "decimal",
        "float4",
        "float8",
        "real",
        "bool",
        "boolean",
        "json",
        "jsonb",
    }
)

# Node types a SELECT over the views needs; anything else is refused (IntoClause, LockingClause, RangeFunction,
# RangeTableSample, RangeTableFunc, XmlExpr, XmlSerialize, SQLValueFunction, CurrentOfExpr, SetToDefault, ...).
SAFE_NODES = frozenset(
    {
        "RawStmt",
        "SelectStmt",
        "ResTarget",
        "ColumnRef",
        "A_Const",
        "A_Expr",
        "BoolExpr",
        "FuncCall",
        "TypeCast",
        "TypeName",
        "RangeVar",
        "JoinExpr",
        "RangeSubselect",
        "SortBy",
        "WithClause",
        "CommonTableExpr",
        "SubLink",
        "CaseExpr",
        "CaseWhen",
        "NullTest",
        "BooleanTest",
        "CoalesceExpr",
        "MinMaxExpr",
        "A_Star",
        "A_Indirection",
        "A_Indices",
        "A_ArrayExpr",
        "WindowDef",
        "RowExpr",
        "GroupingSet",
        "Alias",
        "String",
        "Integer",
        "Float",
        "Boolean",
        "ParamRef",
        "CollateClause",
        "CTESearchClause",
        "CTECycleClause",
    }
)


def _deny(why: str) -> SqlError:
    return SqlError(f"refused: {why}")


def check(sql: str):
    """The statement's tree when it is one SELECT made only of allowed parts; else an ``SqlError`` saying what."""
    if not isinstance(sql, str):
        raise SqlError("sql must be a string")
    if len(sql) > MAX_SQL_LENGTH:
        raise SqlError(f"statement too long: {len(sql)} characters, at most {MAX_SQL_LENGTH}")
    if "\x00" in sql:
        raise SqlError("statement contains a NUL character")
    try:
        from pglast import parse_sql
        from pglast.parser import ParseError
    except ImportError:
        raise SqlError("isg/sql on PostgreSQL needs pglast (the `postgres` extra of isg-lsp)") from None
    try:
        statements = parse_sql(sql)
    except ParseError as error:
        raise SqlError(f"SQL error: {error}") from None
    except RecursionError:
        raise _deny("expression too deeply nested") from None
    if len(statements) != 1:
        raise _deny("one statement at a time" if statements else "no statement")
    statement = statements[0].stmt
    if type(statement).__name__ != "SelectStmt":
        raise SqlError(
            f"only SELECT statements are allowed (got {type(statement).__name__}); read the views "
            f"{', '.join(sorted(VIEWS))}"
        )
    ctes: set[str] = set()
    _collect_ctes(statement, ctes, 0)
    _walk(statement, ctes, 0)
    return statement


def _children(node):
    for name in node.__slots__:
        value = getattr(node, name, None)
        if value is None or isinstance(value, (str, int, float, bool)):
            continue
        yield name, value


def _collect_ctes(node: Any, names: set[str], depth: int) -> None:
    from pglast import ast

    if depth > MAX_DEPTH:
        raise _deny("expression too deeply nested")
    if isinstance(node, tuple | list):
        for element in node:
            _collect_ctes(element, names, depth + 1)
        return
    if not isinstance(node, ast.Node):
        return
    item: Any = node
    if type(item).__name__ == "CommonTableExpr":
        names.add(item.ctename.lower())
    for _name, value in _children(node):
        _collect_ctes(value, names, depth + 1)


def _names(parts) -> list[str]:
    return [getattr(p, "sval", None) or "" for p in (parts or ())]


def _walk(node: Any, ctes: set[str], depth: int) -> None:
    from pglast import ast

    if depth > MAX_DEPTH:
        raise _deny("expression too deeply nested")
    if isinstance(node, tuple | list):
        for element in node:
            _walk(element, ctes, depth + 1)
        return
    if not isinstance(node, ast.Node):
        return
    item: Any = node
    kind = type(item).__name__
    if kind not in SAFE_NODES:
        raise _deny(
            f"{_describe(kind)} is not allowed: isg/sql is read-only, SELECT only, over the documented "
            f"views (docs/sql.md)"
        )
    if kind == "SelectStmt" and (item.intoClause is not None or item.lockingClause):
        raise _deny("SELECT INTO and FOR UPDATE/SHARE are not allowed: isg/sql is read-only")
    elif kind == "RangeVar":
        name = (item.relname or "").lower()
        if item.schemaname or item.catalogname:
            raise _deny(
                f"reading {item.schemaname}.{item.relname} is not allowed: only the views "
                f"{', '.join(sorted(VIEWS))} may be read (docs/sql.md)"
            )
        if name.startswith("pg_") or (name not in VIEWS and name not in ctes):
            raise _deny(
                f"reading {item.relname!r} is not allowed: only the views {', '.join(sorted(VIEWS))} may "
                f"be read (docs/sql.md)"
            )
    elif kind == "FuncCall":
        parts = [p.lower() for p in _names(item.funcname)]
        if not (len(parts) == 1 or (len(parts) == 2 and parts[0] == "pg_catalog")) or parts[-1] not in SAFE_FUNCTIONS:
            raise _deny(f"function {'.'.join(parts)}() is not allowed (docs/sql.md lists the safe ones)")
    elif kind == "A_Expr":
        parts = _names(item.name)
        operator = parts[-1] if parts else ""
        if len(parts) > 2 or (len(parts) == 2 and parts[0].lower() != "pg_catalog"):
            raise _deny(f"operator {'.'.join(parts)} is not allowed")
        if (
            operator.upper() not in ("BETWEEN", "NOT BETWEEN", "BETWEEN SYMMETRIC", "NOT BETWEEN SYMMETRIC")
            and operator not in SAFE_OPERATORS
        ):
            raise _deny(f"operator {operator} is not allowed (docs/sql.md lists the safe ones)")
    elif kind == "TypeName":
        parts = [p.lower() for p in _names(item.names)]
        if (
            not parts
            or parts[-1] not in SAFE_TYPES
            or (len(parts) == 2 and parts[0] != "pg_catalog")
            or len(parts) > 2
            or item.setof
            or item.pct_type
        ):
            raise _deny(
                f"a cast to {'.'.join(parts) or 'that type'} is not allowed (plain text, number, boolean "
                f"and JSON types only)"
            )
    for _name, value in _children(node):
        _walk(value, ctes, depth + 1)


def _describe(kind: str) -> str:
    return {
        "IntoClause": "SELECT INTO",
        "LockingClause": "FOR UPDATE/SHARE",
        "RangeFunction": "a function in FROM",
        "RangeTableSample": "TABLESAMPLE",
        "SQLValueFunction": "a session value (current_user, now, ...)",
        "XmlExpr": "XML",
        "XmlSerialize": "XML",
    }.get(kind, kind)


def deparse(statement) -> str:
    from pglast.stream import RawStream

    return RawStream()(statement)


# ---- the connections --------------------------------------------------------------------------------------------

_local = threading.local()

_BASE_NODE_COLUMNS = (
    "id_hex, kind, name, fqp, lang, file, start_line, start_char, end_line, end_char, signature, visibility, external"
)


class _Connection:
    """A read-only connection of one SQL thread to one snapshot, with its temporary views."""

    def __init__(self, store) -> None:
        import psycopg

        try:
            self.conn = psycopg.connect(store.url, autocommit=True, connect_timeout=15, application_name="isg-lsp sql")
        except psycopg.Error as error:
            raise SqlError(f"cannot connect to the shared index: {_first_line(error)}") from None
        self.conn.execute("SET default_transaction_read_only = on")
        self.snapshot = int(store.snapshot)
        self.overlay = not store.write
        self.overlay_version = -1
        self._create_views()

    def _create_views(self) -> None:
        s = self.snapshot  # an integer: the only value ever written into this SQL
        execute = self.conn.execute
        execute("SET default_transaction_read_only = off")  # temporary objects of this session only
        if not self.overlay:
            execute(
                f"CREATE TEMP VIEW isg_nodes AS SELECT {_BASE_NODE_COLUMNS} FROM isg.isg_nodes WHERE snapshot = {s}"
            )
            execute(
                f"CREATE TEMP VIEW isg_edges AS SELECT src_hex, kind, dst_hex, resolution, candidates, derived, "
                f"src_fqp, dst_fqp FROM isg.isg_edges WHERE snapshot = {s}"
            )
            execute(
                f"CREATE TEMP VIEW isg_files AS SELECT path, lang, loc, size, unresolved, error, hash_hex "
                f"FROM isg.isg_files WHERE snapshot = {s}"
            )
        else:
            # an editor over a shared base: the base, less the files the editor's overlay shadows, plus the overlay
            execute("CREATE TEMP TABLE isg_shadow (path text PRIMARY KEY)")
            execute(
                "CREATE TEMP TABLE isg_overlay_nodes (id_hex text, kind text, name text, fqp text, lang text, "
                "file text, start_line integer, start_char integer, end_line integer, end_char integer, "
                "signature text, visibility text, external smallint)"
            )
            execute(
                "CREATE TEMP TABLE isg_overlay_edges (src_hex text, kind text, dst_hex text, resolution text, "
                "candidates integer, derived smallint, src_fqp text, dst_fqp text)"
            )
            execute(
                "CREATE TEMP TABLE isg_overlay_files (path text, lang text, loc integer, size bigint, "
                "unresolved integer, error text, hash_hex text)"
            )
            execute(
                f"CREATE TEMP VIEW isg_nodes AS SELECT {_BASE_NODE_COLUMNS} FROM isg.isg_nodes v "
                f"WHERE v.snapshot = {s} AND (v.file IS NULL OR NOT EXISTS "
                f"(SELECT 1 FROM pg_temp.isg_shadow h WHERE h.path = v.file)) "
                f"UNION SELECT {_BASE_NODE_COLUMNS} FROM pg_temp.isg_overlay_nodes"
            )
            execute(
                f"CREATE TEMP VIEW isg_edges AS SELECT encode(e.src, 'hex') AS src_hex, e.kind AS kind, "
                f"encode(e.dst, 'hex') AS dst_hex, e.resolution AS resolution, e.candidates AS candidates, "
                f"e.derived AS derived, "
                f"(SELECT n.fqp FROM isg.nodes n WHERE n.snapshot = {s} AND n.id = e.src LIMIT 1) AS src_fqp, "
                f"(SELECT n.fqp FROM isg.nodes n WHERE n.snapshot = {s} AND n.id = e.dst LIMIT 1) AS dst_fqp "
                f"FROM isg.edges e WHERE e.snapshot = {s} AND NOT EXISTS "
                f"(SELECT 1 FROM pg_temp.isg_shadow h WHERE h.path = e.file) "
                f"UNION SELECT o.src_hex, o.kind, o.dst_hex, o.resolution, o.candidates, o.derived, "
                f"coalesce(o.src_fqp, (SELECT n.fqp FROM isg.nodes n WHERE n.snapshot = {s} AND "
                f"n.id = decode(o.src_hex, 'hex') LIMIT 1)), "
                f"coalesce(o.dst_fqp, (SELECT n.fqp FROM isg.nodes n WHERE n.snapshot = {s} AND "
                f"n.id = decode(o.dst_hex, 'hex') LIMIT 1)) FROM pg_temp.isg_overlay_edges o"
            )
            execute(
                f"CREATE TEMP VIEW isg_files AS SELECT path, lang, loc, size, unresolved, error, hash_hex "
                f"FROM isg.isg_files v WHERE v.snapshot = {s} AND NOT EXISTS "
                f"(SELECT 1 FROM pg_temp.isg_shadow h WHERE h.path = v.path) "
                f"UNION ALL SELECT path, lang, loc, size, unresolved, error, hash_hex "
                f"FROM pg_temp.isg_overlay_files"
            )
        execute("SET default_transaction_read_only = on")

    def sync_overlay(self, store) -> None:
        """Brings the overlay tables up to the editor's current files (when they changed since the last statement)."""
        version, rows, externals = store.overlay_state()
        if version == self.overlay_version:
            return
        conn = self.conn
        with conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")  # temporary tables only
            for table in ("isg_shadow", "isg_overlay_nodes", "isg_overlay_edges", "isg_overlay_files"):
                conn.execute(f"DELETE FROM pg_temp.{table}")
            fqps: dict[bytes, str] = {n.id: n.fqp for n in externals}
            for _path, facts, *_ in rows:
                if facts is not None:
                    fqps.update((n.id, n.fqp) for n in facts.nodes)
            cur = conn.cursor()
            with cur.copy("COPY pg_temp.isg_shadow (path) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row[0],))
            with cur.copy(f"COPY pg_temp.isg_overlay_nodes ({_BASE_NODE_COLUMNS}) FROM STDIN") as copy:
                for path, facts, *_ in rows:
                    if facts is None:
                        continue
                    for n in facts.nodes:
                        copy.write_row(
                            (
                                n.id.hex(),
                                n.kind.value,
                                n.name,
                                n.fqp,
                                n.lang,
                                path,
                                *(n.span or (None,) * 4),
                                n.signature,
                                n.visibility,
                                0,
                            )
                        )
                for n in externals:
                    copy.write_row(
                        (n.id.hex(), n.kind.value, n.name, n.fqp, n.lang, None, None, None, None, None, "", None, 1)
                    )
            with cur.copy("COPY pg_temp.isg_overlay_edges FROM STDIN") as copy:
                for _path, facts, edges, *_ in rows:
                    if facts is None:
                        continue
                    for e in edges:
                        copy.write_row(
                            (
                                e.src.hex(),
                                e.kind.value,
                                e.dst.hex(),
                                e.resolution.value,
                                e.candidates,
                                int(e.derived),
                                fqps.get(e.src),
                                fqps.get(e.dst),
                            )
                        )
            with cur.copy("COPY pg_temp.isg_overlay_files FROM STDIN") as copy:
                for path, facts, _edges, size, _mtime, unresolved, *_ in rows:
                    if facts is not None:
                        copy.write_row(
                            (path, facts.lang, facts.loc, size, unresolved, facts.error, facts.content_hash.hex())
                        )
        self.overlay_version = version

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


def _connection(store) -> _Connection:
    cache: dict = getattr(_local, "connections", None) or {}
    _local.connections = cache
    key = (store.url, store.snapshot, store.write, id(store))
    connection = cache.get(key)
    if connection is None or connection.conn.closed:
        connection = cache[key] = _Connection(store)
    return connection


def close_connections() -> None:
    """Closes this thread's cached connections (tests, shutdown)."""
    for connection in (getattr(_local, "connections", None) or {}).values():
        connection.close()
    _local.connections = {}


def _value(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def run_sql(
    store,
    sql: str,
    limit: int = DEFAULT_LIMIT,
    budget_ms: float = DEFAULT_BUDGET_MS,
    params: tuple | dict = (),
    cancel: threading.Event | None = None,
) -> SqlResult:
    """One SELECT over a PostgreSQL store's views, read-only, with a row cap and a time budget."""
    import psycopg

    started = time.perf_counter()
    statement = check(sql)
    limit = max(1, min(int(limit), MAX_LIMIT))
    text = f"SELECT * FROM (\n{deparse(statement)}\n) AS isg_result LIMIT {limit + 1}"
    if cancel is not None and cancel.is_set():
        raise SqlError("cancelled")
    connection = _connection(store)
    if connection.overlay:
        connection.sync_overlay(store)
    conn = connection.conn
    done = threading.Event()

    def watch() -> None:  # $/cancelRequest: cancel the statement on the server
        while not done.wait(0.05):
            if cancel is not None and cancel.is_set():
                try:
                    conn.cancel_safe(timeout=2)
                except Exception:  # noqa: BLE001
                    pass
                return

    watcher = None
    if cancel is not None:
        watcher = threading.Thread(target=watch, name="isg-sql-cancel", daemon=True)
        watcher.start()
    rows: list[list] = []
    truncated = False
    columns: list[str] = []
    try:
        conn.execute("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            conn.execute(f"SET LOCAL statement_timeout = {max(1, int(budget_ms))}")
            conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            conn.execute("SET LOCAL search_path = pg_temp")
            conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cur = conn.cursor()
            size = 0
            for row in cur.stream(text, params or None):
                if not columns:
                    columns = [d.name for d in cur.description or ()]
                values = [_value(v) for v in row]
                size += sum(len(v) if isinstance(v, str) else 8 for v in values)
                if size > MAX_RESULT_BYTES or len(rows) >= limit:
                    truncated = True
                    break
                rows.append(values)
            if not columns and cur.description:
                columns = [d.name for d in cur.description]
        finally:
            try:
                if truncated:
                    conn.cancel_safe(timeout=2)  # the rest of a stream left behind
            except Exception:  # noqa: BLE001
                pass
            try:
                conn.execute("ROLLBACK")
            except psycopg.Error:
                pass
    except psycopg.errors.QueryCanceled:
        if cancel is not None and cancel.is_set():
            raise SqlError("cancelled") from None
        if truncated:
            return SqlResult(columns, rows, True, (time.perf_counter() - started) * 1000)
        raise SqlError(
            f"budget exceeded: the statement ran longer than {budget_ms:g} ms and was stopped; narrow it "
            f"with WHERE, LIMIT or fewer joins"
        ) from None
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction) as error:
        raise _deny(_first_line(error)) from None
    except psycopg.Error as error:
        raise SqlError(f"SQL error: {_first_line(error)}") from None
    finally:
        done.set()
    return SqlResult(columns, rows, truncated, (time.perf_counter() - started) * 1000)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
