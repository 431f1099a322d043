"""Compares two ISG JSONL exports (ISG-SPEC §3): a ground truth and `isg-lsp export` of the same code.

Nodes are compared by (kind, FQP), edges by (source FQP, kind, destination FQP): node ids differ between the two
sides (ids hash signatures, which compilers print their own way). Two figures per kind:

- strict: FQPs must be equal;
- lenient (the headline): an external node is known by its last segment only (`Display` for `core::fmt::Display`:
  the spec lets a syntactic tool name an external by "the best path known (from imports, else the bare name)"), and
  in `<X as Y>::m` member paths an X or Y outside the workspace is cut to its last segment the same way.

Only our workspace nodes whose file lies under `scope` count (the sources the compiler saw: a crate's `src/`, say);
an edge counts when one of its workspace ends is in scope and none is out of it. For edges, `precision_exact` also
gives the precision of the edges not marked `heuristic` (the spec's confidence marks), with their count.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from pathlib import Path

SAMPLES = int(os.environ.get("ISG_ACCURACY_SAMPLES", "8"))      # how many misses / false positives a report keeps


def load(path: Path) -> tuple[dict[str, dict], list[dict]]:
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("type") == "node":
                nodes[record["id"]] = record
            elif record.get("type") == "edge":
                edges.append(record)
    return nodes, edges


def last_segment(fqp: str) -> str:
    if fqp.startswith("<") and ">::" in fqp:
        fqp = fqp[fqp.rfind(">::") + 3:]
    text = fqp
    depth, cut = 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith("::", i):
            cut = i + 2
            i += 1
        elif depth == 0 and ch == "." and not text.startswith(".<", i):
            cut = i + 1
        i += 1
    return text[cut:]


def split_qualified(fqp: str) -> tuple[str, str, str] | None:
    """`<X as Y>::rest` → (X, Y, rest)."""
    if not fqp.startswith("<"):
        return None
    depth = 0
    as_at = -1
    for i, ch in enumerate(fqp):
        if ch == "<":
            depth += 1
        elif ch == ">" and (i == 0 or fqp[i - 1] != "-"):
            depth -= 1
            if depth == 0:
                if as_at < 0 or not fqp.startswith(">::", i):
                    return None
                return fqp[1:as_at], fqp[as_at + 4:i], fqp[i + 3:]
        elif depth == 1 and fqp.startswith(" as ", i) and as_at < 0:
            as_at = i
    return None


class Normalizer:
    def __init__(self, local_roots: tuple[str, ...] = ()) -> None:
        self.local_roots = tuple(local_roots)

    def is_local(self, path: str) -> bool:
        return any(path == root or path.startswith(root + "::") or path.startswith(root + ".")
                   for root in self.local_roots)

    def node(self, node: dict) -> str:
        return self.fqp(node["fqp"])

    def fqp(self, fqp: str) -> str:
        parts = split_qualified(fqp)
        if parts is None:
            return fqp
        x, y, rest = parts
        if not self.is_local(x) and "::" in x and not x.startswith(("&", "[", "(", "*")):
            x = last_segment(x)
        if not self.is_local(y):
            y = last_segment(y)
        return f"<{x} as {y}>::{rest}"


class _KeyedNormalizer:
    """A Normalizer whose workspace node keys go through a language's ``node_key``."""

    def __init__(self, base: Normalizer, node_key) -> None:
        self.base = base
        self.node_key = node_key
        self.is_local = base.is_local
        self.fqp = base.fqp

    def node(self, node: dict) -> str:
        return self.node_key(node, self.base.fqp(node["fqp"]))


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def scores(truth: set, ours: set) -> dict:
    tp = len(truth & ours)
    p, r = _ratio(tp, len(ours)), _ratio(tp, len(truth))
    if not ours and not truth:
        p = r = None
    return {"truth": len(truth), "ours": len(ours), "tp": tp, "precision": p, "recall": r, "f1": _f1(p, r)}


def compare(truth_path: Path, ours_path: Path, scope: str | None = None, local_roots: tuple[str, ...] = (),
            node_kinds: tuple[str, ...] | None = None, edge_kinds: tuple[str, ...] | None = None,
            gated=None, node_key=None, one_per_fqp: bool = False) -> dict:
    """``node_key(node, key)``, when given, turns a workspace node's key into the one compared (Java tells overloads
    apart by their parameter types: `Foo.m(int,String)`). With ``one_per_fqp``, each of our workspace nodes beyond the
    first with the same (kind, key) counts as a false positive (``duplicates``): TypeScript's overloads are one
    symbol, so one node.

    ``gated(node)``, when given, says that one of our nodes stands in code the compiler may not have compiled
    (Rust's `#[cfg]`): such nodes, and edges with such an end, are set aside when the truth lacks them, and
    counted under ``set_aside`` (precision is given both with them, ``precision_all``, and without)."""
    base_norm = Normalizer(local_roots)
    norm = base_norm if node_key is None else _KeyedNormalizer(base_norm, node_key)
    t_nodes, t_edges = load(truth_path)
    o_nodes, o_edges = load(ours_path)

    def in_scope(node: dict) -> bool:
        return scope is None or (node.get("file") or "").startswith(scope)

    result: dict = {"nodes": {}, "edges": {}, "nodes_strict": {}, "edges_strict": {}}
    # ---- nodes
    t_keys: dict[str, set] = defaultdict(set)
    t_strict: dict[str, set] = defaultdict(set)
    t_macro: dict[str, set] = defaultdict(set)
    for n in t_nodes.values():
        if not n.get("external"):
            t_keys[n["kind"]].add(norm.node(n))
            t_strict[n["kind"]].add(n["fqp"])
            if n.get("macro"):
                t_macro[n["kind"]].add(norm.node(n))
    o_keys: dict[str, set] = defaultdict(set)
    o_strict: dict[str, set] = defaultdict(set)
    o_gated: dict[str, set] = defaultdict(set)
    gated_ids = set()
    o_count: dict[tuple[str, str], int] = defaultdict(int)
    for node_id, n in o_nodes.items():
        if not n.get("external") and in_scope(n):
            key = norm.node(n)
            o_count[(n["kind"], key)] += 1
            if gated is not None and key not in t_keys[n["kind"]] and gated(n):
                gated_ids.add(node_id)
                o_gated[n["kind"]].add(key)
                continue
            o_keys[n["kind"]].add(key)
            o_strict[n["kind"]].add(n["fqp"])
    kinds = node_kinds if node_kinds is not None else tuple(sorted(set(t_keys) | set(o_keys)))
    for kind in kinds:
        entry = scores(t_keys[kind], o_keys[kind])
        if one_per_fqp:
            dups = sorted(k for (k_kind, k), count in o_count.items() if k_kind == kind and count > 1
                          and k in o_keys[kind])
            extra = sum(o_count[(kind, k)] - 1 for k in dups)
            entry["duplicates"] = extra
            entry["duplicate_samples"] = dups[:SAMPLES]
            entry["ours"] += extra
            entry["precision"] = _ratio(entry["tp"], entry["ours"])
            entry["f1"] = _f1(entry["precision"], entry["recall"])
        _set_aside(entry, o_gated[kind] - o_keys[kind])
        _macro(entry, (t_keys[kind] - o_keys[kind]) & t_macro[kind])
        entry["missed"] = sorted(t_keys[kind] - o_keys[kind])[:SAMPLES]
        entry["false_positives"] = sorted(o_keys[kind] - t_keys[kind])[:SAMPLES]
        result["nodes"][kind] = entry
        result["nodes_strict"][kind] = scores(t_strict[kind], o_strict[kind])

    # ---- edges
    def lenient_key(node: dict) -> str:
        if node.get("external"):
            # an "external" that names a path inside the workspace (a node a macro makes, say) keeps its path
            return norm.fqp(node["fqp"]) if norm.is_local(node["fqp"]) else "~" + last_segment(node["fqp"])
        return norm.node(node)

    te_keys: dict[str, set] = defaultdict(set)
    te_strict: dict[str, set] = defaultdict(set)
    te_macro: dict[str, set] = defaultdict(set)
    for e in t_edges:
        s, d = t_nodes.get(e["src"]), t_nodes.get(e["dst"])
        if s is None or d is None or (s.get("external") and d.get("external")):
            continue
        te_keys[e["kind"]].add((lenient_key(s), lenient_key(d)))
        if e.get("macro"):
            te_macro[e["kind"]].add((lenient_key(s), lenient_key(d)))
        te_strict[e["kind"]].add((s["fqp"], d["fqp"]))
    oe_keys: dict[str, set] = defaultdict(set)
    oe_exact: dict[str, set] = defaultdict(set)
    oe_strict: dict[str, set] = defaultdict(set)
    oe_gated: dict[str, set] = defaultdict(set)
    for e in o_edges:
        s, d = o_nodes.get(e["src"]), o_nodes.get(e["dst"])
        if s is None or d is None:
            continue
        internal = [n for n in (s, d) if not n.get("external")]
        if not internal or not all(in_scope(n) for n in internal):
            continue
        key = (lenient_key(s), lenient_key(d))
        if key not in te_keys[e["kind"]] and (e["src"] in gated_ids or e["dst"] in gated_ids or (
                gated is not None and gated(s, d, e["kind"]))):
            oe_gated[e["kind"]].add(key)
            continue
        oe_keys[e["kind"]].add(key)
        if e.get("resolution") != "heuristic":
            oe_exact[e["kind"]].add(key)
        oe_strict[e["kind"]].add((s["fqp"], d["fqp"]))
    kinds = edge_kinds or tuple(sorted(set(te_keys) | set(oe_keys)))
    for kind in kinds:
        truth, ours = te_keys[kind], oe_keys[kind]
        entry = scores(truth, ours)
        _set_aside(entry, oe_gated[kind] - ours)
        _macro(entry, (truth - ours) & te_macro[kind])
        exact = oe_exact[kind]
        entry["ours_exact"] = len(exact)
        entry["tp_exact"] = len(truth & exact)
        entry["precision_exact"] = _ratio(len(truth & exact), len(exact))
        entry["recall_exact"] = _ratio(len(truth & exact), len(truth))
        guessed = ours - exact                 # relations found only by a heuristic edge
        entry["ours_heuristic"] = len(guessed)
        entry["tp_heuristic"] = len(truth & guessed)
        entry["precision_heuristic"] = _ratio(len(truth & guessed), len(guessed))
        entry["missed_exact"] = [f"{s} -> {d}" for s, d in sorted(truth - exact)[:SAMPLES]]
        entry["false_heuristic"] = [f"{s} -> {d}" for s, d in sorted(guessed - truth)[:SAMPLES]]
        entry["missed"] = [f"{s} -> {d}" for s, d in sorted(truth - ours)[:SAMPLES]]
        entry["false_positives"] = [f"{s} -> {d}" for s, d in sorted(ours - truth)[:SAMPLES]]
        result["edges"][kind] = entry
        result["edges_strict"][kind] = scores(te_strict[kind], oe_strict[kind])
    return result


def _set_aside(entry: dict, aside: set) -> None:
    entry["set_aside"] = len(aside)
    entry["precision_all"] = _ratio(entry["tp"], entry["ours"] + len(aside))
    entry["set_aside_samples"] = sorted(str(x) for x in aside)[:SAMPLES]


def _macro(entry: dict, missed: set) -> None:
    entry["missed_macro"] = len(missed)
    entry["recall_syntactic"] = _ratio(entry["tp"], entry["truth"] - len(missed))


def merge(results: list[dict]) -> dict:
    """Sums several comparisons (one per crate or package) into one, samples taken from each in turn."""
    merged: dict = {}
    for section in ("nodes", "edges", "nodes_strict", "edges_strict"):
        merged[section] = {}
        kinds = sorted({k for r in results for k in r.get(section, {})})
        for kind in kinds:
            parts = [r[section][kind] for r in results if kind in r.get(section, {})]
            total = {"truth": sum(p["truth"] for p in parts), "ours": sum(p["ours"] for p in parts),
                     "tp": sum(p["tp"] for p in parts)}
            p = _ratio(total["tp"], total["ours"])
            r = _ratio(total["tp"], total["truth"])
            total.update(precision=p, recall=r, f1=_f1(p, r))
            if "missed_macro" in parts[0]:
                total["missed_macro"] = sum(p.get("missed_macro", 0) for p in parts)
                total["recall_syntactic"] = _ratio(total["tp"], total["truth"] - total["missed_macro"])
            if "duplicates" in parts[0]:
                total["duplicates"] = sum(p.get("duplicates", 0) for p in parts)
                total["duplicate_samples"] = _interleave([p.get("duplicate_samples", []) for p in parts])
            if "set_aside" in parts[0]:
                total["set_aside"] = sum(p.get("set_aside", 0) for p in parts)
                total["precision_all"] = _ratio(total["tp"], total["ours"] + total["set_aside"])
                total["set_aside_samples"] = _interleave([p.get("set_aside_samples", []) for p in parts])
            if "ours_exact" in parts[0]:
                exact = sum(p["ours_exact"] for p in parts)
                tp_exact = sum(p["tp_exact"] for p in parts)
                total["ours_exact"] = exact
                total["tp_exact"] = tp_exact
                total["precision_exact"] = _ratio(tp_exact, exact)
                total["recall_exact"] = _ratio(tp_exact, total["truth"])
                guessed = sum(p.get("ours_heuristic", 0) for p in parts)
                tp_guessed = sum(p.get("tp_heuristic", 0) for p in parts)
                total["ours_heuristic"] = guessed
                total["tp_heuristic"] = tp_guessed
                total["precision_heuristic"] = _ratio(tp_guessed, guessed)
                total["missed_exact"] = _interleave([p.get("missed_exact", []) for p in parts])
                total["false_heuristic"] = _interleave([p.get("false_heuristic", []) for p in parts])
            if "missed" in parts[0]:
                total["missed"] = _interleave([p["missed"] for p in parts])
                total["false_positives"] = _interleave([p["false_positives"] for p in parts])
            merged[section][kind] = total
    return merged


def _interleave(lists: list[list[str]]) -> list[str]:
    out = []
    for i in range(max((len(x) for x in lists), default=0)):
        for x in lists:
            if i < len(x):
                out.append(x[i])
    return out[:SAMPLES]


def fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "  -  "
    return f"{value:.3f}"
