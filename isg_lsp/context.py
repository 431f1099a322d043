"""Context for language models (`isg/context`, `isg-lsp context`): the part of the ISG that matters for a target or
a query, ranked, cut to a token budget, written as the spec's triples (§3) followed by the signatures.

1. Seeds: nodes: a target's (an FQP, a name, a SigHash), or those a `find ...` query selects. Text is resolved to
   nodes by the query language (``querylang.context_of``) before it reaches this module.
2. Neighbourhood: up to ``RADIUS`` hops around the seeds, both directions; external nodes and modules (hubs) are
   reached but not walked through.
3. Ranking: personalized PageRank restarting at the seeds (power iteration over a fixed node order, edge kinds
   weighted, heuristic edges discounted), ties broken by FQP, so that the same graph always gives the same text;
   in tiers: the seeds, then what a seed is made of (a trait's methods and implementors, a type's members and the
   traits it implements, a module's items; its own boilerplate at the end of that tier), then the rest; tests,
   examples, benches and other nodes' boilerplate (`Debug`, `Display`, `Clone`... impls, `toString`/`__repr__`...)
   last unless the seeds are tests or ``include_tests`` says so.
4. Packing: nodes in rank order, each with its signature (and its doc comment: the seeds' first paragraph when it
   fits, the first sentence of the others' while the text is under half the budget) and its relations to the nodes
   already taken, while the budget allows; then, budget permitting and only with a workspace root, the seeds'
   source text: signatures before bodies.

Tokens are counted as characters / 4 (as the spec's map). ``ratio`` compares the context's tokens with the source
tokens of the files its nodes come from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from . import queries
from .export import triple
from .graph import Graph
from .model import Edge, Node, NodeKind, Resolution, is_test
from .safety import read_file

RADIUS = 3
MAX_NEIGHBOURHOOD = 1500
MAX_SEEDS = 50
ITERATIONS = 25
RESTART = 0.25
EDGE_WEIGHTS = {
    "CALLS": 1.0,
    "IMPL": 1.0,
    "EXTENDS": 1.0,
    "DEFINES": 1.0,
    "BOUND_BY": 0.8,
    "ACCEPTS": 0.8,
    "RETURNS": 0.8,
    "USES": 0.8,
    "CONTAINS": 0.5,
}
HEURISTIC_WEIGHT = 0.3
# traits and methods whose implementations say little about a design (what `derive` writes, printing, equality)
BOILERPLATE_TRAITS = frozenset(
    {
        "Debug",
        "Display",
        "Clone",
        "Copy",
        "PartialEq",
        "Eq",
        "PartialOrd",
        "Ord",
        "Hash",
        "Default",
        "Send",
        "Sync",
        "Sized",
        "Unpin",
        "Drop",
        "Serialize",
        "Deserialize",
    }
)
BOILERPLATE_METHODS = frozenset(
    {
        "toString",
        "equals",
        "hashCode",
        "clone",
        "__repr__",
        "__str__",
        "__eq__",
        "__ne__",
        "__hash__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__format__",
    }
)
DOC_SHARE = 0.5  # docs of nodes other than the seeds while the text is under this share of the budget
SEED, OWN, OWN_LATE, NEAR, LAST = 0, 1, 2, 3, 4


def count_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


@dataclass
class Context:
    text: str
    tokens: int
    nodes: int
    source_tokens: int
    ratio: float
    selected: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    heuristic_count: int = 0
    subject: str = ""

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "tokens": self.tokens,
            "nodes": self.nodes,
            "sourceTokens": self.source_tokens,
            "ratio": self.ratio,
        }


def build_context(
    graph: Graph,
    seeds: list[Node],
    budget_tokens: int = 2000,
    root: Path | str | None = None,
    deadline: queries.Deadline | None = None,
    include_heuristic: bool = True,
    subject: str | None = None,
    include_tests: bool = False,
) -> Context:
    """The context of some nodes (the seeds), within a budget. ``subject`` names them in the header (by default
    their first FQPs). Text naming a target or a `find` query is resolved to nodes by the query language first
    (``querylang.context_of``). Tests and boilerplate are ranked last unless ``include_tests`` or a seed is a
    test."""
    deadline = deadline or queries.Deadline(1000.0)
    budget_tokens = max(50, int(budget_tokens))
    seeds = list({s.id: s for s in seeds}.values())[:MAX_SEEDS]
    subject = subject or ", ".join(n.fqp for n in seeds[:3])
    demote = not include_tests and not any(is_test(s) for s in seeds)
    ranked, tiers = _rank(graph, seeds, include_heuristic, deadline, demote)
    return _pack(graph, subject, seeds, ranked, tiers, budget_tokens, root, include_heuristic, deadline)


def is_boilerplate(graph: Graph, node: Node) -> bool:
    """Derive-style and printing boilerplate: a member of an impl of `Debug`, `Display`, `Clone`... (`<T as
    Debug>::fmt`), `toString`/`equals`/`__repr__`..., an external trait of that kind."""
    if node.kind is NodeKind.FUNCTION:
        if node.name in BOILERPLATE_METHODS:
            return True
        if node.fqp.startswith("<") and " as " in node.fqp:
            trait = node.fqp.rpartition(">::")[0].split(" as ", 1)[1]
            return trait.replace(".", "::").rsplit("::", 1)[-1] in BOILERPLATE_TRAITS
        return False
    return node.external and node.kind is NodeKind.TRAIT and node.name in BOILERPLATE_TRAITS


def _tiers(graph: Graph, seeds: list[Node], order: list[bytes], demote: bool) -> dict[bytes, int]:
    """Seeds first; then what they are made of (a trait's methods and implementors, a type's members and what it
    implements or extends, a module's items), their boilerplate (derived impls, `<T as Debug>::fmt`) at the end of
    that tier; then the rest; when ``demote``, tests, examples and benches, and the boilerplate of other nodes, last."""
    nodes = graph.nodes
    tiers = dict.fromkeys(order, NEAR)
    for seed in seeds:
        tiers[seed.id] = SEED
    for seed in seeds:
        own: list[tuple[bytes, bool]] = []
        for (kind, other), edge in graph.out_edges.get(seed.id, {}).items():
            if kind in ("DEFINES", "CONTAINS") or (kind in ("IMPL", "EXTENDS") and seed.kind is not NodeKind.MODULE):
                own.append((other, edge.derived))
        if seed.kind in (NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM):
            own.extend((src, False) for (kind, src) in graph.in_edges.get(seed.id, {}) if kind in ("IMPL", "EXTENDS"))
        for other, derived in own:
            node = nodes.get(other)
            if tiers.get(other) in (NEAR, OWN_LATE) and node is not None:
                late = derived or is_boilerplate(graph, node)
                tiers[other] = min(tiers[other], OWN_LATE if late else OWN)
    if demote:
        for node_id, tier in tiers.items():
            node = nodes.get(node_id)
            if tier == SEED or node is None:
                continue
            if is_test(node) or (tier == NEAR and is_boilerplate(graph, node)):
                tiers[node_id] = LAST
    return tiers


def _usable(edge: Edge, include_heuristic: bool) -> bool:
    return include_heuristic or edge.resolution is not Resolution.HEURISTIC


def _rank(
    graph: Graph, seeds: list[Node], include_heuristic: bool, deadline, demote: bool = True
) -> tuple[list[Node], dict[bytes, int]]:
    nodes = graph.nodes
    seed_ids = list(dict.fromkeys(s.id for s in seeds))
    seed_set = set(seed_ids)
    seen = set(seed_ids)
    order = list(seed_ids)
    frontier = list(seed_ids)
    for _ in range(RADIUS):
        following = []
        for node_id in frontier:
            node = nodes[node_id]
            if (node.external or node.kind is NodeKind.MODULE) and node_id not in seed_set:
                continue
            neighbours = []
            for (_kind, other), edge in graph.out_edges.get(node_id, {}).items():
                if _usable(edge, include_heuristic):
                    neighbours.append(other)
            for (_kind, other), edge in graph.in_edges.get(node_id, {}).items():
                if _usable(edge, include_heuristic):
                    neighbours.append(other)
            neighbours = sorted(set(neighbours) - seen, key=lambda i: (nodes[i].fqp, i) if i in nodes else ("", i))
            for other in neighbours:
                deadline.check()
                if other in nodes and len(order) < MAX_NEIGHBOURHOOD:
                    seen.add(other)
                    order.append(other)
                    following.append(other)
        frontier = following
        if len(order) >= MAX_NEIGHBOURHOOD:
            break
    index = {node_id: i for i, node_id in enumerate(order)}
    # weighted adjacency, both directions, inside the neighbourhood
    links: list[list[tuple[int, float]]] = [[] for _ in order]
    for i, node_id in enumerate(order):
        deadline.check()
        for (kind, other), edge in graph.out_edges.get(node_id, {}).items():
            j = index.get(other)
            if j is None or j == i or not _usable(edge, include_heuristic):
                continue
            weight = EDGE_WEIGHTS.get(kind, 0.5) * (
                HEURISTIC_WEIGHT if edge.resolution is Resolution.HEURISTIC else 1.0
            )
            links[i].append((j, weight))
            links[j].append((i, weight))
    totals = [sum(w for _, w in out) for out in links]
    n = len(order)
    restart = [0.0] * n
    for node_id in seed_ids:
        restart[index[node_id]] = 1.0 / len(seed_ids)
    score = list(restart)
    for _ in range(ITERATIONS):
        deadline.check_now()
        next_score = [RESTART * r for r in restart]
        dangling = 0.0
        for i in range(n):
            mass = score[i]
            if not mass:
                continue
            if not totals[i]:
                dangling += mass
                continue
            share = (1 - RESTART) * mass / totals[i]
            for j, weight in links[i]:
                next_score[j] += share * weight
        if dangling:
            for node_id in seed_ids:
                next_score[index[node_id]] += (1 - RESTART) * dangling / len(seed_ids)
        delta = sum(abs(a - b) for a, b in zip(score, next_score))
        score = next_score
        if delta < 1e-9:
            break
    tiers = _tiers(graph, seeds, order, demote)
    ranked = sorted(range(n), key=lambda i: (tiers[order[i]], -round(score[i], 12), nodes[order[i]].fqp, order[i]))
    return [nodes[order[i]] for i in ranked], tiers


def _signature_line(node: Node) -> str:
    if node.external:
        return f"[{node.kind.value}] {node.fqp} (external)"
    where = f"  ({node.file}:{node.span[0] + 1})" if node.file and node.span else ""
    return f"[{node.kind.value}] {node.fqp}: {node.signature or node.name}{where}"


def _doc_line(doc: str) -> str:
    return f"    /// {doc}"


def first_sentence(doc: str, limit: int = 160) -> str:
    """A doc's first sentence (the seeds get their whole first paragraph; the rest of the context, this)."""
    end = doc.find(". ")
    sentence = doc if end < 0 else doc[: end + 1]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _pack(
    graph: Graph,
    subject: str,
    seeds: list[Node],
    ranked: list[Node],
    tiers: dict[bytes, int],
    budget: int,
    root: Path | str | None,
    include_heuristic: bool,
    deadline,
) -> Context:
    header = f"# ISG context for {subject}: relations as [kind] FQP x EDGE x [kind] FQP, then signatures (/// docs)\n"
    if len(header) > budget * 2 and len(subject) > 60:  # a long statement of the targets in a small budget
        header = f"# ISG context for {subject[:57]}...: relations, then signatures (/// docs)\n"
    used = len(header)
    limit_chars = budget * 4
    taken: set[bytes] = set()
    chosen: list[Node] = []
    triple_lines: list[str] = []
    signature_lines: list[str] = []
    edges: list[Edge] = []
    misses = 0
    section_cost = len("## relations\n") + len("## signatures\n")
    used += section_cost
    for node in ranked:
        deadline.check()
        relations = []
        for (_kind, other), edge in graph.out_edges.get(node.id, {}).items():
            if other in taken and _usable(edge, include_heuristic):
                relations.append(edge)
        for (_kind, other), edge in graph.in_edges.get(node.id, {}).items():
            if other in taken and other != node.id and _usable(edge, include_heuristic):
                relations.append(edge)
        relations.sort(key=lambda e: (graph.nodes[e.src].fqp, e.kind.value, graph.nodes[e.dst].fqp))
        lines = [
            triple(graph, e, generics=True) + (" ~heuristic" if e.resolution is Resolution.HEURISTIC else "")
            for e in relations
        ]
        signature = None if node.external else _signature_line(node)
        cost = sum(len(line) + 1 for line in lines) + (len(signature) + 1 if signature else 0)
        if not lines and signature is None:
            continue
        if used + cost > limit_chars:
            misses += 1
            if misses > 40:
                break
            continue
        doc = graph.doc_of(node) if signature is not None else None
        if doc and signature is not None:
            seed = tiers.get(node.id, NEAR) == SEED
            doc_line = _doc_line(doc if seed else first_sentence(doc))
            if used + cost + len(doc_line) + 1 <= limit_chars and (seed or used < DOC_SHARE * limit_chars):
                signature += "\n" + doc_line
                cost += len(doc_line) + 1
        used += cost
        taken.add(node.id)
        chosen.append(node)
        triple_lines.extend(lines)
        edges.extend(relations)
        if signature:
            signature_lines.append(signature)
    # each relation is written once, when its second end is taken
    parts = [header, "## relations\n"]
    parts.extend(line + "\n" for line in triple_lines)
    parts.append("## signatures\n")
    parts.extend(line + "\n" for line in signature_lines)
    text = "".join(parts)
    root_path = Path(root) if root is not None else None
    if root_path is not None:
        bodies = _bodies(root_path, seeds, limit_chars - len(text))
        if bodies:
            text += bodies
    files = sorted({n.file for n in chosen if n.file and not n.external})
    source_tokens = 0
    if root_path is not None:
        for rel in files:
            try:
                source_tokens += count_tokens(read_file(root_path / rel).decode("utf-8", "replace"))
            except OSError:
                continue
    tokens = count_tokens(text)
    ratio = round(tokens / source_tokens, 4) if source_tokens else 0.0
    heuristic = sum(1 for e in edges if e.resolution is Resolution.HEURISTIC)
    return Context(text, tokens, len(chosen), source_tokens, ratio, chosen, edges, heuristic, subject)


def _bodies(root: Path, seeds: list[Node], room_chars: int) -> str:
    """The seeds' source text (functions and types only), in seed order, while it fits."""
    out = []
    used = len("## bodies\n")
    for node in seeds:
        if node.external or not node.file or not node.span or node.kind is NodeKind.MODULE:
            continue
        path = root / node.file
        try:
            resolved = path.resolve()
            if root.resolve() not in resolved.parents:
                continue
            lines = read_file(resolved).decode("utf-8", "replace").splitlines()
        except OSError:
            continue
        start, end = node.span[0], node.span[2]
        body = "\n".join(lines[start : end + 1])
        block = f"### {node.fqp} ({node.file}:{start + 1})\n{body}\n"
        if used + len(block) > room_chars:
            continue
        used += len(block)
        out.append(block)
    if not out:
        return ""
    return "## bodies\n" + "".join(out)
