"""Finding 1: a regex from a user or an assistant (`isg/query ... regex`, `isg/sql ... REGEXP`) never freezes the
server. Python's `re` backtracks for hours on `a*a*a*a*a*a*a*a*b` against a long name and nothing can interrupt a
match that has started; isg-lsp matches with RE2 (linear time), so the answer comes, and the next request too.
Globs (`isg/search`, `glob`) keep a bounded cache of compiled patterns."""

from __future__ import annotations

import re

import pytest

from isg_lsp import patterns
from isg_lsp.sqlquery import SqlError, run_sql
from tests.robustness.rawlsp import RawServer, copy_demo

HOSTILE = ["a*a*a*a*a*a*a*a*b", ".*.*.*.*!", "(a+)+$", "(a|aa)*b", "(.*a){12}x", "(?:a?){30}a{30}"]
LONG_NAME = "a" * 3000


def workspace(tmp_path):
    root = copy_demo(tmp_path)
    (root / "src" / "long.rs").write_text(f"pub struct {LONG_NAME};\npub fn {LONG_NAME}_fn() {{}}\n")
    lib = root / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\npub mod long;\n")
    return root


@pytest.mark.parametrize("pattern", HOSTILE)
def test_hostile_patterns_compile_and_match_at_once(pattern):
    regex = patterns.regex(pattern)
    for short in ("a" * 8, "aab", "x!", "a" * 8 + "x"):               # the same answers as Python's re
        assert (regex.search(short) is not None) == (re.search(pattern, short) is not None), short
    for long in ("a" * 100_000, "a" * 100_000 + "!", "ab" * 50_000):   # Python's re would run for hours here
        regex.search(long)


@pytest.mark.parametrize("pattern, why", [("(x)\\1", "backreferences"), ("(?=a)b", "lookahead"),
                                          ("(?<=a)b", "lookbehind"), ("(unclosed", "invalid"),
                                          ("x" * 301, "longer than")])
def test_what_re2_cannot_do_is_refused_with_a_reason(pattern, why):
    with pytest.raises(patterns.UnsafePattern, match=why):
        patterns.regex(pattern)


def test_glob_cache_is_bounded():
    for i in range(patterns.CACHE_SIZE * 4):
        assert not patterns.glob(f"*x{i}*y*")("a" * 1000)
    assert patterns.cache_sizes()[1] <= patterns.CACHE_SIZE
    with pytest.raises(patterns.UnsafePattern):
        patterns.glob("*" * (patterns.MAX_GLOB_LENGTH + 1))


def test_sql_regexp_with_a_hostile_pattern_answers(tmp_path):
    from isg_lsp.engine import Engine

    root = workspace(tmp_path)
    engine = Engine(root)
    engine.index()
    engine.close()
    for pattern in HOSTILE:
        result = run_sql(root / ".isg" / "isg.db", "SELECT count(*) FROM isg_nodes WHERE name REGEXP ?",
                         params=(pattern,), budget_ms=20_000)
        assert result.rows[0][0] >= 0
    with pytest.raises(SqlError, match="backreferences"):
        run_sql(root / ".isg" / "isg.db", "SELECT name FROM isg_nodes WHERE name REGEXP '(a)\\1'")


def test_the_server_answers_hostile_regexes_and_keeps_serving(tmp_path):
    root = workspace(tmp_path)
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        for pattern in ("a*a*a*a*a*a*a*a*b", ".*.*.*.*!"):
            query = server.request("isg/query", {"query": f'find * where name regex "{pattern}"'}, timeout=60)
            assert "result" in query, query
            assert not [row for row in query["result"]["rows"] if LONG_NAME in str(row)]
            sql = server.request("isg/sql", {"sql": f"SELECT name FROM isg_nodes WHERE name REGEXP '{pattern}'"},
                                 timeout=60)
            assert "result" in sql, sql
            assert not [row for row in sql["result"]["rows"] if LONG_NAME in str(row)]
        found = server.result("isg/query", {"query": 'find struct where name regex "^a+$"'})
        assert [row for row in found["rows"] if LONG_NAME in str(row)]
        search = server.result("isg/search", {"pattern": "*a*a*a*a*a*a*a*a*b"}, timeout=60)
        assert search["total"] == 0
        assert server.result("isg/stats", {})["state"] == "ready"
        assert server.shutdown() == 0
