"""Questions the ISG answers, over the in-memory graph: who implements, callers, callees, blast radius, cycles,
search. Shared by the CLI, the language server's handlers and the query language; none of them re-implements these.
"""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from .graph import Graph
from .model import EDGE_KINDS_FOR_IMPACT, Edge, EdgeKind, Node, NodeKind, Resolution

MAX_DEPTH = 10


class QueryError(ValueError):
    """A question that cannot be answered as asked; the message says why."""


def find_targets(graph: Graph, name: str) -> list[Node]:
    """Nodes named by an FQP, a SigHash in hex, or (when nothing else matches) a unique bare name."""
    name = name.strip()
    if len(name) == 32 and all(c in "0123456789abcdef" for c in name.lower()):
        node = graph.nodes.get(bytes.fromhex(name))
        if node is not None:
            return [node]
    nodes = graph.by_fqp(name)
    if nodes:
        return nodes
    ids = graph.name_index.get(name, set())
    return sorted((graph.nodes[i] for i in ids), key=lambda n: (n.fqp, n.id))


def require_targets(graph: Graph, name: str) -> list[Node]:
    nodes = find_targets(graph, name)
    if not nodes:
        hint = suggest(graph, name)
        raise QueryError(f"no node matches {name!r}" + (f"; did you mean {hint!r}?" if hint else ""))
    return nodes


def suggest(graph: Graph, name: str) -> str | None:
    import difflib

    last = name.replace(".", "::").split("::")[-1]
    close = difflib.get_close_matches(last, list(graph.name_index), n=1, cutoff=0.75)
    if not close:
        return None
    ids = sorted(graph.name_index[close[0]])
    return graph.nodes[ids[0]].fqp if ids else None


@dataclass
class Related:
    node: Node
    edge: Edge


def _related(graph: Graph, edges: Iterable[Edge], incoming: bool, include_heuristic: bool) -> list[Related]:
    out = []
    seen = set()
    for edge in edges:
        if not include_heuristic and edge.resolution is Resolution.HEURISTIC:
            continue
        other = edge.src if incoming else edge.dst
        node = graph.nodes.get(other)
        if node is not None and (other, edge.kind) not in seen:
            seen.add((other, edge.kind))
            out.append(Related(node, edge))
    out.sort(key=lambda r: (r.node.fqp, r.node.id))
    return out


def who_implements(graph: Graph, targets: list[Node], include_heuristic: bool = True) -> list[Related]:
    """Types implementing (or extending) a trait/interface; for a trait method, the methods implementing it."""
    results: list[Related] = []
    for target in targets:
        if target.kind is NodeKind.FUNCTION:
            results.extend(implementing_methods(graph, target, include_heuristic))
            continue
        results.extend(_related(graph, graph.predecessors(target.id, (EdgeKind.IMPL, EdgeKind.EXTENDS)), True,
                                include_heuristic))
    return _unique(results)


def implementing_methods(graph: Graph, method: Node, include_heuristic: bool = True) -> list[Related]:
    """For a method a trait/interface defines: the same-named methods of the types implementing it."""
    owners = [e.src for e in graph.predecessors(method.id, (EdgeKind.DEFINES,))]
    results = []
    for owner in owners:
        for impl in who_implements(graph, [graph.nodes[owner]], include_heuristic):
            for member in graph.successors(impl.node.id, (EdgeKind.CONTAINS, EdgeKind.DEFINES)):
                node = graph.nodes.get(member.dst)
                if node is not None and node.kind is NodeKind.FUNCTION and node.name == method.name:
                    results.append(Related(node, impl.edge))
    results.sort(key=lambda r: (r.node.fqp, r.node.id))
    return results


def callers(graph: Graph, targets: list[Node], include_heuristic: bool = True) -> list[Related]:
    results = []
    for target in targets:
        results.extend(_related(graph, graph.predecessors(target.id, (EdgeKind.CALLS,)), True, include_heuristic))
    return _unique(results)


def callees(graph: Graph, targets: list[Node], include_heuristic: bool = True) -> list[Related]:
    results = []
    for target in targets:
        results.extend(_related(graph, graph.successors(target.id, (EdgeKind.CALLS,)), False, include_heuristic))
    return _unique(results)


def _unique(results: list[Related]) -> list[Related]:
    seen = set()
    out = []
    for r in results:
        if r.node.id not in seen:
            seen.add(r.node.id)
            out.append(r)
    return out


@dataclass
class Impact:
    node: Node
    distance: int
    via: EdgeKind
    heuristic: bool
    path: list[bytes]


@dataclass
class BlastRadius:
    targets: list[Node]
    impacted: list[Impact] = field(default_factory=list)
    total: int = 0
    truncated: bool = False

    @property
    def heuristic_count(self) -> int:
        return sum(1 for i in self.impacted if i.heuristic)

    def by_module(self, graph: Graph) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for impact in self.impacted:
            module = module_of(graph, impact.node)
            counts[module] = counts.get(module, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def by_kind(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for impact in self.impacted:
            counts[impact.node.kind.value] = counts.get(impact.node.kind.value, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


EDGE_RANK = {kind: i for i, kind in enumerate((EdgeKind.CALLS, EdgeKind.IMPL, EdgeKind.EXTENDS, EdgeKind.BOUND_BY,
                                               EdgeKind.ACCEPTS, EdgeKind.RETURNS, EdgeKind.USES,
                                               EdgeKind.DEFINES, EdgeKind.CONTAINS))}


def blast_radius(graph: Graph, targets: list[Node], depth: int = 3, direction: str = "up",
                 kinds: Iterable[EdgeKind] = EDGE_KINDS_FOR_IMPACT, include_heuristic: bool = True,
                 limit: int = 500) -> BlastRadius:
    """Breadth-first impact: "up" follows edges backwards (who depends on the target), "down" forwards.

    A trait method's implementations and a type's methods are part of what changes with it, so members (DEFINES,
    CONTAINS) of an impacted type are walked too when the kinds include them.
    """
    if depth < 0 or depth > MAX_DEPTH:
        raise QueryError(f"depth must be between 0 and {MAX_DEPTH}")
    if direction not in ("up", "down"):
        raise QueryError("direction must be 'up' or 'down'")
    wanted = frozenset(k.value for k in kinds)
    result = BlastRadius(targets)
    start = [t.id for t in targets]
    parent: dict[bytes, tuple[bytes | None, EdgeKind | None, bool]] = {s: (None, None, False) for s in start}
    frontier = deque((s, 0) for s in start)
    found: list[Impact] = []
    in_adj = graph.in_edges if direction == "up" else graph.out_edges
    while frontier:
        node_id, dist = frontier.popleft()
        if dist >= depth:
            continue
        for (kind, other), edge in in_adj.get(node_id, {}).items():
            if kind not in wanted or other in parent:
                continue
            guess = edge.resolution is Resolution.HEURISTIC
            if guess and not include_heuristic:
                continue
            node = graph.nodes.get(other)
            if node is None:
                continue
            parent[other] = (node_id, edge.kind, guess or parent[node_id][2])
            frontier.append((other, dist + 1))
            found.append(Impact(node, dist + 1, edge.kind, parent[other][2], []))
    fan_in = {i.node.id: len(graph.in_edges.get(i.node.id, ())) for i in found}
    found.sort(key=lambda i: (i.distance, EDGE_RANK.get(i.via, 99), -fan_in[i.node.id], i.node.fqp))
    result.total = len(found)
    result.truncated = len(found) > limit
    for impact in found[:limit]:
        path = [impact.node.id]
        step = parent[impact.node.id][0]
        while step is not None:
            path.append(step)
            step = parent[step][0]
        impact.path = list(reversed(path))
        result.impacted.append(impact)
    return result


def module_of(graph: Graph, node: Node) -> str:
    """The FQP of the module that contains a node (walking CONTAINS/DEFINES upwards)."""
    current = node
    for _ in range(8):
        if current.kind is NodeKind.MODULE:
            return current.fqp
        parents = [e.src for e in graph.predecessors(current.id, (EdgeKind.CONTAINS, EdgeKind.DEFINES))]
        if not parents:
            break
        current = graph.nodes[min(parents)]
    return "(external)" if node.external else ""


# ---- cycles -------------------------------------------------------------------------------------------------

LEVEL_KINDS = {
    "module": frozenset({NodeKind.MODULE}),
    "type": frozenset({NodeKind.STRUCT, NodeKind.ENUM, NodeKind.TRAIT, NodeKind.ASSOC_TYPE}),
    "function": frozenset({NodeKind.FUNCTION}),
}
LEVEL_EDGES = {
    "type": frozenset({"USES", "IMPL", "EXTENDS", "BOUND_BY"}),
    "function": frozenset({"CALLS"}),
}


@dataclass
class Cycle:
    members: list[Node]
    example: list[Node]


def dependency_graph(graph: Graph, level: str, within: str | None = None) -> nx.DiGraph:
    """A networkx graph of modules, types or functions and the dependencies between them.

    At module level, an edge a → b means something in module a depends (calls, uses, implements, ...) on
    something in module b.
    """
    if level not in LEVEL_KINDS:
        raise QueryError(f"unknown level {level!r}: use module, type or function")
    dg = nx.DiGraph()
    if level == "module":
        owner: dict[bytes, bytes] = {}
        for node in graph.nodes.values():
            if node.external:
                continue
            if within and not node.fqp.startswith(within):
                continue
            module = _module_id(graph, node)
            if module is not None:
                owner[node.id] = module
        dependency = {k.value for k in EDGE_KINDS_FOR_IMPACT}
        for src, module in owner.items():
            dg.add_node(module)
            for (kind, dst), _edge in graph.out_edges.get(src, {}).items():
                target = owner.get(dst)
                if kind in dependency and target is not None and target != module:
                    dg.add_edge(module, target)
        return dg
    kinds = LEVEL_KINDS[level]
    edges = LEVEL_EDGES[level]
    for node in graph.nodes.values():
        if node.kind in kinds and not node.external and (not within or node.fqp.startswith(within)):
            dg.add_node(node.id)
    for src in list(dg.nodes):
        for (kind, dst), _edge in graph.out_edges.get(src, {}).items():
            if kind in edges and dst in dg and dst != src:
                dg.add_edge(src, dst)
    if level == "type":
        # a type depends on what its methods mention: fold member edges onto the type
        for src in list(dg.nodes):
            for (kind, member), _e in graph.out_edges.get(src, {}).items():
                if kind not in ("CONTAINS", "DEFINES"):
                    continue
                for (mkind, dst), _e2 in graph.out_edges.get(member, {}).items():
                    if mkind in ("ACCEPTS", "RETURNS") and dst in dg and dst != src:
                        dg.add_edge(src, dst)
    return dg


def _module_id(graph: Graph, node: Node) -> bytes | None:
    current = node
    for _ in range(8):
        if current.kind is NodeKind.MODULE:
            return current.id
        parents = [e.src for e in graph.predecessors(current.id, (EdgeKind.CONTAINS, EdgeKind.DEFINES))]
        if not parents:
            return None
        current = graph.nodes[min(parents)]
    return None


def cycles(graph: Graph, level: str = "module", within: str | None = None, limit: int = 50) -> list[Cycle]:
    """Strongly connected components with more than one member (Tarjan, via networkx), largest first."""
    dg = dependency_graph(graph, level, within)
    found = []
    for component in nx.strongly_connected_components(dg):
        if len(component) < 2:
            continue
        members = sorted((graph.nodes[i] for i in component), key=lambda n: n.fqp)
        sub = dg.subgraph(component)
        start = members[0].id
        try:
            cycle_edges = nx.find_cycle(sub, source=start)
            example_ids = [u for u, _ in cycle_edges] + [cycle_edges[0][0]]
        except nx.NetworkXNoCycle:
            example_ids = [start]
        found.append(Cycle(members, [graph.nodes[i] for i in example_ids]))
    found.sort(key=lambda c: (-len(c.members), c.members[0].fqp))
    return found[:limit]


# ---- search -------------------------------------------------------------------------------------------------

def search(graph: Graph, pattern: str, kinds: Iterable[NodeKind] | None = None, field_name: str = "name",
           limit: int = 100, include_external: bool = False) -> tuple[list[Node], int]:
    """Nodes whose name, FQP or signature contains the pattern (case-insensitive), or matches it as a glob."""
    if field_name not in ("name", "fqp", "signature"):
        raise QueryError("field must be name, fqp or signature")
    wanted = frozenset(kinds) if kinds else None
    glob = any(c in pattern for c in "*?[")
    needle = pattern.lower()
    hits = []
    for node in graph.nodes.values():
        if node.external and not include_external:
            continue
        if wanted is not None and node.kind not in wanted:
            continue
        value = getattr(node, field_name).lower()
        if (fnmatch.fnmatchcase(value, needle) if glob else needle in value):
            hits.append(node)
    hits.sort(key=lambda n: (n.name.lower() != needle, len(n.fqp), n.fqp, n.id))
    return hits[:limit], len(hits)
