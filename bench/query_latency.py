"""Query latency per class, in-process and through LSP over stdio, against ISG-SPEC §4.

    python -m bench.query_latency            # full run
    python -m bench.query_latency --quick    # fewer repetitions (a minute or so)
    python -m bench.query_latency --json out.json --no-lsp

Corpora: the test fixture (tests/fixtures/rust/demo) and real crates installed by Debian (serde, anyhow under
/usr/share/cargo/registry). Classes:

- simple (1-2 hops): who-implements, callers, callees, find by name, find by relation and signature;
- multi-hop (3-5 hops): blast-radius depth 3 and 5, path;
- cycles: module-level cycles (Tarjan SCC), cold (the per-graph-version memo cleared before each run) and memoized;
- context: context of a trait, budget 2000 tokens (no §4 goal: reported for information).

Each query's text goes through ``run_query`` as a client sends it (parse cache, plan, rows), so the figures include
the language's own overhead. Targets are picked from each corpus's graph (the most implemented trait, the most called
function, ...). §4 asks for every figure also as a ratio to a bare tree-sitter parse of the same input: the parse
time of the corpus is printed with each corpus, and each p99 as a share of it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "rust" / "demo"
REGISTRY = Path("/usr/share/cargo/registry")

GOALS_US = {"simple": 100.0, "multi-hop": 500.0, "cycles": 1000.0, "cycles-memo": 1000.0, "context": None}
LSP_GOAL_US = 2000.0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {}

    def rank(p: float) -> float:
        k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
        return ordered[k]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1], "n": len(ordered)}


def corpora() -> list[tuple[str, Path]]:
    found = [("fixture", FIXTURE)]
    for name in ("serde", "anyhow"):
        versions = sorted(REGISTRY.glob(f"{name}-[0-9]*"))
        if versions:
            found.append((name, versions[-1]))
    return found


def bare_parse_ms(root: Path) -> float:
    """A bare tree-sitter parse of the corpus's Rust files (the §4 yardstick)."""
    import tree_sitter
    import tree_sitter_rust

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))
    sources = [p.read_bytes() for p in sorted(root.rglob("*.rs")) if "target" not in p.parts]
    started = time.perf_counter()
    for source in sources:
        parser.parse(source)
    return (time.perf_counter() - started) * 1000


# ---- picking targets ------------------------------------------------------------------------------------------------

def pick_queries(graph) -> dict[str, list[str]]:
    from isg_lsp.model import NodeKind

    nodes = [n for n in graph.nodes.values() if not n.external]

    def in_count(node, kinds):
        return sum(1 for (k, _s) in graph.in_edges.get(node.id, {}) if k in kinds)

    def out_count(node, kinds):
        return sum(1 for (k, _d) in graph.out_edges.get(node.id, {}) if k in kinds)

    def top(candidates, key, n=3):
        return sorted(candidates, key=lambda x: (-key(x), x.fqp))[:n]

    def q(fqp: str) -> str:
        return '"' + fqp.replace("\\", "\\\\").replace('"', '\\"') + '"'

    traits = top([n for n in nodes if n.kind is NodeKind.TRAIT], lambda n: in_count(n, {"IMPL", "EXTENDS"}))
    if not traits:                  # Python without ABCs or protocols: classes and their subclasses
        traits = top([n for n in nodes if n.kind is NodeKind.STRUCT], lambda n: in_count(n, {"EXTENDS"}))
    called = top([n for n in nodes if n.kind is NodeKind.FUNCTION], lambda n: in_count(n, {"CALLS"}))
    calling = top([n for n in nodes if n.kind is NodeKind.FUNCTION], lambda n: out_count(n, {"CALLS"}))
    types = top([n for n in nodes if n.kind in (NodeKind.STRUCT, NodeKind.ENUM)],
                lambda n: len(graph.in_edges.get(n.id, {})))
    impact = {"CALLS", "IMPL", "EXTENDS", "ACCEPTS", "RETURNS", "USES", "BOUND_BY"}
    depended = top(nodes, lambda n: in_count(n, impact))
    simple = []
    for t in traits:
        simple.append(f"who-implements {q(t.fqp)}")
    for f in called:
        simple.append(f"callers {q(f.fqp)}")
    for f in calling:
        simple.append(f"callees {q(f.fqp)}")
    for t in types:
        simple.append(f"find struct, enum where name = {q(t.name)}")
    if traits:
        simple.append(f"find struct, enum where implements {q(traits[0].fqp)} and signature contains \"<\"")
    multi = []
    for n in depended[:2]:
        multi.append(f"blast-radius {q(n.fqp)} depth 3 limit 100")
    if called:
        multi.append(f"blast-radius {q(called[0].fqp)} depth 5 via CALLS limit 100")
    if calling and depended:
        multi.append(f"path {q(calling[0].fqp)} to {q(depended[0].fqp)}")
    if types and traits:
        multi.append(f"path {q(types[0].fqp)} to {q(traits[0].fqp)}")
    context = [f"context {q(t.fqp)} budget 2000" for t in traits[:2]]
    return {"simple": simple, "multi-hop": multi, "cycles": ["cycles module"], "context": context}


# ---- in-process -------------------------------------------------------------------------------------------------------

def measure_in_process(graph, plan: dict[str, list[str]], repeat: int) -> dict[str, dict]:
    from isg_lsp.querylang import QueryLanguageError, run_query

    from isg_lsp import queries

    results = {}
    for cls, texts in plan.items():
        samples: list[float] = []
        memo_samples: list[float] = []
        errors = []
        count = repeat if cls in ("simple", "multi-hop") else max(20, repeat // 10)
        for text in texts:
            try:
                for _ in range(5):                                    # warm: parse cache, memo
                    run_query(graph, text, budget_ms=5000)
            except QueryLanguageError as error:
                errors.append(f"{text}: {error}")
                continue
            clock = time.perf_counter_ns
            for _ in range(count):
                if cls == "cycles":
                    queries._MEMO.clear()          # cold: the SCCs are memoized per graph version otherwise
                started = clock()
                run_query(graph, text, budget_ms=5000)
                samples.append((clock() - started) / 1000)
            if cls == "cycles":
                for _ in range(count):
                    started = clock()
                    run_query(graph, text, budget_ms=5000)
                    memo_samples.append((clock() - started) / 1000)
        results[cls] = {"us": percentiles(samples), "queries": len(texts), "errors": errors}
        if memo_samples:
            results["cycles-memo"] = {"us": percentiles(memo_samples), "queries": len(texts), "errors": []}
    return results


# ---- through LSP ------------------------------------------------------------------------------------------------------

async def _lsp_run(root: Path, plan: dict[str, list[str]], repeat: int) -> dict[str, dict]:
    from lsprotocol import types
    from pytest_lsp import client_capabilities
    from pytest_lsp.client import make_test_lsp_client

    client = make_test_lsp_client()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params):
        return None

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params):
        return None

    db_dir = Path(tempfile.mkdtemp(prefix="isg-bench-"))
    await client.start_io(sys.executable, "-m", "isg_lsp", "serve")
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual_studio_code"), root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"databasePath": str(db_dir / "isg.db")}))
        deadline = time.monotonic() + 300
        while True:
            stats = await client.protocol.send_request_async("isg/stats", {})
            if getattr(stats, "state", None) == "ready":
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not finish indexing")
            await asyncio.sleep(0.05)
        results = {}
        for cls, texts in plan.items():
            samples: list[float] = []
            errors = []
            count = max(20, repeat // 5) if cls in ("simple", "multi-hop") else max(10, repeat // 20)
            for text in texts:
                try:
                    for _ in range(3):
                        await client.protocol.send_request_async("isg/query", {"query": text})
                except Exception as error:                            # noqa: BLE001 - reported, not fatal
                    errors.append(f"{text}: {error}")
                    continue
                for _ in range(count):
                    started = time.perf_counter_ns()
                    await client.protocol.send_request_async("isg/query", {"query": text})
                    samples.append((time.perf_counter_ns() - started) / 1000)
            results[cls] = {"us": percentiles(samples), "queries": len(texts), "errors": errors}
        return results
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), 10)
        except Exception:                                             # noqa: BLE001
            pass
        shutil.rmtree(db_dir, ignore_errors=True)


def measure_lsp(root: Path, plan: dict[str, list[str]], repeat: int) -> dict[str, dict] | str:
    try:
        import isg_lsp.server  # noqa: F401
    except ImportError:
        return "no server (isg_lsp.server is missing): in-process figures only"
    try:
        return asyncio.run(_lsp_run(root, plan, repeat))
    except Exception as error:                                        # noqa: BLE001
        return f"LSP run failed: {type(error).__name__}: {error}"


# ---- report -------------------------------------------------------------------------------------------------------------

def verdict(p99: float, goal: float | None) -> str:
    if goal is None:
        return "(no goal)"
    return "ok" if p99 <= goal else f"MISSES {goal:g} µs"


def report(name: str, info: dict, in_process: dict, lsp) -> list[str]:
    lines = [f"== {name}: {info['files']} files, {info['loc']:,} LOC, {info['nodes']:,} nodes, {info['edges']:,} edges; "
             f"bare parse {info['parse_ms']:.1f} ms; index {info['index_s']:.2f} s"]
    lines.append(f"  {'class':<10} {'where':<11} {'p50 µs':>9} {'p95 µs':>9} {'p99 µs':>9} {'max µs':>9} "
                 f"{'n':>6} {'p99/parse':>9}  §4 goal (p99)")
    for cls in ("simple", "multi-hop", "cycles", "cycles-memo", "context"):
        data = in_process.get(cls, {})
        p = data.get("us") or {}
        if p:
            share = p["p99"] / 1000 / info["parse_ms"] if info["parse_ms"] else 0.0
            lines.append(f"  {cls:<10} {'in-process':<11} {p['p50']:>9.1f} {p['p95']:>9.1f} {p['p99']:>9.1f} "
                         f"{p['max']:>9.1f} {p['n']:>6} {share:>9.4f}  {verdict(p['p99'], GOALS_US[cls])}")
        if isinstance(lsp, dict):
            q = (lsp.get(cls) or {}).get("us") or {}
            if q:
                share = q["p99"] / 1000 / info["parse_ms"] if info["parse_ms"] else 0.0
                goal = LSP_GOAL_US if cls != "context" else None
                lines.append(f"  {cls:<10} {'LSP stdio':<11} {q['p50']:>9.1f} {q['p95']:>9.1f} {q['p99']:>9.1f} "
                             f"{q['max']:>9.1f} {q['n']:>6} {share:>9.4f}  {verdict(q['p99'], goal)}")
        for error in data.get("errors", []):
            lines.append(f"    error: {error}")
    if not isinstance(lsp, dict):
        lines.append(f"  LSP: {lsp}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.query_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-lsp", action="store_true", help="in-process only")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument("--corpus", action="append", default=None, help="only these corpora (fixture, serde, anyhow)")
    args = parser.parse_args(argv)
    repeat = 200 if args.quick else 2000
    sys.path.insert(0, str(REPO))
    from isg_lsp.engine import Engine

    everything = {}
    for name, root in corpora():
        if args.corpus and name not in args.corpus:
            continue
        started = time.perf_counter()
        engine = Engine(root, persist=False)
        index_report = engine.index()
        index_s = time.perf_counter() - started
        graph = engine.graph
        gc.collect()
        gc.freeze()                    # as a long-running server would: the indexed graph leaves the GC's young sets
        info = {"root": str(root), "files": index_report.files, "loc": index_report.loc, "nodes": len(graph.nodes),
                "edges": graph.edge_count(), "parse_ms": bare_parse_ms(root), "index_s": index_s}
        plan = pick_queries(graph)
        in_process = measure_in_process(graph, plan, repeat)
        lsp = "skipped (--no-lsp)" if args.no_lsp else measure_lsp(root, plan, repeat)
        engine.close()
        for line in report(name, info, in_process, lsp):
            print(line, flush=True)
        everything[name] = {"corpus": info, "queries": plan, "inProcess": in_process, "lsp": lsp}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
