"""Target resolution: what a target written by a user names, for every entry point (the query language, the `isg/*`
requests, the CLI, the MCP tools, the map's focus).

``resolve_targets(graph, text, role)`` accepts, in this order:

1. a SigHash (32 hex digits);
2. a glob (`demo::*`, `*Handler`), matched against FQPs and names;
3. an FQP of a workspace node (its definition path);
4. a public path that reaches a definition through re-exports (`serde::Serialize` is `serde::ser::Serialize`,
   `click.Command` is `click.core.Command`): the languages' own lookups (``Graph.path_lookup``);
5. the FQP of an external node (`std::fmt::Display`);
6. a member written `Type::member` or `Type.member`, the type named by any of these forms (`Router::route`,
   `axum::Router::route`, `Circle::area` for `<demo::Circle as demo::Shape>::area`);
7. a partial path: the FQPs that end with it (`shapes::Circle`);
8. a bare name: the workspace's declarations of that name and the external nodes whose last segment it is
   (`Service` names every external `Service` a workspace type implements).

The candidates are grouped by symbol (one FQP: Java overloads are one symbol). A ``role`` keeps the candidates a
question can be about (traits and trait methods for who-implements, functions for callers) when some fit, and says
how many others it set aside. More than ``MAX_SYMBOLS`` symbols for a name or a partial path is a ``TargetError``
that lists some and asks to choose; a target that names nothing is a ``TargetError`` with a suggestion. Every answer
states what its target resolved to (``Targets.statement``).
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import patterns
from .graph import Graph
from .model import EdgeKind, Node, NodeKind

MAX_SYMBOLS = 12  # more symbols than this for a name: ask to choose
MAX_GLOB = 10_000
ROLES = ("any", "implementable", "callable", "module", "type")
ROLE_WORDS = {
    "implementable": "traits, interfaces, classes or trait methods",
    "callable": "functions or methods",
    "module": "modules or packages",
    "type": "types",
}
TYPE_KINDS = frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.ASSOC_TYPE})
# Rust's prelude and the other names a Rust file uses without a path (the graph keeps them as bare externals)
RUST_STD_NAMES = frozenset(
    "Box Option Some None Result Ok Err String Vec ToString ToOwned Clone Copy Send Sync Sized Unpin Drop Fn FnMut "
    "FnOnce Default Debug Display Eq PartialEq Ord PartialOrd Hash Iterator IntoIterator DoubleEndedIterator "
    "ExactSizeIterator Extend FromIterator AsRef AsMut Into From TryFrom TryInto std core alloc".split()
)
PYTHON_BUILTINS = frozenset(
    "list dict set frozenset tuple type object int float str bytes bool complex Exception BaseException "
    "ValueError TypeError KeyError IndexError RuntimeError callable iter len".split()
)


class _Deadline(Protocol):
    def check(self) -> None: ...


class _NoDeadline:
    def check(self) -> None:
        pass


class TargetError(ValueError):
    """A target that names nothing, or too many things: the message says which, ``hint`` what to write instead
    (``code``: ``unknown-target``, ``ambiguous``, ``empty`` or ``too-complex``; ``suggestion``: a close FQP, if any)."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        code: str = "unknown-target",
        text: str = "",
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.hint = hint
        self.code = code
        self.text = text
        self.suggestion = suggestion
        super().__init__(message + (f"; {hint}" if hint else ""))


@dataclass(frozen=True)
class Symbol:
    """The nodes of one FQP (Java overloads, cfg'd twins): one symbol for the user."""

    fqp: str
    nodes: tuple[Node, ...]

    @property
    def node(self) -> Node:
        return self.nodes[0]

    @property
    def external(self) -> bool:
        return all(n.external for n in self.nodes)

    def describe(self) -> str:
        """`serde::ser::Serialize (trait, src/ser/mod.rs:217)`, `Service (external trait, from tower_service)`."""
        node = self.node
        kind = node.kind.long_name.replace("_", " ")
        if self.external:
            origin = origin_of(node)
            return f"{self.fqp} (external {kind}" + (f", from {origin})" if origin else ", path unknown)")
        where = f", {node.file}:{node.span[0] + 1}" if node.file and node.span else ""
        more = f", {len(self.nodes)} declarations" if len(self.nodes) > 1 else ""
        return f"{self.fqp} ({kind}{where}{more})"

    def to_json(self) -> dict[str, Any]:
        node = self.node
        data: dict[str, Any] = {
            "fqp": self.fqp,
            "kind": node.kind.value,
            "external": self.external,
            "file": node.file,
            "line": node.span[0] + 1 if node.span else None,
            "ids": [n.id.hex() for n in self.nodes],
        }
        if self.external:
            data["from"] = origin_of(node)
        return data


@dataclass(frozen=True)
class Targets:
    """What a target's text resolved to: its symbols, how (``how``: `id`, `glob`, `fqp`, `public path`,
    `external fqp`, `member`, `partial path`, `name`), and how many candidates the role set aside."""

    text: str
    how: str
    symbols: tuple[Symbol, ...]
    role: str = "any"
    set_aside: tuple[Symbol, ...] = field(default_factory=tuple)
    fits: bool = True  # False: nothing the text names is what the role asks for (the answer is empty, and says why)

    @property
    def nodes(self) -> list[Node]:
        return [n for s in self.symbols for n in s.nodes]

    @classmethod
    def of_nodes(cls, text: str, nodes: Iterable[Node], how: str) -> Targets:
        """Targets named otherwise than by text (an id, a position)."""
        return cls(text, how, tuple(_group(nodes)))

    def statement(self) -> str:
        """One line saying what the text names: `Serialize names 2 symbols: a (trait, ...); b (...)`."""
        symbols = self.symbols
        shown = "; ".join(s.describe() for s in symbols[:MAX_SYMBOLS])
        if len(symbols) > MAX_SYMBOLS:
            shown += f"; ... ({len(symbols) - MAX_SYMBOLS} more)"
        if len(symbols) == 1:
            if self.how in ("fqp", "id", "position") or symbols[0].fqp == self.text:
                line = shown
            elif self.how == "public path":
                line = f"{self.text} = {shown} (a public path)"
            else:
                line = f"{self.text} = {shown}"
        else:
            line = f"{self.text!r} names {len(symbols)} symbols: {shown}"
        if self.set_aside:
            n = len(self.set_aside)
            line += (
                f" ({n} other symbol{'s' if n > 1 else ''} of that name, not {ROLE_WORDS.get(self.role, self.role)},"
                f" left out: {', '.join(s.fqp for s in self.set_aside[:3])}{' ...' if n > 3 else ''})"
            )
        return line

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "how": self.how,
            "symbols": [s.to_json() for s in self.symbols],
            "statement": self.statement(),
        }
        if self.set_aside:
            data["setAside"] = [s.fqp for s in self.set_aside]
        return data


def resolve_targets(
    graph: Graph,
    text: str,
    role: str = "any",
    deadline: _Deadline | None = None,
    max_symbols: int = MAX_SYMBOLS,
) -> Targets:
    """The symbols a target names (see the module's docstring). Raises ``TargetError``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    check = (deadline or _NoDeadline()).check
    text = (text or "").strip()
    if not text:
        raise TargetError("the target is empty", _FORMS_HINT, "empty")
    how, nodes = _candidates(graph, text, check)
    if not nodes:
        close = suggest(graph, text)
        hint = f"did you mean {close}?" if close else _FORMS_HINT
        raise TargetError(f"no node matches {text}", hint, "unknown-target", text, close)
    symbols = _group(nodes)
    kept: list[Symbol] = []
    aside: list[Symbol] = []
    for symbol in symbols:  # one pass: a membership test per symbol against `kept` was quadratic on `*`
        check()
        (kept if any(_fits(n, role, graph) for n in symbol.nodes) else aside).append(symbol)
    fits = bool(kept)
    if not kept:  # nothing fits the role: answer about what the text names (the answer says why it is empty)
        kept, aside = symbols, []
    if how not in ("glob", "id") and len(kept) > max_symbols:
        shown = ", ".join(s.fqp for s in kept[:6])
        raise TargetError(
            f"{text!r} names {len(kept)} symbols ({shown}, ...)",
            "give an FQP, or a partial path such as Type::name or module::Name; "
            "or ask 'find * where name = ...' to list them",
            "ambiguous",
            text,
        )
    return Targets(text, how, tuple(kept), role, tuple(aside), fits)


def origin_of(node: Node) -> str | None:
    """The crate, package or module an external node comes from, as far as its best known path tells."""
    fqp = node.fqp
    lang = node.lang
    if lang == "rust":
        if "::" in fqp:
            head = fqp.split("::", 1)[0]
            return head if head not in ("crate", "self", "super") else None
        return "std (prelude)" if fqp in RUST_STD_NAMES else None
    if lang == "python":
        if "." in fqp:
            return fqp.split(".", 1)[0]
        return "builtins" if fqp in PYTHON_BUILTINS else None
    if lang == "java":
        return fqp.rpartition(".")[0] or None
    if lang == "go":
        return fqp.rpartition(".")[0] or "builtin"
    if "::" in fqp:  # typescript, javascript: a module specifier
        return fqp.split("::", 1)[0]
    return "global" if fqp[:1].isupper() else None


def module_prefix(graph: Graph, text: str) -> str:
    """The FQP of the module a text names (an FQP, a public path, a name), for `in MODULE`; ``TargetError`` else."""
    text = (text or "").strip()
    if not text:
        raise TargetError("the module is empty", "give a module's FQP", "empty")
    if graph.fqp_index.get(text):
        return text
    try:
        found = resolve_targets(graph, text, "module", max_symbols=1_000)
    except TargetError:
        found = None
    modules = sorted(s.fqp for s in found.symbols if s.node.kind is NodeKind.MODULE) if found else []
    if modules:
        return modules[0]
    close = suggest(graph, text, frozenset({NodeKind.MODULE}))
    raise TargetError(
        f"no module matches {text!r}",
        f"did you mean {close!r}?" if close else "give the module's FQP ('find module' lists them)",
        "unknown-target",
        text,
        close,
    )


def suggest(graph: Graph, text: str, kinds: frozenset[NodeKind] | None = None) -> str | None:
    """The FQP of a declaration close to what was written: the same name in another case, else a close name;
    among several, those under the same first segment (crate, package) first, then the shortest."""
    written = text.replace("::", ".").replace("/", ".").split(".")
    last = written[-1].lstrip("<")
    head = written[0]
    names = [
        name
        for name, ids in graph.name_index.items()
        if kinds is None or any(graph.nodes[i].kind in kinds for i in ids if i in graph.nodes)
    ]
    lowered = [n for n in names if n.lower() == last.lower()]
    close = lowered or difflib.get_close_matches(last, names, n=3, cutoff=0.75)
    best: tuple[tuple[int, int, int, str], str] | None = None
    for rank, name in enumerate(close):
        for node_id in graph.name_index.get(name, ()):
            node = graph.nodes[node_id]
            if node.kind is NodeKind.GENERIC or (kinds is not None and node.kind not in kinds):
                continue
            same_root = node.fqp.replace("::", ".").replace("/", ".").split(".")[0] == head
            key = (rank, 0 if same_root else 1, len(node.fqp), node.fqp)
            if best is None or key < best[0]:
                best = (key, node.fqp)
    return best[1] if best else None


# ---- candidates -------------------------------------------------------------------------------------------------

_FORMS_HINT = (
    "give an FQP (crate::module::Type, package.Class.method), a public path, a name, Type::member, or a SigHash"
)
_SEPARATORS = ("::", ".")


def _candidates(graph: Graph, text: str, check: Any) -> tuple[str, list[Node]]:
    nodes = graph.nodes
    if len(text) == 32 and all(c in "0123456789abcdef" for c in text.lower()):
        node = nodes.get(bytes.fromhex(text))
        if node is not None:
            return "id", [node]
    if any(c in text for c in "*?["):
        try:
            matches = patterns.glob(text)  # linear, bounded (patterns.py): the text is untrusted
        except patterns.UnsafePattern as error:
            raise TargetError(str(error), "use a shorter pattern", "too-complex", text) from None
        hits = []
        for node in nodes.values():
            check()
            if matches(node.fqp) or matches(node.name):
                hits.append(node)
                if len(hits) > MAX_GLOB:
                    break
        return "glob", hits
    workspace = [nodes[i] for i in graph.fqp_index.get(text, ()) if i in nodes]
    if workspace:
        return "fqp", workspace
    separated = any(sep in text for sep in _SEPARATORS)
    if separated and not text.startswith("<"):
        found = _public_path(graph, text)
        if found:
            return "public path", found
    external = [nodes[i] for i in graph.external_fqp_index.get(text, ()) if i in nodes] if separated else []
    if external:
        return "external fqp", external
    if separated and not text.startswith("<"):
        found = _members(graph, text, check)
        if found:
            return "member", found
    if separated:
        found = _by_suffix(graph, text, check)
        if found:
            return "partial path", found
        return "fqp", []
    return "name", _by_name(graph, text, check)


_PUBLIC_PATHS: weakref.WeakKeyDictionary[Graph, tuple[int, dict[str, list[bytes]]]] = weakref.WeakKeyDictionary()


def _public_path(graph: Graph, text: str) -> list[Node]:
    """The nodes a public path names through re-exports (the languages' ``lookup_path``; a walk through globs that
    can take tens of milliseconds on a large crate: memoized per graph version)."""
    lookup = graph.path_lookup
    if lookup is None:
        return []
    entry = _PUBLIC_PATHS.get(graph)
    if entry is None or entry[0] != graph.version:
        entry = _PUBLIC_PATHS[graph] = (graph.version, {})
    ids = entry[1].get(text)
    if ids is None:
        if len(entry[1]) > 1024:
            entry[1].clear()
        ids = entry[1][text] = sorted(set(lookup(graph, text)))
    return [graph.nodes[i] for i in ids if i in graph.nodes]


def _members(graph: Graph, text: str, check: Any) -> list[Node]:
    """`Type::member`: the type resolved by any form, then its members of that name (its own, its trait impls')."""
    separator = "::" if "::" in text else "."
    owner_text, _, name = text.rpartition(separator)
    if not owner_text or not name:
        return []
    try:
        owner_how, owners = _candidates(graph, owner_text, check)
    except RecursionError:
        return []
    if owner_how == "glob":
        return []
    found: dict[bytes, Node] = {}
    nodes = graph.nodes
    member_ids = graph.name_index.get(name, ())
    for owner in owners:
        check()
        if owner.kind is NodeKind.GENERIC:
            continue
        for (kind, child), _edge in graph.out_edges.get(owner.id, {}).items():
            if kind in ("CONTAINS", "DEFINES"):
                node = nodes.get(child)
                if node is not None and node.name == name:
                    found[child] = node
        if owner.kind is not NodeKind.MODULE:
            prefix = f"<{owner.fqp} as "
            for member_id in member_ids:
                node = nodes[member_id]
                if node.fqp.startswith(prefix) and node.fqp.endswith(">::" + name):
                    found[member_id] = node
    return list(found.values())


def _by_suffix(graph: Graph, text: str, check: Any) -> list[Node]:
    """A partial path (`shapes::Circle`, `core.Context`, `<Circle as Shape>::area`): the workspace nodes whose FQP
    ends with it (for a trait impl's member: whose type and trait end with those written); else the external
    nodes whose FQP ends with it."""
    nodes = graph.nodes
    if text.startswith("<"):
        written = _impl_member(text)
        if written is None:
            return []
        hits = []
        for member_id in graph.name_index.get(written[2], ()):
            check()
            member = _impl_member(nodes[member_id].fqp)
            if member is not None and all(_ends(a, b) for a, b in zip(member[:2], written[:2])):
                hits.append(nodes[member_id])
        return hits
    tails = ("::" + text, "." + text, "/" + text)
    hits = []
    for index in (graph.fqp_index, graph.external_fqp_index):
        for fqp, ids in index.items():
            check()
            if fqp.endswith(tails):
                hits.extend(nodes[i] for i in ids if i in nodes)
        if hits:
            break
    return hits


def _impl_member(fqp: str) -> tuple[str, str, str] | None:
    """`<a::T as b::Tr>::m` → ("a::T", "b::Tr", "m")."""
    inner, _, name = fqp[1:].rpartition(">::")
    self_type, _, trait = inner.partition(" as ")
    return (self_type, trait, name) if fqp.startswith("<") and name and trait else None


def _ends(fqp: str, written: str) -> bool:
    return fqp == written or fqp.endswith(("::" + written, "." + written))


def _by_name(graph: Graph, name: str, check: Any) -> list[Node]:
    """A bare name: the workspace's declarations of it (generic parameters only when nothing else has it), and
    the external nodes whose last segment it is."""
    nodes = graph.nodes
    declared = [nodes[i] for i in graph.name_index.get(name, ()) if i in nodes]
    found = [n for n in declared if n.kind is not NodeKind.GENERIC] or declared
    for fqp, ids in graph.external_fqp_index.items():
        check()
        if fqp == name or fqp.endswith(("::" + name, "." + name)):
            found.extend(nodes[i] for i in ids if i in nodes)
    return found


def _group(nodes: Iterable[Node]) -> list[Symbol]:
    by_fqp: dict[str, dict[bytes, Node]] = {}
    for node in nodes:
        by_fqp.setdefault(node.fqp, {})[node.id] = node
    symbols = []
    for fqp in sorted(by_fqp, key=lambda f: (all(n.external for n in by_fqp[f].values()), f)):
        members = sorted(by_fqp[fqp].values(), key=lambda n: (n.external, n.id))
        symbols.append(Symbol(fqp, tuple(members)))
    return symbols


def _fits(node: Node, role: str, graph: Graph | None) -> bool:
    if role == "any":
        return node.kind is not NodeKind.GENERIC
    if role == "callable":
        return node.kind is NodeKind.FUNCTION
    if role == "module":
        return node.kind is NodeKind.MODULE
    if role == "type":
        return node.kind in TYPE_KINDS
    # implementable: traits and interfaces; classes where classes are extended; methods a trait declares
    if node.kind is NodeKind.TRAIT:
        return True
    if node.kind in (NodeKind.STRUCT, NodeKind.ENUM):
        return node.lang not in ("rust", "go")
    if node.kind is NodeKind.FUNCTION and graph is not None:
        return any(
            graph.nodes[e.src].kind is NodeKind.TRAIT
            for e in graph.predecessors(node.id, (EdgeKind.DEFINES,))
            if e.src in graph.nodes
        )
    return False


__all__ = [
    "MAX_SYMBOLS",
    "ROLES",
    "Symbol",
    "TargetError",
    "Targets",
    "module_prefix",
    "origin_of",
    "resolve_targets",
    "suggest",
]
