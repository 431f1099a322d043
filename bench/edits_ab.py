"""Body edits, two versions of the package side by side: ``python -m bench.edits_ab --base PATH [--corpus NAME ...]``.

``bench.edits`` run twice (once per version) compares runs minutes apart, and this machine's speed drifts by up to
~1.7× between runs: a 20 % bar cannot be read from that. Here two worker processes, one importing the package in
this checkout and one importing the package at ``--base`` (a folder holding an ``isg_lsp`` of another commit, e.g. a
``git worktree``), index the same corpus, then take the same edits in turn, edit by edit (which of the two goes first
alternates), so that both measure each edit within milliseconds of each other. Reported: each version's p50, p95 and
p99 (ms), the median of the per-edit ratios (this ÷ base) with its interquartile range, the ratio of the p50s, and
the p50s of extraction (parse included) and of the rest (graph surgery).

The edits are ``bench.edits``'s: a line typed at the start of a function body, the old tree edited, as the server does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import corpora
from .measure import percentiles

HERE = Path(__file__).resolve().parent
DEFAULT = ("ts-130k", "python-100k", "rust-100k", "java-100k")

WORKER = r"""
import json, sys, time
from pathlib import Path
from bench import corpora
from bench.edits import body_edits, edited_tree
from isg_lsp.engine import Engine, parser_for
import isg_lsp

name, count = sys.argv[1], int(sys.argv[2])
corpus = corpora.get(name, lambda m: print(m, file=sys.stderr))
engine = Engine(corpus.path, persist=False)
engine.index()
jobs = list(body_edits(corpus.path, corpus.lang, count))
parser = parser_for(corpus.lang)
print(json.dumps({"jobs": len(jobs), "package": str(Path(isg_lsp.__file__).resolve().parent)}), flush=True)
spent = [0.0]
extract = engine.extract


def timed_extract(*args, **kwargs):
    t0 = time.perf_counter()
    try:
        return extract(*args, **kwargs)
    finally:
        spent[0] += time.perf_counter() - t0


engine.extract = timed_extract
for line in sys.stdin:
    rel, data, new, at, end = jobs[int(line)]
    engine.update_file(rel, data)
    old = edited_tree(parser, data, new, at, end)
    spent[0] = 0.0
    t0 = time.perf_counter()
    engine.update_file(rel, new, old)
    took = (time.perf_counter() - t0) * 1000
    extracting = spent[0] * 1000
    engine.update_file(rel, data)
    print(json.dumps({"ms": took, "extract_ms": extracting}), flush=True)
"""


def _worker(package_root: Path, corpus: str, edits: int, folder: Path) -> subprocess.Popen:
    """A worker whose only importable `bench` is this one and whose only `isg_lsp` is ``package_root``'s: a folder of
    two links, its working directory (first on ``sys.path`` for ``python -c``)."""
    folder.mkdir()
    (folder / "bench").symlink_to(HERE)
    (folder / "isg_lsp").symlink_to((package_root / "isg_lsp").resolve())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen([sys.executable, "-c", WORKER, corpus, str(edits)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=str(folder))


def compare(base: Path, corpus: str, edits: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="isg-edits-ab-") as scratch:
        return _compare(base, corpus, edits, Path(scratch))


def _compare(base: Path, corpus: str, edits: int, scratch: Path) -> dict:
    fetched = corpora.get(corpus, lambda message: print(message, file=sys.stderr))  # once, before both workers
    if fetched.error:
        raise SystemExit(f"{corpus}: {fetched.error}")
    this = _worker(HERE.parent, corpus, edits, scratch / "this")
    other = _worker(base, corpus, edits, scratch / "base")
    try:
        hello = []
        for name, proc in (("this", this), ("base", other)):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise SystemExit(f"{corpus}: the {name} worker exited before indexing (its error is above)")
            hello.append(json.loads(line))
        counts = [h["jobs"] for h in hello]
        packages = [h["package"] for h in hello]
        if packages[0] == packages[1]:
            raise SystemExit(f"both workers imported {packages[0]}")
        if counts[0] != counts[1]:
            raise SystemExit(f"{corpus}: the two versions chose different edits ({counts})")
        mine, theirs, mine_x, theirs_x = [], [], [], []
        for i in range(counts[0]):
            order = (this, other) if i % 2 == 0 else (other, this)
            got = {}
            for proc in order:
                proc.stdin.write(f"{i}\n")  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
                got[proc.pid] = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            mine.append(got[this.pid]["ms"])
            theirs.append(got[other.pid]["ms"])
            mine_x.append(got[this.pid]["extract_ms"])
            theirs_x.append(got[other.pid]["extract_ms"])
    finally:
        for proc in (this, other):
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait(timeout=60)
    ratios = sorted(a / b for a, b in zip(mine, theirs) if b > 0)
    quart = statistics.quantiles(ratios, n=4) if len(ratios) >= 4 else [0.0, 0.0, 0.0]
    return {"packages": packages, "edits": len(mine), "this_ms": percentiles(mine), "base_ms": percentiles(theirs),
            "ratio_median": round(statistics.median(ratios), 3), "ratio_iqr": [round(quart[0], 3), round(quart[2], 3)],
            "p50_ratio": round(statistics.median(mine) / statistics.median(theirs), 3),
            "extract_p50_ms": [round(statistics.median(mine_x), 3), round(statistics.median(theirs_x), 3)],
            "rest_p50_ms": [round(statistics.median(a - x for a, x in zip(mine, mine_x)), 3),
                            round(statistics.median(a - x for a, x in zip(theirs, theirs_x)), 3)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.edits_ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="a folder holding the other version's isg_lsp")
    parser.add_argument("--corpus", action="append", help="a corpus of bench/corpora.py (repeatable; default: "
                        + ", ".join(DEFAULT) + ")")
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    if not (args.base / "isg_lsp" / "__init__.py").is_file():
        parser.error(f"{args.base} holds no isg_lsp package")
    results = {}
    print(f"{'corpus':12} {'edits':>5}  {'this p50/p95/p99 ms':>22}  {'base p50/p95/p99 ms':>22}  per-edit ratio "
          "median [IQR]  p50 ratio")
    for name in args.corpus or DEFAULT:
        r = results[name] = compare(args.base, name, args.edits)
        a, b = r["this_ms"], r["base_ms"]
        print(f"{name:12} {r['edits']:5}  {a['p50']:6.2f} {a['p95']:7.2f} {a['p99']:7.2f}  {b['p50']:6.2f} "
              f"{b['p95']:7.2f} {b['p99']:7.2f}  {r['ratio_median']:.3f} [{r['ratio_iqr'][0]:.3f}, "
              f"{r['ratio_iqr'][1]:.3f}]  {r['p50_ratio']:.3f}  (extraction p50 {r['extract_p50_ms'][0]:.3f} vs "
              f"{r['extract_p50_ms'][1]:.3f} ms, the rest {r['rest_p50_ms'][0]:.3f} vs {r['rest_p50_ms'][1]:.3f})",
              flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
