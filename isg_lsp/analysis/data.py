"""The plain data the analysis answers with: positions and ranges in a workspace's files, navigation targets,
hover and lens facts, symbol trees and counts. No protocol types: server/convert.py and the other front ends turn
these into theirs.

Positions and ranges are 0-based lines and UTF-16 characters (the spans of ``model.Node`` already are); files are
workspace-relative, '/'-separated paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..model import Node


class TextPosition(NamedTuple):
    line: int
    character: int


class TextRange(NamedTuple):
    start_line: int
    start_character: int
    end_line: int
    end_character: int

    @property
    def start(self) -> TextPosition:
        return TextPosition(self.start_line, self.start_character)

    @classmethod
    def at(cls, line: int, character: int) -> TextRange:
        """An empty range: a position."""
        return cls(line, character, line, character)


class FileRange(NamedTuple):
    file: str
    range: TextRange


@dataclass(frozen=True)
class NavigationTarget:
    """A declaration to go to: its node (whose span is the whole declaration) and the range of its name."""

    node: Node
    focus: TextRange

    @property
    def file(self) -> str:
        assert self.node.file is not None
        return self.node.file

    @property
    def full_range(self) -> TextRange:
        assert self.node.span is not None
        return TextRange(*self.node.span)


@dataclass(frozen=True)
class Call:
    """One end of calls, for call hierarchies: the other declaration, and where the calls stand in the caller's text
    (the callee's name inside the caller's span)."""

    target: NavigationTarget
    ranges: list[TextRange]


@dataclass(frozen=True)
class Count:
    """How many related nodes, and how many of them only through heuristic edges."""

    total: int
    heuristic: int = 0


@dataclass(frozen=True)
class HoverFacts:
    """What a hover shows about the declaration at a position."""

    node: Node
    implements: list[str] = field(default_factory=list)  # names of the traits/interfaces/bases it implements
    implemented_by: Count | None = None  # traits, and methods a trait declares
    called_by: Count | None = None  # functions
    matching_declarations: int = 1  # how many declarations the name there may mean


LENS_KINDS = ("implementations", "callers", "blastRadius")


@dataclass(frozen=True)
class LensFacts:
    """A code lens's answer: a short title (`3 callers (1 heuristic)`), a long one, and the nodes it lists."""

    title: str
    full_title: str
    nodes: list[Node]


@dataclass(frozen=True)
class Lens:
    """A code lens over a declaration: its kind (one of ``LENS_KINDS``), its node and place, and its answer unless
    it is left for later (blast radius: computed when the client resolves the lens)."""

    kind: str
    node: Node
    range: TextRange
    facts: LensFacts | None = None


@dataclass(frozen=True)
class LensConfig:
    implementations: bool = True
    callers: bool = True
    blast_radius: bool = True


@dataclass
class SymbolTree:
    """A file's declaration nested by their spans (an outline)."""

    node: Node
    focus: TextRange
    is_method: bool
    children: list[SymbolTree] = field(default_factory=list)


@dataclass
class GraphCounts:
    """Counts of one graph (``Analysis.counts``), added up over folders with ``+``."""

    files: int = 0
    nodes_by_kind: dict[str, int] = field(default_factory=dict)
    edges_by_kind: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    unresolved: int = 0
    heuristic: int = 0
    external: int = 0
    version: int = 0
    macro_calls: int = 0  # item-position macro calls whose tokens are not items (their items out of reach)
    stand_ins: int = 0  # external nodes with a workspace crate's path (should be 0)

    @property
    def nodes(self) -> int:
        return sum(self.nodes_by_kind.values())

    @property
    def edges(self) -> int:
        return sum(self.edges_by_kind.values())

    def __add__(self, other: GraphCounts) -> GraphCounts:
        def merged(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            out = dict(a)
            for key, value in b.items():
                out[key] = out.get(key, 0) + value
            return out

        return GraphCounts(
            self.files + other.files,
            merged(self.nodes_by_kind, other.nodes_by_kind),
            merged(self.edges_by_kind, other.edges_by_kind),
            merged(self.by_language, other.by_language),
            self.unresolved + other.unresolved,
            self.heuristic + other.heuristic,
            self.external + other.external,
            self.version + other.version,
            self.macro_calls + other.macro_calls,
            self.stand_ins + other.stand_ins,
        )


@dataclass(frozen=True)
class DatabaseFacts:
    path: str | None
    persistent: bool
    message: str | None = None
