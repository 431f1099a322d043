"""Finding 3: a committed `.isg/isg.db.lock`, `.isg/isg.db` (or its `-wal`) that links elsewhere, or an `.isg` folder
that does, never makes the CLI or the server truncate or write the file it points at. Links and hard links are moved
aside (a rename moves the link itself) or removed (unlink removes the link, never its target); a linked `.isg`
folder keeps the index in memory, and says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.robustness.rawlsp import REPO, RawServer, copy_demo

PRECIOUS = b"precious data of the user's, not isg-lsp's\n"


def index(root, *extra):
    return subprocess.run([sys.executable, "-m", "isg_lsp", "index", str(root), "--quiet", *extra],
                          capture_output=True, timeout=300, cwd=REPO)


def victims(tmp_path, names, content=PRECIOUS):
    folder = tmp_path / "outside"
    folder.mkdir()
    out = {}
    for name in names:
        out[name] = folder / name
        out[name].write_bytes(content)
    return out


@pytest.mark.parametrize("entry, how", [("isg.db.lock", "symlink"), ("isg.db.lock", "hardlink"),
                                        ("isg.db", "symlink"), ("isg.db", "hardlink"), ("isg.db-wal", "symlink"),
                                        ("isg.db-shm", "symlink")])
def test_linked_entries_in_isg_are_never_written_through(tmp_path, entry, how):
    root = copy_demo(tmp_path)
    # the lock gets any file; SQLite's files an empty one (SQLite takes it for a new database and writes into it)
    content = PRECIOUS if entry.endswith(".lock") else b""
    victim = victims(tmp_path, ["victim"], content)["victim"]
    (root / ".isg").mkdir()
    link = root / ".isg" / entry
    (os.symlink if how == "symlink" else os.link)(victim, link)
    done = index(root)
    assert done.returncode == 0, done.stderr
    assert victim.read_bytes() == content
    assert not (root / ".isg" / entry).is_symlink()
    again = index(root)                                      # the rebuilt database is ours and reused
    assert again.returncode == 0, again.stderr
    assert b"rebuilt" not in again.stderr
    assert victim.read_bytes() == content


def test_a_linked_isg_folder_keeps_the_index_in_memory(tmp_path):
    root = copy_demo(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / ".isg")
    done = index(root)
    assert done.returncode == 0, done.stderr
    assert b"symbolic link" in done.stderr
    assert list(outside.iterdir()) == []


def test_the_server_never_writes_through_a_linked_lock_or_database(tmp_path):
    root = copy_demo(tmp_path)
    targets = victims(tmp_path, ["lock", "db"], b"")
    (root / ".isg").mkdir()
    os.symlink(targets["lock"], root / ".isg" / "isg.db.lock")
    os.symlink(targets["db"], root / ".isg" / "isg.db")
    with RawServer(tmp_path / "server.log") as server:
        stats = server.initialize(root) and server.wait_ready()
        assert stats["files"] == 4
        assert stats["database"]["persistent"] is True
        assert server.shutdown() == 0
    for victim in targets.values():
        assert victim.read_bytes() == b""
