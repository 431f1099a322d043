"""A workspace kept current from the files on disk, without an editor: `isg-lsp watch` and `isg-lsp mcp` use it.

``LiveIndex`` owns one ``Engine``. It starts warm from the database (``.isg/isg.db``), watches the workspace with
watchdog (exclusions and ``.gitignore`` applied as the language server applies them: ``Engine.refresh_from_disk``)
and applies graph surgery for each changed file, debounced: a burst of writes costs one update. A reader that asks
for the graph (``LiveIndex.read()``) first applies whatever changed on disk, without waiting for the debounce, so an
answer never lags behind a file change the watcher has seen.

One writer per database (``store.py``'s lock). The process that holds the lock is the **writer**: it persists its
changes (batched, at most ``FLUSH_DELAY_S`` after them). Another process on the same workspace (an editor's server
is running, say) is a **reader**: it loads a read-only snapshot of the database (one read transaction, no lock, so
it never waits for the writer and never writes), keeps its own in-memory index current from the disk, and becomes
the writer when the lock comes free. ``status()`` says which.

**Threads:** the graph is read and changed only by the holder of ``LiveIndex.lock`` (a reader in a worker thread,
or the applier thread that applies file events and flushes). A (re)index builds a new graph without the lock and
swaps it in whole; the database is used by the applier thread alone.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
from watchdog.events import FileSystemEvent, FileSystemEventHandler

from . import languages
from .engine import Engine, IndexReport
from .graph import Graph
from .store import SCHEMA_VERSION, Store, StoreBusy, StoreError
from .workspace import WorkspaceConfig, walk

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.03  # quiet this long after a file event: apply the burst
MAX_DELAY_S = 0.2  # ... but never wait longer than this after the first event of a burst
FLUSH_DELAY_S = 1.0  # changes reach the database at most this long after they happen (writer only)
TAKEOVER_CHECK_S = 5.0  # a reader tries this often to become the writer
REINDEX_EVENTS = 200  # more file events than this at once (a branch switch): index again (warm)
LAYOUT_FILES = ("Cargo.toml", ".gitignore", "go.mod", "tsconfig.json")
READ_WAIT_S = 30.0  # how long a reader waits for the first index before being told to retry
REINDEX_WAIT_S = 5.0  # how long a reader waits for a re-index before being answered from the graph before it


class NotReady(RuntimeError):
    """The first index is not done yet; the message says how far it is."""


@dataclass
class View:
    """What a reader sees: the graph (current with every file event seen so far) and notes about its freshness."""

    graph: Graph
    root: Path
    notes: list[str] = field(default_factory=list)
    store_path: Path | None = None  # the database, when this process writes it (for SQL-planned queries)
    live: "LiveIndex | None" = None


class Latencies:
    """The most recent durations of one kind of operation, in milliseconds."""

    def __init__(self, size: int = 2000) -> None:
        self.values: deque[float] = deque(maxlen=size)
        self.count = 0

    def add(self, ms: float) -> None:
        self.values.append(ms)
        self.count += 1

    def summary(self) -> dict:
        if not self.values:
            return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
        ordered = sorted(self.values)

        def pick(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "n": len(ordered)}


class SnapshotStore(Store):
    """A read-only view of a database that another process writes: one read transaction (a consistent snapshot of
    its last commit), no writer's lock, every write ignored. ``Engine.index`` warm-starts from it as from its own."""

    def __init__(self, path: Path) -> None:  # noqa: D107 - no lock, no schema changes: on purpose
        self.path = path
        self.moved_aside = None
        self._lock_key = None
        uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
        self.conn = sqlite3.connect(uri, uri=True, timeout=1.0, isolation_level=None, check_same_thread=False)
        try:
            self.conn.execute("PRAGMA query_only=1")
            self.conn.execute("PRAGMA busy_timeout=1000")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise StoreError(f"schema version {version}, expected {SCHEMA_VERSION}")
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT count(*) FROM files").fetchone()  # the snapshot starts here
        except BaseException:
            self.conn.close()
            raise

    def save(self, files, externals=(), whole=False) -> None:
        pass

    def set_meta(self, key: str, value: str) -> None:
        pass

    def touch(self, path: str, size: int, mtime_ns: int) -> None:
        pass

    def reset(self, why: str) -> None:
        raise StoreError(f"the database is unreadable ({why}); its writer rebuilds it, not a reader")

    def close(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.conn.close()


def writer_pid(db_path: Path) -> int | None:
    """The process id the writer's lock file names (``store.py`` writes it), if any."""
    try:
        text = Path(str(db_path.resolve()) + ".lock").read_text("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class LiveIndex:
    """One workspace's graph, warm-started from its database and kept current from the disk."""

    def __init__(
        self,
        root: Path,
        db_path: Path | None = None,
        config: WorkspaceConfig | None = None,
        persist: bool = True,
        watch: bool = True,
        use_pool: bool = True,
        on_update=None,
    ) -> None:
        from .isolation import ParserPool

        self.config = config or WorkspaceConfig()
        self.pool = ParserPool(workers=max(1, min(2, os.cpu_count() or 1))) if use_pool else None
        self.engine = Engine(Path(root), db_path=db_path, config=self.config, persist=False, pool=self.pool)
        self.root = self.engine.root
        self.persist = persist
        self.watch = watch
        self.on_update = on_update  # called (in the applier thread) with a line for the log
        self.mode = "memory"  # writer | reader | memory
        self.mode_message: str | None = None
        self.lock = threading.RLock()  # held by whoever reads or changes the graph
        self.state = "starting"  # starting → indexing → ready (reindexing → ready) | failed
        self.ready = threading.Event()  # set when a graph is there to answer from
        self.indexed = threading.Event()  # cleared while an index runs
        self.index_error: str | None = None
        self.index_seconds = 0.0
        self.index_report: IndexReport | None = None
        self.started_at = time.monotonic()
        self.update_latency = Latencies()  # file event → graph updated (ms)
        self.read_latency = Latencies()  # a reader's time with the graph: pending events applied + its work
        self.events_seen = 0
        self.updates_applied = 0
        self.last_update: float | None = None  # time.time() of the last applied change
        self.watcher_kind = "none"
        self._events_lock = threading.Lock()
        self._pending: dict[str, tuple[str, float]] = {}  # rel → (kind, time of its first event)
        self._reindex_wanted = False
        self._first_event: float | None = None
        self._last_event: float | None = None
        self._wake = threading.Condition(self._events_lock)
        self._stop = threading.Event()
        self._flush_at: float | None = None
        self._next_takeover = 0.0
        self._thread: threading.Thread | None = None
        self._observer: Any = None  # watchdog's Observer, once watching
        self._handler: _Handler | None = None
        self._exclude = pathspec.GitIgnoreSpec.from_lines(self.config.exclude)
        if persist:
            self._open_store()

    # ---- the database --------------------------------------------------------------------------------------

    def _open_store(self) -> bool:
        """Tries to become the database's writer. Returns whether this process writes it now."""
        engine = self.engine
        try:
            engine.store = Store(engine.db_path)
        except StoreBusy:
            pid = writer_pid(engine.db_path)
            self.mode = "reader"
            self.mode_message = (
                f"another isg-lsp process{f' (pid {pid})' if pid else ''} writes {engine.db_path}; "
                f"this one reads it and keeps its own in-memory index current from the disk"
            )
            return False
        except Exception as error:  # noqa: BLE001 - an unusable database: serve from memory, say so
            self.mode = "memory"
            self.mode_message = f"index kept in memory only: cannot use {engine.db_path}: {error}"
            log.warning("%s", self.mode_message)
            return False
        self.mode = "writer"
        self.mode_message = None
        if engine.store.moved_aside is not None:
            self.mode_message = (
                f"the index database was unusable and has been rebuilt (the old one is at {engine.store.moved_aside})"
            )
        return True

    # ---- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Indexes (warm when the database allows) and starts watching, in the background."""
        if self.watch:
            self._start_watcher()  # first: a change made while the index runs is not missed
        self._thread = threading.Thread(target=self._run, name="isg-live", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stops watching, writes what is left (as the writer) and releases the database."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=5)
            except Exception:  # noqa: BLE001
                pass
            self._observer = None
        if self.pool is not None:
            self.pool.close()  # first: an index still parsing gives up at once
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self.lock:
            store = self.engine.store
            if store is not None and not isinstance(store, SnapshotStore):
                try:
                    self.engine.close()
                except Exception as error:  # noqa: BLE001 - the next start re-reads what changed
                    log.warning("closing %s: %s", self.engine.db_path, error)
            self.engine.store = None

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    # ---- reading -------------------------------------------------------------------------------------------

    @contextmanager
    def read(self, wait_s: float = READ_WAIT_S):
        """The graph, current with every file event seen so far, for as long as the block runs (the lock is held).
        Raises ``NotReady`` when the first index takes longer than ``wait_s``; while a re-index runs (a branch switch)
        waits for it a few seconds, then answers from the graph before it, with a note saying so."""
        if not self.ready.wait(wait_s):
            raise NotReady(self._not_ready_message())
        started = time.perf_counter()
        deadline = time.monotonic() + REINDEX_WAIT_S
        while True:
            self._wait_settled(deadline)
            self.lock.acquire()
            if self.indexed.is_set():
                self._apply_pending()
            if self._settled() or time.monotonic() >= deadline:
                break
            self.lock.release()  # a re-index is due after all (the layout changed): wait for it
        try:
            notes = []
            if self.state == "failed":
                notes.append(
                    f"indexing the workspace failed ({self.index_error}): answers come from what was "
                    f"indexed before; isg_stats says more"
                )
            if not self._settled():
                notes.append(
                    "the workspace is being indexed again (many files or its layout changed); this answer "
                    "comes from the graph before that: ask again in a few seconds for a current one"
                )
            store_path = self.engine.db_path if self.mode == "writer" and self.engine.store is not None else None
            yield View(self.engine.graph, self.root, notes, store_path, self)
        finally:
            self.read_latency.add((time.perf_counter() - started) * 1000)
            self.lock.release()

    def _settled(self) -> bool:
        """No index running and none due."""
        return self.indexed.is_set() and not self._reindex_due()

    def _wait_settled(self, deadline: float) -> None:
        while not self._settled() and time.monotonic() < deadline:
            with self._wake:
                self._wake.notify_all()
            self.indexed.wait(0.02)

    def _not_ready_message(self) -> str:
        if self.state == "failed":
            return f"indexing {self.root} failed: {self.index_error}"
        return (
            f"the workspace {self.root} is still being indexed ({self.state}, "
            f"{time.monotonic() - self.started_at:.0f} s so far); call again in a few seconds"
        )

    # ---- the applier thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        self._index()
        if self.pool is not None and not self._stop.is_set():
            threading.Thread(target=self.pool.warm, name="isg-pool-warm", daemon=True).start()
        while not self._stop.is_set():
            self._wait_for_work()
            if self._stop.is_set():
                break
            try:
                if self._reindex_due():
                    self._index()
                    continue
                with self.lock:
                    self._apply_pending()
                self._maybe_flush()
                self._maybe_take_over()
            except Exception as error:  # noqa: BLE001 - the watcher must keep going; the next event tries again
                if self._stop.is_set():
                    break  # closing: the parser pool is gone
                log.exception("applying file changes failed: %s", error)

    def _wait_for_work(self) -> None:
        with self._wake:
            while not self._stop.is_set():
                now = time.monotonic()
                deadlines = []
                if self._pending or self._reindex_wanted:
                    if self._first_event is None or self._last_event is None:
                        return  # asked for by a reader (a layout change): now
                    due = min(self._last_event + DEBOUNCE_S, self._first_event + MAX_DELAY_S)
                    if due <= now:
                        return
                    deadlines.append(due)
                if self._flush_at is not None:
                    if self._flush_at <= now:
                        return
                    deadlines.append(self._flush_at)
                if self.mode == "reader":
                    if self._next_takeover <= now:
                        return
                    deadlines.append(self._next_takeover)
                self._wake.wait(timeout=(min(deadlines) - now) if deadlines else None)

    def _reindex_due(self) -> bool:
        with self._events_lock:
            return self._reindex_wanted or len(self._pending) > REINDEX_EVENTS

    def _index(self) -> None:
        """(Re)builds the graph: warm from the database when there is one (a reader from a read-only snapshot), then
        swaps it in whole. Runs without the lock: readers keep the previous graph meanwhile."""
        with self._events_lock:
            self._pending.clear()  # the index reads every file's state from the disk anyway
            self._reindex_wanted = False
            self._first_event = self._last_event = None
        first = not self.ready.is_set()
        with self.lock:  # readers apply no file event while an index runs
            self.indexed.clear()
        self.state = "indexing" if first else "reindexing"
        started = time.perf_counter()
        engine = self.engine
        snapshot = None
        try:
            if self.mode == "reader":
                try:
                    snapshot = SnapshotStore(engine.db_path)
                    engine.store = snapshot
                except (sqlite3.Error, StoreError, OSError) as error:
                    log.info("no snapshot of %s to start from (%s): indexing in memory", engine.db_path, error)
            try:
                self.index_report = engine.index()
            except StoreError as error:  # a snapshot that turned out unreadable: index cold, in memory
                log.info("the snapshot of %s is unreadable (%s): indexing in memory", engine.db_path, error)
                engine.store = None
                self.index_report = engine.index()
            self.index_error = None
            self.state = "ready"
        except Exception as error:  # noqa: BLE001 - serve what there is, say why
            log.exception("indexing %s failed", self.root)
            self.index_error = f"{type(error).__name__}: {error}"
            self.state = "failed"
        finally:
            if snapshot is not None:
                engine.store = None
                snapshot.close()
            self.index_seconds = time.perf_counter() - started
            self.indexed.set()
            self.ready.set()
        if self.on_update is not None and self.index_report is not None:
            report = self.index_report
            self.on_update(f"indexed {report.files} files ({report.parsed} parsed) in {self.index_seconds:.2f} s")

    # ---- file events ---------------------------------------------------------------------------------------

    def notice(self, rel: str, kind: str) -> None:
        """One file event (``changed``, ``deleted``, ``dir-created``, ``dir-deleted``, ``lost``), from the watcher or a
        test. Cheap: filtering that needs the disk happens when the event is applied."""
        now = time.monotonic()
        with self._wake:
            self.events_seen += 1
            if kind == "lost":
                self._reindex_wanted = True  # the kernel dropped events: only a new index is sure
            else:
                old = self._pending.get(rel)
                self._pending[rel] = (kind, old[1] if old is not None else now)
            if self._first_event is None:
                self._first_event = now
            self._last_event = now
            self._wake.notify_all()

    def _excluded_fast(self, rel: str) -> bool:
        """The configured exclusions only (``target/``, ``.git/``, ``.isg/`` ...): no disk access."""
        if self._exclude.match_file(rel):
            return True
        parts = rel.split("/")
        return any(self._exclude.match_file("/".join(parts[:i]) + "/") for i in range(1, len(parts)))

    def _apply_pending(self) -> None:
        """Applies the file events seen so far (the caller holds the lock)."""
        with self._events_lock:
            if not self._pending or self._reindex_wanted or len(self._pending) > REINDEX_EVENTS:
                return  # nothing, or a re-index will read them all
            pending, self._pending = self._pending, {}
            self._first_event = self._last_event = None
        engine = self.engine
        graph = engine.graph
        rels: dict[str, float] = {}
        structural = layout = False
        for rel, (kind, seen) in pending.items():
            if rel.rsplit("/", 1)[-1] in LAYOUT_FILES:
                structural = True  # crates, source roots or exclusions may have changed
                if rel.endswith(".gitignore"):
                    layout = True
            elif kind in ("changed", "deleted"):
                if languages.language_for_path(rel) is not None:
                    rels[rel] = seen
                    structural |= kind == "deleted" or rel not in graph.files
            elif kind == "dir-deleted":
                prefix = rel.rstrip("/") + "/"
                for path in graph.files:
                    if path.startswith(prefix):
                        rels[path] = seen
                        structural = True
            elif kind == "dir-created":
                prefix = rel.rstrip("/") + "/"
                for path in walk(self.root, self.config):  # files already there when the folder came
                    if path.startswith(prefix) and path not in graph.files:
                        rels[path] = seen
                        structural = True
        if layout or structural and engine.layout_changed():
            with self._wake:
                self._reindex_wanted = True
                self._wake.notify_all()
            return
        touched: set[str] = set()
        applied = []
        for rel in sorted(rels):
            if self._excluded_fast(rel):
                continue
            touched |= engine.refresh_from_disk(rel)
            applied.append(rel)
        now = time.monotonic()
        for rel in applied:
            self.update_latency.add((now - rels[rel]) * 1000)
        if applied:
            self.updates_applied += len(applied)
            self.last_update = time.time()
            if engine.dirty and self.mode == "writer" and self._flush_at is None:
                with self._wake:
                    self._flush_at = now + FLUSH_DELAY_S
                    self._wake.notify_all()
            if self.on_update is not None:
                more = len(touched - set(applied))
                self.on_update(
                    f"updated {', '.join(applied[:3])}{' ...' if len(applied) > 3 else ''}"
                    f"{f' (+{more} files re-resolved)' if more else ''}"
                )

    # ---- persistence ---------------------------------------------------------------------------------------

    def _maybe_flush(self, force: bool = False) -> None:
        if self._flush_at is None or (not force and self._flush_at > time.monotonic()):
            return
        self._flush_at = None
        engine = self.engine
        with self.lock:
            if engine.store is None or not engine.dirty:
                engine.dirty.clear()
                return
            dirty = sorted(engine.dirty)
            engine.dirty.clear()
            files = engine.graph.files
            rows, externals = engine.persist_rows(
                [p for p in dirty if p in files], [p for p in dirty if p not in files]
            )
            store = engine.store
        try:
            store.save(rows, externals)  # outside the lock: readers go on meanwhile
        except Exception as error:  # noqa: BLE001 - keep serving from memory, say so
            engine.store_failed(error)
            self.mode = "memory"
            self.mode_message = engine.store_message

    def _maybe_take_over(self) -> None:
        """A reader becomes the writer once the writer's lock is free (the editor closed, say)."""
        if self.mode != "reader" or time.monotonic() < self._next_takeover:
            return
        self._next_takeover = time.monotonic() + TAKEOVER_CHECK_S
        if not self.ready.is_set():
            return
        if self._open_store():
            log.info("the database's writer is gone: this process writes %s now", self.engine.db_path)
            if self.on_update is not None:
                self.on_update(f"the database's writer is gone: this process writes {self.engine.db_path} now")
            self._index()  # warm: brings the database up to date with the disk

    # ---- the watcher ---------------------------------------------------------------------------------------

    def _start_watcher(self) -> None:
        from watchdog.observers import Observer

        handler = _Handler(self)
        observer = Observer()
        try:
            # the workspace's top-level folders that the exclusions keep (target/, node_modules/, .git/ are left
            # out: inotify watches are a limited resource), recursively; the root itself, not recursively
            observer.schedule(handler, str(self.root), recursive=False, event_filter=_EVENT_TYPES())
            for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False) and not self._excluded_fast(entry.name + "/"):
                    self._watch_folder(observer, handler, entry.path)
            observer.start()
        except OSError as error:
            log.warning("watching %s failed (%s); answers follow the disk only through re-reads", self.root, error)
            self.watcher_kind = f"none ({error})"
            return
        self._observer = observer
        self._handler = handler
        self.watcher_kind = "inotify" if "Inotify" in type(observer).__name__ else type(observer).__name__

    def _watch_folder(self, observer, handler, path: str) -> None:
        try:
            observer.schedule(handler, path, recursive=True, event_filter=_EVENT_TYPES())
        except OSError as error:
            log.warning("cannot watch %s: %s", path, error)

    def _rel(self, path: str | bytes) -> str | None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        try:
            rel = Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return None
        return rel if rel not in ("", ".") else None


def _EVENT_TYPES():
    from watchdog import events as e

    return [
        e.FileCreatedEvent,
        e.FileModifiedEvent,
        e.FileDeletedEvent,
        e.FileMovedEvent,
        e.FileClosedEvent,
        e.DirCreatedEvent,
        e.DirDeletedEvent,
        e.DirMovedEvent,
        e.EventsLostEvent,
    ]


class _Handler(FileSystemEventHandler):
    """Turns watchdog's events into ``LiveIndex.notice`` calls (in watchdog's thread)."""

    def __init__(self, live: LiveIndex) -> None:
        super().__init__()
        self.live = live

    def dispatch(self, event: FileSystemEvent) -> None:
        live = self.live
        kind = event.event_type
        if kind == "events_lost":
            live.notice("", "lost")
            return
        is_dir = event.is_directory
        src = live._rel(event.src_path)
        dest = live._rel(event.dest_path) if getattr(event, "dest_path", "") else None
        if kind == "moved":
            if src is not None:
                self._one(src, "dir-deleted" if is_dir else "deleted", is_dir)
            if dest is not None:
                self._one(dest, "dir-created" if is_dir else "changed", is_dir)
            return
        if src is None:
            return
        if is_dir:
            if kind in ("created", "deleted"):
                self._one(src, "dir-created" if kind == "created" else "dir-deleted", True)
            return
        self._one(src, "deleted" if kind == "deleted" else "changed", False)

    def _one(self, rel: str, kind: str, is_dir: bool) -> None:
        live = self.live
        if live._excluded_fast(rel + "/" if is_dir else rel):
            return
        if is_dir:
            if "/" not in rel and kind == "dir-created" and live._observer is not None:
                live._watch_folder(live._observer, self, str(live.root / rel))  # a new top-level folder
            live.notice(rel, kind)
            return
        name = rel.rsplit("/", 1)[-1]
        if name in LAYOUT_FILES or languages.language_for_path(name) is not None:
            live.notice(rel, kind)


def run_watch(root: Path, db_path: Path | None = None, config: WorkspaceConfig | None = None) -> int:
    """`isg-lsp watch`: keeps the database current with the files until stopped (SIGINT, SIGTERM)."""
    import signal
    import sys

    def say(line: str) -> None:
        print(f"isg-lsp watch: {line}", file=sys.stderr, flush=True)

    live = LiveIndex(root, db_path=db_path, config=config, persist=True, on_update=say)
    if live.mode == "memory":
        say(f"cannot keep the database current: {live.mode_message}")
        live.close()
        return 1
    if live.mode == "reader":
        say(f"{live.mode_message}; this process writes it as soon as that one exits")
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGTERM, signal.SIGHUP)}
    live.start()
    say(f"watching {live.root} ({live.watcher_kind}); the database is {live.engine.db_path}")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        live.close()
        say("stopped")
    return 0
