"""One workspace, two processes: `isg-lsp watch` (the headless daemon) writes the database, and `isg-lsp mcp` or an
editor's server shares it. One writer (the flock of store.py); the other reads a snapshot, keeps its own index
current from the disk, never blocks, never writes, says so in isg_stats, and takes over when the writer leaves."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import anyio

from tests.mcp.conftest import SERVER, stdio_session, text_of

SHAPE = "demo_crate::shapes::Shape"


def start_watch(workspace: Path) -> tuple[subprocess.Popen, Path]:
    log = workspace.parent / f"watch-{time.monotonic_ns()}.log"
    process = subprocess.Popen([*SERVER, "watch", str(workspace)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=open(log, "w", encoding="utf-8"))
    wait_for_text(log, "isg-lsp watch: indexed", process)
    return process, log


def wait_for_text(log: Path, text: str, process: subprocess.Popen | None = None, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(encoding="utf-8", errors="replace")
        if text in content:
            return content
        if process is not None and process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {content}")
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {log}: {log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def db_fqps(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT fqp FROM nodes")}
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_watch_keeps_the_database_current(demo):
    db = demo / ".isg" / "isg.db"
    process, log = start_watch(demo)
    try:
        assert "demo_crate::shapes::Square" in db_fqps(db)
        mod = demo / "src" / "shapes" / "mod.rs"
        mod.write_text(mod.read_text() + "\npub struct Octagon;\n")
        deadline = time.monotonic() + 15
        while "demo_crate::shapes::Octagon" not in db_fqps(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "demo_crate::shapes::Octagon" in db_fqps(db)
        (demo / "src" / "util.rs").unlink()
        deadline = time.monotonic() + 15
        while "demo_crate::util::sum" in db_fqps(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "demo_crate::util::sum" not in db_fqps(db)
        wait_for_text(log, "updated src/shapes/mod.rs")
    finally:
        code = stop(process)
    assert code == 0
    assert "isg-lsp watch: stopped" in log.read_text()
    assert integrity(db) == "ok"
    # the CLI reads what the daemon left, without parsing anything again
    index = subprocess.run([*SERVER, "index", str(demo), "--json", "--quiet"], capture_output=True, text=True,
                           timeout=120)
    assert '"parsed": 0' in index.stdout, index.stdout + index.stderr


async def test_mcp_beside_a_writer_reads_and_follows_the_disk(demo):
    db = demo / ".isg" / "isg.db"
    writer, log = start_watch(demo)
    try:
        async with stdio_session(demo) as session:
            stats = await session.call_tool("isg_stats", {})
            database = stats.structured_content["database"]
            assert database["mode"] == "reader"
            assert f"(pid {writer.pid}) writes" in database["description"]
            assert "keeps its own in-memory index current from the disk" in text_of(stats)
            # warm from the writer's database: nothing parsed again
            assert stats.structured_content["index"]["parsed"] == 0
            result = await session.call_tool("isg_who_implements", {"target": SHAPE})
            assert len(result.structured_content["rows"]) == 2
            # an edit reaches both: the reader's answers and the writer's database
            mod = demo / "src" / "shapes" / "mod.rs"
            mod.write_text(mod.read_text() + "\npub struct Kite;\nimpl Shape for Kite {}\n")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                result = await session.call_tool("isg_who_implements", {"target": SHAPE})
                if "demo_crate::shapes::Kite" in {r["fqp"] for r in result.structured_content["rows"]}:
                    break
                await anyio.sleep(0.05)
            assert "demo_crate::shapes::Kite" in {r["fqp"] for r in result.structured_content["rows"]}
            deadline = time.monotonic() + 15
            while "demo_crate::shapes::Kite" not in db_fqps(db) and time.monotonic() < deadline:
                await anyio.sleep(0.1)
            assert "demo_crate::shapes::Kite" in db_fqps(db)
            # the writer leaves: the reader becomes the writer and keeps the database current from then on
            assert stop(writer) == 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                stats = await session.call_tool("isg_stats", {})
                if stats.structured_content["database"]["mode"] == "writer":
                    break
                await anyio.sleep(0.2)
            assert stats.structured_content["database"]["mode"] == "writer"
            mod.write_text(mod.read_text() + "\npub struct Rhombus;\n")
            deadline = time.monotonic() + 15
            while "demo_crate::shapes::Rhombus" not in db_fqps(db) and time.monotonic() < deadline:
                await anyio.sleep(0.1)
            assert "demo_crate::shapes::Rhombus" in db_fqps(db)
    finally:
        if writer.poll() is None:
            stop(writer)
    assert integrity(db) == "ok"


async def test_a_second_mcp_server_never_waits_for_the_first(demo):
    """Two agents on one workspace: the second server answers at once from its own index, the first keeps writing."""
    async with stdio_session(demo) as first:
        assert (await first.call_tool("isg_stats", {})).structured_content["database"]["mode"] == "writer"
        async with stdio_session(demo) as second:
            stats = (await second.call_tool("isg_stats", {})).structured_content
            assert stats["database"]["mode"] == "reader" and stats["files"] == 4
            both = [await s.call_tool("isg_blast_radius", {"target": SHAPE}) for s in (first, second)]
            assert both[0].structured_content["rows"] == both[1].structured_content["rows"]


def test_watch_waits_for_the_writer_and_takes_over(demo):
    first, first_log = start_watch(demo)
    second, second_log = start_watch(demo)
    try:
        content = second_log.read_text()
        assert f"another isg-lsp process (pid {first.pid}) writes" in content
        assert stop(first) == 0
        mod = demo / "src" / "shapes" / "mod.rs"
        wait_for_text(second_log, "this process writes", second)      # it checks the lock every 5 s
        mod.write_text(mod.read_text() + "\npub struct Ellipse;\n")
        db = demo / ".isg" / "isg.db"
        deadline = time.monotonic() + 20
        while "demo_crate::shapes::Ellipse" not in db_fqps(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "demo_crate::shapes::Ellipse" in db_fqps(db)
    finally:
        for process in (first, second):
            if process.poll() is None:
                stop(process)
