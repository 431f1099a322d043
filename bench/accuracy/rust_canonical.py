"""What canonical names for Rust impl members would give (a measurement for a proposal, not a result):

    python -m bench.accuracy.rust_canonical      # after `python -m bench.accuracy --lang rust` built the truths

Impl members are named through the path their file imports the type or trait by (`<indexmap::IndexMap as Tr>::m`,
where the definition is `indexmap::map::IndexMap`), so that a node's id depends on its own file only
(ARCHITECTURE.md, "Rust specifics"). This renames our export's members (`<X as Y>::m`, `X::m` and their G nodes)
through the graph's own resolution of X and Y (`languages.rust.lookup_path`, re-exports followed), then compares
with the truth as ``bench.accuracy`` does, and prints F1 syn per kind: what naming members canonically would be worth.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.graph import SymbolView
from isg_lsp.languages.rust import lookup_path

from . import compare as C
from . import rust as R
from .common import CACHE


def renamed_export(crate_dir: Path, out: Path) -> Path:
    engine = Engine(crate_dir, persist=False)
    engine.index()
    graph = engine.graph
    memo: dict[str, str] = {}

    def canonical(path: str) -> str:
        if path not in memo:
            found = path
            if "::" in path and not graph.fqp_index.get(path):
                ids = lookup_path(SymbolView(graph), path)
                types = {graph.nodes[i].fqp for i in ids if graph.nodes[i].kind.value in "SETA"}
                if len(types) == 1:
                    found = types.pop()
            memo[path] = found
        return memo[path]

    def rename(fqp: str) -> str:
        parts = C.split_qualified(fqp)
        if parts:
            x, y, rest = parts
            return f"<{canonical(x)} as {canonical(y)}>::{rest}"
        segments = fqp.split("::")
        for cut in range(len(segments) - 1, 1, -1):
            head = "::".join(segments[:cut])
            if graph.fqp_index.get(head):
                return fqp
            if canonical(head) != head:
                return canonical(head) + "::" + "::".join(segments[cut:])
        return fqp

    with open(out, "w", encoding="utf-8") as f:
        for line in jsonl_lines(graph):
            record = json.loads(line)
            if record["type"] == "node" and not record["external"]:
                record["fqp"] = rename(record["fqp"])
            f.write(json.dumps(record) + "\n")
    return out


def main() -> int:
    folder = CACHE / "rust"
    results = []
    for truth in sorted(folder.glob("*.truth.jsonl")):
        label = truth.name[:-len(".truth.jsonl")]
        crate_dir = folder / "src" / label
        out = renamed_export(crate_dir, folder / f"{label}.canonical.jsonl")
        scope = R.lib_root(crate_dir) + "/"
        results.append(C.compare(truth, out, scope, (R.lib_name(crate_dir),), gated=R.cfg_gated(crate_dir, scope)))
    if not results:
        print("no Rust truths yet: run `python -m bench.accuracy --lang rust` first", file=sys.stderr)
        return 2
    merged = C.merge(results)
    print(f"   {'kind':<10}{'P':>8}{'R syn':>8}{'F1 syn':>8}")
    for section in ("nodes", "edges"):
        for kind, e in merged[section].items():
            p, r = e["precision"], e.get("recall_syntactic", e["recall"])
            if p is None or r is None:
                continue
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            print(f"   {kind:<10}{p:>8.3f}{r:>8.3f}{f1:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
