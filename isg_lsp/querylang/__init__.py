"""The query language for AI assistants (docs/query-language.md).

``run_query(graph, text)`` parses (cached by text), plans and runs one query against the in-memory graph within a
time budget and a row cap, and returns a ``QueryResult``. Queries never become SQL text: ``find`` queries compile
to parameterized SQL over the read-only views only when no graph is at hand (``graph=None`` with a database).
Every failure is a ``QueryLanguageError`` with a position and, where one exists, a hint.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import queries
from ..graph import Graph
from .execute import QueryResult, context_of, execute, node_row, why_notes
from .syntax import CyclesQuery, QueryLanguageError, Query, parse

__all__ = ["QueryLanguageError", "QueryResult", "Query", "parse", "run_query", "node_row", "context_of", "why_notes"]

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
DEFAULT_BUDGET_MS = 250.0


def _load_graph_algorithms() -> None:
    import networkx  # noqa: F401 - cycles use it; a second import is free


def run_query(
    graph: Graph | None,
    text: str,
    store_path: Path | None = None,
    limit: int = DEFAULT_LIMIT,
    budget_ms: float = DEFAULT_BUDGET_MS,
) -> QueryResult:
    """Runs one query. ``limit`` caps the rows (a query's own ``limit`` may only lower it); ``budget_ms`` bounds
    the time: past it the query stops with ``QueryLanguageError('budget exceeded ...')``."""
    query = parse(text)
    if isinstance(query.command, CyclesQuery):
        _load_graph_algorithms()  # networkx loads on first use; its import (~0.15 s) is not the query's time
    started = time.perf_counter()
    cap = max(1, min(int(limit or DEFAULT_LIMIT), MAX_LIMIT))
    deadline = queries.Deadline(float(budget_ms), started)
    try:
        if graph is None:
            if store_path is None:
                raise QueryLanguageError("no graph and no database to query", 0, None, "unavailable")
            from .sqlplan import run_find_sql

            result = run_find_sql(Path(store_path), query, cap, float(budget_ms))
        else:
            result = execute(graph, query, cap, deadline)
    except queries.BudgetExceeded as error:
        raise QueryLanguageError(
            str(error), 0, "narrow the query: a where clause, a lower depth, a limit", "budget"
        ) from None
    except queries.QueryError as error:
        raise QueryLanguageError(str(error), 0, None, "invalid") from None
    except RecursionError:
        raise QueryLanguageError("query too complex", 0, None, "too-complex") from None
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result
