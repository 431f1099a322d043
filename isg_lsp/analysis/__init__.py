"""The analysis: the editor- and agent-facing API over a workspace's graph, in plain data.

It sits between the engine (graph, queries, query language) and every front end (server/ for LSP, the MCP server,
the CLI): what is at a position, definitions, references with ranges, hover facts, lens facts, implementors,
callers, impact, stats. A front end converts its requests into these calls and the answers into its own types.

**Architecture Invariant:** the analysis knows nothing of LSP, MCP or SQL: no ``lsprotocol``, ``pygls`` or ``mcp``
import, no ``sqlite3`` (SQL is the engine's ``run_sql``). Its answers are nodes (``model.Node``) and the plain data
of ``data.py``.

- ``api.py``: ``Analysis``, one folder's graph; ``AnalysisConfig``.
- ``workspace.py``: ``Workspace``, several folders (targets by id or by text: ``targets.resolve_targets``, re-exported
  here with ``Targets`` and ``TargetError``).
- ``cursor.py``: what a position names, per language (from the registry's ``SourceSyntax``).
- ``text.py``: ranges of names in a file's text.
- ``data.py``: the plain data of the answers.
"""

from __future__ import annotations

from .api import (
    Analysis,
    AnalysisConfig,
    DiskLines,
    has_implementations,
    heuristic_count,
    is_method,
    merge_query_results,
)
from .data import (
    LENS_KINDS,
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
    TextPosition,
    TextRange,
)
from .text import Lines, LinesOf, name_range, word_ranges
from ..targets import Symbol, Targets
from .workspace import TargetError, Workspace

__all__ = [
    "Analysis",
    "AnalysisConfig",
    "DiskLines",
    "Workspace",
    "TargetError",
    "Targets",
    "Symbol",
    "Call",
    "Count",
    "DatabaseFacts",
    "FileRange",
    "GraphCounts",
    "HoverFacts",
    "Lens",
    "LensConfig",
    "LensFacts",
    "LENS_KINDS",
    "NavigationTarget",
    "SymbolTree",
    "TextPosition",
    "TextRange",
    "Lines",
    "LinesOf",
    "name_range",
    "word_ranges",
    "has_implementations",
    "heuristic_count",
    "is_method",
    "merge_query_results",
]
