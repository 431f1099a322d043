"""The one place where the MCP server asks questions: plain-data answers over a workspace's graph.

Every function takes a ``View`` (the graph, current with the files on disk, and the workspace root: ``watch.py``)
and returns plain data (dicts, lists, strings) or raises ``ToolError`` with a message that tells the caller how to
ask again. Questions go to the analysis layer (``analysis.Analysis``: queries, context, counts), as the language
server's and the CLI's do; what it does not offer yet comes from the public functions it is built on (the query
language's target resolution, ``export.map_text`` and ``export.triple``). Nothing here answers a question of its own.
"""

from __future__ import annotations

import time
import weakref

from .. import queries
from ..analysis import Analysis
from ..export import triple
from ..graph import Graph
from ..model import Resolution
from ..querylang import QueryLanguageError
from ..targets import TargetError, Targets, resolve_targets, suggest
from ..watch import LiveIndex, View

QUERY_BUDGET_MS = 250.0  # resolving a target (the query language's own budget)


class ToolError(ValueError):
    """A question that cannot be answered as asked; the message says what to send instead."""


# ---- targets ------------------------------------------------------------------------------------------------


def quote(text: str) -> str:
    """A value as the query language reads it back unchanged (docs/query-language.md: \\" and \\\\ escape)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def targets(graph: Graph, text: str, role: str = "any") -> Targets:
    """What a target names (FQP, public path, bare name, `Type::member`, SigHash, glob), grouped by symbol, as
    every entry point resolves it (``targets.resolve_targets``)."""
    text = (text or "").strip()
    if not text:
        raise ToolError(
            "the target is empty: give an FQP (crate::module::Type), a bare name, a partial path "
            "(Type::method) or a SigHash"
        )
    try:
        return resolve_targets(graph, text, role, queries.Deadline(QUERY_BUDGET_MS))
    except TargetError as error:
        if error.code == "ambiguous":
            raise ToolError(f"{error.message}: {error.hint}. Call again with one of them as target") from None
        hint = suggest(graph, text)
        if hint:
            raise ToolError(
                f"no node matches {text!r}; did you mean {hint!r}? Call again with "
                f"target={hint!r}, or find it with isg_query 'find * where name contains \"...\"'"
            ) from None
        raise ToolError(
            f"no node matches {text!r}. Targets are FQPs (crate::module::Type, package.Class.method), "
            f"public paths, bare names, partial paths (Type::method) or SigHashes; search with "
            f"isg_query 'find * where name contains \"{text.split('::')[-1].split('.')[-1]}\"'"
        ) from None
    except queries.QueryError as error:
        raise ToolError(str(error)) from None


def _target_summary(resolved: Targets) -> dict:
    nodes = resolved.nodes
    shown = nodes[:5]
    return {
        "targets": [
            {
                "kind": n.kind.value,
                "fqp": n.fqp,
                "file": n.file,
                "line": n.span[0] + 1 if n.span else None,
                "external": n.external,
            }
            for n in shown
        ],
        "targetCount": len(nodes),
        "symbolCount": len(resolved.symbols),
        "resolved": resolved.statement(),
    }


def _target_note(resolved: Targets) -> list[str]:
    if len(resolved.symbols) <= 1:
        return [] if resolved.how in ("fqp", "id") else [f"target: {resolved.statement()}"]
    return [
        f"{resolved.statement()}; the answer covers all of them (each row's target says which). For one, pass its FQP."
    ]


# ---- questions ------------------------------------------------------------------------------------------------

_ANALYSES: "weakref.WeakKeyDictionary[LiveIndex, Analysis]" = weakref.WeakKeyDictionary()


def analysis_of(live: LiveIndex) -> Analysis:
    """The analysis of a live index's engine (one per index; it reads the engine's current graph at each call)."""
    found = _ANALYSES.get(live)
    if found is None:
        found = _ANALYSES[live] = Analysis(live.engine)
    return found


def _analysis(view: View) -> Analysis:
    if view.live is None:
        raise ToolError("no live index behind this view")  # a View made by hand (tests)
    return analysis_of(view.live)


def _run(view: View, text: str, limit: int) -> dict:
    try:
        result = _analysis(view).query(text, limit=limit)
    except QueryLanguageError as error:
        raise ToolError(_query_error(error, text)) from None
    rows = result.rows
    return {
        "columns": result.columns,
        "rows": rows,
        "heuristicCount": result.heuristic_count,
        "truncated": result.truncated,
        "total": result.total if result.total is not None else len(rows),
        "summary": result.summary,
        "notes": list(result.notes),
        "triples": result.triples,
        "text": result.text,
        "elapsedMs": round(result.elapsed_ms, 3),
        "command": result.command,
        "resolvedTargets": result.target_lines(),
    }


def _query_error(error: QueryLanguageError, text: str) -> str:
    if error.code == "budget":
        return (
            f"{error.message}. Narrow the question: a lower depth, a where clause, exclude_heuristic, or a "
            f"smaller limit"
        )
    where = f" at column {error.position + 1}" if error.position else ""
    message = f"the query {text!r} cannot run{where}: {error.message}"
    if error.hint:
        message += f" ({error.hint})"
    return message


def _modifiers(exclude_heuristic: bool) -> str:
    return " exclude heuristic" if exclude_heuristic else ""


def who_implements(view: View, target: str, exclude_heuristic: bool = False, limit: int = 50) -> dict:
    resolved = targets(view.graph, target, "implementable")
    answer = _run(view, f"who-implements {quote(target)}{_modifiers(exclude_heuristic)}", limit)
    answer.update(_target_summary(resolved))
    answer["notes"] = _target_note(resolved) + answer["notes"]
    return answer


def callers(view: View, target: str, depth: int = 1, exclude_heuristic: bool = False, limit: int = 50) -> dict:
    resolved = targets(view.graph, target, "callable")
    answer = _run(view, f"callers {quote(target)} depth {depth}{_modifiers(exclude_heuristic)}", limit)
    answer.update(_target_summary(resolved))
    answer["notes"] = _target_note(resolved) + answer["notes"]
    return answer


def blast_radius(
    view: View,
    target: str,
    depth: int = 3,
    direction: str = "up",
    exclude_heuristic: bool = False,
    limit: int = 50,
    through_hubs: bool = False,
    budget_tokens: int = 2000,
    module: str | None = None,
) -> dict:
    resolved = targets(view.graph, target)
    options = (
        (" through hubs" if through_hubs else "")
        + f" budget {budget_tokens}"
        + (f" in {quote(module.strip())}" if module and module.strip() else "")
    )
    answer = _run(
        view,
        f"blast-radius {quote(target)} depth {depth} direction {direction}{options}{_modifiers(exclude_heuristic)}",
        limit,
    )
    answer.update(_target_summary(resolved))
    answer["notes"] = _target_note(resolved) + answer["notes"]
    return answer


def query(view: View, text: str, limit: int = 100) -> dict:
    if not (text or "").strip():
        raise ToolError("the query is empty: e.g. 'who-implements Display' or 'find trait where name = \"Shape\"'")
    return _run(view, text, limit)


def context(
    view: View, target: str, budget_tokens: int = 2000, focus: list[str] | None = None, include_tests: bool = False
) -> dict:
    subject = (target or "").strip()
    if not subject.lower().startswith("find"):
        targets(view.graph, subject)  # a clear error, with a suggestion, for a target that is not
    for text in focus or ():
        targets(view.graph, text)
    try:
        found = _analysis(view).context(
            subject, budget_tokens=budget_tokens, focus=focus or (), include_tests=include_tests
        )
    except QueryLanguageError as error:
        raise ToolError(_query_error(error, subject)) from None
    except queries.QueryError as error:
        raise ToolError(str(error)) from None
    return {
        "text": found.text,
        "tokens": found.tokens,
        "budgetTokens": budget_tokens,
        "nodes": found.nodes,
        "sourceTokens": found.source_tokens,
        "ratio": found.ratio,
        "heuristicCount": found.heuristic_count,
        "subject": found.subject,
    }


def workspace_map(
    view: View, module: str | None = None, level: str = "api", max_tokens: int = 4000, focus: str | None = None
) -> dict:
    """The map a model reads (``repomap.render_map``, the function behind ``Analysis.map``, called directly:
    ``Analysis.map`` measures the whole source on every call, ~0.1 s at 100K lines, for a share the tool does not
    show): the workspace or a module and its submodules, at a level of detail, ranked and cut to ``max_tokens`` (0: no
    cut) around an optional focus. A pure function of the graph, so memoized per graph version."""
    from ..repomap import MapError, render_map

    module = module.strip() if module and module.strip() else None
    focus = focus.strip() if focus and focus.strip() else None
    memo = queries.graph_memo(view.graph)
    key = ("mcp-map", module, level, max_tokens, focus)
    answer = memo.get(key)
    if answer is None:
        try:
            result = render_map(
                view.graph,
                level,
                budget=max_tokens or None,
                focus=[focus] if focus else (),
                modules=[module] if module else None,
            )
        except MapError as error:
            stop = "" if str(error).endswith(("?", ".")) else "."
            raise ToolError(
                f"{error}{stop} Call isg_map without a module for the whole workspace, or with one of "
                f"its modules (isg_query 'find module' lists them); levels: modules, api, full"
            ) from None
        answer = memo[key] = result.to_json()
    return dict(answer, module=module)


def node_triples(view: View, target: str, limit: int = 200) -> str:
    """The direct relations of a target (both directions) as the spec's triples, heuristic ones marked."""
    graph = view.graph
    nodes = targets(graph, target).nodes
    lines: list[str] = []
    seen = set()
    for node in nodes[:20]:
        for edges in (graph.out_edges.get(node.id, {}).values(), graph.in_edges.get(node.id, {}).values()):
            for edge in edges:
                if edge.key in seen or edge.src not in graph.nodes or edge.dst not in graph.nodes:
                    continue
                seen.add(edge.key)
                mark = " ~heuristic" if edge.resolution is Resolution.HEURISTIC else ""
                lines.append(triple(graph, edge) + mark)
    lines.sort()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more"]
    return "\n".join(lines) + ("\n" if lines else "")


def stats(live: LiveIndex, view: View | None) -> dict:
    """What the server knows: the index's size and state, the database's role, the watcher's figures."""
    data: dict = {"workspace": str(live.root), "state": live.state}
    if view is not None:
        data.update(_counts(live, view.graph))
        data["skippedFiles"] = len(live.engine.skipped)
    db = live.engine.db_path
    data["database"] = {
        "path": str(db),
        "mode": live.mode,
        "message": live.mode_message,
        "description": _mode_description(live),
    }
    report = live.index_report
    data["index"] = {
        "seconds": round(live.index_seconds, 3),
        "parsed": report.parsed if report else None,
        "reused": report.reused if report else None,
        "error": live.index_error,
    }
    data["watcher"] = {
        "kind": live.watcher_kind,
        "eventsSeen": live.events_seen,
        "filesUpdated": live.updates_applied,
        "lastUpdateSecondsAgo": round(time.time() - live.last_update, 1) if live.last_update else None,
        "updateLatencyMs": live.update_latency.summary(),
    }
    data["answerLatencyMs"] = live.read_latency.summary()
    return data


def _counts(live: LiveIndex, graph: Graph) -> dict:
    """The analysis's counts of the graph (memoized per graph version), with the lines of code."""
    counts = analysis_of(live).counts()
    memo = queries.graph_memo(graph)
    if "loc" not in memo:
        memo["loc"] = sum(state.facts.loc for state in graph.files.values())
    return {
        "files": counts.files,
        "linesOfCode": memo["loc"],
        "nodes": counts.nodes,
        "externalNodes": counts.external,
        "edges": sum(counts.edges_by_kind.values()),
        "heuristicEdges": counts.heuristic,
        "unresolvedReferences": counts.unresolved,
        "nodesByKind": dict(counts.nodes_by_kind),
        "edgesByKind": dict(counts.edges_by_kind),
        "byLanguage": dict(counts.by_language),
        "graphVersion": counts.version,
    }


def _mode_description(live: LiveIndex) -> str:
    if live.mode == "writer":
        return (
            f"this process writes the database {live.engine.db_path} (warm starts read it; `isg-lsp query` and "
            f"isg/sql read it too)"
        )
    if live.mode == "reader":
        return live.mode_message or "another process writes the database; this one keeps its own in-memory index"
    return live.mode_message or "no database: the index lives in memory only"
