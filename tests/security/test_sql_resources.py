"""Finding 6: `isg/sql` within bounded memory, side by side, and cancellable.

- A statement returning a thousand rows of half a megabyte (each under SQLite's string limit) took the server past
  1.5 GB (rows, then JSON, then the frame): a result is now capped at 8 MiB (`truncated`), and SQLite's own memory
  by a per-statement budget, `temp_store=MEMORY` (no temporary files: the review saw 1.5 GB of them) and its heap
  limit.
- Statements ran one at a time on the index writer's thread: a slow one queued every other. They now run on a pool
  of threads, one read-only connection each.
- A cancelled statement stops even inside one long operation (a watchdog interrupts it).
"""

from __future__ import annotations

import threading
import time

import pytest

from isg_lsp import sqlquery
from isg_lsp.engine import Engine
from isg_lsp.sqlquery import SqlError, run_sql
from tests.robustness.rawlsp import RawServer, copy_demo

BIG_ROWS = ("WITH RECURSIVE s(x) AS (SELECT 'a' UNION ALL SELECT x || x FROM s WHERE length(x) < 500000), "
            "big(y) AS MATERIALIZED (SELECT max(x) FROM s), n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "LIMIT 1000) SELECT i, y FROM n, big")
SLOW = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT count(*) FROM c, isg_nodes a, isg_nodes b")


@pytest.fixture
def db(tmp_path):
    root = copy_demo(tmp_path)
    engine = Engine(root)
    engine.index()
    engine.close()
    return root / ".isg" / "isg.db"


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_result_is_capped_in_bytes(db):
    result = run_sql(db, BIG_ROWS, limit=1000, budget_ms=20_000)
    assert result.truncated
    assert 0 < len(result.rows) < 1000
    assert sum(len(row[1]) for row in result.rows) <= sqlquery.MAX_RESULT_BYTES


def test_the_server_stays_small_answering_a_huge_result(tmp_path):
    root = copy_demo(tmp_path)
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        before = peak_rss_mb(server.proc.pid)
        response = server.request("isg/sql", {"sql": BIG_ROWS, "limit": 1000}, timeout=120)
        assert "result" in response, response
        assert response["result"]["truncated"] is True
        grown = peak_rss_mb(server.proc.pid) - before
        assert grown < 300, f"the server's peak RSS grew by {grown:.0f} MB"     # 1,500+ MB before the fix
        assert server.shutdown() == 0


def test_a_slow_statement_does_not_queue_the_others(tmp_path):
    root = copy_demo(tmp_path)
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        slow = server.send_request("isg/sql", {"sql": SLOW})            # runs until its 2 s budget
        time.sleep(0.2)
        fast = server.request("isg/sql", {"sql": "SELECT count(*) FROM isg_nodes"}, timeout=60)
        assert "result" in fast, fast
        assert slow not in server.responses, "the fast statement waited for the slow one"
        answer = server.wait_response(slow, timeout=60)
        assert "budget exceeded" in answer["error"]["message"]
        assert server.shutdown() == 0


def test_cancelling_a_statement_stops_it(db):
    cancel = threading.Event()
    outcome = {}

    def run():
        try:
            run_sql(db, SLOW, budget_ms=600_000, cancel=cancel)
        except SqlError as error:
            outcome["error"] = str(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)
    cancel.set()
    thread.join(30)
    assert not thread.is_alive(), "the cancelled statement kept running"
    assert outcome["error"] == "cancelled"


def test_statements_run_on_several_threads(db):
    names = [sqlquery.submit(lambda: threading.current_thread().name) for _ in range(8)]
    assert all(f.result(30).startswith("isg-sql") for f in names)
    futures = [sqlquery.submit(run_sql, db, SLOW, budget_ms=1500) for _ in range(sqlquery.THREADS)]
    started = time.monotonic()
    for future in futures:
        with pytest.raises(SqlError, match="budget exceeded"):
            future.result(60)
    assert time.monotonic() - started < 1.5 * sqlquery.THREADS, "the statements ran one after another"
