"""`isg-lsp mcp` as an agent meets it, through the MCP SDK's own client (stdio, and streamable HTTP with --http).

    python -m bench.mcp_latency [--corpus rust-100k] [--calls 400] [--edits 60] [--starts 3] [--http] [--json OUT]
    python -m bench.mcp_latency --quick          # rust-10k, fewer calls: a minute

On a copy of the corpus (bench/corpora.py; rust-100k is syn + gimli, ~100K lines), with its database built first
(`isg-lsp index`), it measures:

- start to first answer, warm database: from spawning `isg-lsp mcp PATH` to the answer of the first tool call
  (initialize + tools/call), each run a new process; beside it, in the same run, the floor no server can go under:
  starting Python and importing the MCP SDK (`import mcp.server.lowlevel, mcp.server.stdio`), and the CLI's
  per-question cost (`isg-lsp query`, which loads the graph for every question);
- warm tool calls: a seeded mix of every tool (who-implements, callers, blast radius, context, map of a module,
  query, stats) on targets drawn from the corpus, client round trip per call (the server's work plus the SDK's
  transport on both ends), p50 / p95 / p99 per tool and overall;
- file change → answer reflects it: a declaration appended to a file (seeded choice of files), then the tool is
  called until its answer has it; from the write to that answer (one call round trip included);
- with --http, the warm tool calls again over streamable HTTP.

Goals (issue #19): warm call p50 < 20 ms and p99 < 100 ms on 100K lines; start to first answer < 1 s; file change →
answer p99 < 500 ms. Absolute times drift on a shared machine: compare with the floors measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

SERVER = [sys.executable, "-m", "isg_lsp"]


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 2),
            "n": len(ordered)}


def timed_process(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def first_answer(workspace: Path, target: str, errlog) -> tuple[float, float]:
    """Seconds from spawning the server to the first tool answer, and to its initialize answer."""
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=SERVER[0], args=[*SERVER[1:], "mcp", str(workspace)])
    started = time.perf_counter()
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            initialized = time.perf_counter() - started
            result = await session.call_tool("isg_who_implements", {"target": target})
            answered = time.perf_counter() - started
            assert not result.is_error, result.content[0].text
    return answered, initialized


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan_calls(traits: list[str], functions: list[str], modules: list[str], count: int, seed: int) -> list:
    rng = random.Random(seed)
    kinds = [
        ("isg_who_implements", lambda: {"target": rng.choice(traits)}),
        ("isg_callers", lambda: {"target": rng.choice(functions)}),
        ("isg_blast_radius", lambda: {"target": rng.choice(traits + functions), "depth": rng.choice((2, 3))}),
        ("isg_context", lambda: {"target": rng.choice(traits + functions), "budget_tokens": 1000}),
        ("isg_map", lambda: {"module": rng.choice(modules), "max_tokens": 2000}),
        ("isg_query", lambda: {"query": f"find function where calls {_quote(rng.choice(functions))}"}),
        ("isg_stats", lambda: {}),
    ]
    calls = []
    for i in range(count):
        name, make = kinds[i % len(kinds)]
        calls.append((name, make()))
    rng.shuffle(calls)
    return calls


async def warm_calls(session, calls: list) -> dict:
    by_tool: dict[str, list[float]] = {}
    errors = 0
    for name, arguments in calls:
        started = time.perf_counter()
        result = await session.call_tool(name, arguments)
        elapsed = (time.perf_counter() - started) * 1000
        if result.is_error:
            errors += 1
        by_tool.setdefault(name, []).append(elapsed)
    every = [v for values in by_tool.values() for v in values]
    return {"all": percentiles(every), "errors": errors,
            "byTool": {name: percentiles(values) for name, values in sorted(by_tool.items())}}


async def edit_latency(session, workspace: Path, files: list[str], edits: int, seed: int) -> dict:
    rng = random.Random(seed)
    chosen = [rng.choice(files) for _ in range(edits)]
    latencies = []
    calls_needed = []
    for i, rel in enumerate(chosen):
        name = f"IsgBenchMarker{i}"
        path = workspace / rel
        text = path.read_text(encoding="utf-8")
        started = time.perf_counter()
        path.write_text(text + f"\npub struct {name};\n", encoding="utf-8")
        calls = 0
        while True:
            calls += 1
            result = await session.call_tool("isg_query", {"query": f"find struct where name = {name}"})
            if result.structured_content and result.structured_content.get("rows"):
                break
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"the edit of {rel} never reached the answers")
        latencies.append((time.perf_counter() - started) * 1000)
        calls_needed.append(calls)
        await anyio.sleep(0.05)
    return {"changeToAnswerMs": percentiles(latencies),
            "firstCallSawIt": sum(1 for c in calls_needed if c == 1), "edits": len(chosen)}


async def discover(session) -> tuple[list[str], list[str], list[str]]:
    traits = [r["fqp"] for r in (await session.call_tool("isg_query", {"query": "find trait", "limit": 1000}))
              .structured_content["rows"]]
    functions = [r["fqp"] for r in (await session.call_tool(
        "isg_query", {"query": "find function where called-by *", "limit": 1000})).structured_content["rows"]]
    modules = [r["fqp"] for r in (await session.call_tool("isg_query", {"query": "find module", "limit": 1000}))
               .structured_content["rows"]]
    rng = random.Random(7)
    return (sorted(rng.sample(traits, min(25, len(traits)))), sorted(rng.sample(functions, min(40, len(functions)))),
            sorted(rng.sample(modules, min(15, len(modules)))))


async def run_stdio(workspace: Path, args, errlog) -> dict:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=SERVER[0], args=[*SERVER[1:], "mcp", str(workspace)])
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            stats = (await session.call_tool("isg_stats", {})).structured_content
            traits, functions, modules = await discover(session)
            calls = plan_calls(traits, functions, modules, args.calls, seed=1)
            await warm_calls(session, calls[:20])                      # the first calls of each kind load code
            warm = await warm_calls(session, calls)
            files = [rel for rel in _rust_files(workspace)]
            edits = await edit_latency(session, workspace, files, args.edits, seed=2)
            after = (await session.call_tool("isg_stats", {})).structured_content
    return {"stats": {k: stats.get(k) for k in ("files", "linesOfCode", "nodes", "edges")},
            "warmCalls": warm, "edits": edits, "serverUpdateMs": after["watcher"]["updateLatencyMs"],
            "serverAnswerMs": after.get("answerLatencyMs"),
            "targets": {"traits": len(traits), "functions": len(functions), "modules": len(modules)},
            "_plan": (traits, functions, modules)}


async def run_http(workspace: Path, args, plan, errlog_path: Path) -> dict:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    with open(errlog_path, "w+", encoding="utf-8") as errlog:
        process = subprocess.Popen([*SERVER, "mcp", str(workspace), "--http", "127.0.0.1:0"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog)
        try:
            url = None
            deadline = time.monotonic() + 120
            while url is None and time.monotonic() < deadline:
                found = re.search(r"listening on (http://\S+/mcp)", errlog_path.read_text())
                url = found.group(1) if found else None
                await anyio.sleep(0.05)
            if url is None:
                raise RuntimeError("the HTTP server did not start")
            async with streamable_http_client(url) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    calls = plan_calls(*plan, args.calls, seed=1)
                    await warm_calls(session, calls[:20])
                    return await warm_calls(session, calls)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _rust_files(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.rs")):
        rel = path.relative_to(root).as_posix()
        if "/src/" in f"/{rel}" and not rel.startswith((".isg", "target")):
            found.append(rel)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="rust-100k")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="also measure the warm calls over streamable HTTP")
    parser.add_argument("--quick", action="store_true", help="rust-10k, 100 calls, 15 edits, 2 starts")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.corpus, args.calls, args.edits, args.starts = "rust-10k", 100, 15, 2

    from . import corpora

    corpus = corpora.get(args.corpus, log=lambda m: print(m, file=sys.stderr))
    if corpus.error:
        print(f"corpus {args.corpus}: {corpus.error}", file=sys.stderr)
        return 1
    scratch = Path(tempfile.mkdtemp(prefix="isg-mcp-bench-"))
    try:
        workspace = scratch / corpus.name
        shutil.copytree(corpus.path, workspace, ignore=shutil.ignore_patterns(".isg"))
        started = time.perf_counter()
        subprocess.run([*SERVER, "index", str(workspace), "--quiet"], check=True, stdout=subprocess.DEVNULL)
        index_s = time.perf_counter() - started
        errlog = open(scratch / "server.log", "w+", encoding="utf-8")
        results: dict = {"corpus": corpus.name, "indexSeconds": round(index_s, 2),
                         "machineLoad": os.getloadavg()}
        # the floors, in the same run
        results["pythonStartSeconds"] = round(timed_process([sys.executable, "-c", "pass"], 3), 3)
        results["sdkImportSeconds"] = round(timed_process(
            [sys.executable, "-c", "import mcp.server.lowlevel, mcp.server.stdio"], 3), 3)
        target_probe = anyio.run(_probe_target, workspace, errlog)
        cli = []
        for _ in range(2):
            started = time.perf_counter()
            subprocess.run([*SERVER, "query", str(workspace), f"who-implements {json.dumps(target_probe)}"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cli.append(time.perf_counter() - started)
        results["cliQuerySeconds"] = round(statistics.median(cli), 3)
        starts = [anyio.run(first_answer, workspace, target_probe, errlog) for _ in range(args.starts)]
        results["startToFirstAnswerSeconds"] = [round(a, 3) for a, _ in starts]
        results["startToInitializeSeconds"] = [round(i, 3) for _, i in starts]
        stdio = anyio.run(run_stdio, workspace, args, errlog)
        plan = stdio.pop("_plan")
        results["stdio"] = stdio
        if args.http:
            results["http"] = anyio.run(run_http, workspace, args, plan, scratch / "http.log")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


async def _probe_target(workspace: Path, errlog) -> str:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=SERVER[0], args=[*SERVER[1:], "mcp", str(workspace)])
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            rows = (await session.call_tool("isg_query", {"query": "find trait where implemented-by *",
                                                          "limit": 1})).structured_content["rows"]
    return rows[0]["fqp"]


def report(r: dict) -> str:
    stdio = r["stdio"]
    warm = stdio["warmCalls"]["all"]
    lines = [
        f"isg-lsp mcp on {r['corpus']} ({stdio['stats']['files']} files, {stdio['stats']['linesOfCode']:,} lines, "
        f"{stdio['stats']['nodes']:,} nodes, {stdio['stats']['edges']:,} edges); load average "
        f"{', '.join(f'{x:.1f}' for x in r['machineLoad'])}",
        f"start to first answer (warm database): {', '.join(f'{s:.2f}' for s in r['startToFirstAnswerSeconds'])} s "
        f"(initialize answered at {', '.join(f'{s:.2f}' for s in r['startToInitializeSeconds'])} s)",
        f"  floors in this run: python start {r['pythonStartSeconds']:.2f} s, python + import of the MCP SDK "
        f"{r['sdkImportSeconds']:.2f} s; the CLI per question (isg-lsp query, warm database) {r['cliQuerySeconds']:.2f} s",
        f"warm tool calls over stdio ({warm['n']} calls, {stdio['warmCalls']['errors']} tool errors): "
        f"p50 {warm['p50']} ms, p95 {warm['p95']} ms, p99 {warm['p99']} ms, max {warm['max']} ms",
    ]
    for name, p in stdio["warmCalls"]["byTool"].items():
        lines.append(f"  {name:20} p50 {p['p50']:7} ms  p95 {p['p95']:7} ms  p99 {p['p99']:7} ms  (n={p['n']})")
    edits = stdio["edits"]
    e = edits["changeToAnswerMs"]
    s = stdio["serverUpdateMs"]
    lines.append(f"file change -> answer reflects it ({edits['edits']} edits): p50 {e['p50']} ms, p95 {e['p95']} ms, "
                 f"p99 {e['p99']} ms, max {e['max']} ms; the first call after the write saw it "
                 f"{edits['firstCallSawIt']}/{edits['edits']} times")
    lines.append(f"  server side, file event -> graph updated: p50 {s['p50']} ms, p99 {s['p99']} ms")
    answers = stdio.get("serverAnswerMs")
    if answers:
        lines.append(f"server side, a tool's time with the graph (every call of the run): p50 {answers['p50']} ms, "
                     f"p99 {answers['p99']} ms")
    if "http" in r:
        h = r["http"]["all"]
        lines.append(f"warm tool calls over streamable HTTP ({h['n']} calls): p50 {h['p50']} ms, p95 {h['p95']} ms, "
                     f"p99 {h['p99']} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
