"""Context for a target, measured: how many of the facts about it (its relations in the compilers' truth) a text
carries, at 500, 2,000 and 8,000 tokens, for `isg-lsp context` and two baselines made in the same run:

- raw files: what an agent does without the ISG: grep the workspace's sources for the target's name (as a word),
  read the files, most matches first (then by path), cut at the budget;
- a ctags outline (`ctags --fields=+KSi`, Universal Ctags) of the same files in the same order, cut at the budget.

A fact is an edge of the truth with the target at one end (its members, what it implements, extends, accepts,
returns, uses, calls; what implements, extends, accepts, returns, uses or calls it); generic parameters are left
out. It is carried by a text when one line of the text names both ends (each end by its last segment, as a word) —
a triple, a signature, an `impl X for Y` line, a ctags line with its scope or signature — or, for raw source, when
a line inside one end's declaration (for the target: its members too; spans from the index) names the other end.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.accuracy.compare import last_segment

from .truth import TruthGraph

BUDGETS = (500, 2000, 8000)
FACT_KINDS_OUT = ("CONTAINS", "DEFINES", "IMPL", "EXTENDS", "BOUND_BY", "ACCEPTS", "RETURNS", "USES", "CALLS")
FACT_KINDS_IN = ("IMPL", "EXTENDS", "BOUND_BY", "ACCEPTS", "RETURNS", "USES", "CALLS")
MIN_FACTS, MAX_FACTS = 3, 80
EXTENSIONS = {"rust": (".rs",), "java": (".java",), "typescript": (".ts", ".tsx"), "python": (".py",)}


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def facts_of(truth: TruthGraph, key: str) -> list[tuple[str, str, str]]:
    facts = set()
    for other, kind in truth.successors(key, FACT_KINDS_OUT):
        if not _generic(truth, other):
            facts.add((key, kind, other))
    for other, kind in truth.predecessors(key, FACT_KINDS_IN):
        if not _generic(truth, other) and not truth.is_module(other):
            facts.add((other, kind, key))
    return sorted(facts)


def _generic(truth: TruthGraph, key: str) -> bool:
    return truth.kind.get(key) == "G" or "::<" in key or ".<" in key


def name_of(truth: TruthGraph, key: str) -> str:
    node = truth.nodes.get(key)
    fqp = node["fqp"] if node is not None else key.lstrip("~")
    name = last_segment(fqp)
    return re.sub(r"<.*", "", name)


def _word(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")


@dataclass
class Line:
    text: str
    file: str | None = None
    number: int | None = None        # 0-based line in the file


def carried(lines: list[Line], facts, truth: TruthGraph, spans: dict[str, list[tuple[str, int, int]]],
            target: str) -> int:
    """How many facts these lines carry (see the module's docstring)."""
    count = 0
    patterns: dict[str, re.Pattern] = {}

    def pattern(key: str) -> re.Pattern:
        if key not in patterns:
            patterns[key] = _word(name_of(truth, key))
        return patterns[key]

    by_file: dict[str, list[Line]] = {}
    for line in lines:
        if line.file is not None:
            by_file.setdefault(line.file, []).append(line)
    for src, _kind, dst in facts:
        a, b = pattern(src), pattern(dst)
        same = name_of(truth, src) == name_of(truth, dst)
        found = any((len(a.findall(line.text)) >= 2) if same else (a.search(line.text) and b.search(line.text))
                    for line in lines)
        if not found and by_file:
            other, other_pattern = (dst, b) if src == target else (src, a)
            target_pattern = a if src == target else b
            found = (_inside(by_file, spans.get(target, ()), other_pattern)
                     or _inside(by_file, spans.get("=" + other, ()), target_pattern))
        count += bool(found)
    return count


def _inside(by_file: dict[str, list[Line]], ranges, pattern: re.Pattern) -> bool:
    for file, start, end in ranges:
        for line in by_file.get(file, ()):
            if start <= line.number <= end and pattern.search(line.text):
                return True
    return False


def spans_for(graph, truth: TruthGraph, keys: set[str], judge) -> dict[str, list[tuple[str, int, int]]]:
    """For each target key: the spans of its node and its members (by FQP prefix, `<T as Tr>::m` too); for
    other keys (prefixed `=`): the spans of their own nodes."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    wanted = {truth.nodes[k]["fqp"]: k for k in keys if k in truth.nodes}
    for node in graph.nodes.values():
        if node.external or node.file is None or node.span is None:
            continue
        entry = (node.file, node.span[0], node.span[2])
        fqp = node.fqp
        key = judge.key(node)
        if key in keys:
            out.setdefault(key, []).append(entry)
        out.setdefault("=" + key, []).append(entry)
        if fqp.startswith("<") and " as " in fqp:
            owner = fqp[1:fqp.find(" as ")]
            if owner in wanted:
                out.setdefault(wanted[owner], []).append(entry)
            continue
        for sep in ("::", "."):
            cut = fqp.rfind(sep)
            while cut > 0:
                owner = fqp[:cut]
                if owner in wanted:
                    out.setdefault(wanted[owner], []).append(entry)
                cut = fqp.rfind(sep, 0, cut)
    return out


# ---- the baselines ----------------------------------------------------------------------------------------------

class Workspace:
    """A corpus's source files, read once, and their ctags outline."""

    def __init__(self, root: Path, lang: str) -> None:
        self.root = Path(root)
        self.files: dict[str, list[str]] = {}
        for dirpath, dirs, names in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "target"))
            for name in sorted(names):
                if name.endswith(EXTENSIONS[lang]):
                    path = Path(dirpath) / name
                    rel = path.relative_to(self.root).as_posix()
                    self.files[rel] = path.read_text("utf-8", errors="replace").splitlines()
        self.tags: dict[str, list[str]] = {}
        self.ctags_error: str | None = None
        try:
            proc = subprocess.run(["ctags", "-f", "-", "--sort=no", "--fields=+KSi", "-L", "-"], cwd=self.root,
                                  input="\n".join(self.files), capture_output=True, text=True, timeout=600)
            for line in proc.stdout.splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and not line.startswith("!_"):
                    self.tags.setdefault(parts[1], []).append(line)
        except (OSError, subprocess.SubprocessError) as error:
            self.ctags_error = str(error)

    def grep(self, name: str) -> list[str]:
        """Files naming ``name`` as a word, most matching lines first, then by path."""
        word = _word(name)
        counts = []
        for rel, lines in self.files.items():
            n = sum(1 for line in lines if name in line and word.search(line))
            if n:
                counts.append((-n, rel))
        return [rel for _n, rel in sorted(counts)]

    def raw(self, files: list[str], budget: int) -> list[Line]:
        out: list[Line] = []
        room = budget * 4
        for rel in files:
            header = f"==> {rel} <=="
            if room < len(header) + 1:
                break
            out.append(Line(header))
            room -= len(header) + 1
            for number, text in enumerate(self.files[rel]):
                if room < len(text) + 1:
                    return out
                out.append(Line(text, rel, number))
                room -= len(text) + 1
        return out

    def outline(self, files: list[str], budget: int) -> list[Line]:
        out: list[Line] = []
        room = budget * 4
        for rel in files:
            for text in self.tags.get(rel, ()):
                if room < len(text) + 1:
                    return out
                out.append(Line(text))
                room -= len(text) + 1
        return out


def isg_context(graph, fqp: str, budget: int, root: Path) -> list[Line]:
    from isg_lsp.queries import Deadline
    from isg_lsp.querylang import QueryLanguageError, context_of

    try:   # what `isg-lsp context` runs; a long time budget: the machine is shared, a budget error is not the point
        text = context_of(graph, fqp, budget_tokens=budget, root=root, deadline=Deadline(20_000.0)).text
    except (QueryLanguageError, ValueError):
        return []
    return [Line(line) for line in text.splitlines()]


def measure(graph, truth: TruthGraph, judge, workspace: Workspace, targets: list[str]) -> list[dict]:
    """Per target: facts, and for each budget and method the facts carried and the tokens used."""
    spans = spans_for(graph, truth, set(targets), judge)
    results = []
    for key in targets:
        facts = facts_of(truth, key)
        name = name_of(truth, key)
        files = workspace.grep(name)
        entry = {"target": key, "facts": len(facts), "files": len(files), "budgets": {}}
        for budget in BUDGETS:
            texts = {"isg": isg_context(graph, truth.nodes[key]["fqp"], budget, workspace.root),
                     "raw": workspace.raw(files, budget), "ctags": workspace.outline(files, budget)}
            entry["budgets"][str(budget)] = {
                method: {"carried": carried(lines, facts, truth, spans if method == "raw" else {}, key),
                         "tokens": tokens("\n".join(line.text for line in lines))}
                for method, lines in texts.items()}
        results.append(entry)
    return results


def choose_targets(truth: TruthGraph, questions, limit: int) -> list[str]:
    """The subjects of the language's questions with between MIN_FACTS and MAX_FACTS facts, in question order."""
    out = []
    for q in questions:
        if q.cls in ("path",) or q.target in out:
            continue
        if MIN_FACTS <= len(facts_of(truth, q.target)) <= MAX_FACTS:
            out.append(q.target)
        if len(out) >= limit:
            break
    return out
