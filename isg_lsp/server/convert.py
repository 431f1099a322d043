"""to_proto / from_proto: the one place where the analysis's plain data becomes LSP values and back.

Our spans and ranges are already LSP ranges (0-based line, UTF-16 character); files are workspace-relative paths,
turned into `file:` URIs against the root of the folder that indexes them (``Locator``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from .. import queries
from ..analysis import (
    Targets,
    Analysis,
    Call,
    Count,
    DatabaseFacts,
    FileRange,
    GraphCounts,
    HoverFacts,
    Lens,
    LensFacts,
    NavigationTarget,
    SymbolTree,
    TextRange,
    heuristic_count,
    is_method,
)
from ..model import EDGE_KINDS_FOR_IMPACT, Edge, EdgeKind, Node, NodeKind, Span
from ..queries import BlastRadius, Cycle, Related
from . import protocol as P

SHOW_LOCATIONS = "isg.showLocations"
NODE_TEXT_CACHE = 20_000  # nodes whose JSON text a folder's Locator keeps (emptied when full)
MAX_LIMIT = 100_000
SYMBOL_KIND = {
    NodeKind.TRAIT: types.SymbolKind.Interface,
    NodeKind.STRUCT: types.SymbolKind.Struct,
    NodeKind.ENUM: types.SymbolKind.Enum,
    NodeKind.FUNCTION: types.SymbolKind.Function,
    NodeKind.MODULE: types.SymbolKind.Module,
    NodeKind.ASSOC_TYPE: types.SymbolKind.TypeParameter,
    NodeKind.GENERIC: types.SymbolKind.TypeParameter,
}


# ---- from_proto ----------------------------------------------------------------------------------------------


def uri_to_path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def limit(value: int | None, default: int) -> int:
    """A request's `limit`: the default when absent, at most ``MAX_LIMIT``; negative is the caller's mistake."""
    if value is None:
        return default
    if value < 0:
        raise queries.QueryError("limit must be positive")
    return min(int(value), MAX_LIMIT)


def edge_kinds(names: Sequence[str] | None) -> tuple[EdgeKind, ...]:
    """A request's `edgeKinds` (any case); the impact kinds when absent."""
    if not names:
        return EDGE_KINDS_FOR_IMPACT
    try:
        return tuple(EdgeKind(str(n).upper()) for n in names)
    except ValueError:
        raise queries.QueryError(
            f"unknown edge kind in {list(names)}; kinds: " + ", ".join(k.value for k in EdgeKind)
        ) from None


def node_kinds(names: Sequence[str] | None) -> list[NodeKind] | None:
    return [NodeKind.parse(k) for k in names] if names else None


def include_heuristic(value: bool | None) -> bool:
    """`includeHeuristic` of isg/* requests: true unless the request says otherwise."""
    return True if value is None else bool(value)


def item_id(item: Any) -> bytes:
    """The node id a call or type hierarchy item (or a code lens) carries in its `data` (ValueError if garbled)."""
    data = item.data if isinstance(getattr(item, "data", None), dict) else {}
    return bytes.fromhex(str(data.get("id", "")))


# ---- to_proto: ranges and locations --------------------------------------------------------------------------


def path_to_uri(path: Path) -> str:
    return path.as_uri()


def text_range(rng: TextRange | Span) -> types.Range:
    sl, sc, el, ec = rng
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def start_range(span: Span) -> types.Range:
    return types.Range(types.Position(span[0], span[1]), types.Position(span[0], span[1]))


span_range = text_range


def symbol_kind(node: Node, method: bool | None = None) -> types.SymbolKind:
    if method if method is not None else is_method(node):
        return types.SymbolKind.Method
    return SYMBOL_KIND[node.kind]


def edge_info(edge: Edge) -> P.IsgEdgeInfo:
    return P.IsgEdgeInfo(
        kind=edge.kind.value,
        resolution=edge.resolution.value,
        candidates=edge.candidates,
        derived=True if edge.derived else None,
    )


def edge_json(edge: Edge) -> dict[str, Any]:
    """``edge_info(edge)`` as the converter writes it (optional fields left out when absent)."""
    found: dict[str, Any] = {"kind": edge.kind.value, "resolution": edge.resolution.value}
    if edge.candidates is not None:
        found["candidates"] = edge.candidates
    if edge.derived:
        found["derived"] = True
    return found


_EDGE_TEXTS: dict[tuple[object, ...], str] = {}


def edge_text(edge: Edge) -> str:
    """``edge_json(edge)`` as JSON text (a few dozen distinct ones: memoized)."""
    key = (edge.kind, edge.resolution, edge.candidates, edge.derived)
    text = _EDGE_TEXTS.get(key)
    if text is None:
        text = _EDGE_TEXTS[key] = _dumps(edge_json(edge))
    return text


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def location_json(location: types.Location) -> dict[str, Any]:
    r = location.range
    return {
        "uri": location.uri,
        "range": {
            "start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character},
        },
    }


class Locator:
    """Turns the answers about one workspace folder into LSP values with URIs (made once per file)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._uris: dict[str, str] = {}
        self._texts: dict[bytes, tuple[Node, str]] = {}  # node id → (node object, its JSON text)

    def uri(self, rel: str) -> str:
        uri = self._uris.get(rel)
        if uri is None:
            uri = self._uris[rel] = path_to_uri(self.root / rel)
        return uri

    def location(self, node: Node) -> types.Location | None:
        if node.external or node.file is None or node.span is None:
            return None
        return types.Location(self.uri(node.file), span_range(node.span))

    def locations(self, nodes: Iterable[Node]) -> list[types.Location]:
        return [loc for loc in (self.location(n) for n in nodes) if loc is not None]

    def file_location(self, place: FileRange) -> types.Location:
        return types.Location(self.uri(place.file), text_range(place.range))

    def isg_node(self, node: Node) -> P.IsgNode:
        location = None
        if not node.external and node.file is not None and node.span is not None:
            location = P.IsgLocation(self.uri(node.file), span_range(node.span))
        return P.IsgNode(
            id=node.id.hex(),
            kind=node.kind.value,
            kind_name=node.kind.long_name,
            name=node.name,
            fqp=node.fqp,
            lang=node.lang,
            signature=node.signature,
            visibility=node.visibility,
            external=node.external,
            location=location,
        )

    def isg_nodes(self, nodes: Iterable[Node]) -> list[P.IsgNode]:
        return [self.isg_node(n) for n in nodes]

    def with_edges(self, related: list[Related]) -> list[P.NodeWithEdge]:
        return [P.NodeWithEdge(self.isg_node(r.node), edge_info(r.edge)) for r in related]

    # ---- the same as JSON text, for the answers that run to hundreds of nodes (``P.JsonText``) ---------------

    def node_json(self, node: Node) -> dict[str, Any]:
        """``isg_node(node)`` as the converter writes it."""
        location = None
        if not node.external and node.file is not None and node.span is not None:
            sl, sc, el, ec = node.span
            location = {
                "uri": self.uri(node.file),
                "range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}},
            }
        kind = node.kind
        return {
            "id": node.id.hex(),
            "kind": kind.value,
            "kindName": kind.long_name,
            "name": node.name,
            "fqp": node.fqp,
            "lang": node.lang,
            "signature": node.signature,
            "visibility": node.visibility,
            "external": node.external,
            "location": location,
        }

    def node_text(self, node: Node) -> str:
        """``node_json(node)`` as JSON text, written once per node object (a node an edit changes is a new object):
        callers, implementors and impact lists repeat the same nodes from request to request."""
        cached = self._texts.get(node.id)
        if cached is not None and cached[0] is node:
            return cached[1]
        text = _dumps(self.node_json(node))
        if len(self._texts) >= NODE_TEXT_CACHE:
            self._texts.clear()
        self._texts[node.id] = (node, text)
        return text

    def _nodes_text(self, nodes: Iterable[Node]) -> str:
        return "[" + ",".join(map(self.node_text, nodes)) + "]"

    def _related_text(self, related: list[Related]) -> str:
        node_text = self.node_text
        return (
            "[" + ",".join('{"node":' + node_text(r.node) + ',"edge":' + edge_text(r.edge) + "}" for r in related) + "]"
        )

    def who_implements_text(
        self, targets: list[Node], related: list[Related], notes: list[str] | None = None
    ) -> P.JsonText:
        """``P.WhoImplementsResult`` as JSON text."""
        return P.JsonText(
            '{"target":'
            + self._nodes_text(targets)
            + ',"implementors":'
            + self._related_text(related)
            + f',"heuristicCount":{heuristic_count(related)},"notes":'
            + _dumps(list(notes or []))
            + "}"
        )

    def calls_text(
        self,
        targets: list[Node],
        related: list[Related],
        unresolved: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> P.JsonText:
        """``calls_result`` as JSON text."""
        tail = "" if unresolved is None else ',"unresolved":' + _dumps(unresolved)
        return P.JsonText(
            '{"target":'
            + self._nodes_text(targets)
            + ',"calls":'
            + self._related_text(related)
            + f',"heuristicCount":{heuristic_count(related)},"notes":'
            + _dumps(list(notes or []))
            + tail
            + "}"
        )

    def blast_radius_text(self, analysis: Analysis, targets: list[Node], radius: BlastRadius) -> P.JsonText:
        """``blast_radius`` as JSON text."""
        fqp_of = analysis.fqp_of
        node_text = self.node_text
        impacted = ",".join(
            '{"node":'
            + node_text(i.node)
            + f',"distance":{i.distance},"via":"{i.via.value}","heuristic":{"true" if i.heuristic else "false"}'
            + ',"path":'
            + _dumps([fqp_of(step) for step in i.path])
            + f',"stop":{"true" if i.stop else "false"}}}'
            for i in radius.impacted
        )
        by_module = [{"module": m, "count": c} for m, c in analysis.impact_by_module(radius)]
        by_kind = [{"kind": k, "count": c} for k, c in radius.by_kind()]
        return P.JsonText(
            '{"target":'
            + self._nodes_text(targets)
            + ',"impacted":['
            + impacted
            + '],"byModule":'
            + _dumps(by_module)
            + ',"byKind":'
            + _dumps(by_kind)
            + f',"total":{radius.total},"heuristicCount":{radius.heuristic_count}'
            + f',"truncated":{"true" if radius.truncated else "false"},"stoppedAt":'
            + _dumps([i.node.fqp for i in radius.stopped])
            + "}"
        )

    def symbol_information(self, node: Node) -> types.SymbolInformation | None:
        location = self.location(node)
        if location is None:
            return None
        container = node.fqp[: -len(node.name)].rstrip(":.") if node.fqp.endswith(node.name) else None
        return types.SymbolInformation(
            name=node.name, kind=symbol_kind(node), location=location, container_name=container or None
        )

    def symbols(self, nodes: Iterable[Node]) -> list[types.SymbolInformation]:
        return [s for s in (self.symbol_information(n) for n in nodes) if s is not None]

    def call_item(self, target: NavigationTarget) -> types.CallHierarchyItem:
        node = target.node
        return types.CallHierarchyItem(
            name=node.name,
            kind=symbol_kind(node),
            uri=self.uri(target.file),
            range=text_range(target.full_range),
            selection_range=text_range(target.focus),
            detail=node.fqp,
            data={"id": node.id.hex()},
        )

    def type_item(self, target: NavigationTarget) -> types.TypeHierarchyItem:
        node = target.node
        return types.TypeHierarchyItem(
            name=node.name,
            kind=symbol_kind(node),
            uri=self.uri(target.file),
            range=text_range(target.full_range),
            selection_range=text_range(target.focus),
            detail=node.fqp,
            data={"id": node.id.hex()},
        )

    def incoming_call(self, call: Call) -> types.CallHierarchyIncomingCall:
        return types.CallHierarchyIncomingCall(
            from_=self.call_item(call.target), from_ranges=[text_range(r) for r in call.ranges]
        )

    def outgoing_call(self, call: Call) -> types.CallHierarchyOutgoingCall:
        return types.CallHierarchyOutgoingCall(
            to=self.call_item(call.target), from_ranges=[text_range(r) for r in call.ranges]
        )

    def code_lens(self, uri: str, lens: Lens) -> types.CodeLens:
        rng = text_range(lens.range)
        data = {"kind": lens.kind, "id": lens.node.id.hex(), "uri": uri}
        if lens.facts is None:
            return types.CodeLens(range=rng, data=data)
        return self.resolved_lens(uri, rng, lens.kind, lens.node, lens.facts)

    def resolved_lens(self, uri: str, rng: types.Range, kind: str, node: Node, facts: LensFacts) -> types.CodeLens:
        locations = [location_json(loc) for loc in self.locations(facts.nodes)]
        position = {"line": rng.start.line, "character": rng.start.character}
        command = types.Command(
            title=facts.title, command=SHOW_LOCATIONS, arguments=[uri, position, locations, facts.full_title]
        )
        return types.CodeLens(range=rng, command=command, data={"kind": kind, "id": node.id.hex(), "uri": uri})

    def blast_radius(self, analysis: Analysis, targets: list[Node], radius: BlastRadius) -> P.BlastRadiusResult:
        return P.BlastRadiusResult(
            target=self.isg_nodes(targets),
            impacted=[
                P.ImpactedNode(
                    node=self.isg_node(i.node),
                    distance=i.distance,
                    via=i.via.value,
                    heuristic=i.heuristic,
                    path=[analysis.fqp_of(step) for step in i.path],
                    stop=i.stop,
                )
                for i in radius.impacted
            ],
            by_module=[P.ModuleCount(m, c) for m, c in analysis.impact_by_module(radius)],
            by_kind=[P.KindCount(k, c) for k, c in radius.by_kind()],
            total=radius.total,
            heuristic_count=radius.heuristic_count,
            truncated=radius.truncated,
            stopped_at=[i.node.fqp for i in radius.stopped],
        )


def stale_lens(lens: types.CodeLens, uri: str) -> types.CodeLens:
    """A lens whose declaration changed since it was sent: the client asks again at the refresh."""
    position = {"line": lens.range.start.line, "character": lens.range.start.character}
    lens.command = types.Command(
        title="(changed; refreshing)", command=SHOW_LOCATIONS, arguments=[uri, position, [], ""]
    )
    return lens


# ---- to_proto: the rest --------------------------------------------------------------------------------------


def document_symbols(trees: list[SymbolTree]) -> list[types.DocumentSymbol]:
    return [
        types.DocumentSymbol(
            name=t.node.name,
            kind=symbol_kind(t.node, t.is_method),
            range=span_range(_span(t)),
            selection_range=text_range(t.focus),
            detail=t.node.signature,
            children=document_symbols(t.children),
        )
        for t in trees
    ]


def _span(tree: SymbolTree) -> Span:
    assert tree.node.span is not None
    return tree.node.span


def hover(facts: HoverFacts, markdown: bool) -> types.Hover:
    node = facts.node

    def code(text: str) -> str:
        return f"`{text}`" if markdown else text

    parts = [
        f"```{node.lang}\n{node.signature or node.name}\n```" if markdown else node.signature or node.name,
        f"{node.kind.long_name} {code(node.fqp)}",
    ]
    relations = []
    if facts.implements:
        relations.append("implements " + ", ".join(code(n) for n in facts.implements))
    if facts.implemented_by is not None:
        relations.append(_counted("implemented by", facts.implemented_by))
    if facts.called_by is not None:
        relations.append(_counted("called by", facts.called_by))
    if facts.matching_declarations > 1:
        relations.append(f"{facts.matching_declarations} declarations match this name")
    if relations:
        parts.append(" · ".join(relations))
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value="\n\n".join(parts)))


def _counted(label: str, count: Count) -> str:
    return f"{label} {count.total}" + (f" ({count.heuristic} heuristic)" if count.heuristic else "")


def calls_result(
    locator: Locator,
    targets: list[Node],
    related: list[Related],
    unresolved: list[str] | None = None,
    notes: list[str] | None = None,
) -> P.CallsResult:
    result = P.CallsResult(
        target=locator.isg_nodes(targets),
        calls=locator.with_edges(related),
        heuristic_count=heuristic_count(related),
        notes=list(notes or []),
    )
    if unresolved is not None:
        result.unresolved = unresolved
    return result


def statement(targets: Targets) -> list[str]:
    """What a target's text resolved to, as the first note of an answer (none for an id, a position or an exact
    FQP of one symbol: the answer's `target` says it)."""
    if targets.how in ("id", "position") or (targets.how == "fqp" and len(targets.symbols) == 1):
        return []
    return [f"target: {targets.statement()}"]


def cycles_result(found: list[Cycle], limit: int) -> P.CyclesResult:
    infos = [
        P.CycleInfo(
            size=len(c.members),
            members=[m.fqp for m in c.members],
            example=[m.fqp for m in c.example],
            heuristic=c.heuristic,
        )
        for c in found
    ]
    infos.sort(key=lambda c: (-c.size, c.members[0] if c.members else ""))
    kept = infos[:limit]
    return P.CyclesResult(cycles=kept, heuristic_count=sum(1 for c in kept if c.heuristic))


@dataclass(frozen=True)
class FolderState:
    """What the server knows of one folder for `isg/stats`, besides its graph's counts."""

    uri: str
    indexing: bool
    ready: bool
    done: int
    total: int
    counts: GraphCounts
    database: DatabaseFacts
    failed: bool = False  # its last index failed (it serves what it had): not "ready"


def database_info(facts: DatabaseFacts) -> P.DatabaseInfo:
    return P.DatabaseInfo(path=facts.path, persistent=facts.persistent, message=facts.message)


def stats_result(
    folders: list[FolderState], update: tuple[float, float, float, int], query: tuple[float, float, float, int]
) -> P.StatsResult:
    totals = sum((f.counts for f in folders), GraphCounts())
    done = total = 0
    out = []
    for f in folders:
        progress = P.Progress(f.done, f.total) if f.indexing else P.Progress(f.counts.files, f.counts.files)
        done, total = done + progress.done, total + progress.total
        state = "indexing" if not f.ready else "failed" if f.failed else "ready"
        out.append(
            P.FolderStats(
                uri=f.uri,
                state=state,
                indexed=progress,
                files=f.counts.files,
                nodes=f.counts.nodes,
                edges=f.counts.edges,
                database=database_info(f.database),
            )
        )
    failed = any(f.failed for f in folders)
    return P.StatsResult(
        state="indexing" if any(not f.ready for f in folders) else "failed" if failed else "ready",
        indexed=P.Progress(done, total),
        files=totals.files,
        nodes=totals.nodes,
        edges=totals.edges,
        nodes_by_kind=totals.nodes_by_kind,
        edges_by_kind=totals.edges_by_kind,
        by_language=totals.by_language,
        unresolved_references=totals.unresolved,
        heuristic_edges=totals.heuristic,
        database=database_info(folders[0].database) if folders else P.DatabaseInfo(path=None, persistent=False),
        latency_ms=P.Latencies(update=P.LatencySummary(*update), query=P.LatencySummary(*query)),
        folders=out,
        external_nodes=totals.external,
        graph_version=totals.version,
        macro_calls_not_read=totals.macro_calls,
        workspace_stand_ins=totals.stand_ins,
    )
