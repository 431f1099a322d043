"""Which in-memory representation for the hot layer: the engine's dict adjacency (``Graph.out_edges`` /
``in_edges``: node id → {(kind, other id): Edge}) against networkx and rustworkx holding the same graph.

For each: the memory its adjacency takes (tracemalloc, the nodes' own objects excluded: they are shared), a 1-hop
lookup (the callers of a function), a 5-hop breadth-first walk backwards over impact edges, and a module-level
cycle search (strongly connected components). Microseconds, p50 / p99 over random start nodes.
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from collections import deque

from .measure import percentiles

IMPACT = frozenset({"CALLS", "IMPL", "EXTENDS", "ACCEPTS", "RETURNS", "USES", "BOUND_BY"})


def _timed(fn, starts, repeat: int) -> dict:
    samples = []
    for i in range(repeat):
        s = starts[i % len(starts)]
        t = time.perf_counter()
        fn(s)
        samples.append((time.perf_counter() - t) * 1e6)
    return percentiles(samples)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def _size(build, native: bool = False) -> tuple[object, float]:
    """What building takes: Python's traced allocations, or for a native library (rustworkx allocates outside
    Python's allocator) those plus the growth of the resident set."""
    gc.collect()
    rss = _rss_mb()
    if native:
        built = build()
        return built, _rss_mb() - rss
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return built, (after - before) / 1e6


def compare(graph, repeat: int = 2000, seed: int = 11) -> dict:
    rng = random.Random(seed)
    ids = list(graph.nodes)
    fn_ids = [i for i, n in graph.nodes.items() if n.kind.value == "F" and not n.external] or ids
    starts = [rng.choice(fn_ids) for _ in range(min(repeat, 500))]
    edges = [(e.src, e.kind.value, e.dst) for e in graph.edges()]
    out: dict = {"nodes": len(ids), "edges": len(edges)}

    # the engine's own dict adjacency (measured by rebuilding the same shape from the edge list)
    def build_dicts():
        o: dict = {}
        n: dict = {}
        for src, kind, dst in edges:
            o.setdefault(src, {})[(kind, dst)] = kind
            n.setdefault(dst, {})[(kind, src)] = kind
        return o, n

    (o_adj, i_adj), mb = _size(build_dicts)
    in_edges = graph.in_edges

    def callers_dict(s):
        return [other for (kind, other) in in_edges.get(s, {}) if kind == "CALLS"]

    def bfs_dict(s):
        seen = {s}
        frontier = deque([(s, 0)])
        while frontier:
            node, d = frontier.popleft()
            if d >= 5:
                continue
            for (kind, other) in in_edges.get(node, ()):
                if kind in IMPACT and other not in seen:
                    seen.add(other)
                    frontier.append((other, d + 1))
        return seen

    out["dict"] = {"adjacency_mb": mb, "hop1_us": _timed(callers_dict, starts, repeat),
                   "bfs5_us": _timed(bfs_dict, starts, repeat // 4)}
    del o_adj, i_adj
    try:
        import networkx as nx

        def build_nx():
            g = nx.MultiDiGraph()
            g.add_nodes_from(ids)
            g.add_edges_from((src, dst, kind, {"kind": kind}) for src, kind, dst in edges)
            return g

        g, mb = _size(build_nx)

        def callers_nx(s):
            return [u for u, _v, k in g.in_edges(s, keys=True) if k == "CALLS"]

        def bfs_nx(s):
            seen = {s}
            frontier = deque([(s, 0)])
            while frontier:
                node, d = frontier.popleft()
                if d >= 5:
                    continue
                for u, _v, k in g.in_edges(node, keys=True):
                    if k in IMPACT and u not in seen:
                        seen.add(u)
                        frontier.append((u, d + 1))
            return seen

        simple = nx.DiGraph((src, dst) for src, _k, dst in edges)
        t = time.perf_counter()
        sccs = sum(1 for c in nx.strongly_connected_components(simple) if len(c) > 1)
        scc_ms = (time.perf_counter() - t) * 1000
        out["networkx"] = {"version": nx.__version__, "adjacency_mb": mb,
                           "hop1_us": _timed(callers_nx, starts, repeat),
                           "bfs5_us": _timed(bfs_nx, starts, repeat // 4), "scc_whole_graph_ms": scc_ms,
                           "sccs": sccs}
        del g, simple
    except ImportError as error:
        out["networkx"] = {"error": f"n/a ({error})"}
    try:
        import rustworkx as rx

        def build_rx():
            g = rx.PyDiGraph(multigraph=True)
            index = {i: g.add_node(i) for i in ids}
            g.add_edges_from([(index[src], index[dst], kind) for src, kind, dst in edges])
            return g, index

        (g, index), mb = _size(build_rx, native=True)

        def callers_rx(s):
            return [g[u] for u, _v, k in g.in_edges(index[s]) if k == "CALLS"]

        def bfs_rx(s):
            start = index[s]
            seen = {start}
            frontier = deque([(start, 0)])
            while frontier:
                node, d = frontier.popleft()
                if d >= 5:
                    continue
                for u, _v, k in g.in_edges(node):
                    if k in IMPACT and u not in seen:
                        seen.add(u)
                        frontier.append((u, d + 1))
            return seen

        t = time.perf_counter()
        sccs = sum(1 for c in rx.strongly_connected_components(g) if len(c) > 1)
        scc_ms = (time.perf_counter() - t) * 1000
        out["rustworkx"] = {"version": rx.__version__, "adjacency_mb": mb,
                            "hop1_us": _timed(callers_rx, starts, repeat),
                            "bfs5_us": _timed(bfs_rx, starts, repeat // 4), "scc_whole_graph_ms": scc_ms,
                            "sccs": sccs}
    except ImportError as error:
        out["rustworkx"] = {"error": f"n/a (not installed: {error}; pip install rustworkx to compare)"}
    return out


def run_on(root, quick: bool = False) -> dict:
    from isg_lsp.engine import Engine

    engine = Engine(root, persist=False)
    engine.index()
    return compare(engine.graph, 500 if quick else 3000)
