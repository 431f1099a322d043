"""The durable layer: the ISG in SQLite (WAL), one transaction per batch of file changes.

Tables: ``files`` (content hashes and each file's extracted facts, so that a restart re-parses only what changed),
``nodes`` and ``edges`` (the resolved graph, indexed for SQL queries), ``meta``. The schema version lives in
``PRAGMA user_version``; a database of another version, or one SQLite cannot read, is moved aside and rebuilt.

A database is untrusted until proven ours (docs/security.md): it may have come with the checkout. Before anything is
read or written, its files and lock must be regular files of this user with one link (a committed symbolic link
``.isg/isg.db.lock`` pointing elsewhere is never opened for writing); its schema must hold exactly the objects this
version creates (no trigger, view or table of anyone else's); and its ``meta`` must carry a stamp made with this
user's secret (safety.py). Anything else is moved aside and rebuilt.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import safety
from .model import Edge, EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution

log = logging.getLogger(__name__)

SCHEMA_VERSION = 6

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    lang TEXT NOT NULL,
    hash BLOB NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    loc INTEGER NOT NULL,
    unresolved INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    facts BLOB NOT NULL,
    deps TEXT NOT NULL DEFAULT '[]'   -- the keys its resolution looked up (JSON): a warm start loads, not resolves
);
-- WITHOUT ROWID tables declare their primary key's columns first: SQLite 3.40's integrity_check misreports
-- NOT NULL columns of such tables when the key's columns come later.
CREATE TABLE IF NOT EXISTS nodes (
    file TEXT NOT NULL,            -- '' for external nodes
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    fqp TEXT NOT NULL,
    lang TEXT NOT NULL,
    start_line INTEGER, start_char INTEGER, end_line INTEGER, end_char INTEGER,
    signature TEXT NOT NULL,
    visibility TEXT,
    external INTEGER NOT NULL,
    PRIMARY KEY (file, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_id ON nodes(id);
CREATE INDEX IF NOT EXISTS nodes_fqp ON nodes(fqp);
CREATE INDEX IF NOT EXISTS nodes_name ON nodes(name);
CREATE TABLE IF NOT EXISTS edges (
    file TEXT NOT NULL,            -- the file whose facts produced the edge
    src BLOB NOT NULL,
    kind TEXT NOT NULL,
    dst BLOB NOT NULL,
    resolution TEXT NOT NULL,
    candidates INTEGER,
    derived INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (file, src, kind, dst)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_src ON edges(src, kind);
CREATE INDEX IF NOT EXISTS edges_dst ON edges(dst, kind);
-- The documented, read-only views of `isg/sql` (docs/sql.md): the only things user SQL may read.
CREATE VIEW IF NOT EXISTS isg_nodes AS
    SELECT DISTINCT lower(hex(id)) AS id_hex, kind, name, fqp, lang, NULLIF(file, '') AS file,
           start_line, start_char, end_line, end_char, signature, visibility, external
    FROM nodes;
CREATE VIEW IF NOT EXISTS isg_edges AS
    SELECT DISTINCT lower(hex(e.src)) AS src_hex, e.kind AS kind, lower(hex(e.dst)) AS dst_hex,
           e.resolution AS resolution, e.candidates AS candidates, e.derived AS derived,
           (SELECT s.fqp FROM nodes s WHERE s.id = e.src LIMIT 1) AS src_fqp,
           (SELECT d.fqp FROM nodes d WHERE d.id = e.dst LIMIT 1) AS dst_fqp
    FROM edges e;
CREATE VIEW IF NOT EXISTS isg_files AS
    SELECT path, lang, loc, size, unresolved, error, lower(hex(hash)) AS hash_hex FROM files;
"""


class StoreError(Exception):
    """The database cannot be used; the message says why, for the user."""


class StoreBusy(StoreError):
    """Another process writes this database (it holds the writer's lock)."""


class ForeignDatabase(sqlite3.DatabaseError):
    """A database this user's isg-lsp did not write (no valid stamp, or objects it does not create)."""


_EXPECTED: frozenset | None = None
OWNER_KEY = "owner"  # meta: "<nonce hex>:<HMAC of the nonce under the user's secret>"
DB_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _schema_objects(conn: sqlite3.Connection) -> frozenset:
    return frozenset(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def expected_objects() -> frozenset:
    """What ``SCHEMA`` creates, as sqlite_master lists it."""
    global _EXPECTED
    if _EXPECTED is None:
        conn = sqlite3.connect(":memory:")
        conn.executescript(SCHEMA)
        _EXPECTED = _schema_objects(conn)
        conn.close()
    return _EXPECTED


def _new_owner_stamp() -> str:
    nonce = os.urandom(16).hex()
    return f"{nonce}:{safety.stamp('isg-lsp database', nonce.encode())}"


def _owner_stamp_ok(value: object) -> bool:
    if not isinstance(value, str) or ":" not in value:
        return False
    nonce, mac = value.split(":", 1)
    return safety.stamp_ok("isg-lsp database", nonce.encode(), mac)


WAL_LIMIT_BYTES = int(os.environ.get("ISG_LSP_WAL_LIMIT_BYTES", str(16 * 1024 * 1024)))  # past this, a commit
# is followed by a checkpoint that truncates the WAL

# One writer per database across processes: an advisory lock (flock) on `<db>.lock`, held while a Store is open and
# released by the kernel when the process dies, even by kill -9. Stores of one process share it (counted).
_LOCKS: dict[str, list] = {}
_LOCKS_GUARD = threading.Lock()


def _acquire_writer_lock(path: Path) -> str:
    import fcntl

    key = str(path.resolve())
    with _LOCKS_GUARD:
        held = _LOCKS.get(key)
        if held is not None:
            held[1] += 1
            return key
        lock_path = Path(key + ".lock")
        fd = _open_lock(lock_path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                owner = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            except OSError:
                owner = ""
            os.close(fd)
            raise StoreBusy(
                f"another isg-lsp process{f' (pid {owner})' if owner.isdigit() else ''} writes {path}"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass
        _LOCKS[key] = [fd, 1]
        return key


def _open_lock(lock_path: Path) -> int:
    """The lock file, never through a symbolic or hard link (a committed `.isg/isg.db.lock` linking to a file of the
    user's would be truncated): such an entry is removed (unlink removes the link, never its target) and a fresh
    file made."""
    try:
        return safety.open_private(lock_path)
    except safety.UnsafePath as error:
        log.warning("%s is %s; replacing it with a lock file of our own", lock_path, error.strerror)
    try:
        os.unlink(lock_path)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise StoreError(f"cannot use {lock_path}: {error.strerror or error}") from None
    try:
        return safety.open_private(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
    except OSError as error:
        raise StoreError(f"cannot use {lock_path}: {error.strerror or error}") from None


def _release_writer_lock(key: str | None) -> None:
    if key is None:
        return
    with _LOCKS_GUARD:
        held = _LOCKS.get(key)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del _LOCKS[key]
            os.close(held[0])  # releases the flock


@dataclass
class StoredFile:
    path: str
    lang: str
    hash: bytes
    size: int
    mtime_ns: int


class Store:
    """One SQLite database file. Not shared between threads: the server gives its writer thread its own Store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.moved_aside: Path | None = None
        self.moved_why: str | None = None
        self._lock_key: str | None = None
        folder = self.path.parent
        if folder.is_symlink():  # a committed `.isg` linking elsewhere
            raise StoreError(f"{folder} is a symbolic link: isg-lsp never writes through one (docs/security.md)")
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir() or folder.is_symlink():
            raise StoreError(f"{folder} is not a folder")
        self._lock_key = _acquire_writer_lock(self.path)  # before anything is read, moved or written
        try:
            self.conn = self._open()
        except BaseException:
            _release_writer_lock(self._lock_key)
            self._lock_key = None
            raise

    def _open(self) -> sqlite3.Connection:
        for suffix in DB_SUFFIXES:
            why = safety.check_private_file(str(self.path) + suffix)
            if why is not None:
                self._move_aside(f"{self.path.name}{suffix} is {why}")
                break
        try:
            conn = self._connect()
        except sqlite3.DatabaseError as error:
            self._move_aside(str(error))
            conn = self._connect()
        return conn

    def reset(self, why: str) -> None:
        """The database turned out unreadable after it was opened (a truncated or damaged file): move it aside and
        start an empty one."""
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
        self._move_aside(why)
        self.conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA trusted_schema=OFF")
            self._check_trusted(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            pages = os.environ.get("ISG_LSP_TEST_DB_MAX_PAGES")  # a test hook: a full disk, as SQLite sees it
            if pages:
                conn.execute(f"PRAGMA max_page_count={int(pages)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables and version != SCHEMA_VERSION:
                conn.close()
                raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            if not tables:
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (OWNER_KEY, _new_owner_stamp()))
            conn.execute("SELECT count(*) FROM files").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    @staticmethod
    def _check_trusted(conn: sqlite3.Connection) -> None:
        """Refuses a database this user's isg-lsp did not write, before anything else touches it: objects other
        than those ``SCHEMA`` creates (triggers that fill the disk or hang the writer, views, tables), or no valid
        stamp (a database that came with the checkout, whatever its file times say)."""
        objects = _schema_objects(conn)
        if not objects:
            return  # empty: a new database
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        unexpected = objects - expected_objects()
        if unexpected:
            names = ", ".join(sorted(f"{kind} {name}" for kind, name, _table, _sql in unexpected)[:5])
            raise ForeignDatabase(f"it holds objects isg-lsp did not create ({names})")
        if objects != expected_objects():
            raise ForeignDatabase("its schema is incomplete")
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (OWNER_KEY,)).fetchone()
        if row is None or not _owner_stamp_ok(row[0]):
            raise ForeignDatabase("it was not written by isg-lsp for this user (it may have come with the workspace)")

    def _move_aside(self, why: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.unusable-{stamp}")
        log.warning("database %s is unusable (%s); moved to %s and rebuilt", self.path, why, aside)
        for suffix in DB_SUFFIXES:
            source = Path(str(self.path) + suffix)
            if os.path.lexists(source):  # a link is moved itself, never followed
                os.replace(source, Path(str(aside) + suffix))
        self.moved_aside = aside
        self.moved_why = why

    def close(self) -> None:
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        try:
            self.conn.close()
        finally:
            _release_writer_lock(self._lock_key)
            self._lock_key = None

    # ---- the storage interface (storage.GraphStore) -----------------------------------------------------------

    def describe(self) -> str:
        return str(self.path)

    def abandon(self) -> None:
        """After a failed write (a full disk): close without checkpointing, and let another writer have it."""
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass
        _release_writer_lock(self._lock_key)
        self._lock_key = None

    def run_sql(self, sql: str, limit: int, budget_ms: float, cancel: threading.Event | None = None):
        from .sqlquery import run_sql

        try:
            return run_sql(self.path, sql, limit=limit, budget_ms=budget_ms, cancel=cancel)
        except sqlite3.Error as error:
            from .sqlquery import SqlError

            raise SqlError(str(error)) from None

    def _bound_wal(self, always: bool = False) -> None:
        """Keeps the WAL bounded: past ``WAL_LIMIT_BYTES`` (or ``always``), checkpoint and truncate it, waiting for
        readers only briefly (a reader that never ends can still hold it; isg-lsp's own readers end with each
        statement)."""
        try:
            if not always and os.path.getsize(str(self.path) + "-wal") <= WAL_LIMIT_BYTES:
                return
        except OSError:
            return
        try:
            self.conn.execute("PRAGMA busy_timeout=200")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as error:
            log.info("checkpointing %s: %s", self.path, error)
        finally:
            self.conn.execute("PRAGMA busy_timeout=30000")

    # ---- reading -------------------------------------------------------------------------------------------

    def stored_files(self) -> dict[str, StoredFile]:
        rows = self.conn.execute("SELECT path, lang, hash, size, mtime_ns FROM files")
        return {row[0]: StoredFile(*row) for row in rows}

    def load_facts(self, paths: Iterable[str] | None = None) -> list[FileFacts]:
        if paths is None:
            rows = self.conn.execute("SELECT facts FROM files ORDER BY path").fetchall()
        else:
            rows = []
            for path in sorted(paths):
                row = self.conn.execute("SELECT facts FROM files WHERE path = ?", (path,)).fetchone()
                if row is not None:
                    rows.append(row)
        return [facts_from_json(row[0]) for row in rows]

    def load_resolved(self) -> tuple[list[tuple[FileFacts, list[Edge], list[str], int]], list[Node]]:
        """Every stored file with what its last resolution gave (facts, edges, dependency keys, unresolved count),
        and the external nodes: a warm start rebuilds the graph from these without resolving anything."""
        edges_by_file: dict[str, list[Edge]] = {}
        kinds = {k.value: k for k in EdgeKind}
        resolutions = {r.value: r for r in Resolution}
        for path, src, kind, dst, resolution, candidates, derived in self.conn.execute(
            "SELECT file, src, kind, dst, resolution, candidates, derived FROM edges"
        ):
            edges_by_file.setdefault(path, []).append(
                Edge(src, kinds[kind], dst, resolutions[resolution], candidates, bool(derived))
            )
        files = []
        for blob, deps, unresolved in self.conn.execute("SELECT facts, deps, unresolved FROM files ORDER BY path"):
            facts = facts_from_json(blob)
            files.append((facts, edges_by_file.get(facts.path, []), json.loads(deps), unresolved))
        externals = [
            Node(node_id, NodeKind(kind), name, fqp, lang, None, None, "", None, True)
            for node_id, kind, name, fqp, lang in self.conn.execute(
                "SELECT id, kind, name, fqp, lang FROM nodes WHERE external = 1"
            )
        ]
        return files, externals

    def counts(self) -> tuple[int, int]:
        nodes = self.conn.execute("SELECT count(DISTINCT id) FROM nodes").fetchone()[0]
        edges = self.conn.execute("SELECT count(*) FROM (SELECT DISTINCT src, kind, dst FROM edges)").fetchone()[0]
        return nodes, edges

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(str(self.path) + suffix)
            except OSError:
                pass
        return total

    # ---- writing -------------------------------------------------------------------------------------------

    def save(self, files: list[tuple], externals: Iterable[Node] = (), whole: bool = False) -> None:
        """Writes a batch of files in one transaction: (path, facts or None when gone, edges, size, mtime_ns,
        unresolved[, dependency keys]). External nodes no edge points at any more are dropped. ``whole``: these
        files are the whole index (a cold index): the tables are emptied and written without their secondary
        indexes, which are built once at the end (a sort instead of a B-tree insert per row)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if whole:
                for name in _INDEX_NAMES:
                    conn.execute(f"DROP INDEX IF EXISTS {name}")
                for table in ("edges", "nodes", "files"):
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            for path, facts, edges, size, mtime_ns, unresolved, *rest in files:
                deps = json.dumps(sorted(rest[0]), ensure_ascii=False) if rest else "[]"
                if not whole:
                    conn.execute("DELETE FROM edges WHERE file = ?", (path,))
                    conn.execute("DELETE FROM nodes WHERE file = ?", (path,))
                if facts is None:
                    conn.execute("DELETE FROM files WHERE path = ?", (path,))
                    continue
                conn.execute(
                    "INSERT OR REPLACE INTO files (path, lang, hash, size, mtime_ns, loc, unresolved, error, facts,"
                    " deps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        path,
                        facts.lang,
                        facts.content_hash,
                        size,
                        mtime_ns,
                        facts.loc,
                        unresolved,
                        facts.error,
                        facts_to_json(facts),
                        deps,
                    ),
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO nodes (file, id, kind, name, fqp, lang, start_line, start_char, end_line,"
                    " end_char, signature, visibility, external) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    [
                        (
                            path,
                            n.id,
                            n.kind._value_,
                            n.name,
                            n.fqp,
                            n.lang,
                            *(n.span or (None,) * 4),
                            n.signature,
                            n.visibility,
                        )
                        for n in facts.nodes
                    ],
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO edges (file, src, kind, dst, resolution, candidates, derived)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (path, e.src, e.kind._value_, e.dst, e.resolution._value_, e.candidates, int(e.derived))
                        for e in edges
                    ],
                )
            if whole:  # before the query below, which needs them
                for statement in _INDEXES:
                    conn.execute(statement)
            conn.executemany(
                "INSERT OR IGNORE INTO nodes (file, id, kind, name, fqp, lang, signature, external)"
                " VALUES ('', ?, ?, ?, ?, ?, '', 1)",
                [(n.id, n.kind._value_, n.name, n.fqp, n.lang) for n in externals],
            )
            conn.execute(
                "DELETE FROM nodes WHERE external = 1 AND NOT EXISTS "
                "(SELECT 1 FROM edges WHERE edges.dst = nodes.id OR edges.src = nodes.id)"
            )
            conn.execute("COMMIT")
            self._bound_wal(always=whole)  # a whole index is in the WAL: into the database file with it
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back itself (a full disk)
                conn.execute("ROLLBACK")
            raise

    def touch(self, path: str, size: int, mtime_ns: int) -> None:
        """Records a new size and time for a file whose content did not change."""
        self.conn.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (size, mtime_ns, path))

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None


_INDEXES = [line for line in SCHEMA.splitlines() if line.startswith("CREATE INDEX")]
_INDEX_NAMES = [line.split()[5] for line in _INDEXES]  # CREATE INDEX IF NOT EXISTS <name> ON ...


# ---- facts as JSON (not pickle: a database file from an untrusted checkout must never run code) ------------


def facts_to_json(facts: FileFacts) -> bytes:
    data = {
        "path": facts.path,
        "lang": facts.lang,
        "hash": facts.content_hash.hex(),
        "loc": facts.loc,
        "nodes": [
            [n.id.hex(), n.kind._value_, n.name, n.fqp, n.file, n.span, n.signature, n.visibility] for n in facts.nodes
        ],
        "edges": [
            [e.src.hex(), e.kind._value_, e.dst.hex(), e.resolution._value_, e.candidates, e.derived]
            for e in facts.edges
        ],
        "refs": [
            [
                r.kind._value_,
                r.scope,
                r.target,
                list(r.path),
                r.src.hex() if r.src else None,
                r.dst.hex() if r.dst else None,
                list(r.src_path) if r.src_path is not None else None,
                list(r.receiver) if r.receiver is not None else None,
                r.derived,
            ]
            for r in facts.references
        ],
        "imports": facts.imports,
        "globs": facts.glob_imports,
        "errors": facts.errors,
        "macros": facts.macro_calls,
        "error": facts.error,
        "module_files": facts.module_files,
    }
    if facts.docs:
        data["docs"] = {node_id.hex(): text for node_id, text in facts.docs.items()}
    if facts.names:
        data["names"] = facts.names
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def facts_from_json(blob: bytes) -> FileFacts:
    data = json.loads(blob)
    lang = data["lang"]
    facts = FileFacts(path=data["path"], lang=lang, content_hash=bytes.fromhex(data["hash"]), loc=data["loc"])
    facts.nodes = [
        Node(bytes.fromhex(i), NodeKind(k), name, fqp, lang, file, tuple(span) if span else None, sig, vis)
        for i, k, name, fqp, file, span, sig, vis in data["nodes"]
    ]
    facts.edges = [
        Edge(bytes.fromhex(s), EdgeKind(k), bytes.fromhex(d), Resolution(r), c, bool(der))
        for s, k, d, r, c, der in data["edges"]
    ]
    facts.references = [
        Reference(
            EdgeKind(k),
            scope,
            target,
            tuple(path),
            bytes.fromhex(src) if src else None,
            bytes.fromhex(dst) if dst else None,
            tuple(sp) if sp is not None else None,
            tuple(rc) if rc is not None else None,
            bool(der),
        )
        for k, scope, target, path, src, dst, sp, rc, der in data["refs"]
    ]
    facts.imports = data["imports"]
    facts.glob_imports = data["globs"]
    facts.errors = [tuple(e) for e in data["errors"]]
    facts.macro_calls = data["macros"]
    facts.error = data["error"]
    facts.module_files = [tuple(x) for x in data.get("module_files") or ()]
    facts.docs = {bytes.fromhex(node_id): text for node_id, text in (data.get("docs") or {}).items()}
    names = data.get("names")
    facts.names = names if isinstance(names, dict) else {}
    return facts
