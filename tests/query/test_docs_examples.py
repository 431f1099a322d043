"""Every example of docs/query-language.md runs against the demo fixture and prints what the docs show.

In the docs, a block marked `isg` is a query and an `isg-error` block a query that must fail; the `result` block
that follows holds what it prints (every line of it must appear in the output, in order). The `sql` blocks of
docs/sql.md run through isg/sql.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from isg_lsp.querylang import QueryLanguageError, run_query
from isg_lsp.sqlquery import run_sql

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
EXAMPLE = re.compile(r"```(isg|isg-error)\n(.*?)\n```\n\n```result\n(.*?)```", re.S)


def examples():
    text = (DOCS / "query-language.md").read_text(encoding="utf-8")
    found = [(m.group(1), m.group(2), m.group(3)) for m in EXAMPLE.finditer(text)]
    bare = re.findall(r"```(isg|isg-error)\n", text)
    assert len(found) == len(bare), "every isg block is followed by a result block"
    return found


EXAMPLES = examples()


def test_the_docs_have_examples_of_every_command_and_error():
    queries = [q for kind, q, _ in EXAMPLES if kind == "isg"]
    for command in ("who-implements", "find", "callers", "callees", "blast-radius", "path", "cycles", "context"):
        assert any(q.startswith(command) for q in queries), command
    assert sum(1 for kind, _q, _r in EXAMPLES if kind == "isg-error") >= 10


@pytest.mark.parametrize("kind, query, expected", EXAMPLES, ids=[q for _k, q, _r in EXAMPLES])
def test_docs_example(graph, kind, query, expected):
    if kind == "isg-error":
        with pytest.raises(QueryLanguageError) as info:
            run_query(graph, query)
        assert str(info.value) == expected.strip()
        return
    result = run_query(graph, query)
    output = result.to_text()
    if "format triples" in query or query.startswith("context"):
        output = (output + "\n" + result.triples_text(graph)) if "format triples" in query else \
            result.triples_text(graph)
    lines = output.splitlines()
    position = 0
    for line in expected.strip("\n").splitlines():
        while position < len(lines) and lines[position].rstrip() != line.rstrip():
            position += 1
        assert position < len(lines), f"missing or out of order: {line!r}\n--- output:\n{output}"
        position += 1


SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


def sql_examples():
    text = (DOCS / "sql.md").read_text(encoding="utf-8")
    statements = []
    for block in SQL_BLOCK.findall(text):
        for statement in block.split(";"):
            lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
            statement = "\n".join(lines).strip()
            if statement:
                statements.append(statement)
    return statements


@pytest.mark.parametrize("sql", sql_examples())
def test_sql_docs_example(demo_db, sql):
    _engine, db = demo_db
    result = run_sql(db, sql)
    assert result.columns and result.rows
