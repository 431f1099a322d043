"""The `isg-lsp` command as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import FIXTURES


def isg(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_index_prints_a_summary_and_writes_the_database(copy_fixture):
    root = copy_fixture("rust/demo")
    done = isg("index", root)
    assert done.returncode == 0, done.stderr
    for label in ("files", "lines of code", "nodes", "edges", "unresolved references", "seconds", "peak memory",
                  "database", "map size"):
        assert label in done.stdout
    assert "T trait" in done.stdout and "IMPL" in done.stdout
    assert (root / ".isg" / "isg.db").is_file()
    again = isg("index", root, "--json")
    summary = json.loads(again.stdout)
    assert summary["parsed"] == 0 and summary["reused"] == summary["files"] == 4


def test_export_twice_is_byte_identical(copy_fixture, tmp_path):
    root = copy_fixture("rust/demo")
    assert isg("export", root, "-o", tmp_path / "a.jsonl").returncode == 0
    assert isg("export", root, "--no-db", "-o", tmp_path / "b.jsonl").returncode == 0
    a = (tmp_path / "a.jsonl").read_bytes()
    assert a == (tmp_path / "b.jsonl").read_bytes()
    first = json.loads(a.splitlines()[0])
    assert first["type"] == "node" and len(first["id"]) == 32


def test_map_lists_modules_items_and_relations():
    default = isg("map", FIXTURES / "rust/demo", "--no-db")          # the public API (tests/test_repomap.py)
    assert default.returncode == 0 and "  T Shape | by Square, circle::Circle" in default.stdout.splitlines()
    done = isg("map", FIXTURES / "rust/demo", "--no-db", "--level", "full")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert "demo_crate::shapes" in lines
    assert "  T pub Shape" in lines
    assert any(line.startswith("  S pub Circle") and "impl" in line and "shapes::Shape" in line for line in lines)
    # helper's `unit_circle().area()` is Circle's area through unit_circle's declared return type (issue #16): a
    # fact, not a guess (a guess would be shown as `~area`)
    helper = next(line for line in lines if line.startswith("  F pub helper() -> u32 | calls "))
    assert "shapes::unit_circle" in helper and "Circle as shapes::Shape>::area" in helper and "~" not in helper


def test_queries_in_text_and_json():
    root = FIXTURES / "rust/demo"
    done = isg("query", root, "--no-db", "who-implements demo_crate::shapes::Shape")
    assert done.returncode == 0, done.stderr
    assert "demo_crate::shapes::Square" in done.stdout and "demo_crate::shapes::circle::Circle" in done.stdout
    rows = json.loads(isg("query", root, "--no-db", "--json", "callers demo_crate::Registry::count").stdout)["rows"]
    assert [r["fqp"] for r in rows] == ["demo_crate::Registry::total"]
    rows = json.loads(isg("query", root, "--no-db", "--json", "callees demo_crate::Registry::total").stdout)["rows"]
    assert {r["fqp"] for r in rows} >= {"demo_crate::Registry::count", "demo_crate::util::sum"}
    radius = json.loads(isg("query", root, "--no-db", "--json",
                            "blast-radius demo_crate::Registry::count depth 2").stdout)
    assert [r["fqp"] for r in radius["rows"]] == ["demo_crate::Registry::total"]


def test_cycles_between_modules(tmp_path):
    root = tmp_path / "cyc"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "cyc"\n')
    (root / "src/lib.rs").write_text("pub mod a;\npub mod b;\n")
    (root / "src/a.rs").write_text("pub fn fa() { crate::b::fb() }\n")
    (root / "src/b.rs").write_text("pub fn fb() { crate::a::fa() }\n")
    done = isg("query", root, "--no-db", "--json", "cycles module")
    assert done.returncode == 0, done.stderr
    (cycle,) = json.loads(done.stdout)["rows"]
    assert cycle["size"] == 2 and set(cycle["members"]) == {"cyc::a", "cyc::b"}


def test_clear_errors():
    missing = isg("index", "/no/such/folder")
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    not_dir = isg("index", FIXTURES / "rust/demo/Cargo.toml")
    assert not_dir.returncode == 2 and "not a folder" in not_dir.stderr
    empty = isg("index", FIXTURES.parent / "golden", "--no-db")
    assert empty.returncode == 2 and "no source files" in empty.stderr
    unknown = isg("query", FIXTURES / "rust/demo", "--no-db", "who-implements NoSuchTrait")
    assert unknown.returncode == 2 and "NoSuchTrait" in unknown.stderr and "matches" in unknown.stderr
    assert "Traceback" not in missing.stderr + not_dir.stderr + empty.stderr + unknown.stderr
