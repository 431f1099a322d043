"""What a position in a file names: the declaration whose name it is on, else the declarations the identifier there
may refer to. Best effort, and said so: the graph holds declarations and their relations, not every use of a name,
so a use is matched by its name, the qualifier written before it, the file's imports and proximity.

How source text writes names (`a::b` or `a.b`, `self`/`this`, what an identifier is) comes from the language
registry (``languages.source_syntax``), so the same rules serve every language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import languages
from ..graph import Graph
from ..languages import SourceSyntax
from ..model import Node, NodeKind, Span
from ..positions import utf16_prefix
from .text import Lines, contains

MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Word:
    """The identifier at a position, the qualifier written before it (`a::b::` or `a.b.`, as segments) and whether
    it follows a member access (`x.name`)."""

    name: str
    qualifier: tuple[str, ...]
    after_dot: bool


@lru_cache(maxsize=None)
def _patterns(syntax: SourceSyntax) -> tuple[re.Pattern[str], re.Pattern[str]]:
    separator = re.escape(syntax.path_separator)
    identifier = re.compile(syntax.identifier)
    qualifier = re.compile(rf"((?:{syntax.identifier}\s*{separator}\s*)+)$")
    return identifier, qualifier


def syntax_of(path: str) -> SourceSyntax:
    spec = languages.language_for_path(path)
    return languages.source_syntax(spec.name) if spec is not None else languages.SourceSyntax()


def word_at(lines: Lines | None, line: int, character: int, syntax: SourceSyntax) -> Word | None:
    """The identifier at (line, UTF-16 character) of a text, with what is written before it."""
    if lines is None or line >= len(lines):
        return None
    text = lines[line]
    identifier, qualifier = _patterns(syntax)
    index = len(utf16_prefix(text, character))
    for match in identifier.finditer(text):
        if match.start() <= index <= match.end():
            before = text[: match.start()]
            path = qualifier.search(before)
            segments = tuple(s.strip() for s in path.group(1).split(syntax.path_separator) if s.strip()) if path else ()
            return Word(match.group(0), segments, before.rstrip().endswith("."))
    return None


def innermost_declaration(graph: Graph, path: str, line: int, character: int) -> Node | None:
    """The innermost declaration of the file whose span holds the position."""
    state = graph.files.get(path)
    if state is None:
        return None
    best = None
    for node in state.facts.nodes:
        if node.span is None or not contains(node.span, line, character):
            continue
        if best is None or best.span is None or _size(node.span) < _size(best.span):
            best = node
    return graph.nodes.get(best.id, best) if best is not None else None


def declarations_at(
    graph: Graph, lines: Lines | None, path: str, line: int, character: int, best_only: bool = False
) -> list[Node]:
    """What a position names: the declaration whose name it is on, else the nodes the identifier there refers to
    (through the file's imports, the same module, then the whole workspace), best first. With ``best_only``, only
    those ranked as well as the first."""
    syntax = syntax_of(path)
    word = word_at(lines, line, character, syntax)
    inner = innermost_declaration(graph, path, line, character)
    if word is None:
        return []
    if inner is not None and inner.name == word.name and inner.span is not None and line == inner.span[0]:
        return [inner]
    if not word.after_dot:
        # the language's own resolution when it has one (Rust: namespaces, re-exports, globs), as the graph's
        resolved = _resolved(graph, lines, path, line, character, word)
        if resolved:
            return resolved
    candidates = [graph.nodes[i] for i in graph.name_index.get(word.name, ())]
    candidates = [n for n in candidates if not n.external] or candidates
    if word.after_dot:
        candidates = [n for n in candidates if n.kind is NodeKind.FUNCTION] or candidates
    if word.qualifier:
        separator = syntax.fqp_separator
        tail = separator.join(s for s in word.qualifier if s not in syntax.self_names) + separator + word.name
        qualified = [n for n in candidates if n.fqp.endswith(tail) or f"{separator}{tail}" in n.fqp]
        candidates = qualified or candidates
    state = graph.files.get(path)
    if state is not None and not word.qualifier:
        imported = _imported(graph, state.facts.imports, word.name)
        if imported:
            return imported
    module = _module_prefix(inner, syntax.fqp_separator)

    def rank(node: Node) -> tuple[bool, bool, bool, str]:
        return (node.external, node.file != path, not (module and node.fqp.startswith(module)), node.fqp)

    ranked = sorted(candidates, key=rank)
    if best_only and ranked:
        first = rank(ranked[0])[:3]
        ranked = [n for n in ranked if rank(n)[:3] == first]
    return ranked[:MAX_CANDIDATES]


def _resolved(graph: Graph, lines: Lines | None, path: str, line: int, character: int, word: Word) -> list[Node]:
    """What the language's resolver (``resolve_name(view, module, path, call)``) makes of the name, in the innermost
    module around the position; a call (`name(`) is looked up in the value namespace first."""
    state = graph.files.get(path)
    resolve_name = getattr(languages.support(state.facts.lang), "resolve_name", None) if state is not None else None
    if resolve_name is None or state is None or lines is None or line >= len(lines):
        return []
    module = None
    for node in state.facts.nodes:
        if node.kind is NodeKind.MODULE and node.span is not None and contains(node.span, line, character):
            if module is None or module.span is None or _size(node.span) < _size(module.span):
                module = node
    if module is None:
        return []
    after = lines[line][len(utf16_prefix(lines[line], character)) :]
    call = re.match(r"\w*\s*(?:::\s*<[^>]*>\s*)?\(", after) is not None
    from ..graph import SymbolView

    ids = resolve_name(SymbolView(graph), module.fqp, (*word.qualifier, word.name), call)
    return sorted((graph.nodes[i] for i in ids if i in graph.nodes), key=lambda n: n.fqp)


def _imported(graph: Graph, imports: dict[str, dict[str, str]], name: str) -> list[Node]:
    """The workspace nodes a name imported into the file stands for (any of its scopes), by FQP. A name bound
    several times (in different namespaces: a trait and a derive macro) stands for each."""
    found: set[bytes] = set()
    for scope_names in imports.values():
        target = scope_names.get(name)
        for one in [target] if isinstance(target, str) else target or ():
            found.update(n.id for n in graph.by_fqp(one))
    chosen = [graph.nodes[i] for i in found if i in graph.nodes]
    chosen = [n for n in chosen if not n.external] or chosen
    return sorted(chosen, key=lambda n: n.fqp)


def _size(span: Span) -> tuple[int, int]:
    return (span[2] - span[0], span[3] - span[1] if span[2] == span[0] else span[3])


def _module_prefix(node: Node | None, separator: str) -> str:
    """The FQP prefix of the module a declaration stands in (`a::b::` for `a::b::f`)."""
    if node is None:
        return ""
    fqp = node.fqp
    if node.kind is NodeKind.MODULE:
        return fqp + separator
    cut = fqp.rfind(separator)
    return fqp[: cut + len(separator)] if cut > 0 and not fqp.startswith("<") else ""
