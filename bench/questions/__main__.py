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
from .context import BUDGETS, Workspace, choose_targets, measure
from .generate import CLASSES, make_questions
from .maps import BOUND_CLASSES, MAP_CLASSES, MapIndex, answer_bounds, stated
from .truth import TruthGraph

MAPS = ("before", "modules", "api", "default", "full", "full@default", "api@full/10", "full@full/10")

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


def map_texts(graph, source_tokens: int) -> dict[str, str]:
    """The maps whose answers are counted: the map before levels (`export.map_text`, what `isg-lsp map` printed
    until issue #23), each level whole, the default map (the api level within 3% of the source), the full map cut
    to the default's size, and the api and full levels each cut to a tenth of the full map (issue #23: "at 10x fewer
    tokens": which ranking states more at the same, tenfold smaller, size)."""
    from isg_lsp.export import map_text
    from isg_lsp.repomap import default_map, render_map

    default = default_map(graph, source_tokens)
    full = render_map(graph, "full")
    return {"before": map_text(graph), "modules": render_map(graph, "modules").text,
            "api": render_map(graph, "api").text, "default": default.text, "full": full.text,
            "full@default": render_map(graph, "full", budget=default.tokens).text,
            "api@full/10": render_map(graph, "api", budget=max(1, full.tokens // 10)).text,
            "full@full/10": render_map(graph, "full", budget=max(1, full.tokens // 10)).text}


def run_language(lang: str, quick: bool, per_class: int, seed: int, context_targets: int = 8,
                 map_per_class: int = 0) -> dict:
    started = time.perf_counter()
    try:
        corpora = load_corpora(lang, quick)
    except Unavailable as error:
        return {"status": f"n/a ({error})"}
    if not corpora:
        return {"status": "n/a (no corpus could be built)"}
    # every corpus indexed once, as `isg-lsp index` does; which subjects are public API is the product's own view
    indexed = {}
    for corpus in corpora:
        log(f"{lang}: indexing {corpus['label']}")
        engine = index(corpus["workspace"])
        try:
            source_tokens = engine.report(measure_map=False).source_tokens
        finally:
            engine.close()
        judge = Judge(corpus["graph_truth"], engine.graph, corpus.get("scope"), corpus.get("gated"))
        indexed[corpus["label"]] = (engine.graph, judge, source_tokens)
    public = {label: api_keys(graph, judge) for label, (graph, judge, _s) in indexed.items()}
    questions = make_questions(lang, [(c["label"], c["graph_truth"]) for c in corpora], per_class, seed,
                               public=public)
    # the maps are read for many more questions (a map costs nothing to ask): every subject of every class by
    # default (a path: one destination per source), or a seeded sample of ``map_per_class``
    map_questions = make_questions(lang, [(c["label"], c["graph_truth"]) for c in corpora],
                                   map_per_class or 10 ** 9, seed, public=public)
    by_corpus = {c["label"]: c for c in corpora}
    scores = []
    maps: dict[str, dict] = {name: {"tokens": 0, "classes": {}, "api_classes": {}} for name in MAPS}
    source_tokens_total = 0
    bounds: dict[str, dict[str, int]] = {}
    contexts: list[dict] = []
    per_corpus_targets = max(2, -(-context_targets // max(1, len({q.corpus for q in questions}))))
    for label in sorted({q.corpus for q in questions}):
        corpus = by_corpus[label]
        truth = corpus["graph_truth"]
        mine = [q for q in questions if q.corpus == label]
        graph, judge, source_tokens = indexed[label]
        for question in mine:
            for exclude in (False, True):
                scores.append(ask(graph, question, judge, exclude))
            if question.cls == "impact":                 # impact stops at hubs by default; walked through here
                scores.append(ask(graph, question, judge, False, through_hubs=True))
        source_tokens_total += source_tokens
        for cls, bound in answer_bounds(truth, public.get(label, set())).items():
            for section, tokens in bound.items():
                bounds.setdefault(cls, {"all": 0, "api": 0})[section] += tokens
        for name, text in map_texts(graph, source_tokens).items():
            entry = maps[name]
            entry["tokens"] += (len(text) + 3) // 4
            index_ = MapIndex(text, lang)
            for question in (q for q in map_questions if q.corpus == label and q.cls in MAP_CLASSES):
                hits, total = stated(index_, question, truth)
                for section in ("classes", "api_classes") if question.api else ("classes",):
                    cls = entry[section].setdefault(question.cls, {"stated": 0, "items": 0, "questions": 0,
                                                                   "whole": 0})
                    cls["stated"] += hits
                    cls["items"] += total
                    cls["questions"] += 1
                    cls["whole"] += hits == total
        if context_targets:
            targets = choose_targets(truth, mine, per_corpus_targets)
            if targets:
                log(f"{lang}: context of {len(targets)} targets in {label}")
                workspace = Workspace(Path(corpus["workspace"]), lang)
                for entry in measure(graph, truth, judge, workspace, targets):
                    entry["corpus"] = label
                    contexts.append(entry)
    for entry in maps.values():
        entry["share"] = entry["tokens"] / source_tokens_total if source_tokens_total else None
    classes = {}
    for cls in CLASSES:
        default = [s for s in scores if s.cls == cls and s.variant == "default"]
        if not default:
            continue
        strict = [s for s in scores if s.cls == cls and s.variant == "exclude heuristic"]
        classes[cls] = {"default": summarize(default), "exclude_heuristic": summarize(strict)}
        through = [s for s in scores if s.cls == cls and s.variant == "through hubs"]
        if through:
            classes[cls]["through_hubs"] = summarize(through)
    return {"status": "ok", "corpora": [c["label"] for c in corpora], "questions": [q.as_dict() for q in questions],
            "scores": [s.as_dict() for s in scores], "classes": classes, "maps": maps, "bounds": bounds,
            "source_tokens": source_tokens_total, "contexts": contexts, "context_summary": context_summary(contexts),
            "seconds": round(time.perf_counter() - started, 1)}


def api_keys(graph, judge) -> set[str]:
    """The truth keys of the workspace's public API as the map's `api` level sees it (no tests)."""
    from isg_lsp.model import EdgeKind, NodeKind
    from isg_lsp.repomap import is_public, is_test

    keys = set()
    for node in graph.nodes.values():
        if node.external or node.kind in (NodeKind.MODULE, NodeKind.GENERIC) or is_test(node):
            continue
        owners = [graph.nodes[e.src] for e in graph.predecessors(node.id, (EdgeKind.CONTAINS, EdgeKind.DEFINES))
                  if e.src in graph.nodes and graph.nodes[e.src].kind is not NodeKind.MODULE]
        if is_public(node, owners[0] if owners else None):
            keys.add(judge.key(node))
    return keys


def context_summary(contexts: list[dict]) -> dict:
    """Mean fact recall (carried / facts, per target) and mean tokens, per budget and method."""
    out: dict = {}
    for budget in BUDGETS:
        for method in ("isg", "raw", "ctags"):
            rows = [c["budgets"][str(budget)][method] | {"facts": c["facts"]} for c in contexts]
            if rows:
                out.setdefault(str(budget), {})[method] = {
                    "recall": sum(r["carried"] / r["facts"] for r in rows) / len(rows),
                    "tokens": sum(r["tokens"] for r in rows) / len(rows), "n": len(rows)}
    return out


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
    for lang, result in report["languages"].items():
        for cls, entry in (result.get("classes") or {}).items():
            d = entry["default"]
            if d.get("recall_syntactic") not in (None, d["recall"]):
                lines.append(f"{lang} {cls}: R {fmt(d['recall_syntactic'])} without the items only a macro's "
                             f"expansion writes (out of a parser's reach, as bench/accuracy's 'R syn')")
    for lang, result in report["languages"].items():
        through = (result.get("classes") or {}).get("impact", {}).get("through_hubs")
        if through:
            lines.append(f"{lang} impact 'through hubs' (not stopping at external nodes and hubs): "
                         f"P {fmt(through['precision'])} R {fmt(through['recall'])}, {through['tokens_mean']:.0f} tokens")
    lines.append("")
    for section, title in (("classes", "all questions"), ("api_classes", "API questions (subject public)")):
        lines.append(f"## answers stated by the maps, {title}: answer items stated / items (questions stated "
                     f"whole); tokens; share of the source; mean: of the classes' shares")
        lines.append(f"{'lang':<11}{'map':<13}{'tokens':>9}{'share':>8}" + "".join(f"{c:>20}" for c in MAP_CLASSES)
                     + f"{'mean':>8}")
        for lang, result in report["languages"].items():
            if result.get("status") != "ok":
                continue
            for name, entry in result["maps"].items():
                cells = []
                for cls in MAP_CLASSES:
                    c = entry[section].get(cls)
                    cells.append(f"{c['stated'] / c['items']:.3f} ({c['whole']}/{c['questions']})"
                                 if c and c["items"] else "-")
                class_shares = [c["stated"] / c["items"] for c in entry[section].values() if c["items"]]
                overall = f"{sum(class_shares) / len(class_shares):.3f}" if class_shares else "-"
                share = f"{100 * entry['share']:.2f}%" if entry.get("share") is not None else "-"
                lines.append(f"{lang:<11}{name:<13}{entry['tokens']:>9,}{share:>8}"
                             + "".join(f"{c:>20}" for c in cells) + f"{overall:>8}")
        lines.append("")
    lines.append("## the least tokens a map needs to state every answer of a class (names only, "
                 "bench/questions/maps.py answer_bounds), against a tenth of the full map: all subjects / public ones")
    lines.append(f"{'lang':<11}{'full / 10':>10}" + "".join(f"{c:>20}" for c in BOUND_CLASSES))
    for lang, result in report["languages"].items():
        if result.get("status") != "ok" or not result.get("bounds"):
            continue
        tenth = result["maps"]["full"]["tokens"] // 10
        cells = [f"{result['bounds'][c]['all']:,} / {result['bounds'][c]['api']:,}" if c in result["bounds"] else "-"
                 for c in BOUND_CLASSES]
        lines.append(f"{lang:<11}{tenth:>10,}" + "".join(f"{c:>20}" for c in cells))
    lines.append("")
    lines.append("## context: mean recall of the facts about a target (mean tokens used), isg-lsp context vs raw "
                 "files (grep, read) vs a ctags outline")
    lines.append(f"{'lang':<11}{'n':>3}" + "".join(f"{f'{b} tokens: isg / raw / ctags':>42}" for b in BUDGETS))
    for lang, result in report["languages"].items():
        summary = result.get("context_summary") or {}
        if not summary:
            continue
        n = next(iter(summary.values()))["isg"]["n"]
        cells = []
        for budget in BUDGETS:
            b = summary[str(budget)]
            cells.append(" / ".join(f"{b[m]['recall']:.2f} ({b[m]['tokens']:.0f})" for m in ("isg", "raw", "ctags")))
        lines.append(f"{lang:<11}{n:>3}" + "".join(f"{c:>42}" for c in cells))
    return "\n".join(lines)


SHARE_CORPORA = ("rust-100k", "java-100k", "ts-130k", "python-100k")


def shares(names=SHARE_CORPORA) -> list[dict]:
    """The map's size per level as a share of the source's tokens on the benchmark's ~100K-line corpora
    (``bench/corpora.py``), with the map before levels (`export.map_text`) for comparison."""
    from bench import corpora as bench_corpora
    from isg_lsp.export import map_text

    rows = []
    for name in names:
        corpus = bench_corpora.get(name, log)
        if corpus.error:
            rows.append({"corpus": name, "error": corpus.error})
            continue
        log(f"shares: indexing {name}")
        engine = index(corpus.path)
        try:
            started = time.perf_counter()
            report = engine.report(measure_map=True)
            seconds = time.perf_counter() - started
            before = (len(map_text(engine.graph)) + 3) // 4
        finally:
            engine.close()
        source = report.source_tokens
        rows.append({"corpus": name, "loc": corpus.loc, "source_tokens": source, "before": before,
                     "before_share": before / source, "levels": report.map_tokens_by_level,
                     "shares": report.map_shares, "default": report.map_tokens, "default_share": report.map_share,
                     "seconds_all_levels": round(seconds, 2)})
    return rows


def shares_table(rows: list[dict]) -> str:
    lines = ["## the map's share of the source's tokens (tokens / share), per corpus and level",
             f"{'corpus':<13}{'LOC':>9}{'source':>10}{'before':>17}{'modules':>15}{'api (whole)':>17}"
             f"{'default':>17}{'full':>17}"]
    for row in rows:
        if row.get("error"):
            lines.append(f"{row['corpus']:<13}{row['error']}")
            continue
        cell = lambda t, s: f"{t:,} / {100 * s:.2f}%"   # noqa: E731
        lines.append(f"{row['corpus']:<13}{row['loc']:>9,}{row['source_tokens']:>10,}"
                     f"{cell(row['before'], row['before_share']):>17}"
                     f"{cell(row['levels']['modules'], row['shares']['modules']):>15}"
                     f"{cell(row['levels']['api'], row['shares']['api']):>17}"
                     f"{cell(row['default'], row['default_share']):>17}"
                     f"{cell(row['levels']['full'], row['shares']['full']):>17}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the reduced form: one small corpus, few questions")
    parser.add_argument("--lang", default=None, help="comma-separated languages (default: all four; quick: java)")
    parser.add_argument("--per-class", type=int, default=None, help="questions per class and language "
                        "(default 5; quick 3)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--context-targets", type=int, default=None, help="targets per language for the context "
                        "measure (default 12; quick 3; 0: none)")
    parser.add_argument("--map-questions", type=int, default=0, help="questions per class and language the maps "
                        "are read for (default 0: every subject the truth can ask about)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--shares", action="store_true", help="only the map's share per level on the ~100K-line "
                        "corpora of bench/corpora.py (rust-100k, java-100k, ts-130k, python-100k)")
    args = parser.parse_args(argv)
    langs = [x.strip() for x in (args.lang or ",".join(QUICK_LANGS if args.quick else LANGS)).split(",") if x.strip()]
    unknown = [x for x in langs if x not in LANGS]
    if unknown:
        parser.error(f"unknown language(s) {', '.join(unknown)} (known: {', '.join(LANGS)})")
    if args.shares:
        rows = shares()
        out = args.out or OUT / "shares.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=1), "utf-8")
        print(shares_table(rows))
        print(f"(JSON report: {out})")
        return 0
    per_class = args.per_class or (3 if args.quick else 5)
    context_targets = args.context_targets if args.context_targets is not None else (3 if args.quick else 12)
    report: dict = {"quick": args.quick, "seed": args.seed, "per_class": per_class, "languages": {}}
    for lang in langs:
        log(f"{lang}: starting")
        try:
            report["languages"][lang] = run_language(lang, args.quick, per_class, args.seed, context_targets,
                                                     args.map_questions)
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
