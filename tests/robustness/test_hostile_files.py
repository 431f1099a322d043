"""Hostile files never hurt: binary data, NUL bytes, invalid UTF-8, UTF-16, huge files and lines, deep nesting,
link loops and links out of the workspace. The walk ends, nothing outside is indexed, the rest is."""

from __future__ import annotations

import os
import time

from isg_lsp.engine import Engine
from isg_lsp.workspace import WorkspaceConfig, walk


def make_hostile_workspace(root):
    src = root / "src"
    (src / "loop").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "hostile"\n')
    (src / "lib.rs").write_text("pub mod ok;\npub fn nested() { let x = " + "(" * 100_000 + "1" + ")" * 100_000
                                + "; ok::fine(); }\n")
    (src / "ok.rs").write_text("pub fn fine() {}\npub struct Good;\n")
    (src / "binary.rs").write_bytes(b"\x00\x01\x02fn hidden() {}\xff" * 10)
    (src / "invalid_utf8.rs").write_bytes(b"pub struct \xff\xfeBad;\npub fn after_bad_bytes() {}\n")
    (src / "utf16.rs").write_bytes("pub struct FromUtf16;\n".encode("utf-16"))
    (src / "bom.rs").write_bytes(b"\xef\xbb\xbfpub struct AfterBom;\n")
    (src / "one_line.rs").write_text("pub fn long() {" + "x();" * 1_300_000 + "}\n")        # a 5 MB single line
    with open(src / "huge.rs", "w") as f:                                                     # a 50 MB file
        for i in range(1_000_000):
            f.write(f"pub fn f{i}() {{ g(); }} // padding padding padding\n")
    os.symlink("..", src / "loop" / "up")                       # a link loop
    os.symlink("/etc", src / "outside_dir")                     # links pointing out of the workspace
    os.symlink("/etc/hostname", src / "outside.rs")
    return root


def test_walk_ends_and_stays_inside(tmp_path):
    root = make_hostile_workspace(tmp_path / "ws")
    started = time.monotonic()
    files = walk(root, WorkspaceConfig())
    assert time.monotonic() - started < 10
    assert "src/outside.rs" not in files
    assert not any(f.startswith(("src/outside_dir", "src/loop/up")) for f in files)
    assert "src/ok.rs" in files


def test_index_survives_and_reports_what_it_skipped(tmp_path):
    root = make_hostile_workspace(tmp_path / "ws")
    engine = Engine(root, db_path=tmp_path / "isg.db")
    report = engine.index()
    graph = engine.graph
    assert graph.by_fqp("hostile::ok::Good") and graph.by_fqp("hostile::nested")
    assert graph.by_fqp("hostile::invalid_utf8::after_bad_bytes")
    assert graph.by_fqp("hostile::utf16::FromUtf16")
    assert graph.by_fqp("hostile::bom::AfterBom")
    assert not graph.by_fqp("hostile::binary::hidden")
    assert report.skipped["src/binary.rs"] == "binary content"
    assert "larger than" in report.skipped["src/huge.rs"]
    assert "larger than" in report.skipped["src/one_line.rs"]
    assert all(n.file is None or not n.file.startswith("/") for n in graph.nodes.values())
    assert not any(n.file and "outside" in n.file for n in graph.nodes.values())
    # skipped files still have their module node (they exist), and a second run does not re-read them
    assert graph.by_fqp("hostile::huge")
    engine.close()
    again = Engine(root, db_path=tmp_path / "isg.db").index()
    assert again.parsed == 0 and set(again.skipped) == set(report.skipped)


def test_a_probe_is_answered_promptly_while_the_server_indexes_hostile_files(tmp_path):
    """Through the server: indexing the hostile workspace in worker processes, opening its worst files in the
    editor, and a probe request (isg/stats) every 50 ms answered promptly throughout."""
    import threading

    from tests.robustness.rawlsp import RawServer

    root = make_hostile_workspace(tmp_path / "ws")
    with RawServer(tmp_path / "server.log") as server:
        latencies: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            while not stop.is_set():
                started = time.monotonic()
                server.result("isg/stats", {}, timeout=30)
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)

        server.initialize(root, wait=False)
        thread = threading.Thread(target=probe)
        thread.start()
        try:
            server.wait_ready(120)
            # the worst files, open in the editor (parsed in the server's own process)
            server.open(root / "src/lib.rs")
            server.open(root / "src/one_line.rs")
            server.open(root / "src/invalid_utf8.rs", (root / "src/invalid_utf8.rs").read_bytes().decode("utf-8",
                                                                                                           "replace"))
            symbols = server.result("workspace/symbol", {"query": "fine"})
            assert [s["name"] for s in symbols] == ["fine"]
            everything = server.result("workspace/symbol", {"query": ""}) or []
            assert all(s["location"]["uri"].startswith(root.as_uri()) for s in everything)
            assert not server.result("workspace/symbol", {"query": "hidden"})
            time.sleep(0.5)
        finally:
            stop.set()
            thread.join(60)
        assert server.shutdown() == 0
    assert latencies and max(latencies) < 1.0, f"slowest probe {max(latencies):.2f} s"
    print(f"\nhostile files: {len(latencies)} probes, slowest {max(latencies) * 1000:.0f} ms")


def test_deep_nesting_in_every_language_is_extracted_without_recursion():
    """100,000 nested brackets and a 20,000-link member chain in each language: facts, no error (tree walks are
    iterative; a recursive walk fails at ~1,000 levels)."""
    from pathlib import Path

    from isg_lsp import languages
    from isg_lsp.engine import extract_source

    n, chain = 100_000, ".b" * 20_000
    cases = {
        "a.rs": "pub fn f() { let x = " + "(" * n + "1" + ")" * n + "; a" + chain + "(); }\npub struct S;\n",
        "a.py": "def f():\n    x = " + "(" * n + "1" + ")" * n + "\n    a" + chain + "()\nclass S: pass\n",
        "a.ts": "export function f() { const x = " + "(" * n + "1" + ")" * n + "; a" + chain + "(); }\n"
                "export class S {}\n",
        "S.java": "class S { void f() { int x = " + "(" * n + "1" + ")" * n + "; a" + chain + "(); } }\n",
        "a.go": "package a\nfunc F() { x := " + "(" * n + "1" + ")" * n + "; a" + chain + "() }\ntype S struct{}\n",
    }
    for rel, text in cases.items():
        spec = languages.language_for_path(rel)
        layout = languages.support(spec.name).build_layout(Path("/nonexistent"), [rel])
        facts, _ = extract_source(rel, text.encode(), spec, layout)
        assert facts.error is None, (rel, facts.error)
        assert "S" in {node.name for node in facts.nodes}, rel
