"""Finding 4: a `.gitignore` is untrusted input. One that links to `/dev/zero` was read without a limit (1.8 GB in
1.8 s); a one-line `*a*a*a*a*a*a*a*a*b` with one long file name froze indexing (pathspec's default backend
backtracks: 111 s for one match). Now a `.gitignore` is read only when it is a regular file (git does not follow
in-tree `.gitignore` links either), bounded, and matched by RE2 in linear time; one that cannot be used is left out
alone."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

from isg_lsp.workspace import WorkspaceConfig, is_excluded, walk
from tests.robustness.rawlsp import REPO, RawServer, copy_demo

LONG = "a" * 200 + ".rs"


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def index_limited(root, seconds=120):
    """The CLI under a 2 GiB address-space limit (reading /dev/zero to its end fails it; 120 s bounds a freeze)."""
    return subprocess.run([sys.executable, "-m", "isg_lsp", "index", str(root), "--quiet", "--no-db"],
                          capture_output=True, timeout=seconds, cwd=REPO, preexec_fn=_limit)


def walk_limited(root) -> list[str]:
    """`walk` in a child process under the same limit (a shared machine must not feed /dev/zero to the tests)."""
    code = "import json, sys; from pathlib import Path; from isg_lsp.workspace import walk; " \
           "print(json.dumps(walk(Path(sys.argv[1]))))"
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, timeout=120, cwd=REPO,
                          preexec_fn=_limit)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_gitignore_linked_to_dev_zero_is_not_read(tmp_path):
    root = copy_demo(tmp_path)
    expected = walk(root)
    os.symlink("/dev/zero", root / ".gitignore")
    os.symlink("/dev/zero", root / "src" / ".gitignore")
    assert walk_limited(root) == expected
    done = index_limited(root)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_backtracking_gitignore_pattern_does_not_freeze_indexing(tmp_path):
    root = copy_demo(tmp_path)
    (root / ".gitignore").write_text("*a*a*a*a*a*a*a*a*b\n")
    (root / "src" / LONG).write_text("pub fn long_named() {}\n")
    config = WorkspaceConfig(exclude=["target/", "*x*x*x*x*x*x*x*x*y"])
    assert f"src/{LONG}" in walk(root, config)
    assert not is_excluded(root, f"src/{LONG}", config)
    done = index_limited(root, seconds=60)
    assert done.returncode == 0, done.stderr[-2000:]
    with RawServer(tmp_path / "server.log") as server:
        assert server.initialize(root) and server.wait_ready()["files"] == 5
        assert server.shutdown() == 0


def test_ignore_files_that_are_fifos_or_huge_are_left_out_alone(tmp_path):
    root = copy_demo(tmp_path)
    expected = [rel for rel in walk(root) if rel != "src/util.rs"]
    os.mkfifo(root / ".gitignore")
    (root / "src" / "shapes" / ".gitignore").write_bytes(b"#" * (2 * 1024 * 1024))
    (root / "src" / ".gitignore").write_text("util.rs\n")                 # a fine one still counts
    assert walk_limited(root) == expected
    done = index_limited(root, seconds=60)
    assert done.returncode == 0, done.stderr[-2000:]
