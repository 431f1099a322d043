"""Document sync through the real protocol, against an independent model.

Random sequences of didChange (valid edits; characters past a line's end; the line just past the last; reversed
ranges; lines far out; positions between the halves of a surrogate pair; stale versions; whole-text changes),
didSave, close and reopen, and changes to a document that is not open, over text with CRLF, lone CR, emoji, CJK and
combining marks. The model is written in code points and UTF-16 code units of Python's `str` (not the server's UTF-8
bytes) and follows docs/reliability.md: an invalid change is never applied; the server then holds the file on disk
and ignores incremental changes until the whole text is known again. After each sequence the server's text must equal
the model's, and its graph must equal a fresh index of that text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.positions import utf16_to_byte_column
from tests.robustness.rawlsp import RawServer, copy_demo

REL = "src/util.rs"
DISK = ("\ufeffpub(crate) fn sum<I: Iterator<Item = f64>>(values: I) -> f64 {\r\n    values.sum() // é 中文 😀\r\n}"
        "\r\npub struct Disk;\r\n")
OPENED = "pub fn opened() -> u8 { 1 }\r\npub struct 中文😀 { x: Vec<u8> }\n"
PIECES = ["a", "fn", " ", "\n", "\r\n", "\r", "é", "中", "😀", "e\u0301", "{", "}", "(", ")", ";", "pub fn f() {}",
          "pub struct S;", "impl crate::shapes::Shape for S { fn area(&self) -> f64 { 1.0 } }", "\t", "//", "::"]
EXAMPLES = int(os.environ.get("ISG_SYNC_EXAMPLES", "40"))

STEPWISE = bool(os.environ.get("ISG_SYNC_STEPWISE"))
EDITS = {"sent": 0, "examples": 0}       # figures for docs/reliability.md


# ---- the independent model: code points and UTF-16 units of a str ------------------------------------------------

_EOL = re.compile(r"\r\n|\r|\n")


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def model_offset(text: str, line: int, character: int) -> int | None:
    """The str index of an LSP position, or None when the position is invalid (docs/reliability.md)."""
    starts = [0] + [m.end() for m in _EOL.finditer(text)]
    if line >= len(starts):
        return len(text) if line == len(starts) and character == 0 else None
    start = starts[line]
    end = len(text) if line + 1 >= len(starts) else starts[line + 1]
    content = text[start:end].rstrip("\r\n")
    count = 0
    for i, ch in enumerate(content):
        if count == character:
            return start + i
        count += _units(ch)
        if count > character:
            return None                 # between the halves of a surrogate pair
    return start + len(content)         # at or past the line's end


def position_of_index(text: str, index: int) -> tuple[int, int]:
    starts = [0] + [m.end() for m in _EOL.finditer(text)]
    line = max(i for i, s in enumerate(starts) if s <= index)
    return line, sum(_units(ch) for ch in text[starts[line]:index])


class Model:
    def __init__(self, disk: str) -> None:
        self.disk = disk.lstrip("\ufeff")     # what the server reads from disk, as an editor shows it
        self.client = ""                       # the editor's text
        self.server = ""                       # what the server must hold
        self.synced = True
        self.open = False
        self.version = 0

    def did_open(self, text: str) -> None:
        self.client = self.server = text
        self.synced = True
        self.open = True

    def did_change(self, version: int, changes: list[dict]) -> None:
        stale = version <= self.version
        self.version = version
        if not self.synced:
            full = [i for i, c in enumerate(changes) if "range" not in c]
            if not full:
                self.client = self._apply_all(self.client, changes) or self.client
                return
            self.server = self.client = changes[full[-1]]["text"]
            self.synced = True
            stale = False
            changes = changes[full[-1] + 1:]
        new_client = self._apply_all(self.client, changes)
        if new_client is not None:
            self.client = new_client
        if stale or new_client is None:
            self.synced = False
            self.server = self.disk
        else:
            self.server = new_client

    def did_save(self, write) -> None:
        write(self.client)                      # an editor writes its text, then says so
        self.disk = self.client
        if not self.synced:
            self.server = self.disk
            self.synced = True

    @staticmethod
    def _apply_all(text: str, changes: list[dict]) -> str | None:
        for change in changes:
            if "range" not in change:
                text = change["text"]
                continue
            r = change["range"]
            start = model_offset(text, r["start"]["line"], r["start"]["character"])
            end = model_offset(text, r["end"]["line"], r["end"]["character"])
            if start is None or end is None or end < start:
                return None
            text = text[:start] + change["text"] + text[end:]
        return text


# ---- what to send ---------------------------------------------------------------------------------------------

def _range(a: tuple[int, int], b: tuple[int, int]) -> dict:
    return {"start": {"line": a[0], "character": a[1]}, "end": {"line": b[0], "character": b[1]}}


@st.composite
def change_for(draw, text: str) -> dict:
    """One content change against ``text`` (the client's), valid or not."""
    kind = draw(st.sampled_from(["edit"] * 8 + ["past_line_end", "end_line", "reversed", "far_line",
                                                  "split_pair", "full"]))
    insert = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=4)))
    n = len(text)
    if kind == "full":
        return {"text": draw(st.sampled_from([OPENED, insert, OPENED + insert]))}
    a = draw(st.integers(0, n))
    b = draw(st.integers(a, min(n, a + 12)))
    if 0 < a < n and text[a - 1] == "\r" and text[a] == "\n":
        a -= 1                          # an editor never puts a position inside a line ending
    if 0 < b < n and text[b - 1] == "\r" and text[b] == "\n":
        b -= 1
    b = max(a, b)
    start, end = position_of_index(text, a), position_of_index(text, b)
    if kind == "past_line_end":
        end = (end[0], end[1] + draw(st.integers(1, 50)))
    elif kind == "end_line":
        end = (len(_EOL.findall(text)) + 1, 0)
    elif kind == "reversed" and a < b:
        start, end = end, start
    elif kind == "far_line":
        end = (len(_EOL.findall(text)) + draw(st.integers(2, 1000)), 0)
    elif kind == "split_pair":
        pairs = [i for i, ch in enumerate(text) if _units(ch) == 2]
        if pairs:
            i = draw(st.sampled_from(pairs))
            line, col = position_of_index(text, i)
            start = (line, col + 1)
            end = max(end, start)
    return {"range": _range(start, end), "text": insert}


@st.composite
def steps(draw):
    """A list of steps; each is ("change", stale, [changes]) | ("save",) | ("reopen",) | ("unopened",)."""
    out = []
    text = OPENED
    for _ in range(draw(st.integers(1, 14))):
        what = draw(st.sampled_from(["change"] * 10 + ["save", "reopen", "unopened", "stale"]))
        if what in ("change", "stale"):
            changes = []
            for _ in range(draw(st.integers(1, 3))):
                change = draw(change_for(text))
                changes.append(change)
                applied = Model._apply_all(text, [change])
                text = applied if applied is not None else text
            out.append(("change", what == "stale", changes))
        else:
            out.append((what,))
    return out


# ---- the test ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("sync")
    root = copy_demo(base)
    (root / REL).write_bytes(DISK.encode("utf-8"))
    scratch = copy_demo(base, "scratch")
    with RawServer(base / "server.log", env={"ISG_LSP_TEST_HOOKS": "1"}) as srv:
        srv.initialize(root)
        srv.root, srv.scratch = root, scratch
        yield srv
        assert srv.shutdown() == 0
        log = srv.log_text()
    assert "Traceback" not in log, log[-3000:]


def _write(path: Path, text: str) -> None:
    """As editors save: a whole new file, never a truncated one in between."""
    temp = path.with_name(path.name + ".tmp~")
    temp.write_bytes(text.encode("utf-8", "surrogatepass"))
    os.replace(temp, path)


def fresh_export(scratch: Path, text: str) -> list[str]:
    (scratch / REL).write_bytes(text.encode("utf-8", "surrogatepass"))
    engine = Engine(scratch, persist=False)
    engine.index()
    return list(jsonl_lines(engine.graph))


def _check(server, model: Model, uri: str) -> None:
    state = server.result("isg/test/document", {"uri": uri})
    assert state["text"] == model.server
    assert state["synced"] == model.synced, state["reason"]
    expected = fresh_export(server.scratch, model.server)
    got = [line.replace(server.root.as_uri(), "") for line in state["export"]]
    assert got == expected


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps())
def test_random_edit_sequences_match_the_model_and_a_fresh_index(server, sequence):
    root = server.root
    path = root / REL
    _write(path, DISK)
    uri = path.as_uri()
    model = Model(DISK)
    model.did_open(OPENED)
    server.open(path, OPENED, version=1)
    model.version = 1
    version = 1
    for step in sequence:
        if step[0] == "change":
            _, stale, changes = step
            if stale:
                sent = version                  # not greater than the last one
            else:
                version += 1
                sent = version
            model.did_change(sent, changes)
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": sent},
                                                     "contentChanges": changes})
            EDITS["sent"] += len(changes)
            if STEPWISE:
                state = server.result("isg/test/document", {"uri": uri})
                assert (state["text"], state["synced"]) == (model.server, model.synced), (step, state["reason"])
        elif step[0] == "save":
            model.did_save(lambda text: _write(path, text))
            server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            server.result("isg/stats", {})       # the server has read the file before the test writes it again
        elif step[0] == "reopen":
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            version += 1
            model.did_open(model.client)
            model.version = version
            server.open(path, model.client, version=version)
        elif step[0] == "unopened":
            other = (root / "src/lib.rs").as_uri()
            server.notify("textDocument/didChange", {"textDocument": {"uri": other, "version": 99},
                                                     "contentChanges": [{"text": "garbage"}]})
    _check(server, model, uri)
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.result("isg/stats", {})
    EDITS["examples"] += 1


def test_out_of_sync_is_said_once_and_recovered(server):
    root = server.root
    path = root / REL
    path.write_bytes(DISK.encode("utf-8"))
    before = len(server.messages())
    uri = server.open(path, OPENED, version=1)
    bad = {"range": _range((0, 5), (0, 1)), "text": "x"}
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [bad]})
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [bad]})
    # a change whose parameters cannot even be read is a lost change too
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4},
                                             "contentChanges": [{"range": {"start": {"line": -1}}, "text": 5}]})
    state = server.result("isg/test/document", {"uri": uri})
    assert state["synced"] is False and state["text"] == DISK.lstrip("\ufeff")
    warnings = [m for m in server.messages()[before:] if "lost track" in m]
    assert len(warnings) == 1 and "ends before it starts" in warnings[0]
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 5},
                                             "contentChanges": [{"text": OPENED}]})
    state = server.result("isg/test/document", {"uri": uri})
    assert state["synced"] is True and state["text"] == OPENED
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def test_strict_position_conversion():
    line = "a😀中".encode()
    assert [utf16_to_byte_column(line, u) for u in range(6)] == [0, 1, None, 5, 8, 8]
    assert utf16_to_byte_column(b"abc", 99) == 3
    lone = "x\ud83dy".encode("utf-8", "surrogatepass")
    assert utf16_to_byte_column(lone, 2) == 4




# ---- the same model against the Document class alone: many more sequences, line starts checked too --------------

class _Change:
    def __init__(self, change: dict) -> None:
        from lsprotocol import types

        self.text = change["text"]
        r = change.get("range")
        self.range = None if r is None else types.Range(types.Position(**r["start"]), types.Position(**r["end"]))


@settings(max_examples=int(os.environ.get("ISG_SYNC_UNIT_EXAMPLES", "400")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_document_edits_match_the_model(data):
    from isg_lsp.engine import parser_for
    from isg_lsp.server.documents import Document, OutOfSync

    text = data.draw(st.sampled_from([OPENED, "a\rb\r\nc\n", "", "😀\r\r\n\n中"]))
    doc = Document("file:///x.rs", 1, text, "rust")
    doc.tree = parser_for("rust").parse(doc.data)
    for version in range(2, data.draw(st.integers(2, 12))):
        changes = [data.draw(change_for(text)) for _ in range(data.draw(st.integers(1, 2)))]
        expected = Model._apply_all(text, changes)
        try:
            doc.apply([_Change(c) for c in changes], version)
        except OutOfSync:
            assert expected is None
            assert doc.data.decode("utf-8", "surrogatepass") == text and doc.version == version - 1
            doc.version = version
            continue
        assert expected is not None, changes
        text = expected
        assert doc.text() == text
        assert doc.line_starts() == [0] + [len(text[:m.end()].encode("utf-8")) for m in _EOL.finditer(text)]
        EDITS["unit"] = EDITS.get("unit", 0) + len(changes)
    # the edited tree parses to the same tree as a fresh parse
    if doc.tree is not None:
        incremental = parser_for("rust").parse(doc.data, doc.tree)
        assert str(incremental.root_node) == str(parser_for("rust").parse(doc.data).root_node)


def test_zz_figures():
    print(f"\ndocument sync: {EDITS['examples']} sequences, {EDITS['sent']} content changes sent through the "
          f"protocol, {EDITS.get('unit', 0)} applied to Document directly")
