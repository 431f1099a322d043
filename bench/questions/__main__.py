"""The question benchmark: ``python -m bench.questions [--quick] [--lang rust,java,typescript,python] [--per-class N]
[--seed S] [--out FILE]``.

Architectural questions over the real codebases of ``bench/accuracy`` (Rust crates from Debian, java.util.concurrent,
immer and mobx, click and attrs), each with its answer derived from the compilers' truth (``generate.py``: a seeded
selection, never a hand-written answer), asked through the product's own entry points (the query language, the
context builder, the map) on the graph `isg-lsp index` builds. Prints per question class: precision, recall, exact
answers, tokens spent; context fact recall at 500/2,000/8,000 tokens against raw files and a ctags outline; and how
many answers the maps (`modules`, `api`, `full`) state. Writes everything as JSON (default
``bench/.cache/questions/report[-quick].json``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from bench.accuracy.common import CACHE as ACCURACY_CACHE
from bench.accuracy.common import Unavailable

from .answer import Judge, ask, summarize
from .generate import CLASSES, make_questions
from .truth import TruthGraph

LANGS = ("rust", "java", "typescript", "python")
QUICK_LANGS = ("java",)
OUT = ACCURACY_CACHE.parent / "questions"


def log(message: str) -> None:
    print(f"questions: {message}", file=sys.stderr, flush=True)


def load_corpora(lang: str, quick: bool) -> list[dict]:
    """The accuracy benchmark's corpora of a language with their truths (built on first use, then cached)."""
    module = importlib.import_module(f"bench.accuracy.{lang}")
    corpora = module.run_lang(quick, ACCURACY_CACHE)
    for corpus in corpora:
        roots = tuple(corpus.get("local_roots") or ())
        if not roots:
            roots = tuple(sorted({json.loads(line)["fqp"].split("::")[0] for line in open(corpus["truth"])
                                  if '"kind":"M"' in line and '"external":false' in line}))
        corpus["roots"] = roots
        corpus["graph_truth"] = TruthGraph(Path(corpus["truth"]), roots)
    return corpora


def index(workspace: Path):
    from isg_lsp.engine import Engine

    engine = Engine(Path(workspace), persist=False)
    engine.index()
    return engine


def run_language(lang: str, quick: bool, per_class: int, seed: int) -> dict:
    started = time.perf_counter()
    try:
        corpora = load_corpora(lang, quick)
    except Unavailable as error:
        return {"status": f"n/a ({error})"}
    if not corpora:
        return {"status": "n/a (no corpus could be built)"}
    questions = make_questions(lang, [(c["label"], c["graph_truth"]) for c in corpora], per_class, seed)
    by_corpus = {c["label"]: c for c in corpora}
    scores = []
    for label in sorted({q.corpus for q in questions}):
        corpus = by_corpus[label]
        log(f"{lang}: indexing {label}")
        engine = index(corpus["workspace"])
        try:
            judge = Judge(corpus["graph_truth"], engine.graph, corpus.get("scope"), corpus.get("gated"))
            for question in (q for q in questions if q.corpus == label):
                for exclude in (False, True):
                    scores.append(ask(engine.graph, question, judge, exclude))
        finally:
            engine.close()
    classes = {}
    for cls in CLASSES:
        default = [s for s in scores if s.cls == cls and s.variant == "default"]
        if not default:
            continue
        strict = [s for s in scores if s.cls == cls and s.variant != "default"]
        classes[cls] = {"default": summarize(default), "exclude_heuristic": summarize(strict)}
    return {"status": "ok", "corpora": [c["label"] for c in corpora], "questions": [q.as_dict() for q in questions],
            "scores": [s.as_dict() for s in scores], "classes": classes,
            "seconds": round(time.perf_counter() - started, 1)}


def fmt(value) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def table(report: dict) -> str:
    lines = ["## answers (query language) per class: pooled precision / recall; exact = answers equal to the truth",
             f"{'lang':<11}{'class':<14}{'n':>4}{'P':>8}{'R':>8}{'exact':>8}{'err':>5}{'empty':>6}{'tokens':>8}"
             f"{'P -h':>8}{'R -h':>8}"]
    total = 0
    for lang, result in report["languages"].items():
        if result.get("status") != "ok":
            lines.append(f"{lang:<11}{result.get('status')}")
            continue
        for cls, entry in result["classes"].items():
            d, h = entry["default"], entry["exclude_heuristic"]
            total += d["n"]
            lines.append(f"{lang:<11}{cls:<14}{d['n']:>4}{fmt(d['precision']):>8}{fmt(d['recall']):>8}"
                         f"{fmt(d['exact']):>8}{d['errors']:>5}{d['empty']:>6}{d['tokens_mean']:>8.0f}"
                         f"{fmt(h['precision']):>8}{fmt(h['recall']):>8}")
    lines.append(f"({total} questions; paths: P = steps that are truth edges, R = shortest valid paths; "
                 f"-h = with 'exclude heuristic')")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the reduced form: one small corpus, few questions")
    parser.add_argument("--lang", default=None, help="comma-separated languages (default: all four; quick: java)")
    parser.add_argument("--per-class", type=int, default=None, help="questions per class and language "
                        "(default 5; quick 3)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    langs = [x.strip() for x in (args.lang or ",".join(QUICK_LANGS if args.quick else LANGS)).split(",") if x.strip()]
    unknown = [x for x in langs if x not in LANGS]
    if unknown:
        parser.error(f"unknown language(s) {', '.join(unknown)} (known: {', '.join(LANGS)})")
    per_class = args.per_class or (3 if args.quick else 5)
    report: dict = {"quick": args.quick, "seed": args.seed, "per_class": per_class, "languages": {}}
    for lang in langs:
        log(f"{lang}: starting")
        try:
            report["languages"][lang] = run_language(lang, args.quick, per_class, args.seed)
        except Exception as error:  # noqa: BLE001 - one language failing must not cost the others
            traceback.print_exc(file=sys.stderr)
            report["languages"][lang] = {"status": f"error ({type(error).__name__}: {str(error)[:300]})"}
    out = args.out or OUT / ("report-quick.json" if args.quick else "report.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=sorted), "utf-8")
    print(table(report))
    print(f"(JSON report: {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
