"""Edit → graph ready for a body edit, per language: ``python -m bench.edits [--corpus NAME ...] [--edits N]``.

The narrow form of ``python -m bench run``'s edit measure (which edits Rust files only): for each corpus (default:
rust-100k, java-100k, ts-130k, python-100k), files are opened as an editor opens them (untimed), then one line is
typed at the start of a function body and the engine brings the graph up to date (``Engine.update_file`` with the
old tree edited, as the server does): extraction of the file and graph surgery, which re-resolves the file's
references, receiver inference included (issue #16). Milliseconds, with the incremental reparse of the same edit
as the yardstick (the ratio drifts much less than absolute times on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

from . import corpora
from .measure import _point, percentiles

DEFAULT = ("rust-100k", "java-100k", "ts-130k", "python-100k")
EXTENSIONS = {"rust": (".rs",), "java": (".java",), "typescript": (".ts", ".tsx"), "python": (".py",),
              "go": (".go",)}
# where a function body opens, and the line typed there
BODY = {
    "rust": (re.compile(rb"\bfn [^;{]*\{\n"), b"    let bench_%d = %d;\n"),
    "java": (re.compile(rb"\)\s*(?:throws [\w., ]+)?\{\n"), b"        int bench_%d = %d;\n"),
    "typescript": (re.compile(rb"\)(?:: [^{\n]+)? \{\n"), b"        const bench_%d = %d;\n"),
    "python": (re.compile(rb"\n( +)def [^\n]*:\n"), None),
    "go": (re.compile(rb"\nfunc [^\n]*\{\n"), b"\tbench_%d := %d\n\t_ = bench_%d\n"),
}


def body_edit(data: bytes, lang: str, i: int) -> tuple[bytes, int, int] | None:
    """(new data, start byte, new end byte) of a line typed at the start of a function body in the file's middle
    third, or None."""
    pattern, line = BODY[lang]
    match = pattern.search(data, len(data) // 3) or pattern.search(data)
    if match is None:
        return None
    at = match.end()
    if lang == "python":
        indent = match.group(1) + b"    "
        text = indent + b"bench_%d = %d\n" % (i, i)
    elif lang == "go":
        text = line % (i, i, i)
    else:
        text = line % (i, i)
    return data[:at] + text + data[at:], at, at + len(text)


def body_edits(root: Path, lang: str, count: int, seed: int = 7):
    """The benchmark's edits: (file, its text, the text with a line typed at the start of a function body, start
    byte, new end byte) for up to ``count`` files in a seeded order (``bench.edits_ab`` takes the same)."""
    files = sorted(str(p.relative_to(root)) for ext in EXTENSIONS[lang] for p in root.rglob(f"*{ext}"))
    random.Random(seed).shuffle(files)
    found = tried = 0
    for rel in files:
        if found >= count or tried > 4 * count:
            return
        tried += 1
        if rel.endswith(".tsx"):
            continue
        data = (root / rel).read_bytes()
        edit = body_edit(data, lang, found)
        if edit is None or len(data) > 400_000:
            continue
        found += 1
        yield (rel, data, *edit)


def edited_tree(parser, data: bytes, new: bytes, at: int, end: int):
    """The tree of ``data`` told about the edit, as an editor's server holds it before parsing ``new``."""
    tree = parser.parse(data)
    tree.edit(start_byte=at, old_end_byte=at, new_end_byte=end, start_point=_point(data, at),
              old_end_point=_point(data, at), new_end_point=_point(new, end))
    return tree


def measure(root: Path, lang: str, edits: int, seed: int = 7) -> dict:
    from isg_lsp.engine import Engine, parser_for

    engine = Engine(root, persist=False)
    started = time.perf_counter()
    engine.index()
    index_s = time.perf_counter() - started
    times, parses, lines = [], [], []
    parser = parser_for(lang)
    for rel, data, new, at, end in body_edits(root, lang, edits, seed):
        engine.update_file(rel, data)                          # opened (untimed)
        old_tree = edited_tree(parser, data, new, at, end)
        t0 = time.perf_counter()
        parser.parse(new, old_tree.copy() if hasattr(old_tree, "copy") else old_tree)
        parses.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        engine.update_file(rel, new, old_tree)
        times.append((time.perf_counter() - t0) * 1000)
        lines.append(data.count(b"\n"))
        engine.update_file(rel, data)                          # put back (untimed)
    out = {"edits": len(times), "edit_ms": percentiles(times), "incremental_parse_ms": percentiles(parses),
           "file_lines": percentiles(lines), "index_s": round(index_s, 2)}
    p50, parse50 = out["edit_ms"].get("p50"), out["incremental_parse_ms"].get("p50")
    if p50 and parse50:
        out["edit_per_parse_p50"] = round(p50 / parse50, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.edits", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", help="a corpus of bench/corpora.py (repeatable; default: "
                        + ", ".join(DEFAULT) + ")")
    parser.add_argument("--edits", type=int, default=150)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    results = {}
    for name in args.corpus or DEFAULT:
        corpus = corpora.get(name, lambda m: print(m, file=sys.stderr))
        if corpus.error:
            results[name] = {"error": corpus.error}
            continue
        results[name] = measure(corpus.path, corpus.lang, args.edits)
        r = results[name]
        e, p = r["edit_ms"], r["incremental_parse_ms"]
        print(f"{name:12} {corpus.lang:10} body edit → graph ready p50 {e.get('p50', 0):7.2f} p95 "
              f"{e.get('p95', 0):7.2f} p99 {e.get('p99', 0):7.2f} ms  (incremental parse p50 {p.get('p50', 0):.2f} "
              f"ms, ×{r.get('edit_per_parse_p50', '-')}; {r['edits']} edits, files of p50 "
              f"{r['file_lines'].get('p50', 0):.0f} lines)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
