"""The compilers' truth of ``bench/accuracy`` as a graph to ask questions of, and the keys that let its answers be
compared with ours.

Nodes are known by the accuracy benchmark's lenient key (``compare.py``): a workspace node by its FQP (``<X as Y>::m``
with an external X or Y cut to its last segment), an external node by ``~`` and its last segment (the spec lets a
syntactic tool name an external by "the best path known"). Edges are kept by kind, both directions.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bench.accuracy.compare import Normalizer, last_segment, load


class TruthGraph:
    def __init__(self, path: Path, local_roots: tuple[str, ...]) -> None:
        self.norm = Normalizer(local_roots)
        nodes, edges = load(path)
        self.nodes: dict[str, dict] = {}             # key -> node record (workspace nodes and externals)
        self.kind: dict[str, str] = {}
        self.out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.inc: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.edge_kinds: set[str] = set()
        self.macro_edges: set[tuple[str, str, str]] = set()  # edges a macro's expansion writes (rustdoc's view)
        by_id: dict[str, str] = {}
        for node_id, record in nodes.items():
            key = self.key(record["fqp"], record.get("external", False))
            by_id[node_id] = key
            if key not in self.nodes or not record.get("external"):
                self.nodes[key] = record
                self.kind[key] = record["kind"]
        for edge in edges:
            src, dst = by_id.get(edge["src"]), by_id.get(edge["dst"])
            if src is None or dst is None or src == dst:
                continue
            if self.external(src) and self.external(dst):
                continue
            self.out[src][edge["kind"]].add(dst)
            self.inc[dst][edge["kind"]].add(src)
            self.edge_kinds.add(edge["kind"])
            if edge.get("macro"):
                self.macro_edges.add((src, edge["kind"], dst))

    def key(self, fqp: str, external: bool) -> str:
        if external and not self.norm.is_local(fqp):
            return "~" + last_segment(fqp)
        return self.norm.fqp(fqp)

    def external(self, key: str) -> bool:
        return key.startswith("~") or self.nodes.get(key, {}).get("external", False)

    def workspace_nodes(self, kinds: str | None = None) -> list[str]:
        """Workspace nodes (of these kind codes), sorted."""
        return sorted(k for k, n in self.nodes.items() if not n.get("external") and (kinds is None or n["kind"] in kinds))

    def has_edge(self, src: str, kind: str, dst: str) -> bool:
        return dst in self.out.get(src, {}).get(kind, ())

    def successors(self, key: str, kinds) -> list[tuple[str, str]]:
        out = self.out.get(key, {})
        return sorted((other, kind) for kind in kinds for other in out.get(kind, ()))

    def predecessors(self, key: str, kinds) -> list[tuple[str, str]]:
        inc = self.inc.get(key, {})
        return sorted((other, kind) for kind in kinds for other in inc.get(kind, ()))

    def is_module(self, key: str) -> bool:
        return self.kind.get(key) == "M"
