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
from ..targets import MAX_SYMBOLS, TargetError, Targets, module_prefix, origin_of, resolve_targets
from .syntax import (
    And,
    BlastQuery,
    CallsQuery,
    ContextQuery,
    CyclesQuery,
    FieldTest,
    Find,
    IsExternal,
    Not,
    Or,
    PathQuery,
    Query,
    QueryLanguageError,
    Relation,
    TargetRef,
    WhoImplements,
    parse,
)

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
    text: str | None = None  # the context command's text (triples and signatures)
    targets: list[Targets] = field(default_factory=list)  # what the query's targets resolved to
    columns_ordered: bool = False  # `order by` was asked: rows in that order, as a table

    def to_json(self) -> dict:
        data = {
            "columns": self.columns,
            "rows": self.rows,
            "heuristicCount": self.heuristic_count,
            "truncated": self.truncated,
            "elapsedMs": round(self.elapsed_ms, 3),
        }
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
        if self.targets:
            data["targets"] = [t.to_json() for t in self.targets]
        return data

    def target_lines(self) -> list[str]:
        """What the targets resolved to, one line each (`target: ...`; a path's `from: ...` and `to: ...`)."""
        labels = ("from", "to") if self.command == "path" else ("target",) * len(self.targets)
        return [f"{label}: {t.statement()}" for label, t in zip(labels, self.targets)]

    def to_text(self) -> str:
        if self.command == "blast-radius" and self.summary is not None and not self.columns_ordered:
            return self._impact_text()
        lines = self.target_lines()
        if not self.rows:
            lines.append("(no results)")
        else:
            lines.append("\t".join(self.columns))
            for row in self.rows:
                lines.append("\t".join(_cell(row.get(c)) for c in self.columns))
        if self.truncated:
            lines.append(f"(truncated: {len(self.rows)} of {self.total if self.total is not None else 'more'} rows)")
        if self.heuristic_count:
            many = self.heuristic_count > 1
            lines.append(
                f"({self.heuristic_count} of these {'rest' if many else 'rests'} on heuristic edges; "
                f"add 'exclude heuristic' to leave {'them' if many else 'it'} out)"
            )
        if self.summary:
            for key in ("byModule", "byKind"):
                if self.summary.get(key):
                    label = "by module" if key == "byModule" else "by kind"
                    lines.append(
                        f"{label}: " + ", ".join(f"{next(iter(v.values()))} {v['count']}" for v in self.summary[key])
                    )
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _impact_text(self) -> str:
        """A blast radius as text: the summary first (how many, how far, which modules, where it stopped), then the
        rows within the budget, grouped by module (modules in the order of their nearest row)."""
        summary = self.summary or {}
        lines = self.target_lines()
        distances = ", ".join(f"{d['count']} at distance {d['distance']}" for d in summary.get("byDistance", ()))
        modules = summary.get("byModule") or []
        total = summary.get("total", 0)
        lines.append(
            f"impact: {total} node{'s' if total != 1 else ''}"
            + (f" ({distances})" if distances else "")
            + f" in {len(modules)} module{'s' if len(modules) != 1 else ''}"
            + (f"; {self.heuristic_count} through heuristic edges" if self.heuristic_count else "")
        )
        if modules:
            lines.append(
                "by module: "
                + ", ".join(f"{m['module'] or '(none)'} {m['count']}" for m in modules[:12])
                + (f", ... ({len(modules) - 12} more)" if len(modules) > 12 else "")
            )
        if summary.get("byKind"):
            lines.append("by kind: " + ", ".join(f"{k['kind']} {k['count']}" for k in summary["byKind"]))
        if self.rows:
            lines.append("distance\tkind\tfqp\tvia\theuristic\tfan_in\tstop")
            counts = {m["module"]: m["count"] for m in modules}
            groups: dict[str, list[dict]] = {}
            for row in self.rows:
                groups.setdefault(row.get("module") or "", []).append(row)
            for module, group in groups.items():
                lines.append(f"# {module or '(no module)'}: {len(group)} of {counts.get(module, len(group))}")
                for row in group:
                    stop = ("external" if row.get("file") is None else "hub") if row.get("hub") else ""
                    lines.append(
                        "\t".join(_cell(row.get(c)) for c in ("distance", "kind", "fqp", "via", "heuristic", "fan_in"))
                        + f"\t{stop}"
                    )
        elif not total:
            lines.append("(no results)")
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
    return {
        "kind": node.kind._value_,  # `.value` is an enum descriptor call: rows are built by the hundred
        "name": node.name,
        "fqp": node.fqp,
        "lang": node.lang,
        "file": node.file,
        "line": node.span[0] + 1 if node.span else None,
        "visibility": node.visibility,
        "signature": node.signature,
        "id": node.id.hex(),
    }


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


def resolve_ref(graph: Graph, ref: TargetRef, deadline, role: str = "any", what: str = "node") -> Targets:
    """A target of the query, resolved as every entry point resolves targets (``targets.resolve_targets``); an
    error carries the target's position."""
    try:
        return resolve_targets(graph, ref.text, role, deadline)
    except TargetError as error:
        if error.code != "unknown-target":
            raise QueryLanguageError(error.message, ref.pos, error.hint, error.code) from None
        hint = f"did you mean {error.suggestion!r}?" if error.suggestion else error.hint
        raise QueryLanguageError(f"no {what} matches {ref.text.strip()!r}", ref.pos, hint, error.code) from None


def resolve(graph: Graph, ref: TargetRef, deadline, what: str = "node", role: str = "any") -> list[Node]:
    """The nodes of a target (``resolve_ref``'s symbols, flattened)."""
    return resolve_ref(graph, ref, deadline, role, what).nodes


def _all_nodes(graph: Graph):
    return graph.nodes.values()


# ---- find -------------------------------------------------------------------------------------------------------

FORWARD = {
    "implements": "IMPL",
    "extends": "EXTENDS",
    "accepts": "ACCEPTS",
    "returns": "RETURNS",
    "bound-by": "BOUND_BY",
    "calls": "CALLS",
    "uses": "USES",
}
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
                    owners += list(graph.fqp_index.get(node.fqp[: node.fqp.rfind("::<")], ()))
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
    try:
        return module_prefix(graph, ref.text)
    except TargetError as error:
        raise QueryLanguageError(error.message, ref.pos, error.hint, "unknown-target") from None


class _FindPlan:
    def __init__(self, graph: Graph, find: Find, include_heuristic: bool, deadline) -> None:
        self.graph = graph
        self.include_heuristic = include_heuristic
        self.deadline = deadline
        self.relations: dict[int, _RelMatch] = {}  # id(Relation) -> matches
        self.positive: list[_RelMatch] = []  # relations not under a `not`
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
        result = _cycles(graph, command, include_heuristic, deadline)
    else:
        assert isinstance(command, ContextQuery), command
        result = _context(graph, command, include_heuristic, deadline)
    if query.order:
        _order(result.rows, query.order)
        result.columns_ordered = True
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
    targets = resolve_ref(graph, command.target, deadline, "implementable", "trait")
    rows = []
    edges = []
    for symbol in targets.symbols:
        for r in queries.who_implements(graph, list(symbol.nodes), include_heuristic):
            deadline.check()
            row = node_row(r.node)
            row.update(
                target=symbol.fqp,
                via=r.edge.kind.value,
                resolution=r.edge.resolution.value,
                derived=r.edge.derived,
                _heuristic=r.edge.resolution is HEURISTIC,
            )
            if r.node.external:  # a type from elsewhere: where its impl is written, and whence
                row["from"] = origin_of(r.node)
                row["file"], row["line"] = impl_site(graph, r.node, r.edge, deadline)
            rows.append(row)
            edges.append(r.edge)
    columns = ["kind", "fqp", "via", "resolution", "file", "line"]
    if any("from" in r for r in rows):
        columns.append("from")
    result = QueryResult(
        _with_target(columns, targets),
        rows,
        edges,
        sum(1 for r in rows if r["_heuristic"]),
        command="who-implements",
        targets=[targets],
    )
    result.notes.extend(_why(graph, targets, rows, include_heuristic, "implementors", deadline))
    return result


def _with_target(columns: list[str], targets: Targets) -> list[str]:
    """The columns, with the target each row answers first when the text named several symbols."""
    return ["target"] + columns if len(targets.symbols) > 1 else columns


def impl_site(graph: Graph, implementor: Node, edge: Edge, deadline) -> tuple[str | None, int | None]:
    """Where the impl of a type from outside the workspace is written: the file whose facts hold the edge, and the
    line of the impl's first member there (an impl without members: no line)."""
    memo = queries.graph_memo(graph)
    sites = memo.get("edge_files")
    if sites is None:
        sites = {}
        for path in sorted(graph.files):
            deadline.check()
            for e in graph.files[path].edges:
                if e.kind is EdgeKind.IMPL or e.kind is EdgeKind.EXTENDS:
                    sites.setdefault(e.key, path)
        memo["edge_files"] = sites
    file = sites.get(edge.key)
    if file is None:
        return None, None
    trait = graph.nodes.get(edge.dst)
    members = memo.get(("impl_sites", file))
    if members is None:
        members = memo[("impl_sites", file)] = _impl_sites(graph, file)
    lines = [line for name, line in members.get(implementor.fqp, ()) if trait is None or name == trait.name]
    return file, min(lines) if lines else None


def _impl_sites(graph: Graph, file: str) -> dict[str, list[tuple[str, int]]]:
    """The members of a file's trait impls (`<X as path::Tr>::m`), by implementor `X`: the trait's name as written
    and the member's line. Each `" as "` of an FQP is read as a possible split (an implementor's path may hold one),
    so that a lookup by the implementor finds what a prefix test on every member would."""
    found: dict[str, list[tuple[str, int]]] = {}
    for node in graph.nodes_in_file(file):
        fqp = node.fqp
        if node.span is None or not fqp.startswith("<"):
            continue
        at = fqp.find(" as ")
        while at != -1:
            trait_written = fqp[at + 4 :].rpartition(">::")[0]
            name = trait_written.replace(".", "::").rsplit("::", 1)[-1]
            found.setdefault(fqp[1:at], []).append((name, node.span[0] + 1))
            at = fqp.find(" as ", at + 1)
    return found


LANGUAGE_GAPS: dict = {
    ("rust", "implementors"): "impls a macro writes, and blanket impls over a type parameter (impl<T: Bound> Trait "
    "for T), are out of a syntactic parser's reach",
    ("go", "implementors"): "Go's implementations are matched by method sets, always as heuristic edges",
    ("python", "implementors"): "classes that satisfy a Protocol without naming it as a base are not recorded",
    ("typescript", "implementors"): "types that satisfy an interface without naming it (structural typing) are not "
    "recorded",
    "callers": "calls whose callee could not be resolved (a receiver of unknown type with too many same-named "
    "methods, a call through a function value or inside a macro's arguments) are counted as unresolved, "
    "never linked",
}


def _why(
    graph: Graph, targets: Targets, rows: list[dict], include_heuristic: bool, what: str, deadline, depth: int = 1
) -> list[str]:
    return why_notes(graph, targets, {r.get("target") for r in rows}, include_heuristic, what, deadline, depth)


def why_notes(
    graph: Graph,
    targets: Targets,
    answered: set,
    include_heuristic: bool,
    what: str,
    deadline=queries.NO_DEADLINE,
    depth: int = 1,
) -> list[str]:
    """Notes that say why the answer about a symbol is empty (``answered``: the FQPs of the symbols that have
    rows), and what `exclude heuristic` left out. ``what``: implementors, callers or callees."""
    notes = []
    asked = {"implementors": queries.who_implements, "callers": queries.callers, "callees": queries.callees}[what]
    found = answered
    if len(targets.symbols) > MAX_SYMBOLS:  # a glob: one note, not one per symbol
        empty = sum(1 for symbol in targets.symbols if symbol.fqp not in found)
        return [f"{empty} of the {len(targets.symbols)} symbols {targets.text!r} names have no {what}"] if empty else []
    for symbol in targets.symbols:
        deadline.check()
        node = symbol.node
        kind = node.kind.long_name.replace("_", " ")
        left_out = 0
        if not include_heuristic and depth == 1:
            left_out = len(asked(graph, list(symbol.nodes), True)) - len(asked(graph, list(symbol.nodes), False))
        if left_out:
            notes.append(
                f"{left_out} {what if left_out > 1 else what[:-1]} of {symbol.fqp} "
                f"{'rest' if left_out > 1 else 'rests'} on heuristic edges (guesses by name) and "
                f"{'were' if left_out > 1 else 'was'} left out by 'exclude heuristic'"
            )
        if symbol.fqp in found:
            continue
        if not targets.fits:
            if what == "implementors":
                notes.append(
                    f"{symbol.fqp} is a {kind}: nothing implements or extends it (who-implements takes "
                    f"traits, interfaces, classes and the methods a trait declares)"
                )
            else:
                notes.append(
                    f"{symbol.fqp} is a {kind}: only functions and methods have {what} (blast-radius "
                    f"{symbol.fqp} shows what depends on it)"
                )
            continue
        if left_out:
            continue
        subject = f"{symbol.fqp} ({'external ' if symbol.external else ''}{kind})"
        if what == "implementors":
            note = f"nothing in the graph implements {subject}"
        elif what == "callers":
            note = f"no function in the graph calls {subject}"
            note += _through_trait(graph, node)
        else:
            note = f"{subject} calls no function of the graph"
            if node.file is not None and node.id in graph.nodes:
                note += " (calls whose callee could not be resolved are counted as unresolved, never guessed)"
        gap = LANGUAGE_GAPS.get((node.lang, what)) or LANGUAGE_GAPS.get(what)
        if gap and what != "callees":
            note += f"; {gap}"
        notes.append(note)
    return notes


def _through_trait(graph: Graph, node: Node) -> str:
    """For a method of a trait impl (`<T as Tr>::m`): calls through the trait land on `Tr::m`."""
    if not node.fqp.startswith("<") or " as " not in node.fqp:
        return ""
    inside, _, name = node.fqp.rpartition(">::")
    trait = inside.split(" as ", 1)[1]
    for declared in graph.by_fqp(f"{trait}::{name}", include_external=False):
        count = len(queries.callers(graph, [declared]))
        return (
            f" directly; calls through the trait land on {declared.fqp} ({count} caller{'s' if count != 1 else ''}:"
            f" callers {declared.fqp})"
        )
    return ""


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
            edges.extend(
                sorted(
                    graph.out_edges.get(node.id, {}).values(),
                    key=lambda e: (e.kind.value, graph.nodes[e.dst].fqp if e.dst in graph.nodes else ""),
                )
            )
    result = QueryResult(list(NODE_COLUMNS), rows, edges, sum(1 for r in rows if r["_heuristic"]), command="find")
    if not rows:
        result.notes.append(
            "no node satisfies the query"
            + (
                ""
                if command.mentions_external
                else " (external nodes are left out unless the condition says 'is external')"
            )
        )
    return result


def _calls(graph: Graph, command: CallsQuery, include_heuristic: bool, deadline) -> QueryResult:
    targets = resolve_ref(graph, command.target, deadline, "callable", "function")
    columns = ["kind", "fqp", "distance", "resolution", "file", "line"]
    rows = []
    edges = []
    for symbol in targets.symbols:
        nodes = list(symbol.nodes)
        if command.depth == 1:
            fn = queries.callers if command.direction == "callers" else queries.callees
            for r in fn(graph, nodes, include_heuristic):
                row = node_row(r.node)
                row.update(
                    target=symbol.fqp,
                    distance=1,
                    via="CALLS",
                    resolution=r.edge.resolution.value,
                    _heuristic=r.edge.resolution is HEURISTIC,
                )
                rows.append(row)
                edges.append(r.edge)
            continue
        radius = queries.blast_radius(
            graph,
            nodes,
            depth=command.depth,
            direction="up" if command.direction == "callers" else "down",
            kinds=(EdgeKind.CALLS,),
            include_heuristic=include_heuristic,
            limit=10_000,
            deadline=deadline,
        )
        found = []
        for impact in radius.impacted:
            edge = impact.edge
            assert edge is not None, "every impacted node is reached by an edge"
            row = node_row(impact.node)
            row.update(
                target=symbol.fqp,
                distance=impact.distance,
                via="CALLS",
                resolution="heuristic" if impact.heuristic else edge.resolution.value,
                _heuristic=impact.heuristic,
            )
            found.append(row)
            edges.append(edge)
        found.sort(key=lambda r: (r["distance"], r["fqp"], r["id"]))
        rows.extend(found)
    result = QueryResult(
        _with_target(columns, targets),
        rows,
        edges,
        sum(1 for r in rows if r["_heuristic"]),
        command=command.direction,
        targets=[targets],
    )
    result.notes.extend(_why(graph, targets, rows, include_heuristic, command.direction, deadline, command.depth))
    return result


_BLAST_ROW_COST = 30  # characters of the budget a blast-radius row costs besides its FQP (which paths_for relies on)


def _blast(graph: Graph, command: BlastQuery, include_heuristic: bool, deadline, row_limit: int | None) -> QueryResult:
    resolved = resolve_ref(graph, command.target, deadline)
    targets = resolved.nodes
    within = _module_prefix(graph, command.within) if command.within is not None else None
    kinds = tuple(EdgeKind(k) for k in command.via) if command.via else queries.EDGE_KINDS_FOR_IMPACT
    radius = queries.blast_radius(
        graph,
        targets,
        depth=command.depth,
        direction=command.direction,
        kinds=kinds,
        include_heuristic=include_heuristic,
        limit=10_000,
        deadline=deadline,
        # without `within`, the rows shown are a prefix of the ranking no longer than the row limit or what the budget
        # holds (a row costs more than _BLAST_ROW_COST characters of it): only those need their paths
        paths_for=None
        if within is not None
        else min(row_limit if row_limit is not None else 10_000, command.budget * 4 // _BLAST_ROW_COST + 1),
        stop_at_hubs=not command.through_hubs,
    )
    nodes = graph.nodes
    owners = queries.module_owners(graph, deadline)
    rows: list[dict] = []
    by_module: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    by_distance: dict[int, int] = {}
    room = command.budget * 4
    shown = 0
    shown_ids: set[bytes] = set()
    for impact in radius.impacted:
        deadline.check()
        owner = owners.get(impact.node.id)
        module = nodes[owner].fqp if owner is not None else ("(external)" if impact.node.external else "")
        by_module[module] = by_module.get(module, 0) + 1
        kind = impact.node.kind._value_
        by_kind[kind] = by_kind.get(kind, 0) + 1
        by_distance[impact.distance] = by_distance.get(impact.distance, 0) + 1
        if within is not None and not (queries.under(module, within) or queries.under(impact.node.fqp, within)):
            continue
        shown += 1
        cost = len(impact.node.fqp) + _BLAST_ROW_COST
        if (row_limit is not None and len(rows) >= row_limit) or cost > room:  # ranked: the rest is summed up
            room = -1
            continue
        room -= cost
        row = node_row(impact.node)
        row.update(
            distance=impact.distance,
            via=impact.via.value,
            heuristic=impact.heuristic,
            fan_in=impact.fan_in,
            module=module,
            path=[nodes[i].fqp for i in impact.path],
            hub=impact.stop,
        )
        rows.append(row)
        shown_ids.add(impact.node.id)
    summary = {
        "byModule": [{"module": m, "count": c} for m, c in sorted(by_module.items(), key=lambda kv: (-kv[1], kv[0]))],
        "byKind": [{"kind": k, "count": c} for k, c in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))],
        "byDistance": [{"distance": d, "count": c} for d, c in sorted(by_distance.items())],
        "total": radius.total,
        "heuristicCount": radius.heuristic_total,
        "targets": [t.fqp for t in targets],
        "stoppedAt": [
            {
                "fqp": i.node.fqp,
                "kind": i.node.kind.value,
                "external": i.node.external,
                "fanIn": queries.fan_in(graph, i.node.id),
            }
            for i in radius.stopped
        ],
        "hubFanIn": radius.hub_threshold,
    }
    result = QueryResult(
        ["distance", "kind", "fqp", "via", "heuristic", "fan_in", "module"],
        rows,
        [],
        radius.heuristic_total,
        truncated=len(rows) < shown,
        total=shown,
        summary=summary,
        command="blast-radius",
        targets=[resolved],
    )
    result.edges = [i.edge for i in radius.impacted if i.edge is not None and i.node.id in shown_ids]
    what = "depends on" if command.direction == "up" else "is a dependency of"
    if not radius.total:
        result.notes.append(
            f"nothing {what} {', '.join(s.fqp for s in resolved.symbols)} within {command.depth} "
            f"hop{'s' if command.depth > 1 else ''} over {', '.join(k.value for k in kinds)}"
            + ("" if include_heuristic else " (heuristic edges left out)")
        )
    if radius.stopped:
        names = ", ".join(
            f"{i.node.fqp} ({'external' if i.node.external else 'hub'}, fan-in {queries.fan_in(graph, i.node.id)})"
            for i in radius.stopped[:5]
        )
        more = f" and {len(radius.stopped) - 5} more" if len(radius.stopped) > 5 else ""
        result.notes.append(
            f"stopped at {len(radius.stopped)} node{'s' if len(radius.stopped) > 1 else ''} that "
            f"much of the workspace depends on: {names}{more}; add 'through hubs' to go on"
        )
    if result.truncated:
        result.notes.append(
            f"{len(rows)} of {shown} rows within the budget of {command.budget} tokens, nearest "
            f"first; raise 'budget', or ask for one module's rows with 'in MODULE'"
        )
    return result


def _path(graph: Graph, command: PathQuery, include_heuristic: bool, deadline) -> QueryResult:
    source_targets = resolve_ref(graph, command.source, deadline)
    dest_targets = resolve_ref(graph, command.dest, deadline)
    sources, dests = source_targets.nodes, dest_targets.nodes
    kinds = tuple(EdgeKind(k) for k in command.via) if command.via else queries.PATH_KINDS
    chain = queries.shortest_path(graph, sources, dests, kinds, include_heuristic, deadline=deadline)
    columns = ["step", "kind", "fqp", "via", "resolution"]
    result = QueryResult(columns, [], [], 0, command="path", targets=[source_targets, dest_targets])
    same = {n.id for n in sources} & {n.id for n in dests}
    if not chain and same:  # the start is already the end
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
        row.update(
            step=step, via=edge.kind.value, resolution=edge.resolution.value, _heuristic=edge.resolution is HEURISTIC
        )
        result.rows.append(row)
    result.edges = list(chain)
    result.heuristic_count = sum(1 for e in chain if e.resolution is HEURISTIC)
    return result


def _cycles(graph: Graph, command: CyclesQuery, include_heuristic: bool, deadline) -> QueryResult:
    within = _module_prefix(graph, command.within) if command.within is not None else None
    found = queries.cycles(
        graph, command.level, within, limit=10_000, deadline=deadline, include_heuristic=include_heuristic
    )
    rows = [
        {
            "size": len(c.members),
            "members": [m.fqp for m in c.members],
            "example": [m.fqp for m in c.example],
            "heuristic": c.heuristic,
            "_heuristic": c.heuristic,
        }
        for c in found
    ]
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
    result = QueryResult(
        ["size", "heuristic", "members", "example"], rows, edges, sum(1 for c in found if c.heuristic), command="cycles"
    )
    if not rows:
        result.notes.append(
            f"no {command.level}-level cycles"
            + (f" in {within}" if within else "")
            + ("" if include_heuristic else " without heuristic edges")
        )
    if command.level == "module":
        result.notes.append("module cycles: a -> b means something in a depends on something in b")
    return result


def _context(graph: Graph, command: ContextQuery, include_heuristic: bool, deadline) -> QueryResult:
    seeds, label = _seeds_and_label(graph, command.subject, include_heuristic, deadline)
    context = build_context(
        graph,
        seeds,
        budget_tokens=command.budget,
        deadline=deadline,
        include_heuristic=include_heuristic,
        subject=label or command.subject_text,
        include_tests=command.include_tests,
    )
    data = context.to_json()
    result = QueryResult(
        ["tokens", "nodes", "sourceTokens", "ratio"],
        [data],
        list(context.edges),
        context.heuristic_count,
        command="context",
    )
    result.text = context.text
    return result


def context_seeds(graph: Graph, subject: object, include_heuristic: bool, deadline) -> list[Node]:
    """The nodes a context is about: those a target names, or those a `find` selects (at least one)."""
    if isinstance(subject, Find):
        hits, _h, _e, _r = find_nodes(graph, subject, include_heuristic, deadline)
        if not hits:
            raise QueryLanguageError(
                "the query selects no nodes: nothing to give context for",
                subject.pos,
                "loosen the where clause",
                "empty-result",
            )
        return sorted(hits, key=lambda n: (n.fqp, n.id))
    assert isinstance(subject, TargetRef)
    return resolve(graph, subject, deadline)


def _seeds_and_label(graph: Graph, subject: object, include_heuristic: bool, deadline) -> tuple[list[Node], str]:
    """The seeds of a context, and what the header says they are (a target: what it resolved to)."""
    if isinstance(subject, TargetRef):
        targets = resolve_ref(graph, subject, deadline)
        return targets.nodes, targets.statement()
    if isinstance(subject, tuple):
        found = [resolve_ref(graph, ref, deadline) for ref in subject]
        return [n for t in found for n in t.nodes], "; ".join(t.statement() for t in found)
    return context_seeds(graph, subject, include_heuristic, deadline), ""


def context_of(
    graph: Graph,
    target_or_query: str | list[Node],
    budget_tokens: int = 2000,
    root: Path | str | None = None,
    deadline: queries.Deadline | None = None,
    include_heuristic: bool = True,
    label: str | None = None,
    focus=(),
    include_tests: bool = False,
) -> Context:
    """The context of a target (an FQP, a name, a SigHash, or the nodes themselves) or of a `find ...` query, and
    of the targets of ``focus`` (more texts: one context around all of them): resolved to nodes here (every target
    as ``targets.resolve_targets`` reads it), then ``context.build_context``."""
    deadline = deadline or queries.Deadline(1000.0)
    more: list[Node] = []
    statements: list[str] = []
    for text in focus:
        found = resolve_ref(graph, TargetRef(text.strip(), 0), deadline)
        more.extend(found.nodes)
        statements.append(found.statement())
    if isinstance(target_or_query, list):
        return build_context(
            graph, target_or_query + more, budget_tokens, root, deadline, include_heuristic, label, include_tests
        )
    text = target_or_query.strip()
    seeds: list[Node] = []
    statement = ""
    if text:
        subject: object = TargetRef(text, 0)
        if text.lower().startswith(("find ", "find\t")):
            query = parse(text)
            subject = query.command
            include_heuristic = include_heuristic and not query.exclude_heuristic
        seeds, statement = _seeds_and_label(graph, subject, include_heuristic, deadline)
        statement = statement or text
    elif not more:
        raise QueryLanguageError("no target: give a target or a focus", 0, None, "empty")
    label = label or "; ".join(s for s in [statement, *statements] if s)
    return build_context(graph, seeds + more, budget_tokens, root, deadline, include_heuristic, label, include_tests)
