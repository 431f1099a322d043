"""An editor over a shared base (`serve --base postgresql://...@COMMIT`): the files that differ from the base commit
are indexed locally and shadow the base; the rest comes from the base, never parsed. Checked through the engine,
the command line and a real language client over stdio."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.storage import parse_store
from tests.postgres.conftest import isg

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "rust" / "demo"
SHAPE = "demo_crate::shapes::Shape"
RING = """
pub struct Ring {
    pub inner: f64,
    pub outer: f64,
}

impl Shape for Ring {
    fn area(&self) -> f64 {
        std::f64::consts::PI * (self.outer * self.outer - self.inner * self.inner)
    }
}
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.strip()


@pytest.fixture
def based(pg, tmp_path):
    """The demo crate committed to git and indexed into the shared store at that commit; then edited locally: a
    new type implementing Shape in circle.rs, and a new file."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".isg", "target"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    commit = git(root, "rev-parse", "HEAD")
    done = isg("index", str(root), "--store", pg.writer, "--quiet")         # the commit: git's HEAD
    assert done.returncode == 0, done.stderr
    assert f"commit {commit[:12]}" in done.stdout
    circle = root / "src" / "shapes" / "circle.rs"
    circle.write_text(circle.read_text() + RING)
    (root / "src" / "extra.rs").write_text("pub fn extra() -> u32 { 7 }\n")     # untracked: not in the base
    return root, commit


def implementors(engine: Engine) -> set[str]:
    shape = next(n for n in engine.graph.by_fqp(SHAPE) if not n.external)
    return {engine.graph.nodes[e.src].fqp for e in engine.graph.predecessors(shape.id) if e.kind.value == "IMPL"}


def test_the_overlay_sees_the_local_edit_and_the_base_for_the_rest(pg, based):
    root, commit = based
    overlay = Engine(root, store_spec=parse_store(f"{pg.reader}@{commit[:10]}"), store_write=False)
    report = overlay.index()
    assert report.parsed == 2 and report.reused == report.files - 2          # circle.rs and extra.rs only
    assert implementors(overlay) == {"demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle",
                                     "demo_crate::shapes::circle::Ring"}
    fresh = Engine(root, persist=False)
    fresh.index()
    assert list(jsonl_lines(overlay.graph)) == list(jsonl_lines(fresh.graph))    # the base + overlay, exactly
    # isg/sql answers from the base with the editor's files in place of the base's
    rows = overlay.run_sql("SELECT fqp, file FROM isg_nodes WHERE name IN ('Ring', 'Square', 'extra') "
                           "ORDER BY 1", limit=10).rows
    assert rows == [["demo_crate::extra", "src/extra.rs"], ["demo_crate::extra::extra", "src/extra.rs"],
                    ["demo_crate::shapes::Square", "src/shapes/mod.rs"],
                    ["demo_crate::shapes::circle::Ring", "src/shapes/circle.rs"]]
    impl = overlay.run_sql(f"SELECT src_fqp FROM isg_edges WHERE kind = 'IMPL' AND dst_fqp = '{SHAPE}' ORDER BY 1",
                           limit=10).rows
    assert [r[0] for r in impl] == sorted(implementors(overlay))
    local_hash = fresh.graph.files["src/shapes/circle.rs"].facts.content_hash.hex()
    assert overlay.run_sql("SELECT hash_hex FROM isg_files WHERE path = 'src/shapes/circle.rs'",
                           limit=10).rows == [[local_hash]]
    # an edit in the editor after the start: surgery, then the overlay follows
    circle = root / "src" / "shapes" / "circle.rs"
    circle.write_text(circle.read_text().replace("pub struct Ring", "pub struct Annulus")
                      .replace("for Ring", "for Annulus"))
    overlay.update_from_disk("src/shapes/circle.rs")
    overlay.flush()
    names = overlay.run_sql("SELECT name FROM isg_nodes WHERE name IN ('Ring', 'Annulus')", limit=10).rows
    assert names == [["Annulus"]]
    overlay.close()
    fresh.close()
    # the command line reads the same way
    done = isg("query", str(root), f"who-implements {SHAPE}", "--store", f"{pg.reader}@{commit}")
    assert done.returncode == 0, done.stderr
    assert "Annulus" in done.stdout and "Square" in done.stdout and "Circle" in done.stdout


async def test_the_language_server_answers_from_the_base_and_the_local_change(pg, based):
    root, commit = based
    config = ClientServerConfig(server_command=[sys.executable, "-m", "isg_lsp", "serve", "--base",
                                                f"{pg.reader}@{commit}"])
    client = await config.start()
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual_studio_code"), root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        for _ in range(600):
            stats = await client.protocol.send_request_async("isg/stats", {})
            if stats.state == "ready":
                break
            await asyncio.sleep(0.05)
        assert stats.state == "ready"
        result = await client.protocol.send_request_async("isg/query", {"query": f"who-implements {SHAPE}"})
        assert {row.fqp for row in result.rows} == {"demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle",
                                                   "demo_crate::shapes::circle::Ring"}
        sql = await client.protocol.send_request_async(
            "isg/sql", {"sql": "SELECT name FROM isg_nodes WHERE name IN ('Ring', 'Square') ORDER BY 1"})
        assert [r[0] for r in sql.rows] == ["Ring", "Square"]
        refused = False
        try:
            await client.protocol.send_request_async("isg/sql", {"sql": "DELETE FROM isg_nodes"})
        except Exception as error:  # noqa: BLE001 - the server's error for the client
            refused = "only SELECT" in str(error)
        assert refused
    finally:
        await client.shutdown_session()
