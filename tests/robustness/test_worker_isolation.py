"""Process isolation: a parser worker that crashes (SIGSEGV) or hangs costs one file, never the server.

The test hooks ISG_LSP_TEST_CRASH_ON / ISG_LSP_TEST_HANG_ON are read only by worker processes (isg_lsp/isolation.py).
"""

from __future__ import annotations

import time

from tests.robustness.rawlsp import RawServer, copy_demo


def _errors(server) -> dict[str, str]:
    rows = server.result("isg/sql", {"sql": "SELECT path, error FROM isg_files WHERE error IS NOT NULL"})
    return {row[0]: row[1] for row in rows["rows"]}


def test_a_crashing_parser_costs_one_file_and_the_server_lives(tmp_path):
    root = copy_demo(tmp_path)
    for i in range(70):                                  # enough files for several batches in parallel
        (root / "src" / f"extra{i}.rs").write_text(f"pub struct Extra{i};\npub fn extra{i}() -> Extra{i} {{ Extra{i} }}\n")
    with (root / "src/lib.rs").open("a") as f:
        f.write("".join(f"pub mod extra{i};\n" for i in range(70)))
    env = {"ISG_LSP_TEST_CRASH_ON": "circle.rs"}
    with RawServer(tmp_path / "server.log", env=env) as server:
        server.initialize(root)
        stats = server.result("isg/stats", {})
        assert stats["files"] == 74
        assert _errors(server) == {"src/shapes/circle.rs": "the parser crashed"}
        # every other file is indexed: the crash cost one file
        assert server.result("isg/search", {"pattern": "Extra69"})["total"] >= 1
        assert server.result("isg/search", {"pattern": "Circle", "kinds": ["S"]})["total"] == 0
        # the file changes on disk: parsed out of process again, crashes again, the server still answers
        (root / "src/shapes/circle.rs").write_text("pub struct Circle;\n")
        started = time.monotonic()
        server.notify("workspace/didChangeWatchedFiles", {"changes": [
            {"uri": (root / "src/shapes/circle.rs").as_uri(), "type": 2}]})
        assert server.result("isg/stats", {})["state"] == "ready"
        assert time.monotonic() - started < 10
        # a file that does not crash, changed on disk, is parsed in a worker too
        (root / "src/extra1.rs").write_text("pub struct Renamed;\n")
        server.notify("workspace/didChangeWatchedFiles", {"changes": [
            {"uri": (root / "src/extra1.rs").as_uri(), "type": 2}]})
        assert server.result("isg/search", {"pattern": "Renamed"})["total"] == 1
        assert server.shutdown() == 0
        log = server.log_text()
    assert "src/shapes/circle.rs is not indexed: the parser crashed" in log
    assert log.count("not indexed") == 2                        # the index, then the change on disk


def test_a_hanging_parser_is_given_up_on(tmp_path):
    root = copy_demo(tmp_path)
    env = {"ISG_LSP_TEST_HANG_ON": "util.rs", "ISG_LSP_PARSE_TIMEOUT_S": "1.5"}
    with RawServer(tmp_path / "server.log", env=env) as server:
        started = time.monotonic()
        server.initialize(root, timeout=60)
        assert time.monotonic() - started < 20
        assert _errors(server) == {"src/util.rs": "the parser took longer than 1.5 s"}
        assert server.result("isg/search", {"pattern": "Circle"})["total"] >= 1
        assert server.shutdown() == 0


def test_the_cli_index_survives_a_crashing_worker(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from tests.robustness.rawlsp import REPO

    root = copy_demo(tmp_path)
    for i in range(70):
        (root / "src" / f"extra{i}.rs").write_text(f"pub struct Extra{i};\n")
    with (root / "src/lib.rs").open("a") as f:
        f.write("".join(f"pub mod extra{i};\n" for i in range(70)))
    db = tmp_path / "isg.db"
    env = dict(__import__("os").environ, ISG_LSP_TEST_CRASH_ON="extra7.rs", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "isg_lsp", "index", str(root), "--db", str(db), "--quiet"],
                          capture_output=True, timeout=120, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    conn = sqlite3.connect(db)
    errors = dict(conn.execute("SELECT path, error FROM files WHERE error IS NOT NULL"))
    assert errors == {"src/extra7.rs": "the parser crashed"}
    assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 74


def test_closing_the_pool_waits_for_its_manager_thread():
    """A closed pool leaves no thread closing its wake-up pipe: Python 3.11's exit hook for process pools writes to
    that pipe, and printed "Bad file descriptor" at a server's exit when the thread was closing it just then."""
    from isg_lsp.isolation import ParserPool

    pool = ParserPool(workers=1)
    pool.warm()
    manager = pool._pool._executor_manager_thread                  # noqa: SLF001 - the thread this is about
    assert manager is not None and manager.is_alive()
    pool.close()
    assert not manager.is_alive()
