"""A killed indexer loses nothing: after `kill -9` at random points, the database passes SQLite's integrity check
and the next run leaves a graph equal to a fresh index of the files on disk."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.helpers import debian_crate

pytestmark = pytest.mark.realcode


def run(*args):
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, timeout=300)


def _index_process(root, db):
    return subprocess.Popen([sys.executable, "-m", "isg_lsp", "index", str(root), "--db", str(db), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_9_during_indexing_at_random_points(tmp_path):
    root = debian_crate("serde")
    db = tmp_path / "isg.db"
    expected = run("export", root, "--no-db").stdout
    assert expected.count(b"\n") > 1000
    # the kill window is relative to a cold index measured here, on this machine, now: a fixed window failed
    # whenever the indexer was faster than it
    started = time.monotonic()
    measured = _index_process(root, tmp_path / "measure.db")
    assert measured.wait(timeout=300) == 0
    cold_s = time.monotonic() - started
    rng = random.Random(20261122)
    kills = 0
    for _ in range(6):
        process = _index_process(root, db)
        time.sleep(rng.uniform(0.05, 0.7) * cold_s)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        if db.exists():
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
        if process.returncode == 0 and rng.random() < 0.5:
            # a run that finished leaves a warm database; start cold again now and then, so that kills keep
            # landing in the middle of an index
            for suffix in ("", "-wal", "-shm"):
                (tmp_path / f"isg.db{suffix}").unlink(missing_ok=True)
    print(f"\n{kills} kills of 6 runs (cold index {cold_s:.1f} s)")
    assert kills >= 1, "the indexer finished before every kill: the test did not test anything"
    done = run("export", root, "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


# ---- kill -9 of the language server during indexing and bursts of edits ---------------------------------------

KILLS = int(__import__("os").environ.get("ISG_KILLS", "8"))
FIGURES = {"kills": 0}


def _graph_from_database(db) -> list[str]:
    from isg_lsp.engine import Engine
    from isg_lsp.export import jsonl_lines
    from isg_lsp.graph import Graph
    from isg_lsp.store import Store

    store = Store(db)
    try:
        facts = store.load_facts()
    finally:
        store.close()
    scratch = Engine(db.parent, persist=False)       # only for its resolver hooks
    graph = Graph(resolver_for=scratch.graph._resolver_for, family_of=scratch.graph._family_of)
    graph.load(facts)
    return list(jsonl_lines(graph))


def test_a_save_the_disk_has_already_overtaken_is_not_trusted(tmp_path):
    """didSave arrives when the file on disk already holds a later save of the same size (the editor's next change
    not yet sent): the database must not pair the buffer's facts with the disk's time, or the next start would trust
    a graph of text the file no longer has. Found by the kill -9 test below, deterministic here."""
    from tests.robustness.rawlsp import RawServer, copy_demo

    root = copy_demo(tmp_path)
    util = root / "src/util.rs"
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        uri = server.open(util)
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": "pub fn saved_a() {}\n"}]})
        server.request("isg/stats")                                # the change is in the graph (surgery before a request)
        util.write_text("pub fn saved_b() {}\n")                 # the same size, written before the save arrives
        server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        server.request("isg/stats")
        assert server.shutdown() == 0
    _assert_next_start_reads_the_disk(root, "demo_crate::util::saved_b")


def _assert_next_start_reads_the_disk(root, fqp: str) -> None:
    """A start from the database gives the graph of a fresh index of the files on disk, which declare ``fqp``."""
    from isg_lsp.engine import Engine
    from isg_lsp.export import jsonl_lines

    warm = Engine(root)
    warm.index()
    fresh = Engine(root, persist=False)
    fresh.index()
    assert fqp in {n.fqp for n in warm.graph.nodes.values()}
    assert list(jsonl_lines(warm.graph)) == list(jsonl_lines(fresh.graph))


def test_a_save_before_the_typed_change_is_applied_is_not_trusted(tmp_path):
    """didChange, the file written, didSave, all before the pause that applies the change to the graph: the graph
    still holds the previous text, so the database must not store it with the saved file's time (shutdown writes
    what the graph holds without applying buffers). Found by the kill -9 test below, deterministic here."""
    from tests.robustness.rawlsp import RawServer, copy_demo

    root = copy_demo(tmp_path)
    util = root / "src/util.rs"
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        uri = server.open(util)
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": "pub fn typed() {}\n"}]})
        server.request("isg/stats")                                # the graph holds "typed"
        text = "pub fn saved_later() {}\n"
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                                 "contentChanges": [{"text": text}]})
        util.write_text(text)
        server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        assert server.shutdown() == 0                              # at once: the change is not applied
    _assert_next_start_reads_the_disk(root, "demo_crate::util::saved_later")


def test_kill_9_of_the_server_during_indexing_and_edits(tmp_path):
    from isg_lsp.engine import Engine
    from isg_lsp.export import jsonl_lines
    from tests.robustness.rawlsp import RawServer, ServerGone, copy_demo

    root = copy_demo(tmp_path)
    for i in range(120):
        (root / "src" / f"k{i}.rs").write_text(f"pub struct K{i};\nimpl crate::shapes::Shape for K{i} {{"
                                                f" fn area(&self) -> f64 {{ crate::helper() as f64 }} }}\n")
    with (root / "src/lib.rs").open("a") as f:
        f.write("".join(f"pub mod k{i};\n" for i in range(120)))
    db = root / ".isg" / "isg.db"
    rng = random.Random(8128)
    for attempt in range(KILLS):
        server = RawServer(tmp_path / f"server{attempt}.log")
        deadline = time.monotonic() + rng.uniform(0.3, 2.5)
        try:
            server.initialize(root, wait=False)
            version = 1
            uri = server.open(root / "src/util.rs")
            while time.monotonic() < deadline:
                what = rng.random()
                if what < 0.4:                                   # a file changed on disk
                    i = rng.randrange(120)
                    path = root / "src" / f"k{i}.rs"
                    path.write_text(f"pub struct K{i};\npub struct Edited{attempt}_{version};\n")
                    server.notify("workspace/didChangeWatchedFiles", {"changes": [
                        {"uri": path.as_uri(), "type": 2}]})
                elif what < 0.8:                                 # typing
                    version += 1
                    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                             "contentChanges": [{"text": f"pub fn typed{version}() {{}}\n"}]})
                else:                                            # a save: the buffer goes to disk
                    text = f"pub fn saved{attempt}_{version}() {{}}\n"
                    version += 1
                    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                             "contentChanges": [{"text": text}]})
                    (root / "src/util.rs").write_text(text)
                    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
                time.sleep(rng.uniform(0.0, 0.03))
        except ServerGone:
            pass
        alive = server.proc.poll() is None
        server.kill()
        FIGURES["kills"] += alive
        if db.exists():
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
    assert FIGURES["kills"] >= KILLS - 1
    # a clean run after the last kill: its database holds exactly a fresh index of the files on disk
    with RawServer(tmp_path / "final.log") as server:
        server.initialize(root)
        assert server.shutdown() == 0
    fresh = Engine(root, persist=False)
    fresh.index()
    assert _graph_from_database(db) == list(jsonl_lines(fresh.graph))
    print(f"\ncrash safety: {FIGURES['kills']} kill -9 of the server survived")
