"""The ISG's three written forms (ISG-SPEC §3): the JSONL export, the compact map and triples for language models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from .graph import Graph
from .model import Edge, EdgeKind, Node, NodeKind

MEMBER_EDGES = (EdgeKind.CONTAINS.value, EdgeKind.DEFINES.value)


def jsonl_lines(graph: Graph) -> Iterator[str]:
    """The export: nodes sorted by FQP then id, then edges sorted by src, kind, dst. Byte-identical for equal graphs."""
    for node in sorted(graph.nodes.values(), key=lambda n: (n.fqp, n.id)):
        yield json.dumps(node_record(node), ensure_ascii=False, separators=(",", ":"))
    for edge in sorted(graph.edges(), key=lambda e: (e.src, e.kind.value, e.dst)):
        yield json.dumps(edge_record(edge), ensure_ascii=False, separators=(",", ":"))


def node_record(node: Node) -> dict:
    return {
        "type": "node",
        "id": node.id.hex(),
        "kind": node.kind.value,
        "name": node.name,
        "fqp": node.fqp,
        "lang": node.lang,
        "file": node.file,
        "span": list(node.span) if node.span is not None else None,
        "signature": node.signature,
        "visibility": node.visibility,
        "external": node.external,
    }


def edge_record(edge: Edge) -> dict:
    record: dict[str, object] = {
        "type": "edge",
        "src": edge.src.hex(),
        "kind": edge.kind.value,
        "dst": edge.dst.hex(),
        "resolution": edge.resolution.value,
    }
    if edge.candidates is not None and edge.resolution.value == "heuristic":
        record["candidates"] = edge.candidates
    if edge.derived:
        record["derived"] = True
    return record


# ---- triples ------------------------------------------------------------------------------------------------


def triple(graph: Graph, edge: Edge, generics: bool = False) -> str:
    """`[code] FQP x KIND x [code] FQP`; with ``generics``, types and traits show their type parameters as in the
    spec's context example (`[T] axum_core::extract::FromRequest<S> x BOUND_BY x [T] Sized`)."""
    src, dst = graph.nodes[edge.src], graph.nodes[edge.dst]
    show = display_fqp if generics else _plain_fqp
    return f"[{src.kind.value}] {show(src)} x {edge.kind.value} x [{dst.kind.value}] {show(dst)}"


def _plain_fqp(node: Node) -> str:
    return node.fqp


def display_fqp(node: Node) -> str:
    """An FQP as triples show it: a generic type or trait with its parameters, those with defaults left out
    (`pub trait FromRequest<S, M = ViaRequest>` shows as `...::FromRequest<S>`)."""
    if node.kind not in _GENERIC_OWNERS or node.external:
        return node.fqp
    params = _type_parameter_names(node.signature, node.name)
    return f"{node.fqp}<{', '.join(params)}>" if params else node.fqp


_GENERIC_OWNERS = frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.ASSOC_TYPE})


def _type_parameter_names(signature: str, name: str) -> list[str]:
    start = signature.find(name + "<")
    if start == -1:
        return []
    i = start + len(name) + 1
    depth = 1
    current: list[str] = []
    params: list[str] = []
    while i < len(signature) and depth:
        ch = signature[i]
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if depth == 1 and ch == ",":
            params.append("".join(current))
            current = []
        elif depth:
            current.append(ch)
        i += 1
    params.append("".join(current))
    names = []
    for param in params:
        param = param.strip()
        if not param or "=" in param or param.startswith("'"):
            continue  # defaulted parameters and lifetimes are left out
        for prefix in ("const ", "in ", "out "):
            param = param.removeprefix(prefix)
        names.append(param.split(":")[0].split(" extends ")[0].strip())
    return [n for n in names if n.isidentifier()]


def triples(graph: Graph, edges: Iterable[Edge]) -> list[str]:
    return [
        triple(graph, e)
        for e in sorted(edges, key=lambda e: (graph.nodes[e.src].fqp, e.kind.value, graph.nodes[e.dst].fqp))
    ]


# ---- the map ------------------------------------------------------------------------------------------------

RELATION_WORDS = (
    (EdgeKind.IMPL.value, "impl"),
    (EdgeKind.EXTENDS.value, "ext"),
    (EdgeKind.BOUND_BY.value, "bound"),
    (EdgeKind.CALLS.value, "calls"),
)


def map_text(graph: Graph, modules: Iterable[str] | None = None) -> str:
    """The workspace's skeleton as compact text: each module, then its items' kind codes and signatures, members
    indented below their type, relations after `|`, names shortened relative to the module.

    This is the map as it was before its levels and budget (issue #23): `isg-lsp map` now prints
    ``repomap.render_map``; this one stays as the question benchmark's "before" (bench/questions)."""
    lines: list[str] = []
    nodes = graph.nodes
    wanted = set(modules) if modules is not None else None
    module_nodes = sorted(
        (n for n in nodes.values() if n.kind is NodeKind.MODULE and not n.external), key=lambda n: n.fqp
    )
    for module in module_nodes:
        if wanted is not None and module.fqp not in wanted:
            continue
        children = [
            nodes[e.dst]
            for e in graph.successors(module.id)
            if e.kind.value == "CONTAINS" and e.dst in nodes and nodes[e.dst].kind is not NodeKind.MODULE
        ]
        if not children:
            continue
        lines.append(module.fqp)
        prefix = module.fqp
        for child in sorted(children, key=_position):
            _map_item(graph, child, prefix, 1, lines, set())
    return "\n".join(lines) + ("\n" if lines else "")


def _map_item(graph: Graph, node: Node, prefix: str, depth: int, lines: list[str], seen: set[bytes]) -> None:
    if node.id in seen or depth > 4:
        return
    seen.add(node.id)
    indent = "  " * depth
    lines.append(f"{indent}{node.kind.value} {compact_signature(node)}{_relations(graph, [node.id], prefix, node)}")
    members = [
        graph.nodes[e.dst]
        for e in graph.successors(node.id)
        if e.kind.value in MEMBER_EDGES and e.dst in graph.nodes and graph.nodes[e.dst].kind is not NodeKind.MODULE
    ]
    groups: dict[str, list[Node]] = {}
    for member in sorted(members, key=_position):
        trait = _implemented_trait(member.fqp)
        if trait is None:
            _map_item(graph, member, prefix, depth + 1, lines, seen)
        else:
            groups.setdefault(trait, []).append(member)
    # the members of a trait implementation repeat the trait's signatures (and the type's line says `impl`):
    # only what they call is new, one line per implemented trait
    for trait, group in groups.items():
        seen.update(m.id for m in group)
        relations = _relations(graph, [m.id for m in group], prefix, group[0])
        if relations:
            lines.append(f"{indent}  impl {_short(trait, prefix)}{relations}")


def _relations(graph: Graph, sources: list[bytes], prefix: str, owner: Node | None = None) -> str:
    """` | impl A; calls b, ~c` for the relations leaving these nodes, names shortened relative to the module and
    to the caller's own type; guesses (heuristic edges) marked `~`; long lists cut with `+N`."""
    parts = []
    own_type = _owner_prefixes(owner.fqp) if owner is not None else ()
    for kind, word in RELATION_WORDS:
        facts: set[str] = set()
        guesses: set[str] = set()
        for source in sources:
            for edge in graph.successors(source):
                if edge.kind.value != kind or edge.dst not in graph.nodes:
                    continue
                target = graph.nodes[edge.dst]
                if edge.resolution.value == "heuristic" and kind == "CALLS":
                    guesses.add(target.name)
                else:
                    facts.add(_short_member(target.fqp, prefix, own_type))
        shown = sorted(facts)
        if len(shown) > MAX_RELATIONS_SHOWN:
            shown = shown[:MAX_RELATIONS_SHOWN] + [f"+{len(facts) - MAX_RELATIONS_SHOWN}"]
        extra = sorted(guesses)
        if len(extra) > MAX_GUESSES_SHOWN:
            extra = extra[:MAX_GUESSES_SHOWN] + [f"+{len(guesses) - MAX_GUESSES_SHOWN}"]
        shown += ["~" + g for g in extra]
        if shown:
            parts.append(f"{word} {', '.join(shown)}")
    return " | " + "; ".join(parts) if parts else ""


def _owner_prefixes(fqp: str) -> tuple[str, ...]:
    """The prefixes naming a member's own type: `a::T::m` gives `a::T::`; `<a::T as b::Tr>::m` gives `a::T::`."""
    if fqp.startswith("<") and " as " in fqp:
        fqp = fqp[1 : fqp.find(" as ")] + "::x"
    for sep in ("::", "."):
        cut = fqp.rfind(sep)
        if cut > 0:
            return (fqp[: cut + len(sep)],)
    return ()


def _short_member(fqp: str, module: str, own_type: tuple[str, ...]) -> str:
    for prefix in own_type:
        if fqp.startswith(prefix) and len(fqp) > len(prefix):
            return fqp[len(prefix) :]
    return _short(fqp, module)


MAX_RELATIONS_SHOWN = 6
MAX_GUESSES_SHOWN = 3
_DECLARATION_WORDS = frozenset(
    {
        "fn",
        "struct",
        "enum",
        "trait",
        "type",
        "union",
        "mod",
        "class",
        "interface",
        "def",
        "function",
        "func",
        "record",
        "@interface",
    }
)


def compact_signature(node: Node) -> str:
    """A signature for the map: what a reader needs to call or implement it, no more. Dropped: the declaration
    keyword (said by the kind code), `where` clauses, comments, parameters' default values, decorators' arguments,
    Python's `self`/`cls` and trailing colon."""
    text = node.signature or node.name
    text = _COMMENT.sub(" ", text)
    cut = text.find(" where ")
    if cut != -1:
        text = text[:cut]
    if node.lang == "python":
        text = _PY_TRAILER.sub("", text)
    text = _without_defaults(text)
    if node.lang == "python":
        text = _PY_SELF.sub("(", text)
    text = " ".join(text.split())
    text = text.replace("( ", "(").replace(" )", ")").replace(",)", ")")
    words = text.split(" ")
    for i, word in enumerate(words[:4]):
        if word in _DECLARATION_WORDS:
            del words[i]
            break
    return " ".join(words).rstrip(",")


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_PY_TRAILER = re.compile(r":\s*(#.*)?$")
_PY_SELF = re.compile(r"\(\s*(self|cls)\s*(,\s*|(?=\)))")


def _without_defaults(text: str) -> str:
    """Drops `= value` of parameters (directly inside the first parenthesized list) and the arguments of
    decorators (`@name(...)`), keeping everything else as written."""
    if "=" not in text and "@" not in text:  # nothing to drop (most signatures): the walk below would copy it
        return text
    out: list[str] = []
    stack: list[str] = []  # open brackets: ( [ { <
    skipping = False  # inside a default value
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "@" and not stack and not skipping:
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._"):
                j += 1
            out.append(text[i:j])
            if j < n and text[j] == "(":  # skip the decorator's arguments, balanced
                depth = 0
                while j < n:
                    if text[j] in "([{":
                        depth += 1
                    elif text[j] in ")]}":
                        depth -= 1
                        if depth == 0:
                            j += 1
                            break
                    j += 1
            i = j
            continue
        arrow = ch == ">" and text[i - 1 : i] == "="
        if ch in "([{" or (ch == "<" and not skipping):
            stack.append(ch)
        elif (ch in ")]}" or (ch == ">" and not arrow and not skipping)) and stack:
            if skipping and stack == ["("] and ch == ")":
                skipping = False
            stack.pop()
        elif skipping and ch == "," and stack == ["("]:
            skipping = False
        elif (
            ch == "="
            and stack == ["("]
            and not skipping
            and text[i + 1 : i + 2] not in ("=", ">")
            and text[i - 1 : i] not in ("=", "!", "<", ">")
        ):
            skipping = True
            while out and out[-1] == " ":
                out.pop()
            i += 1
            continue
        if not skipping:
            out.append(ch)
        i += 1
    return "".join(out)


def _implemented_trait(fqp: str) -> str | None:
    """`<Type as Trait>::item` gives `Trait`."""
    if not fqp.startswith("<"):
        return None
    end = fqp.find(">::")
    middle = fqp.find(" as ")
    if end == -1 or middle == -1 or middle > end:
        return None
    return fqp[middle + 4 : end]


def _position(node: Node) -> tuple:
    return (node.file or "", node.span or (0, 0, 0, 0), node.fqp)


def _short(fqp: str, module: str) -> str:
    """An FQP as seen from a module: the module's own prefix dropped, and its root's (crate, package) too."""
    for sep in ("::", "."):
        if module and (module + sep) in fqp:
            fqp = fqp.replace(module + sep, "")
        root = module.split(sep, 1)[0]
        if root and root != module and (root + sep) in fqp:
            fqp = fqp.replace(root + sep, "")
    return fqp
