"""Open documents: their text as UTF-8 bytes and their tree-sitter tree, edited in step with LSP's incremental changes.

LSP sends ranges in (line, UTF-16 character); tree-sitter wants byte offsets and (row, byte column) points. Each change
is applied to the bytes here and described to the old tree with ``Tree.edit``, so that the next parse reuses every
part of the tree the edit did not touch (``Engine.update_document`` parses with that old tree).
"""

from __future__ import annotations

import operator
from itertools import accumulate, repeat

import tree_sitter
from lsprotocol import types

from ..positions import utf16_prefix


class Document:
    """One open document. ``rel``/``folder`` are None when no workspace folder indexes it."""

    __slots__ = ("uri", "version", "data", "tree", "lang", "folder", "rel", "dirty", "changed", "pending_s",
                 "_starts", "_lines")

    def __init__(self, uri: str, version: int, text: str, lang: str | None, folder=None, rel: str | None = None):
        self.uri = uri
        self.version = version
        self.data = text.encode("utf-8", "surrogatepass")
        self.tree: tree_sitter.Tree | None = None
        self.lang = lang
        self.folder = folder
        self.rel = rel
        self.dirty = False            # the graph has not seen this text yet
        self.changed = False          # edited since it was opened
        self.pending_s = 0.0          # server time spent on changes not yet in the graph
        self._starts: list[int] | None = None
        self._lines: list[str] | None = None

    # ---- reading -------------------------------------------------------------------------------------------

    def line_starts(self) -> list[int]:
        """The byte offset where each line starts."""
        if self._starts is None:
            lengths = map(operator.add, map(len, self.data.split(b"\n")), repeat(1))
            starts = list(accumulate(lengths, initial=0))
            starts.pop()
            self._starts = starts
        return self._starts

    def lines(self) -> list[str]:
        """The text's lines, decoded (for finding names in it)."""
        if self._lines is None:
            self._lines = self.data.decode("utf-8", "replace").split("\n")
        return self._lines

    def locate(self, position: types.Position) -> tuple[int, tuple[int, int]]:
        """The byte offset and tree-sitter point of an LSP position, clamped to the text."""
        starts = self.line_starts()
        line = position.line
        if line >= len(starts):
            end = len(self.data)
            return end, (len(starts) - 1, end - starts[-1])
        start = starts[line]
        stop = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.data)
        raw = self.data[start:stop]
        if raw.isascii():
            column = min(position.character, len(raw))
        else:
            column = len(utf16_prefix(raw.decode("utf-8", "replace"), position.character).encode("utf-8"))
        return start + column, (line, column)

    # ---- changing ------------------------------------------------------------------------------------------

    def apply(self, changes: list) -> None:
        """Applies LSP content changes in order, editing the tree so that it stays usable for incremental parsing."""
        for change in changes:
            if getattr(change, "range", None) is None:
                self.data = change.text.encode("utf-8", "surrogatepass")
                self.tree = None
                self._starts = None
                self._lines = None
                continue
            start, start_point = self.locate(change.range.start)
            end, end_point = self.locate(change.range.end)
            if end < start:
                start, end, start_point, end_point = end, start, end_point, start_point
            new = change.text.encode("utf-8", "surrogatepass")
            self.data = self.data[:start] + new + self.data[end:]
            newlines = new.count(b"\n")
            if newlines:
                new_end_point = (start_point[0] + newlines, len(new) - new.rfind(b"\n") - 1)
            else:
                new_end_point = (start_point[0], start_point[1] + len(new))
            if self.tree is not None:
                self.tree.edit(start_byte=start, old_end_byte=end, new_end_byte=start + len(new),
                               start_point=start_point, old_end_point=end_point, new_end_point=new_end_point)
            self._update_starts(start_point[0], end_point[0], start, end, new, newlines)
            self._lines = None

    def _update_starts(self, first: int, last: int, start: int, end: int, new: bytes, newlines: int) -> None:
        """Keeps the line starts current without rescanning the text (lines after the edit only shift)."""
        starts = self._starts
        if starts is None:
            return
        shift = len(new) - (end - start)
        middle = []
        offset = new.find(b"\n")
        while offset != -1:
            middle.append(start + offset + 1)
            offset = new.find(b"\n", offset + 1)
        tail = starts[last + 1:]
        if shift:
            tail = [s + shift for s in tail]
        del starts[first + 1:]
        starts.extend(middle)
        starts.extend(tail)
