"""Several folders' analyses: which folder's graph holds a node, a target named by id or FQP, searches and cycles
over all of them. Folders are given in the order in which they are asked (innermost root first)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import queries
from ..model import Node
from .api import Analysis


class TargetError(ValueError):
    """A target that names nothing (front ends report it as the caller's mistake, e.g. LSP's -32602)."""


class Workspace:
    def __init__(self, analyses: Sequence[Analysis]) -> None:
        self.analyses = list(analyses)

    def node(self, node_id: bytes) -> tuple[Analysis, Node] | None:
        """The folder whose graph holds a node, and the node."""
        for analysis in self.analyses:
            node = analysis.graph.nodes.get(node_id)
            if node is not None:
                return analysis, node
        return None

    def by_id(self, text: str) -> tuple[Analysis, list[Node]]:
        """The node a SigHash in hex names; ``TargetError`` when none does."""
        try:
            node_id = bytes.fromhex(text.strip().lower())
        except ValueError:
            raise TargetError(f"no node matches {text}") from None
        found = self.node(node_id)
        if found is None:
            raise TargetError(f"no node matches {text}")
        return found[0], [found[1]]

    def by_fqp(self, fqp: str) -> tuple[Analysis, list[Node]]:
        """The nodes with an FQP, from the first folder that has any; ``TargetError`` with a suggestion else."""
        for analysis in self.analyses:
            nodes = analysis.graph.by_fqp(fqp.strip())
            if nodes:
                return analysis, nodes
        raise TargetError(f"no node matches {fqp}" + self.suggestion(fqp))

    def suggestion(self, name: str) -> str:
        """ "; did you mean X?" for a name close to one in the graphs, else ""."""
        for analysis in self.analyses:
            hint = queries.suggest(analysis.graph, name)
            if hint:
                return f"; did you mean {hint}?"
        return ""
