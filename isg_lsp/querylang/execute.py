"""In-memory plans: a parsed query run against the hot graph (``isg_lsp.graph.Graph``), within a time budget.

Plans read the graph's adjacency and symbol tables directly and reuse ``queries.py`` for every question it already
answers (who-implements, callers, callees, blast radius, shortest path, cycles). Nothing here writes to the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import patterns, queries
from ..context import Context, build_context
from ..graph import Graph
from ..model import Edge, EdgeKind, Node, NodeKind, Resolution
from ..sqlquery import safe_regex
from .syntax import (And, BlastQuery, CallsQuery, ContextQuery, CyclesQuery, FieldTest, Find, IsExternal, Not, Or,
                     PathQuery, Query, QueryLanguageError, Relation, TargetRef, WhoImplements, parse)

HEURISTIC = Resolution.HEURISTIC


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[dict]
    edges: list[Edge] = field(default_factory=list)
    heuristic_count: int = 0
    truncated: bool = False
    elapsed_ms: float = 0.0
    total: int | None = None
    summary: dict | None = None
    notes: list[str] = field(default_factory=list)
    format: str = "json"
    triples: str | None = None
    command: str = ""
    text: str | None = None          # the context command's text (triples and signatures)

    def to_json(self) -> dict:
        data = {"columns": self.columns, "rows": self.rows, "heuristicCount": self.heuristic_count,
                "truncated": self.truncated, "elapsedMs": round(self.elapsed_ms, 3)}
        if self.total is not None:
            data["total"] = self.total
        if self.summary is not None:
            data["summary"] = self.summary
        if self.notes:
            data["notes"] = self.notes
        if self.triples is not None:
            data["triples"] = self.triples
        if self.text is not None:
            data["text"] = self.text
        return data

    def to_text(self) -> str:
        lines = []
        if not self.rows:
            lines.append("(no results)")
        else:
            lines.append("\t".join(self.columns))
            for row in self.rows:
                lines.append("\t".join(_cell(row.get(c)) for c in self.columns))
        if self.truncated:
            lines.append(f"(truncated: {len(self.rows)} of {self.total if self.total is not None else 'more'} rows)")
        if self.heuristic_count:
            lines.append(f"({self.heuristic_count} of these rest on heuristic edges; "
                         f"add 'exclude heuristic' to leave them out)")
        if self.summary:
            for key in ("byModule", "byKind"):
                if self.summary.get(key):
                    label = "by module" if key == "byModule" else "by kind"
                    lines.append(f"{label}: " + ", ".join(f"{next(iter(v.values()))} {v['count']}"
                                                          for v in self.summary[key]))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def triples_text(self, graph: Graph) -> str:
        if self.text is not None:
            return self.text
        if self.triples is not None:
            return self.triples
        return _triples(graph, self.edges)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " -> ".join(str(v) for v in value)
    return str(value)


def _triples(graph: Graph, edges: list[Edge]) -> str:
    from ..export import triple

    seen = set()
    lines = []
    for edge in edges:
        if edge.key in seen or edge.src not in graph.nodes or edge.dst not in graph.nodes:
            continue
        seen.add(edge.key)
        lines.append(triple(graph, edge))
    return "\n".join(lines)


# ---- the module of a node (memoized per graph version in queries.module_owners) ---------------------------------

def module_fqp(graph: Graph, node: Node) -> str:
    module = queries.module_owners(graph).get(node.id)
    if module is not None:
        return graph.nodes[module].fqp
    return "(external)" if node.external else ""


# ---- rows -----------------------------------------------------------------------------------------------------

def node_row(node: Node) -> dict:
    return {"kind": node.kind.value, "name": node.name, "fqp": node.fqp, "lang": node.lang, "file": node.file,
            "line": node.span[0] + 1 if node.span else None, "visibility": node.visibility,
            "signature": node.signature, "id": node.id.hex()}


NODE_COLUMNS = ["kind", "fqp", "signature", "file", "line"]


def _sort_key(value):
    if value is None:
        return (1, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, list):
        return (0, len(value))
    return (0, str(value))


def _order(rows: list[dict], order: tuple) -> list[dict]:
    for key, descending, _pos in reversed(order):
        rows.sort(key=lambda r: _sort_key(r.get(key)), reverse=descending)
    return rows


# ---- targets ----------------------------------------------------------------------------------------------------

def resolve(graph: Graph, ref: TargetRef, deadline, what: str = "node") -> list[Node]:
    text = ref.text.strip()
    if any(c in text for c in "*?["):
        hits = []
        try:
            matches = patterns.glob(text)
        except patterns.UnsafePattern as error:
            raise QueryLanguageError(str(error), ref.pos, None, "too-complex") from None
        for node in _all_nodes(graph):
            deadline.check()
            if matches(node.fqp) or matches(node.name):
                hits.append(node)
        if not hits:
            raise QueryLanguageError(f"no {what} matches the pattern {text!r}", ref.pos, None, "unknown-target")
        hits.sort(key=lambda n: (n.fqp, n.id))
        return hits
    nodes = queries.find_targets(graph, text)
    if not nodes and text:
        nodes = _by_suffix(graph, text, deadline)
    if not nodes:
        hint = queries.suggest(graph, text)
        raise QueryLanguageError(f"no {what} matches {text!r}", ref.pos,
                                 f"did you mean {hint!r}?" if hint else
                                 "give an FQP, a name or a SigHash; quote FQPs with spaces", "unknown-target")
    return nodes


def _by_suffix(graph: Graph, text: str, deadline) -> list[Node]:
    """A partial path (`Shape::area`, `shapes.Circle`): the workspace nodes whose FQP ends with it."""
    if "::" not in text and "." not in text:
        return []
    tails = ("::" + text, "." + text, ">::" + text.split("::")[-1] if text.startswith("<") else "::" + text)
    hits = []
    for fqp, ids in graph.fqp_index.items():
        deadline.check()
        if fqp.endswith(tails[0]) or fqp.endswith(tails[1]):
            hits.extend(graph.nodes[i] for i in ids if i in graph.nodes)
    return sorted(hits, key=lambda n: (n.fqp, n.id))


def _all_nodes(graph: Graph):
    return graph.nodes.values()


# ---- find -------------------------------------------------------------------------------------------------------

FORWARD = {"implements": "IMPL", "extends": "EXTENDS", "accepts": "ACCEPTS", "returns": "RETURNS",
           "bound-by": "BOUND_BY", "calls": "CALLS", "uses": "USES"}
BACKWARD = {"implemented-by": "IMPL", "called-by": "CALLS", "used-by": "USES"}


@dataclass
class _RelMatch:
    ids: set
    heuristic_only: set
    edges: dict


def _relation_matches(graph: Graph, rel: Relation, include_heuristic: bool, deadline) -> _RelMatch:
    targets = resolve(graph, rel.target, deadline)
    ids: set = set()
    sure: set = set()
    edges: dict = {}
    nodes = graph.nodes
    if rel.rel in FORWARD:
        kind = FORWARD[rel.rel]
        for target in targets:
            for (k, src), edge in graph.in_edges.get(target.id, {}).items():
                deadline.check()
                if k != kind or (not include_heuristic and edge.resolution is HEURISTIC):
                    continue
                owners = [src]
                node = nodes.get(src)
                if kind == "BOUND_BY" and node is not None and node.kind is NodeKind.GENERIC and "::<" in node.fqp:
                    owners += list(graph.fqp_index.get(node.fqp[:node.fqp.rfind("::<")], ()))
                for owner in owners:
                    ids.add(owner)
                    edges.setdefault(owner, []).append(edge)
                    if edge.resolution is not HEURISTIC:
                        sure.add(owner)
    else:
        kind = BACKWARD[rel.rel]
        for target in targets:
            for (k, dst), edge in graph.out_edges.get(target.id, {}).items():
                deadline.check()
                if k != kind or (not include_heuristic and edge.resolution is HEURISTIC):
                    continue
                ids.add(dst)
                edges.setdefault(dst, []).append(edge)
                if edge.resolution is not HEURISTIC:
                    sure.add(dst)
    return _RelMatch(ids, ids - sure, edges)


def _module_prefix(graph: Graph, ref: TargetRef) -> str:
    text = ref.text.strip()
    if graph.fqp_index.get(text):
        return text
    modules = sorted(graph.nodes[i].fqp for i in graph.name_index.get(text, ())
                     if graph.nodes[i].kind is NodeKind.MODULE)
    if modules:
        return modules[0]
    hint = queries.suggest(graph, text)
    raise QueryLanguageError(f"no module matches {text!r}", ref.pos,
                             f"did you mean {hint!r}?" if hint else "give the module's FQP", "unknown-target")


class _FindPlan:
    def __init__(self, graph: Graph, find: Find, include_heuristic: bool, deadline) -> None:
        self.graph = graph
        self.include_heuristic = include_heuristic
        self.deadline = deadline
        self.relations: dict[int, _RelMatch] = {}      # id(Relation) -> matches
        self.positive: list[_RelMatch] = []            # relations not under a `not`
        self.modules: dict[int, str] = {}
        if find.where is not None:
            self.predicate = self._compile(find.where, negated=False)
        else:
            self.predicate = None

    def _compile(self, cond, negated: bool):
        if isinstance(cond, And):
            parts = [self._compile(c, negated) for c in cond.items]
            return lambda n: all(p(n) for p in parts)
        if isinstance(cond, Or):
            parts = [self._compile(c, negated) for c in cond.items]
            return lambda n: any(p(n) for p in parts)
        if isinstance(cond, Not):
            inner = self._compile(cond.operand, not negated)
            return lambda n: not inner(n)
        if isinstance(cond, IsExternal):
            return lambda n: n.external
        if isinstance(cond, Relation):
            if cond.rel == "in":
                prefix = _module_prefix(self.graph, cond.target)
                under = queries.under
                return lambda n: under(n.fqp, prefix)
            match = _relation_matches(self.graph, cond, self.include_heuristic, self.deadline)
            self.relations[id(cond)] = match
            if not negated:
                self.positive.append(match)
            members = match.ids
            return lambda n: n.id in members
        assert isinstance(cond, FieldTest)
        return _field_test(cond)

    def candidates(self, find: Find):
        """The smallest set the top-level conjuncts allow (an index lookup or a relation's matches), else every
        node."""
        graph = self.graph
        best = None
        items = find.where.items if isinstance(find.where, And) else (find.where,) if find.where else ()
        for item in items:
            found = None
            if isinstance(item, FieldTest) and item.op == "=" and item.field == "name":
                found = set(graph.name_index.get(item.value, ()))
                if find.mentions_external:
                    found |= {n.id for n in queries.find_targets(graph, item.value) if n.external}
            elif isinstance(item, FieldTest) and item.op == "=" and item.field == "fqp":
                found = {n.id for n in graph.by_fqp(item.value)}
            elif isinstance(item, Relation) and id(item) in self.relations:
                found = self.relations[id(item)].ids
            if found is not None and (best is None or len(found) < len(best)):
                best = found
        if best is None:
            return graph.nodes.values()
        return [graph.nodes[i] for i in best if i in graph.nodes]


def _field_test(test: FieldTest):
    field_name, op, value = test.field, test.op, test.value
    if field_name == "kind":
        get = lambda n: n.kind.value  # noqa: E731
    elif field_name == "visibility":
        get = lambda n: n.visibility or "none"  # noqa: E731
    elif field_name == "file":
        get = lambda n: n.file or ""  # noqa: E731
    else:
        from operator import attrgetter
        get = attrgetter(field_name)
    if op == "=":
        return lambda n: get(n) == value
    if op == "!=":
        return lambda n: get(n) != value
    low = value.lower()
    if op == "contains":
        return lambda n: low in get(n).lower()
    if op == "starts-with":
        return lambda n: get(n).lower().startswith(low)
    if op == "ends-with":
        return lambda n: get(n).lower().endswith(low)
    if op == "glob":
        matches = patterns.glob(value, ignore_case=True)
        return lambda n: matches(get(n))
    regex = safe_regex(value)
    return lambda n: regex.search(get(n)) is not None


def find_nodes(graph: Graph, find: Find, include_heuristic: bool, deadline) -> tuple[list[Node], set, dict, int]:
    """The nodes a find selects (unsorted), the ids resting on heuristic edges only, the relation edges per node."""
    plan = _FindPlan(graph, find, include_heuristic, deadline)
    kinds = find.kinds
    include_external = find.mentions_external
    predicate = plan.predicate
    check = deadline.check
    hits = []
    for node in plan.candidates(find):
        check()
        if node.external and not include_external:
            continue
        if kinds is not None and node.kind.value not in kinds:
            continue
        if predicate is not None and not predicate(node):
            continue
        hits.append(node)
    heuristic: set = set()
    edges: dict = {}
    for match in plan.positive:
        heuristic |= match.heuristic_only
        for node_id, found in match.edges.items():
            edges.setdefault(node_id, []).extend(found)
    return hits, heuristic, edges, len(plan.positive)


# ---- commands ---------------------------------------------------------------------------------------------------

def execute(graph: Graph, query: Query, cap: int, deadline) -> QueryResult:
    command = query.command
    limit = min(query.limit or cap, cap)
    include_heuristic = not query.exclude_heuristic
    if isinstance(command, WhoImplements):
        result = _who_implements(graph, command, include_heuristic, deadline)
    elif isinstance(command, Find):
        result = _find(graph, command, include_heuristic, deadline)
    elif isinstance(command, CallsQuery):
        result = _calls(graph, command, include_heuristic, deadline)
    elif isinstance(command, BlastQuery):
        result = _blast(graph, command, include_heuristic, deadline, None if query.order else limit)
    elif isinstance(command, PathQuery):
        result = _path(graph, command, include_heuristic, deadline)
    elif isinstance(command, CyclesQuery):
        result = _cycles(graph, command, deadline)
    else:
        result = _context(graph, command, include_heuristic, deadline)
    if query.order:
        _order(result.rows, query.order)
    if result.total is None:
        result.total = len(result.rows)
    if len(result.rows) > limit:
        kept = result.rows[:limit]
        if result.edges and result.command not in ("path", "cycles", "context"):
            ids = {r.get("id") for r in kept}
            result.edges = [e for e in result.edges if e.src.hex() in ids or e.dst.hex() in ids]
        if result.command != "blast-radius":
            result.heuristic_count = sum(1 for r in kept if r.get("_heuristic"))
        result.rows = kept
        result.truncated = True
    for row in result.rows:
        row.pop("_heuristic", None)
    if result.command == "blast-radius":
        result.heuristic_count = sum(1 for r in result.rows if r.get("heuristic"))
    result.format = query.format
    if query.format == "triples":
        result.triples = result.triples_text(graph)
    return result


def _who_implements(graph: Graph, command: WhoImplements, include_heuristic: bool, deadline) -> QueryResult:
    targets = resolve(graph, command.target, deadline, "trait")
    related = queries.who_implements(graph, targets, include_heuristic)
    rows = []
    for r in related:
        row = node_row(r.node)
        row.update(via=r.edge.kind.value, resolution=r.edge.resolution.value, derived=r.edge.derived,
                   _heuristic=r.edge.resolution is HEURISTIC)
        rows.append(row)
    return QueryResult(["kind", "fqp", "via", "resolution", "file", "line"], rows, [r.edge for r in related],
                       sum(1 for r in rows if r["_heuristic"]), command="who-implements")


def _find(graph: Graph, command: Find, include_heuristic: bool, deadline) -> QueryResult:
    hits, heuristic, rel_edges, relations = find_nodes(graph, command, include_heuristic, deadline)
    hits.sort(key=lambda n: (n.fqp, n.id))
    rows = []
    edges: list[Edge] = []
    for node in hits:
        row = node_row(node)
        row["_heuristic"] = node.id in heuristic
        rows.append(row)
        if relations:
            edges.extend(rel_edges.get(node.id, ()))
        else:
            edges.extend(sorted(graph.out_edges.get(node.id, {}).values(),
                                key=lambda e: (e.kind.value, graph.nodes[e.dst].fqp if e.dst in graph.nodes else "")))
    return QueryResult(list(NODE_COLUMNS), rows, edges, sum(1 for r in rows if r["_heuristic"]), command="find")


def _calls(graph: Graph, command: CallsQuery, include_heuristic: bool, deadline) -> QueryResult:
    targets = resolve(graph, command.target, deadline, "function")
    columns = ["kind", "fqp", "distance", "resolution", "file", "line"]
    rows = []
    edges = []
    if command.depth == 1:
        fn = queries.callers if command.direction == "callers" else queries.callees
        for r in fn(graph, targets, include_heuristic):
            row = node_row(r.node)
            row.update(distance=1, via="CALLS", resolution=r.edge.resolution.value,
                       _heuristic=r.edge.resolution is HEURISTIC)
            rows.append(row)
            edges.append(r.edge)
    else:
        radius = queries.blast_radius(graph, targets, depth=command.depth,
                                      direction="up" if command.direction == "callers" else "down",
                                      kinds=(EdgeKind.CALLS,), include_heuristic=include_heuristic,
                                      limit=10_000, deadline=deadline)
        for impact in radius.impacted:
            row = node_row(impact.node)
            row.update(distance=impact.distance, via="CALLS",
                       resolution="heuristic" if impact.heuristic else impact.edge.resolution.value,
                       _heuristic=impact.heuristic)
            rows.append(row)
            edges.append(impact.edge)
        rows.sort(key=lambda r: (r["distance"], r["fqp"], r["id"]))
    return QueryResult(columns, rows, edges, sum(1 for r in rows if r["_heuristic"]), command=command.direction)


def _blast(graph: Graph, command: BlastQuery, include_heuristic: bool, deadline,
           row_limit: int | None) -> QueryResult:
    targets = resolve(graph, command.target, deadline)
    kinds = tuple(EdgeKind(k) for k in command.via) if command.via else queries.EDGE_KINDS_FOR_IMPACT
    radius = queries.blast_radius(graph, targets, depth=command.depth, direction=command.direction, kinds=kinds,
                                  include_heuristic=include_heuristic, limit=10_000, deadline=deadline,
                                  paths_for=row_limit)
    nodes = graph.nodes
    owners = queries.module_owners(graph, deadline)
    rows = []
    edges = []
    by_module: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for index, impact in enumerate(radius.impacted):
        deadline.check()
        owner = owners.get(impact.node.id)
        module = nodes[owner].fqp if owner is not None else ("(external)" if impact.node.external else "")
        by_module[module] = by_module.get(module, 0) + 1
        kind = impact.node.kind.value
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if row_limit is not None and index >= row_limit:        # ranked already: rows only for what is shown
            continue
        row = node_row(impact.node)
        row.update(distance=impact.distance, via=impact.via.value, heuristic=impact.heuristic,
                   fan_in=impact.fan_in, module=module, path=[nodes[i].fqp for i in impact.path])
        rows.append(row)
    summary = {
        "byModule": [{"module": m, "count": c} for m, c in sorted(by_module.items(), key=lambda kv: (-kv[1], kv[0]))],
        "byKind": [{"kind": k, "count": c} for k, c in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))],
        "total": radius.total,
        "heuristicCount": radius.heuristic_total,
        "targets": [t.fqp for t in targets],
    }
    return QueryResult(["distance", "kind", "fqp", "via", "heuristic", "fan_in", "module"], rows, edges,
                       radius.heuristic_total, truncated=len(rows) < radius.total, total=radius.total,
                       summary=summary, command="blast-radius")


def _path(graph: Graph, command: PathQuery, include_heuristic: bool, deadline) -> QueryResult:
    sources = resolve(graph, command.source, deadline)
    dests = resolve(graph, command.dest, deadline)
    kinds = tuple(EdgeKind(k) for k in command.via) if command.via else queries.PATH_KINDS
    chain = queries.shortest_path(graph, sources, dests, kinds, include_heuristic, deadline=deadline)
    columns = ["step", "kind", "fqp", "via", "resolution"]
    result = QueryResult(columns, [], [], 0, command="path")
    same = {n.id for n in sources} & {n.id for n in dests}
    if not chain and same:                                   # the start is already the end
        node = min((graph.nodes[i] for i in same), key=lambda n: (n.fqp, n.id))
        row = node_row(node)
        row.update(step=0, via=None, resolution=None)
        result.rows.append(row)
        return result
    if chain is None:
        back = queries.shortest_path(graph, dests, sources, kinds, include_heuristic, deadline=deadline)
        note = f"no dependency path from {command.source.text} to {command.dest.text}"
        if back is not None:
            note += f"; there is one the other way: path {command.dest.text} to {command.source.text}"
        result.notes.append(note)
        return result
    first = graph.nodes[chain[0].src]
    row = node_row(first)
    row.update(step=0, via=None, resolution=None, _heuristic=False)
    result.rows.append(row)
    for step, edge in enumerate(chain, 1):
        row = node_row(graph.nodes[edge.dst])
        row.update(step=step, via=edge.kind.value, resolution=edge.resolution.value,
                   _heuristic=edge.resolution is HEURISTIC)
        result.rows.append(row)
    result.edges = list(chain)
    result.heuristic_count = sum(1 for e in chain if e.resolution is HEURISTIC)
    return result


def _cycles(graph: Graph, command: CyclesQuery, deadline) -> QueryResult:
    within = _module_prefix(graph, command.within) if command.within is not None else None
    found = queries.cycles(graph, command.level, within, limit=10_000, deadline=deadline)
    rows = [{"size": len(c.members), "members": [m.fqp for m in c.members], "example": [m.fqp for m in c.example]}
            for c in found]
    edges: list[Edge] = []
    if command.level != "module":
        wanted = queries.LEVEL_EDGES[command.level]
        for cycle in found:
            for a, b in zip(cycle.example, cycle.example[1:]):
                for kind in sorted(wanted):
                    edge = graph.out_edges.get(a.id, {}).get((kind, b.id))
                    if edge is not None:
                        edges.append(edge)
                        break
    result = QueryResult(["size", "members", "example"], rows, edges, 0, command="cycles")
    if command.level == "module":
        result.notes.append("module cycles: a -> b means something in a depends on something in b")
    return result


def _context(graph: Graph, command: ContextQuery, include_heuristic: bool, deadline) -> QueryResult:
    seeds = context_seeds(graph, command.subject, include_heuristic, deadline)
    default = "find query" if isinstance(command.subject, Find) else getattr(command.subject, "text", "")
    context = build_context(graph, seeds, budget_tokens=command.budget, deadline=deadline,
                            include_heuristic=include_heuristic, subject=command.subject_text or default)
    data = context.to_json()
    result = QueryResult(["tokens", "nodes", "sourceTokens", "ratio"], [data], list(context.edges),
                         context.heuristic_count, command="context")
    result.text = context.text
    return result


def context_seeds(graph: Graph, subject: object, include_heuristic: bool, deadline) -> list[Node]:
    """The nodes a context is about: those a target names, or those a `find` selects (at least one)."""
    if isinstance(subject, Find):
        hits, _h, _e, _r = find_nodes(graph, subject, include_heuristic, deadline)
        if not hits:
            raise QueryLanguageError("the query selects no nodes: nothing to give context for", subject.pos,
                                     "loosen the where clause", "empty-result")
        return sorted(hits, key=lambda n: (n.fqp, n.id))
    assert isinstance(subject, TargetRef)
    return resolve(graph, subject, deadline)


def context_of(graph: Graph, target_or_query: str | list[Node], budget_tokens: int = 2000,
               root: Path | str | None = None, deadline: queries.Deadline | None = None,
               include_heuristic: bool = True, label: str | None = None) -> Context:
    """The context of a target (an FQP, a name, a SigHash, or the nodes themselves) or of a `find ...` query:
    resolved to nodes here, then ``context.build_context``."""
    deadline = deadline or queries.Deadline(1000.0)
    if isinstance(target_or_query, list):
        return build_context(graph, target_or_query, budget_tokens, root, deadline, include_heuristic, label)
    text = target_or_query.strip()
    subject: object = TargetRef(text, 0)
    if text.lower().startswith(("find ", "find\t")):
        query = parse(text)
        subject = query.command
        include_heuristic = include_heuristic and not query.exclude_heuristic
    seeds = context_seeds(graph, subject, include_heuristic, deadline)
    return build_context(graph, seeds, budget_tokens, root, deadline, include_heuristic, label or text)
