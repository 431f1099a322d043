"""`isg-lsp index`, `query`, `map`, `context` (and `export`) work on the current folder when no path is given, and
`--version` says the package's version."""

from __future__ import annotations

import json
import subprocess
import sys

import isg_lsp


def isg(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_version():
    done = isg("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"isg-lsp {isg_lsp.__version__}"


def test_every_workspace_command_defaults_to_the_current_folder(copy_fixture):
    root = copy_fixture("rust/demo")
    index = isg("index", "--json", cwd=root)
    assert index.returncode == 0, index.stderr
    assert json.loads(index.stdout)["files"] == 4 and (root / ".isg" / "isg.db").is_file()
    query = isg("query", "who-implements demo_crate::shapes::Shape", cwd=root)
    assert query.returncode == 0, query.stderr
    assert "demo_crate::shapes::Square" in query.stdout and "demo_crate::shapes::circle::Circle" in query.stdout
    mapped = isg("map", cwd=root)
    assert mapped.returncode == 0 and "  T Shape | by Square, circle::Circle" in mapped.stdout.splitlines()
    context = isg("context", "demo_crate::shapes::Shape", "--budget", "500", cwd=root)
    assert context.returncode == 0 and "demo_crate::shapes::Shape" in context.stdout
    exported = isg("export", cwd=root)
    assert exported.returncode == 0 and json.loads(exported.stdout.splitlines()[0])["type"] == "node"


def test_a_path_and_options_may_come_in_any_order(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    expected = {"demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle"}
    for args in (
        [root, "--no-db", "--json", "who-implements demo_crate::shapes::Shape"],
        ["--json", root, "who-implements demo_crate::shapes::Shape", "--no-db"],
        ["--json", "--no-db", root, "who-implements demo_crate::shapes::Shape"],
    ):
        done = isg("query", *args, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        assert {row["fqp"] for row in json.loads(done.stdout)["rows"]} == expected
    # query text that looks like a path is kept as written
    done = isg("query", "--no-db", "find struct where name = \"a//b/\"", cwd=root)
    assert done.returncode == 0, done.stderr


def test_wrong_words_are_reported_without_a_traceback(tmp_path):
    for args, message in ((["query"], "give the query text"), (["query", "a", "b", "c"], "unrecognized arguments: c"),
                          (["query", "--bogus", "x"], "unrecognized arguments: --bogus"),
                          (["index", "a", "b"], "unrecognized arguments: b"),
                          (["index"], "no source files found under .")):
        done = isg(*args, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
