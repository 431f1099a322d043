"""The map a model reads (ISG-SPEC §3 "the map for language models"; `isg-lsp map`, `isg/map`, the MCP map tool).

``render_map(graph, level=..., budget=..., focus=...)`` is a deterministic function of the graph:

- **levels**: ``modules`` (one line per module: its public types and traits), ``api`` (the default: public items with
  their signatures and IMPL/EXTENDS/BOUND_BY), ``full`` (every item, private ones and calls included). Tests,
  examples and benches are left out unless ``include_tests``.
- **compression** that keeps what an agent needs: names relative to the module heading (and to the member's own
  type), calls grouped by the module of their target (``calls a, b, io::{read, write}, 12 in sync``), overloads
  on one line (the first signature, then ``or`` and each other one from where it differs; identical ones counted,
  ``×3``), relation lists with every name (a shared module prefix written once: ``data::{Build, DataMap}``),
  derived implementations as a list on the type's line (``derives Clone, Debug``), the members of a trait
  implementation (and, at ``api``, methods restating a workspace supertype's signature) folded into the type's
  line, since the trait's own declaration shows their signatures.
- **a token budget**: units (a module's top-level item with its members; at ``modules``, a module line) ranked by
  structural importance (PageRank over the ISG's dependency edges, members lending weight to their owners), public
  before private, each trait followed by its implementors, optionally personalised to a ``focus`` (files, targets or
  `find` queries: their units first, then what is near them); then every line competes by the facts it states per
  character, weighted by rank, and is taken while it fits (a member with the lines it sits under, ``(+N more)``
  where members are left out), written in the map's usual order, with a last line saying what was left out.

Tokens are characters / 4, as everywhere else (ISG-SPEC §3).
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from .export import _implemented_trait, _position, _short, compact_signature  # noqa: F401
from .graph import Graph
from .model import EdgeKind, Node, NodeKind, Resolution, is_test

LEVELS = ("modules", "api", "full")
DEFAULT_LEVEL = "api"
DEFAULT_SHARE = 0.03  # the default map's budget: 3% of the source's tokens (ISG-SPEC §4's goal)
MIN_DEFAULT_BUDGET = 1000
DEFAULT_FOCUS_BUDGET = 4000  # a focus without a budget: a focused map, not the whole one
MAX_TOGETHER = 8  # implementors pulled right after their trait
MAX_SAME_MODULE_CALLS = 8
MAX_NAMED_PER_MODULE = 3  # more calls into one other module are counted, not named
MAX_GUESSES = 2
PAGERANK_ITERATIONS = 30
DAMPING = 0.85

_MEMBER_EDGES = ("CONTAINS", "DEFINES")
_RANK_WEIGHTS = {
    "CALLS": 1.0,
    "IMPL": 2.0,
    "EXTENDS": 2.0,
    "BOUND_BY": 1.5,
    "ACCEPTS": 1.0,
    "RETURNS": 1.0,
    "USES": 1.0,
}
_TYPE_KINDS = (NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM)


def count_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


@dataclass
class MapResult:
    text: str
    level: str
    tokens: int
    units: int  # units shown (top-level items with their members; modules at `modules`)
    total_units: int  # units at this level before the budget
    omitted_modules: int = 0
    budget: int | None = None
    focus: list[str] = field(default_factory=list)

    @property
    def omitted_units(self) -> int:
        return self.total_units - self.units

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "level": self.level,
            "tokens": self.tokens,
            "units": self.units,
            "totalUnits": self.total_units,
            "omittedUnits": self.omitted_units,
            "omittedModules": self.omitted_modules,
            "budget": self.budget,
        }


class MapError(ValueError):
    """A map asked wrongly: an unknown level, module or focus."""


def render_map(
    graph: Graph,
    level: str = DEFAULT_LEVEL,
    budget: int | None = None,
    focus: Iterable[str] = (),
    include_tests: bool = False,
    modules: Iterable[str] | None = None,
) -> MapResult:
    """The map of the workspace at a level of detail, optionally cut to ``budget`` tokens around a ``focus``
    (workspace-relative files, FQPs or names, `find ...` queries). ``modules`` keeps those modules and their
    submodules. Two calls on equal graphs give byte-identical text."""
    if level not in LEVELS:
        raise MapError(f"unknown map level {level!r} (levels: {', '.join(LEVELS)})")
    focus = [f for f in (focus or ()) if f and f.strip()]
    focus_ids = _focus_ids(graph, focus) if focus else set()
    if focus and budget is None:
        budget = DEFAULT_FOCUS_BUDGET
    view = _View(graph, level, include_tests)
    units = view.units(view.modules(modules))
    return _render(view, units, budget, focus, focus_ids)


def _render(view: _View, units: list[_Unit], budget: int | None, focus: list[str], focus_ids: set[bytes]) -> MapResult:
    """The map of these units (a level's, from ``view``), whole or cut to ``budget`` tokens around a focus."""
    level = view.level
    whole = _write(units, set(range(len(units))), view)
    if budget is None or count_tokens(whole) <= int(budget):
        return MapResult(
            whole,
            level,
            count_tokens(whole),
            len(units),
            len(units),
            0,
            int(budget) if budget is not None else None,
            focus,
        )
    budget = max(1, int(budget))
    scores = _pagerank(view.graph, focus_ids)
    chosen = _pack(units, view, scores, focus_ids, budget)
    text = _write(units, chosen, view)
    left = [u for i, u in enumerate(units) if i not in chosen]
    omitted_modules = len({u.module.id for u in left} - {units[i].module.id for i in chosen})
    if left:
        note = _omission_note(len(left), len({u.module.id for u in left}), budget, level)
        text += note
    result = MapResult(text, level, count_tokens(text), len(chosen), len(units), omitted_modules, budget, focus)
    return result


def default_budget(source_tokens: int) -> int:
    """The budget of the default map (`isg-lsp map`, `isg/map` without one): 3% of the workspace's source tokens,
    so that the map of any workspace fits the spec's goal; below it the whole `api` level is shown."""
    return max(MIN_DEFAULT_BUDGET, int(source_tokens * DEFAULT_SHARE))


def default_map(graph: Graph, source_tokens: int, **options) -> MapResult:
    """The map `isg-lsp map` prints when asked for nothing else: the `api` level within ``default_budget``."""
    level = options.pop("level", DEFAULT_LEVEL)
    budget = options.pop("budget", None)
    if budget is None and level == DEFAULT_LEVEL:
        budget = default_budget(source_tokens)
    return render_map(graph, level, budget=budget or None, **options)


def map_tokens_by_level(graph: Graph, source_tokens: int | None = None) -> dict[str, int]:
    """The size of the whole map at each level, in tokens, and (with ``source_tokens``) of the default map
    (key ``default``): what `isg-lsp index` reports."""
    sizes = {}
    for level in LEVELS:
        view = _View(graph, level, False)
        units = view.units(view.modules(None))
        sizes[level] = _render(view, units, None, [], set()).tokens
        if level == DEFAULT_LEVEL and source_tokens is not None:  # the default map cuts this level's units
            budget = default_budget(source_tokens)
            sizes["default"] = (
                sizes[level] if sizes[level] <= budget else _render(view, units, budget, [], set()).tokens
            )
        del units
    return sizes


def _omission_note(units: int, modules: int, budget: int, level: str) -> str:
    what = "modules" if level == "modules" else f"items in {modules:,} modules"
    return f"# left out at {budget:,} tokens: {units:,} {what}, the least referenced\n"


# ---- what a level shows -----------------------------------------------------------------------------------------


# `is_test` (tests, examples, benches) lives in model.py: the context ranks them last too
def is_public(node: Node, owner: Node | None = None) -> bool:
    """Part of the public API, as each language says it: Rust `pub` (trait members follow their trait), Java
    `public`/`protected` (interface members unless `private`), TypeScript `export` at the top level and members
    neither `private`, `protected` nor `#`-named, Python names without a leading underscore (dunders are public),
    Go capitalised names. A member is public only if its owner is."""
    lang = node.lang
    name = node.name
    visibility = node.visibility or ""
    in_trait = owner is not None and owner.kind is NodeKind.TRAIT
    if lang == "rust":
        own = (
            visibility == "pub"
            or (in_trait and node.kind is not NodeKind.GENERIC)
            or _implemented_trait(node.fqp) is not None
        )
    elif lang == "java":
        own = visibility in ("public", "protected") or (in_trait and visibility != "private")
    elif lang in ("typescript", "tsx", "javascript"):
        if owner is None:
            own = visibility == "export"
        else:
            own = visibility not in ("private", "protected") and not name.startswith("#")
    elif lang == "python":
        own = not name.startswith("_") or (name.startswith("__") and name.endswith("__"))
    elif lang == "go":
        own = name[:1].isupper()
    else:
        own = visibility != "private"
    return own and (owner is None or owner.kind is NodeKind.MODULE or is_public(owner))


Ids = tuple[bytes, ...]  # the nodes a line shows (a tuple: a frozenset of one id took 216 bytes a line)


def _union(lines: Iterable[Ids]) -> Ids:
    """The nodes of several lines, each once, in order."""
    return tuple(dict.fromkeys(node_id for ids in lines for node_id in ids))


@dataclass(slots=True)
class _Unit:
    module: Node
    node: Node  # the top-level item (a module line at `modules`)
    head: str  # its first line
    body: list[str]  # its other lines (members), in order
    ids: Ids  # the nodes the unit shows
    public: bool
    body_ids: list[Ids] = field(default_factory=list)  # per body line

    @property
    def cost(self) -> int:
        return len(self.head) + 1 + sum(len(line) + 1 for line in self.body)


class _View:
    def __init__(self, graph: Graph, level: str, include_tests: bool) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.level = level
        self.include_tests = include_tests
        self._owners: dict[bytes, bytes] | None = None

    def shown(self, node: Node, owner: Node | None) -> bool:
        if node.external or node.kind in (NodeKind.MODULE, NodeKind.GENERIC):
            return False
        if not self.include_tests and is_test(node):
            return False
        if self.level == "full":
            return True
        return is_public(node, owner)

    def modules(self, wanted: Iterable[str] | None) -> list[Node]:
        modules = sorted(
            (n for n in self.nodes.values() if n.kind is NodeKind.MODULE and not n.external),
            key=lambda n: (n.fqp, n.id),
        )
        if wanted is None:
            return modules
        wanted = [w.strip() for w in wanted if w and w.strip()]
        kept = []
        for module in modules:
            if any(module.fqp == w or _under(module.fqp, w) for w in wanted):
                kept.append(module)
        unknown = [w for w in wanted if not any(m.fqp == w or _under(m.fqp, w) for m in modules)]
        if unknown:
            from .targets import suggest

            hint = suggest(self.graph, unknown[0], frozenset({NodeKind.MODULE}))
            raise MapError(f"no module {unknown[0]!r} in the workspace" + (f"; did you mean {hint!r}?" if hint else ""))
        return kept

    def children(self, node: Node) -> list[Node]:
        kids = []
        for (kind, other), _edge in self.graph.out_edges.get(node.id, {}).items():
            if kind in _MEMBER_EDGES:
                child = self.nodes.get(other)
                if child is not None and child.kind is not NodeKind.MODULE:
                    kids.append(child)
        kids.sort(key=_position)
        return kids

    def units(self, modules: list[Node]) -> list[_Unit]:
        units: list[_Unit] = []
        for module in modules:
            items = [c for c in self.children(module) if self.shown(c, None)]
            if self.level == "modules":
                types = [c for c in items if c.kind in _TYPE_KINDS]
                if not types:
                    continue
                if not self.include_tests and is_test(module):
                    continue
                head = f"{module.fqp}: " + ", ".join(_dedupe(c.name for c in types))
                units.append(_Unit(module, module, head, [], tuple(c.id for c in types), True))
                continue
            entries = []
            for item, twins in _overloads(items):
                lines: list[str] = []
                ids: list[Ids] = []
                self._item(item, module.fqp, None, 1, lines, ids, set(), 1 + len(twins), twins)
                if lines:
                    entries.append((item, lines, ids))
            for item, lines, ids in _families(entries):
                units.append(_Unit(module, item, lines[0], lines[1:], _union(ids), is_public(item, None), ids[1:]))
        return units

    # ---- one item and its members ------------------------------------------------------------------------------

    def _item(
        self,
        node: Node,
        prefix: str,
        owner: Node | None,
        depth: int,
        lines: list[str],
        ids: list[Ids],
        seen: set[bytes],
        count: int = 1,
        twins: tuple[Node, ...] = (),
    ) -> None:
        if node.id in seen or depth > 5:
            return
        seen.add(node.id)
        indent = "  " * depth
        members = [m for m in self.children(node) if m.id not in seen]
        folded: dict[str, list[Node]] = {}  # trait (or supertype) -> members folded into the type's line
        shown: list[Node] = []
        special: list[str] = []
        overrides = self._overridden_names(node) if self.level == "api" else {}
        for member in members:
            trait = _implemented_trait(member.fqp)
            if trait is not None:
                folded.setdefault(trait, []).append(member)
            elif not self.shown(member, node):
                continue
            elif self.level == "api" and member.kind is NodeKind.FUNCTION and _overrides(member, overrides):
                folded.setdefault("", []).append(member)
            elif (
                self.level == "api"
                and member.lang == "python"
                and member.name.startswith("__")
                and member.name.endswith("__")
                and member.name != "__init__"
            ):
                special.append(member.name)
                seen.add(member.id)
            else:
                shown.append(member)
        sources = [node, *twins]
        relations = self._relations(sources, prefix, node)
        if special:
            relations.append("special " + ", ".join(_dedupe(special)))
        if "" in folded:
            relations.append("overrides " + ", ".join(_dedupe(m.name for m in folded[""])))
            seen.update(m.id for m in folded[""])
        signature = self._signature(node, bool(relations))
        if twins and node.kind is NodeKind.FUNCTION:
            # overloads: the first signature, then every other distinct one (`| or ...`); identical ones counted
            signature = _OVERLOAD_MARK.sub("", signature)
            variants = [
                s for s in _dedupe(_OVERLOAD_MARK.sub("", self._signature(t, False)) for t in twins) if s != signature
            ]
            if variants:
                relations.insert(0, "or " + ", ".join(_overload_text(signature, o, node.name) for o in variants))
                count = 1
        line = f"{indent}{node.kind.value} {signature}"
        if count > 1:
            line += f" ×{count}"
        if relations:
            line += " | " + "; ".join(relations)
        lines.append(line)
        ids.append((node.id, *(t.id for t in twins)))
        entries = []
        for member, others in _overloads(shown):
            sub_lines: list[str] = []
            sub_ids: list[Ids] = []
            self._item(member, prefix, node, depth + 1, sub_lines, sub_ids, seen, 1 + len(others), others)
            seen.update(m.id for m in others)
            if sub_lines:
                entries.append((member, sub_lines, sub_ids))
        for _member, sub_lines, sub_ids in _families(entries):
            lines.extend(sub_lines)
            ids.extend(sub_ids)
        # trait implementations: the trait's declaration shows the signatures; at `full`, what the members call
        for trait, group in sorted(folded.items()):
            if not trait:
                continue
            seen.update(m.id for m in group)
            if self.level == "full":
                calls = self._calls(group, prefix, group[0])
                if calls:
                    lines.append(f"{indent}  impl {_rel(trait, prefix)} | {calls}")
                    ids.append(tuple(m.id for m in group))

    def _signature(self, node: Node, has_relations: bool) -> str:
        text = compact_signature(node)
        if (node.kind in _TYPE_KINDS or node.kind is NodeKind.ASSOC_TYPE) and has_relations:
            text = _without_heritage(text, node)
        if self.level != "full":
            text = _without_modifiers(text, node.lang)
        return _terse(text, node)

    def _relations(self, sources: list[Node], prefix: str, owner: Node) -> list[str]:
        """`impl A, B; derives C; ext D; bound E` (and, at `full`, `calls ...`) for these nodes."""
        impl: set[str] = set()
        derived: set[str] = set()
        ext: set[str] = set()
        bound: set[str] = set()
        own = _own_type_prefixes(owner)
        for source in sources:
            for (kind, other), edge in self.graph.out_edges.get(source.id, {}).items():
                if kind not in ("IMPL", "EXTENDS", "BOUND_BY"):
                    continue
                target = self.nodes.get(other)
                if target is None or (not self.include_tests and not target.external and is_test(target)):
                    continue
                name = _short_member(target.fqp, prefix, own)
                if edge.resolution is Resolution.HEURISTIC:
                    name = "~" + name
                if kind == "IMPL":
                    (derived if edge.derived else impl).add(name)
                elif kind == "EXTENDS":
                    ext.add(name)
                else:
                    bound.add(name)
            # a type's generic parameters' bounds belong on its line too
        parts = []
        for word, names in (("impl", impl), ("derives", derived - impl), ("ext", ext), ("bound", bound)):
            if names:
                parts.append(f"{word} {_grouped(names)}")
        if self.level != "modules" and owner.kind in _TYPE_KINDS:
            # who implements or extends it: at `api` every type (private ones' lines are not at this level), at
            # `full` external types (`impl Log for Box<T>`: Box has no line of its own)
            by = set()
            for source in sources:
                for (kind, other), edge in self.graph.in_edges.get(source.id, {}).items():
                    sub = self.nodes.get(other)
                    if (
                        kind in ("IMPL", "EXTENDS")
                        and sub is not None
                        and (sub.external or self.level == "api")
                        and (sub.external or self.include_tests or not is_test(sub))
                    ):
                        by.add(
                            ("~" if edge.resolution is Resolution.HEURISTIC else "")
                            + _short_member(sub.fqp, prefix, ())
                        )
            if by:
                parts.append(f"by {_grouped(by)}")
        if self.level == "full":
            calls = self._calls(sources, prefix, owner)
            if calls:
                parts.append(calls)
        return parts

    def _calls(self, sources: list[Node], prefix: str, owner: Node) -> str:
        """`calls a, b, io::{read, write}, 12 in sync, ~guess`: grouped by the module of their target."""
        if self._owners is None:
            from .queries import module_owners

            self._owners = module_owners(self.graph)
        own = _own_type_prefixes(owner)
        by_module: dict[str, set[str]] = {}
        guesses: set[str] = set()
        for source in sources:
            for (kind, other), edge in self.graph.out_edges.get(source.id, {}).items():
                if kind != "CALLS":
                    continue
                target = self.nodes.get(other)
                if target is None:
                    continue
                if edge.resolution is Resolution.HEURISTIC:
                    guesses.add(target.name)
                    continue
                module_id = self._owners.get(other)
                module = self.nodes[module_id].fqp if module_id is not None else ""
                by_module.setdefault(module, set()).add(target.fqp)
        if not by_module and not guesses:
            return ""
        parts: list[str] = []
        for module in sorted(by_module, key=lambda m: (m != prefix, m)):
            targets = sorted(by_module[module])
            if module == prefix or not module:
                names = [_short_member(t, prefix, own) for t in targets]
                parts.extend(names[:MAX_SAME_MODULE_CALLS])
                if len(names) > MAX_SAME_MODULE_CALLS:
                    parts.append(f"+{len(names) - MAX_SAME_MODULE_CALLS}")
                continue
            where = _rel(module, prefix) if module != prefix else module
            sep = _separator(module)
            names = [t[len(module) + len(sep) :] if t.startswith(module + sep) else _rel(t, prefix) for t in targets]
            if len(names) > MAX_NAMED_PER_MODULE:
                parts.append(f"{len(names)} in {where}")
            elif len(names) == 1:
                parts.append(f"{where}{sep}{names[0]}")
            else:
                parts.append(f"{where}{sep}{{{', '.join(names)}}}")
        if guesses:
            shown = sorted(guesses)
            words = ["~" + g for g in shown[:MAX_GUESSES]]
            if len(shown) > MAX_GUESSES:
                words.append(f"~+{len(shown) - MAX_GUESSES}")
            parts.extend(words)
        return "calls " + ", ".join(parts)

    def _overridden_names(self, node: Node) -> dict[tuple[str, int], frozenset[str]]:
        """The methods a type's workspace supertypes (IMPL/EXTENDS, transitively) declare, by name and parameter
        count, with their signatures as the map writes them (`_restated`), and Java's `Object` methods (`*` and the
        type they return): a member restating one of those signatures says nothing the map does not show elsewhere."""
        if node.kind not in _TYPE_KINDS or node.lang == "rust":
            return {}
        names: dict[tuple[str, int], set[str]] = {}
        seen = {node.id}
        stack = [node.id]
        while stack:
            current = stack.pop()
            for (kind, other), _edge in self.graph.out_edges.get(current, {}).items():
                if kind not in ("IMPL", "EXTENDS") or other in seen:
                    continue
                seen.add(other)
                target = self.nodes.get(other)
                if target is None or target.external:
                    continue
                stack.append(other)
                for member in self.children(target):
                    if member.kind is NodeKind.FUNCTION and member.name not in (target.name, "__init__", "constructor"):
                        names.setdefault((member.name, _arity(member)), set()).add(_restated(member))
        out = {key: frozenset(texts) for key, texts in names.items() if key[0] != node.name}  # not constructors
        if node.lang == "java":
            for key, result in _JAVA_OBJECT_METHODS.items():
                out[key] = out.get(key, frozenset()) | {"*" + result}
        return out


def _signature_parts(text: str, name: str) -> tuple[str, str, str, str] | None:
    """(before the name, type parameters after it, the parameter list with its parentheses, after the list)."""
    at = text.find(name)
    if at == -1 or not name:
        return None
    start = text.find("(", at + len(name))
    if start == -1:
        return None
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return text[:at], text[at + len(name) : start], text[start : i + 1], text[i + 1 :]
    return None


def _overload_text(first: str, other: str, name: str) -> str:
    """Another overload as written after `or`: from where it differs from the first (`(Runnable task)`,
    `<T> T[] (T[] a)`: the name dropped, what precedes it and what follows the parameter list only when they
    differ), or whole when a part the first has is missing."""
    a, b = _signature_parts(first, name), _signature_parts(other, name)
    if a is None or b is None or (a[0].strip() and not b[0].strip()) or (a[3].strip() and not b[3].strip()):
        return other
    before = "" if b[0] == a[0] else b[0]
    after = "" if b[3] == a[3] else b[3]
    return (before + b[1] + b[2] + after).strip()


_OVERLOAD_MARK = re.compile(r"^@(?:typing\.)?overload\s+")
# Java's `Object` methods by name and parameter count, with the type each returns: a method restating one (same
# result type) folds into `overrides`, a covariant `clone()` keeps its own line (docs/map.md)
_JAVA_OBJECT_METHODS = {
    ("equals", 1): "boolean",
    ("hashCode", 0): "int",
    ("toString", 0): "String",
    ("clone", 0): "Object",
    ("finalize", 0): "void",
}
_NOT_RESTATED = frozenset(
    {
        "public",
        "protected",
        "private",
        "abstract",
        "default",
        "final",
        "synchronized",
        "native",
        "strictfp",
        "override",
        "export",
        "declare",
        "readonly",
    }
)


def _overrides(member: Node, overridden: dict[tuple[str, int], frozenset[str]]) -> bool:
    """A method restating a supertype's: same name, parameter count and signature as the map writes it (a
    covariant return or other parameter types are shown), not static (Java statics hide); Java's `Object`
    methods by name, count and result type (`boolean equals(Object o)`, whatever the parameter's name)."""
    if not overridden or (member.lang == "java" and " static " in f" {member.signature} "):
        return False
    texts = overridden.get((member.name, _arity(member)))
    if not texts:
        return False
    if _restated(member) in texts:
        return True
    results = {text[1:] for text in texts if text.startswith("*")}
    if not results:
        return False
    parts = _signature_parts(_terse(compact_signature(member), member), member.name)
    before = parts[0].split() if parts else []
    return bool(before) and before[-1] in results


def _restated(node: Node) -> str:
    """A method's signature as the map writes it, without modifiers and annotations: two methods restate each
    other when these are equal."""
    text = _terse(compact_signature(node), node)
    text = re.sub(r"@[\w.]+(\([^)]*\))?\s*", "", text)
    return " ".join(
        w for w in text.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split() if w not in _NOT_RESTATED
    )


def _arity(node: Node) -> int:
    """The number of parameters a signature declares (Python's `self`/`cls` not counted)."""
    text = node.signature or ""
    start = text.find("(", max(0, text.find(node.name)))
    if start == -1:
        return 0
    depth, end = 0, len(text)
    for i in range(start, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                end = i
                break
    params = [p.strip() for p in _split_depth0(text[start + 1 : end])]
    if node.lang == "python" and params and params[0].split(":")[0].strip() in ("self", "cls"):
        params = params[1:]
    return len(params)


def _overloads(items: list[Node]) -> list[tuple[Node, tuple[Node, ...]]]:
    """Functions of one name (Java overloads, TypeScript overload signatures) as one entry: the first, and the
    others; other items alone. In the order of the first of each."""
    groups: dict[tuple, list[Node]] = {}
    for item in items:
        key = ("F", item.name) if item.kind is NodeKind.FUNCTION else (item.kind.value, item.id)
        groups.setdefault(key, []).append(item)
    return [(group[0], tuple(group[1:])) for group in groups.values()]


FAMILY_MIN = 4
_CAMEL = re.compile(r"(?<![\w$])([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*)(?![\w$])")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _families(entries: list[tuple[Node, list[str], list]]) -> list[tuple[Node, list[str], list]]:
    """Generated-looking families of one-line functions (`visit_abi_mut(&mut self, i: &mut Abi)`, one per type;
    `isArrayBuffer(body: any): body is ArrayBuffer`) written once as a template: `visit_{x}_mut(&mut self, i: &mut
    {X}) for X in Abi, Arm, ...` (`{x}` is X in the case style of the function's name). Lossless; at least
    FAMILY_MIN members, in the order of the first."""
    templates: dict[str, list[int]] = {}
    keyed: list[tuple[str, str] | None] = []
    for index, (node, lines, _ids) in enumerate(entries):
        template = _template(node, lines[0]) if len(lines) == 1 and node.kind is NodeKind.FUNCTION else None
        keyed.append(template)
        if template is not None:
            templates.setdefault(template[0], []).append(index)
    folded: dict[int, list[int]] = {}
    for members in templates.values():
        if len(members) >= FAMILY_MIN:
            folded[members[0]] = members
    skip = {i for members in folded.values() for i in members[1:]}
    out = []
    for index, entry in enumerate(entries):
        if index in skip:
            continue
        family = folded.get(index)
        if family is None:
            out.append(entry)
            continue
        names = ", ".join(key[1] for i in family if (key := keyed[i]) is not None)
        ids = _union(entries[i][2][0] for i in family)
        template = keyed[index]
        assert template is not None  # a family's first member has its template
        out.append((entry[0], [f"{template[0]} for X in {names}"], [ids]))
    return out


def _template(node: Node, line: str) -> tuple[str, str] | None:
    """(the line with the type its name is made from replaced by {X}, and by {x} in the name; that type)."""
    name = node.name
    at = line.find(name)
    if at == -1 or len(name) < 4:
        return None
    words = [w.lower() for w in _WORDS.findall(name)]
    rest = line[at + len(name) :]
    candidates = sorted(set(_CAMEL.findall(rest)), key=lambda t: (-len(t), t))
    for type_name in candidates:
        type_words = [w.lower() for w in _WORDS.findall(type_name)]
        k = len(type_words)
        for i in range(len(words) - k + 1):
            if words[i : i + k] != type_words:
                continue
            spelled = _spelled(name, i, k)
            if spelled is None:
                return None
            start, end = spelled
            placeholder = "{X}" if name[start : start + 1].isupper() else "{x}"
            new_name = name[:start] + placeholder + name[end:]
            new_rest = re.sub(rf"(?<![\w$]){re.escape(type_name)}(?![\w$])", "{X}", rest)
            return line[:at] + new_name + new_rest, type_name
    return None


def _spelled(name: str, first: int, count: int) -> tuple[int, int] | None:
    """Where words first..first+count of a name stand in it (character offsets)."""
    spans = [m.span() for m in _WORDS.finditer(name)]
    if first + count > len(spans):
        return None
    return spans[first][0], spans[first + count - 1][1]


# ---- ranking and packing ----------------------------------------------------------------------------------------


def _pagerank(graph: Graph, focus: set[bytes]) -> dict[bytes, float]:
    """PageRank over the workspace's nodes: dependency edges point from user to used (IMPL, EXTENDS and BOUND_BY
    weigh most, heuristic edges little), members point to their owners. With a focus the walk restarts at the focus
    and follows edges both ways (what the focus uses and what uses it).

    The links are three flat arrays sorted by source (rust-500k: 2 MB, where a list of (target, weight) tuples per
    node took 16 MB), summed in the same order as a per-node walk, so the scores are exact and stable."""
    nodes = graph.nodes
    ids = sorted(i for i, n in nodes.items() if not n.external and n.kind is not NodeKind.MODULE)
    n = len(ids)
    if not n:
        return {}
    index = {node_id: i for i, node_id in enumerate(ids)}
    # (source, target, weight) in the order found; a stable sort by source keeps each source's links in that order
    sources, targets, weights = array("i"), array("i"), array("d")

    def link(source: int, target: int, weight: float) -> None:
        sources.append(source)
        targets.append(target)
        weights.append(weight)

    symmetric = bool(focus)
    for i, node_id in enumerate(ids):
        for (kind, other), edge in graph.out_edges.get(node_id, {}).items():
            j = index.get(other)
            if j is None or j == i:
                continue
            if kind in _MEMBER_EDGES:
                link(j, i, 0.5)  # member -> owner
                if symmetric:
                    link(i, j, 0.5)
                continue
            weight = _RANK_WEIGHTS.get(kind)
            if weight is None:
                continue
            if edge.resolution is Resolution.HEURISTIC:
                weight *= 0.2
            link(i, j, weight)
            if symmetric:
                link(j, i, weight * 0.5)
    seeds = [index[i] for i in sorted(focus) if i in index]
    del index
    # a counting sort by source (stable), into arrays of the same size
    starts = array("i", bytes(4 * (n + 1)))
    for i in sources:
        starts[i + 1] += 1
    for i in range(n):
        starts[i + 1] += starts[i]
    place = array("i", starts)
    by_source, to, weight_of = array("i", sources), array("i", targets), array("d", weights)
    for i, j, weight in zip(sources, targets, weights):
        k = place[i]
        place[i] = k + 1
        by_source[k], to[k], weight_of[k] = i, j, weight
    sources, targets, weights = by_source, to, weight_of
    del place, by_source, to, weight_of
    totals = [sum(weights[starts[i] : starts[i + 1]]) for i in range(n)]
    restart = [0.0] * n
    if seeds:
        for s in seeds:
            restart[s] = 1.0 / len(seeds)
    else:
        restart = [1.0 / n] * n
    dangling_ids = [i for i in range(n) if not totals[i]]
    restarts = [(i, r) for i, r in enumerate(restart) if r]
    score = list(restart)
    for _ in range(PAGERANK_ITERATIONS):
        following = [(1 - DAMPING) * r for r in restart]
        share = [DAMPING * mass / total if total else 0.0 for mass, total in zip(score, totals)]
        for i, j, weight in zip(sources, targets, weights):
            following[j] += share[i] * weight
        dangling = 0.0
        for i in dangling_ids:
            dangling += score[i]
        if dangling:
            for i, r in restarts:
                following[i] += DAMPING * dangling * r
        score = following
    return {node_id: round(score[i], 12) for i, node_id in enumerate(ids)}


def _pack(units: list[_Unit], view: _View, scores: dict[bytes, float], focus: set[bytes], budget: int) -> set[int]:
    """Indices of the units to show, each unit's body cut to the lines taken (with `(+N more)` where some of a
    line's members are left out). Focused lines first, public before private; within those, every line (a type
    with its relations, a function with its signature, a member) by what it is worth per character: the facts it
    states (relations, types its signature names) weighted by rank; a member only with the lines it sits under.
    Ties in rank order (each trait followed by its implementors). Taken while they fit."""

    def unit_score(unit: _Unit) -> float:
        if view.level == "modules":
            return sum(scores.get(i, 0.0) for i in unit.ids)
        return scores.get(unit.node.id, 0.0)

    def priority(i: int) -> tuple:
        unit = units[i]
        return (
            0 if not focus.isdisjoint(unit.ids) else 1,
            0 if unit.public else 1,
            -unit_score(unit),
            unit.module.fqp,
            _position(unit.node),
        )

    order = sorted(range(len(units)), key=priority)
    # each trait is followed by its implementors
    by_node = {u.node.id: i for i, u in enumerate(units)}
    placed: set[int] = set()
    sequence: list[int] = []
    for i in order:
        if i in placed:
            continue
        placed.add(i)
        sequence.append(i)
        if units[i].node.kind is NodeKind.TRAIT and view.level != "modules":
            implementors = sorted(
                (
                    by_node[e.src]
                    for e in view.graph.predecessors(units[i].node.id, (EdgeKind.IMPL, EdgeKind.EXTENDS))
                    if e.src in by_node and by_node[e.src] not in placed
                ),
                key=priority,
            )
            for j in implementors[:MAX_TOGETHER]:
                placed.add(j)
                sequence.append(j)
    room = budget * 4 - len(_omission_note(10**6, 10**5, budget, view.level)) - 8
    chosen: set[int] = set()
    if view.level == "modules":
        used = 0
        for i in sequence:
            cost = len(units[i].head) + 1
            if used + cost <= room:
                used += cost
                chosen.add(i)
        return chosen
    rank = {i: n for n, i in enumerate(sequence)}
    mean = 1.0 / max(1, len(scores))

    def value(ids: Ids, cost: int) -> float:
        """What a line is worth per character: the facts it states (its relations and the types its signature
        names), weighted by how referenced its items are."""
        facts = 0
        weight = 0.0
        for x in ids:
            facts += sum(1 for (kind, _o) in view.graph.out_edges.get(x, {}) if kind in _FACT_KINDS)
            if view.level == "api":  # the `by` list of a type
                facts += sum(1 for (kind, _o) in view.graph.in_edges.get(x, {}) if kind in ("IMPL", "EXTENDS"))
            weight = max(weight, scores.get(x, 0.0) / mean)
        return (1 + facts) * math.sqrt(1 + weight) / cost

    # one flat tuple per line (its rank, then the unit and line: rank[i] and k already make each key unique, so the
    # order is that of the key alone); the tree of a unit's lines is built when a line of it is first weighed
    candidates: list[tuple] = []
    for i, unit in enumerate(units):
        focused = 0 if not focus.isdisjoint(unit.ids) else 1
        public = 0 if unit.public else 1
        candidates.append((focused, public, 1, -value((unit.node.id,), len(unit.head) + 1), rank[i], -1, i))
        for k, line in enumerate(unit.body):
            ids = unit.body_ids[k]
            line_public = public or int(not any(is_public(view.nodes[x], unit.node) for x in ids if x in view.nodes))
            candidates.append(
                (0 if not focus.isdisjoint(ids) else 1, line_public, 1, -value(ids, len(line) + 1), rank[i], k, i)
            )
    candidates.sort()
    taken: dict[int, set[int]] = {}
    reserved: dict[tuple[int, int], int] = {}  # (unit, line) -> characters kept for its `(+N more)` note
    parents: dict[int, list[int]] = {}
    children: dict[int, dict[int, list[int]]] = {}
    used = 0
    opened: set[bytes] = set()
    for *_key, k, i in candidates:
        unit = units[i]
        if i not in parents:
            parents[i] = _parents(unit.body)
            children[i] = _children(parents[i])
        lines = taken.get(i, set())
        if k in lines:
            continue
        chain = []
        j = k
        while j not in lines:
            chain.append(j)
            if j == -1:
                break
            j = parents[i][j]
        cost = sum(len(unit.head if j == -1 else unit.body[j]) + 1 for j in chain)
        if unit.module.id not in opened:
            cost += len(unit.module.fqp) + 1
        after = lines | set(chain)
        notes: dict[tuple[int, int], int] = {}
        for j in set(chain) | {parents[i][c] for c in chain if c != -1}:
            kids = children[i].get(j, ())
            left = sum(1 for c in kids if c not in after)
            if left:
                notes[(i, j)] = _note_reserve(unit, j, left)
        change = sum(notes.values()) - sum(
            reserved.get((i, j), 0)
            for j in set(chain) | {parents[i][c] for c in chain if c != -1}
            if (i, j) in reserved
        )
        if used + cost + change > room:
            continue
        used += cost + change
        for j in set(chain) | {parents[i][c] for c in chain if c != -1}:
            reserved.pop((i, j), None)
        reserved.update(notes)
        taken[i] = after
        opened.add(unit.module.id)
    for i, lines in taken.items():
        chosen.add(i)
        unit = units[i]
        if len(lines) - 1 == len(unit.body):
            continue
        unit.body = _cut_body(unit.body, lines, parents[i], children[i])
    return chosen


def _parents(body: list[str]) -> list[int]:
    """For each line of a unit's body, the index of the line it sits under (-1: the unit's first line)."""
    out: list[int] = []
    stack: list[tuple[int, int]] = []  # (indent, index)
    for k, line in enumerate(body):
        indent = len(line) - len(line.lstrip(" "))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        out.append(stack[-1][1] if stack else -1)
        stack.append((indent, k))
    return out


def _children(parents: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for k, parent in enumerate(parents):
        out.setdefault(parent, []).append(k)
    return out


def _note_reserve(unit: _Unit, j: int, left: int) -> int:
    """The characters of the `(+N more)` line under line j of a unit (-1: its first line)."""
    line = unit.head if j == -1 else unit.body[j]
    indent = len(line) - len(line.lstrip(" ")) + 2
    return indent + len(f"(+{left} more)") + 1


def _cut_body(body: list[str], lines: set[int], parents: list[int], children: dict[int, list[int]]) -> list[str]:
    """The lines taken, in order, each line with members left out followed (after its members taken) by
    `(+N more)`: N of its own members left out."""
    end: dict[int, int] = {}  # line -> the last index of its subtree
    for k in range(len(body) - 1, -1, -1):
        end.setdefault(k, k)
        parent = parents[k]
        while parent != -1 and end.get(parent, -1) < end[k]:
            end[parent] = end[k]
            parent = parents[parent]
    notes_at: dict[int, list[tuple[int, str]]] = {}
    for j in sorted(j for j in lines if children.get(j)):
        left = sum(1 for c in children[j] if c not in lines)
        if not left:
            continue
        first = body[children[j][0]]
        indent = first[: len(first) - len(first.lstrip(" "))]
        at = len(body) - 1 if j == -1 else end[j]
        notes_at.setdefault(at, []).append((j, f"{indent}(+{left} more)"))
    out = []
    for k, line in enumerate(body):
        if k in lines:
            out.append(line)
        for _j, note in sorted(notes_at.get(k, ()), key=lambda n: -n[0]):
            out.append(note)
    return out


_FACT_KINDS = frozenset({"ACCEPTS", "RETURNS", "IMPL", "EXTENDS", "BOUND_BY"})


def _write(units: list[_Unit], chosen: set[int], view: _View) -> str:
    lines: list[str] = []
    current = None
    for i, unit in enumerate(units):
        if i not in chosen:
            continue
        if view.level != "modules" and unit.module.id != current:
            lines.append(unit.module.fqp)
            current = unit.module.id
        lines.append(unit.head)
        lines.extend(unit.body)
    return "\n".join(lines) + ("\n" if lines else "")


# ---- focus ------------------------------------------------------------------------------------------------------


def _focus_ids(graph: Graph, focus: list[str]) -> set[bytes]:
    """The nodes a focus names: every node of a workspace-relative file, the nodes of a target (FQP, name,
    `Type::member`) or of a `find ...` query, with their members."""
    from . import queries

    found: set[bytes] = set()
    for entry in focus:
        text = entry.strip()
        path = text.replace("\\", "/").removeprefix("./")
        if path in graph.files:
            found.update(n.id for n in graph.nodes_in_file(path))
            continue
        hits: list[Node] = []
        if text.lower().startswith("find "):
            from .querylang import QueryLanguageError, parse
            from .querylang.execute import find_nodes
            from .querylang.syntax import Find

            try:
                query = parse(text)
                if not isinstance(query.command, Find):
                    raise MapError(f"focus {text!r}: not a find query")
                hits, _h, _e, _r = find_nodes(graph, query.command, True, queries.Deadline(2000.0))
            except (QueryLanguageError, queries.QueryError, AttributeError) as error:
                raise MapError(f"focus {text!r}: {error}") from None
        else:
            from .targets import TargetError, resolve_targets

            try:
                hits = resolve_targets(graph, text, deadline=queries.Deadline(2000.0)).nodes
            except TargetError as error:
                if error.code == "ambiguous":
                    raise MapError(f"focus {text!r}: {error}") from None
                raise MapError(f"focus {text!r} names no file or node of the workspace ({error})") from None
        if not hits:
            raise MapError(f"focus {text!r} names no file or node of the workspace")
        for node in hits:
            found.add(node.id)
            for edge in graph.successors(node.id, (EdgeKind.CONTAINS, EdgeKind.DEFINES)):
                found.add(edge.dst)
    return found


# ---- text helpers -----------------------------------------------------------------------------------------------


def _under(fqp: str, prefix: str) -> bool:
    return any(fqp.startswith(prefix + sep) for sep in ("::", ".", "/"))


def _separator(module: str) -> str:
    return "." if "." in module and "::" not in module and "/" not in module else "::"


def _dedupe(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _grouped(names: Iterable[str]) -> str:
    """A relation list, every name kept (each one is a fact), names sharing a module or type written once with
    their common prefix: `data::{Build, DataMap}, visit::Data, Clone`."""
    groups: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        cut = -1 if name.startswith("~") or "<" in name else max(name.rfind("::"), name.rfind("."))
        if cut > 0:
            sep = 2 if name.startswith("::", cut) else 1
            groups.setdefault(name[: cut + sep], []).append(name[cut + sep :])
        else:
            groups.setdefault("", []).append(name)
    parts = []
    for prefix in sorted(groups):
        rest = groups[prefix]
        if not prefix:
            parts.extend(rest)
        elif len(rest) == 1:
            parts.append(prefix + rest[0])
        else:
            parts.append(prefix + "{" + ", ".join(rest) + "}")
    return ", ".join(parts)


def _own_type_prefixes(owner: Node | None) -> tuple[str, ...]:
    """A member's own type as a prefix (`a::T::` for `a::T::m` and `<a::T as b::Tr>::m`)."""
    if owner is None:
        return ()
    fqp = owner.fqp
    if fqp.startswith("<") and " as " in fqp:
        fqp = fqp[1 : fqp.find(" as ")] + "::x"
    elif owner.kind in _TYPE_KINDS:
        return (fqp + "::", fqp + ".")
    for sep in ("::", "."):
        cut = fqp.rfind(sep)
        if cut > 0:
            return (fqp[: cut + len(sep)],)
    return ()


def _short_member(fqp: str, module: str, own_type: tuple[str, ...]) -> str:
    for prefix in own_type:
        if fqp.startswith(prefix) and len(fqp) > len(prefix):
            return fqp[len(prefix) :]
    return _rel(fqp, module)


def _rel(fqp: str, module: str) -> str:
    """An FQP as seen from a module: `export._short`, and for modules named by paths (TypeScript), the folders
    both share dropped (`effect/src/Equal::Equal` from `effect/src/Chunk` is `Equal::Equal`)."""
    short = _short(fqp, module)
    if "/" in module and "/" in short:
        cut = module.rfind("/") + 1
        folder = module[:cut]
        while folder and not short.startswith(folder):
            folder = folder[: folder.rstrip("/").rfind("/") + 1]
        if folder:
            short = short[len(folder) :]
    return short


_MODIFIERS = {
    "rust": frozenset({"pub"}),
    "java": frozenset({"public", "protected", "final", "synchronized", "native", "strictfp", "transient", "volatile"}),
    "typescript": frozenset({"export", "public", "declare"}),
    "tsx": frozenset({"export", "public", "declare"}),
    "javascript": frozenset({"export", "public", "declare"}),
}


def _without_modifiers(text: str, lang: str) -> str:
    """At `api` and `modules` everything shown is public: visibility words say nothing; Java's `final` and
    `synchronized` say nothing a caller needs."""
    words = _MODIFIERS.get(lang)
    if not words:
        return text
    parts = text.split(" ")
    i = 0
    while i < len(parts) - 1 and (parts[i] in words or (lang == "java" and parts[i].startswith("@"))):
        i += 1
    return " ".join(parts[i:])


_LIFETIME_PARAM = re.compile(
    r"<\s*'\w+\s*(?::\s*'\w+\s*)?>|'\w+\s*(:\s*'\w+(\s*\+\s*'\w+)*)?\s*,\s*"
    r"|,\s*'\w+\b(?!')|<\s*'\w+\s*>"
)
_LIFETIME_REF = re.compile(r"&'\w+\s+|\s*\+\s*'\w+\b|'\w+\s*\+\s*|'_\s*,\s*|<'_>")
_PY_TYPING = re.compile(r"\b(?:t|typing|te|typing_extensions|tx)\.(?=[A-Za-z_])")
_PY_NOISE = re.compile(r"\s*->\s*None$|#\s*(?:noqa|type:\s*ignore|pragma)[^ ]*(?:\s+[A-Z]+\d+,?)*")
_PY_QUOTED = re.compile(r"[\"']([A-Za-z_][\w.]*(?:\[[\w., \[\]|]*\])?)[\"']")
_TS_ARROW_CONST = re.compile(r"^(?:async\s+)?const\s+([\w$]+)\s*=\s*(?:async\s+)?(.*?)\s*=>$")
_TS_TYPED_CONST = re.compile(r"^const\s+([\w$]+)\s*:\s*(.*?)\s*=\s*[^=].*$")


def _terse(text: str, node: Node) -> str:
    """What a signature says twice or says nothing with: Rust lifetimes; Python's `typing.`/`t.` prefixes, `->
    None` and lint comments; TypeScript's `const f = (...) =>` arrow form (written as `f(...)`)."""
    lang = node.lang
    if lang == "rust" and "'" in text:
        text = _LIFETIME_REF.sub(lambda m: "&" if m.group(0).startswith("&") else "", text)
        text = _LIFETIME_PARAM.sub("", text)
        text = " ".join(text.replace("<>", "").split())
    elif lang == "python":
        text = " ".join(_PY_NOISE.sub("", _PY_TYPING.sub("", text)).split())
        text = _PY_QUOTED.sub(r"\1", text)
    elif lang in ("typescript", "tsx", "javascript") and text.startswith(("const ", "async const ")):
        match = _TS_ARROW_CONST.match(text)
        if match:
            text = match.group(1) + match.group(2)
        else:
            match = _TS_TYPED_CONST.match(text)
            if match:
                text = f"{match.group(1)}: {match.group(2)}"
    if lang in ("typescript", "tsx", "javascript"):
        text = _cap_type_text(text, node)
    return text


TS_TYPE_CAP = 60


def _cap_type_text(text: str, node: Node) -> str:
    """TypeScript's type-level programs (conditional and mapped types in aliases, return types and parameters) cut
    to TS_TYPE_CAP characters with `…`: the map names the types; `isg-lsp context` shows the rest."""
    if node.kind is NodeKind.ASSOC_TYPE:
        cut = _depth0_find(text, " = ")
        if cut != -1 and len(text) - cut - 3 > TS_TYPE_CAP:
            return text[: cut + 3 + TS_TYPE_CAP].rstrip() + "…"
        return text
    if node.kind is not NodeKind.FUNCTION:
        return text
    start = _depth0_find(text, "(")
    if start == -1:
        return text
    depth, end = 0, -1
    for i in range(start, len(text)):
        if text[i] in "([{<":
            depth += 1
        elif text[i] in ")]}>" and not (text[i] == ">" and text[i - 1] == "="):
            depth -= 1
            if depth == 0:
                end = i
                break
    if end == -1:
        return text
    params = [p.strip() for p in _split_depth0(text[start + 1 : end])]
    params = [p if len(p) <= TS_TYPE_CAP else p[:TS_TYPE_CAP].rstrip() + "…" for p in params]
    rest = text[end + 1 :]
    if len(rest) > TS_TYPE_CAP + 2:
        rest = rest[: TS_TYPE_CAP + 2].rstrip() + "…"
    return text[: start + 1] + ", ".join(params) + ")" + rest


def _depth0_find(text: str, needle: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        if depth == 0 and text.startswith(needle, i):
            return i
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>" and not (ch == ">" and text[i - 1 : i] == "="):
            depth = max(0, depth - 1)
    return -1


def _split_depth0(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>" and not (ch == ">" and text[i - 1 : i] == "="):
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current or parts:
        parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _without_heritage(text: str, node: Node) -> str:
    """A type's supertypes as written (`extends A implements B`, `(Base)`, `: Super`) when its relations say them
    resolved: cut at depth 0 after the name and its type parameters."""
    lang = node.lang
    depth = 0
    start = text.find(node.name)
    if start == -1:
        return text
    i = start + len(node.name)
    while i < len(text):
        ch = text[i]
        if text.startswith("::", i):
            i += 2
            continue
        if ch in "<([{":
            if depth == 0 and ch == "(" and lang == "python":
                return text[:i].rstrip()
            depth += 1
        elif ch in ">)]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            if lang in ("java", "typescript", "tsx", "javascript") and (
                text.startswith(" extends ", i) or text.startswith(" implements ", i)
            ):
                return text[:i].rstrip()
            if lang == "rust" and ch == ":" and node.kind in (NodeKind.TRAIT, NodeKind.ASSOC_TYPE):
                return text[:i].rstrip()
        i += 1
    return text


__all__ = [
    "LEVELS",
    "DEFAULT_LEVEL",
    "DEFAULT_SHARE",
    "MapError",
    "MapResult",
    "render_map",
    "default_map",
    "default_budget",
    "map_tokens_by_level",
    "is_test",
    "is_public",
]
