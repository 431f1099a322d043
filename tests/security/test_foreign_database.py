"""Finding 5: a database the server did not write is not trusted, nor an enrichment file it was not asked for.

- a committed `.isg/isg.db` with SQL triggers (they ran inside the writer's transactions: filling the disk, hanging
  the writer thread) is moved aside before any write: its triggers never fire;
- a database from someone else (a tarball with matching file times) is not served: it lacks the stamp made with this
  user's secret, so it is rebuilt from the files;
- a committed `.isg/enrich/rust.json` adds nothing; one written by `isg-lsp enrich` (stamped) still does; a hostile
  one costs that file only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from isg_lsp import enrich
from tests.robustness.rawlsp import REPO, RawServer, copy_demo


def cli(*args, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, timeout=300,
                          cwd=REPO, env=full)


def exported_fqps(root) -> set[str]:
    done = cli("export", root)
    assert done.returncode == 0, done.stderr
    return {json.loads(line).get("fqp") for line in done.stdout.decode().splitlines()} - {None}


def test_triggers_in_a_committed_database_never_fire(tmp_path):
    root = copy_demo(tmp_path)
    assert cli("index", root, "--quiet").returncode == 0
    db = root / ".isg" / "isg.db"
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE evil (what TEXT);
        CREATE TRIGGER on_files AFTER INSERT ON files BEGIN INSERT INTO evil VALUES (new.path); END;
        CREATE TRIGGER on_nodes AFTER DELETE ON nodes BEGIN INSERT INTO evil VALUES (old.fqp); END;
        CREATE VIEW extra AS SELECT 1;
    """)
    conn.close()
    (root / "src" / "lib.rs").write_text((root / "src" / "lib.rs").read_text() + "\npub fn added() {}\n")
    done = cli("index", root, "--quiet")
    assert done.returncode == 0, done.stderr
    assert b"isg-lsp did not create" in done.stderr
    fresh = sqlite3.connect(db)
    names = {row[0] for row in fresh.execute("SELECT name FROM sqlite_master")}
    assert not names & {"evil", "on_files", "on_nodes", "extra"}
    assert fresh.execute("SELECT count(*) FROM files").fetchone()[0] == 4
    fresh.close()
    aside = sorted(root.joinpath(".isg").glob("isg.db.unusable-*"))
    assert aside and not aside[0].name.endswith(("-wal", "-shm"))
    moved = sqlite3.connect(aside[0])
    assert moved.execute("SELECT count(*) FROM evil").fetchone()[0] == 0      # no trigger ever ran
    moved.close()


def test_a_database_from_someone_else_is_rebuilt_not_served(tmp_path):
    """The attacker indexed `Backdoo` and shipped the database with a file of the same size and time saying
    `Goodies`: a warm start that trusted sizes and times would serve `Backdoo`."""
    root = copy_demo(tmp_path)
    lib = root / "src" / "lib.rs"
    original = lib.read_text()
    lib.write_text(original + "\npub struct Backdoo;\n")
    other = {"XDG_STATE_HOME": str(tmp_path / "someone-else")}            # another user's secret
    assert cli("index", root, "--quiet", env=other).returncode == 0
    stat = os.stat(lib)
    lib.write_text(original + "\npub struct Goodies;\n")
    os.utime(lib, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(lib).st_size == stat.st_size
    fqps = exported_fqps(root)
    assert "demo_crate::Goodies" in fqps
    assert "demo_crate::Backdoo" not in fqps
    assert list(root.joinpath(".isg").glob("isg.db.unusable-*"))
    with RawServer(tmp_path / "server.log") as server:                     # and the server reuses what we wrote
        stats = server.initialize(root) and server.wait_ready()
        assert stats["files"] == 4
        assert not [m for m in server.messages() if "rebuilt" in m]
        assert server.result("isg/search", {"pattern": "Goodies"})["total"] == 1
        assert server.shutdown() == 0


def record():
    return {"version": enrich.VERSION, "lang": "rust", "source": "rustdoc",
            "impls": [{"src": "demo_crate::shapes::Circle", "dst": "core::marker::Send", "derived": False}]}


def send_edges(root) -> list[dict]:
    done = cli("export", root, "--no-db")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    ids = {line["id"]: line["fqp"] for line in lines if line["type"] == "node"}
    return [line for line in lines if line["type"] == "edge" and line["kind"] == "IMPL"
            and ids.get(line["dst"], "").endswith("Send")]


def test_a_committed_enrichment_file_is_not_loaded(tmp_path):
    root = copy_demo(tmp_path)
    target = root / enrich.ENRICH_PATH
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(record()))                             # committed: no stamp
    assert send_edges(root) == []
    forged = dict(record(), stamp="0" * 64)
    target.write_text(json.dumps(forged))
    assert send_edges(root) == []
    enrich.write(root, record())                                         # what `isg-lsp enrich` writes
    edges = send_edges(root)
    assert len(edges) == 1 and edges[0]["resolution"] == "exact"


def test_a_hostile_enrichment_file_costs_that_file_only(tmp_path):
    root = copy_demo(tmp_path)
    (root / enrich.ENRICH_PATH).parent.mkdir(parents=True)
    for hostile in ([1, 2], {"version": 1, "impls": "x"}, {"version": 1, "impls": [{"src": 5, "dst": None}, 7]},
                    "[" * 100_000):
        if isinstance(hostile, dict):
            enrich.write(root, hostile)                                 # stamped: only its content is hostile
        else:
            (root / enrich.ENRICH_PATH).write_text(hostile if isinstance(hostile, str) else json.dumps(hostile))
        done = cli("export", root, "--no-db")
        assert done.returncode == 0, done.stderr
        assert b'"fqp":"demo_crate::shapes::circle::Circle"' in done.stdout
    os.unlink(root / enrich.ENRICH_PATH)
    os.mkfifo(root / enrich.ENRICH_PATH)                                   # a FIFO never blocks the index
    done = cli("export", root, "--no-db")
    assert done.returncode == 0, done.stderr
