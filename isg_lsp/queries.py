"""Questions the ISG answers, over the in-memory graph: who implements, callers, callees, blast radius, cycles,
search. Shared by the CLI, the language server's handlers and the query language; none of them re-implements these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

import time
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field


from . import patterns
from .graph import Graph
from .model import EDGE_KINDS_FOR_IMPACT, Edge, EdgeKind, Node, NodeKind, Resolution

MAX_DEPTH = 10


class QueryError(ValueError):
    """A question that cannot be answered as asked; the message says why."""


class BudgetExceeded(QueryError):
    """A question that took longer than its time budget; stopped."""


class Deadline:
    """A time budget that loops check cheaply (the clock is read every 64th call)."""

    __slots__ = ("end", "budget_ms", "_n")

    def __init__(self, budget_ms: float, started: float | None = None) -> None:
        self.budget_ms = budget_ms
        self.end = (started if started is not None else time.perf_counter()) + budget_ms / 1000.0
        self._n = 0

    def check(self) -> None:
        self._n += 1
        if self._n & 63 == 1 and time.perf_counter() > self.end:
            self.expired()

    def check_now(self) -> None:
        if time.perf_counter() > self.end:
            self.expired()

    def expired(self) -> None:
        raise BudgetExceeded(f"budget exceeded: the query ran longer than {self.budget_ms:g} ms and was stopped")


class _NoDeadline:
    __slots__ = ()

    def check(self) -> None:
        pass

    def check_now(self) -> None:
        pass


NO_DEADLINE = _NoDeadline()

_MEMO: "weakref.WeakKeyDictionary[Graph, tuple[int, dict]]" = weakref.WeakKeyDictionary()


def graph_memo(graph: Graph) -> dict:
    """A dict of derived facts about a graph (module owners, cycles), emptied whenever the graph changes."""
    entry = _MEMO.get(graph)
    if entry is None or entry[0] != graph.version:
        entry = (graph.version, {})
        _MEMO[graph] = entry
    return entry[1]


_STRUCTURE_MEMO: "weakref.WeakKeyDictionary[Graph, tuple[int, dict]]" = weakref.WeakKeyDictionary()


def structure_memo(graph: Graph) -> dict:
    """A dict of facts derived from the adjacency and the nodes' ids, kinds and FQPs alone (fan-ins, hubs, module
    owners), emptied whenever a node id or a relation changes (``Graph.structure_version``): an edit inside a body
    whose references resolve as before keeps them. Nothing kept here may hold a node object or a span (a body edit
    replaces nodes with new spans): ids, FQPs, counts, edges (compared by value)."""
    version = getattr(graph, "structure_version", None)
    if version is None:
        return graph_memo(graph)
    entry = _STRUCTURE_MEMO.get(graph)
    if entry is None or entry[0] != version:
        entry = (version, {})
        _STRUCTURE_MEMO[graph] = entry
    return entry[1]


def module_owners(graph: Graph, deadline=NO_DEADLINE) -> dict[bytes, bytes]:
    """Each workspace node's module (its own id for a module), found top-down from every module over CONTAINS and
    DEFINES; generic parameters belong to their owner's module. Memoized per graph structure."""
    memo = structure_memo(graph)
    owners = memo.get("module_owners")
    if owners is not None:
        return owners
    owners = {}
    nodes = graph.nodes
    modules = sorted(
        (n for n in nodes.values() if n.kind is NodeKind.MODULE and not n.external), key=lambda n: (n.fqp, n.id)
    )
    for module in modules:
        owners[module.id] = module.id
    for module in modules:
        stack = [module.id]
        while stack:
            deadline.check()
            current = stack.pop()
            for (kind, child), _edge in graph.out_edges.get(current, {}).items():
                if kind not in ("CONTAINS", "DEFINES") or child in owners:
                    continue
                node = nodes.get(child)
                if node is None or node.kind is NodeKind.MODULE:
                    continue
                owners[child] = module.id
                stack.append(child)
    for node in nodes.values():
        if node.kind is NodeKind.GENERIC and node.id not in owners and "::<" in node.fqp:
            for owner_id in graph.fqp_index.get(node.fqp[: node.fqp.rfind("::<")], ()):
                if owner_id in owners:
                    owners[node.id] = owners[owner_id]
                    break
    memo["module_owners"] = owners
    return owners


def find_targets(graph: Graph, name: str) -> list[Node]:
    """The nodes a target names, in every form a user writes one (``targets.resolve_targets``: FQP, public path,
    name, `Type::member`, SigHash, glob); empty when it names nothing."""
    from .targets import TargetError, resolve_targets

    try:
        return resolve_targets(graph, name, max_symbols=1 << 30).nodes
    except TargetError:
        return []


def require_targets(graph: Graph, name: str) -> list[Node]:
    nodes = find_targets(graph, name)
    if not nodes:
        hint = suggest(graph, name)
        raise QueryError(f"no node matches {name!r}" + (f"; did you mean {hint!r}?" if hint else ""))
    return nodes


def suggest(graph: Graph, name: str) -> str | None:
    """A close declaration's FQP for a name that matched nothing (``targets.suggest``)."""
    from .targets import suggest as close_to

    return close_to(graph, name)


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
        results.extend(
            _related(graph, graph.predecessors(target.id, (EdgeKind.IMPL, EdgeKind.EXTENDS)), True, include_heuristic)
        )
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
    edge: Edge | None = None  # the edge of the last hop (for triples)
    fan_in: int = 0
    stop: bool = False  # a hub or an external node: reached, not walked through


@dataclass
class BlastRadius:
    targets: list[Node]
    impacted: list[Impact] = field(default_factory=list)
    total: int = 0
    truncated: bool = False
    heuristic_total: int = 0  # over every impacted node, before the limit
    stopped: list[Impact] = field(default_factory=list)  # hubs and external nodes not walked through
    hub_threshold: int | None = None  # the fan-in from which a workspace node is a hub (None: hubs walked through)

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


EDGE_RANK = {
    kind: i
    for i, kind in enumerate(
        (
            EdgeKind.CALLS,
            EdgeKind.IMPL,
            EdgeKind.EXTENDS,
            EdgeKind.BOUND_BY,
            EdgeKind.ACCEPTS,
            EdgeKind.RETURNS,
            EdgeKind.USES,
            EdgeKind.DEFINES,
            EdgeKind.CONTAINS,
        )
    )
}


HUB_MIN_FAN_IN = 50  # a workspace node is a hub from this fan-in on, and only when it is far above the rest:
HUB_FACTOR = 8  # at least HUB_FACTOR times the 90th percentile of the workspace's fan-ins


def fan_in(graph: Graph, node_id: bytes) -> int:
    """Edges of the impact kinds that point at a node (what depends on it directly)."""
    return sum(1 for (kind, _src) in graph.in_edges.get(node_id, {}) if kind in _IMPACT_KIND_VALUES)


_IMPACT_KIND_VALUES = frozenset(k.value for k in EDGE_KINDS_FOR_IMPACT)


def _fan_in(graph: Graph, node_id: bytes, known: dict[bytes, int]) -> int:
    """``fan_in``, through ``known`` (a per-graph-version memo)."""
    count = known.get(node_id)
    if count is None:
        count = known[node_id] = fan_in(graph, node_id)
    return count


def hub_threshold(graph: Graph) -> int:
    """The fan-in from which a workspace node is a hub: far above the rest (``HUB_FACTOR`` times the 90th
    percentile of the fan-ins of the workspace's nodes that have any, and at least ``HUB_MIN_FAN_IN``). Memoized
    per graph structure."""
    memo = structure_memo(graph)
    threshold = memo.get("hub_threshold")
    if threshold is None:
        nodes = graph.nodes
        fans = []
        for node_id in graph.in_edges:  # a node with no edge in has no fan-in
            node = nodes.get(node_id)
            if node is not None and not node.external:
                count = fan_in(graph, node_id)
                if count:
                    fans.append(count)
        fans.sort()
        p90 = fans[int(0.9 * (len(fans) - 1))] if fans else 0
        threshold = memo["hub_threshold"] = max(HUB_MIN_FAN_IN, HUB_FACTOR * p90)
    return threshold


def blast_radius(
    graph: Graph,
    targets: list[Node],
    depth: int = 3,
    direction: str = "up",
    kinds: Iterable[EdgeKind] = EDGE_KINDS_FOR_IMPACT,
    include_heuristic: bool = True,
    limit: int = 500,
    deadline=NO_DEADLINE,
    paths_for: int | None = None,
    stop_at_hubs: bool = False,
) -> BlastRadius:
    """Breadth-first impact: "up" follows edges backwards (who depends on the target), "down" forwards.

    Each impacted node comes with its distance, the edge kind of its last hop, whether any hop of its path is a
    heuristic edge, its fan-in and its path from the target. Ranked by distance, edge kind, fan-in (descending), FQP.

    Going up, a method a trait declares also reaches the methods implementing it (when IMPL is followed): changing
    `Shape::area` changes what `<Circle as Shape>::area` must be, and so reaches its callers too.

    With ``stop_at_hubs``, external nodes (`Option`, `std::io::Result`, `java.lang.String`: what depends on them is
    the whole workspace) and, going up, workspace hubs (fan-in from ``hub_threshold`` on) are reached but not walked
    through: they are impacted, marked ``stop``, and listed in ``stopped`` when something was left behind them. The
    targets themselves are always walked from.
    """
    if depth < 0 or depth > MAX_DEPTH:
        raise QueryError(f"depth must be between 0 and {MAX_DEPTH}")
    if direction not in ("up", "down"):
        raise QueryError("direction must be 'up' or 'down'")
    wanted = frozenset(k.value for k in kinds)
    follow_impls = direction == "up" and "IMPL" in wanted
    result = BlastRadius(targets)
    start = [t.id for t in targets]
    starts = set(start)
    threshold = hub_threshold(graph) if stop_at_hubs else None
    result.hub_threshold = threshold
    stops: dict[bytes, Impact] = {}
    parent: dict[bytes, tuple[bytes | None, EdgeKind | None, bool]] = dict.fromkeys(start, (None, None, False))
    frontier = deque((s, 0) for s in start)
    found: list[Impact] = []
    adjacency = graph.in_edges if direction == "up" else graph.out_edges
    nodes = graph.nodes
    heuristic = Resolution.HEURISTIC
    # a trait's implementing methods by name, and nodes' fan-ins: whole-graph facts, memoized per graph structure
    memo = structure_memo(graph)
    impl_members: dict[bytes, dict[str, list[tuple[Edge, bytes]]]] = memo.setdefault(
        ("impl_members", include_heuristic), {}
    )
    fan_ins: dict[bytes, int] = memo.setdefault("fan_in", {})
    while frontier:
        node_id, dist = frontier.popleft()
        deadline.check()
        if dist >= depth:
            continue
        steps = [(edge, other) for (kind, other), edge in adjacency.get(node_id, {}).items() if kind in wanted]
        if node_id in stops:
            if any(other not in parent for _edge, other in steps):
                result.stopped.append(stops[node_id])
            continue
        if follow_impls and nodes[node_id].kind is NodeKind.FUNCTION:
            for (kind, owner), _edge in graph.in_edges.get(node_id, {}).items():
                if kind != "DEFINES":
                    continue
                members = impl_members.get(owner)
                if members is None:
                    members = impl_members[owner] = _implementations_by_name(graph, owner, include_heuristic)
                steps.extend(members.get(nodes[node_id].name, ()))
        for edge, other in steps:
            if other in parent:
                continue
            guess = edge.resolution is heuristic
            if guess and not include_heuristic:
                continue
            node = nodes.get(other)
            if node is None:
                continue
            parent[other] = (node_id, edge.kind, guess or parent[node_id][2])
            frontier.append((other, dist + 1))
            impact = Impact(node, dist + 1, edge.kind, parent[other][2], [], edge, len(graph.in_edges.get(other, ())))
            if (
                threshold is not None
                and other not in starts
                and (node.external or (direction == "up" and _fan_in(graph, other, fan_ins) >= threshold))
            ):
                impact.stop = True
                stops[other] = impact
            found.append(impact)
    found.sort(key=lambda i: (i.distance, EDGE_RANK.get(i.via, 99), -i.fan_in, i.node.fqp, i.node.id))
    result.stopped.sort(key=lambda i: (i.node.external, -i.fan_in, i.node.fqp))
    result.total = len(found)
    result.heuristic_total = sum(1 for i in found if i.heuristic)
    result.truncated = len(found) > limit
    for index, impact in enumerate(found[:limit]):
        result.impacted.append(impact)
        if paths_for is not None and index >= paths_for:  # only the rows to be shown need their paths
            continue
        path = [impact.node.id]
        step = parent[impact.node.id][0]
        while step is not None:
            path.append(step)
            step = parent[step][0]
        impact.path = list(reversed(path))
    return result


def _implementations_by_name(graph: Graph, trait_id: bytes, include_heuristic: bool) -> dict:
    """The methods of the types implementing a trait, by name, each with the type's IMPL edge."""
    found: dict[str, list[tuple[Edge, bytes]]] = {}
    for (kind, type_id), impl_edge in graph.in_edges.get(trait_id, {}).items():
        if kind not in ("IMPL", "EXTENDS"):
            continue
        if not include_heuristic and impl_edge.resolution is Resolution.HEURISTIC:
            continue
        for (mkind, member), _edge in graph.out_edges.get(type_id, {}).items():
            if mkind not in ("CONTAINS", "DEFINES"):
                continue
            node = graph.nodes.get(member)
            if node is not None and node.kind is NodeKind.FUNCTION:
                found.setdefault(node.name, []).append((impl_edge, member))
    return found


# ---- shortest dependency path -------------------------------------------------------------------------------

PATH_KINDS = tuple(EDGE_KINDS_FOR_IMPACT) + (EdgeKind.DEFINES, EdgeKind.CONTAINS)


def shortest_path(
    graph: Graph,
    sources: list[Node],
    dests: list[Node],
    kinds: Iterable[EdgeKind] = PATH_KINDS,
    include_heuristic: bool = True,
    max_depth: int = 12,
    deadline=NO_DEADLINE,
) -> list[Edge] | None:
    """The shortest chain of dependency edges from one of the sources to one of the destinations (breadth first,
    neighbours in a fixed order so that the answer is deterministic), or None. A module's CONTAINS edges are not
    followed (a module does not depend on its items); a type's members count as part of the type."""
    wanted = frozenset(k.value for k in kinds)
    goals = {d.id for d in dests}
    parent: dict[bytes, Edge | None] = {s.id: None for s in sources}
    frontier = [s.id for s in sorted(sources, key=lambda n: (n.fqp, n.id))]
    nodes = graph.nodes
    hit = next((s for s in frontier if s in goals), None)
    depth = 0
    while frontier and hit is None and depth < max_depth:
        depth += 1
        following: list[bytes] = []
        for node_id in frontier:
            deadline.check()
            from_module = nodes[node_id].kind is NodeKind.MODULE
            steps = []
            for (kind, other), edge in graph.out_edges.get(node_id, {}).items():
                if kind not in wanted or other in parent:
                    continue
                if from_module and kind == "CONTAINS":
                    continue
                if not include_heuristic and edge.resolution is Resolution.HEURISTIC:
                    continue
                node = nodes.get(other)
                if node is not None:
                    steps.append((EDGE_RANK.get(edge.kind, 99), node.fqp, other, edge))
            steps.sort(key=lambda t: (t[0], t[1], t[2]))
            for _rank, _fqp, other, edge in steps:
                if other in parent:
                    continue
                parent[other] = edge
                following.append(other)
                if other in goals:
                    hit = other
                    break
            if hit is not None:
                break
        frontier = following
    if hit is None:
        return None
    chain: list[Edge] = []
    step = parent[hit]
    while step is not None:
        chain.append(step)
        step = parent[step.src]
    chain.reverse()
    return chain


def module_of(graph: Graph, node: Node) -> str:
    """The FQP of the module that contains a node (walking CONTAINS/DEFINES upwards); memoized per graph structure."""
    memo = structure_memo(graph).setdefault("module_of", {})
    found = memo.get(node.id)
    if found is None:
        found = memo[node.id] = _module_of(graph, node)
    return found


def _module_of(graph: Graph, node: Node) -> str:
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
    heuristic: bool = False  # the cycle needs a heuristic edge: without guesses these members are no cycle


def under(fqp: str, prefix: str) -> bool:
    """Whether an FQP lies under a module (or type) FQP: itself, its items, its submodules' items."""
    return fqp == prefix or fqp.startswith((prefix + "::", prefix + ".", "<" + prefix + "::", "<" + prefix + "."))


def dependency_graph(
    graph: Graph, level: str, within: str | None = None, deadline=NO_DEADLINE, include_heuristic: bool = True
) -> "nx.DiGraph":
    """A networkx graph of modules, types or functions and the dependencies between them.

    At module level, an edge a → b means something in module a depends (calls, uses, implements, ...) on
    something in module b. Each edge's ``sure`` attribute says whether a non-heuristic edge of the ISG makes it;
    without ``include_heuristic`` only those are there.
    """

    def link(a, b, edge) -> None:
        sure = edge.resolution is not Resolution.HEURISTIC
        if not sure and not include_heuristic:
            return
        data = dg.get_edge_data(a, b)
        if data is None:
            dg.add_edge(a, b, sure=sure)
        elif sure:
            data["sure"] = True

    if level not in LEVEL_KINDS:
        raise QueryError(f"unknown level {level!r}: use module, type or function")
    import networkx as nx  # imported on first use: it costs the server's start-up half a second

    dg = nx.DiGraph()
    if level == "module":
        owners = module_owners(graph, deadline)
        if within:
            owner = {}
            for node_id, module in owners.items():
                deadline.check()
                if under(graph.nodes[node_id].fqp, within):
                    owner[node_id] = module
        else:
            owner = owners
        dependency = {k.value for k in EDGE_KINDS_FOR_IMPACT}
        for src, module in owner.items():
            deadline.check()
            dg.add_node(module)
            for (kind, dst), edge in graph.out_edges.get(src, {}).items():
                target = owner.get(dst)
                if kind in dependency and target is not None and target != module:
                    link(module, target, edge)
        return dg
    kinds = LEVEL_KINDS[level]
    edges = LEVEL_EDGES[level]
    for node in graph.nodes.values():
        deadline.check()
        if node.kind in kinds and not node.external and (not within or under(node.fqp, within)):
            dg.add_node(node.id)
    for src in list(dg.nodes):
        deadline.check()
        for (kind, dst), edge in graph.out_edges.get(src, {}).items():
            if kind in edges and dst in dg and dst != src:
                link(src, dst, edge)
    if level == "type":
        # a type depends on what its methods mention: fold member edges onto the type
        for src in list(dg.nodes):
            deadline.check()
            for (kind, member), _e in graph.out_edges.get(src, {}).items():
                if kind not in ("CONTAINS", "DEFINES"):
                    continue
                for (mkind, dst), e2 in graph.out_edges.get(member, {}).items():
                    if mkind in ("ACCEPTS", "RETURNS") and dst in dg and dst != src:
                        link(src, dst, e2)
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


def cycles(
    graph: Graph,
    level: str = "module",
    within: str | None = None,
    limit: int = 50,
    deadline=NO_DEADLINE,
    include_heuristic: bool = True,
) -> list[Cycle]:
    """Strongly connected components with more than one member (Tarjan, via networkx), largest first, each with one
    example cycle: the shortest cycle through its first member (by FQP), that member repeated at the end. A cycle
    is ``heuristic`` when its members are no strongly connected component without heuristic edges (it rests on a
    guess); without ``include_heuristic`` heuristic edges are left out and no cycle is."""
    memo = graph_memo(graph)
    key = ("cycles", level, within, include_heuristic)
    cached = memo.get(key)
    if cached is not None:
        return cached[:limit]
    dg = dependency_graph(graph, level, within, deadline, include_heuristic)
    deadline.check_now()
    found = []
    import networkx as nx

    sure_components: set[frozenset] = set()
    if include_heuristic:
        sure = nx.DiGraph()
        sure.add_nodes_from(dg.nodes)
        sure.add_edges_from((a, b) for a, b, data in dg.edges(data=True) if data.get("sure", True))
        sure_components = {frozenset(c) for c in nx.strongly_connected_components(sure) if len(c) > 1}
    for component in nx.strongly_connected_components(dg):
        deadline.check()
        if len(component) < 2:
            continue
        members = sorted((graph.nodes[i] for i in component), key=lambda n: (n.fqp, n.id))
        example_ids = _shortest_cycle(graph, dg, members[0].id, component, deadline)
        guessed = include_heuristic and frozenset(component) not in sure_components
        found.append(Cycle(members, [graph.nodes[i] for i in example_ids], guessed))
    found.sort(key=lambda c: (-len(c.members), c.members[0].fqp))
    memo[key] = found
    return found[:limit]


def _shortest_cycle(graph: Graph, dg: "nx.DiGraph", start: bytes, component: set, deadline) -> list[bytes]:
    parent: dict[bytes, bytes | None] = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            deadline.check()
            for succ in sorted(
                (s for s in dg.successors(node) if s in component), key=lambda i: (graph.nodes[i].fqp, i)
            ):
                if succ == start:
                    path = [node]
                    step = parent[node]
                    while step is not None:
                        path.append(step)
                        step = parent[step]
                    path.reverse()
                    return path + [start]
                if succ not in parent:
                    parent[succ] = node
                    following.append(succ)
        frontier = following
    return [start]


# ---- search -------------------------------------------------------------------------------------------------


def search(
    graph: Graph,
    pattern: str,
    kinds: Iterable[NodeKind] | None = None,
    field_name: str = "name",
    limit: int = 100,
    include_external: bool = False,
) -> tuple[list[Node], int]:
    """Nodes whose name, FQP or signature contains the pattern (case-insensitive), or matches it as a glob."""
    if field_name not in ("name", "fqp", "signature"):
        raise QueryError("field must be name, fqp or signature")
    wanted = frozenset(kinds) if kinds else None
    glob = any(c in pattern for c in "*?[")
    needle = pattern.lower()
    if glob:
        try:
            matches = patterns.glob(needle)  # linear, and kept in a bounded cache (patterns.py)
        except patterns.UnsafePattern as error:
            raise QueryError(str(error)) from None
    hits = []
    for node in graph.nodes.values():
        if node.external and not include_external:
            continue
        if wanted is not None and node.kind not in wanted:
            continue
        value = getattr(node, field_name).lower()
        if matches(value) if glob else needle in value:
            hits.append(node)
    hits.sort(key=lambda n: (n.name.lower() != needle, len(n.fqp), n.fqp, n.id))
    return hits[:limit], len(hits)
