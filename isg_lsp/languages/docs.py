"""Doc comments: the first paragraph of each declaration's documentation, per language family, read from the lines
around the declaration (a scan of a few lines per node: it runs on every extraction, the edit path included).

- Rust: `///` and `/** */` above the item (attributes between them skipped, multi-line ones too); `//!` and `/*!`
  at the top of a file for the file's module.
- Java, TypeScript, JavaScript: the `/** ... */` just above the declaration (annotations and decorators skipped);
  Javadoc's `<p>` ends the paragraph, `{@link X}` is `X`.
- Python: the docstring, the first statement of the body (a module's, a class's, a function's).
- Go: the `//` comment lines just above the declaration with no blank line between (the package comment above the
  `package` clause); `//go:` directives are not documentation.

The first paragraph is the text up to the first blank line (or a Markdown heading, a code fence, a Javadoc or JSDoc
tag), markers removed, white space folded, cut at ``MAX_DOC_CHARS``. Docs live beside the nodes (``FileFacts.docs``:
node id → text): they change neither a node's id nor the JSONL export.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..model import Node, NodeKind

MAX_DOC_CHARS = 320
MAX_SCAN = 200  # lines looked at above a declaration (a long Javadoc, a multi-line attribute)
_TAG = re.compile(r"^\s*@\w")
_JAVADOC_INLINE = re.compile(r"\{@(?:link|linkplain|code|literal|value)\s+([^}]*)\}")
_PARAGRAPH_TAG = re.compile(r"<p\s*/?>", re.I)
_MID_LINE = re.compile(r"[{};=(,]")  # before a declaration on its line: it does not begin the line
_BRACKETS = re.compile(r"[()\[\]{}]")
_HTML = re.compile(r"</?(?:p|b|i|em|strong|code|pre|br|ul|li|tt)\s*/?>", re.I)


def collect(
    family: str, source: bytes, nodes: list[Node], known: dict[int, str] | None = None, settled: set | None = None
) -> dict[bytes, str]:
    """The first paragraph of each node's doc comment (nodes without docs are left out). Nodes in ``settled`` take
    their docs from ``known`` (those of items the item cache reused: their docs are in their text, unchanged), both
    by node object (``id(node)``)."""
    finder = _FINDERS.get(family)
    if finder is None or not source:
        return {}
    lines = _Lines(source)
    out: dict[bytes, str] = {}
    for node in nodes:
        if node.span is None or node.external or node.id in out or node.kind is NodeKind.GENERIC:
            continue
        if settled is not None and id(node) in settled:
            if known is not None and id(node) in known:
                out[node.id] = known[id(node)]
            continue
        row, column = node.span[0], node.span[1]
        if row >= len(lines) or _MID_LINE.search(lines[row], 0, column):
            continue  # a declaration that does not begin its line (`interface I { m(): T }`)
        text = finder(lines, node)
        if text:
            paragraph = first_paragraph(text)
            if paragraph:
                out[node.id] = paragraph
    return out


class _Lines:
    """A file's lines, each decoded when first read (a declaration's docs need a few lines above it)."""

    __slots__ = ("raw", "_text")

    def __init__(self, source: bytes) -> None:
        self.raw = source.split(b"\n")
        self._text: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.raw)))]
        line = self._text.get(index)
        if line is None:
            raw = self.raw[index]
            line = self._text[index] = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8", "replace")
        return line


def first_paragraph(text: str) -> str:
    """The text up to its first blank line, heading, code fence or tag, white space folded, cut to a limit."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if kept:
                break
            continue
        if stripped.startswith(("```", "# ", "## ")) or _TAG.match(stripped):
            break
        kept.append(stripped)
    paragraph = " ".join(" ".join(kept).split())
    paragraph = _HTML.sub("", _JAVADOC_INLINE.sub(r"\1", paragraph)).strip()
    if len(paragraph) > MAX_DOC_CHARS:
        cut = paragraph.rfind(". ", 0, MAX_DOC_CHARS)
        paragraph = paragraph[: cut + 1] if cut > MAX_DOC_CHARS // 2 else paragraph[: MAX_DOC_CHARS - 1] + "…"
    return paragraph


# ---- per family --------------------------------------------------------------------------------------------------


def _file_module(node: Node) -> bool:
    return node.kind is NodeKind.MODULE and node.span is not None and node.span[:2] == (0, 0)


def _rust(lines: _Lines, node: Node) -> str:
    assert node.span is not None
    if _file_module(node):
        return _rust_inner(lines)
    found: list[str] = []
    i = node.span[0] - 1
    floor = max(-1, i - MAX_SCAN)
    while i > floor:
        text = lines[i].strip()
        if text.startswith("///") and not text.startswith("////"):
            found.append(text[3:].removeprefix(" "))
        elif text.startswith("#[") and text.endswith("]"):
            pass  # an attribute between the docs and the item
        elif text.endswith("]") and not text.startswith(("//", "}")):
            j = i  # the end of a multi-line attribute: find its start
            while j > floor and not lines[j].strip().startswith("#["):
                j -= 1
            if j <= floor:
                break
            i = j
        elif text.endswith("*/") and not found:
            block, i = _block_above(lines, i, floor)
            if block is None or not block.startswith("/**") or block.startswith(("/***", "/**/")):
                break
            found.extend(reversed(_block_lines(block[3:-2])))
        elif not text and not found:
            pass
        else:
            break
        i -= 1
    found.reverse()
    return "\n".join(found)


def _rust_inner(lines: _Lines) -> str:
    """`//!` lines (or a `/*! */` block) at the top of a file, after blank lines and inner attributes."""
    found: list[str] = []
    for i in range(min(len(lines), MAX_SCAN)):  # line by line: the loop stops at the first line of code
        text = lines[i].strip()
        if text.startswith("//!"):
            found.append(text[3:].removeprefix(" "))
        elif text.startswith("/*!"):
            end = next((j for j in range(i, min(len(lines), i + MAX_SCAN)) if "*/" in lines[j]), None)
            if end is None:
                break
            block = "\n".join(lines[i : end + 1]).strip()
            found.extend(_block_lines(block[3 : block.rfind("*/")]))
            break
        elif found:
            break
        elif text and not text.startswith(("#![", "//")):
            break
    return "\n".join(found)


def _javadoc(lines: _Lines, node: Node) -> str:
    assert node.span is not None
    if node.kind is NodeKind.MODULE:
        return ""
    i = node.span[0] - 1
    floor = max(-1, i - MAX_SCAN)
    blank = 0
    while i > floor:
        text = lines[i].strip()
        if not text:
            blank += 1
            if blank > 1:
                return ""
        elif text.startswith("@"):
            pass  # an annotation or a decorator
        elif text.endswith("*/"):
            return _javadoc_block(lines, i, floor)
        else:
            return ""
        i -= 1
    return ""


def _javadoc_block(lines: _Lines, end: int, floor: int) -> str:
    """The text of the `/** ... */` block whose last line is ``end`` (its line prefixes and markers removed, `<p>`
    a paragraph break), up to where its first paragraph ends: a long comment is read only as far as it is used."""
    start = end
    raw = lines.raw
    while start > floor and b"/*" not in raw[start]:  # the block's first line, found without decoding the others
        start -= 1
    if start <= floor:
        return ""
    first = lines[start]
    at = first.find("/*")
    if not first.startswith("/**", at) or first.startswith("/**/", at):
        return ""
    kept: list[str] = []
    seen = False
    for i in range(start, end + 1):
        line = lines[i]
        if i == end:
            line = line.rstrip()[:-2]  # the closing `*/`
        if i == start:
            line = line[at + 3 :]
        for piece in line.splitlines() or [""]:
            stripped = piece.strip()
            if stripped.startswith("*"):
                stripped = stripped[1:].removeprefix(" ")
            for part in _PARAGRAPH_TAG.sub("\n\n", stripped).split("\n"):
                kept.append(part)
                part = part.strip()
                if part:
                    seen = True
                    if part.startswith(("```", "# ", "## ")) or _TAG.match(part):
                        return "\n".join(kept)  # first_paragraph stops here
                elif seen:
                    return "\n".join(kept)
    return "\n".join(kept)


def _go(lines: _Lines, node: Node) -> str:
    assert node.span is not None
    found: list[str] = []
    i = node.span[0] - 1
    floor = max(-1, i - MAX_SCAN)
    while i > floor:
        text = lines[i].strip()
        if text.startswith(("//go:", "//nolint")):
            pass
        elif text.startswith("//"):
            found.append(text[2:].removeprefix(" "))
        elif text.endswith("*/") and not found:
            block, i = _block_above(lines, i, floor)
            if block is None:
                break
            found.extend(reversed(_block_lines(block[2:-2])))
        else:
            break
        i -= 1
    found.reverse()
    return "\n".join(found)


def _python(lines: _Lines, node: Node) -> str:
    assert node.span is not None
    if _file_module(node):
        start = 0
        while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
            start += 1
        return _docstring(lines, start)
    last = node.span[2]  # the docstring is inside the declaration: nothing after it is read
    end = _header_end(lines, node.span[0], last)
    if end is None:
        return ""
    start = end + 1
    while start <= last and start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1
    return _docstring(lines, start) if start <= last else ""


def _header_end(lines: _Lines, row: int, last: int) -> int | None:
    """The line that ends a `def`/`class` header (its `:` outside brackets), from the declaration's first line
    (decorators included) to its last (a one-line `def f(): ...` has none: its body is on the header's line)."""
    depth = 0
    seen = False
    for i in range(row, min(len(lines), row + MAX_SCAN, last + 1)):
        code = (
            lines[i].split("#", 1)[0] if "#" in lines[i] and '"' not in lines[i] and "'" not in lines[i] else lines[i]
        )
        stripped = code.strip()
        if not seen and stripped.startswith(("def ", "class ", "async def ")):
            seen = True
        for bracket in _BRACKETS.findall(code):  # the brackets alone, in order (most of a header is not one)
            if bracket in "([{":
                depth += 1
            else:
                depth = max(0, depth - 1)
        if seen and depth == 0 and stripped.endswith(":"):
            return i
    return None


def _docstring(lines: _Lines, start: int) -> str:
    if start >= len(lines):
        return ""
    text = lines[start].lstrip()
    body = text.lstrip("rRuU")
    for quote in ('"""', "'''", '"', "'"):
        if not body.startswith(quote):
            continue
        rest = body[len(quote) :]
        close = rest.find(quote)
        if close >= 0:
            return rest[:close]
        if len(quote) == 1:
            return ""
        parts = [rest]
        for i in range(start + 1, min(len(lines), start + MAX_SCAN)):  # line by line: most close within a few
            line = lines[i]
            close = line.find(quote)
            if close >= 0:
                parts.append(line[:close])
                return "\n".join(parts)
            parts.append(line)
        return ""
    return ""


def _block_above(lines: _Lines, end: int, floor: int) -> tuple[str | None, int]:
    """The block comment whose last line is ``end``: its text and its first line."""
    i = end
    while i > floor:
        if "/*" in lines[i]:
            text = "\n".join(lines[i : end + 1]).strip()
            return text[text.find("/*") :], i
        i -= 1
    return None, end


def _block_lines(inner: str) -> list[str]:
    """The lines of a block comment's inside, each without its leading ` * `."""
    out = []
    for line in inner.splitlines():
        stripped = line.strip()
        if stripped.startswith("*"):
            stripped = stripped[1:].removeprefix(" ")
        out.append(stripped)
    return out


_FINDERS: dict[str, Callable[[_Lines, Node], str]] = {
    "rust": _rust,
    "java": _javadoc,
    "typescript": _javadoc,
    "python": _python,
    "go": _go,
}

__all__ = ["MAX_DOC_CHARS", "collect", "first_paragraph"]
