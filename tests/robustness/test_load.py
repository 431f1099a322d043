"""Load and cancellation: 1,000 requests in flight while didChange arrives every 10 ms; one response per id, a correct
final graph; $/cancelRequest stops a long SQL statement (the progress handler reads the flag); the WAL stays bounded
under constant reads."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from tests.robustness.rawlsp import RawServer, copy_demo

REQUESTS = int(os.environ.get("ISG_LOAD_REQUESTS", "1000"))
FIGURES: dict[str, float] = {}
LONG_SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            "SELECT count(*) FROM c WHERE x < 0")


def test_a_thousand_requests_while_typing(tmp_path):
    root = copy_demo(tmp_path)
    env = {"ISG_LSP_TEST_HOOKS": "1", "ISG_LSP_WAL_LIMIT_BYTES": str(64 * 1024)}
    with RawServer(tmp_path / "server.log", env=env) as server:
        server.initialize(root)
        path = root / "src/util.rs"
        uri = server.open(path)
        lib = server.open(root / "src/lib.rs")
        text = path.read_text()
        stop = threading.Event()
        typed = {"edits": 0, "text": text}

        def typist() -> None:
            rng = random.Random(7)
            version = 1
            current = typed["text"]
            while not stop.is_set():
                version += 1
                name = f"Typed{version}"
                if rng.random() < 0.5:
                    line = f"pub struct {name};\n"
                    change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                              "text": line}
                    current = line + current
                else:                                        # delete the first line
                    first = current.split("\n", 1)
                    if len(first) < 2 or not first[0].startswith("pub struct Typed"):
                        continue
                    change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                              "text": ""}
                    current = first[1]
                server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                         "contentChanges": [change]})
                typed["edits"] += 1
                typed["text"] = current
                time.sleep(0.01)

        wal = root / ".isg" / "isg.db-wal"
        wal_sizes = []

        def reader() -> None:                                # another process's constant reads, each one short
            conn = sqlite3.connect(root / ".isg" / "isg.db")
            while not stop.is_set():
                conn.execute("SELECT count(*) FROM nodes").fetchone()
                try:
                    wal_sizes.append(wal.stat().st_size)
                except OSError:
                    pass
            conn.close()

        threads = [threading.Thread(target=typist), threading.Thread(target=reader)]
        for t in threads:
            t.start()
        time.sleep(0.1)
        kinds = [
            ("isg/stats", {}),
            ("isg/callers", {"fqp": "demo_crate::shapes::Shape::area"}),
            ("isg/search", {"pattern": "Typed"}),
            ("textDocument/hover", {"textDocument": {"uri": lib}, "position": {"line": 8, "character": 12}}),
            ("textDocument/definition", {"textDocument": {"uri": lib}, "position": {"line": 5, "character": 22}}),
            ("textDocument/documentSymbol", {"textDocument": {"uri": uri}}),
            ("workspace/symbol", {"query": "Sh"}),
            ("isg/blastRadius", {"fqp": "demo_crate::shapes::Shape", "depth": 3}),
            ("isg/sql", {"sql": "SELECT count(*) FROM isg_nodes"}),
            ("isg/whoImplements", {"fqp": "demo_crate::no::Such"}),   # an error response is a response too
        ]
        started = time.monotonic()
        ids = []
        cancelled = []
        for i in range(REQUESTS):
            method, params = kinds[i % len(kinds)]
            ids.append(server.send_request(method, params))
            if i % 50 == 25:
                server.notify("$/cancelRequest", {"id": ids[-1]})
                cancelled.append(ids[-1])
        for msg_id in ids:
            server.wait_response(msg_id, timeout=120)
        elapsed = time.monotonic() - started
        stop.set()
        for t in threads:
            t.join(30)
        time.sleep(0.3)
        responses = server.responses
        assert all(len(responses[i]) == 1 for i in ids), "one response per id"
        errors = [responses[i][0]["error"] for i in ids if "error" in responses[i][0]]
        assert all(e["code"] in (-32602, -32800) for e in errors), errors[:5]
        assert all("Traceback" not in e["message"] for e in errors)
        # the final graph is a fresh index of the final text
        state = server.result("isg/test/document", {"uri": uri})
        assert state["text"] == typed["text"] and state["synced"]
        path.write_text(typed["text"])
        engine = Engine(root, persist=False)
        engine.index()
        assert state["export"] == list(jsonl_lines(engine.graph))
        assert server.shutdown() == 0
        log = server.log_text()
    assert "Traceback" not in log and "database is locked" not in log
    FIGURES.update(requests=len(ids), seconds=elapsed, edits=typed["edits"], wal_max=max(wal_sizes or [0]))
    print(f"\nload: {len(ids)} requests in {elapsed:.1f} s while {typed['edits']} edits arrived; "
          f"largest WAL seen {max(wal_sizes or [0]) // 1024} KiB")
    assert max(wal_sizes or [0]) < 2 * 1024 * 1024


def test_cancel_stops_a_long_sql_statement(tmp_path):
    root = copy_demo(tmp_path)
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        started = time.monotonic()
        msg_id = server.send_request("isg/sql", {"sql": LONG_SQL})
        time.sleep(0.2)
        server.notify("$/cancelRequest", {"id": msg_id})
        response = server.wait_response(msg_id, 10)
        assert response["error"]["code"] == -32800
        # the statement stopped: the background thread answers the next one at once, not after the 2 s budget
        quick = server.request("isg/sql", {"sql": "SELECT count(*) FROM isg_files"})
        assert quick["result"]["rows"] == [[4]]
        assert time.monotonic() - started < 1.5
        # uncancelled, the same statement stops at its budget with a clear error
        slow = server.request("isg/sql", {"sql": LONG_SQL})
        assert slow["error"]["code"] == -32602 and "budget exceeded" in slow["error"]["message"]
        assert server.shutdown() == 0
