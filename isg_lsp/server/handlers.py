"""Request and notification handlers: convert in, ask the graph (queries.py), convert out.

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
from ..model import EDGE_KINDS_FOR_IMPACT, EdgeKind, Node, NodeKind, Resolution
from . import convert
from . import protocol as P
from .session import Folder, Session, TargetError

log = logging.getLogger(__name__)

SHOW_LOCATIONS = "isg.showLocations"
MAX_LIMIT = 100_000
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
        await asyncio.sleep(_DELAY_S)                  # a cancellation that arrived with the request lands here
        self.session.sync()
        started = time.perf_counter()
        try:
            return await fn(self, params)
        except INVALID as error:
            raise _invalid(error) from None
        finally:
            self.session.query_latency.add((time.perf_counter() - started) * 1000)

    return wrapper


def _edge_kinds(names) -> tuple[EdgeKind, ...]:
    if not names:
        return EDGE_KINDS_FOR_IMPACT
    try:
        return tuple(EdgeKind(str(n).upper()) for n in names)
    except ValueError:
        raise queries.QueryError(f"unknown edge kind in {list(names)}; kinds: "
                                 + ", ".join(k.value for k in EdgeKind)) from None


def _limit(value, default: int) -> int:
    if value is None:
        return default
    if value < 0:
        raise queries.QueryError("limit must be positive")
    return min(int(value), MAX_LIMIT)


def _location_json(location: types.Location) -> dict:
    r = location.range
    return {"uri": location.uri, "range": {"start": {"line": r.start.line, "character": r.start.character},
                                           "end": {"line": r.end.line, "character": r.end.character}}}


class Handlers:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- helpers -------------------------------------------------------------------------------------------

    def _document(self, uri: str) -> tuple[Folder, str] | tuple[None, None]:
        return self.session.locate(uri)

    def _lines(self, folder: Folder, node: Node):
        return self.session.document_lines(folder, node.file) if node.file else None

    def _include_heuristic(self, value) -> bool:
        return True if value is None else bool(value)

    def _locations(self, folder: Folder, nodes) -> list[types.Location]:
        out = []
        for node in nodes:
            location = folder.locator.location(node)
            if location is not None:
                out.append(location)
        return out

    # ---- standard LSP --------------------------------------------------------------------------------------

    @reads_graph
    def definition(self, params: types.DefinitionParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        nodes = self.session.resolve_at(folder, rel, params.position)
        return self._locations(folder, nodes) or None

    @reads_graph
    def implementation(self, params: types.ImplementationParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        targets = self.session.resolve_at(folder, rel, params.position, best_only=True)
        related = queries.who_implements(folder.graph, targets, self.session.options.include_heuristic)
        return self._locations(folder, [r.node for r in related]) or None

    @reads_graph
    def references(self, params: types.ReferenceParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        graph = folder.graph
        targets = self.session.resolve_at(folder, rel, params.position, best_only=True)
        include_heuristic = self.session.options.include_heuristic
        found: list[types.Location] = []
        seen: set[tuple] = set()

        def add(location: types.Location) -> None:
            key = (location.uri, location.range.start.line, location.range.start.character)
            if key not in seen:
                seen.add(key)
                found.append(location)

        for target in targets:
            if params.context.include_declaration and target.file and target.span:
                add(types.Location(folder.locator.uri(target.file), convert.name_range(target, self._lines(folder, target))))
            for edge in graph.predecessors(target.id):
                if edge.kind in (EdgeKind.CONTAINS, EdgeKind.DEFINES):
                    continue
                if edge.resolution is Resolution.HEURISTIC and not include_heuristic:
                    continue
                user = graph.nodes.get(edge.src)
                if user is None or user.file is None or user.span is None:
                    continue
                uri = folder.locator.uri(user.file)
                ranges = convert.word_ranges(self._lines(folder, user), target.name, user.span)
                for rng in ranges or [convert.name_range(user, self._lines(folder, user))]:
                    add(types.Location(uri, rng))
        return found or None

    @reads_graph
    def hover(self, params: types.HoverParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        nodes = self.session.resolve_at(folder, rel, params.position, best_only=True)
        if not nodes:
            return None
        node = nodes[0]
        graph = folder.graph
        markdown = self._markdown()
        parts = [f"```{node.lang}\n{node.signature or node.name}\n```" if markdown else node.signature or node.name,
                 f"{node.kind.long_name} `{node.fqp}`" if markdown else f"{node.kind.long_name} {node.fqp}"]
        relations = []
        implements = sorted({graph.nodes[e.dst].name for e in graph.successors(node.id, (EdgeKind.IMPL, EdgeKind.EXTENDS))
                             if e.dst in graph.nodes})
        if implements:
            relations.append("implements " + ", ".join(f"`{n}`" if markdown else n for n in implements))
        include = self.session.options.include_heuristic
        if node.kind is NodeKind.TRAIT or (node.kind is NodeKind.FUNCTION and any(
                True for _ in graph.predecessors(node.id, (EdgeKind.DEFINES,)))):
            impls = queries.who_implements(graph, [node], include)
            relations.append(_counted("implemented by", impls))
        if node.kind is NodeKind.FUNCTION:
            relations.append(_counted("called by", queries.callers(graph, [node], include)))
        if len(nodes) > 1:
            relations.append(f"{len(nodes)} declarations match this name")
        if relations:
            parts.append(" · ".join(relations))
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind=kind, value="\n\n".join(parts)))

    def _markdown(self) -> bool:
        caps = self.session.server.client_capabilities
        formats = getattr(getattr(getattr(caps, "text_document", None), "hover", None), "content_format", None)
        return formats is None or types.MarkupKind.Markdown in formats

    @reads_graph
    def document_symbol(self, params: types.DocumentSymbolParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        state = folder.graph.files.get(rel)
        if state is None:
            return []
        if self.session.client_supports("text_document.document_symbol.hierarchical_document_symbol_support"):
            return convert.document_symbols(state.facts.nodes, self.session.document_lines(folder, rel))
        symbols = (folder.locator.symbol_information(n) for n in state.facts.nodes if n.kind is not NodeKind.GENERIC)
        return [s for s in symbols if s is not None]

    @reads_graph_long
    async def workspace_symbol(self, params: types.WorkspaceSymbolParams):
        out = []
        for folder in self.session.folders:
            nodes, _ = queries.search(folder.graph, params.query, field_name="name", limit=500)
            for node in nodes:
                if node.kind is NodeKind.GENERIC:
                    continue
                symbol = folder.locator.symbol_information(node)
                if symbol is not None:
                    out.append(symbol)
        return out[:500]

    # ---- call hierarchy ------------------------------------------------------------------------------------

    @reads_graph
    def prepare_call_hierarchy(self, params: types.CallHierarchyPrepareParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        nodes = [n for n in self.session.resolve_at(folder, rel, params.position, best_only=True)
                 if n.kind is NodeKind.FUNCTION and n.file and n.span]
        return [folder.locator.call_item(n, self._lines(folder, n)) for n in nodes] or None

    def _item_node(self, item) -> tuple[Folder, Node]:
        data = item.data if isinstance(item.data, dict) else {}
        found = self.session.folder_of_node(bytes.fromhex(str(data.get("id", ""))))
        if found is None:
            raise TargetError(f"no node matches {item.name} (it changed since; ask again)")
        return found

    @reads_graph
    def incoming_calls(self, params: types.CallHierarchyIncomingCallsParams):
        folder, node = self._item_node(params.item)
        out = []
        for r in queries.callers(folder.graph, [node], self.session.options.include_heuristic):
            caller = r.node
            if caller.file is None or caller.span is None:
                continue
            lines = self._lines(folder, caller)
            ranges = convert.word_ranges(lines, node.name, caller.span) or [convert.name_range(caller, lines)]
            out.append(types.CallHierarchyIncomingCall(from_=folder.locator.call_item(caller, lines), from_ranges=ranges))
        return out

    @reads_graph
    def outgoing_calls(self, params: types.CallHierarchyOutgoingCallsParams):
        folder, node = self._item_node(params.item)
        lines = self._lines(folder, node)
        out = []
        for r in queries.callees(folder.graph, [node], self.session.options.include_heuristic):
            callee = r.node
            if callee.file is None or callee.span is None:
                continue
            ranges = convert.word_ranges(lines, callee.name, node.span) or [convert.name_range(node, lines)]
            out.append(types.CallHierarchyOutgoingCall(to=folder.locator.call_item(callee, self._lines(folder, callee)),
                                                       from_ranges=ranges))
        return out

    # ---- type hierarchy ------------------------------------------------------------------------------------

    TYPE_KINDS = frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM})

    @reads_graph
    def prepare_type_hierarchy(self, params: types.TypeHierarchyPrepareParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        nodes = [n for n in self.session.resolve_at(folder, rel, params.position, best_only=True)
                 if n.kind in self.TYPE_KINDS and n.file and n.span]
        return [folder.locator.type_item(n, self._lines(folder, n)) for n in nodes] or None

    @reads_graph
    def supertypes(self, params: types.TypeHierarchySupertypesParams):
        folder, node = self._item_node(params.item)
        graph = folder.graph
        kinds = [EdgeKind.IMPL, EdgeKind.EXTENDS] + ([EdgeKind.BOUND_BY] if node.kind is NodeKind.TRAIT else [])
        found = [graph.nodes.get(e.dst) for e in graph.successors(node.id, kinds)]
        return self._type_items(folder, found)

    @reads_graph
    def subtypes(self, params: types.TypeHierarchySubtypesParams):
        folder, node = self._item_node(params.item)
        graph = folder.graph
        found = []
        for edge in graph.predecessors(node.id, (EdgeKind.IMPL, EdgeKind.EXTENDS, EdgeKind.BOUND_BY)):
            other = graph.nodes.get(edge.src)
            if other is not None and (edge.kind is not EdgeKind.BOUND_BY or other.kind is NodeKind.TRAIT):
                found.append(other)
        return self._type_items(folder, found)

    def _type_items(self, folder: Folder, nodes) -> list[types.TypeHierarchyItem]:
        unique = {n.id: n for n in nodes if n is not None and not n.external and n.file and n.span}
        ordered = sorted(unique.values(), key=lambda n: n.fqp)
        return [folder.locator.type_item(n, self._lines(folder, n)) for n in ordered]

    # ---- code lenses ---------------------------------------------------------------------------------------

    @reads_graph
    def code_lens(self, params: types.CodeLensParams):
        folder, rel = self._document(params.text_document.uri)
        if folder is None:
            return None
        graph = folder.graph
        state = graph.files.get(rel)
        if state is None:
            return []
        options = self.session.options.lenses
        uri = params.text_document.uri
        lenses = []
        for node in state.facts.nodes:
            if node.span is None or node.kind in (NodeKind.GENERIC, NodeKind.MODULE, NodeKind.ASSOC_TYPE):
                continue
            rng = convert.start_range(node.span)
            hex_id = node.id.hex()
            if options.implementations and _has_implementations_lens(graph, node):
                lenses.append(self._resolved(folder, uri, rng, node, "implementations"))
            if options.callers and node.kind is NodeKind.FUNCTION:
                lenses.append(self._resolved(folder, uri, rng, node, "callers"))
            if options.blast_radius and node.kind in (NodeKind.FUNCTION, NodeKind.STRUCT, NodeKind.ENUM,
                                                      NodeKind.TRAIT):
                lenses.append(types.CodeLens(range=rng, data={"kind": "blastRadius", "id": hex_id, "uri": uri}))
        return lenses

    @reads_graph
    def code_lens_resolve(self, lens: types.CodeLens):
        data = lens.data if isinstance(lens.data, dict) else {}
        found = self.session.folder_of_node(bytes.fromhex(str(data.get("id", ""))))
        uri = str(data.get("uri", ""))
        if found is None:
            lens.command = types.Command(title="(changed; refreshing)", command=SHOW_LOCATIONS,
                                         arguments=[uri, {"line": lens.range.start.line,
                                                          "character": lens.range.start.character}, [], ""])
            return lens
        folder, node = found
        return self._resolved(folder, uri, lens.range, node, str(data.get("kind")))

    def _resolved(self, folder: Folder, uri: str, rng: types.Range, node: Node, kind: str) -> types.CodeLens:
        graph = folder.graph
        include = self.session.options.include_heuristic
        if kind == "implementations":
            related = queries.who_implements(graph, [node], include)
            title = _counted_title(len(related), "implementation", "implementations",
                                   sum(1 for r in related if r.edge.resolution is Resolution.HEURISTIC))
            nodes = [r.node for r in related]
        elif kind == "callers":
            related = queries.callers(graph, [node], include)
            title = _counted_title(len(related), "caller", "callers",
                                   sum(1 for r in related if r.edge.resolution is Resolution.HEURISTIC))
            nodes = [r.node for r in related]
        else:
            radius = queries.blast_radius(graph, [node], depth=self.session.options.blast_radius_depth,
                                          include_heuristic=include)
            title = f"blast radius: {radius.total}"
            if radius.heuristic_count:
                title += f" ({radius.heuristic_count} heuristic)"
            nodes = [i.node for i in radius.impacted]
        locations = [_location_json(loc) for loc in self._locations(folder, nodes)]
        position = {"line": rng.start.line, "character": rng.start.character}
        full_title = f"{title} of {node.name}"
        return types.CodeLens(range=rng, command=types.Command(title=title, command=SHOW_LOCATIONS,
                                                               arguments=[uri, position, locations, full_title]),
                              data={"kind": kind, "id": node.id.hex(), "uri": uri})

    def show_locations(self, *args):
        """`workspace/executeCommand isg.showLocations`: the locations, for clients without a peek view."""
        return args[2] if len(args) >= 3 and isinstance(args[2], list) else []

    # ---- isg/* ---------------------------------------------------------------------------------------------

    @reads_graph
    def who_implements(self, params: P.WhoImplementsParams) -> P.WhoImplementsResult:
        folder, targets = self.session.targets(params or P.WhoImplementsParams())
        related = queries.who_implements(folder.graph, targets, self._include_heuristic(params.include_heuristic))
        loc = folder.locator
        return P.WhoImplementsResult(
            target=[loc.isg_node(t) for t in targets],
            implementors=[P.NodeWithEdge(loc.isg_node(r.node), convert.edge_info(r.edge)) for r in related],
            heuristic_count=sum(1 for r in related if r.edge.resolution is Resolution.HEURISTIC))

    @reads_graph
    def callers(self, params: P.CallsParams) -> P.CallsResult:
        return self._calls(params, queries.callers, with_unresolved=False)

    @reads_graph
    def callees(self, params: P.CallsParams) -> P.CallsResult:
        return self._calls(params, queries.callees, with_unresolved=True)

    def _calls(self, params, ask, with_unresolved: bool) -> P.CallsResult:
        params = params or P.CallsParams()
        folder, targets = self.session.targets(params)
        graph = folder.graph
        related = ask(graph, targets, self._include_heuristic(params.include_heuristic))
        loc = folder.locator
        result = P.CallsResult(
            target=[loc.isg_node(t) for t in targets],
            calls=[P.NodeWithEdge(loc.isg_node(r.node), convert.edge_info(r.edge)) for r in related],
            heuristic_count=sum(1 for r in related if r.edge.resolution is Resolution.HEURISTIC))
        if with_unresolved:
            result.unresolved = _unresolved_calls(graph, targets)
        return result

    @reads_graph_long
    async def blast_radius(self, params: P.BlastRadiusParams) -> P.BlastRadiusResult:
        params = params or P.BlastRadiusParams()
        folder, targets = self.session.targets(params)
        graph = folder.graph
        depth = self.session.options.blast_radius_depth if params.depth is None else params.depth
        radius = queries.blast_radius(graph, targets, depth=depth, direction=params.direction or "up",
                                      kinds=_edge_kinds(params.edge_kinds),
                                      include_heuristic=self._include_heuristic(params.include_heuristic),
                                      limit=_limit(params.limit, 500))
        loc = folder.locator

        def fqp(node_id: bytes) -> str:
            node = graph.nodes.get(node_id)
            return node.fqp if node is not None else node_id.hex()

        return P.BlastRadiusResult(
            target=[loc.isg_node(t) for t in targets],
            impacted=[P.ImpactedNode(node=loc.isg_node(i.node), distance=i.distance, via=i.via.value,
                                     heuristic=i.heuristic, path=[fqp(step) for step in i.path])
                      for i in radius.impacted],
            by_module=[P.ModuleCount(m, c) for m, c in radius.by_module(graph)],
            by_kind=[P.KindCount(k, c) for k, c in radius.by_kind()],
            total=radius.total, heuristic_count=radius.heuristic_count, truncated=radius.truncated)

    @reads_graph_long
    async def cycles(self, params: P.CyclesParams) -> P.CyclesResult:
        params = params or P.CyclesParams()
        limit = _limit(params.limit, 50)
        found = []
        for folder in self.session.folders:
            for cycle in queries.cycles(folder.graph, params.level or "module", params.within, limit):
                found.append(P.CycleInfo(size=len(cycle.members), members=[m.fqp for m in cycle.members],
                                         example=[m.fqp for m in cycle.example]))
            await asyncio.sleep(0)
        found.sort(key=lambda c: (-c.size, c.members[0] if c.members else ""))
        return P.CyclesResult(cycles=found[:limit])

    @reads_graph_long
    async def search(self, params: P.SearchParams) -> P.SearchResult:
        params = params or P.SearchParams()
        kinds = [NodeKind.parse(k) for k in params.kinds] if params.kinds else None
        limit = _limit(params.limit, 100)
        nodes_out, total = [], 0
        for folder in self.session.folders:
            nodes, count = queries.search(folder.graph, params.pattern, kinds, params.field or "name", limit)
            total += count
            nodes_out.extend(folder.locator.isg_node(n) for n in nodes)
        return P.SearchResult(nodes=nodes_out[:limit], total=total)

    @reads_graph
    def stats(self, params) -> P.StatsResult:
        return stats_result(self.session)

    @reads_graph_long
    async def query(self, params: P.QueryParams):
        from ..querylang import QueryLanguageError, run_query

        params = params or P.QueryParams()
        if not params.query.strip():
            raise queries.QueryError("empty query")
        limit = _limit(params.limit, 1000)
        merged = None
        for folder in self._folders_for_queries():
            store_path = folder.engine.db_path if folder.engine.store is not None else None
            try:
                result = run_query(folder.graph, params.query, store_path=store_path, limit=limit)
            except QueryLanguageError as error:
                raise JsonRpcInvalidParams(message=P.clean_message(str(error))) from None
            data = result.to_json()
            if params.format == "triples" and hasattr(result, "triples_text"):
                data["triples"] = result.triples_text(folder.graph)
            if merged is None:
                merged = data
            else:
                merged["rows"] = list(merged.get("rows", [])) + list(data.get("rows", []))
                merged["heuristicCount"] = merged.get("heuristicCount", 0) + data.get("heuristicCount", 0)
                merged["truncated"] = bool(merged.get("truncated")) or bool(data.get("truncated"))
                if "triples" in data:
                    merged["triples"] = "\n".join(t for t in (merged.get("triples"), data["triples"]) if t)
            await asyncio.sleep(0)
        return merged or {"columns": [], "rows": [], "heuristicCount": 0, "truncated": False, "elapsedMs": 0.0}

    @reads_graph_long
    async def sql(self, params: P.SqlParams):
        params = params or P.SqlParams()
        folder = self._folders_for_queries()[0] if self.session.folders else None
        if folder is None or folder.engine.store is None:
            raise queries.QueryError("no database: the index is kept in memory only")
        self.session.flush(folder)                     # queued before the query: it sees every edit so far
        cancel = threading.Event()
        job = functools.partial(folder.engine.run_sql, params.sql, limit=_limit(params.limit, 1000), budget_ms=2000,
                                cancel=cancel)
        try:
            result = await asyncio.wrap_future(self.session.background.submit(job))
        except asyncio.CancelledError:
            cancel.set()                                 # $/cancelRequest: SQLite's progress handler stops it
            raise
        except ValueError as error:                      # refused or failed statements: the caller's to fix
            raise JsonRpcInvalidParams(message=P.clean_message(str(error))) from None
        return {"columns": list(result.columns), "rows": [list(row) for row in result.rows],
                "truncated": bool(result.truncated)}

    @reads_graph_long
    async def context(self, params: P.ContextParams):
        from ..querylang import QueryLanguageError, context_of

        params = params or P.ContextParams()
        if params.query:
            folder, text = self._folders_for_queries()[0], params.query
        else:
            folder, text = self.session.targets(params)        # build_context takes the nodes themselves
        budget = params.budget_tokens if params.budget_tokens is not None else 2000
        try:
            context = context_of(folder.graph, text, budget_tokens=budget, root=folder.root)
        except QueryLanguageError as error:
            raise JsonRpcInvalidParams(message=P.clean_message(str(error))) from None
        return context.to_json()

    def _folders_for_queries(self) -> list[Folder]:
        if not self.session.folders:
            raise queries.QueryError("no workspace folder is open")
        return sorted(self.session.folders, key=lambda f: self.session.folder_order.get(f.uri, 0))


def _has_implementations_lens(graph, node: Node) -> bool:
    if node.kind is NodeKind.TRAIT:
        return True
    if node.kind is NodeKind.FUNCTION:
        return any(graph.nodes.get(e.src) is not None and graph.nodes[e.src].kind is NodeKind.TRAIT
                   for e in graph.predecessors(node.id, (EdgeKind.DEFINES,)))
    return False


def _counted(label: str, related) -> str:
    heuristic = sum(1 for r in related if r.edge.resolution is Resolution.HEURISTIC)
    return f"{label} {len(related)}" + (f" ({heuristic} heuristic)" if heuristic else "")


def _counted_title(count: int, one: str, many: str, heuristic: int) -> str:
    title = f"{count} {one if count == 1 else many}"
    return title + (f" ({heuristic} heuristic)" if heuristic else "")


def _unresolved_calls(graph, targets: list[Node]) -> list[str]:
    """Call names in the targets' bodies that resolve to nothing (the graph keeps them as references only)."""
    names: set[str] = set()
    for target in targets:
        if target.file is None:
            continue
        state = graph.files.get(target.file)
        if state is None:
            continue
        called = {graph.nodes[e.dst].name for e in graph.successors(target.id, (EdgeKind.CALLS,)) if e.dst in graph.nodes}
        for ref in state.facts.references:
            if ref.kind is EdgeKind.CALLS and ref.src == target.id and ref.path and ref.path[-1] not in called:
                names.add(ref.path[-1])
    return sorted(names)


def stats_result(session: Session) -> P.StatsResult:
    nodes_by_kind: dict[str, int] = {}
    edges_by_kind: dict[str, int] = {}
    by_language: dict[str, int] = {}
    totals = {"files": 0, "unresolved": 0, "heuristic": 0, "external": 0, "done": 0, "total": 0, "version": 0}
    folders = []
    for folder in session.folders:
        counts = _folder_counts(folder)
        for key in ("files", "unresolved", "heuristic", "external"):
            totals[key] += counts[key]
        totals["version"] += folder.graph.version
        for source, target in ((counts["nodes_by_kind"], nodes_by_kind), (counts["edges_by_kind"], edges_by_kind),
                               (counts["by_language"], by_language)):
            for k, v in source.items():
                target[k] = target.get(k, 0) + v
        done, total = (folder.done, folder.total) if folder.state == "indexing" else (counts["files"], counts["files"])
        totals["done"] += done
        totals["total"] += total
        folders.append(P.FolderStats(uri=folder.uri, state="ready" if folder.ready else "indexing",
                                     indexed=P.Progress(done, total), files=counts["files"],
                                     nodes=sum(counts["nodes_by_kind"].values()),
                                     edges=sum(counts["edges_by_kind"].values()), database=_database(folder)))
    update = session.update_latency.summary()
    query = session.query_latency.summary()
    first = session.folders[0] if session.folders else None
    return P.StatsResult(
        state="indexing" if any(not f.ready for f in session.folders) else "ready",
        indexed=P.Progress(totals["done"], totals["total"]), files=totals["files"],
        nodes=sum(nodes_by_kind.values()), edges=sum(edges_by_kind.values()), nodes_by_kind=nodes_by_kind,
        edges_by_kind=edges_by_kind, by_language=by_language, unresolved_references=totals["unresolved"],
        heuristic_edges=totals["heuristic"],
        database=_database(first) if first is not None else P.DatabaseInfo(path=None, persistent=False),
        latency_ms=P.Latencies(update=P.LatencySummary(*update), query=P.LatencySummary(*query)),
        folders=folders, external_nodes=totals["external"], graph_version=totals["version"])


def _database(folder: Folder) -> P.DatabaseInfo:
    engine = folder.engine
    return P.DatabaseInfo(path=str(engine.db_path) if engine.store is not None else None,
                          persistent=engine.store is not None, message=engine.store_message)


_COUNTS: dict[int, tuple[int, int, dict]] = {}


def _folder_counts(folder: Folder) -> dict:
    """Counts of one folder's graph, computed once per graph version."""
    graph = folder.graph
    cached = _COUNTS.get(id(folder))
    if cached is not None and cached[0] == id(graph) and cached[1] == graph.version:
        return cached[2]
    nodes_by_kind: dict[str, int] = {}
    external = 0
    for node in graph.nodes.values():
        if node.external:
            external += 1
        else:
            nodes_by_kind[node.kind.value] = nodes_by_kind.get(node.kind.value, 0) + 1
    edges_by_kind: dict[str, int] = {}
    heuristic = 0
    for edge in graph.edges():
        edges_by_kind[edge.kind.value] = edges_by_kind.get(edge.kind.value, 0) + 1
        if edge.resolution is Resolution.HEURISTIC:
            heuristic += 1
    by_language: dict[str, int] = {}
    unresolved = 0
    for state in graph.files.values():
        by_language[state.facts.lang] = by_language.get(state.facts.lang, 0) + 1
        unresolved += state.unresolved
    counts = {"files": len(graph.files), "nodes_by_kind": nodes_by_kind, "edges_by_kind": edges_by_kind,
              "by_language": by_language, "unresolved": unresolved, "heuristic": heuristic, "external": external}
    _COUNTS[id(folder)] = (id(graph), graph.version, counts)
    return counts
