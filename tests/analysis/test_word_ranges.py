"""Where a name stands in a span: the occurrence list a long span is answered from (made once per text and word)
gives the same ranges as scanning the span's lines, for any text, span and limit (UTF-16 columns included), and
follows a text that changed (a new object) rather than answering from the old one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from isg_lsp.analysis import text

WORDS = ["Iter", "Iterator", "x", "é", "𝄞", "_Iter", "Iter_", " ", "(", "::", "Iter2"]


@st.composite
def texts_and_spans(draw):
    lines = [
        "".join(draw(st.lists(st.sampled_from(WORDS), max_size=12)))
        for _ in range(draw(st.integers(min_value=1, max_value=120)))
    ]
    sl = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    el = draw(st.integers(min_value=sl, max_value=len(lines) + 3))
    sc = draw(st.integers(min_value=0, max_value=30))
    ec = draw(st.integers(min_value=0, max_value=60))
    if el == sl:
        ec = max(ec, sc)
    return lines, (sl, sc, el, ec), draw(st.sampled_from(["Iter", "Iterator", "x", "é"])), draw(st.integers(1, 60))


@settings(max_examples=300, deadline=None)
@given(texts_and_spans())
def test_the_occurrence_list_answers_as_the_scan(monkeypatch_case):
    lines, span, word, limit = monkeypatch_case
    saved = text.LONG_SPAN
    try:
        text.LONG_SPAN = 10**9  # every span scanned
        scanned = text.word_ranges(lines, word, span, limit)
        text.LONG_SPAN = -1  # every span from the occurrence list
        listed = text.word_ranges(lines, word, span, limit)
        listed_again = text.word_ranges(lines, word, span, limit)
    finally:
        text.LONG_SPAN = saved
    assert listed == scanned
    assert listed_again == scanned


def test_a_changed_text_is_read_again():
    lines = ["struct A {", "    it: Iterator,", "}"] + ["    // filler"] * 60 + ["}"]
    span = (0, 0, len(lines) - 1, 1)
    assert [r.start_line for r in text.word_ranges(lines, "Iterator", span)] == [1]
    changed = list(lines)
    changed[30] = "    other: Iterator,"
    assert [r.start_line for r in text.word_ranges(changed, "Iterator", span)] == [1, 30]
    assert [r.start_line for r in text.word_ranges(lines, "Iterator", span)] == [1]
