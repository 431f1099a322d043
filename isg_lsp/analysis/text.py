"""Ranges found in a file's text: where a name stands as a whole word inside a span, and the range of a
declaration's name. Lines are the file's text split on '\\n'; ranges are in UTF-16 characters (positions.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..model import Node, Span
from ..positions import utf16_len
from .data import TextRange

Lines = list[str]
LinesOf = Callable[[str], "Lines | None"]
"""A file's lines by workspace-relative path (an editor's buffer when it is open), or None when unreadable."""

_WORD_PATTERNS: dict[str, re.Pattern[str]] = {}


def word_ranges(lines: Lines | None, word: str, span: Span, limit: int = 50) -> list[TextRange]:
    """Where ``word`` stands as a whole word inside ``span`` of a text (at most ``limit`` places)."""
    if not lines or not word:
        return []
    pattern = _WORD_PATTERNS.get(word)
    if pattern is None:
        if len(_WORD_PATTERNS) > 4096:
            _WORD_PATTERNS.clear()
        pattern = _WORD_PATTERNS[word] = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])")
    sl, sc, el, ec = span
    found: list[TextRange] = []
    for line_no in range(sl, min(el, len(lines) - 1) + 1):
        line = lines[line_no]
        for match in pattern.finditer(line):
            start = utf16_len(line[: match.start()])
            end = start + utf16_len(word)
            if (line_no, start) < (sl, sc) or (line_no, end) > (el, ec):
                continue
            found.append(TextRange(line_no, start, line_no, end))
            if len(found) >= limit:
                return found
    return found


def name_range(node: Node, lines: Lines | None) -> TextRange:
    """The range of a declaration's name (its first occurrence in the declaration's first lines), else its start."""
    assert node.span is not None
    sl, sc, el, ec = node.span
    head = (sl, sc, min(el, sl + 3), ec if el <= sl + 3 else 10**6)
    found = word_ranges(lines, node.name, head, limit=1)
    return found[0] if found else TextRange.at(sl, sc)


def contains(span: Span, line: int, character: int) -> bool:
    sl, sc, el, ec = span
    return (sl, sc) <= (line, character) <= (el, ec)


def within(inner: Span, outer: Span) -> bool:
    return (outer[0], outer[1]) <= (inner[0], inner[1]) and (inner[2], inner[3]) <= (outer[2], outer[3])
