"""The benchmark: ``python -m bench run [--quick] [--corpus NAME ...] [--out FILE]``.

Fetches the corpora into ``bench/.cache/`` (``corpora.py``, ``synthetic.py``), measures each figure of issue #7 and
ISG-SPEC §4 on them, prints a table with every figure also given as a ratio to a bare tree-sitter parse and to
``ctags -R`` measured in the same run, and writes everything as JSON (``bench/results/<stamp>.json`` and
``bench/results/latest.json`` unless ``--out`` says otherwise).

Measures owned by other modules are imported lazily and reported as "n/a (reason)" when missing or failing:
``bench/lsp_latency.py`` (edit → query-ready through a real LSP client over stdio) and ``bench/query_latency.py``
(query latency per class, in-process and through LSP). Each module offers ``run(root, *, quick, ...)`` returning a
JSON-able dict; the keyword arguments it does not take are not passed.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

from . import corpora, measure

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

FULL = {
    # synthetic-2m alone takes ~9 minutes here: it runs with --huge (or --corpus synthetic-2m), so that the
    # default full run stays within its 15 minutes
    "corpora": ["rust-10k", "rust-100k", "rust-500k", "java-100k", "ts-130k", "python-100k",
                "synthetic-10k", "synthetic-100k", "synthetic-500k"],
    # warm restarts, edits, mixed run, query latency: every corpus of issue #21's table
    "deep": ["rust-100k", "rust-500k", "java-100k", "ts-130k", "python-100k", "synthetic-100k", "synthetic-500k"],
    # through LSP (a real server over stdio): edit → query-ready on the file of the corpus's language nearest
    # 1,855 lines, queries, the server's start → ready (cold and warm) and its memory after indexing
    "lsp": ["rust-10k", "rust-100k", "rust-500k", "java-100k", "ts-130k", "python-100k", "synthetic-100k",
            "synthetic-500k"],
    "repeat_cold": 3, "repeat_cold_large": 1, "repeat_parse": 3, "edits": 60, "mixed_seconds": 6.0,
}
QUICK = {
    "corpora": ["rust-10k", "synthetic-10k"],
    "deep": ["rust-10k"],
    "lsp": ["rust-10k"],
    "repeat_cold": 1, "repeat_cold_large": 1, "repeat_parse": 2, "edits": 60, "mixed_seconds": 2.0,
}
LARGE_LOC = 400_000

# The spec's §4 goals ("our goal"), as (figure, limit, unit) checked against the results.
GOALS = {
    "edit_p99_ms": 3.0,
    "simple_query_p99_us": 100.0,
    "multi_hop_p99_us": 500.0,
    "cycles_p99_us": 1000.0,
    "lsp_p99_ms": 2.0,
    "cold_over_parse": 3.0,
    "rss_mb": {10_000: 60, 100_000: 100, 500_000: 250},
    "warm_restart_s": 0.5,
    "map_share": 0.03,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    import tree_sitter  # noqa: F401

    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        info["load_avg"] = os.getloadavg()
    except OSError:
        pass
    from importlib.metadata import version

    for dist in ("tree-sitter", "tree-sitter-rust", "networkx", "pygls"):
        try:
            info[dist] = version(dist)
        except Exception:  # noqa: BLE001
            info[dist] = None
    try:
        info["ctags"] = subprocess.run(["ctags", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        info["ctags"] = None
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                                     text=True).stdout.strip()
    except OSError:
        pass
    return info


def guarded(what: str, fn, *args, **kwargs) -> dict:
    """Runs one measure; a failure becomes {"error": ...} so that the run goes on."""
    started = time.perf_counter()
    try:
        result = fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - one broken measure must not cost the others
        log(f"  {what} failed: {type(error).__name__}: {error}")
        log("".join(traceback.format_exc(limit=3)))
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}
    log(f"  {what}: {time.perf_counter() - started:.1f} s")
    return result


def external(module_name: str, root: Path, quick: bool, context: dict) -> dict:
    """Calls ``bench.<module_name>.run`` when it is there; says why not otherwise."""
    try:
        module = __import__(f"bench.{module_name}", fromlist=["run"])
    except ImportError as error:
        return {"error": f"n/a (bench/{module_name}.py not available: {error})"}
    run = getattr(module, "run", None)
    if run is None and all(hasattr(module, f) for f in ("pick_queries", "measure_in_process", "measure_lsp")):
        run = _query_latency_parts(module)
    if run is None:
        return {"error": f"n/a (bench/{module_name}.py has no run())"}
    params = inspect.signature(run).parameters
    if inspect.iscoroutinefunction(run) and list(params) == ["args"]:
        return _lsp_latency_args(module_name, run, root, quick)
    offered = {"quick": quick, **context}
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in offered.items() if accepts_any or k in params}
    result = guarded(f"{module_name}", run, root, **kwargs)
    if not isinstance(result, dict):
        return {"error": f"n/a (bench/{module_name}.py returned {type(result).__name__})"}
    return result


def _lsp_latency_args(module_name: str, run, root: Path, quick: bool) -> dict:
    """bench/lsp_latency.py's ``async run(args)``: on the corpus's serde crate (its de/mod.rs is the file edited)."""
    import asyncio

    crates = sorted(root.glob("serde-1.*"))
    if not crates:
        return {"error": "n/a (bench/lsp_latency.py edits serde's de/mod.rs; this corpus has no serde)"}
    args = argparse.Namespace(quick=quick, crate=str(crates[-1]), file="src/de/mod.rs",
                              edits=60 if quick else 240, queries=40 if quick else 100, json=None)
    return guarded(module_name, lambda: asyncio.run(run(args)))


def _query_latency_parts(module):
    """bench/query_latency.py's pieces (pick_queries, measure_in_process, measure_lsp) as one run()."""

    def run(root: Path, quick: bool = False) -> dict:
        import gc

        from isg_lsp.engine import Engine

        engine = Engine(root, persist=False)
        engine.index()
        gc.collect()
        gc.freeze()
        try:
            plan = module.pick_queries(engine.graph)
            repeat = 50 if quick else 100
            result = {"in_process": module.measure_in_process(engine.graph, plan, repeat)}
            lsp = module.measure_lsp(root, plan, 15 if quick else 20)
            result["lsp"] = lsp if isinstance(lsp, dict) else {"error": f"n/a ({lsp})"}
            return result
        finally:
            gc.unfreeze()
            engine.close()

    return run


def bench_corpus(corpus: corpora.Corpus, plan: dict, quick: bool, work: Path) -> dict:
    root = corpus.path
    result: dict = {"corpus": corpus.as_dict()}
    from isg_lsp import languages

    indexed = languages.is_available(corpus.lang)
    files = measure.source_files(root) if indexed else []
    large = corpus.loc > LARGE_LOC
    repeat_parse = 1 if large else plan["repeat_parse"]
    if indexed and files:
        result["parse"] = guarded("bare parse", measure.bare_parse, root, files, repeat_parse)
        result["parse_query"] = guarded("parse + query", measure.bare_parse, root, files, 1 if large else 2,
                                        with_query=True)
    else:
        result["parse"] = guarded("bare parse", measure.parse_loop_any, root, corpus.lang, repeat_parse)
    result["ctags"] = guarded("ctags -R", measure.ctags, root, corpus.lang, repeat_parse)
    if not indexed:
        result["cold"] = {"error": f"n/a (no {corpus.lang} extractor in isg_lsp.languages)"}
        return result
    db = work / f"{corpus.name}.db"
    repeat = plan["repeat_cold_large"] if large else plan["repeat_cold"]
    result["cold"] = guarded("cold index", measure.cold_index, root, db, repeat)
    if corpus.name in plan["deep"]:
        result["warm"] = guarded("warm restart", measure.warm_restart, root, db, files, 0.0)
        result["warm_1pct"] = guarded("warm restart, 1% changed", measure.warm_restart, root, db, files, 0.01)
        result["edit"] = guarded("edit → graph ready (in-process)", measure.edit_latency, root, files,
                                 plan["edits"])
        result["mixed"] = guarded("mixed run", measure.mixed_run, root, files, 2, plan["mixed_seconds"])
        from . import representation

        result["representation"] = guarded("representation (dict / networkx / rustworkx)", representation.run_on,
                                           root, quick)
        context = {"corpus": corpus.name, "files": files, "work": work}
        result["queries"] = external("query_latency", root, quick, context)
    if corpus.name in plan["lsp"]:
        result["lsp"] = external("lsp_latency", root, quick, {"corpus": corpus.name, "files": files, "work": work})
    measure._remove_db(db)
    return result


# ---- the table ------------------------------------------------------------------------------------------------

def _get(d: dict, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _num(value, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, (int, float)) else "n/a"


def _ratio(value, base) -> str:
    if isinstance(value, (int, float)) and isinstance(base, (int, float)) and base > 0:
        return f"{value / base:.1f}×"
    return "n/a"


def _why(d: dict | None) -> str:
    if isinstance(d, dict) and d.get("error"):
        text = str(d["error"])
        return text if text.startswith("n/a") else f"n/a ({text})"
    return "n/a"


def table(results: dict) -> str:
    rows = []
    add = rows.append
    add("## Cold index (ratios: to a bare tree-sitter parse loop of the same files, 1 process; and to ctags -R)")
    add("")
    add("| corpus | files | LOC | bare parse | parse+query | ctags -R | cold index | ×parse | ×ctags | CPU | "
        "peak RSS (server / worker) | DB | nodes | edges | map % src | DB % src |")
    add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["corpora"]:
        c = r["corpus"]
        if c.get("error"):
            add(f"| {c['name']} | n/a ({c['error'][:80]}) |" + " |" * 14)
            continue
        parse = _get(r, "parse", "wall_s")
        ct = _get(r, "ctags", "wall_s")
        cold = r.get("cold") or {}
        idx = cold.get("index_s")
        cold_cell = f"{idx:.2f} s" if isinstance(idx, float) else _why(cold)
        add(f"| {c['name']} | {c['files']:,} | {c['loc']:,} | {_num(parse, '.2f')} s | "
            f"{_num(_get(r, 'parse_query', 'wall_s'), '.2f')} s | {_num(ct, '.2f')} s | {cold_cell} | "
            f"{_ratio(idx, parse)} | {_ratio(idx, ct)} | {_num(cold.get('cpu_s'), '.1f')} s | "
            f"{_num(cold.get('peak_rss_mb'), '.0f')} / {_num(cold.get('peak_rss_workers_mb'), '.0f')} MB | "
            f"{_num((cold.get('db_bytes') or 0) / 1e6 if 'db_bytes' in cold else None, '.1f')} MB | "
            f"{_num(cold.get('nodes'), ',')} | {_num(cold.get('edges'), ',')} | "
            f"{_num(100 * cold['map_share'] if 'map_share' in cold else None, '.1f')} | "
            f"{_num(100 * cold['db_bytes'] / cold['source_bytes'] if cold.get('source_bytes') else None, '.0f')} |")
    add("")
    add("## Warm restart, edits, mixed load (deep corpora)")
    add("")
    add("| corpus | warm, nothing changed | ×parse | warm, 1% changed | ×parse | edit → graph ready p50 / p95 / p99 "
        "(in-process) | p99 ×full parse of the file | mixed run p99 (simple / multi-hop / cycles) | writes |")
    add("|---|---|---|---|---|---|---|---|---|")
    for r in results["corpora"]:
        if "warm" not in r:
            continue
        parse = _get(r, "parse", "wall_s")
        warm = _get(r, "warm", "index_s")
        warm1 = _get(r, "warm_1pct", "index_s")
        e = _get(r, "edit", "all") or {}
        fp = _get(r, "edit", "full_parse_ms", "p50")
        mixed = r.get("mixed") or {}
        add(f"| {r['corpus']['name']} | {_num(warm, '.2f')} s | {_ratio(warm, parse)} | {_num(warm1, '.2f')} s | "
            f"{_ratio(warm1, parse)} | {_num(e.get('p50'), '.2f')} / {_num(e.get('p95'), '.2f')} / "
            f"{_num(e.get('p99'), '.2f')} ms | {_ratio(e.get('p99'), fp)} | "
            f"{_num(_get(mixed, 'simple_us', 'p99'), '.0f')} / {_num(_get(mixed, 'multi_us', 'p99'), '.0f')} / "
            f"{_num(_get(mixed, 'cycles_us', 'p99'), '.0f')} µs | {_num(mixed.get('writes'), 'd')} |")
    add("")
    add("## The in-memory representation: the same graph as dict adjacency, networkx, rustworkx (µs, p50 / p99)")
    add("")
    add("| corpus | representation | adjacency memory | 1-hop (callers) | 5-hop BFS (impact edges) | SCC, whole graph |")
    add("|---|---|---|---|---|---|")
    for r in results["corpora"]:
        rep = r.get("representation")
        if not rep:
            continue
        for name in ("dict", "networkx", "rustworkx"):
            d = rep.get(name) or {}
            if d.get("error"):
                add(f"| {r['corpus']['name']} | {name} | {_why(d)} | | | |")
                continue
            add(f"| {r['corpus']['name']} | {name} {d.get('version', '(engine)')} | "
                f"{_num(d.get('adjacency_mb'), '.1f')} MB | {_num(_get(d, 'hop1_us', 'p50'), '.1f')} / "
                f"{_num(_get(d, 'hop1_us', 'p99'), '.1f')} | {_num(_get(d, 'bfs5_us', 'p50'), '.1f')} / "
                f"{_num(_get(d, 'bfs5_us', 'p99'), '.1f')} | {_num(d.get('scc_whole_graph_ms'), '.1f')} ms |")
    add("")
    add("## Edit → query-ready through LSP, and query latency (bench/lsp_latency.py, bench/query_latency.py)")
    add("")
    for r in results["corpora"]:
        for label, key in (("LSP edit → query-ready", "lsp"), ("query latency", "queries")):
            if key not in r:
                continue
            data = r.get(key) or {}
            if data.get("error"):
                add(f"- {r['corpus']['name']}, {label}: {_why(data)}")
                continue
            add(f"- {r['corpus']['name']}, {label}:")
            for line in _flatten(data):
                add(f"  - {line}")
    add("")
    return "\n".join(rows)


def _flatten(data: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if {"p50", "p99"} <= set(value):
                unit = "ms" if ("_ms" in name or name.endswith(".ms")) else "µs" if (
                    "_us" in name or ".us" in name) else ""
                out.append(f"{name}: p50 {value['p50']:.3g} / p95 {value.get('p95', float('nan')):.3g} / "
                           f"p99 {value['p99']:.3g} {unit}".rstrip())
            else:
                out.extend(_flatten(value, name + "."))
        elif isinstance(value, (int, float, str, bool)) or value is None:
            out.append(f"{name}: {value}")
    return out


def _indexed(results: dict) -> list[dict]:
    return [r for r in results["corpora"] if isinstance(r.get("cold"), dict) and "index_s" in r["cold"]]


def _issue21_cell(r: dict, what: str) -> str:
    """One cell of issue #21's table: the figure ``what`` of one corpus's results."""
    cold = r.get("cold") or {}
    parse = _get(r, "parse", "wall_s")
    lsp = r.get("lsp") or {}
    q = _get(r, "queries", "in_process") or {}
    if what == "cold":
        return _ratio(cold.get("index_s"), parse)
    if what == "cores":
        return _num(cold["cpu_s"] / cold["index_s"] if cold.get("index_s") else None, ".2f")
    if what == "rss":
        server = _get(lsp, "server_memory_mb", "after_index", "rss")
        return f"{_num(cold.get('peak_rss_mb'), '.0f')} / {_num(server, '.0f')} MB"
    if what == "warm":
        return (f"{_num(_get(r, 'warm', 'index_s'), '.2f')} / "
                f"{_num(_get(lsp, 'warm_restart', 'ready_s'), '.2f')} s")
    if what == "edit_lsp":
        fig = lsp.get("server_update_ms") or {}
        if not fig:
            return "n/a"
        return (f"p50 {_num(fig.get('p50'), '.1f')}, p99 {_num(fig.get('p99'), '.1f')} ms "
                f"({lsp.get('lines')} lines)")
    if what == "edit":
        e = _get(r, "edit", "all") or {}
        return f"p50 {_num(e.get('p50'), '.1f')}, p99 {_num(e.get('p99'), '.1f')} ms" if e else "n/a"
    if what in ("simple", "multi-hop"):
        v = _get(q, what, "us", "p99")
        return f"{_num(v / 1000 if isinstance(v, (int, float)) else None, '.3f')} ms" if v is not None else "n/a"
    if what == "lsp":
        methods = ("isg/whoImplements", "textDocument/references", "isg/callers", "isg/blastRadius")
        figs = [_get(lsp, "client_query_ms", m, "p99") for m in methods]
        return " / ".join(_num(f, ".1f") for f in figs) + " ms" if any(f is not None for f in figs) else "n/a"
    return "n/a"


ISSUE21_ROWS = [("cold index ÷ bare parse (wall)", "≤ 3×", "cold"),
                ("cores used by a cold index (CPU ÷ wall)", "2", "cores"),
                ("peak RSS (CLI index / server after indexing)", "100 / 250 MB", "rss"),
                ("warm restart, nothing changed (CLI / server to ready)", "< 0.5 s per 100K", "warm"),
                ("edit → query-ready, server-side (LSP)", "p99 < 3 ms", "edit_lsp"),
                ("edit → graph ready, in-process", "p99 < 3 ms", "edit"),
                ("1-2 hop query in-process p99", "< 100 µs", "simple"),
                ("multi-hop (blast radius, path) in-process p99", "< 500 µs", "multi-hop"),
                ("LSP whoImplements / references / callers / blastRadius p99", "< 2 ms", "lsp")]


def issue21_table(results: dict) -> str:
    """Issue #21's table: one row per measure, one column per corpus that has it."""
    corpora_ = _indexed(results)
    if not corpora_:
        return ""
    out = ["## Issue #21's table", "",
           "| measure | goal | " + " | ".join(r["corpus"]["name"] for r in corpora_) + " |",
           "|---|---|" + "---|" * len(corpora_)]
    for label, goal, what in ISSUE21_ROWS:
        out.append(f"| {label} | {goal} | " + " | ".join(_issue21_cell(r, what) for r in corpora_) + " |")
    return "\n".join(out) + "\n"


def compare_table(before: list[dict], after: list[dict]) -> str:
    """Issue #21's table with each cell ``before → after``, for the corpora both sides measured (the results of
    several runs each, e.g. one run per corpus; a corpus measured twice on one side keeps its last run)."""
    def by_name(runs: list[dict]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for results in runs:
            for r in _indexed(results):
                found[r["corpus"]["name"]] = r
        return found

    old, new = by_name(before), by_name(after)
    names = [n for n in FULL["corpora"] + ["synthetic-2m"] if n in old and n in new]
    names += sorted(n for n in new if n in old and n not in names)
    if not names:
        return "no corpus was measured on both sides\n"
    out = ["## Issue #21's table, before → after", "",
           "| measure | goal | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for label, goal, what in ISSUE21_ROWS:
        cells = [f"{_issue21_cell(old[n], what)} → {_issue21_cell(new[n], what)}" for n in names]
        out.append(f"| {label} | {goal} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def goals(results: dict) -> list[str]:
    """The §4 goals, each met / not met / n/a, with the figure."""
    lines = []
    for r in results["corpora"]:
        c = r["corpus"]
        cold = r.get("cold") or {}
        parse = _get(r, "parse", "wall_s")
        if isinstance(cold.get("index_s"), float) and parse:
            ratio = cold["index_s"] / parse
            lines.append(f"{c['name']}: cold index {ratio:.1f}× bare parse (goal ≤ {GOALS['cold_over_parse']}×): "
                         f"{'met' if ratio <= GOALS['cold_over_parse'] else 'NOT met'}")
            limit = next((mb for loc, mb in sorted(GOALS["rss_mb"].items()) if c["loc"] <= loc * 1.5), None)
            if limit:
                rss = cold.get("peak_rss_mb", 0)
                lines.append(f"{c['name']}: peak RSS {rss:.0f} MB (goal < {limit} MB): "
                             f"{'met' if rss < limit else 'NOT met'}")
            share = cold.get("map_share")
            if isinstance(share, float):
                lines.append(f"{c['name']}: map {100 * share:.1f}% of source tokens (goal < 3%): "
                             f"{'met' if share < GOALS['map_share'] else 'NOT met'}")
        warm = _get(r, "warm", "index_s")
        if isinstance(warm, float):
            lines.append(f"{c['name']}: warm restart {warm:.2f} s (goal < 0.5 s): {'met' if warm < 0.5 else 'NOT met'}")
        p99 = _get(r, "edit", "all", "p99")
        if isinstance(p99, float):
            lines.append(f"{c['name']}: edit → graph ready p99 {p99:.2f} ms in-process (goal < 3 ms server-side): "
                         f"{'met' if p99 < 3 else 'NOT met'}")
        upd = _get(r, "lsp", "server_update_ms", "p99")
        if isinstance(upd, (int, float)):
            lines.append(f"{c['name']}: edit → query-ready through LSP, server-side p99 {upd:.2f} ms on "
                         f"{_get(r, 'lsp', 'file')} ({_get(r, 'lsp', 'lines')} lines) (goal < 3 ms): "
                         f"{'met' if upd < 3 else 'NOT met'}")
        for method, fig in (_get(r, "lsp", "client_query_ms") or {}).items():
            if isinstance(fig, dict) and "p99" in fig:
                lines.append(f"{c['name']}: {method} through LSP p99 {fig['p99']:.2f} ms (goal < 2 ms): "
                             f"{'met' if fig['p99'] < 2 else 'NOT met'}")
        for cls, limit in (("simple", 100), ("multi-hop", 500), ("cycles", 1000), ("cycles-memo", 1000)):
            v = _get(r, "queries", "in_process", cls, "us", "p99")
            if isinstance(v, (int, float)):
                lines.append(f"{c['name']}: {cls} queries in-process p99 {v:.0f} µs (goal < {limit} µs): "
                             f"{'met' if v < limit else 'NOT met'}")
        for cls, limit in (("simple", 100), ("multi", 500), ("cycles", 1000)):
            v = _get(r, "mixed", f"{cls}_us", "p99")
            if isinstance(v, float):
                lines.append(f"{c['name']}: mixed-load {cls} query p99 {v:.0f} µs (goal < {limit} µs unloaded): "
                             f"{'met' if v < limit else 'NOT met'}")
    return lines


def run(args) -> int:
    plan = dict(QUICK if args.quick else FULL)
    if getattr(args, "cold_only", False):
        plan["deep"], plan["lsp"] = [], []
    names = args.corpus or plan["corpora"] + (["synthetic-2m"] if getattr(args, "huge", False) else [])
    started = time.perf_counter()
    # ISG_BENCH_WORK: a work folder of one's own (several people running the benchmark share the corpora's cache)
    work = Path(os.environ.get("ISG_BENCH_WORK") or corpora.CACHE / "work")
    work.mkdir(parents=True, exist_ok=True)
    results = {"quick": args.quick, "machine": machine(), "plan": {k: v for k, v in plan.items()}, "corpora": [],
               "goals": GOALS}
    for name in names:
        log(f"== {name}")
        corpus = corpora.get(name, log)
        if corpus.error:
            log(f"  not available: {corpus.error}")
            results["corpora"].append({"corpus": corpus.as_dict()})
            continue
        log(f"  {corpus.files:,} files, {corpus.loc:,} lines")
        results["corpora"].append(bench_corpus(corpus, plan, args.quick, work))
    results["seconds"] = time.perf_counter() - started
    results["verdicts"] = goals(results)
    text = table(results)
    print(text)
    print(issue21_table(results))
    print("## Goals (ISG-SPEC §4)\n")
    for line in results["verdicts"]:
        print(f"- {line}")
    print(f"\n(total {results['seconds']:.0f} s; machine: {results['machine'].get('cpu')}, "
          f"{results['machine'].get('cpus')} cores, load {results['machine'].get('load_avg')})")
    out = Path(args.out) if args.out else None
    if out is None:
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = RESULTS / f"{'quick' if args.quick else 'full'}-{stamp}.json"
        (RESULTS / "latest.json").write_text(json.dumps(results, indent=1, default=str))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str))
    log(f"results written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="isg-lsp's benchmark (issue #7)")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="fetch the corpora, measure, print the table, write JSON")
    r.add_argument("--quick", action="store_true", help="the CI-sized run (under 2 minutes)")
    r.add_argument("--huge", action="store_true", help="also the 2M-line synthetic corpus (~9 more minutes)")
    r.add_argument("--corpus", action="append", help="only this corpus (repeatable): " + ", ".join(
        FULL["corpora"] + ["synthetic-2m"]))
    r.add_argument("--out", help="write the JSON here (default bench/results/<mode>-<time>.json)")
    r.add_argument("--cold-only", action="store_true", help="only the bare parse, ctags and the cold index of each "
                   "corpus (no warm restarts, edits, mixed runs, query or LSP latency): e.g. `--corpus rust-100k "
                   "--cold-only` for one corpus's cold index and its ratio to a bare parse")
    sub.add_parser("corpora", help="fetch/generate the corpora only")
    c = sub.add_parser("compare", help="issue #21's table, before → after, from the JSON of runs of two versions")
    c.add_argument("--before", action="append", required=True, help="a results JSON of the old version (repeatable)")
    c.add_argument("--after", action="append", required=True, help="a results JSON of the new version (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "compare":
        def load(paths: list[str]) -> list[dict]:
            return [json.loads(Path(p).read_text()) for p in paths]

        print(compare_table(load(args.before), load(args.after)))
        return 0
    if args.command == "corpora":
        for name in FULL["corpora"] + ["synthetic-2m"]:
            c = corpora.get(name, log)
            print(f"{name}: {c.error or f'{c.files:,} files, {c.loc:,} lines'}")
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
