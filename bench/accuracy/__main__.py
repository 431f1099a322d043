"""The accuracy benchmark: ``python -m bench.accuracy [--quick] [--lang rust,java,typescript,python,go] [--out FILE]``.

For each language, ground truth from the compiler's own view of real code (``rust.py``, ``java.py``,
``typescript.py``, ``python.py``, ``go.py``), converted into ISG-SPEC's JSONL, is compared (``compare.py``) with
``isg-lsp export`` of the same code: per node kind and per edge kind, truth count, our count, precision, recall, F1,
with samples of misses and false positives. Prints a table; writes everything as JSON (default
``bench/.cache/accuracy/report.json``). Installs what it needs (Debian packages through apt-get, npm and PyPI
packages pinned, into ``bench/.cache/``); a language whose compiler or extractor is missing is reported as n/a.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from .common import CACHE, Unavailable, export_ours, log
from .compare import compare, fmt, merge

LANGS = ("rust", "java", "typescript", "python", "go")
EXTRACTOR = {"rust": "rust", "java": "java", "typescript": "typescript", "python": "python", "go": "go"}
NODE_ORDER = ("T", "S", "E", "F", "A", "M", "G")
EDGE_ORDER = ("CONTAINS", "DEFINES", "IMPL", "EXTENDS", "BOUND_BY", "ACCEPTS", "RETURNS", "USES", "CALLS")


def extractor_available(lang: str) -> bool:
    try:
        from isg_lsp import languages

        return any(spec.name == EXTRACTOR[lang] for spec in languages.available_languages())
    except Exception:  # noqa: BLE001
        return False


def run_language(lang: str, quick: bool, work: Path) -> dict:
    if not extractor_available(lang):
        return {"status": "n/a (extractor not available)"}
    module = importlib.import_module(f"bench.accuracy.{lang}")
    started = time.perf_counter()
    try:
        corpora = module.run_lang(quick, work)
    except Unavailable as error:
        return {"status": f"n/a ({error})"}
    if not corpora:
        return {"status": "n/a (no corpus could be built)"}
    if lang == "rust":                         # CALLS from rustc's MIR (rustdoc has no bodies): issue #16
        from . import mir_calls

        corpora = corpora + mir_calls.corpora(corpora, work)
    results, per_corpus = [], {}
    for corpus in corpora:
        ours_path = work / lang / f"{corpus['label']}.ours.jsonl"
        log(f"{lang}: isg-lsp export of {corpus['label']}")
        export_ours(Path(corpus["workspace"]), ours_path)
        roots = tuple(corpus.get("local_roots") or ())
        if not roots:
            roots = tuple(sorted({json.loads(line)["fqp"].split("::")[0] for line in open(corpus["truth"])
                                  if '"kind":"M"' in line and '"external":false' in line}))
        result = compare(Path(corpus["truth"]), ours_path, scope=corpus.get("scope"), local_roots=roots,
                         gated=corpus.get("gated"), edge_kinds=corpus.get("edge_kinds"),
                         node_key=corpus.get("node_key"), one_per_fqp=corpus.get("one_per_fqp", False),
                         node_kinds=corpus.get("node_kinds"))
        results.append(result)
        per_corpus[corpus["label"]] = {"meta": corpus.get("meta", {}), "scope": corpus.get("scope"),
                                       "truth": str(corpus["truth"]), "ours": str(ours_path),
                                       "totals": totals(result)}
    report = merge(results)
    report["corpora"] = per_corpus
    report["totals"] = totals(report)
    report["status"] = "ok"
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def totals(result: dict) -> dict:
    out = {}
    for section in ("nodes", "edges"):
        entries = [v for k, v in result[section].items() if not (section == "nodes" and k == "M")]
        truth = sum(e["truth"] for e in entries)
        ours = sum(e["ours"] for e in entries)
        tp = sum(e["tp"] for e in entries)
        p = tp / ours if ours else None
        r = tp / truth if truth else None
        out[section] = {"truth": truth, "ours": ours, "tp": tp, "precision": round(p, 4) if p is not None else None,
                        "recall": round(r, 4) if r is not None else None}
    return out


def table(lang: str, report: dict) -> str:
    lines = [f"== {lang}"]
    if report.get("status") != "ok":
        lines.append(f"   {report.get('status')}")
        return "\n".join(lines)
    corpora = ", ".join(f"{label}" for label in report["corpora"])
    meta = next(iter(report["corpora"].values()))["meta"]
    extra = ", ".join(f"{k} {v}" for k, v in meta.items())
    lines.append(f"   corpus: {corpora}" + (f" ({extra})" if extra else ""))
    header = (f"   {'kind':<10}{'truth':>8}{'ours':>8}{'P':>8}{'R':>8}{'F1':>8}   {'strict P':>8}{'strict R':>9}"
              f"{'cfg-off':>9}{'P all':>7}{'macro':>7}{'R syn':>7}{'F1 syn':>8}")
    lines.append(header)
    for section, order in (("nodes", NODE_ORDER), ("edges", EDGE_ORDER)):
        entries = report[section]
        for kind in [k for k in order if k in entries] + sorted(set(entries) - set(order)):
            e = entries[kind]
            s = report[f"{section}_strict"].get(kind, {})
            row = (f"   {kind:<10}{e['truth']:>8}{e['ours']:>8}{fmt(e['precision']):>8}{fmt(e['recall']):>8}"
                   f"{fmt(e['f1']):>8}   {fmt(s.get('precision')):>8}{fmt(s.get('recall')):>9}"
                   f"{e.get('set_aside', 0):>9}{fmt(e.get('precision_all', e['precision'])):>7}"
                   f"{e.get('missed_macro', 0):>7}{fmt(e.get('recall_syntactic', e['recall'])):>7}"
                   f"{fmt(_f1(e['precision'], e.get('recall_syntactic', e['recall']))):>8}")
            if section == "edges" and e.get("ours_exact", e["ours"]) != e["ours"]:
                row += f"   non-heuristic: {e['ours_exact']} edges, P {fmt(e['precision_exact'])}"
                if kind == "CALLS":
                    row += (f" R {fmt(e['recall_exact'])}; heuristic: {e['ours_heuristic']} more, "
                            f"P {fmt(e['precision_heuristic'])}")
            if e.get("duplicates"):
                row += f"   duplicates: {e['duplicates']}"
            lines.append(row)
    t = report["totals"]
    lines.append(f"   nodes (no M): P {fmt(t['nodes']['precision'])} R {fmt(t['nodes']['recall'])}; "
                 f"edges: P {fmt(t['edges']['precision'])} R {fmt(t['edges']['recall'])}")
    return "\n".join(lines)


def _f1(p, r):
    """F1 of a precision and a recall (`F1 syn`: with the recall of what is within a parser's reach, the items a
    macro makes set apart)."""
    return 2 * p * r / (p + r) if p is not None and r is not None and p + r else None


def samples(lang: str, report: dict) -> str:
    if report.get("status") != "ok":
        return ""
    lines = [f"-- {lang}: samples"]
    for section in ("nodes", "edges"):
        for kind, e in report[section].items():
            for label, key in (("missed", "missed"), ("false +", "false_positives"), ("not exact", "missed_exact"),
                               ("guessed", "false_heuristic")):
                for item in e.get(key, [])[:4]:
                    lines.append(f"   {kind:<9}{label:<8} {item}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the reduced form (one small corpus per language)")
    parser.add_argument("--lang", default=",".join(LANGS), help="comma-separated languages (default: all five)")
    parser.add_argument("--out", type=Path, default=None, help="the JSON report (default "
                        "bench/.cache/accuracy/report[-quick].json)")
    parser.add_argument("--samples", action="store_true", help="print samples of misses and false positives")
    args = parser.parse_args(argv)
    langs = [lang.strip() for lang in args.lang.split(",") if lang.strip()]
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown:
        parser.error(f"unknown language(s) {', '.join(unknown)} (known: {', '.join(LANGS)})")
    work = CACHE
    work.mkdir(parents=True, exist_ok=True)
    report: dict = {"quick": args.quick, "languages": {}}
    for lang in langs:
        log(f"{lang}: starting")
        try:
            result = run_language(lang, args.quick, work)
        except Exception as error:  # noqa: BLE001 - one language failing must not cost the others
            traceback.print_exc(file=sys.stderr)
            result = {"status": f"error ({type(error).__name__}: {str(error)[:300]})"}
        report["languages"][lang] = result
    out = args.out or work / ("report-quick.json" if args.quick else "report.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    for lang in langs:
        print(table(lang, report["languages"][lang]))
        if args.samples:
            text = samples(lang, report["languages"][lang])
            if text:
                print(text)
    print(f"(JSON report: {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
