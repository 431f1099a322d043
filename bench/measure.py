"""What the benchmark measures, corpus by corpus: the two baselines (a bare tree-sitter parse loop and
``ctags -R``), the cold index, warm restarts, in-process edit → graph-ready, and a mixed read/write run.

Cold and warm indexing run in a child process (``python -m bench.measure cold|warm ROOT DB``) so that its peak RSS
is its own: the child reports ``resource.getrusage`` for itself (the server's process) and for its children (the
parser workers), and its wall and CPU time.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of samples (nearest-rank), in the samples' unit."""
    if not samples:
        return {}
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1], "n": len(ordered)}


def source_files(root: Path) -> list[str]:
    from isg_lsp.workspace import walk

    return walk(root)


# ---- baselines ------------------------------------------------------------------------------------------------

def bare_parse(root: Path, files: list[str], repeat: int = 3, with_query: bool = False) -> dict:
    """A bare tree-sitter loop over the same files, one process: read and parse each file (and, with_query, run
    the language's capture query over it). Median of ``repeat`` runs."""
    import tree_sitter

    from isg_lsp import languages

    by_lang: dict[str, list[str]] = {}
    for rel in files:
        spec = languages.language_for_path(rel)
        if spec is not None:
            by_lang.setdefault(spec.name, []).append(rel)
    parsers = {lang: languages.new_parser(lang) for lang in by_lang}
    queries = {}
    if with_query:
        for lang in by_lang:
            try:
                queries[lang] = languages.query(lang, lang)
            except Exception:  # noqa: BLE001 - a language without its query file yet
                queries[lang] = None
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu0 = time.perf_counter(), time.process_time()
        for lang, rels in by_lang.items():
            parser = parsers[lang]
            query = queries.get(lang)
            for rel in rels:
                data = (root / rel).read_bytes()
                tree = parser.parse(data)
                if query is not None:
                    tree_sitter.QueryCursor(query).captures(tree.root_node)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu0)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "runs": repeat,
            "files": sum(len(v) for v in by_lang.values())}


def bare_parse_languages(files: list[str]) -> list[str]:
    from isg_lsp import languages

    return sorted({spec.name for rel in files if (spec := languages.language_for_path(rel)) is not None})


def parse_loop_any(root: Path, lang: str, repeat: int = 3) -> dict:
    """The bare parse for a language the engine does not index yet (its grammar wheel is there all the same)."""
    from isg_lsp import languages

    from .corpora import EXTENSIONS

    parser = languages.new_parser(lang)
    paths = [Path(d) / n for d, _s, names in os.walk(root) for n in names if n.endswith(EXTENSIONS[lang])]
    datas = None
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        datas = [p.read_bytes() for p in paths]
        for data in datas:
            parser.parse(data)
        walls.append(time.perf_counter() - started)
    return {"wall_s": statistics.median(walls), "runs": repeat, "files": len(paths)}


CTAGS_LANG = {"rust": "Rust", "java": "Java", "typescript": "TypeScript", "python": "Python"}


def ctags(root: Path, lang: str, repeat: int = 3) -> dict:
    exe = shutil.which("ctags")
    if exe is None:
        return {"error": "ctags not installed (apt-get install universal-ctags)"}
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        run = subprocess.run([exe, "-R", "-f", "-", f"--languages={CTAGS_LANG[lang]}", str(root)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        if run.returncode != 0:
            return {"error": f"ctags exited {run.returncode}"}
    tags = run.stdout.count(b"\n")
    return {"wall_s": statistics.median(walls), "runs": repeat, "tags": tags}


# ---- cold and warm index, in a child process ------------------------------------------------------------------

def _child(argv: list[str]) -> int:
    """``cold|warm ROOT DB [--workers N]``: indexes, prints one JSON object."""
    mode, root, db = argv[0], Path(argv[1]), argv[2]
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else None
    started = time.perf_counter()
    cpu0 = time.process_time()
    from isg_lsp.engine import Engine

    import_s = time.perf_counter() - started
    t0 = time.perf_counter()
    engine = Engine(root, db_path=Path(db) if db != "-" else None, persist=db != "-", workers=workers)
    report = engine.index()
    index_s = time.perf_counter() - t0
    cpu_index = time.process_time() - cpu0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    selfu = resource.getrusage(resource.RUSAGE_SELF)
    try:                                        # the map's size, measured after the clock stopped
        mapped = engine.report(index_s, measure_map=True)
        report.map_tokens, report.source_tokens = mapped.map_tokens, mapped.source_tokens
    except TypeError:
        pass
    cpu_self = cpu_index
    if engine.store is not None:
        engine.close()
    result = {
        "mode": mode, "index_s": index_s, "import_s": import_s,
        "cpu_s": cpu_self + children.ru_utime + children.ru_stime,
        "cpu_main_s": cpu_self, "cpu_workers_s": children.ru_utime + children.ru_stime,
        "peak_rss_mb": _vm_hwm_mb() or selfu.ru_maxrss / 1024.0, "peak_rss_workers_mb": children.ru_maxrss / 1024.0,
        "files": report.files, "parsed": report.parsed, "reused": report.reused, "loc": report.loc,
        "source_bytes": report.source_bytes, "nodes": report.nodes, "external_nodes": report.external_nodes,
        "edges": report.edges, "unresolved": report.unresolved, "db_bytes": report.db_bytes,
        "map_tokens": report.map_tokens, "source_tokens": report.source_tokens, "map_share": report.map_share,
        "workers": engine.workers,
    }
    print(json.dumps(result))
    return 0


def _vm_hwm_mb() -> float | None:
    """This process's own peak RSS (VmHWM is reset by exec; ru_maxrss keeps the forking parent's)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run_child(mode: str, root: Path, db: Path | None, workers: int | None = None) -> dict:
    cmd = [sys.executable, "-m", "bench.measure", mode, str(root), str(db) if db is not None else "-"]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    started = time.perf_counter()
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"{mode} index failed: {run.stderr.strip()[-500:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    return result


def cold_index(root: Path, db: Path, repeat: int = 1, workers: int | None = None) -> dict:
    """Cold index (no database), median wall of ``repeat`` runs; the other fields from the median run."""
    runs = []
    for _ in range(repeat):
        _remove_db(db)
        runs.append(run_child("cold", root, db, workers))
    runs.sort(key=lambda r: r["index_s"])
    best = dict(runs[len(runs) // 2])
    best["runs"] = repeat
    best["index_s_all"] = [r["index_s"] for r in runs]
    return best


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()


def warm_restart(root: Path, db: Path, files: list[str], share: float = 0.0, seed: int = 1) -> dict:
    """A restart on an indexed workspace, nothing changed (share 0) or with ``share`` of its files changed (each
    gets a comment line appended, then is put back with its time restored)."""
    rng = random.Random(seed)
    changed = rng.sample(files, max(1, round(len(files) * share))) if share > 0 else []
    saved = {}
    try:
        for rel in changed:
            path = root / rel
            st = path.stat()
            data = path.read_bytes()
            saved[rel] = (data, st.st_atime_ns, st.st_mtime_ns)
            path.write_bytes(data + b"\n// edited by the benchmark\n")
        result = run_child("warm", root, db)
        result["changed_files"] = len(changed)
        return result
    finally:
        for rel, (data, atime, mtime) in saved.items():
            (root / rel).write_bytes(data)
            os.utime(root / rel, ns=(atime, mtime))


# ---- edit → graph ready, in-process (the engine's part of what the server does on didChange) -----------------

def edit_latency(root: Path, files: list[str], edits: int = 300, seed: int = 3) -> dict:
    """Edits of different files through ``Engine.update_file`` with an incremental reparse (the old tree edited,
    as the server does): in the middle of a function body, in a signature, and adding an implementation
    (`bench/edit_kinds.py`, in the corpus's main language). Each file is first brought in as an editor opens it
    (untimed, like didOpen), so the timed edit is a keystroke in an open file. Milliseconds."""
    from isg_lsp.engine import Engine, parser_for

    from . import edit_kinds

    language = edit_kinds.main_language(files)
    if language is None:
        return {"error": "no file in a language the benchmark edits"}
    engine = Engine(root, persist=False)
    engine.index()
    rng = random.Random(seed)
    candidates = []
    for rel in files:
        if edit_kinds.language_of(rel) is not language:
            continue
        data = (root / rel).read_bytes()
        if len(data) < 400_000 and edit_kinds.make_edit(language, data, "body", 0)[0] is not None:
            candidates.append(rel)
    if not candidates:
        return {"error": f"no {language.name} file with a function"}
    rng.shuffle(candidates)
    results: dict[str, list[float]] = {"body": [], "signature": [], "impl": []}
    sizes = []
    full_parse = []
    incremental = []
    for i in range(edits):
        rel = candidates[i % len(candidates)]
        kind = edit_kinds.KINDS[i % 3]
        parser = parser_for(engine_language(rel, language.name))
        data = (root / rel).read_bytes()
        tree = parser.parse(data)
        new, start, old_end, new_end = edit_kinds.make_edit(language, data, kind, i)
        if new is None:
            continue
        sizes.append(data.count(b"\n"))
        t_full = time.perf_counter()
        parser.parse(new)
        full_parse.append((time.perf_counter() - t_full) * 1000)
        tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
                  start_point=_point(data, start), old_end_point=_point(data, old_end),
                  new_end_point=_point(new, new_end))
        t_inc = time.perf_counter()
        parser.parse(new, tree)
        incremental.append((time.perf_counter() - t_inc) * 1000)
        engine.update_file(rel, data)          # the file as the editor opened it (didOpen; not timed)
        old_tree = parser.parse(data)
        old_tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
                      start_point=_point(data, start), old_end_point=_point(data, old_end),
                      new_end_point=_point(new, new_end))
        started = time.perf_counter()
        engine.update_file(rel, new, old_tree)
        results[kind].append((time.perf_counter() - started) * 1000)
        engine.update_file(rel, data)                       # put it back (not timed)
    out = {kind: percentiles(v) for kind, v in results.items()}
    out["all"] = percentiles([x for v in results.values() for x in v])
    out["language"] = language.name
    out["file_lines"] = percentiles(sizes)
    out["full_parse_ms"] = percentiles(full_parse)
    out["incremental_parse_ms"] = percentiles(incremental)
    return out


def engine_language(rel: str, default: str) -> str:
    """The grammar the engine parses ``rel`` with (TypeScript's .tsx with tsx, and so on)."""
    from isg_lsp.languages import language_for_path

    found = language_for_path(rel)
    return found.name if found is not None else default


def _point(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset)
    col = offset - (data.rfind(b"\n", 0, offset) + 1)
    return (line, col)


# ---- a mixed run: readers and a writer ------------------------------------------------------------------------

def mixed_run(root: Path, files: list[str], readers: int = 2, seconds: float = 5.0, seed: int = 5) -> dict:
    """N reader threads (80% 1-2 hop, 15% 3-5 hop, 5% module cycles) and one writer saving a file every 500 ms
    (graph surgery, then ``flush`` to SQLite), sharing the engine under one lock as the server does. Query
    latencies (µs) include waiting for the lock."""
    from isg_lsp import queries
    from isg_lsp.engine import Engine
    from isg_lsp.model import NodeKind

    db = Path(os.environ.get("ISG_BENCH_WORK") or root.parent) / f".{root.name}-mixed.db"
    _remove_db(db)
    engine = Engine(root, db_path=db)
    engine.index()
    graph = engine.graph
    fns = [n for n in graph.nodes.values() if n.kind is NodeKind.FUNCTION and not n.external]
    types = [n for n in graph.nodes.values() if n.kind in (NodeKind.TRAIT, NodeKind.STRUCT) and not n.external]
    if not fns:
        return {"error": "no functions"}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    lat: dict[str, list[float]] = {"simple": [], "multi": [], "cycles": []}
    writes: list[float] = []
    from . import edit_kinds

    language = edit_kinds.main_language(files)
    if language is None:
        return {"error": "no file in a language the benchmark edits"}
    writable = [f for f in files if edit_kinds.language_of(f) is language]

    def reader(k: int) -> None:
        rng = random.Random(seed + k)
        while time.perf_counter() < stop:
            roll = rng.random()
            started = time.perf_counter()
            with lock:
                if roll < 0.80:
                    if rng.random() < 0.5:
                        queries.callers(graph, [rng.choice(fns)])
                    else:
                        queries.who_implements(graph, [rng.choice(types or fns)])
                    cls = "simple"
                elif roll < 0.95:
                    queries.blast_radius(graph, [rng.choice(fns)], depth=rng.randint(3, 5))
                    cls = "multi"
                else:
                    queries.cycles(graph, "module")
                    cls = "cycles"
            lat[cls].append((time.perf_counter() - started) * 1e6)
            time.sleep(0)

    def writer() -> None:
        rng = random.Random(seed)
        i = 0
        while time.perf_counter() < stop:
            rel = rng.choice(writable)
            data = (root / rel).read_bytes() + edit_kinds.saved_item(language, i)
            started = time.perf_counter()
            with lock:
                engine.update_file(rel, data)
            engine_flush_started = time.perf_counter()
            with lock:
                engine.flush()
            writes.append((engine_flush_started - started) * 1000)
            i += 1
            time.sleep(0.5)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(readers)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.close()
    _remove_db(db)
    everything = lat["simple"] + lat["multi"] + lat["cycles"]
    return {"readers": readers, "seconds": seconds, "writes": len(writes), "write_ms": percentiles(writes),
            "all_us": percentiles(everything), **{f"{k}_us": percentiles(v) for k, v in lat.items()}}


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
