"""Questions and their answers, derived from the compilers' truth by a seeded selection (never written by hand).

Each class names the question as a user asks it through the query language, the truth's answer, and how the
answer is scored:

| class | question (query language) | truth's answer |
|---|---|---|
| implementors | `who-implements X` | the nodes with an IMPL or EXTENDS edge to X (external ones too: `Box` for `impl Log for Box<T>`) |
| callers | `callers Y` | the workspace functions with a CALLS edge to Y |
| accepts | `blast-radius Z direction down depth 1 via ACCEPTS` | the types Z's parameters name (ACCEPTS) |
| returns | `blast-radius Z direction down depth 1 via RETURNS` | the types Z's return type names (RETURNS) |
| path | `path A to B via K` | the length of the shortest chain of truth edges of kinds K from A to B |
| impact | `blast-radius W depth 2 via K budget 100000` | the workspace nodes reaching W in at most 2 truth edges of kinds K (reversed) |

K is the set of dependency edge kinds that the language's truth holds (Rust's rustdoc JSON has no CALLS, so Rust's
path and impact questions follow type relations only).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from .truth import TruthGraph

IMPACT_KINDS = ("CALLS", "IMPL", "EXTENDS", "ACCEPTS", "RETURNS", "USES", "BOUND_BY")
PATH_KINDS = IMPACT_KINDS + ("DEFINES", "CONTAINS")
CLASSES = ("implementors", "callers", "accepts", "returns", "path", "impact")
IMPACT_DEPTH = 2
MAX_ANSWER = 200


@dataclass
class Question:
    qid: str
    lang: str
    corpus: str
    cls: str
    target: str                   # the truth key of the subject (A for paths)
    query: str                    # the query language text asked
    answer: frozenset[str] = frozenset()
    dest: str | None = None       # paths: B
    distance: int | None = None   # paths: the truth's shortest distance
    kinds: tuple[str, ...] = ()
    api: bool = False             # the subject is public API (the map's `api` level shows it)
    macro: frozenset[str] = frozenset()  # answer items only a macro's expansion writes (out of a parser's reach)

    def as_dict(self) -> dict:
        data = {"id": self.qid, "lang": self.lang, "corpus": self.corpus, "class": self.cls, "target": self.target,
                "query": self.query, "answer": sorted(self.answer), "api": self.api}
        if self.dest is not None:
            data.update(dest=self.dest, distance=self.distance)
        return data


def quoted(fqp: str) -> str:
    return '"' + fqp.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _askable(truth: TruthGraph, key: str) -> bool:
    """A subject a user would name: a workspace node with a plain FQP (no `<X as Y>::m` member of a trait impl,
    no generic parameter, no module)."""
    node = truth.nodes.get(key)
    return (node is not None and not node.get("external") and not key.startswith("<") and node["kind"] not in "GM")


def candidates(truth: TruthGraph, cls: str) -> list[tuple[str, dict]]:
    """Every (subject, answer data) the truth can state for a class, sorted by subject."""
    out: list[tuple[str, dict]] = []
    kinds = truth.edge_kinds
    if cls == "implementors":
        for key in truth.workspace_nodes("TSE"):
            if not _askable(truth, key):
                continue
            # external implementors (Rust's `impl Trait for Box<T>`) are part of the answer; which subjects are
            # asked about still depends on the workspace's implementors only (the questions stay the same)
            every = {k for k, _ in truth.predecessors(key, ("IMPL", "EXTENDS"))}
            if 0 < len({k for k in every if not truth.external(k)}) <= MAX_ANSWER:
                made = {k for k in every if (k, "IMPL", key) in truth.macro_edges or (k, "EXTENDS", key) in
                        truth.macro_edges}
                out.append((key, {"answer": every, "macro": made}))
    elif cls == "callers":
        if "CALLS" not in kinds:
            return []
        for key in truth.workspace_nodes("F"):
            if not _askable(truth, key):
                continue
            answer = {k for k, _ in truth.predecessors(key, ("CALLS",)) if not truth.external(k)}
            if 0 < len(answer) <= MAX_ANSWER:
                out.append((key, {"answer": answer}))
    elif cls in ("accepts", "returns"):
        kind = cls.upper()
        for key in truth.workspace_nodes("F"):
            if not _askable(truth, key):
                continue
            answer = {k for k, _ in truth.successors(key, (kind,))}
            if answer:
                out.append((key, {"answer": answer}))
    elif cls == "path":
        walk = tuple(k for k in PATH_KINDS if k in kinds)
        for key in truth.workspace_nodes("TSEFA"):
            if not _askable(truth, key):
                continue
            for dest, distance in _reachable(truth, key, walk, 3).items():
                if distance >= 2 and _askable(truth, dest):
                    out.append((key, {"dest": dest, "distance": distance, "kinds": walk}))
    elif cls == "impact":
        walk = tuple(k for k in IMPACT_KINDS if k in kinds)
        for key in truth.workspace_nodes("TSEF"):
            if not _askable(truth, key) or truth.predecessors(key, ("DEFINES",)):
                continue                      # a trait's method reaches its implementations by a rule, not an edge
            answer = {k for k in _reachable(truth, key, walk, IMPACT_DEPTH, reverse=True) if not truth.external(k)}
            if 0 < len(answer) <= MAX_ANSWER:
                out.append((key, {"answer": answer, "kinds": walk}))
    return out


def _reachable(truth: TruthGraph, start: str, kinds: tuple[str, ...], depth: int,
               reverse: bool = False) -> dict[str, int]:
    """Breadth-first distances from ``start`` over edges of ``kinds`` (backwards when ``reverse``); a module's
    CONTAINS edges are not followed forwards (a module does not depend on its items)."""
    seen = {start: 0}
    frontier = deque([start])
    while frontier:
        key = frontier.popleft()
        if seen[key] >= depth:
            continue
        if reverse:
            steps = truth.predecessors(key, kinds)
        else:
            steps = [(o, k) for o, k in truth.successors(key, kinds) if not (k == "CONTAINS" and truth.is_module(key))]
        for other, _kind in steps:
            if other not in seen:
                seen[other] = seen[key] + 1
                frontier.append(other)
    del seen[start]
    return seen


API_CLASSES = ("implementors", "callers", "accepts", "returns")


def make_questions(lang: str, corpora: list[tuple[str, TruthGraph]], per_class: int, seed: int,
                   classes=CLASSES, public: dict[str, set[str]] | None = None) -> list[Question]:
    """``per_class`` questions of each class, drawn with a seeded generator from every corpus of the language;
    with ``public`` (per corpus, the subjects that are public API), ``per_class`` more of each of API_CLASSES
    drawn among public subjects, so that the maps' answers are measured on API questions too."""
    questions: list[Question] = []
    public = public or {}
    for cls in classes:
        pool = [(label, truth, key, data) for label, truth in corpora for key, data in candidates(truth, cls)]
        if not pool:
            continue
        rng = random.Random(f"{seed}:{lang}:{cls}")
        if cls == "path":                     # one destination per source, so that sources vary
            by_source: dict[tuple[str, str], list] = {}
            for item in pool:
                by_source.setdefault((item[0], item[2]), []).append(item)
            pool = [rng.choice(items) for _source, items in sorted(by_source.items())]
        chosen = rng.sample(pool, min(per_class, len(pool)))
        if public and cls in API_CLASSES:
            taken = {(c[0], c[2]) for c in chosen}
            api_pool = [c for c in pool if c[2] in public.get(c[0], ()) and (c[0], c[2]) not in taken]
            chosen += rng.sample(api_pool, min(per_class, len(api_pool)))
        for index, (label, truth, key, data) in enumerate(chosen, 1):
            fqp = truth.nodes[key]["fqp"]
            q = Question(f"{lang}-{cls}-{index}", lang, label, cls, key, "", frozenset(data.get("answer", ())),
                         kinds=tuple(data.get("kinds", ())), api=key in public.get(label, ()),
                         macro=frozenset(data.get("macro", ())))
            if cls == "implementors":
                q.query = f"who-implements {quoted(fqp)}"
            elif cls == "callers":
                q.query = f"callers {quoted(fqp)}"
            elif cls in ("accepts", "returns"):
                q.query = f"blast-radius {quoted(fqp)} direction down depth 1 via {cls.upper()}"
            elif cls == "path":
                q.dest, q.distance = data["dest"], data["distance"]
                q.query = (f"path {quoted(fqp)} to {quoted(truth.nodes[q.dest]['fqp'])} via "
                           f"{', '.join(q.kinds)}")
            elif cls == "impact":
                # the whole set is scored: no budget cut (the answer's summary comes first either way)
                q.query = f"blast-radius {quoted(fqp)} depth {IMPACT_DEPTH} via {', '.join(q.kinds)} budget 100000"
            questions.append(q)
    return questions
