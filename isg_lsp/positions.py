"""Conversions between tree-sitter's byte positions and LSP's UTF-16 positions: the only place that does them.

Tree-sitter reports (row, byte column) over UTF-8; LSP speaks (line, UTF-16 code unit). A line that is pure ASCII
needs no conversion, which is the common case, so a ``LineIndex`` decodes only the lines it must.
"""

from __future__ import annotations

import re

_NEWLINE = re.compile(b"\n")


class LineIndex:
    """Answers position conversions for one UTF-8 text, decoding each non-ASCII line at most once."""

    __slots__ = ("_data", "_line_starts", "_ascii", "_cache")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._ascii = data.isascii()
        self._line_starts: list[int] | None = None  # computed on first need: pure ASCII text rarely needs it
        self._cache: dict[int, bytes] = {}

    @property
    def _starts(self) -> list[int]:
        starts = self._line_starts
        if starts is None:
            starts = [0]
            starts.extend(m.end() for m in _NEWLINE.finditer(self._data))
            self._line_starts = starts
        return starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def _line(self, row: int) -> bytes:
        line = self._cache.get(row)
        if line is None:
            start = self._starts[row]
            end = self._starts[row + 1] - 1 if row + 1 < len(self._starts) else len(self._data)
            line = self._data[start:end]
            self._cache[row] = line
        return line

    def utf16_column(self, row: int, byte_col: int) -> int:
        """The UTF-16 column of a tree-sitter (row, byte column) point."""
        if self._ascii or row >= len(self._starts):
            return byte_col
        line = self._line(row)
        if line.isascii():
            return byte_col
        return utf16_len(line[:byte_col].decode("utf-8", "replace"))

    def byte_column(self, row: int, utf16_col: int) -> int:
        """The byte column of an LSP (line, UTF-16 character) position, clamped to the line."""
        if row >= len(self._starts):
            return 0
        line = self._line(row)
        if self._ascii or line.isascii():
            return min(utf16_col, len(line))
        text = line.decode("utf-8", "replace")
        return len(utf16_prefix(text, utf16_col).encode("utf-8"))

    def byte_offset(self, row: int, utf16_col: int) -> int:
        """The byte offset in the whole text of an LSP position; rows past the end give the text's length."""
        if row >= len(self._starts):
            return len(self._data)
        return self._starts[row] + self.byte_column(row, utf16_col)

    def span(self, start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int, int, int]:
        """An LSP span from two tree-sitter points."""
        return (start[0], self.utf16_column(start[0], start[1]), end[0], self.utf16_column(end[0], end[1]))


def utf16_len(text: str) -> int:
    """How many UTF-16 code units ``text`` takes."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_prefix(text: str, units: int) -> str:
    """The longest prefix of ``text`` that takes at most ``units`` UTF-16 code units (never splits a character)."""
    if text.isascii():
        return text[:units]
    count = 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if count + width > units:
            return text[:i]
        count += width
    return text


def utf16_offset_to_index(text: str, line: int, character: int) -> int:
    """The index into ``text`` (a str) of an LSP position, clamped to the text and to the line's end."""
    start = 0
    for _ in range(line):
        nl = text.find("\n", start)
        if nl == -1:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    if end == -1:
        end = len(text)
    line_text = text[start:end]
    if line_text.endswith("\r"):
        line_text = line_text[:-1]
    return start + len(utf16_prefix(line_text, character))


def utf16_to_byte_column(line: bytes, units: int) -> int | None:
    """The byte column in one line's UTF-8 bytes (no line ending) of an LSP character, clamped to the line's end
    (as LSP asks); ``None`` when the position falls inside a character, between the halves of a surrogate pair.

    The line may hold lone surrogates (encoded with ``surrogatepass``): each counts as one UTF-16 unit."""
    if line.isascii():
        return min(units, len(line))
    text = line.decode("utf-8", "surrogatepass")
    count = 0
    for i, ch in enumerate(text):
        if count >= units:
            return len(text[:i].encode("utf-8", "surrogatepass"))
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > units:
            return None
    return len(line)
