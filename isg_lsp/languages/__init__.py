"""The language registry: file extensions → language → grammar, `.scm` queries and the language's support module.

Adding a language is one ``LanguageSpec`` here, one ``queries/<name>.scm`` file and one support module that defines
``build_layout``, ``extract`` and ``resolve`` (see ``ARCHITECTURE.md``, "How to add a language").
"""

from __future__ import annotations

import importlib
import importlib.resources
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import cast

import tree_sitter

from .contract import LanguageSupport


@dataclass(frozen=True)
class LanguageSpec:
    name: str  # the `lang` of the nodes
    extensions: tuple[str, ...]  # lowercase, with the dot
    grammar_module: str  # the official grammar wheel's module
    grammar_function: str  # its function returning the language capsule
    support_module: str  # isg_lsp.languages.<x>: build_layout, extract, resolve
    family: str  # languages that share one support module and FQP rules share a family


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("rust", (".rs",), "tree_sitter_rust", "language", "isg_lsp.languages.rust", "rust"),
    LanguageSpec("java", (".java",), "tree_sitter_java", "language", "isg_lsp.languages.java", "java"),
    LanguageSpec(
        "typescript",
        (".ts", ".mts", ".cts"),
        "tree_sitter_typescript",
        "language_typescript",
        "isg_lsp.languages.typescript",
        "typescript",
    ),
    LanguageSpec(
        "tsx", (".tsx",), "tree_sitter_typescript", "language_tsx", "isg_lsp.languages.typescript", "typescript"
    ),
    LanguageSpec(
        "javascript",
        (".js", ".jsx", ".mjs", ".cjs"),
        "tree_sitter_javascript",
        "language",
        "isg_lsp.languages.typescript",
        "typescript",
    ),
    LanguageSpec("python", (".py", ".pyi"), "tree_sitter_python", "language", "isg_lsp.languages.python", "python"),
    LanguageSpec("go", (".go",), "tree_sitter_go", "language", "isg_lsp.languages.go", "go"),
)


@dataclass(frozen=True)
class SourceSyntax:
    """How a language's source text names things, for "what is at this position" (analysis/cursor.py)."""

    path_separator: str = "."  # between the segments of a name written in source: `a::b`, `a.b`
    fqp_separator: str = "."  # between the last segments of an FQP: `a::b::C`, `a.b.C`
    self_names: tuple[str, ...] = ()  # leading segments that name the current scope or value, not a module
    identifier: str = r"[A-Za-z_][A-Za-z0-9_]*"


SOURCE_SYNTAX: dict[str, SourceSyntax] = {  # by family
    "rust": SourceSyntax("::", "::", ("crate", "self", "super", "Self")),
    "java": SourceSyntax(".", ".", ("this", "super")),
    "typescript": SourceSyntax(".", "::", ("this", "super"), r"[A-Za-z_$][A-Za-z0-9_$]*"),
    "python": SourceSyntax(".", ".", ("self", "cls")),
    "go": SourceSyntax(".", "."),
}

_BY_NAME = {spec.name: spec for spec in LANGUAGES}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}


def get(name: str) -> LanguageSpec:
    return _BY_NAME[name]


@lru_cache(maxsize=None)
def is_available(name: str) -> bool:
    """True when the language's grammar and support module import; a language without them is not indexed."""
    spec = _BY_NAME.get(name)
    if spec is None:
        return False
    try:
        support(name)
        grammar(name)
    except Exception:  # noqa: BLE001 - a missing optional language must not stop the others
        return False
    return True


def language_for_path(path: str) -> LanguageSpec | None:
    """The language of a file by its extension, or None when no available language claims it."""
    dot = path.rfind(".")
    if dot == -1 or "/" in path[dot:]:
        return None
    spec = _BY_EXTENSION.get(path[dot:].lower())
    if spec is None or not is_available(spec.name):
        return None
    return spec


def source_syntax(name: str) -> SourceSyntax:
    """How source text of a language names things (a language without an entry gets the common dotted form)."""
    return SOURCE_SYNTAX.get(_BY_NAME[name].family, _DOTTED)


_DOTTED = SourceSyntax()


def available_languages() -> list[LanguageSpec]:
    return [spec for spec in LANGUAGES if is_available(spec.name)]


@lru_cache(maxsize=None)
def support(name: str) -> LanguageSupport:
    """The support module of a language (``contract.LanguageSupport``)."""
    module: ModuleType = importlib.import_module(_BY_NAME[name].support_module)
    return cast(LanguageSupport, module)


@lru_cache(maxsize=None)
def grammar(name: str) -> tree_sitter.Language:
    spec = _BY_NAME[name]
    module = importlib.import_module(spec.grammar_module)
    return tree_sitter.Language(getattr(module, spec.grammar_function)())


def new_parser(name: str) -> tree_sitter.Parser:
    return tree_sitter.Parser(grammar(name))


@lru_cache(maxsize=None)
def query(lang: str, query_name: str) -> tree_sitter.Query:
    """A compiled query from ``queries/<query_name>.scm``, for the grammar of ``lang``; ``a+b`` is the files one
    after the other, as one query (one pass over a tree)."""
    folder = importlib.resources.files(__package__).joinpath("queries")
    text = "\n".join(folder.joinpath(f"{name}.scm").read_text("utf-8") for name in query_name.split("+"))
    return tree_sitter.Query(grammar(lang), text)
