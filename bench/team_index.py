"""The shared index on PostgreSQL (issue #22, docs/team-index.md): sharded indexing, SQL latency vs SQLite.

    python -m bench.team_index                       # rust-500k, 4 shards
    python -m bench.team_index --corpus rust-100k --shards 4 --json out.json

A real PostgreSQL server (Debian's, as the tests start it: tests/postgres/pgserver.py) in a temporary folder, stopped
at the end. Every index is the real command line in a process of its own (its wall time includes the start-up):

- unsharded: `isg-lsp index --db` (SQLite) and `isg-lsp index --store postgresql://...` (PostgreSQL), cold;
- sharded: `index --shard K/N` for K = 1..N, run one after another here (a CI matrix runs them at once), then
  `index --resolve`; the parallel figure is the slowest shard plus the join;
- the sharded snapshot's export (read back as an editor's base) is compared with the unsharded one, byte for byte;
- warm start of an editor: the graph loaded from each store, nothing parsed;
- isg/sql latency: the same statements on both stores (p50/p95 of repeated runs, after one warm-up), through
  ``Engine.run_sql`` (the sandbox included: on PostgreSQL the parse and check by pglast, the read-only transaction).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

STATEMENTS = {
    "1 hop: implementors of the most implemented trait":
        "SELECT src_fqp FROM isg_edges WHERE kind = 'IMPL' AND dst_fqp = {trait} ORDER BY 1",
    "find by name (LIKE)": "SELECT fqp, file FROM isg_nodes WHERE name LIKE 'new%' AND external = 0 "
                           "ORDER BY fqp LIMIT 100",
    "aggregate: edges by kind": "SELECT kind, count(*) FROM isg_edges GROUP BY kind ORDER BY kind",
    "multi-hop: callers to depth 3 (recursive CTE)":
        "WITH RECURSIVE up(fqp, depth) AS (SELECT {function}, 0 UNION SELECT e.src_fqp, up.depth + 1 FROM isg_edges e "
        "JOIN up ON e.dst_fqp = up.fqp WHERE e.kind = 'CALLS' AND up.depth < 3) "
        "SELECT fqp, min(depth) FROM up GROUP BY fqp ORDER BY 2, 1",
    "files: the largest 20": "SELECT path, loc FROM isg_files ORDER BY loc DESC, path LIMIT 20",
}


def run(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "isg_lsp", *args], capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"isg-lsp {' '.join(args[:3])} failed: {done.stderr[-2000:]}")
    return elapsed, done.stdout


def corpus_path(name: str) -> Path:
    from bench.corpora import get

    corpus = get(name, lambda message: print(message, file=sys.stderr))
    if corpus.error:
        raise SystemExit(f"corpus {name}: {corpus.error}")
    return Path(corpus.path)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sql_latency(engine, statements: dict[str, str], runs: int) -> dict[str, dict]:
    out = {}
    for label, sql in statements.items():
        engine.run_sql(sql, limit=10_000, budget_ms=60_000)            # warm-up (caches, the connection)
        times = []
        rows = None
        for _ in range(runs):
            started = time.perf_counter()
            result = engine.run_sql(sql, limit=10_000, budget_ms=60_000)
            times.append((time.perf_counter() - started) * 1000)
            rows = result.rows
        out[label] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2),
                      "rows": len(rows or [])}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="rust-500k")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--runs", type=int, default=20, help="repetitions of each SQL statement")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    import psycopg

    from isg_lsp.engine import Engine
    from isg_lsp.export import jsonl_lines
    from isg_lsp.storage import parse_store
    from tests.postgres.pgserver import ADMIN, start_server

    corpus = corpus_path(args.corpus)
    work = Path(tempfile.mkdtemp(prefix="isg-team-bench-"))
    workspace = work / args.corpus
    shutil.copytree(corpus, workspace, symlinks=True)             # the same files for every run, nothing written
    sqlite_db = work / "isg.db"
    server = start_server()
    results: dict = {"corpus": args.corpus, "shards": args.shards, "machine": f"{os.cpu_count()} cores"}
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE ROLE isg_ci LOGIN")
            conn.execute("CREATE ROLE isg_editor LOGIN")
            conn.execute("CREATE DATABASE isg")
        writer = server.url(user="isg_ci", dbname="isg")
        reader = server.url(user="isg_editor", dbname="isg")
        run("store-setup", server.url(user=ADMIN, dbname="isg"), "--writer", "isg_ci", "--reader", "isg_editor")

        seconds, out = run("index", str(workspace), "--db", str(sqlite_db), "--json", "--quiet")
        report = json.loads(out)
        results["lines"] = report["loc"]
        results["files"] = report["files"]
        results["unsharded_sqlite_s"] = round(seconds, 2)
        print(f"{args.corpus}: {report['files']} files, {report['loc']:,} lines", file=sys.stderr)
        print(f"unsharded, SQLite: {seconds:.1f} s", file=sys.stderr)
        seconds, _ = run("index", str(workspace), "--store", writer, "--commit", "unsharded", "--json", "--quiet")
        results["unsharded_postgres_s"] = round(seconds, 2)
        print(f"unsharded, PostgreSQL: {seconds:.1f} s", file=sys.stderr)
        shard_s = []
        for k in range(1, args.shards + 1):
            seconds, out = run("index", str(workspace), "--store", writer, "--commit", "sharded", "--shard",
                               f"{k}/{args.shards}", "--json")
            shard_s.append(round(seconds, 2))
            print(f"shard {k}/{args.shards}: {seconds:.1f} s ({json.loads(out)['files']} files)", file=sys.stderr)
        seconds, out = run("index", str(workspace), "--store", writer, "--commit", "sharded", "--resolve", "--json")
        join = json.loads(out)
        results.update(shard_s=shard_s, join_s=round(seconds, 2), join=join,
                       parallel_s=round(max(shard_s) + seconds, 2), sequential_s=round(sum(shard_s) + seconds, 2))
        print(f"join: {seconds:.1f} s; parallel figure (slowest shard + join): {results['parallel_s']:.1f} s",
              file=sys.stderr)

        sqlite = Engine(workspace, db_path=sqlite_db)
        started = time.perf_counter()
        assert sqlite.index().parsed == 0
        results["warm_load_sqlite_s"] = round(time.perf_counter() - started, 2)
        shared = Engine(workspace, store_spec=parse_store(f"{reader}@sharded"), store_write=False)
        started = time.perf_counter()
        assert shared.index().parsed == 0
        results["warm_load_postgres_s"] = round(time.perf_counter() - started, 2)
        results["sharded_equals_unsharded"] = list(jsonl_lines(shared.graph)) == list(jsonl_lines(sqlite.graph))
        print(f"sharded == unsharded: {results['sharded_equals_unsharded']}", file=sys.stderr)

        graph = sqlite.graph
        trait = max((n for n in graph.nodes.values() if n.kind.value == "T" and not n.external),
                    key=lambda n: (sum(1 for e in graph.predecessors(n.id) if e.kind.value == "IMPL"), n.fqp))
        function = max((n for n in graph.nodes.values() if n.kind.value == "F" and not n.external),
                       key=lambda n: (sum(1 for e in graph.predecessors(n.id) if e.kind.value == "CALLS"), n.fqp))
        statements = {label: sql.format(trait="'" + trait.fqp.replace("'", "''") + "'",
                                        function="'" + function.fqp.replace("'", "''") + "'")
                      for label, sql in STATEMENTS.items()}
        on_sqlite = sql_latency(sqlite, statements, args.runs)
        on_pg = sql_latency(shared, statements, args.runs)
        results["sql"] = {label: {"sqlite": on_sqlite[label], "postgres": on_pg[label]} for label in statements}
        for label in statements:
            print(f"{label}: SQLite p50 {on_sqlite[label]['p50_ms']} ms, PostgreSQL p50 {on_pg[label]['p50_ms']} ms "
                  f"({on_sqlite[label]['rows']} / {on_pg[label]['rows']} rows)", file=sys.stderr)
        sqlite.close()
        shared.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
