"""Byte ↔ UTF-16 conversions: the one module that does them, checked against Python's own codecs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from isg_lsp.positions import LineIndex, utf16_len, utf16_offset_to_index, utf16_prefix

TEXT = st.text(alphabet=st.sampled_from(list("ab \t\n{}é中😀\u0301")), max_size=60)


def test_non_ascii_columns():
    data = "let é = \"😀\"; fn x() {}\n中文 fn y() {}\n".encode()
    lines = LineIndex(data)
    col = data.split(b"\n")[0].index(b"fn")
    assert lines.utf16_column(0, col) == len("let é = \"") + 2 + len("\"; ")
    assert lines.byte_column(0, lines.utf16_column(0, col)) == col
    col = data.split(b"\n")[1].index(b"fn")
    assert lines.utf16_column(1, col) == 3
    assert lines.byte_offset(1, 3) == data.index("中文 fn".encode()) + len("中文 ".encode())


def test_positions_past_the_end_are_clamped():
    lines = LineIndex(b"ab\ncd")
    assert lines.byte_column(0, 99) == 2
    assert lines.byte_offset(9, 0) == 5


@given(TEXT, st.integers(min_value=0, max_value=80))
def test_utf16_prefix_never_splits_a_character(text, units):
    prefix = utf16_prefix(text, units)
    assert text.startswith(prefix)
    assert utf16_len(prefix) <= units
    rest = text[len(prefix):]
    assert not rest or utf16_len(prefix) + utf16_len(rest[0]) > units


@given(TEXT)
def test_round_trip_of_every_character_boundary(text):
    data = text.encode("utf-8")
    lines = LineIndex(data)
    for row, line in enumerate(text.split("\n")):
        for i in range(len(line) + 1):
            units = utf16_len(line[:i])
            byte = len(line[:i].encode("utf-8"))
            assert lines.byte_column(row, units) == byte
            assert lines.utf16_column(row, byte) == units
            assert utf16_offset_to_index(text, row, units) == sum(len(x) + 1 for x in text.split("\n")[:row]) + i


def test_crlf_line_end_is_not_part_of_the_line():
    text = "ab\r\ncd"
    assert utf16_offset_to_index(text, 0, 99) == 2
    assert utf16_offset_to_index(text, 1, 1) == 5
