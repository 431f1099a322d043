"""Several folders' analyses: which folder's graph holds a node, a target named by id or by text (every form of
``targets.resolve_targets``), searches and cycles over all of them. Folders are given in the order in which they are
asked (innermost root first)."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Node
from ..targets import TargetError, Targets
from .api import Analysis

__all__ = ["TargetError", "Workspace"]


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
        """The nodes a target's text names (an FQP, a public path, a name, `Type::member`...), from the first folder
        where it names something; ``TargetError`` (with a suggestion) else."""
        analysis, targets = self.resolve(fqp)
        return analysis, targets.nodes

    def resolve(self, text: str, role: str = "any") -> tuple[Analysis, Targets]:
        """What a target's text names (``Analysis.resolve``), in the first folder where it names something; the
        first folder's ``TargetError`` when none does."""
        first: TargetError | None = None
        for analysis in self.analyses:
            try:
                return analysis, analysis.resolve(text, role)
            except TargetError as error:
                if error.code == "ambiguous":
                    raise
                first = first or error
        raise first or TargetError("no workspace folder is open", None, "unavailable")

    def suggestion(self, name: str) -> str:
        """ "; did you mean X?" for a name close to one in the graphs, else ""."""
        from ..targets import suggest

        for analysis in self.analyses:
            hint = suggest(analysis.graph, name)
            if hint:
                return f"; did you mean {hint}?"
        return ""
