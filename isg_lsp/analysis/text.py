"""Ranges found in a file's text: where a name stands as a whole word inside a span, and the range of a
declaration's name. Lines are the file's text split on '\\n'; ranges are in UTF-16 characters (positions.py)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable

from ..model import Node, Span
from ..positions import utf16_len
from .data import TextRange

Lines = list[str]
LinesOf = Callable[[str], "Lines | None"]
"""A file's lines by workspace-relative path (an editor's buffer when it is open), or None when unreadable."""

_WORD_PATTERNS: dict[str, re.Pattern[str]] = {}


_OCCURRENCES: dict[tuple[int, str], tuple[Lines, list[tuple[int, int]]]] = {}
_OCCURRENCES_KEPT = 128  # texts whose occurrences are kept (each entry holds its text alive: a bound on memory)
LONG_SPAN = 40
"""Spans of more lines than this are answered from the text's occurrence list (``occurrences``), which is made
once per text and word: a type's span holds its members', and references visit both."""


def _pattern(word: str) -> re.Pattern[str]:
    pattern = _WORD_PATTERNS.get(word)
    if pattern is None:
        if len(_WORD_PATTERNS) > 4096:
            _WORD_PATTERNS.clear()
        pattern = _WORD_PATTERNS[word] = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])")
    return pattern


def occurrences(lines: Lines, word: str) -> list[tuple[int, int]]:
    """Every place ``word`` stands as a whole word in a text, as sorted (line, UTF-16 column) pairs; kept for the
    same text object (an editor's buffer or a file read from disk is a new object when it changes)."""
    key = (id(lines), word)
    kept = _OCCURRENCES.get(key)
    if kept is not None and kept[0] is lines:
        return kept[1]
    pattern = _pattern(word)
    found = []
    for line_no, line in enumerate(lines):
        if word in line:
            for match in pattern.finditer(line):
                found.append((line_no, utf16_len(line[: match.start()])))
    if len(_OCCURRENCES) >= _OCCURRENCES_KEPT:
        _OCCURRENCES.clear()
    _OCCURRENCES[key] = (lines, found)
    return found


def word_ranges(lines: Lines | None, word: str, span: Span, limit: int = 50) -> list[TextRange]:
    """Where ``word`` stands as a whole word inside ``span`` of a text (at most ``limit`` places)."""
    if not lines or not word:
        return []
    sl, sc, el, ec = span
    found: list[TextRange] = []
    if el - sl > LONG_SPAN:
        places = occurrences(lines, word)
        width = utf16_len(word)
        for at in range(bisect_left(places, (sl, sc)), len(places)):
            line_no, start = places[at]
            if (line_no, start) > (el, ec):
                break
            if (line_no, start + width) > (el, ec):
                continue
            found.append(TextRange(line_no, start, line_no, start + width))
            if len(found) >= limit:
                break
        return found
    pattern = _pattern(word)
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
