"""to_proto / from_proto: the one place where ISG values become LSP values and back.

Our spans are already LSP ranges (0-based line, UTF-16 character); files are workspace-relative paths, turned into
`file:` URIs against the root of the folder that indexes them.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from ..model import Edge, Node, NodeKind
from ..positions import utf16_len
from . import protocol as P

SYMBOL_KIND = {
    NodeKind.TRAIT: types.SymbolKind.Interface,
    NodeKind.STRUCT: types.SymbolKind.Struct,
    NodeKind.ENUM: types.SymbolKind.Enum,
    NodeKind.FUNCTION: types.SymbolKind.Function,
    NodeKind.MODULE: types.SymbolKind.Module,
    NodeKind.ASSOC_TYPE: types.SymbolKind.TypeParameter,
    NodeKind.GENERIC: types.SymbolKind.TypeParameter,
}
TYPE_LIKE = frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM})


# ---- URIs and paths ------------------------------------------------------------------------------------------

def uri_to_path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def path_to_uri(path: Path) -> str:
    return path.as_uri()


# ---- ranges --------------------------------------------------------------------------------------------------

def span_range(span) -> types.Range:
    sl, sc, el, ec = span
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def start_range(span) -> types.Range:
    return types.Range(types.Position(span[0], span[1]), types.Position(span[0], span[1]))


def contains(span, line: int, character: int) -> bool:
    sl, sc, el, ec = span
    return (sl, sc) <= (line, character) <= (el, ec)


def word_ranges(lines: list[str] | None, word: str, span, limit: int = 50) -> list[types.Range]:
    """Where ``word`` stands as a whole word inside ``span`` of a text."""
    if not lines or not word:
        return []
    pattern = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])")
    sl, sc, el, ec = span
    found: list[types.Range] = []
    for line_no in range(sl, min(el, len(lines) - 1) + 1):
        line = lines[line_no]
        for match in pattern.finditer(line):
            start = utf16_len(line[:match.start()])
            end = start + utf16_len(word)
            if (line_no, start) < (sl, sc) or (line_no, end) > (el, ec):
                continue
            found.append(types.Range(types.Position(line_no, start), types.Position(line_no, end)))
            if len(found) >= limit:
                return found
    return found


def name_range(node: Node, lines: list[str] | None) -> types.Range:
    """The range of a declaration's name (its first occurrence in the declaration), else its start."""
    assert node.span is not None
    head = (node.span[0], node.span[1], min(node.span[2], node.span[0] + 3), node.span[3] if node.span[2] <= node.span[0] + 3 else 10**6)
    found = word_ranges(lines, node.name, head, limit=1)
    return found[0] if found else start_range(node.span)


# ---- nodes ---------------------------------------------------------------------------------------------------

def edge_info(edge: Edge) -> P.IsgEdgeInfo:
    return P.IsgEdgeInfo(kind=edge.kind.value, resolution=edge.resolution.value, candidates=edge.candidates,
                         derived=True if edge.derived else None)


def symbol_kind(node: Node, parent: Node | None = None, type_fqps: set[str] | frozenset = frozenset()
                ) -> types.SymbolKind:
    if node.kind is NodeKind.FUNCTION and (
            (parent is not None and parent.kind in TYPE_LIKE) or node.fqp.startswith("<")
            or node.fqp.rpartition("::")[0] in type_fqps):
        return types.SymbolKind.Method
    return SYMBOL_KIND[node.kind]


def detail(node: Node) -> str:
    return node.signature


class Locator:
    """Turns nodes of one workspace folder into locations (URIs are made once per file)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._uris: dict[str, str] = {}

    def uri(self, rel: str) -> str:
        uri = self._uris.get(rel)
        if uri is None:
            uri = self._uris[rel] = path_to_uri(self.root / rel)
        return uri

    def location(self, node: Node) -> types.Location | None:
        if node.external or node.file is None or node.span is None:
            return None
        return types.Location(self.uri(node.file), span_range(node.span))

    def isg_node(self, node: Node) -> P.IsgNode:
        location = None
        if not node.external and node.file is not None and node.span is not None:
            location = P.IsgLocation(self.uri(node.file), span_range(node.span))
        return P.IsgNode(id=node.id.hex(), kind=node.kind.value, kind_name=node.kind.long_name, name=node.name,
                         fqp=node.fqp, lang=node.lang, signature=node.signature, visibility=node.visibility,
                         external=node.external, location=location)

    def symbol_information(self, node: Node) -> types.SymbolInformation | None:
        location = self.location(node)
        if location is None:
            return None
        container = node.fqp[: -len(node.name)].rstrip(":.") if node.fqp.endswith(node.name) else None
        return types.SymbolInformation(name=node.name, kind=symbol_kind(node), location=location,
                                       container_name=container or None)

    def call_item(self, node: Node, lines: list[str] | None) -> types.CallHierarchyItem:
        assert node.file is not None and node.span is not None
        return types.CallHierarchyItem(name=node.name, kind=symbol_kind(node), uri=self.uri(node.file),
                                       range=span_range(node.span), selection_range=name_range(node, lines),
                                       detail=node.fqp, data={"id": node.id.hex()})

    def type_item(self, node: Node, lines: list[str] | None) -> types.TypeHierarchyItem:
        assert node.file is not None and node.span is not None
        return types.TypeHierarchyItem(name=node.name, kind=symbol_kind(node), uri=self.uri(node.file),
                                       range=span_range(node.span), selection_range=name_range(node, lines),
                                       detail=node.fqp, data={"id": node.id.hex()})


def document_symbols(nodes: list[Node], lines: list[str] | None) -> list[types.DocumentSymbol]:
    """A file's declarations as a tree, nested by their spans. The file's own module and generic parameters are
    left out (they would wrap or clutter everything)."""
    shown = [n for n in nodes if n.span is not None and n.kind is not NodeKind.GENERIC]
    if shown:
        widest = max(shown, key=lambda n: (n.span[2] - n.span[0], -n.span[0]))
        if widest.kind is NodeKind.MODULE and widest.span[:2] == (0, 0):
            shown = [n for n in shown if n is not widest]
    shown.sort(key=lambda n: (n.span[0], n.span[1], -n.span[2], -n.span[3]))
    type_fqps = {n.fqp for n in nodes if n.kind in TYPE_LIKE}
    roots: list[types.DocumentSymbol] = []
    stack: list[tuple[Node, types.DocumentSymbol]] = []
    seen: set[bytes] = set()
    for node in shown:
        if node.id in seen:
            continue
        seen.add(node.id)
        while stack and not _within(node.span, stack[-1][0].span):
            stack.pop()
        parent = stack[-1][0] if stack else None
        symbol = types.DocumentSymbol(name=node.name, kind=symbol_kind(node, parent, type_fqps), range=span_range(node.span),
                                      selection_range=name_range(node, lines), detail=node.signature, children=[])
        if stack:
            stack[-1][1].children.append(symbol)
        else:
            roots.append(symbol)
        stack.append((node, symbol))
    return roots


def _within(inner, outer) -> bool:
    return (outer[0], outer[1]) <= (inner[0], inner[1]) and (inner[2], inner[3]) <= (outer[2], outer[3])
