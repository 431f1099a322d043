"""Asking the product: each question goes through the query language (``run_query``, what `isg-lsp query` and
`isg/query` run) on the graph `isg-lsp index` builds, and the rows that come back are scored against the truth."""

from __future__ import annotations

from dataclasses import dataclass, field

from isg_lsp.context import count_tokens
from isg_lsp.graph import Graph
from isg_lsp.querylang import QueryLanguageError, run_query

from .generate import Question
from .truth import TruthGraph

QUERY_BUDGET_MS = 2000.0     # the server's default is 250 ms; the machine is shared, a budget error is not the point
ROW_CAP = 10_000


@dataclass
class Scored:
    qid: str
    cls: str
    variant: str                 # "default" or "exclude heuristic"
    ours: int = 0                # items in our answer (after setting aside what the truth cannot judge)
    truth: int = 0
    hits: int = 0
    set_aside: int = 0
    missed_macro: int = 0        # truth items missed that only a macro's expansion writes
    tokens: int = 0
    error: str | None = None
    correct: bool = False        # the answer equals the truth (paths: a valid shortest path)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class Judge:
    """Keys our nodes the way the truth keys its own, and sets aside our nodes the truth cannot judge (outside the
    files the compiler saw, or in code a `#[cfg]` switched off, as the accuracy benchmark does)."""

    def __init__(self, truth: TruthGraph, graph: Graph, scope: str | None, gated=None) -> None:
        self.truth = truth
        self.graph = graph
        self.scope = scope or ""
        self.gated = gated

    def key(self, node) -> str:
        return self.truth.key(node.fqp, node.external)

    def judgeable(self, node) -> bool:
        if node.external:
            return True
        if not (node.file or "").startswith(self.scope):
            return False
        if self.gated is not None and self.key(node) not in self.truth.nodes:
            record = {"fqp": node.fqp, "file": node.file, "span": list(node.span) if node.span else None}
            if self.gated(record):
                return False
        return True


def ask(graph: Graph, question: Question, judge: Judge, exclude_heuristic: bool, through_hubs: bool = False) -> Scored:
    text = question.query + (" exclude heuristic" if exclude_heuristic else "") + (" through hubs" if through_hubs
                                                                                    else "")
    variant = "through hubs" if through_hubs else "exclude heuristic" if exclude_heuristic else "default"
    scored = Scored(question.qid, question.cls, variant)
    try:
        result = run_query(graph, text, limit=ROW_CAP, budget_ms=QUERY_BUDGET_MS)
    except QueryLanguageError as error:
        scored.error = str(error).split("\n")[0][:200]
        scored.truth = len(question.answer) if question.cls != "path" else 1
        scored.tokens = count_tokens(str(error))
        return scored
    scored.tokens = count_tokens(result.to_text())
    if question.cls == "path":
        return _score_path(graph, question, judge, result, scored)
    ours: set[str] = set()
    for row in result.rows:
        node = graph.nodes.get(bytes.fromhex(row["id"])) if row.get("id") else None
        if node is None:
            continue
        key = judge.key(node)
        if key == question.target:
            continue
        if key not in question.answer and not judge.judgeable(node):
            scored.set_aside += 1
            continue
        ours.add(key)
    truth = set(question.answer)
    scored.ours, scored.truth, scored.hits = len(ours), len(truth), len(ours & truth)
    scored.correct = ours == truth
    scored.missed_macro = len((truth - ours) & question.macro)
    scored.missed = sorted(truth - ours)[:5]
    scored.wrong = sorted(ours - truth)[:5]
    return scored


def _score_path(graph: Graph, question: Question, judge: Judge, result, scored: Scored) -> Scored:
    """A path is right when every step is an edge of the truth and it is as short as the truth's shortest."""
    scored.truth = 1
    steps = []
    for edge in result.edges:
        src, dst = graph.nodes.get(edge.src), graph.nodes.get(edge.dst)
        if src is None or dst is None:
            continue
        steps.append((judge.key(src), edge.kind.value, judge.key(dst)))
    valid = [s for s in steps if judge.truth.has_edge(*s)]
    scored.ours = len(steps)
    scored.hits = len(valid)
    scored.correct = bool(steps) and len(valid) == len(steps) and len(steps) == question.distance
    scored.wrong = [" ".join(s) for s in steps if s not in valid][:5]
    if not steps:
        scored.missed = [f"no path (truth: {question.distance} steps)"]
    return scored


def summarize(scores: list[Scored]) -> dict:
    """Pooled precision and recall (paths: steps that are truth edges / steps, and right answers / questions)."""
    n = len(scores)
    if not n:
        return {"n": 0}
    errors = sum(1 for s in scores if s.error)
    if scores[0].cls == "path":
        steps = sum(s.ours for s in scores)
        precision = sum(s.hits for s in scores) / steps if steps else None
        recall = sum(1 for s in scores if s.correct) / n
    else:
        ours = sum(s.ours for s in scores)
        truth = sum(s.truth for s in scores)
        hits = sum(s.hits for s in scores)
        precision = hits / ours if ours else None
        recall = hits / truth if truth else None
    reachable = sum(s.truth - s.missed_macro for s in scores)
    recall_syntactic = sum(s.hits for s in scores) / reachable if reachable and scores[0].cls != "path" else recall
    return {"recall_syntactic": recall_syntactic,
            "n": n, "precision": precision, "recall": recall, "exact": sum(1 for s in scores if s.correct) / n,
            "errors": errors, "empty": sum(1 for s in scores if not s.error and s.ours == 0),
            "tokens_mean": sum(s.tokens for s in scores) / n, "set_aside": sum(s.set_aside for s in scores)}
