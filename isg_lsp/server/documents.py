"""Open documents: their text as UTF-8 bytes and their tree-sitter tree, edited in step with LSP's incremental changes.

LSP sends ranges in (line, UTF-16 character); tree-sitter wants byte offsets and (row, byte column) points. Each change
is applied to the bytes here and described to the old tree with ``Tree.edit``, so that the next parse reuses every
part of the tree the edit did not touch (``Engine.update_document`` parses with that old tree).

Changes are validated, never guessed at (docs/reliability.md, "Document sync"). Lines end at ``\\n``, ``\\r\\n`` or
``\\r`` (LSP 3.17); a character past the end of its line means the line's end (LSP says so), and a line just past the
last one means the end of the text. Anything else (a range whose end comes before its start, a line further out, a
position between the two halves of a surrogate pair, a version that does not increase) raises ``OutOfSync`` and
leaves the document exactly as it was: a batch of changes is applied whole or not at all.
"""

from __future__ import annotations

import operator
import re
from itertools import accumulate, repeat

import tree_sitter
from lsprotocol import types

from ..positions import utf16_to_byte_column

_EOL = re.compile(rb"\r\n|\r|\n")


class OutOfSync(ValueError):
    """A change that cannot be applied to the text the server holds: the client's text and ours differ."""


class Document:
    """One open document. ``rel``/``folder`` are None when no workspace folder indexes it.

    ``synced`` is False after a change could not be applied: the text is then the file on disk (re-read), the
    graph follows it, and incremental changes are ignored until a change sends the whole text, the document is
    saved (the disk then holds the editor's text) or opened again."""

    __slots__ = (
        "uri",
        "version",
        "data",
        "tree",
        "lang",
        "folder",
        "rel",
        "dirty",
        "changed",
        "pending_s",
        "synced",
        "desync_reason",
        "ignored_changes",
        "_starts",
        "_lines",
    )

    def __init__(self, uri: str, version: int, text: str, lang: str | None, folder=None, rel: str | None = None):
        self.uri = uri
        self.version: int | None = version
        self.data = text.encode("utf-8", "surrogatepass")
        self.tree: tree_sitter.Tree | None = None
        self.lang = lang
        self.folder = folder
        self.rel = rel
        self.dirty = False  # the graph has not seen this text yet
        self.changed = False  # edited since it was opened
        self.pending_s = 0.0  # server time spent on changes not yet in the graph
        self.synced = True
        self.desync_reason: str | None = None
        self.ignored_changes = 0  # incremental changes dropped while out of sync
        self._starts: list[int] | None = None
        self._lines: list[str] | None = None

    # ---- reading -------------------------------------------------------------------------------------------

    def line_starts(self) -> list[int]:
        """The byte offset where each LSP line starts (after ``\\n``, ``\\r\\n`` or ``\\r``)."""
        if self._starts is None:
            if b"\r" in self.data:
                starts = [0]
                starts.extend(m.end() for m in _EOL.finditer(self.data))
            else:
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

    def text(self) -> str:
        return self.data.decode("utf-8", "surrogatepass")

    def locate(self, position: types.Position) -> tuple[int, tuple[int, int]]:
        """The byte offset and tree-sitter point (row counted in ``\\n``, byte column) of an LSP position.

        A character past its line's end is the line's end; a line just past the last one is the text's end.
        Raises ``OutOfSync`` for a line further out or a position inside a character."""
        data = self.data
        starts = self.line_starts()
        line = position.line
        if line >= len(starts):
            if line > len(starts) or position.character > 0:
                raise OutOfSync(
                    f"position {line}:{position.character} is past the end of the text ({len(starts)} lines)"
                )
            offset = len(data)
        else:
            start = starts[line]
            stop = starts[line + 1] if line + 1 < len(starts) else len(data)
            if stop > start and data[stop - 1] == 0x0A:
                stop -= 1
            if stop > start and data[stop - 1] == 0x0D:
                stop -= 1
            column = utf16_to_byte_column(data[start:stop], position.character)
            if column is None:
                raise OutOfSync(f"position {line}:{position.character} splits a character")
            offset = start + column
            if b"\r" not in data:
                return offset, (line, column)
        return offset, _point(data, offset)

    # ---- changing ------------------------------------------------------------------------------------------

    def apply(self, changes: list, version: int | None = None) -> None:
        """Applies LSP content changes in order, editing the tree so that it stays usable for incremental parsing.
        All or nothing: an invalid change raises ``OutOfSync`` before anything is changed."""
        if version is not None and self.version is not None and version <= self.version:
            raise OutOfSync(f"version {version} does not follow version {self.version}")
        original = (self.data, self._starts)
        if len(changes) > 1 and self._starts is not None:
            self._starts = list(self._starts)  # a later change may fail: keep the original intact
        edits: list = []  # per change: its tree edit, or None (a whole text)
        try:
            for change in changes:
                if getattr(change, "range", None) is None:
                    self.data = change.text.encode("utf-8", "surrogatepass")
                    self._starts = None
                    edits.append(None)
                    continue
                start, start_point = self.locate(change.range.start)
                end, end_point = self.locate(change.range.end)
                if end < start:
                    raise OutOfSync(f"range {_show(change.range)} ends before it starts")
                new = change.text.encode("utf-8", "surrogatepass")
                data = self.data
                incremental = (
                    self._starts is not None
                    and b"\r" not in new
                    and not (start > 0 and data[start - 1] == 0x0D)
                    and b"\r" not in data[start:end]
                )
                self.data = data[:start] + new + data[end:]
                newlines = new.count(b"\n")
                if newlines:
                    new_end_point = (start_point[0] + newlines, len(new) - new.rfind(b"\n") - 1)
                else:
                    new_end_point = (start_point[0], start_point[1] + len(new))
                edits.append((start, end, start + len(new), start_point, end_point, new_end_point))
                if incremental:
                    self._update_starts(start_point[0], end_point[0], start, end, new)
                else:
                    self._starts = None
        except BaseException:
            self.data, self._starts = original
            raise
        self._lines = None
        if version is not None:
            self.version = version
        for edit in edits:
            if edit is None:
                self.tree = None
            elif self.tree is not None:
                start, end, new_end, start_point, end_point, new_end_point = edit
                self.tree.edit(
                    start_byte=start,
                    old_end_byte=end,
                    new_end_byte=new_end,
                    start_point=start_point,
                    old_end_point=end_point,
                    new_end_point=new_end_point,
                )

    def replace(self, text: str | bytes, version: int | None = None) -> None:
        """The whole text, known to be the editor's (a full change, a save, an open): back in sync."""
        self.data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        self.tree = None
        self._starts = None
        self._lines = None
        if version is not None:
            self.version = version

    def _update_starts(self, first: int, last: int, start: int, end: int, new: bytes) -> None:
        """Keeps the line starts current without rescanning the text (lines after the edit only shift). Only for
        edits that cannot make or break a ``\\r\\n`` pair; ``first``/``last`` are the edit's LSP lines, which equal
        tree-sitter rows then (no ``\\r`` line end before the edit in a text this path is used for)."""
        starts = self._starts
        if starts is None:
            return
        # the LSP lines of the edit's ends (the rows of the points are counted in \n only)
        first = _line_of(starts, start)
        last = _line_of(starts, end)
        shift = len(new) - (end - start)
        middle = []
        offset = new.find(b"\n")
        while offset != -1:
            middle.append(start + offset + 1)
            offset = new.find(b"\n", offset + 1)
        tail = starts[last + 1 :]
        if shift:
            tail = [s + shift for s in tail]
        del starts[first + 1 :]
        starts.extend(middle)
        starts.extend(tail)


def _line_of(starts: list[int], offset: int) -> int:
    from bisect import bisect_right

    return bisect_right(starts, offset) - 1


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter's point of a byte offset: rows end at ``\\n`` only."""
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


def _show(rng: types.Range) -> str:
    return f"{rng.start.line}:{rng.start.character}-{rng.end.line}:{rng.end.character}"
