"""``Analysis``: one workspace folder's graph, asked in editor and agent terms, answered in plain data.

Every front end (the language server, the MCP server, the CLI, tests) asks the same questions here, so a feature is
written and tested once. Positions are (workspace-relative path, 0-based line, UTF-16 character); answers are nodes
(``model.Node``) and the plain data of ``analysis/data.py``.

An ``Analysis`` reads its engine's current graph at each call (indexing swaps the graph whole) and a file's text
through ``lines`` (an editor's buffer when the file is open; the file on disk otherwise).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import queries
from ..context import Context
from ..graph import Graph
from ..model import EDGE_KINDS_FOR_IMPACT, EdgeKind, Node, NodeKind, Resolution
from ..querylang import QueryResult, context_of, run_query, why_notes
from ..queries import BlastRadius, Cycle, Related
from ..safety import read_file
from ..targets import Targets, module_prefix, resolve_targets
from . import cursor
from .data import (
    Call,
    Count,
    DatabaseFacts,
    FileRange,
    GraphCounts,
    HoverFacts,
    Lens,
    LensConfig,
    LensFacts,
    NavigationTarget,
    SymbolTree,
    TextRange,
)
from .text import Lines, LinesOf, name_range, within, word_ranges

if TYPE_CHECKING:
    from ..engine import Engine, SqlResult

TYPE_LIKE = frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM})
LENS_HIDDEN = frozenset({NodeKind.GENERIC, NodeKind.MODULE, NodeKind.ASSOC_TYPE})
BLAST_RADIUS_LENS = frozenset({NodeKind.FUNCTION, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.TRAIT})
NOT_REFERENCES = (EdgeKind.CONTAINS, EdgeKind.DEFINES)
EMPTY_QUERY_RESULT: dict[str, Any] = {
    "columns": [],
    "rows": [],
    "heuristicCount": 0,
    "truncated": False,
    "elapsedMs": 0.0,
}


@dataclass
class AnalysisConfig:
    """What answers depend on besides the graph (the server's options). ``include_heuristic`` is the default for
    questions that do not say."""

    include_heuristic: bool = True
    blast_radius_depth: int = 3
    lenses: LensConfig = field(default_factory=LensConfig)


class Analysis:
    """One folder's graph, asked in editor terms (see the module's docstring)."""

    def __init__(self, engine: Engine, lines: LinesOf | None = None, config: AnalysisConfig | None = None) -> None:
        self.engine = engine
        self.config = config or AnalysisConfig()
        self._lines = lines or DiskLines(engine.root)
        self._counts: tuple[int, int, GraphCounts] | None = None

    @property
    def graph(self) -> Graph:
        return self.engine.graph

    @property
    def root(self) -> Path:
        return self.engine.root

    def lines(self, path: str | None) -> Lines | None:
        return self._lines(path) if path else None

    def _include(self, include_heuristic: bool | None) -> bool:
        return self.config.include_heuristic if include_heuristic is None else include_heuristic

    # ---- at a position -------------------------------------------------------------------------------------

    def node_at(self, path: str, line: int, character: int) -> Node | None:
        """The innermost declaration whose span holds the position."""
        return cursor.innermost_declaration(self.graph, path, line, character)

    def declarations_at(self, path: str, line: int, character: int, best_only: bool = False) -> list[Node]:
        """What the name at a position refers to, best first (``cursor.declarations_at``)."""
        return cursor.declarations_at(self.graph, self.lines(path), path, line, character, best_only)

    def targets_at(self, path: str, line: int, character: int) -> list[Node]:
        """The nodes a position names for a question about them: what its name refers to, else the declaration
        around it."""
        nodes = self.declarations_at(path, line, character, best_only=True)
        if not nodes:
            inner = self.node_at(path, line, character)
            nodes = [inner] if inner is not None else []
        return nodes

    def definitions(self, path: str, line: int, character: int) -> list[Node]:
        return self.declarations_at(path, line, character)

    def implementations(self, path: str, line: int, character: int) -> list[Node]:
        """What implements the trait (or the trait method) named at a position."""
        targets = self.declarations_at(path, line, character, best_only=True)
        return [r.node for r in self.implementors(targets)]

    def references(
        self,
        path: str,
        line: int,
        character: int,
        include_declaration: bool = True,
        include_heuristic: bool | None = None,
    ) -> list[FileRange]:
        """Where the declarations named at a position are used: the name inside each declaration that refers to
        them (by an edge of the graph), else that declaration's own name."""
        graph = self.graph
        include = self._include(include_heuristic)
        found: dict[tuple[str, int, int], FileRange] = {}
        texts: dict[str, Lines | None] = {}  # each file's text once per answer (reading it stats the file)

        def add(file: str, rng: TextRange) -> None:
            found.setdefault((file, rng.start_line, rng.start_character), FileRange(file, rng))

        def lines_of(file: str) -> Lines | None:
            if file not in texts:
                texts[file] = self.lines(file)
            return texts[file]

        for target in self.declarations_at(path, line, character, best_only=True):
            if include_declaration and target.file and target.span:
                add(target.file, name_range(target, self.lines(target.file)))
            for edge in graph.predecessors(target.id):
                if edge.kind in NOT_REFERENCES or (edge.resolution is Resolution.HEURISTIC and not include):
                    continue
                user = graph.nodes.get(edge.src)
                if user is None or user.file is None or user.span is None:
                    continue
                lines = lines_of(user.file)
                for rng in word_ranges(lines, target.name, user.span) or [name_range(user, lines)]:
                    add(user.file, rng)
        return list(found.values())

    def hover(self, path: str, line: int, character: int) -> HoverFacts | None:
        """The facts a hover shows: the declaration, what it implements, who implements or calls it."""
        nodes = self.declarations_at(path, line, character, best_only=True)
        if not nodes:
            return None
        graph, node, include = self.graph, nodes[0], self.config.include_heuristic
        implements = sorted(
            {
                graph.nodes[e.dst].name
                for e in graph.successors(node.id, (EdgeKind.IMPL, EdgeKind.EXTENDS))
                if e.dst in graph.nodes
            }
        )
        implemented_by = called_by = None
        if node.kind is NodeKind.TRAIT or (
            node.kind is NodeKind.FUNCTION and any(True for _ in graph.predecessors(node.id, (EdgeKind.DEFINES,)))
        ):
            implemented_by = _count(queries.who_implements(graph, [node], include))
        if node.kind is NodeKind.FUNCTION:
            called_by = _count(queries.callers(graph, [node], include))
        return HoverFacts(node, implements, implemented_by, called_by, len(nodes))

    def call_hierarchy_at(self, path: str, line: int, character: int) -> list[NavigationTarget]:
        nodes = self.declarations_at(path, line, character, best_only=True)
        return [self.navigation_target(n) for n in nodes if n.kind is NodeKind.FUNCTION and n.file and n.span]

    def type_hierarchy_at(self, path: str, line: int, character: int) -> list[NavigationTarget]:
        nodes = self.declarations_at(path, line, character, best_only=True)
        return [self.navigation_target(n) for n in nodes if n.kind in TYPE_LIKE and n.file and n.span]

    # ---- about nodes ---------------------------------------------------------------------------------------

    def node(self, node_id: bytes) -> Node | None:
        return self.graph.nodes.get(node_id)

    def fqp_of(self, node_id: bytes) -> str:
        node = self.graph.nodes.get(node_id)
        return node.fqp if node is not None else node_id.hex()

    def navigation_target(self, node: Node) -> NavigationTarget:
        """A declaration with the range of its name (``node`` must have a file and a span)."""
        return NavigationTarget(node, name_range(node, self.lines(node.file)))

    def resolve(self, text: str, role: str = "any") -> Targets:
        """What a target written by a user names (``targets.resolve_targets``: an FQP, a public path, a name,
        `Type::member`, a SigHash, a glob), grouped by symbol; ``role`` keeps what a question is about
        (``implementable``, ``callable``, ``module``, ``type``). Raises ``targets.TargetError``."""
        return resolve_targets(self.graph, text, role)

    def notes(self, targets: Targets, what: str, include_heuristic: bool | None = None) -> list[str]:
        """Why an answer about targets (``what``: implementors, callers, callees) is empty for some of them, and what
        `exclude heuristic` left out (``querylang.why_notes``)."""
        asked = {"implementors": self.implementors, "callers": self.callers, "callees": self.callees}[what]
        answered = {s.fqp for s in targets.symbols if asked(list(s.nodes), include_heuristic)}
        return why_notes(self.graph, targets, answered, self._include(include_heuristic), what)

    def implementors(self, targets: list[Node], include_heuristic: bool | None = None) -> list[Related]:
        """Types implementing (or extending) the targets; for a trait method, the methods implementing it."""
        return queries.who_implements(self.graph, targets, self._include(include_heuristic))

    def callers(self, targets: list[Node], include_heuristic: bool | None = None) -> list[Related]:
        return queries.callers(self.graph, targets, self._include(include_heuristic))

    def callees(self, targets: list[Node], include_heuristic: bool | None = None) -> list[Related]:
        return queries.callees(self.graph, targets, self._include(include_heuristic))

    def unresolved_calls(self, targets: list[Node]) -> list[str]:
        """Call names in the targets' bodies that resolve to nothing (the graph keeps them as references only)."""
        graph = self.graph
        names: set[str] = set()
        for target in targets:
            state = graph.files.get(target.file) if target.file is not None else None
            if state is None:
                continue
            called = {
                graph.nodes[e.dst].name for e in graph.successors(target.id, (EdgeKind.CALLS,)) if e.dst in graph.nodes
            }
            for ref in state.facts.references:
                if ref.kind is EdgeKind.CALLS and ref.src == target.id and ref.path and ref.path[-1] not in called:
                    names.add(ref.path[-1])
        return sorted(names)

    def incoming_calls(self, node: Node) -> list[Call]:
        """The callers of a function, each with where it names the function."""
        out = []
        for related in self.callers([node]):
            caller = related.node
            if caller.file is None or caller.span is None:
                continue
            lines = self.lines(caller.file)
            focus = name_range(caller, lines)
            out.append(Call(NavigationTarget(caller, focus), word_ranges(lines, node.name, caller.span) or [focus]))
        return out

    def outgoing_calls(self, node: Node) -> list[Call]:
        """The functions a function calls, each with where the caller names it."""
        lines = self.lines(node.file)
        out = []
        for related in self.callees([node]):
            callee = related.node
            if callee.file is None or callee.span is None:
                continue
            assert node.span is not None
            ranges = word_ranges(lines, callee.name, node.span) or [name_range(node, lines)]
            out.append(Call(self.navigation_target(callee), ranges))
        return out

    def supertypes(self, node: Node) -> list[NavigationTarget]:
        graph = self.graph
        kinds = [EdgeKind.IMPL, EdgeKind.EXTENDS] + ([EdgeKind.BOUND_BY] if node.kind is NodeKind.TRAIT else [])
        return self._types(graph.nodes.get(e.dst) for e in graph.successors(node.id, kinds))

    def subtypes(self, node: Node) -> list[NavigationTarget]:
        graph = self.graph
        found = []
        for edge in graph.predecessors(node.id, (EdgeKind.IMPL, EdgeKind.EXTENDS, EdgeKind.BOUND_BY)):
            other = graph.nodes.get(edge.src)
            if other is not None and (edge.kind is not EdgeKind.BOUND_BY or other.kind is NodeKind.TRAIT):
                found.append(other)
        return self._types(found)

    def _types(self, nodes: Iterable[Node | None]) -> list[NavigationTarget]:
        unique = {n.id: n for n in nodes if n is not None and not n.external and n.file and n.span}
        return [self.navigation_target(n) for n in sorted(unique.values(), key=lambda n: n.fqp)]

    def impact(
        self,
        targets: list[Node],
        depth: int | None = None,
        direction: str = "up",
        kinds: Sequence[EdgeKind] = EDGE_KINDS_FOR_IMPACT,
        include_heuristic: bool | None = None,
        limit: int = 500,
        through_hubs: bool = False,
    ) -> BlastRadius:
        """What a change to the targets may reach (``queries.blast_radius``), ``depth`` hops at most; external nodes
        and hubs are reached but not walked through unless ``through_hubs``."""
        depth = self.config.blast_radius_depth if depth is None else depth
        return queries.blast_radius(
            self.graph,
            targets,
            depth=depth,
            direction=direction,
            kinds=kinds,
            include_heuristic=self._include(include_heuristic),
            limit=limit,
            stop_at_hubs=not through_hubs,
        )

    def impact_by_module(self, radius: BlastRadius) -> list[tuple[str, int]]:
        return radius.by_module(self.graph)

    # ---- files ---------------------------------------------------------------------------------------------

    def file_symbols(self, path: str) -> list[Node] | None:
        """A file's declarations (generic parameters left out), or None when the file is not indexed."""
        state = self.graph.files.get(path)
        if state is None:
            return None
        return [n for n in state.facts.nodes if n.kind is not NodeKind.GENERIC]

    def document_symbols(self, path: str) -> list[SymbolTree] | None:
        """A file's declarations as a tree, nested by their spans. The file's own module and generic parameters
        are left out (they would wrap or clutter everything)."""
        state = self.graph.files.get(path)
        if state is None:
            return None
        nodes = state.facts.nodes
        lines = self.lines(path)
        shown = [n for n in nodes if n.span is not None and n.kind is not NodeKind.GENERIC]
        if shown:
            widest = max(shown, key=lambda n: (_span(n)[2] - _span(n)[0], -_span(n)[0]))
            if widest.kind is NodeKind.MODULE and _span(widest)[:2] == (0, 0):
                shown = [n for n in shown if n is not widest]
        shown.sort(key=lambda n: (_span(n)[0], _span(n)[1], -_span(n)[2], -_span(n)[3]))
        type_fqps = {n.fqp for n in nodes if n.kind in TYPE_LIKE}
        roots: list[SymbolTree] = []
        stack: list[SymbolTree] = []
        seen: set[bytes] = set()
        for node in shown:
            if node.id in seen:
                continue
            seen.add(node.id)
            while stack and not within(_span(node), _span(stack[-1].node)):
                stack.pop()
            parent = stack[-1].node if stack else None
            symbol = SymbolTree(node, name_range(node, lines), is_method(node, parent, type_fqps))
            (stack[-1].children if stack else roots).append(symbol)
            stack.append(symbol)
        return roots

    def lenses(self, path: str, config: LensConfig | None = None) -> list[Lens] | None:
        """The code lenses of a file's declarations: implementations and callers answered at once, blast radius
        left to ``lens`` (it costs more). None when the file is not indexed."""
        graph = self.graph
        state = graph.files.get(path)
        if state is None:
            return None
        config = config or self.config.lenses
        out = []
        for node in state.facts.nodes:
            if node.span is None or node.kind in LENS_HIDDEN:
                continue
            start = TextRange.at(node.span[0], node.span[1])
            if config.implementations and has_implementations(graph, node):
                out.append(Lens("implementations", node, start, self.lens(node, "implementations")))
            if config.callers and node.kind is NodeKind.FUNCTION:
                out.append(Lens("callers", node, start, self.lens(node, "callers")))
            if config.blast_radius and node.kind in BLAST_RADIUS_LENS:
                out.append(Lens("blastRadius", node, start))
        return out

    def lens(self, node: Node, kind: str) -> LensFacts:
        """A lens's answer: "implementations", "callers", else the blast radius."""
        if kind == "implementations":
            related = self.implementors([node])
            title, nodes = _counted_title(related, "implementation", "implementations"), [r.node for r in related]
        elif kind == "callers":
            related = self.callers([node])
            title, nodes = _counted_title(related, "caller", "callers"), [r.node for r in related]
        else:
            radius = self.impact([node])
            title = f"blast radius: {radius.total}" + (
                f" ({radius.heuristic_count} heuristic)" if radius.heuristic_count else ""
            )
            nodes = [i.node for i in radius.impacted]
        return LensFacts(title, f"{title} of {node.name}", nodes)

    # ---- the whole graph -----------------------------------------------------------------------------------

    def search(
        self, pattern: str, kinds: Iterable[NodeKind] | None = None, field_name: str = "name", limit: int = 100
    ) -> tuple[list[Node], int]:
        """Nodes whose name (FQP, signature) contains the pattern or matches it as a glob; and how many in all."""
        return queries.search(self.graph, pattern, kinds, field_name, limit)

    def symbols(self, query: str, limit: int = 500) -> list[Node]:
        """Declarations for a symbol search by name (generic parameters left out)."""
        nodes, _ = queries.search(self.graph, query, field_name="name", limit=limit)
        return [n for n in nodes if n.kind is not NodeKind.GENERIC]

    def cycles(
        self, level: str = "module", within: str | None = None, limit: int = 50, include_heuristic: bool | None = None
    ) -> list[Cycle]:
        """Cycles at a level, in a module (any form of ``targets.module_prefix``: an unknown one is a
        ``TargetError``); without heuristic edges when ``include_heuristic`` is false."""
        prefix = module_prefix(self.graph, within) if within else None
        return queries.cycles(self.graph, level, prefix, limit, include_heuristic=self._include(include_heuristic))

    def query(self, text: str, limit: int = 1000) -> QueryResult:
        """One query of the query language (docs/query-language.md). Raises ``QueryLanguageError``."""
        store_path = self.engine.db_path if self.engine.store is not None else None
        return run_query(self.graph, text, store_path=store_path, limit=limit)

    def query_json(self, text: str, limit: int = 1000, triples: bool = False) -> dict[str, Any]:
        """``query``'s answer as JSON (docs/protocol.md, isg/query); with ``triples``, also as triples."""
        graph = self.graph
        result = run_query(
            graph, text, store_path=self.engine.db_path if self.engine.store is not None else None, limit=limit
        )
        data = result.to_json()
        if triples:
            data["triples"] = result.triples_text(graph)
        return data

    def triples(self, result: QueryResult) -> str:
        """A query's answer as the spec's triples."""
        return result.triples_text(self.graph)

    def context(
        self,
        subject: str | list[Node],
        budget_tokens: int = 2000,
        include_heuristic: bool = True,
        focus: Sequence[str] = (),
        include_tests: bool = False,
    ) -> Context:
        """Context for a language model about a target, some nodes, or a `find` query, and the targets of ``focus``
        (one context around all of them; context.py). Tests and boilerplate come last unless ``include_tests``."""
        return context_of(
            self.graph,
            subject,
            budget_tokens=budget_tokens,
            root=self.root,
            include_heuristic=include_heuristic,
            focus=list(focus),
            include_tests=include_tests,
        )

    def map(
        self,
        level: str = "api",
        budget_tokens: int | None = None,
        focus: Sequence[str] = (),
        include_tests: bool = False,
        modules: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The map a model reads (repomap.py, docs/map.md): by default the API within 3% of the folder's source
        tokens; ``budget_tokens`` 0 means no cut. With the source's size and the map's share of it."""
        from ..repomap import default_map

        source_tokens = self.engine.report(measure_map=False).source_tokens
        result = default_map(
            self.graph,
            source_tokens,
            level=level,
            budget=budget_tokens,
            focus=list(focus),
            include_tests=include_tests,
            modules=list(modules) if modules is not None else None,
        )
        return {
            **result.to_json(),
            "sourceTokens": source_tokens,
            "share": round(result.tokens / source_tokens, 5) if source_tokens else 0.0,
        }

    def sql(
        self, text: str, limit: int = 1000, budget_ms: float = 2000.0, cancel: threading.Event | None = None
    ) -> SqlResult:
        """`isg/sql` over the folder's database (``Engine.run_sql``); may run on another thread."""
        return self.engine.run_sql(text, limit=limit, budget_ms=budget_ms, cancel=cancel)

    def counts(self) -> GraphCounts:
        """Counts of the graph, computed once per graph version."""
        graph = self.graph
        cached = self._counts
        if cached is not None and cached[0] == id(graph) and cached[1] == graph.version:
            return cached[2]
        counts = GraphCounts(files=len(graph.files), version=graph.version)
        for node in graph.nodes.values():
            if node.external:
                counts.external += 1
            else:
                counts.nodes_by_kind[node.kind.value] = counts.nodes_by_kind.get(node.kind.value, 0) + 1
        for edge in graph.edges():
            counts.edges_by_kind[edge.kind.value] = counts.edges_by_kind.get(edge.kind.value, 0) + 1
            if edge.resolution is Resolution.HEURISTIC:
                counts.heuristic += 1
        for state in graph.files.values():
            counts.by_language[state.facts.lang] = counts.by_language.get(state.facts.lang, 0) + 1
            counts.unresolved += state.unresolved
            counts.macro_calls += state.facts.macro_calls
        from ..engine import workspace_stand_ins

        counts.stand_ins = workspace_stand_ins(graph)
        self._counts = (id(graph), graph.version, counts)
        return counts

    def database(self) -> DatabaseFacts:
        engine = self.engine
        persistent = engine.store is not None
        return DatabaseFacts(str(engine.db_path) if persistent else None, persistent, engine.store_message)


def merge_query_results(merged: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """Two folders' answers to one query as one: rows, counts and triples added up."""
    if merged is None:
        return data
    merged["rows"] = list(merged.get("rows", [])) + list(data.get("rows", []))
    merged["heuristicCount"] = merged.get("heuristicCount", 0) + data.get("heuristicCount", 0)
    merged["truncated"] = bool(merged.get("truncated")) or bool(data.get("truncated"))
    if "triples" in data:
        merged["triples"] = "\n".join(t for t in (merged.get("triples"), data["triples"]) if t)
    return merged


def is_method(node: Node, parent: Node | None = None, type_fqps: set[str] | frozenset[str] = frozenset()) -> bool:
    """A function declared in a type (an impl member `<T as Tr>::f`, or one whose parent is a type)."""
    return node.kind is NodeKind.FUNCTION and (
        (parent is not None and parent.kind in TYPE_LIKE)
        or node.fqp.startswith("<")
        or node.fqp.rpartition("::")[0] in type_fqps
    )


def has_implementations(graph: Graph, node: Node) -> bool:
    """Whether "implemented by" applies: a trait, or a method a trait declares."""
    if node.kind is NodeKind.TRAIT:
        return True
    if node.kind is NodeKind.FUNCTION:
        return any(
            graph.nodes.get(e.src) is not None and graph.nodes[e.src].kind is NodeKind.TRAIT
            for e in graph.predecessors(node.id, (EdgeKind.DEFINES,))
        )
    return False


def heuristic_count(related: list[Related]) -> int:
    return sum(1 for r in related if r.edge.resolution is Resolution.HEURISTIC)


def _count(related: list[Related]) -> Count:
    return Count(len(related), heuristic_count(related))


def _counted_title(related: list[Related], one: str, many: str) -> str:
    count, heuristic = len(related), heuristic_count(related)
    title = f"{count} {one if count == 1 else many}"
    return title + (f" ({heuristic} heuristic)" if heuristic else "")


def _span(node: Node) -> tuple[int, int, int, int]:
    assert node.span is not None
    return node.span


class DiskLines:
    """Files' lines read from disk, cached while their size and time do not change."""

    def __init__(self, root: Path, size: int = 256) -> None:
        self.root = root
        self.size = size
        self._cache: dict[str, tuple[tuple[int, int], list[str]]] = {}

    def __call__(self, path: str) -> list[str] | None:
        full = self.root / path
        try:
            st = full.stat()
        except OSError:
            return None
        cached = self._cache.get(path)
        if cached is not None and cached[0] == (st.st_size, st.st_mtime_ns):
            return cached[1]
        try:
            lines = read_file(full).decode("utf-8", "replace").split("\n")  # never a FIFO: it would block
        except OSError:
            return None
        if len(self._cache) > self.size:
            self._cache.clear()
        self._cache[path] = ((st.st_size, st.st_mtime_ns), lines)
        return lines

    def clear(self) -> None:
        self._cache.clear()
