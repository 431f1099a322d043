"""`isg/sql`: read-only SQL over the documented views (docs/sql.md), for power users and tools.

The text comes from an untrusted client (a prompt-injected model may send anything), so every layer assumes the worst:

- the connection is opened read-only (``mode=ro``) and with ``PRAGMA query_only=1``;
- ``setlimit`` forbids attaching databases and bounds SQL length, expression depth, compound selects, variables,
  string length and program size;
- an authorizer allows only ``SELECT`` and reads of the documented views (and of the base table columns those views
  expose, when read on their behalf), plus a list of safe functions. ``ATTACH``, ``PRAGMA``, ``load_extension``,
  writes, temporary tables and ``sqlite_master`` are denied at prepare time, before anything runs;
- a progress handler interrupts a statement that outlives the time budget or SQLite's memory budget, and a watchdog
  thread interrupts one that sits in a single long operation (a sort) past its deadline or after its cancellation;
  temporary data stays in memory (``temp_store=MEMORY``: no temporary files), under SQLite's heap limit;
- rows are capped, and so are the bytes of a result (a thousand rows of a megabyte each were 3 GB in the server);
- statements run on a pool of threads with a connection each (``submit``): a slow one never queues the others.

Every failure is an ``SqlError`` whose message says what was refused and why.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import patterns

VIEWS = frozenset({"isg_nodes", "isg_edges", "isg_files"})

# Base-table columns the views read. Reads on a view's behalf are allowed only for these (a CTE named like a view
# cannot reach anything else, such as files.facts or the meta table).
_BASE_COLUMNS = {
    "nodes": frozenset(
        {
            "id",
            "kind",
            "name",
            "fqp",
            "lang",
            "file",
            "start_line",
            "start_char",
            "end_line",
            "end_char",
            "signature",
            "visibility",
            "external",
        }
    ),
    "edges": frozenset({"src", "kind", "dst", "resolution", "candidates", "derived"}),
    "files": frozenset({"path", "lang", "loc", "size", "unresolved", "error", "hash"}),
}

SAFE_FUNCTIONS = frozenset(
    {
        # core scalar functions without side effects or unbounded allocation
        "abs",
        "char",
        "coalesce",
        "glob",
        "hex",
        "ifnull",
        "iif",
        "instr",
        "length",
        "like",
        "likely",
        "lower",
        "ltrim",
        "max",
        "min",
        "nullif",
        "quote",
        "replace",
        "round",
        "rtrim",
        "sign",
        "substr",
        "substring",
        "trim",
        "typeof",
        "unicode",
        "unlikely",
        "upper",
        # aggregates and window functions
        "avg",
        "count",
        "group_concat",
        "string_agg",
        "sum",
        "total",
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
        # JSON readers
        "json",
        "json_array",
        "json_object",
        "json_extract",
        "json_type",
        "json_valid",
        "json_array_length",
        "json_quote",
        "json_group_array",
        "json_group_object",
        # ours: `x REGEXP pattern`, matched by RE2 in linear time (patterns.py)
        "regexp",
    }
)

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
DEFAULT_BUDGET_MS = 250
MAX_SQL_LENGTH = 20_000
MAX_RESULT_BYTES = int(os.environ.get("ISG_LSP_SQL_MAX_RESULT_BYTES", str(8 * 1024 * 1024)))
MEMORY_BUDGET_BYTES = 256 * 1024 * 1024  # SQLite heap a running statement may add (checked as it runs)
HARD_HEAP_LIMIT_BYTES = 1024 * 1024 * 1024  # SQLite's own hard limit for the process: allocations past it fail
CACHE_KIB = 8192  # page cache of a read connection
THREADS = 4  # statements that may run at once (one connection each)
WATCHDOG_S = 0.05

_LIMITS = {
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: MAX_SQL_LENGTH,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 100,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 8,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 256,
    sqlite3.SQLITE_LIMIT_LENGTH: 1_000_000,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 500,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 16,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 50_000,
    sqlite3.SQLITE_LIMIT_COLUMN: 200,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 1,
}

_ACTION_NAMES = {
    getattr(sqlite3, name): name[len("SQLITE_") :]
    for name in dir(sqlite3)
    if name.startswith("SQLITE_")
    and name[len("SQLITE_") :]
    in {
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE_TABLE",
        "CREATE_TEMP_TABLE",
        "CREATE_INDEX",
        "CREATE_TEMP_INDEX",
        "CREATE_VIEW",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_TEMP_TRIGGER",
        "DROP_TABLE",
        "DROP_TEMP_TABLE",
        "DROP_VIEW",
        "DROP_TEMP_VIEW",
        "DROP_INDEX",
        "DROP_TEMP_INDEX",
        "DROP_TRIGGER",
        "DROP_TEMP_TRIGGER",
        "TRANSACTION",
        "SAVEPOINT",
        "ANALYZE",
        "ALTER_TABLE",
        "REINDEX",
        "CREATE_VTABLE",
        "DROP_VTABLE",
    }
}


class SqlError(ValueError):
    """A statement that was refused or failed; the message says why, for the user."""


@dataclass
class SqlResult:
    columns: list[str]
    rows: list[list]
    truncated: bool
    elapsed_ms: float = 0.0

    def to_json(self) -> dict:
        return {"columns": self.columns, "rows": self.rows, "truncated": self.truncated}


# ---- safe regular expressions (shared with the query language) ------------------------------------------------

MAX_REGEX_LENGTH = patterns.MAX_REGEX_LENGTH
MAX_REGEX_SUBJECT = patterns.MAX_SUBJECT
UnsafeRegex = patterns.UnsafePattern


def safe_regex(pattern: str, ignore_case: bool = False) -> patterns.Regex:
    """Compiles an untrusted pattern for RE2, whose matching is linear in the subject (patterns.py): Python's
    ``re`` backtracks, and a match that has started cannot be interrupted by any budget or cancellation."""
    return patterns.regex(pattern, ignore_case)


def _sql_regexp(guard):
    def regexp(pattern, value):
        if pattern is None or value is None:
            return None
        try:
            compiled = safe_regex(str(pattern))
        except UnsafeRegex as error:
            guard.denied = guard.denied or str(error)
            raise
        return 1 if compiled.search(str(value)) else 0

    return regexp


# ---- the connection -----------------------------------------------------------------------------------------


class _Guard:
    """Per-statement state the authorizer and the progress handler read: what was refused, the deadline."""

    __slots__ = ("denied", "deadline", "timed_out", "cancel", "memory_cap", "out_of_memory")

    def __init__(self) -> None:
        self.denied: str | None = None
        self.deadline = 0.0
        self.timed_out = False
        self.cancel: threading.Event | None = None  # a threading.Event: set when the request is cancelled
        self.memory_cap = 0  # SQLite heap in use past which the statement stops (0: not checked)
        self.out_of_memory = False

    def should_stop(self) -> bool:
        if time.perf_counter() > self.deadline:
            self.timed_out = True
            return True
        cancel = self.cancel
        if cancel is not None and cancel.is_set():  # $/cancelRequest (the server sets the flag)
            return True
        if self.memory_cap and _memory_used() > self.memory_cap:
            self.out_of_memory = True
            return True
        return False


# SQLite's heap in use, process-wide (sqlite3_memory_used through ctypes; 0 when it cannot be reached)
def _load_memory_used():
    try:
        import ctypes

        import _sqlite3

        function = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
        function.restype = ctypes.c_int64
        function.argtypes = []
        function()
        return function
    except Exception:  # noqa: BLE001 - a Python without a reachable libsqlite3: the heap limit still holds
        return lambda: 0


_memory_used = _load_memory_used()
_HEAP_LIMITED = False


def _limit_heap(conn: sqlite3.Connection) -> None:
    """SQLite's hard heap limit (process-wide, set once): the backstop under the per-statement memory budget."""
    global _HEAP_LIMITED
    if not _HEAP_LIMITED:
        _HEAP_LIMITED = True
        try:
            conn.execute(f"PRAGMA hard_heap_limit={HARD_HEAP_LIMIT_BYTES}")
        except sqlite3.Error:
            pass


class _Watchdog:
    """One daemon thread that interrupts running statements past their deadline, over the memory budget or
    cancelled: the progress handler is not called inside one long operation (a sort), ``interrupt`` lands there."""

    def __init__(self) -> None:
        self._running: dict[int, tuple[sqlite3.Connection, _Guard]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, key: int, conn: sqlite3.Connection, guard: _Guard) -> None:
        with self._lock:
            self._running[key] = (conn, guard)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="isg-sql-watchdog", daemon=True)
                self._thread.start()

    def forget(self, key: int) -> None:
        with self._lock:
            self._running.pop(key, None)

    def _loop(self) -> None:
        while True:
            time.sleep(WATCHDOG_S)
            with self._lock:
                running = list(self._running.values())
            for conn, guard in running:
                if guard.deadline and guard.should_stop():
                    try:
                        conn.interrupt()
                    except sqlite3.Error:
                        pass


_WATCHDOG = _Watchdog()
_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def submit(job, *args, **kwargs) -> Future:
    """Runs ``job`` (``run_sql`` or anything calling it) on the pool of SQL threads, each with its own read-only
    connections: statements run side by side, never queued behind a slow one or behind the index writer."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="isg-sql")
        return _EXECUTOR.submit(job, *args, **kwargs)


def _authorizer(guard: _Guard):
    select, read, function, recursive = (
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_RECURSIVE,
    )
    ok, deny = sqlite3.SQLITE_OK, sqlite3.SQLITE_DENY

    def authorize(action, arg1, arg2, db_name, inner):
        if action == select or action == recursive:
            return ok
        if action == read:
            table = (arg1 or "").lower()
            if db_name is None:  # a common table expression or subquery, not a stored table
                return ok
            if db_name != "main":
                guard.denied = guard.denied or f"reading {db_name}.{arg1} is not allowed"
                return deny
            if table in VIEWS:
                return ok
            columns = _BASE_COLUMNS.get(table)
            if columns is not None and inner in VIEWS and (arg2 or "") in columns | {""}:
                return ok
            guard.denied = guard.denied or (
                f"reading {arg1!r} is not allowed: only the views {', '.join(sorted(VIEWS))} may be read (docs/sql.md)"
            )
            return deny
        if action == function:
            name = (arg2 or "").lower()
            if name in SAFE_FUNCTIONS:
                return ok
            guard.denied = guard.denied or f"function {arg2}() is not allowed (docs/sql.md lists the safe ones)"
            return deny
        if (arg1 or "").lower().startswith("sqlite_"):
            guard.denied = guard.denied or "reading the schema (sqlite_master, pragma functions) is not allowed"
            return deny
        what = _ACTION_NAMES.get(action, f"operation {action}")
        guard.denied = guard.denied or f"{what.replace('_', ' ')} is not allowed: isg/sql is read-only, SELECT only"
        return deny

    return authorize


class _Connection:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        st = os.stat(db_path)
        self.identity = (st.st_dev, st.st_ino)
        uri = db_path.resolve().as_uri() + "?mode=ro"
        self.conn = sqlite3.connect(
            uri, uri=True, timeout=2, isolation_level=None, check_same_thread=True, cached_statements=32
        )
        self.conn.execute("PRAGMA query_only=1")
        self.conn.execute("PRAGMA trusted_schema=OFF")
        self.conn.execute("PRAGMA temp_store=MEMORY")  # no temporary files: heap, under the limits below
        self.conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self.conn.execute("PRAGMA threads=0")
        _limit_heap(self.conn)
        for limit, value in _LIMITS.items():
            self.conn.setlimit(limit, value)
        self.guard = _Guard()
        self.conn.create_function("regexp", 2, _sql_regexp(self.guard), deterministic=True)
        self.conn.set_authorizer(_authorizer(self.guard))
        guard = self.guard

        def progress() -> int:
            return 1 if guard.should_stop() else 0

        self.conn.set_progress_handler(progress, 200)

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass


_local = threading.local()


def _connection(db_path: Path) -> _Connection:
    """A cached read-only connection per thread and database file (reopened when the file was replaced)."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise SqlError(f"no database at {db_path}: index the workspace with a database first")
    cache: dict = getattr(_local, "connections", None) or {}
    _local.connections = cache
    key = str(db_path)
    existing = cache.get(key)
    if existing is not None:
        try:
            st = os.stat(db_path)
            if (st.st_dev, st.st_ino) == existing.identity:
                return existing
        except OSError:
            pass
        existing.close()
        del cache[key]
    try:
        connection = _Connection(db_path)
    except sqlite3.Error as error:
        raise SqlError(f"cannot open {db_path} read-only: {error}") from None
    cache[key] = connection
    return connection


def close_connections() -> None:
    """Closes this thread's cached connections (tests, shutdown)."""
    for connection in (getattr(_local, "connections", None) or {}).values():
        connection.close()
    _local.connections = {}


_COMMENT = re.compile(r"(--[^\n]*(\n|$)|/\*.*?(\*/|$))", re.S)


def _first_word(sql: str) -> str:
    text = sql
    for _ in range(50):
        stripped = text.lstrip()
        new = _COMMENT.sub(" ", stripped, count=1) if stripped.startswith(("--", "/*")) else stripped
        if new == text:
            break
        text = new
    match = re.match(r"[A-Za-z]+", text.lstrip())
    return match.group(0).upper() if match else ""


def run_sql(
    db_path: Path | str,
    sql: str,
    limit: int = DEFAULT_LIMIT,
    budget_ms: float = DEFAULT_BUDGET_MS,
    params: tuple | dict = (),
    cancel: threading.Event | None = None,
) -> SqlResult:
    """Runs one SELECT over the documented views, read-only, with a row cap and a time budget."""
    started = time.perf_counter()
    if not isinstance(sql, str):
        raise SqlError("sql must be a string")
    if len(sql) > MAX_SQL_LENGTH:
        raise SqlError(f"statement too long: {len(sql)} characters, at most {MAX_SQL_LENGTH}")
    if "\x00" in sql:
        raise SqlError("statement contains a NUL character")
    first = _first_word(sql)
    if first not in ("SELECT", "WITH", "VALUES"):
        raise SqlError(
            f"only SELECT statements are allowed (got {first or 'nothing'!r}); "
            f"read the views {', '.join(sorted(VIEWS))}"
        )
    limit = max(1, min(int(limit), MAX_LIMIT))
    connection = _connection(Path(db_path))
    conn, guard = connection.conn, connection.guard
    guard.denied = None
    guard.timed_out = False
    guard.out_of_memory = False
    guard.cancel = cancel
    if cancel is not None and cancel.is_set():
        raise SqlError("cancelled")
    used = _memory_used()
    guard.memory_cap = used + MEMORY_BUDGET_BYTES if used else 0
    guard.deadline = time.perf_counter() + budget_ms / 1000.0  # the statement's time, not the connection's
    key = id(connection)
    _WATCHDOG.watch(key, conn, guard)
    cursor = None
    try:
        cursor = conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        rows: list[list] = []
        truncated = False
        size = 0
        while True:
            batch = cursor.fetchmany(min(256, limit + 1 - len(rows)))
            if not batch:
                break
            for row in batch:
                size += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
                if size > MAX_RESULT_BYTES:  # a thousand rows of a megabyte: 3 GB once in JSON
                    truncated = True
                    break
                rows.append(list(row))
            if truncated:
                break
            if len(rows) > limit:
                rows = rows[:limit]
                truncated = True
                break
            if guard.should_stop():
                raise sqlite3.OperationalError("interrupted")
    except (sqlite3.Error, sqlite3.Warning, OverflowError, MemoryError, UnsafeRegex) as error:
        raise SqlError(_explain(error, guard, budget_ms)) from None
    finally:
        _WATCHDOG.forget(key)
        if cursor is not None:
            try:
                cursor.close()
            except sqlite3.Error:
                pass
        guard.deadline = 0.0
        guard.cancel = None
        guard.memory_cap = 0
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
    return SqlResult(columns, rows, truncated, (time.perf_counter() - started) * 1000)


def _explain(error: Exception, guard: _Guard, budget_ms: float) -> str:
    message = str(error)
    if guard.cancel is not None and guard.cancel.is_set():
        return "cancelled"
    if guard.out_of_memory or isinstance(error, MemoryError) or "out of memory" in message:
        return (
            f"budget exceeded: the statement needed more than {MEMORY_BUDGET_BYTES >> 20} MiB of memory and was "
            f"stopped; narrow it with WHERE, LIMIT or fewer joins"
        )
    if guard.timed_out or message == "interrupted":
        return (
            f"budget exceeded: the statement ran longer than {budget_ms:g} ms and was stopped; "
            f"narrow it with WHERE, LIMIT or fewer joins"
        )
    if guard.denied:
        return f"refused: {guard.denied}"
    if isinstance(error, UnsafeRegex):
        return f"refused: {error}"
    if "not authorized" in message:
        return "refused: not authorized (isg/sql is read-only, SELECT only, over the documented views)"
    if "too many attached" in message:
        return "refused: ATTACH is not allowed"
    if isinstance(error, sqlite3.ProgrammingError) and "one statement" in message:
        return "refused: one statement at a time"
    if "user-defined function raised exception" in message:
        return "refused: a regular expression was invalid or unsafe (see docs/sql.md)"
    if "parser stack overflow" in message or "Expression tree is too large" in message:
        return f"refused: expression too deeply nested ({message})"
    return f"SQL error: {message}"
