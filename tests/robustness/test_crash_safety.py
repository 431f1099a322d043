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


def test_kill_9_during_indexing_at_random_points(tmp_path):
    root = debian_crate("serde")
    db = tmp_path / "isg.db"
    expected = run("export", root, "--no-db").stdout
    assert expected.count(b"\n") > 1000
    rng = random.Random(20261122)
    kills = 0
    for _ in range(6):
        process = subprocess.Popen([sys.executable, "-m", "isg_lsp", "index", str(root), "--db", str(db),
                                    "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        if db.exists():
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
        # touch a file now and then, so that some restarts are warm with a change
        if rng.random() < 0.5:
            (tmp_path / "marker").write_text(str(rng.random()))
    assert kills >= 1, "the indexer finished before every kill: the test did not test anything"
    done = run("export", root, "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
