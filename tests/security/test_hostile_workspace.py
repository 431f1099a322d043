"""Finding 9: what one hostile file or message costs.

- a FIFO named `x.rs` hung the CLI and stalled the server's index (~34 minutes): irregular files are skipped;
- one hostile `Cargo.toml`, `tsconfig.json` or `go.mod` failed the whole index (a string where a table was expected,
  nesting too deep for the parser, a quadratic regex over a 4 MB file): it costs that manifest only;
- notifications sent with an `id` got no response: they are handled and answered with `null`;
- `isg/stats` said `ready` after indexing failed: it says `failed`;
- `isg/search` kept every distinct glob pattern compiled (~9 MB each for long ones): globs are bounded in length and
  kept in a cache of 64 (test_regex_freeze.py checks the bound).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.robustness.rawlsp import REPO, RawServer, copy_demo


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, timeout=timeout,
                          cwd=REPO)


def fqps(done) -> set[str]:
    return {json.loads(line).get("fqp") for line in done.stdout.decode().splitlines()} - {None}


def test_a_fifo_named_like_a_source_file_is_skipped(tmp_path):
    root = copy_demo(tmp_path)
    os.mkfifo(root / "src" / "x.rs")
    os.mkfifo(root / "src" / "y.ts")
    done = cli("export", root, "--no-db", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "demo_crate::shapes::Shape" in fqps(done)
    with RawServer(tmp_path / "server.log") as server:
        assert server.initialize(root) and server.wait_ready(60)["files"] == 4
        os.mkfifo(root / "src" / "z.rs")                       # appears later, announced by the editor
        server.notify("workspace/didChangeWatchedFiles", {"changes": [
            {"uri": (root / "src" / "z.rs").as_uri(), "type": 1}, {"uri": (root / "src" / "x.rs").as_uri(), "type": 2}]})
        assert server.result("isg/stats", {}, timeout=30)["state"] == "ready"
        assert server.result("workspace/symbol", {"query": "Shape"}, timeout=30)
        assert server.shutdown() == 0


def hostile_manifests(tmp_path):
    root = tmp_path / "ws"
    good = root / "good"
    (good / "src").mkdir(parents=True)
    (good / "Cargo.toml").write_text('[package]\nname = "good_crate"\nversion = "0.1.0"\n')
    (good / "src" / "lib.rs").write_text("pub struct Fine;\n")
    for name, manifest in (("strings", 'package = "x"\nlib = 3\nbin = "y"\n'),
                           ("deep", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),
                           ("binary", "\0\xff" * 1000)):
        crate = root / name
        (crate / "src").mkdir(parents=True)
        (crate / "Cargo.toml").write_text(manifest, errors="surrogateescape")
        (crate / "src" / "lib.rs").write_text(f"pub struct In{name.title()};\n")
    (root / "bigcrate" / "src").mkdir(parents=True)
    with open(root / "bigcrate" / "Cargo.toml", "wb") as big:        # past the manifest limit
        big.write(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    (root / "bigcrate" / "src" / "lib.rs").write_text("pub struct InBig;\n")
    web = root / "web"
    web.mkdir()
    (web / "a.ts").write_text("export interface Shape { area(): number }\n")
    (web / "tsconfig.json").write_text('{"compilerOptions": [1, 2], "extends": "./deep.json"}')
    (web / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "web2").mkdir()
    (root / "web2" / "b.ts").write_text("export class Two {}\n")
    (root / "web2" / "tsconfig.json").write_text("/*x" * 300_000)          # unclosed comments: was quadratic
    (root / "gomod").mkdir()
    (root / "gomod" / "go.mod").write_text("\n" * 3_000_000 + "module example.com/m\n")   # was quadratic
    (root / "gomod" / "m.go").write_text("package m\n\ntype Thing struct{}\n")
    return root


def test_hostile_manifests_cost_that_manifest_only(tmp_path):
    root = hostile_manifests(tmp_path)
    done = cli("export", root, "--no-db", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = fqps(done)
    assert "good_crate::Fine" in found
    assert any(f.endswith("InStrings") for f in found) and any(f.endswith("InDeep") for f in found)
    assert any(f.endswith("Shape") for f in found) and any(f.endswith("Two") for f in found)
    assert "example.com/m.Thing" in found or any(f.endswith("Thing") for f in found)
    with RawServer(tmp_path / "server.log") as server:
        stats = server.initialize(root, timeout=120) and server.wait_ready(120)
        assert stats["state"] == "ready" and stats["files"] >= 8
        assert server.shutdown() == 0


def test_notifications_sent_with_an_id_are_answered(tmp_path):
    root = copy_demo(tmp_path)
    lib = root / "src" / "lib.rs"
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        opened = server.request("textDocument/didOpen", {"textDocument": {
            "uri": lib.as_uri(), "languageId": "rust", "version": 1,
            "text": lib.read_text() + "\npub struct OpenedWithAnId;\n"}}, timeout=30)
        assert opened == {"jsonrpc": "2.0", "id": opened["id"], "result": None}
        assert server.result("isg/search", {"pattern": "OpenedWithAnId"})["total"] == 1   # and it was handled
        for method, params in (("$/setTrace", {"value": "off"}), ("$/cancelRequest", {"id": 12345}),
                               ("textDocument/didClose", {"textDocument": {"uri": lib.as_uri()}})):
            assert server.request(method, params, timeout=30)["result"] is None
        assert server.result("isg/search", {"pattern": "OpenedWithAnId"})["total"] == 0
        assert server.shutdown() == 0


def test_stats_say_failed_after_a_failed_index(tmp_path):
    root = copy_demo(tmp_path)
    with RawServer(tmp_path / "server.log", env={"ISG_LSP_TEST_INDEX_FAULT": "1"}) as server:
        server.initialize(root, wait=False)
        for _ in range(600):
            stats = server.result("isg/stats", {})
            if stats["state"] != "indexing":
                break
        assert stats["state"] == "failed"
        assert stats["folders"][0]["state"] == "failed"
        assert any("indexing demo failed" in m for m in server.messages())
        assert server.shutdown() == 0


def test_long_glob_patterns_are_refused_not_compiled(tmp_path):
    root = copy_demo(tmp_path)
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        for i in range(20):
            answer = server.request("isg/search", {"pattern": "*ab?" * 12_500 + str(i)}, timeout=30)
            assert answer["error"]["code"] == -32602 and "longer than" in answer["error"]["message"]
        for i in range(200):                                  # many short distinct ones: answered, cache bounded
            assert server.result("isg/search", {"pattern": f"*Sha*{i}*"})["total"] == 0
        assert server.result("isg/search", {"pattern": "*Sha?e"})["total"] >= 1
        assert server.shutdown() == 0
