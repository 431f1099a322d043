"""Pieces every language's extractor shares: making nodes with LSP spans, signatures, query dispatch, error ranges."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import tree_sitter

from ..model import Edge, EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution, fold_whitespace
from ..positions import LineIndex

MAX_SIGNATURE_CHARS = 400


class FileExtraction:
    """Collects one file's facts while a language's handlers walk its query matches."""

    def __init__(self, path: str, lang: str, source: bytes, tree: tree_sitter.Tree, content_hash: bytes) -> None:
        self.path = path
        self.lang = lang
        self.source = source
        self.tree = tree
        self.lines = LineIndex(source)
        self.facts = FileFacts(path=path, lang=lang, content_hash=content_hash,
                               loc=count_loc(source))
        self._ids: set[bytes] = set()

    # ---- nodes and edges -----------------------------------------------------------------------------------

    def add_node(self, kind: NodeKind, name: str, fqp: str, at: tree_sitter.Node | None, signature: str,
                 visibility: str | None = None) -> Node:
        """Adds a node (once per id: a second identical declaration, under another cfg, say, is the same node)."""
        span = self.span(at) if at is not None else (0, 0, 0, 0)
        node = Node.make(kind, name, fqp, self.lang, self.path, span, signature[:MAX_SIGNATURE_CHARS], visibility)
        if node.id not in self._ids:
            self._ids.add(node.id)
            self.facts.nodes.append(node)
        return node

    def add_edge(self, src: bytes, kind: EdgeKind, dst: bytes, resolution: Resolution = Resolution.EXACT,
                 derived: bool = False) -> None:
        if src != dst:
            self.facts.edges.append(Edge(src, kind, dst, resolution, None, derived))

    def add_reference(self, ref: Reference) -> None:
        self.facts.references.append(ref)

    def span(self, node: tree_sitter.Node) -> tuple[int, int, int, int]:
        return self.lines.span(node.start_point, node.end_point)

    def whole_file_span(self) -> tuple[int, int, int, int]:
        root = self.tree.root_node
        return self.lines.span((0, 0), root.end_point)

    # ---- text ----------------------------------------------------------------------------------------------

    def text(self, node: tree_sitter.Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def head(self, node: tree_sitter.Node, body: tree_sitter.Node | None) -> str:
        """The declaration's head: its text up to the body (or all of it), whitespace folded, no trailing `;`."""
        end = body.start_byte if body is not None else node.end_byte
        text = self.source[node.start_byte:end].decode("utf-8", "replace")
        text = fold_whitespace(text)
        return text.rstrip(";").rstrip()

    def finish(self) -> FileFacts:
        self.facts.errors = list(error_spans(self.tree, self.lines))
        return self.facts


def count_loc(source: bytes) -> int:
    """Lines that hold something other than white space."""
    return sum(1 for line in source.split(b"\n") if line.strip())


def error_spans(tree: tree_sitter.Tree, lines: LineIndex, limit: int = 100) -> Iterator[tuple[int, int, int, int]]:
    """The ranges tree-sitter recovered from (ERROR and MISSING nodes), found without recursion."""
    root = tree.root_node
    if not root.has_error:
        return
    found = 0
    stack = [root]
    while stack and found < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found += 1
            yield lines.span(node.start_point, node.end_point)
            continue
        if node.has_error:
            stack.extend(reversed(node.children))


def sorted_matches(query: tree_sitter.Query, root: tree_sitter.Node) -> list[tuple[int, dict[str, list]]]:
    """Query matches in document order, outer before inner."""
    cursor = tree_sitter.QueryCursor(query)
    matches = cursor.matches(root)
    return matches


def dispatch(matches: list[tuple[int, dict[str, list]]], handlers: dict[str, Callable[[tree_sitter.Node, dict], None]],
             ) -> None:
    """Calls, for each match, the handler of the first capture name it has that a handler is registered for."""
    for _pattern, captures in matches:
        for name, nodes in captures.items():
            handler = handlers.get(name)
            if handler is not None:
                handler(nodes[0], captures)
                break
