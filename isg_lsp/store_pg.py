"""The shared layer: the ISG in PostgreSQL, for teams, CI and monorepos (docs/team-index.md).

One database holds many workspaces and, for each, the graphs of many commits: a **snapshot** is (workspace, commit),
and every row of ``files``, ``nodes`` and ``edges`` carries its snapshot's id. Those three tables are partitioned by
snapshot (``PARTITION BY LIST``): a snapshot's rows live in partitions of their own (``files_s42``...), created by
the writer, dropped whole. The columns are SQLite's (store.py) plus ``snapshot``, and ``files`` also records which
shard wrote a file (``shard``) and whether its edges were resolved against the whole workspace (``scope``).

Roles (docs/team-index.md): one **writer** role (CI) owns the schema ``isg`` and is the only one that writes; **reader**
roles (editors, agents) have USAGE on the schema and SELECT on its tables. A store opened for reading never writes,
whatever its credentials allow. Nothing any user or repository wrote becomes SQL text: workspace names, commits and
paths are bound parameters; identifiers are built only from integers (partition names) or from role names quoted
by psycopg's ``sql.Identifier``; user SQL reaches the database only through the sandbox (sqlquery_pg.py).

Trust (docs/security.md): the database is the one the user named; its schema must hold exactly the objects this
version creates (no trigger, rule, function or table of anyone else's in ``isg``), and its schema version must
match. Anything else is refused with a message, never repaired or dropped: the database is shared.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

from .overlay import git, head_commit, resolve_commit, unchanged_files
from .model import Edge, EdgeKind, FileFacts, Node, NodeKind, Resolution
from .storage import StoreSpec, redact
from .store import StoredFile, StoreError, facts_from_json, facts_to_json

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SCHEMA = "isg"

# Tables partitioned by snapshot; the per-snapshot partitions are made by `_ensure_partitions`.
_PARTITIONED = ("files", "nodes", "edges")

DDL = """
CREATE TABLE IF NOT EXISTS isg.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS isg.snapshots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace text NOT NULL,
    commit text NOT NULL,
    state text NOT NULL,                 -- indexing, sharded, complete
    shards integer,                      -- N of a sharded index
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace, commit)
);
CREATE TABLE IF NOT EXISTS isg.snapshot_meta (
    snapshot bigint NOT NULL REFERENCES isg.snapshots(id) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (snapshot, key)
);
CREATE TABLE IF NOT EXISTS isg.shards (
    snapshot bigint NOT NULL REFERENCES isg.snapshots(id) ON DELETE CASCADE,
    shard integer NOT NULL,
    of integer NOT NULL,
    state text NOT NULL,                 -- running, done
    files integer NOT NULL DEFAULT 0,
    layout text,
    host text,
    seconds double precision,
    updated timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (snapshot, shard)
);
CREATE TABLE IF NOT EXISTS isg.shard_externals (
    snapshot bigint NOT NULL REFERENCES isg.snapshots(id) ON DELETE CASCADE,
    shard integer NOT NULL,
    id bytea NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    fqp text NOT NULL,
    lang text NOT NULL,
    PRIMARY KEY (snapshot, shard, id)
);
CREATE TABLE IF NOT EXISTS isg.files (
    snapshot bigint NOT NULL,
    path text NOT NULL,
    lang text NOT NULL,
    hash bytea NOT NULL,
    size bigint NOT NULL,
    mtime_ns bigint NOT NULL,
    loc integer NOT NULL,
    unresolved integer NOT NULL DEFAULT 0,
    error text,
    facts bytea NOT NULL,
    deps text NOT NULL DEFAULT '[]',
    shard integer NOT NULL DEFAULT -1,   -- -1: an unsharded index
    scope text NOT NULL DEFAULT 'all',   -- all: edges resolved against the whole workspace; shard: its shard only
    PRIMARY KEY (snapshot, path)
) PARTITION BY LIST (snapshot);
CREATE TABLE IF NOT EXISTS isg.nodes (
    snapshot bigint NOT NULL,
    file text NOT NULL,                  -- '' for external nodes
    id bytea NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    fqp text NOT NULL,
    lang text NOT NULL,
    start_line integer, start_char integer, end_line integer, end_char integer,
    signature text NOT NULL,
    visibility text,
    external smallint NOT NULL,
    PRIMARY KEY (snapshot, file, id)
) PARTITION BY LIST (snapshot);
CREATE INDEX IF NOT EXISTS nodes_id ON isg.nodes (snapshot, id);
CREATE INDEX IF NOT EXISTS nodes_fqp ON isg.nodes (snapshot, fqp);
CREATE INDEX IF NOT EXISTS nodes_name ON isg.nodes (snapshot, name);
CREATE TABLE IF NOT EXISTS isg.edges (
    snapshot bigint NOT NULL,
    file text NOT NULL,
    src bytea NOT NULL,
    kind text NOT NULL,
    dst bytea NOT NULL,
    resolution text NOT NULL,
    candidates integer,
    derived smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (snapshot, file, src, kind, dst)
) PARTITION BY LIST (snapshot);
CREATE INDEX IF NOT EXISTS edges_src ON isg.edges (snapshot, src, kind);
CREATE INDEX IF NOT EXISTS edges_dst ON isg.edges (snapshot, dst, kind);
-- The documented views of `isg/sql` (docs/sql.md), with the snapshot as one more column; the sandbox reads them
-- through per-connection views fixed to one snapshot, with exactly SQLite's columns (sqlquery_pg.py).
CREATE OR REPLACE VIEW isg.isg_nodes AS
    SELECT DISTINCT snapshot, encode(id, 'hex') AS id_hex, kind, name, fqp, lang, NULLIF(file, '') AS file,
           start_line, start_char, end_line, end_char, signature, visibility, external
    FROM isg.nodes;
CREATE OR REPLACE VIEW isg.isg_edges AS
    SELECT DISTINCT e.snapshot, encode(e.src, 'hex') AS src_hex, e.kind AS kind, encode(e.dst, 'hex') AS dst_hex,
           e.resolution AS resolution, e.candidates AS candidates, e.derived AS derived,
           (SELECT s.fqp FROM isg.nodes s WHERE s.snapshot = e.snapshot AND s.id = e.src LIMIT 1) AS src_fqp,
           (SELECT d.fqp FROM isg.nodes d WHERE d.snapshot = e.snapshot AND d.id = e.dst LIMIT 1) AS dst_fqp
    FROM isg.edges e;
CREATE OR REPLACE VIEW isg.isg_files AS
    SELECT snapshot, path, lang, loc, size, unresolved, error, encode(hash, 'hex') AS hash_hex FROM isg.files;
"""

_TABLES = frozenset({"meta", "snapshots", "snapshot_meta", "shards", "shard_externals", "files", "nodes", "edges"})
_VIEWS = frozenset({"isg_nodes", "isg_edges", "isg_files"})


def _require_psycopg():
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a PostgreSQL store needs psycopg 3: install isg-lsp with its `postgres` extra "
            "(pip install 'isg-lsp[postgres]', which brings psycopg[binary] and pglast)"
        ) from None
    return psycopg


def connect(url: str, autocommit: bool = True, read_only: bool = False):
    """A connection to the database a store URL names (its password, if any, never appears in a message)."""
    psycopg = _require_psycopg()
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=15, application_name="isg-lsp")
    except psycopg.Error as error:
        raise StoreError(f"cannot connect to {redact(url)}: {_first_line(error)}") from None
    if read_only:
        conn.execute("SET default_transaction_read_only = on")
    return conn


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _clean(text: str | None) -> str | None:
    """PostgreSQL's text holds no NUL character (SQLite's does): such a character in a name becomes U+FFFD."""
    if text is None or "\x00" not in text:
        return text
    return text.replace("\x00", "\ufffd")


# ---- the schema -------------------------------------------------------------------------------------------------


def schema_exists(conn) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone() is not None


def create_schema(conn, owner: str | None = None, readers: Iterable[str] = ()) -> None:
    """Creates the schema ``isg`` and its tables (owned by ``owner``, the writer role, when given: the caller must be
    allowed to act as it), and lets the reader roles read it. Idempotent."""
    from psycopg import sql

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('isg-lsp schema'))")
        if owner:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS isg AUTHORIZATION {}").format(sql.Identifier(owner)))
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(owner)))
        else:
            conn.execute("CREATE SCHEMA IF NOT EXISTS isg")
        conn.execute(DDL)
        conn.execute(
            "INSERT INTO isg.meta VALUES ('schema_version', %s) ON CONFLICT (key) DO NOTHING", (str(SCHEMA_VERSION),)
        )
        conn.execute("REVOKE ALL ON SCHEMA isg FROM PUBLIC")
        for reader in readers:
            role = sql.Identifier(reader)
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA isg TO {}").format(role))
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA isg TO {}").format(role))
            conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA isg GRANT SELECT ON TABLES TO {}").format(role))


def check_schema(conn) -> None:
    """Refuses a schema that is not exactly this version's: another version, or objects isg-lsp does not create
    (a trigger, a rule, a function, a table) that could run code in the writer's transactions or answer falsely."""
    row = conn.execute("SELECT value FROM isg.meta WHERE key = 'schema_version'").fetchone()
    if row is None or row[0] != str(SCHEMA_VERSION):
        raise StoreError(
            f"the isg schema has version {row[0] if row else 'none'}, this isg-lsp writes "
            f"{SCHEMA_VERSION}: use the isg-lsp version that made it, or a new database"
        )
    foreign = []
    for name, _kind in conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'isg' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    ):
        expected = (
            name in _TABLES
            or name in _VIEWS
            or (name.rsplit("_s", 1)[0] in _PARTITIONED and name.rsplit("_s", 1)[-1].isdigit())
        )
        if not expected:
            foreign.append(f"relation {name}")
    for (name,) in conn.execute(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'isg' AND NOT t.tgisinternal"
    ):
        foreign.append(f"trigger {name}")
    for (name,) in conn.execute(
        "SELECT r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'isg' AND r.rulename <> '_RETURN'"
    ):
        foreign.append(f"rule {name}")
    for (name,) in conn.execute(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'isg'"
    ):
        foreign.append(f"function {name}")
    if foreign:
        raise StoreError(
            f"the isg schema holds objects isg-lsp did not create ({', '.join(sorted(foreign)[:5])}); "
            f"refusing to use it (docs/security.md)"
        )


# ---- the store --------------------------------------------------------------------------------------------------


class PgStore:
    """One snapshot (workspace, commit) of a PostgreSQL database. Opened for writing (an index: the writer role) or
    read-only (an editor's base: a reader role; nothing is written, ``save`` keeps the overlay in memory)."""

    moved_aside: Path | None = None
    moved_why: str | None = None

    def __init__(
        self, spec: StoreSpec, conn, snapshot: int, workspace: str, commit: str, write: bool, state: str
    ) -> None:
        self.spec = spec
        self.url = spec.url or ""
        self.conn = conn
        self.snapshot = snapshot
        self.workspace = workspace
        self.commit = commit
        self.write = write
        self.state = state
        self._meta_cache: dict[str, str | None] = {}
        # a read-only base: what the editor changed, shadowing the base (path → a save row), for isg/sql
        self.overlay: dict[str, tuple] = {}
        self.overlay_externals: dict[bytes, Node] = {}
        self.overlay_version = 0
        self._lock = threading.Lock()

    # ---- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, spec: StoreSpec, root: Path, write: bool = True, shard: tuple[int, int] | None = None) -> PgStore:
        assert spec.url is not None
        workspace = spec.workspace or Path(root).name
        commit = spec.commit
        if commit is None:
            commit = head_commit(root) or "local"
        else:
            commit = resolve_commit(root, commit)
        conn = connect(spec.url, read_only=not write)
        try:
            if not schema_exists(conn):
                if not write:
                    raise StoreError(
                        f"{redact(spec.url)} holds no isg-lsp index (no schema isg): index it first "
                        f"(isg-lsp index --store URL, with the writer role)"
                    )
                try:
                    create_schema(conn)
                except _require_psycopg().Error as error:
                    raise StoreError(
                        f"cannot create the isg schema in {redact(spec.url)} ({_first_line(error)}): "
                        f"an administrator runs `isg-lsp store-setup` first (docs/team-index.md)"
                    ) from None
            check_schema(conn)
            if write:
                snapshot, state = cls._writable_snapshot(conn, workspace, commit)
            else:
                snapshot, state, commit = cls._readable_snapshot(conn, root, workspace, spec.commit, commit)
        except BaseException:
            conn.close()
            raise
        return cls(spec, conn, snapshot, workspace, commit, write, state)

    @staticmethod
    def _writable_snapshot(conn, workspace: str, commit: str) -> tuple[int, str]:
        psycopg = _require_psycopg()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('isg-lsp snapshot'))")
                row = conn.execute(
                    "SELECT id, state FROM isg.snapshots WHERE workspace = %s AND commit = %s", (workspace, commit)
                ).fetchone()
                if row is None:
                    row = conn.execute(
                        "INSERT INTO isg.snapshots (workspace, commit, state) VALUES (%s, %s, "
                        "'indexing') RETURNING id, state",
                        (workspace, commit),
                    ).fetchone()
                snapshot = int(row[0])
                for table in _PARTITIONED:  # identifiers from an integer only
                    conn.execute(
                        f"CREATE TABLE IF NOT EXISTS isg.{table}_s{snapshot} PARTITION OF isg.{table} "
                        f"FOR VALUES IN ({snapshot})"
                    )
        except psycopg.errors.InsufficientPrivilege as error:
            raise StoreError(
                f"this role cannot write the shared index ({_first_line(error)}): a reader role is "
                f"read-only; CI writes with the writer role (docs/team-index.md)"
            ) from None
        return snapshot, row[1]

    @staticmethod
    def _readable_snapshot(conn, root: Path, workspace: str, asked: str | None, commit: str) -> tuple[int, str, str]:
        if asked is not None:
            row = conn.execute(
                "SELECT id, state, commit FROM isg.snapshots WHERE workspace = %s AND commit = %s", (workspace, commit)
            ).fetchone()
            if row is None and len(asked) >= 4:  # an abbreviated hash the local repository does not know
                rows = conn.execute(
                    "SELECT id, state, commit FROM isg.snapshots WHERE workspace = %s AND starts_with(commit, %s)",
                    (workspace, asked),
                ).fetchall()
                row = rows[0] if len(rows) == 1 else None
        else:
            row = None
            candidates = conn.execute(
                "SELECT id, state, commit FROM isg.snapshots WHERE workspace = %s AND "
                "state = 'complete' ORDER BY updated DESC LIMIT 50",
                (workspace,),
            ).fetchall()
            for candidate in candidates:  # the newest complete snapshot HEAD descends from
                if (
                    not candidate[2].startswith("-")
                    and git(root, "merge-base", "--is-ancestor", candidate[2], "HEAD") is not None
                ):
                    row = candidate
                    break
            if row is None and candidates:
                row = candidates[0]
        if row is None:
            known = conn.execute(
                "SELECT commit, state FROM isg.snapshots WHERE workspace = %s ORDER BY updated DESC LIMIT 5",
                (workspace,),
            ).fetchall()
            listed = ", ".join(f"{c[:12]} ({s})" for c, s in known) or "none"
            raise StoreError(
                f"no snapshot of workspace {workspace!r} at {asked or 'any commit'} in the shared index "
                f"(its latest: {listed}); name the workspace with --workspace or ISG_WORKSPACE"
            )
        if row[1] != "complete":
            raise StoreError(
                f"the snapshot of {workspace!r} at {row[2][:12]} is {row[1]}, not complete: its "
                f"shards must be joined first (isg-lsp index --resolve)"
            )
        return int(row[0]), row[1], row[2]

    def describe(self) -> str:
        return f"{redact(self.url)} (workspace {self.workspace}, commit {self.commit[:12]})"

    # ---- reading ---------------------------------------------------------------------------------------------

    def stored_files(self) -> dict[str, StoredFile]:
        rows = self.conn.execute(
            "SELECT path, lang, hash, size, mtime_ns FROM isg.files WHERE snapshot = %s", (self.snapshot,)
        )
        return {row[0]: StoredFile(row[0], row[1], bytes(row[2]), row[3], row[4]) for row in rows}

    def load_facts(self, paths: Iterable[str] | None = None) -> list[FileFacts]:
        cur = self.conn.cursor(binary=True)
        if paths is None:
            cur.execute("SELECT facts FROM isg.files WHERE snapshot = %s ORDER BY path", (self.snapshot,))
        else:
            cur.execute(
                "SELECT facts FROM isg.files WHERE snapshot = %s AND path = ANY(%s) ORDER BY path",
                (self.snapshot, sorted(paths)),
            )
        return [facts_from_json(bytes(row[0])) for row in cur]

    def load_resolved(self) -> tuple[list[tuple[FileFacts, list[Edge], list[str], int]], list[Node]]:
        files, externals, _shards = self.load_resolved_with_shards()
        return files, externals

    def load_resolved_with_shards(
        self, include_shard_externals: bool = False
    ) -> tuple[list[tuple[FileFacts, list[Edge], list[str], int]], list[Node], dict[str, tuple[int, str]]]:
        """Like ``load_resolved``, with each file's (shard, scope); with ``include_shard_externals``, the external
        nodes the shards wrote too (the join reads them)."""
        kinds = {k.value: k for k in EdgeKind}
        resolutions = {r.value: r for r in Resolution}
        edges_by_file: dict[str, list[Edge]] = {}
        cur = self.conn.cursor(binary=True)
        cur.execute(
            "SELECT file, src, kind, dst, resolution, candidates, derived FROM isg.edges WHERE snapshot = %s",
            (self.snapshot,),
        )
        for path, src, kind, dst, resolution, candidates, derived in cur:
            edges_by_file.setdefault(path, []).append(
                Edge(bytes(src), kinds[kind], bytes(dst), resolutions[resolution], candidates, bool(derived))
            )
        files = []
        shards: dict[str, tuple[int, str]] = {}
        cur.execute(
            "SELECT facts, deps, unresolved, shard, scope FROM isg.files WHERE snapshot = %s ORDER BY path",
            (self.snapshot,),
        )
        for blob, deps, unresolved, shard, scope in cur:
            facts = facts_from_json(bytes(blob))
            files.append((facts, edges_by_file.get(facts.path, []), json.loads(deps), unresolved))
            shards[facts.path] = (shard, scope)
        query = "SELECT id, kind, name, fqp, lang FROM isg.nodes WHERE snapshot = %s AND external = 1"
        if include_shard_externals:
            query += " UNION SELECT id, kind, name, fqp, lang FROM isg.shard_externals WHERE snapshot = %s"
        cur.execute(query, (self.snapshot,) * (2 if include_shard_externals else 1))
        externals = [
            Node(bytes(node_id), NodeKind(kind), name, fqp, lang, None, None, "", None, True)
            for node_id, kind, name, fqp, lang in cur
        ]
        externals.sort(key=lambda n: n.id)
        return files, externals, shards

    def unchanged_files(self, root: Path, files: list[str], stored: dict[str, StoredFile], max_bytes: int) -> set[str]:
        """Which files hold the snapshot's content (overlay.py): by git against the snapshot's commit, else by
        content hash; the engine parses the others (times differ on every checkout: SQLite's rule would parse all)."""
        return unchanged_files(root, self.commit, files, stored, max_bytes)

    def counts(self) -> tuple[int, int]:
        nodes = self.conn.execute(
            "SELECT count(DISTINCT id) FROM isg.nodes WHERE snapshot = %s", (self.snapshot,)
        ).fetchone()[0]
        edges = self.conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT src, kind, dst FROM isg.edges WHERE snapshot = %s) AS d",
            (self.snapshot,),
        ).fetchone()[0]
        return int(nodes), int(edges)

    def size_bytes(self) -> int:
        total = 0
        for table in _PARTITIONED:
            row = self.conn.execute(
                "SELECT pg_total_relation_size(to_regclass(%s))", (f"isg.{table}_s{self.snapshot}",)
            ).fetchone()
            total += int(row[0] or 0)
        return total

    # ---- writing ---------------------------------------------------------------------------------------------

    def save(self, files: list[tuple], externals: Iterable[Node] = (), whole: bool = False) -> None:
        """Writes a batch of files (``whole``, SQLite's bulk mode for a cold index, is not used here: each file's
        rows are replaced as in any other save)."""
        if not self.write:
            self._save_overlay(files, externals)
            return
        with self._lock, self.conn.transaction():
            self._write_files(files, shard=-1, scope="all")
            self._write_externals(externals)
            self._drop_unused_externals()
            self.conn.execute(
                "UPDATE isg.snapshots SET state = 'complete', updated = now() WHERE id = %s", (self.snapshot,)
            )
        self.state = "complete"

    def _write_files(self, files: list[tuple], shard: int, scope: str) -> None:
        """Replaces these files' rows (inside the caller's transaction): deletes, then COPY."""
        conn, snap = self.conn, self.snapshot
        paths = [row[0] for row in files]
        for table, column in (("edges", "file"), ("nodes", "file"), ("files", "path")):
            conn.execute(f"DELETE FROM isg.{table} WHERE snapshot = %s AND {column} = ANY(%s)", (snap, paths))
        present = [row for row in files if row[1] is not None]
        if not present:
            return
        cur = conn.cursor()
        with cur.copy(
            "COPY isg.files (snapshot, path, lang, hash, size, mtime_ns, loc, unresolved, error, facts, "
            "deps, shard, scope) FROM STDIN"
        ) as copy:
            for path, facts, _edges, size, mtime_ns, unresolved, *rest in present:
                deps = json.dumps(sorted(rest[0]), ensure_ascii=False) if rest else "[]"
                copy.write_row(
                    (
                        snap,
                        path,
                        facts.lang,
                        facts.content_hash,
                        size,
                        mtime_ns,
                        facts.loc,
                        unresolved,
                        _clean(facts.error),
                        facts_to_json(facts),
                        deps,
                        shard,
                        scope,
                    )
                )
        with cur.copy(
            "COPY isg.nodes (snapshot, file, id, kind, name, fqp, lang, start_line, start_char, end_line,"
            " end_char, signature, visibility, external) FROM STDIN"
        ) as copy:
            for path, facts, *_ in present:
                seen: set[bytes] = set()
                for n in facts.nodes:
                    if n.id in seen:  # SQLite's INSERT OR IGNORE: the first definition stands
                        continue
                    seen.add(n.id)
                    copy.write_row(
                        (
                            snap,
                            path,
                            n.id,
                            n.kind.value,
                            _clean(n.name),
                            _clean(n.fqp),
                            n.lang,
                            *(n.span or (None,) * 4),
                            _clean(n.signature),
                            _clean(n.visibility),
                            0,
                        )
                    )
        with cur.copy(
            "COPY isg.edges (snapshot, file, src, kind, dst, resolution, candidates, derived) FROM STDIN"
        ) as copy:
            for path, _facts, edges, *_ in present:
                seen_edges: set[tuple] = set()
                for e in edges:
                    key = (e.src, e.kind, e.dst)
                    if key in seen_edges:
                        continue
                    seen_edges.add(key)
                    copy.write_row(
                        (snap, path, e.src, e.kind.value, e.dst, e.resolution.value, e.candidates, int(e.derived))
                    )

    def _write_externals(self, externals: Iterable[Node]) -> None:
        rows = sorted({n.id: n for n in externals}.values(), key=lambda n: n.id)
        if not rows:
            return
        self.conn.execute(
            "INSERT INTO isg.nodes (snapshot, file, id, kind, name, fqp, lang, signature, external) "
            "SELECT %s, '', * , '', 1 FROM unnest(%s::bytea[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            "ON CONFLICT DO NOTHING",
            (
                self.snapshot,
                [n.id for n in rows],
                [n.kind.value for n in rows],
                [_clean(n.name) for n in rows],
                [_clean(n.fqp) for n in rows],
                [n.lang for n in rows],
            ),
        )

    def _drop_unused_externals(self) -> None:
        self.conn.execute(
            "DELETE FROM isg.nodes n WHERE n.snapshot = %(s)s AND n.external = 1 AND NOT EXISTS "
            "(SELECT 1 FROM isg.edges e WHERE e.snapshot = %(s)s AND e.dst = n.id) AND NOT EXISTS "
            "(SELECT 1 FROM isg.edges e WHERE e.snapshot = %(s)s AND e.src = n.id)",
            {"s": self.snapshot},
        )

    # ---- shards (shard.py) -----------------------------------------------------------------------------------

    def shard_rows(self) -> list[dict]:
        rows = self.conn.execute(
            "SELECT shard, of, state, files, layout FROM isg.shards WHERE snapshot = %s ORDER BY shard",
            (self.snapshot,),
        ).fetchall()
        return [{"shard": r[0], "of": r[1], "state": r[2], "files": r[3], "layout": r[4]} for r in rows]

    def shard_status(self, k: int) -> dict | None:
        return next((row for row in self.shard_rows() if row["shard"] == k), None)

    def shard_begin(self, k: int, n: int, layout: str) -> None:
        """Marks shard ``k`` as running (a job that dies leaves it so: the join refuses until it is run again)."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO isg.shards (snapshot, shard, of, state, layout, host) VALUES (%s, %s, %s, 'running', "
                "%s, %s) ON CONFLICT (snapshot, shard) DO UPDATE SET of = excluded.of, state = 'running', "
                "layout = excluded.layout, host = excluded.host, updated = now()",
                (self.snapshot, k, n, layout, host_name()),
            )

    def save_shard(
        self,
        k: int,
        n: int,
        files: list[tuple],
        externals: Iterable[Node],
        layout: str,
        placements: str,
        host: str,
        seconds: float,
    ) -> None:
        """Replaces shard ``k``'s rows with these, in one transaction (edges resolved within the shard only)."""
        conn, snap = self.conn, self.snapshot
        with self._lock, conn.transaction():
            for table, column in (("edges", "file"), ("nodes", "file")):
                conn.execute(
                    f"DELETE FROM isg.{table} t USING isg.files f WHERE f.snapshot = %s AND f.shard = %s "
                    f"AND t.snapshot = %s AND t.{column} = f.path",
                    (snap, k, snap),
                )
            conn.execute("DELETE FROM isg.files WHERE snapshot = %s AND shard = %s", (snap, k))
            self._write_files(files, shard=k, scope="shard")
            conn.execute("DELETE FROM isg.shard_externals WHERE snapshot = %s AND shard = %s", (snap, k))
            rows = sorted({n_.id: n_ for n_ in externals}.values(), key=lambda n_: n_.id)
            with conn.cursor().copy(
                "COPY isg.shard_externals (snapshot, shard, id, kind, name, fqp, lang) FROM STDIN"
            ) as copy:
                for node in rows:
                    copy.write_row((snap, k, node.id, node.kind.value, _clean(node.name), _clean(node.fqp), node.lang))
            conn.execute(
                "INSERT INTO isg.snapshot_meta VALUES (%s, %s, %s) ON CONFLICT (snapshot, key) DO UPDATE "
                "SET value = excluded.value",
                (snap, f"placements:{k}", placements),
            )
            conn.execute(
                "UPDATE isg.shards SET state = 'done', of = %s, files = %s, layout = %s, host = %s, "
                "seconds = %s, updated = now() WHERE snapshot = %s AND shard = %s",
                (n, len(files), layout, host, seconds, snap, k),
            )
            conn.execute(
                "UPDATE isg.snapshots SET state = 'sharded', shards = %s, updated = now() WHERE id = %s", (n, snap)
            )
        self.state = "sharded"

    def save_join(
        self,
        files: list[tuple],
        shard_of: dict[str, int],
        updates: list[tuple],
        externals: list[Node],
        n: int,
        layout: str,
        placements: str,
    ) -> None:
        """The join's result, in one transaction: rewritten files (their shard kept), re-resolved files whose edges
        did not change (unresolved count, dependency keys), the final external nodes; the snapshot complete."""
        conn, snap = self.conn, self.snapshot
        with self._lock, conn.transaction():
            by_shard: dict[int, list[tuple]] = {}
            for row in files:
                by_shard.setdefault(shard_of.get(row[0], -1), []).append(row)
            for shard, rows in sorted(by_shard.items()):
                self._write_files(rows, shard=shard, scope="all")
            if updates:
                conn.execute(
                    "CREATE TEMP TABLE isg_join_updates (path text, unresolved integer, deps text) ON COMMIT DROP"
                )
                with conn.cursor().copy("COPY isg_join_updates FROM STDIN") as copy:
                    for row in updates:
                        copy.write_row(row)
                conn.execute(
                    "UPDATE isg.files f SET unresolved = u.unresolved, deps = u.deps FROM isg_join_updates u "
                    "WHERE f.snapshot = %s AND f.path = u.path",
                    (snap,),
                )
            conn.execute("UPDATE isg.files SET scope = 'all' WHERE snapshot = %s AND scope <> 'all'", (snap,))
            conn.execute("DELETE FROM isg.nodes WHERE snapshot = %s AND external = 1", (snap,))
            with conn.cursor().copy(
                "COPY isg.nodes (snapshot, file, id, kind, name, fqp, lang, signature, external) FROM STDIN"
            ) as copy:
                for node in externals:
                    copy.write_row(
                        (snap, "", node.id, node.kind.value, _clean(node.name), _clean(node.fqp), node.lang, "", 1)
                    )
            conn.execute("DELETE FROM isg.shard_externals WHERE snapshot = %s", (snap,))
            conn.execute("DELETE FROM isg.snapshot_meta WHERE snapshot = %s AND key LIKE 'placements:%%'", (snap,))
            for key, value in (("layout", layout), ("placements", placements)):
                conn.execute(
                    "INSERT INTO isg.snapshot_meta VALUES (%s, %s, %s) ON CONFLICT (snapshot, key) DO "
                    "UPDATE SET value = excluded.value",
                    (snap, key, value),
                )
            conn.execute(
                "UPDATE isg.snapshots SET state = 'complete', shards = %s, updated = now() WHERE id = %s", (n, snap)
            )
        self.state = "complete"

    def _save_overlay(self, files: list[tuple], externals: Iterable[Node]) -> None:
        """A read-only base: the rows an index would write are the editor's overlay, kept here (for isg/sql)."""
        with self._lock:
            for row in files:
                self.overlay[row[0]] = row
            for node in externals:
                self.overlay_externals[node.id] = node
            self.overlay_version += 1

    def touch(self, path: str, size: int, mtime_ns: int) -> None:
        if self.write:
            self.conn.execute(
                "UPDATE isg.files SET size = %s, mtime_ns = %s WHERE snapshot = %s AND path = %s",
                (size, mtime_ns, self.snapshot, path),
            )

    def set_meta(self, key: str, value: str) -> None:
        self._meta_cache[key] = value
        if self.write:
            self.conn.execute(
                "INSERT INTO isg.snapshot_meta VALUES (%s, %s, %s) ON CONFLICT (snapshot, key) "
                "DO UPDATE SET value = excluded.value",
                (self.snapshot, key, value),
            )

    def get_meta(self, key: str) -> str | None:
        if key in self._meta_cache:
            return self._meta_cache[key]
        row = self.conn.execute(
            "SELECT value FROM isg.snapshot_meta WHERE snapshot = %s AND key = %s", (self.snapshot, key)
        ).fetchone()
        return row[0] if row else None

    def reset(self, why: str) -> None:
        """A snapshot that cannot be read: its rows are dropped (the writer) and the index starts cold."""
        if not self.write:
            raise StoreError(f"the shared index cannot be read: {why}")
        log.warning(
            "snapshot %s of %s is unusable (%s); its rows are dropped and it is indexed again",
            self.snapshot,
            redact(self.url),
            why,
        )
        with self.conn.transaction():
            for table in _PARTITIONED:
                self.conn.execute(f"DELETE FROM isg.{table} WHERE snapshot = %s", (self.snapshot,))
            self.conn.execute("DELETE FROM isg.snapshot_meta WHERE snapshot = %s", (self.snapshot,))
        self._meta_cache.clear()

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass

    def abandon(self) -> None:
        self.close()

    # ---- isg/sql ---------------------------------------------------------------------------------------------

    def run_sql(self, sql: str, limit: int, budget_ms: float, cancel: threading.Event | None = None):
        from .sqlquery_pg import run_sql

        return run_sql(self, sql, limit=limit, budget_ms=budget_ms, cancel=cancel)

    def overlay_state(self) -> tuple[int, list[tuple], list[Node]]:
        with self._lock:
            return self.overlay_version, list(self.overlay.values()), list(self.overlay_externals.values())


def host_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
