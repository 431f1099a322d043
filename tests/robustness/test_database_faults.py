"""The database through the server: unusable files are moved aside and rebuilt, a location that cannot be written or
a full disk leaves the index in memory, each said to the user once (window/showMessage); two servers on one
workspace never corrupt the database nor show "database is locked"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from isg_lsp.engine import Engine
from isg_lsp.store import SCHEMA_VERSION
from tests.robustness.rawlsp import REPO, RawServer, copy_demo


def _db_messages(server) -> list[str]:
    return [m for m in server.messages() if "database" in m or "memory only" in m]


def _make_db(root, db, how: str) -> None:
    if how == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    elif how == "empty":
        db.write_bytes(b"")
    elif how == "truncated":
        engine = Engine(root, db_path=db)
        engine.index()
        engine.close()
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2])
    elif how == "future":
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE files (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.commit()
        conn.close()
    elif how == "header":                                # SQLite's magic, then garbage
        db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)


@pytest.mark.parametrize("how", ["garbage", "empty", "truncated", "future", "header"])
def test_an_unusable_database_is_moved_aside_and_rebuilt(tmp_path, how):
    root = copy_demo(tmp_path)
    cache = tmp_path / "cache" / "isg-lsp"                  # databasePath: the workspace or the user's cache folder
    cache.mkdir(parents=True)
    db = cache / "isg.db"
    _make_db(root, db, how)
    with RawServer(tmp_path / "server.log", env={"XDG_CACHE_HOME": str(tmp_path / "cache")}) as server:
        server.initialize(root, {"databasePath": str(db)})
        stats = server.result("isg/stats", {})
        assert stats["files"] == 4 and stats["database"]["persistent"] is True
        who = server.result("isg/whoImplements", {"fqp": "demo_crate::shapes::Shape"})
        assert len(who["implementors"]) >= 2
        messages = _db_messages(server)
        if how == "empty":                                   # an empty file is an empty SQLite database
            assert messages == []
        else:
            assert len(messages) == 1 and "rebuilt" in messages[0], messages
            assert list(cache.glob("isg.db.unusable-*"))
        assert server.shutdown() == 0
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 4


def test_a_location_that_cannot_be_written_keeps_the_index_in_memory(tmp_path):
    root = copy_demo(tmp_path)
    blocked = tmp_path / "cache" / "isg-lsp" / "a-file"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("x")
    with RawServer(tmp_path / "server.log", env={"XDG_CACHE_HOME": str(tmp_path / "cache")}) as server:
        server.initialize(root, {"databasePath": str(blocked / "isg.db")})
        stats = server.result("isg/stats", {})
        assert stats["files"] == 4 and stats["database"]["persistent"] is False
        uri = server.open(root / "src/util.rs")
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": "pub struct Fresh;\n"}]})
        assert server.result("isg/search", {"pattern": "Fresh"})["total"] == 1
        time.sleep(1.5)                                         # past a flush
        messages = _db_messages(server)
        assert len(messages) == 1 and "memory only" in messages[0]
        assert server.shutdown() == 0


def test_a_full_disk_keeps_serving_from_memory_and_says_so_once(tmp_path):
    root = copy_demo(tmp_path)
    for i in range(40):
        (root / "src" / f"big{i}.rs").write_text("".join(f"pub fn f{i}_{j}() {{}}\n" for j in range(200)))
    with (root / "src/lib.rs").open("a") as f:
        f.write("".join(f"mod big{i};\n" for i in range(40)))
    # SQLite's own view of a full disk: "database or disk is full" once the file would pass this many pages
    with RawServer(tmp_path / "server.log", env={"ISG_LSP_TEST_DB_MAX_PAGES": "40"}) as server:
        server.initialize(root)
        stats = server.result("isg/stats", {})
        assert stats["files"] == 44
        uri = server.open(root / "src/util.rs")
        for version in range(2, 6):
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"text": f"pub struct Fresh{version};\n"}]})
            assert server.result("isg/search", {"pattern": f"Fresh{version}"})["total"] == 1
            time.sleep(0.3)
        time.sleep(1.2)
        messages = _db_messages(server)
        assert len(messages) == 1 and "memory only" in messages[0] and "full" in messages[0], messages
        assert server.result("isg/stats", {})["database"]["persistent"] is False
        assert server.shutdown() == 0
    conn = sqlite3.connect(root / ".isg" / "isg.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _export(*args) -> bytes:
    done = subprocess.run([sys.executable, "-m", "isg_lsp", "export", *map(str, args)], capture_output=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_servers_on_one_workspace(tmp_path):
    root = copy_demo(tmp_path)
    for i in range(80):
        (root / "src" / f"m{i}.rs").write_text(f"pub struct M{i};\nimpl crate::shapes::Shape for M{i} {{"
                                                f" fn area(&self) -> f64 {{ {i}.0 }} }}\n")
    with (root / "src/lib.rs").open("a") as f:
        f.write("".join(f"pub mod m{i};\n" for i in range(80)))
    servers = [RawServer(tmp_path / f"server{i}.log") for i in range(2)]
    try:
        threads = [threading.Thread(target=s.initialize, args=(root,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        persistent = [s.result("isg/stats", {})["database"]["persistent"] for s in servers]
        assert sorted(persistent) == [False, True]              # one writer; the other says so and keeps serving
        reader = servers[persistent.index(False)]
        assert any("another isg-lsp process" in m for m in _db_messages(reader))
        # both see edits in the editor and changes on disk, at the same time
        for round_ in range(5):
            for i, server in enumerate(servers):
                path = root / "src" / f"m{round_ * 2 + i}.rs"
                path.write_text(f"pub struct Changed{round_}{i};\n")
                for s in servers:
                    s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": path.as_uri(), "type": 2}]})
            uri = servers[round_ % 2].open(root / "src/util.rs", f"pub struct Open{round_};\n", version=round_ + 1)
            for s in servers:
                assert s.result("isg/search", {"pattern": f"Changed{round_}1"})["total"] == 1
            servers[round_ % 2].notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        for server in servers:
            assert server.shutdown() == 0
        logs = "".join(s.log_text() for s in servers)
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.kill()
    assert "database is locked" not in logs and "Traceback" not in logs
    db = root / ".isg" / "isg.db"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert _export(root, "--db", db) == _export(root, "--no-db")
