"""Request handlers: convert in (convert.py), ask the analysis (isg_lsp/analysis), convert out.

Every graph-reading handler first brings the graph up to date with the open documents (``Session.sync``), then is
timed into the query latency log. A target that names nothing, or a question asked wrongly, is an invalid-params
error (-32602) carrying the reason; anything else a handler raises becomes an internal error with one clean line
(protocol.py), and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import time

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from .. import queries
from ..analysis import merge_query_results
from ..analysis.api import EMPTY_QUERY_RESULT
from ..engine import submit_sql
from ..model import Node
from . import convert
from . import protocol as P
from .session import Folder, Session, TargetError

log = logging.getLogger(__name__)

INVALID = (TargetError, queries.QueryError, ValueError, KeyError)


def _invalid(error: Exception) -> JsonRpcInvalidParams:
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return JsonRpcInvalidParams(message=P.clean_message(str(message)))


# Test hooks (tests/lsp): make one handler fail, or make long requests and indexing slow enough to cancel or observe.
_FAULT = os.environ.get("ISG_LSP_TEST_FAULT", "")
_DELAY_S = float(os.environ.get("ISG_LSP_TEST_DELAY_MS", "0") or 0) / 1000


def reads_graph(fn):
    """A handler that reads the graph: catch up with the edits first, time it, turn bad targets into -32602."""

    @functools.wraps(fn)
    def wrapper(self: "Handlers", params):
        self.session.sync()
        started = time.perf_counter()
        try:
            if _FAULT == fn.__name__:
                raise RuntimeError(f"injected fault in {fn.__name__} at /tmp/secret/place/file.rs")
            return fn(self, params)
        except INVALID as error:
            raise _invalid(error) from None
        finally:
            self.session.query_latency.add((time.perf_counter() - started) * 1000)

    return wrapper


def reads_graph_long(fn):
    """Like ``reads_graph``, for requests that may take long: they run as tasks, so `$/cancelRequest` cancels them
    while they wait their turn and at each point where they yield."""

    @functools.wraps(fn)
    async def wrapper(self: "Handlers", params):
        await asyncio.sleep(_DELAY_S)  # a cancellation that arrived with the request lands here
        self.session.sync()
        started = time.perf_counter()
        try:
            return await fn(self, params)
        except INVALID as error:
            raise _invalid(error) from None
        finally:
            self.session.query_latency.add((time.perf_counter() - started) * 1000)

    return wrapper


class Handlers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _document(self, uri: str) -> tuple[Folder | None, str]:
        """The folder indexing a document and its path there; no folder when none does."""
        folder, rel = self.session.locate(uri)
        return (folder, rel) if folder is not None and rel is not None else (None, "")

    def _item_node(self, item) -> tuple[Folder, Node]:
        found = self.session.folder_of_node(convert.item_id(item))
        if found is None:
            raise TargetError(f"no node matches {item.name} (it changed since; ask again)")
        return found

    # ---- standard LSP --------------------------------------------------------------------------------------

    @reads_graph
    def definition(self, params: types.DefinitionParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        nodes = folder.analysis.definitions(rel, params.position.line, params.position.character)
        return folder.locator.locations(nodes) or None

    @reads_graph
    def implementation(self, params: types.ImplementationParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        nodes = folder.analysis.implementations(rel, params.position.line, params.position.character)
        return folder.locator.locations(nodes) or None

    @reads_graph
    def references(self, params: types.ReferenceParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        places = folder.analysis.references(
            rel, params.position.line, params.position.character, include_declaration=params.context.include_declaration
        )
        return [folder.locator.file_location(p) for p in places] or None

    @reads_graph
    def hover(self, params: types.HoverParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        facts = folder.analysis.hover(rel, params.position.line, params.position.character)
        return convert.hover(facts, self._markdown()) if facts is not None else None

    def _markdown(self) -> bool:
        caps = self.session.server.client_capabilities
        formats = getattr(getattr(getattr(caps, "text_document", None), "hover", None), "content_format", None)
        return formats is None or types.MarkupKind.Markdown in formats

    @reads_graph
    def document_symbol(self, params: types.DocumentSymbolParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        if self.session.client_supports("text_document.document_symbol.hierarchical_document_symbol_support"):
            return convert.document_symbols(folder.analysis.document_symbols(rel) or [])
        return folder.locator.symbols(folder.analysis.file_symbols(rel) or [])

    @reads_graph_long
    async def workspace_symbol(self, params: types.WorkspaceSymbolParams):
        out: list[types.SymbolInformation] = []
        for folder in self.session.folders:
            out.extend(folder.locator.symbols(folder.analysis.symbols(params.query, limit=500)))
        return out[:500]

    # ---- call and type hierarchies -------------------------------------------------------------------------

    @reads_graph
    def prepare_call_hierarchy(self, params: types.CallHierarchyPrepareParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        targets = folder.analysis.call_hierarchy_at(rel, params.position.line, params.position.character)
        return [folder.locator.call_item(t) for t in targets] or None

    @reads_graph
    def incoming_calls(self, params: types.CallHierarchyIncomingCallsParams):
        folder, node = self._item_node(params.item)
        return [folder.locator.incoming_call(c) for c in folder.analysis.incoming_calls(node)]

    @reads_graph
    def outgoing_calls(self, params: types.CallHierarchyOutgoingCallsParams):
        folder, node = self._item_node(params.item)
        return [folder.locator.outgoing_call(c) for c in folder.analysis.outgoing_calls(node)]

    @reads_graph
    def prepare_type_hierarchy(self, params: types.TypeHierarchyPrepareParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        targets = folder.analysis.type_hierarchy_at(rel, params.position.line, params.position.character)
        return [folder.locator.type_item(t) for t in targets] or None

    @reads_graph
    def supertypes(self, params: types.TypeHierarchySupertypesParams):
        folder, node = self._item_node(params.item)
        return [folder.locator.type_item(t) for t in folder.analysis.supertypes(node)]

    @reads_graph
    def subtypes(self, params: types.TypeHierarchySubtypesParams):
        folder, node = self._item_node(params.item)
        return [folder.locator.type_item(t) for t in folder.analysis.subtypes(node)]

    # ---- code lenses ---------------------------------------------------------------------------------------

    @reads_graph
    def code_lens(self, params: types.CodeLensParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        uri = params.text_document.uri
        return [folder.locator.code_lens(uri, lens) for lens in folder.analysis.lenses(rel) or []]

    @reads_graph
    def code_lens_resolve(self, lens: types.CodeLens):
        data = lens.data if isinstance(lens.data, dict) else {}
        uri, kind = str(data.get("uri", "")), str(data.get("kind"))
        found = self.session.folder_of_node(convert.item_id(lens))
        if found is None:
            return convert.stale_lens(lens, uri)
        folder, node = found
        return folder.locator.resolved_lens(uri, lens.range, kind, node, folder.analysis.lens(node, kind))

    def show_locations(self, *args):
        """`workspace/executeCommand isg.showLocations`: the locations, for clients without a peek view."""
        return args[2] if len(args) >= 3 and isinstance(args[2], list) else []

    # ---- isg/* ---------------------------------------------------------------------------------------------

    @reads_graph
    def who_implements(self, params: P.WhoImplementsParams) -> P.JsonText:  # a P.WhoImplementsResult
        params = params or P.WhoImplementsParams()
        folder, targets = self.session.resolved(params, "implementable")
        include = convert.include_heuristic(params.include_heuristic)
        related = folder.analysis.implementors(targets.nodes, include)
        notes = convert.statement(targets) + folder.analysis.notes(targets, "implementors", include)
        return folder.locator.who_implements_text(targets.nodes, related, notes)

    @reads_graph
    def callers(self, params: P.CallsParams) -> P.JsonText:  # a P.CallsResult
        params = params or P.CallsParams()
        folder, targets = self.session.resolved(params, "callable")
        include = convert.include_heuristic(params.include_heuristic)
        related = folder.analysis.callers(targets.nodes, include)
        notes = convert.statement(targets) + folder.analysis.notes(targets, "callers", include)
        return folder.locator.calls_text(targets.nodes, related, notes=notes)

    @reads_graph
    def callees(self, params: P.CallsParams) -> P.JsonText:  # a P.CallsResult
        params = params or P.CallsParams()
        folder, targets = self.session.resolved(params, "callable")
        include, nodes = convert.include_heuristic(params.include_heuristic), targets.nodes
        related = folder.analysis.callees(nodes, include)
        notes = convert.statement(targets) + folder.analysis.notes(targets, "callees", include)
        return folder.locator.calls_text(nodes, related, folder.analysis.unresolved_calls(nodes), notes)

    @reads_graph_long
    async def blast_radius(self, params: P.BlastRadiusParams) -> P.JsonText:  # a P.BlastRadiusResult
        params = params or P.BlastRadiusParams()
        folder, targets = self.session.targets(params)
        radius = folder.analysis.impact(
            targets,
            depth=params.depth,
            direction=params.direction or "up",
            kinds=convert.edge_kinds(params.edge_kinds),
            include_heuristic=convert.include_heuristic(params.include_heuristic),
            limit=convert.limit(params.limit, 500),
            through_hubs=bool(params.through_hubs),
        )
        return folder.locator.blast_radius_text(folder.analysis, targets, radius)

    @reads_graph_long
    async def cycles(self, params: P.CyclesParams) -> P.CyclesResult:
        params = params or P.CyclesParams()
        limit = convert.limit(params.limit, 50)
        found = []
        include = convert.include_heuristic(params.include_heuristic)
        for folder in self.session.folders:
            found.extend(folder.analysis.cycles(params.level or "module", params.within, limit, include))
            await asyncio.sleep(0)
        return convert.cycles_result(found, limit)

    @reads_graph_long
    async def search(self, params: P.SearchParams) -> P.SearchResult:
        params = params or P.SearchParams()
        kinds, limit = convert.node_kinds(params.kinds), convert.limit(params.limit, 100)
        nodes_out, total = [], 0
        for folder in self.session.folders:
            nodes, count = folder.analysis.search(params.pattern, kinds, params.field or "name", limit)
            total += count
            nodes_out.extend(folder.locator.isg_nodes(nodes))
        return P.SearchResult(nodes=nodes_out[:limit], total=total)

    @reads_graph
    def stats(self, params) -> P.StatsResult:
        session = self.session
        folders = [
            convert.FolderState(
                f.uri,
                f.state == "indexing",
                f.ready,
                f.done,
                f.total,
                f.analysis.counts(),
                f.analysis.database(),
                failed=f.state == "failed",
            )
            for f in session.folders
        ]
        return convert.stats_result(folders, session.update_latency.summary(), session.query_latency.summary())

    @reads_graph_long
    async def query(self, params: P.QueryParams):
        params = params or P.QueryParams()
        if not params.query.strip():
            raise queries.QueryError("empty query")
        limit = convert.limit(params.limit, 1000)
        merged = None
        for folder in self.session.folders_for_queries():
            data = folder.analysis.query_json(params.query, limit, triples=params.format == "triples")
            merged = merge_query_results(merged, data)
            await asyncio.sleep(0)
        return merged or dict(EMPTY_QUERY_RESULT)

    @reads_graph_long
    async def sql(self, params: P.SqlParams):
        params = params or P.SqlParams()
        folder = self.session.folders_for_queries()[0] if self.session.folders else None
        if folder is None or folder.engine.store is None:
            raise queries.QueryError("no database: the index is kept in memory only")
        await self.session.flush_and_wait(folder)  # written before the query runs: it sees every edit so far
        cancel = threading.Event()
        job = functools.partial(
            folder.analysis.sql, params.sql, limit=convert.limit(params.limit, 1000), budget_ms=2000, cancel=cancel
        )
        try:
            result = await asyncio.wrap_future(submit_sql(job))  # SQL threads: never behind another statement
        except asyncio.CancelledError:
            cancel.set()  # $/cancelRequest: SQLite's progress handler stops it
            raise
        return {
            "columns": list(result.columns),
            "rows": [list(row) for row in result.rows],
            "truncated": bool(result.truncated),
        }

    @reads_graph_long
    async def context(self, params: P.ContextParams):
        params = params or P.ContextParams()
        subject: str | list[Node] = params.query or params.fqp or ""  # text: resolved with a statement of it
        if params.query or (params.focus and not (params.id or params.fqp or params.text_document)):
            folder = self.session.folders_for_queries()[0]
        elif params.fqp:
            folder = self.session.resolved(params)[0]
        else:
            folder, subject = self.session.targets(params)  # the nodes themselves
        budget = params.budget_tokens if params.budget_tokens is not None else 2000
        include, tests = convert.include_heuristic(params.include_heuristic), bool(params.include_tests)
        found = folder.analysis.context(subject, budget, include, params.focus or (), tests)
        return found.to_json()

    @reads_graph_long
    async def map(self, params: P.MapParams):
        """`isg/map`: the first folder's map (repomap.py), by default its API within 3% of its source."""
        params = params or P.MapParams()
        folder = self.session.folders_for_queries()[0]
        focus = [_workspace_relative(folder, entry) for entry in params.focus or ()]
        return folder.analysis.map(
            params.level or "api", params.budget_tokens, focus, bool(params.include_tests), params.modules
        )


def _workspace_relative(folder: Folder, entry: str) -> str:
    """A focus given as a file URI, as the map takes it: a path relative to the folder."""
    if not entry.startswith("file:"):
        return entry
    path = convert.uri_to_path(entry)
    try:
        return path.resolve().relative_to(folder.root.resolve()).as_posix() if path is not None else entry
    except ValueError:
        return entry
