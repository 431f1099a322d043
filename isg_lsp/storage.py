"""The storage interface: what the engine asks of the durable layer, and which store a command line or setting names.

Two implementations satisfy ``GraphStore``: ``store.Store`` (SQLite, the default: one file per workspace, embedded)
and ``store_pg.PgStore`` (PostgreSQL: one database shared by a team, CI and editors, a snapshot per workspace and
commit; docs/team-index.md). The engine sees only this interface.

A store is named by ``--store`` on the command line, the ``ISG_STORE`` environment variable, or (for the language
server) the ``store`` setting, as a path (SQLite) or a ``postgresql://`` URL. A URL may end with ``@COMMIT``, the
snapshot to read (``postgresql://reader@db/isg@4f2a9c1``): the commit is taken after the URL's host part, from the
last ``@`` of its path or query.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from .model import Edge, FileFacts, Node
    from .sqlquery import SqlResult
    from .store import StoredFile

ENV_STORE = "ISG_STORE"
ENV_WORKSPACE = "ISG_WORKSPACE"
ENV_BASE = "ISG_BASE"


@runtime_checkable
class GraphStore(Protocol):
    """The durable layer as the engine uses it. One store serves one workspace (and, on PostgreSQL, one commit)."""

    moved_aside: Path | None  # SQLite: where an unusable database was moved (None otherwise)
    moved_why: str | None

    def describe(self) -> str:
        """Where the graph lives, for messages (a path, or a URL without its password)."""

    def stored_files(self) -> dict[str, StoredFile]:
        """Every stored file's path, language, content hash, size and time."""

    def load_facts(self, paths: Iterable[str] | None = None) -> list[FileFacts]:
        """The stored facts of these files (all when ``None``), sorted by path."""

    def load_resolved(self) -> tuple[list[tuple[FileFacts, list[Edge], list[str], int]], list[Node]]:
        """Every stored file with its resolved edges, dependency keys and unresolved count, and the external nodes:
        a warm start rebuilds the graph from these without resolving."""

    def counts(self) -> tuple[int, int]:
        """Distinct nodes and edges stored."""

    def size_bytes(self) -> int:
        """What the stored graph takes (the database file, or the snapshot's partitions)."""

    def save(self, files: list[tuple], externals: Iterable[Node] = (), whole: bool = False) -> None:
        """Writes a batch of files in one transaction: (path, facts or None when gone, edges, size, mtime_ns,
        unresolved[, dependency keys]); ``whole``: they are the whole index (a cold index), old rows all go."""

    def touch(self, path: str, size: int, mtime_ns: int) -> None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def get_meta(self, key: str) -> str | None: ...

    def reset(self, why: str) -> None:
        """The stored graph turned out unreadable: start again from nothing (SQLite moves the file aside)."""

    def close(self) -> None: ...

    def abandon(self) -> None:
        """After a failed write: let go of the store without writing anything more."""

    def run_sql(self, sql: str, limit: int, budget_ms: float, cancel: threading.Event | None = None) -> SqlResult:
        """`isg/sql`: one SELECT over the documented read-only views, sandboxed (docs/sql.md). Safe to call from
        any thread (each uses its own read-only connection); failures are ``SqlError``s."""


@dataclass(frozen=True)
class StoreSpec:
    """Which store: ``kind`` "sqlite" with a ``path``, or "postgresql" with a libpq ``url`` (no ``@COMMIT``), the
    ``workspace`` name and the ``commit`` of the snapshot (None: chosen later, from git)."""

    kind: str
    path: Path | None = None
    url: str | None = None
    workspace: str | None = None
    commit: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgresql"

    def describe(self) -> str:
        if not self.is_postgres:
            return str(self.path)
        where = redact(self.url or "")
        parts = [where]
        if self.workspace:
            parts.append(f"workspace {self.workspace}")
        if self.commit:
            parts.append(f"commit {self.commit}")
        return ", ".join(parts)


class StoreSpecError(ValueError):
    """A store name that cannot be used; the message says why."""


_COMMIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/~^-]{0,199}")


def parse_store(text: str, workspace: str | None = None, commit: str | None = None) -> StoreSpec:
    """A ``--store``/``--base`` value: a path (SQLite) or ``postgresql://...[@COMMIT]``."""
    text = text.strip()
    if not text:
        raise StoreSpecError("an empty store name")
    if not text.startswith(("postgresql://", "postgres://")):
        if text.startswith("sqlite:"):
            text = text[len("sqlite:") :]
        return StoreSpec("sqlite", path=Path(text).expanduser())
    split = urlsplit(text)
    tail = split.path + ("?" + split.query if split.query else "") + ("#" + split.fragment if split.fragment else "")
    url = text
    if "@" in tail:  # `...@COMMIT` after the host part: the snapshot's commit
        url, _, suffix = text.rpartition("@")
        if not _COMMIT.fullmatch(suffix):
            raise StoreSpecError(f"{suffix!r} is not a commit (give a hash or a ref after the last '@')")
        if commit is None:
            commit = suffix
    split = urlsplit(url)
    if not split.path.strip("/") and "dbname=" not in split.query:
        raise StoreSpecError(f"{redact(url)} names no database (postgresql://USER@HOST/DBNAME)")
    return StoreSpec("postgresql", url=url, workspace=workspace, commit=commit)


def redact(url: str) -> str:
    """A URL without its password, for messages and logs."""
    try:
        split = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    netloc = split.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = re.sub(r"(password=)[^&]*", r"\1***", split.query)
    return urlunsplit((split.scheme, netloc, split.path, query, split.fragment))


def from_environment(
    explicit: str | None, workspace: str | None = None, commit: str | None = None, variable: str = ENV_STORE
) -> StoreSpec | None:
    """The store named on the command line, else by the environment variable; None: the default (SQLite in
    ``<workspace>/.isg/isg.db``). The workspace name comes from ``--workspace`` or ``ISG_WORKSPACE``."""
    text = explicit if explicit is not None else os.environ.get(variable)
    if not text:
        return None
    return parse_store(text, workspace=workspace or os.environ.get(ENV_WORKSPACE) or None, commit=commit)
