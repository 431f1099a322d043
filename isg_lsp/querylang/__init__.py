"""The query language for AI assistants (docs/query-language.md). This first version answers the core commands:
`who-implements X`, `callers X`, `callees X`, `blast-radius X [depth N]`, `cycles [module|type|function]`."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import queries
from .export import triple
from .graph import Graph
from .model import Edge


class QueryLanguageError(ValueError):
    """A query that cannot be run; carries the position (0-based column) and a hint."""

    def __init__(self, message: str, position: int = 0, hint: str | None = None) -> None:
        self.position = position
        self.hint = hint
        text = f"at column {position + 1}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[dict]
    edges: list[Edge] = field(default_factory=list)
    heuristic_count: int = 0
    truncated: bool = False
    elapsed_ms: float = 0.0

    def to_json(self) -> dict:
        return {"columns": self.columns, "rows": self.rows, "heuristicCount": self.heuristic_count,
                "truncated": self.truncated, "elapsedMs": round(self.elapsed_ms, 3)}

    def to_text(self) -> str:
        if not self.rows:
            return "(no results)"
        lines = ["\t".join(self.columns)]
        for row in self.rows:
            lines.append("\t".join("" if row.get(c) is None else str(row.get(c)) for c in self.columns))
        if self.heuristic_count:
            lines.append(f"({self.heuristic_count} of these rest on heuristic edges)")
        return "\n".join(lines)

    def triples_text(self, graph: Graph) -> str:
        return "\n".join(triple(graph, e) for e in self.edges)


def _node_row(node, **extra) -> dict:
    row = {"kind": node.kind.value, "fqp": node.fqp, "file": node.file,
           "line": node.span[0] + 1 if node.span else None, "signature": node.signature}
    row.update(extra)
    return row


def run_query(graph: Graph, text: str, store_path: Path | None = None, limit: int = 1000) -> QueryResult:
    started = time.perf_counter()
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise QueryLanguageError(str(error)) from None
    if not words:
        raise QueryLanguageError("empty query", 0, "try 'who-implements <trait>'")
    command, args = words[0].lower(), words[1:]
    try:
        if command in ("who-implements", "callers", "callees"):
            if not args:
                raise QueryLanguageError(f"{command} needs a target", len(command) + 1)
            targets = queries.require_targets(graph, args[0])
            fn = {"who-implements": queries.who_implements, "callers": queries.callers,
                  "callees": queries.callees}[command]
            related = fn(graph, targets)
            rows = [_node_row(r.node, via=r.edge.kind.value, resolution=r.edge.resolution.value) for r in related]
            result = QueryResult(["kind", "fqp", "via", "resolution", "file", "line"], rows[:limit],
                                 [r.edge for r in related],
                                 sum(1 for r in related if r.edge.resolution.value == "heuristic"),
                                 len(rows) > limit)
        elif command == "blast-radius":
            if not args:
                raise QueryLanguageError("blast-radius needs a target", len(command) + 1)
            depth = int(args[args.index("depth") + 1]) if "depth" in args else 3
            radius = queries.blast_radius(graph, queries.require_targets(graph, args[0]), depth=depth,
                                          limit=limit)
            rows = [_node_row(i.node, distance=i.distance, via=i.via.value, heuristic=i.heuristic)
                    for i in radius.impacted]
            result = QueryResult(["distance", "kind", "fqp", "via", "heuristic", "file", "line"], rows, [],
                                 radius.heuristic_count, radius.truncated)
        elif command == "cycles":
            level = args[0] if args else "module"
            found = queries.cycles(graph, level)
            rows = [{"size": len(c.members), "members": [m.fqp for m in c.members],
                     "example": [m.fqp for m in c.example]} for c in found]
            result = QueryResult(["size", "members", "example"], rows)
        else:
            raise QueryLanguageError(f"unknown command {command!r}", 0,
                                     "commands: who-implements, callers, callees, blast-radius, cycles")
    except queries.QueryError as error:
        raise QueryLanguageError(str(error), 0) from None
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result
