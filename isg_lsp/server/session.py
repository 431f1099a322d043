"""The server's state: workspace folders (one Engine each), open documents, and how changes reach the graph.

Everything here runs on the event loop thread, which is the only thread that reads or changes a graph; indexing and
SQLite writes run in the background thread (writer.py) on data the loop no longer changes.

- Edits: ``didChange`` applies the change to the document's bytes and tree (microseconds) and marks the document
  dirty; the graph catches up (incremental parse, extraction, surgery) at the next request, or after a short pause
  in typing, whichever comes first. A burst of keystrokes thus costs one extraction, and no request ever sees a
  graph older than the edits that came before it.
- Persistence: surgery marks files dirty in the engine; a timer takes a snapshot of them on the loop and the
  background thread writes it, in batches.
- Indexing: in the background thread, with work-done progress. While a folder is indexed, requests are answered
  from the graph it had before (empty on a cold start, complete for the other folders) and edits wait; when the new
  graph is swapped in, the waiting edits and file events are applied to it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections import deque
from functools import partial
from pathlib import Path

from lsprotocol import types

from .. import languages
from ..analysis import Analysis, AnalysisConfig, DiskLines, LensConfig, TargetError, Targets, Workspace
from ..engine import Engine
from ..extract import parser_for
from ..graph import Graph
from ..isolation import ParserPool
from ..model import Node
from ..safety import read_file
from ..storage import ENV_BASE, ENV_WORKSPACE, StoreSpec, StoreSpecError, parse_store
from ..workspace import content_hash, database_location_allowed, is_excluded, normalize_source
from . import convert
from .documents import Document, OutOfSync
from .options import InitOptions
from .writer import Background, save_rows

log = logging.getLogger(__name__)

SYNC_DELAY_S = 0.05  # a pause in typing this long brings the graph up to date
FLUSH_DELAY_S = 1.0  # changes are written to SQLite at most this long after they happen
LENS_REFRESH_DELAY_S = 0.3
REINDEX_EVENTS = 200  # more file events than this at once (a branch switch): index again (warm)
LAYOUT_FILES = ("Cargo.toml", ".gitignore")

__all__ = ["Folder", "Session", "TargetError", "LatencyLog"]


class LatencyLog:
    """The most recent durations of one kind of operation, in milliseconds."""

    def __init__(self, size: int = 2000) -> None:
        self.values: deque[float] = deque(maxlen=size)
        self.count = 0

    def add(self, ms: float) -> None:
        self.values.append(ms)
        self.count += 1

    def summary(self) -> tuple[float, float, float, int]:
        if not self.values:
            return 0.0, 0.0, 0.0, 0
        ordered = sorted(self.values)

        def pick(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return pick(0.50), pick(0.95), pick(0.99), len(ordered)


class Folder:
    """One workspace folder and its engine."""

    def __init__(self, uri: str, root: Path, engine: Engine, analysis: Analysis) -> None:
        self.uri = uri
        self.root = root
        self.name = root.name
        self.engine = engine
        self.analysis = analysis  # the folder's graph asked in editor terms
        self.locator = convert.Locator(root)
        self.state = "queued"  # queued → indexing → ready (or failed, still serving)
        self.done = 0
        self.total = 0
        self.pending_disk: set[str] = set()  # files changed on disk while indexing
        self.reindex_wanted = False
        self.index_task: asyncio.Task | None = None
        self.flush_handle: asyncio.TimerHandle | None = None
        self.closed = False
        self.store_shown: str | None = None  # the database message the user was shown (once each)

    @property
    def graph(self) -> Graph:
        return self.engine.graph

    @property
    def ready(self) -> bool:
        return self.state in ("ready", "failed")


class Session:
    def __init__(self, server) -> None:
        self.server = server
        self.analysis_config = AnalysisConfig()  # what the options say to the analyses, shared by every folder
        self.options = InitOptions()
        self.folders: list[Folder] = []
        self.documents: dict[str, Document] = {}
        self.dirty_docs: set[str] = set()
        self.background = Background()
        # parsing of files that are not open (the index, files changed on disk) runs in worker processes, where a
        # crash of native code costs one file (isolation.py); started at once, in the background
        self.pool = ParserPool(workers=max(1, min(2, os.cpu_count() or 1)))
        self._pool_warming = False
        self.update_latency = LatencyLog()
        self.query_latency = LatencyLog()
        self._sync_handle: asyncio.TimerHandle | None = None
        self._lens_handle: asyncio.TimerHandle | None = None
        self._lens_checks: list = []
        self._disk_lines: dict[Path, DiskLines] = {}
        self.shutting_down = False
        self.folder_order: dict[str, int] = {}  # workspace folder URI → its place in the workspace
        self.desyncs = 0  # documents found out of sync (docs/reliability.md)
        self._unopened_changes: set[str] = set()

    @property
    def options(self) -> InitOptions:
        return self._options

    @options.setter
    def options(self, options: InitOptions) -> None:
        self._options = options
        config = self.analysis_config
        config.include_heuristic = options.include_heuristic
        config.blast_radius_depth = options.blast_radius_depth
        config.lenses = LensConfig(
            implementations=options.lenses.implementations,
            callers=options.lenses.callers,
            blast_radius=options.lenses.blast_radius,
        )

    # ---- capabilities --------------------------------------------------------------------------------------

    def client_supports(self, path: str) -> bool:
        node = self.server.client_capabilities
        for part in path.split("."):
            node = getattr(node, part, None)
            if node is None:
                return False
        return bool(node)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    # ---- folders -------------------------------------------------------------------------------------------

    def add_folder(self, uri: str) -> Folder | None:
        root = convert.uri_to_path(uri)
        if root is None or not root.is_dir():
            log.warning("ignoring workspace folder %s: not a local folder", uri)
            return None
        root = root.resolve()
        if any(f.root == root for f in self.folders):
            return None
        if not self._pool_warming:
            self._pool_warming = True  # workers start while the folder is listed and its database read
            threading.Thread(target=self.pool.warm, name="isg-pool-warm", daemon=True).start()
        engine = Engine(
            root,
            db_path=self._db_path(root),
            config=self.options.workspace_config(),
            pool=self.pool,
            store_spec=self._base(),
            store_write=False,
        )
        folder = Folder(
            uri, root, engine, Analysis(engine, lambda rel: self.document_lines(folder, rel), self.analysis_config)
        )
        self.report_store(folder)
        self.folder_order.setdefault(uri, len(self.folder_order))
        self.folders.append(folder)
        self.folders.sort(key=lambda f: len(str(f.root)), reverse=True)  # the innermost root wins
        for doc in self.documents.values():
            self._place(doc)
        return folder

    def remove_folder(self, uri: str) -> None:
        root = convert.uri_to_path(uri)
        for folder in list(self.folders):
            if folder.uri == uri or (root is not None and folder.root == root.resolve()):
                self.folders.remove(folder)
                self._close_folder(folder)
        for doc in self.documents.values():
            self._place(doc)

    def _db_path(self, root: Path) -> Path | None:
        configured = self.options.database_path
        if not configured:
            return None
        path = Path(configured).expanduser()
        if not path.is_absolute():
            chosen = root / path
        elif self.folder_count_hint > 1:
            chosen = path.with_name(f"{path.stem}-{root.name}{path.suffix}")  # one database per folder
        else:
            chosen = path
        if not database_location_allowed(chosen, root):  # settings may come from the workspace itself
            self.show_message(
                f"isg-lsp: databasePath {configured!r} is outside the workspace and the user's cache "
                f"folder; using {root.name}/.isg/isg.db instead",
                types.MessageType.Warning,
            )
            return None
        return chosen

    def _base(self) -> StoreSpec | None:
        """A shared index to answer from (`serve --base URL@COMMIT`, or $ISG_BASE: the user's own command line or
        environment, never a workspace's settings), with the files that differ from it indexed locally."""
        text = os.environ.get(ENV_BASE)
        if not text:
            return None
        try:
            spec = parse_store(text, workspace=os.environ.get(ENV_WORKSPACE) or None)
        except StoreSpecError as error:
            self.show_message(f"isg-lsp: {ENV_BASE}: {error}", types.MessageType.Warning)
            return None
        return spec if spec.is_postgres else None

    folder_count_hint = 1  # how many folders the workspace started with (one database each)

    def locate(self, uri: str) -> tuple[Folder | None, str | None]:
        """The folder that indexes a URI, and the file's workspace-relative path."""
        path = convert.uri_to_path(uri)
        if path is None:
            return None, None
        try:
            path = path.resolve()
        except OSError:
            pass
        for folder in self.folders:
            try:
                rel = path.relative_to(folder.root).as_posix()
            except ValueError:
                continue
            return folder, rel
        return None, None

    def _place(self, doc: Document) -> None:
        folder, rel = self.locate(doc.uri)
        indexed = (
            folder is not None
            and rel is not None
            and languages.language_for_path(rel) is not None
            and not is_excluded(folder.root, rel, folder.engine.config)
        )
        doc.folder, doc.rel = (folder, rel) if indexed else (None, None)

    # ---- indexing ------------------------------------------------------------------------------------------

    def start_indexing(self, folder: Folder) -> None:
        if folder.index_task is not None and not folder.index_task.done():
            folder.reindex_wanted = True
            return
        folder.index_task = asyncio.ensure_future(self._index(folder))

    async def _index(self, folder: Folder) -> None:
        while True:
            folder.reindex_wanted = False
            await self._index_once(folder)
            if not folder.reindex_wanted or folder.closed or self.shutting_down:
                return

    async def _index_once(self, folder: Folder) -> None:
        loop = asyncio.get_running_loop()
        token = None
        if self.client_supports("window.work_done_progress"):
            token = f"isg-index-{uuid.uuid4().hex[:12]}"
            try:
                await self.server.work_done_progress.create_async(token)
            except Exception as error:  # noqa: BLE001 - no progress bar is no reason not to index
                log.info("work done progress refused: %s", error)
                token = None
        if token is not None:
            self.server.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title=f"isg: indexing {folder.name}", message="listing files", percentage=0, cancellable=False
                ),
            )
        self.flush(folder)  # queued before the index: it sees them
        folder.state = "indexing"
        folder.done = folder.total = 0
        last_report = [0.0]

        def on_progress(done: int, total: int, message: str) -> None:  # in the background thread
            loop.call_soon_threadsafe(report, done, total, message)

        def report(done: int, total: int, message: str) -> None:
            folder.done, folder.total = done, total
            now = time.monotonic()
            if token is not None and (now - last_report[0] > 0.2 or done == total):
                last_report[0] = now
                percentage = int(100 * done / total) if total else 100
                self.server.work_done_progress.report(
                    token, types.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=percentage)
                )

        started = time.perf_counter()
        engine = folder.engine
        summary = "failed"
        try:
            report_ = await asyncio.wrap_future(self.background.submit(partial(_index_quietly, engine, on_progress)))
            summary = (
                f"{report_.files} files ({report_.parsed} parsed), {engine.graph.edge_count()} edges, "
                f"{time.perf_counter() - started:.1f} s"
            )
            folder.state = "ready"
        except Exception as error:  # noqa: BLE001 - keep serving what we have
            log.error("indexing %s failed", folder.root, exc_info=True)
            folder.state = "failed"
            self.show_message(f"isg: indexing {folder.name} failed: {convert_message(error)}", types.MessageType.Error)
        finally:
            if token is not None:
                self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=summary))
        log.info("indexed %s: %s", folder.root, summary)
        if folder.closed:
            return
        self._after_index(folder)

    def _after_index(self, folder: Folder) -> None:
        engine = folder.engine
        self.report_store(folder)
        pending, folder.pending_disk = folder.pending_disk, set()
        open_rels = {doc.rel for doc in self.documents.values() if doc.folder is folder}
        for rel in sorted(pending - open_rels):
            self._apply_disk(folder, rel)
        for doc in self.documents.values():
            if doc.folder is not folder or doc.rel is None:
                continue
            state = engine.graph.files.get(doc.rel)
            if state is None or state.facts.content_hash != content_hash(doc.data):
                doc.dirty = True
                self.dirty_docs.add(doc.uri)
        self.sync()
        self.schedule_flush(folder)
        self.request_lens_refresh()

    # ---- documents -----------------------------------------------------------------------------------------

    def open_document(self, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        spec = None
        doc = Document(item.uri, item.version, item.text, None)
        self._place(doc)
        if doc.rel is not None:
            spec = languages.language_for_path(doc.rel)
            doc.lang = spec.name if spec else None
        self.documents[item.uri] = doc
        if doc.folder is None or spec is None:
            return
        self._parse(doc)
        state = doc.folder.graph.files.get(doc.rel)
        if state is None or state.facts.content_hash != content_hash(doc.data):
            self._mark_dirty(doc, 0.0)

    def change_document(self, params: types.DidChangeTextDocumentParams) -> None:
        started = time.perf_counter()
        uri = params.text_document.uri
        doc = self.documents.get(uri)
        if doc is None:
            if uri not in self._unopened_changes:
                self._unopened_changes.add(uri)
                log.warning("ignoring changes to a document that is not open: %s", convert_message_uri(uri))
            return
        changes = list(params.content_changes)
        version = params.text_document.version
        if not doc.synced:
            # until the whole text comes again, changes describe a text we do not have: ignore them
            full = [i for i, c in enumerate(changes) if getattr(c, "range", None) is None]
            if not full:
                doc.ignored_changes += len(changes)
                doc.version = version
                return
            doc.replace(changes[full[-1]].text)
            changes = changes[full[-1] + 1 :]
            self._resynced(doc, "the whole text was sent")
            doc.version = None  # any version follows a full text
        try:
            doc.apply(changes, version)
        except OutOfSync as error:
            self.desync(doc, str(error), version)
            return
        except Exception as error:  # noqa: BLE001 - a change we cannot apply is a lost sync, never a dead server
            log.exception("applying a change to %s failed", uri)
            self.desync(doc, f"the change could not be applied ({type(error).__name__})", version)
            return
        doc.changed = True
        if doc.folder is not None:
            self._mark_dirty(doc, time.perf_counter() - started)

    def _parse(self, doc: Document) -> None:
        """A first tree for an open document, unless it is too large to index (then it gets none)."""
        if doc.lang is None or len(doc.data) > self.options.max_file_bytes:
            doc.tree = None
            return
        doc.tree = parser_for(doc.lang).parse(doc.data)

    def desync(self, doc: Document, reason: str, version: int | None = None) -> None:
        """The client's text and ours differ: re-read the file from disk (never guess), say so once, and ignore
        incremental changes until the whole text is known again (a full change, a save, an open)."""
        first = doc.synced
        doc.synced = False
        doc.desync_reason = reason
        self.desyncs += 1
        if version is not None:
            doc.version = version
        doc.replace(self._disk_text(doc))
        self._parse(doc)
        doc.changed = True
        if doc.folder is not None:
            self._mark_dirty(doc, 0.0)
        name = doc.rel or convert_message_uri(doc.uri)
        log.warning("lost track of the text of %s: %s; using the file on disk", name, reason)
        if first:
            self.show_message(
                f"isg-lsp lost track of the editor's text of {name} ({reason}). It uses the file "
                f"on disk until the document is saved or reopened.",
                types.MessageType.Warning,
            )

    def desync_uri(self, uri: str, reason: str) -> None:
        """A change to this document could not even be read (wrong parameter types)."""
        doc = self.documents.get(uri) if isinstance(uri, str) else None
        if doc is not None:
            self.desync(doc, reason)

    def _resynced(self, doc: Document, how: str) -> None:
        if not doc.synced:
            log.info(
                "back in step with the editor's text of %s: %s (%d changes were ignored meanwhile)",
                doc.rel or doc.uri,
                how,
                doc.ignored_changes,
            )
        doc.synced = True
        doc.desync_reason = None
        doc.ignored_changes = 0

    def _disk_text(self, doc: Document) -> bytes:
        """The document's file as an editor would show it (UTF-16 transcoded, no byte order mark); empty when the
        file is missing or unreadable."""
        path = convert.uri_to_path(doc.uri)
        if path is None:
            return b""
        try:
            raw = read_file(path)  # never a FIFO (it would block the event loop)
        except OSError:
            return b""
        data, _ = normalize_source(raw)
        return data if data is not None else b""

    def close_document(self, params: types.DidCloseTextDocumentParams) -> None:
        doc = self.documents.pop(params.text_document.uri, None)
        self.dirty_docs.discard(params.text_document.uri)
        if doc is None or doc.folder is None or doc.rel is None:
            return
        folder = doc.folder
        if not folder.ready:
            folder.pending_disk.add(doc.rel)
            return
        # the buffer's text goes; the file on disk is what counts again
        state = folder.graph.files.get(doc.rel)
        path = folder.root / doc.rel
        try:
            on_disk = content_hash(read_file(path)) if path.is_file() else None
        except OSError:
            on_disk = None
        if state is None or on_disk is None or state.facts.content_hash != on_disk:
            self._apply_disk(folder, doc.rel)

    def save_document(self, params: types.DidSaveTextDocumentParams) -> None:
        doc = self.documents.get(params.text_document.uri)
        if doc is None:
            return
        if not doc.synced:
            # the file on disk now holds the editor's text: read it, and follow the changes again
            doc.replace(self._disk_text(doc))
            self._parse(doc)
            self._resynced(doc, "saved")
            if doc.folder is not None:
                self._mark_dirty(doc, 0.0)
            return
        if doc.folder is None or not doc.folder.ready:
            return
        # the database may trust the file's time only for the text the graph holds: the file is read back (it may
        # already hold a later save of the same size, the editor's next change not yet here) and stat'ed on both sides
        path = doc.folder.root / doc.rel
        try:
            before = path.stat()
            on_disk = read_file(path)
            stat = path.stat()
        except OSError:
            return
        unchanged = (before.st_size, before.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        # and only when the graph already holds that text: a change typed before the save may not be applied yet
        # (documents are synced after a short delay), and the stored facts must be those of the time stored with them
        state = doc.folder.graph.files.get(doc.rel)
        if unchanged and state is not None and state.facts.content_hash == content_hash(on_disk):
            doc.folder.engine.stats[doc.rel] = (stat.st_size, stat.st_mtime_ns)
            doc.folder.engine.dirty.add(doc.rel)
            self.schedule_flush(doc.folder)

    def _mark_dirty(self, doc: Document, spent_s: float) -> None:
        doc.pending_s += spent_s
        doc.dirty = True
        self.dirty_docs.add(doc.uri)
        if self._sync_handle is None:
            self._sync_handle = self.loop.call_later(SYNC_DELAY_S, self._sync_later)

    def _sync_later(self) -> None:
        self._sync_handle = None
        self.sync()

    def sync(self) -> None:
        """Brings the graphs up to date with the open documents (called before every request)."""
        if not self.dirty_docs:
            return
        for uri in list(self.dirty_docs):
            doc = self.documents.get(uri)
            if doc is None or doc.folder is None:
                self.dirty_docs.discard(uri)
                continue
            if not doc.folder.ready:
                continue  # applied when its folder's index is done
            self.dirty_docs.discard(uri)
            self._apply_document(doc)

    def _apply_document(self, doc: Document) -> None:
        started = time.perf_counter()
        folder = doc.folder
        assert folder is not None and doc.rel is not None  # only placed documents are applied
        if len(doc.data) > self.options.max_file_bytes:
            log.info("not indexing the buffer of %s: larger than %d bytes", doc.rel, self.options.max_file_bytes)
            doc.dirty = False
            return
        before = folder.graph.files.get(doc.rel)
        snapshot = (before.facts.nodes, before.edges) if before is not None else None
        touched, tree = folder.engine.update_document(doc.rel, doc.data, doc.tree)
        doc.tree = tree
        doc.dirty = False
        self.update_latency.add((doc.pending_s + time.perf_counter() - started) * 1000)
        doc.pending_s = 0.0
        self._changed(folder, doc.rel, snapshot, touched)

    def _changed(self, folder: Folder, rel: str, snapshot, touched: set[str]) -> None:
        self._lens_checks.append((folder, rel, snapshot, touched))
        if self._lens_handle is None:
            self._lens_handle = self.loop.call_later(LENS_REFRESH_DELAY_S, self._check_lenses)
        self.schedule_flush(folder)

    # ---- files on disk -------------------------------------------------------------------------------------

    def files_changed(self, params: types.DidChangeWatchedFilesParams) -> None:
        by_folder: dict[Folder, list[tuple[str, types.FileChangeType]]] = {}
        for change in params.changes:
            folder, rel = self.locate(change.uri)
            if folder is not None and rel:
                by_folder.setdefault(folder, []).append((rel, change.type))
        for folder, events in by_folder.items():
            self._disk_events(folder, events)

    def _disk_events(self, folder: Folder, events: list[tuple[str, types.FileChangeType]]) -> None:
        self._disk_lines.clear()
        names = {rel.rsplit("/", 1)[-1] for rel, _ in events}
        layout = any(name in LAYOUT_FILES for name in names)
        if not folder.ready:
            folder.pending_disk.update(rel for rel, _ in events if languages.language_for_path(rel) is not None)
            folder.reindex_wanted |= layout or len(events) > REINDEX_EVENTS
            return
        if layout or len(events) > REINDEX_EVENTS:
            self.start_indexing(folder)
            return
        graph = folder.graph
        rels: set[str] = set()
        structural = False
        for rel, kind in events:
            if languages.language_for_path(rel) is not None:
                rels.add(rel)
                structural |= kind != types.FileChangeType.Changed
                continue
            # not a source file: a folder deleted or created (its files' own events may never come)
            prefix = rel.rstrip("/") + "/"
            inside = [f for f in graph.files if f.startswith(prefix)]
            if kind == types.FileChangeType.Deleted and inside:
                rels.update(inside)
                structural = True
            elif kind == types.FileChangeType.Created and (folder.root / rel).is_dir():
                self.start_indexing(folder)
                return
        if structural and self._layout_changed(folder):
            self.start_indexing(folder)
            return
        open_rels = {doc.rel for doc in self.documents.values() if doc.folder is folder}
        for rel in sorted(rels - open_rels):  # an open document's buffer wins over the disk
            self._apply_disk(folder, rel)

    def _apply_disk(self, folder: Folder, rel: str) -> None:
        started = time.perf_counter()
        engine = folder.engine
        before = engine.graph.files.get(rel)
        snapshot = (before.facts.nodes, before.edges) if before is not None else None
        touched = engine.refresh_from_disk(rel)
        self.update_latency.add((time.perf_counter() - started) * 1000)
        if touched:
            self._changed(folder, rel, snapshot, touched)

    def _layout_changed(self, folder: Folder) -> bool:
        """Whether the module layout (crates, source roots) differs from the one the folder was indexed with."""
        return folder.engine.layout_changed()

    # ---- persistence ---------------------------------------------------------------------------------------

    def schedule_flush(self, folder: Folder) -> None:
        if folder.flush_handle is None and folder.engine.dirty and not folder.closed:
            folder.flush_handle = self.loop.call_later(FLUSH_DELAY_S, self.flush, folder)

    def flush(self, folder: Folder) -> None:
        """Snapshots the folder's changed files on the loop; the background thread writes them."""
        if folder.flush_handle is not None:
            folder.flush_handle.cancel()
            folder.flush_handle = None
        engine = folder.engine
        if not engine.dirty or folder.state == "indexing":
            return
        if engine.store is None:
            engine.dirty.clear()
            return
        dirty = sorted(engine.dirty)
        engine.dirty.clear()
        files = engine.graph.files
        rows, externals = engine.persist_rows([p for p in dirty if p in files], [p for p in dirty if p not in files])
        future = self.background.submit(partial(save_rows, engine, rows, externals))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # shutting down after the loop ended
            return

        def written(_future) -> None:
            if engine.store_message != folder.store_shown and not self.shutting_down:
                try:
                    loop.call_soon_threadsafe(self.report_store, folder)
                except RuntimeError:  # the loop has ended (shutdown)
                    pass

        future.add_done_callback(written)

    async def flush_and_wait(self, folder: Folder) -> None:
        """Writes the folder's pending edits and waits until they are written (a reader of the database, isg/sql,
        runs on another thread and must see them)."""
        pending = bool(folder.engine.dirty) and folder.state != "indexing"
        self.flush(folder)
        if pending:
            await asyncio.wrap_future(self.background.submit(lambda: None))

    def report_store(self, folder: Folder) -> None:
        """Tells the user about the folder's database (rebuilt, memory only) once per distinct message."""
        message = folder.engine.store_message
        if message and message != folder.store_shown:
            folder.store_shown = message
            self.show_message(f"isg-lsp: {folder.name}: {message}", types.MessageType.Warning)

    def _close_folder(self, folder: Folder) -> None:
        folder.closed = True
        if folder.flush_handle is not None:
            folder.flush_handle.cancel()
            folder.flush_handle = None
        if folder.state != "indexing":
            self.flush(folder)
        self.background.submit(folder.engine.close)

    def close(self, timeout: float = 10.0) -> None:
        """Writes what is left and closes every database (shutdown)."""
        self.shutting_down = True
        for handle in (self._sync_handle, self._lens_handle):
            if handle is not None:
                handle.cancel()
        # unsaved buffers are not written: the next start reads the files on disk anyway
        for folder in self.folders:
            self._close_folder(folder)
        if not self.background.wait_idle(timeout):
            log.warning("the background thread is still busy; exiting without waiting for it")
        self.background.shutdown()
        self.pool.close()

    # ---- code lens refresh ---------------------------------------------------------------------------------

    def _check_lenses(self) -> None:
        self._lens_handle = None
        checks, self._lens_checks = self._lens_checks, []
        for folder, rel, snapshot, touched in checks:
            state = folder.graph.files.get(rel)
            if touched - {rel} or snapshot is None or state is None:
                break
            nodes, edges = snapshot
            if [n.id for n in nodes] != [n.id for n in state.facts.nodes] or edges != state.edges:
                break
        else:
            return
        self.request_lens_refresh()

    def request_lens_refresh(self) -> None:
        if self.client_supports("workspace.code_lens.refresh_support") and not self.shutting_down:
            self.server.workspace_code_lens_refresh(None)

    # ---- messages ------------------------------------------------------------------------------------------

    def show_message(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.server.window_show_message(types.ShowMessageParams(type=kind, message=text))
        except Exception:  # noqa: BLE001 - before the connection exists
            log.warning("%s", text)

    # ---- reading the graph ---------------------------------------------------------------------------------

    def document_lines(self, folder: Folder, rel: str) -> list[str] | None:
        """A file's lines: the open buffer's, else the file on disk (cached while unchanged)."""
        for doc in self.documents.values():
            if doc.folder is folder and doc.rel == rel:
                return doc.lines()
        disk = self._disk_lines.get(folder.root)
        if disk is None:
            disk = self._disk_lines[folder.root] = DiskLines(folder.root)
        return disk(rel)

    def workspace(self) -> Workspace:
        return Workspace([f.analysis for f in self.folders])

    def folder_of(self, analysis: Analysis) -> Folder:
        return next(f for f in self.folders if f.analysis is analysis)

    def folder_of_node(self, node_id: bytes) -> tuple[Folder, Node] | None:
        found = self.workspace().node(node_id)
        return (self.folder_of(found[0]), found[1]) if found is not None else None

    def targets(self, params) -> tuple[Folder, list[Node]]:
        """The nodes a TargetRef names (docs/protocol.md), with the folder whose graph holds them."""
        folder, targets = self.resolved(params)
        return folder, targets.nodes

    def resolved(self, params, role: str = "any") -> tuple[Folder, Targets]:
        """What a TargetRef names, grouped by symbol: an id; an `fqp` in any form a user writes a target (FQP, public
        path, name, `Type::member`: ``Workspace.resolve``); else the position's targets."""
        if getattr(params, "id", None):
            analysis, nodes = self.workspace().by_id(params.id)
            return self.folder_of(analysis), Targets.of_nodes(params.id, nodes, "id")
        if getattr(params, "fqp", None):
            analysis, targets = self.workspace().resolve(params.fqp, role)
            return self.folder_of(analysis), targets
        document, position = getattr(params, "text_document", None), getattr(params, "position", None)
        if document is not None and position is not None:
            folder, rel = self.locate(document.uri)
            if folder is None or rel is None:
                raise TargetError(f"no node matches {document.uri}: not in a workspace folder")
            nodes = folder.analysis.targets_at(rel, position.line, position.character)
            if not nodes:
                raise TargetError(f"no node matches {rel}:{position.line + 1}:{position.character + 1}")
            return folder, Targets.of_nodes(f"{rel}:{position.line + 1}:{position.character + 1}", nodes, "position")
        raise TargetError("no target: give id, fqp, or textDocument and position")

    def folders_for_queries(self) -> list[Folder]:
        """The folders in the workspace's order (queries answer from all of them, first folder first)."""
        if not self.folders:
            raise TargetError("no workspace folder is open")
        return sorted(self.folders, key=lambda f: self.folder_order.get(f.uri, 0))


def _index_quietly(engine: Engine, progress):
    delay = float(os.environ.get("ISG_LSP_TEST_DELAY_MS", "0") or 0) / 1000  # a test hook (tests/lsp)
    if delay:
        time.sleep(delay)
    if os.environ.get("ISG_LSP_TEST_INDEX_FAULT"):  # a test hook (tests/security)
        raise RuntimeError("injected indexing fault")
    return engine.index(progress)


def convert_message_uri(uri: str) -> str:
    from .protocol import clean_message

    return clean_message(str(uri))


def convert_message(error: Exception) -> str:
    from .protocol import clean_message

    return clean_message(f"{type(error).__name__}: {error}")
