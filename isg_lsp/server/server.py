"""The language server: pygls' LanguageServer with isg-lsp's features registered, and its lifecycle.

Handlers live in handlers.py (reading the graph) and session.py (changing it); this module wires them to LSP
methods and runs the initialize / initialized / configuration / shutdown sequence.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__, languages
from . import protocol as P
from .convert import SHOW_LOCATIONS
from .handlers import Handlers
from .options import InitOptions, parse_options
from .session import Session

log = logging.getLogger(__name__)

CONFIG_SECTION = "isg"


class IsgLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "isg-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=P.IsgProtocol,
            converter_factory=P.converter_factory,
            max_workers=4,
        )
        self.session = Session(self)
        self.closed = False

    def close_session(self) -> None:
        if not self.closed:
            self.closed = True
            self.session.close()


def build_server() -> IsgLanguageServer:
    server = IsgLanguageServer()
    session = server.session
    handlers = Handlers(session)
    feature = server.feature

    # ---- lifecycle -----------------------------------------------------------------------------------------

    @feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        package_log = logging.getLogger("isg_lsp")
        for handler in [h for h in package_log.handlers if isinstance(h, _ClientLogHandler)]:
            package_log.removeHandler(handler)  # a second client over TCP: one handler, its own
        package_log.addHandler(_ClientLogHandler(server, asyncio.get_running_loop()))
        options, warnings = parse_options(params.initialization_options)
        session.options = options
        for warning in warnings:
            session.show_message(f"isg-lsp: {warning}", types.MessageType.Warning)
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        session.folder_count_hint = len(folders)
        for uri in folders:
            session.add_folder(uri)

    @feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        if session.client_supports("workspace.did_change_watched_files.dynamic_registration"):
            await _register_watchers(server)
        for folder in list(session.folders):
            session.start_indexing(folder)

    @feature(types.SHUTDOWN)
    def shutdown(params) -> None:
        server.close_session()

    @feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(params: types.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed:
            session.remove_folder(removed.uri)
        for added in params.event.added:
            folder = session.add_folder(added.uri)
            if folder is not None:
                session.start_indexing(folder)
        session.request_lens_refresh()

    @feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        raw = settings.get(CONFIG_SECTION) if isinstance(settings, dict) else None
        if raw is None and session.client_supports("workspace.configuration"):
            try:
                answers = await server.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=CONFIG_SECTION)])
                )
                raw = answers[0] if answers else None
            except Exception as error:  # noqa: BLE001 - keep the options we have
                log.info("workspace/configuration failed: %s", error)
                return
        if raw is None:
            return
        options, warnings = parse_options(raw)
        for warning in warnings:
            session.show_message(f"isg-lsp: {warning}", types.MessageType.Warning)
        _apply_options(session, options)

    # ---- documents and files -------------------------------------------------------------------------------

    feature(types.TEXT_DOCUMENT_DID_OPEN)(_plain(session.open_document))
    feature(types.TEXT_DOCUMENT_DID_CHANGE)(_plain(session.change_document))
    feature(types.TEXT_DOCUMENT_DID_CLOSE)(_plain(session.close_document))
    feature(types.TEXT_DOCUMENT_DID_SAVE)(_plain(session.save_document))
    feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(_plain(session.files_changed))

    # ---- standard requests ---------------------------------------------------------------------------------

    feature(types.TEXT_DOCUMENT_DEFINITION)(_plain(handlers.definition))
    feature(types.TEXT_DOCUMENT_REFERENCES)(_plain(handlers.references))
    feature(types.TEXT_DOCUMENT_IMPLEMENTATION)(_plain(handlers.implementation))
    feature(types.TEXT_DOCUMENT_HOVER)(_plain(handlers.hover))
    feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(_plain(handlers.document_symbol))
    feature(types.WORKSPACE_SYMBOL)(_plain(handlers.workspace_symbol))
    feature(types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY)(_plain(handlers.prepare_call_hierarchy))
    feature(types.CALL_HIERARCHY_INCOMING_CALLS)(_plain(handlers.incoming_calls))
    feature(types.CALL_HIERARCHY_OUTGOING_CALLS)(_plain(handlers.outgoing_calls))
    feature(types.TEXT_DOCUMENT_PREPARE_TYPE_HIERARCHY)(_plain(handlers.prepare_type_hierarchy))
    feature(types.TYPE_HIERARCHY_SUPERTYPES)(_plain(handlers.supertypes))
    feature(types.TYPE_HIERARCHY_SUBTYPES)(_plain(handlers.subtypes))
    feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=True))(_plain(handlers.code_lens))
    feature(types.CODE_LENS_RESOLVE)(_plain(handlers.code_lens_resolve))
    server.command(SHOW_LOCATIONS)(_plain_varargs(handlers.show_locations))

    # ---- isg/* (docs/protocol.md) --------------------------------------------------------------------------

    for method, handler in (
        ("isg/whoImplements", handlers.who_implements),
        ("isg/callers", handlers.callers),
        ("isg/callees", handlers.callees),
        ("isg/blastRadius", handlers.blast_radius),
        ("isg/cycles", handlers.cycles),
        ("isg/search", handlers.search),
        ("isg/stats", handlers.stats),
        ("isg/query", handlers.query),
        ("isg/sql", handlers.sql),
        ("isg/context", handlers.context),
        ("isg/map", handlers.map),
    ):
        feature(method)(_plain(handler))
    if os.environ.get("ISG_LSP_TEST_HOOKS"):
        feature("isg/test/document")(_test_document(session))
        feature("isg/test/memory")(_test_memory())
    return server


def _test_memory():
    """A test hook: the allocations that grew most since the previous call (tracemalloc), for leak hunting."""
    state: dict[str, Any] = {}

    def test_memory(params):
        import gc
        import tracemalloc

        gc.collect()
        if not tracemalloc.is_tracing():
            tracemalloc.start(12)
        snapshot = tracemalloc.take_snapshot()
        previous, state["snapshot"] = state.get("snapshot"), snapshot
        if previous is None:
            return []
        return [
            {"size": stat.size_diff, "count": stat.count_diff, "where": stat.traceback.format()[-6:]}
            for stat in snapshot.compare_to(previous, "traceback")[:8]
        ]

    return test_memory


def _test_document(session: Session):
    """A test hook (tests/robustness, ISG_LSP_TEST_HOOKS=1): an open document's text as the server holds it, and
    the graph of its folder as JSONL, so that tests can check both against independent models."""

    def test_document(params):
        from ..export import jsonl_lines

        uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
        session.sync()
        doc = session.documents.get(uri) if isinstance(uri, str) else None
        folder = doc.folder if doc is not None else (session.folders[0] if session.folders else None)
        return {
            "open": doc is not None,
            "version": doc.version if doc is not None else None,
            "text": doc.data.decode("utf-8", "replace") if doc is not None else None,
            "synced": doc.synced if doc is not None else None,
            "reason": doc.desync_reason if doc is not None else None,
            "ignored": doc.ignored_changes if doc is not None else 0,
            "desyncs": session.desyncs,
            "export": list(jsonl_lines(folder.graph)) if folder is not None else [],
        }

    return test_document


def _plain(method):
    """A function calling a bound method (pygls marks handlers with attributes, which methods cannot take)."""
    if asyncio.iscoroutinefunction(method):

        async def handler(params):
            return await method(params)
    else:

        def handler(params):  # type: ignore[misc]  # one of two shapes, chosen once
            return method(params)

    handler.__name__ = handler.__qualname__ = method.__name__
    handler.__doc__ = method.__doc__
    return handler


def _plain_varargs(method):
    def handler(*args):
        return method(*args)

    handler.__name__ = handler.__qualname__ = method.__name__
    return handler


async def _register_watchers(server: IsgLanguageServer) -> None:
    extensions = sorted({ext.lstrip(".") for spec in languages.available_languages() for ext in spec.extensions})
    watchers = [
        types.FileSystemWatcher(glob_pattern="**/*.{" + ",".join(extensions) + "}"),
        types.FileSystemWatcher(glob_pattern="**/Cargo.toml"),
        types.FileSystemWatcher(glob_pattern="**/.gitignore"),
        # a deleted folder is reported once, as the folder: watch deletions of anything
        types.FileSystemWatcher(glob_pattern="**/*", kind=types.WatchKind.Delete),
    ]
    registration = types.Registration(
        id="isg-watched-files",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as error:  # noqa: BLE001 - without a watcher, files changed outside the editor are missed
        log.warning("could not register file watchers: %s", error)


def _apply_options(session: Session, options: InitOptions) -> None:
    old = session.options
    session.options = options
    if options.indexing_key() != old.indexing_key():
        for folder in list(session.folders):
            if options.database_path != old.database_path:
                uri = folder.uri
                session.remove_folder(uri)
                added = session.add_folder(uri)
                if added is None:
                    continue
                folder = added
            else:
                folder.engine.config = options.workspace_config()
                for doc in session.documents.values():
                    session._place(doc)
            session.start_indexing(folder)
    session.request_lens_refresh()


class _ClientLogHandler(logging.Handler):
    """Sends warnings and errors of the server to the client's log (window/logMessage) as well as to stderr."""

    def __init__(self, server: IsgLanguageServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.WARNING)
        self.server = server
        self.loop = loop
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False) or self.server.closed:
            return
        kind = types.MessageType.Error if record.levelno >= logging.ERROR else types.MessageType.Warning
        text = P.clean_message(record.getMessage())

        def send() -> None:
            self._local.busy = True
            try:
                self.server.window_log_message(types.LogMessageParams(type=kind, message=f"isg-lsp: {text}"))
            except Exception:  # noqa: BLE001 - logging must never fail
                pass
            finally:
                self._local.busy = False

        try:
            self.loop.call_soon_threadsafe(send)
        except RuntimeError:
            pass
