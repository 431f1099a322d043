"""The contract of a language support module (``languages/<lang>.py``), and the constants every language shares.

A language is one ``LanguageSpec`` in ``languages/__init__.py`` (extensions, grammar, the support module, its family
and, in ``SOURCE_SYNTAX``, how its source text writes names), one ``queries/<name>.scm`` and one support module that
satisfies ``LanguageSupport``. ``tests/test_language_contract.py`` checks every registered module against it, and
mypy checks the modules' signatures where ``languages.support`` hands them out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import tree_sitter

    from ..graph import SymbolView, Target
    from ..model import FileFacts, Reference

MAX_HEURISTIC_CANDIDATES = 5
"""A call by name on a receiver of unknown type links to at most this many same-named methods, each edge marked
`heuristic` with the number of candidates (ISG-SPEC; ARCHITECTURE.md, "Invariants")."""

MAX_SAME_NAMED = 40
"""Functions of one name beyond which a call by name is not even guessed."""


@runtime_checkable
class LanguageSupport(Protocol):
    """What the engine asks of a language. Optional members are read with ``getattr``:

    - ``ITEM_CACHE: bool``: ``extract`` accepts ``cache=`` (a per-file dict kept between edits: items whose text
      did not change reuse their facts); the result must equal an extraction without it.
    - ``apply_module_files(layout, all_facts) -> set[str]``: for languages whose files are placed by declarations
      in other files (Rust's `#[path]`): updates the layout, returns the files whose module changed.
    - ``resolve_name(view, module, path, call=False) -> list[bytes]``: what a name written in a module names,
      resolved as references are; "go to definition" asks it first (analysis/cursor.py) and falls back to matching
      names when a language has none.
    - naming (``naming.py``), for names only the workspace can give (Rust impl members by definition paths):
      ``naming_declarations(facts)``, the (FQP, kind) pairs its path lookups may find in a file (never what naming
      renames); ``naming_table(requests, view)``, a file's answer to what its extraction asked (``FileFacts.names``),
      read through a ``naming.NamingView`` (empty: the extracted names stand); ``rename_facts(facts, table)``, the
      facts named by an answer (``{}``: the facts as extracted, exactly); ``naming_applied(facts)``, the answer
      facts were named by. A language without ``naming_table`` is left as extracted.
    """

    def build_layout(self, root: Path, files: list[str]) -> Any:
        """What extraction needs to know about the workspace beyond one file (crates, source roots, module
        paths), built from the indexed files. Compared with ``repr``: a different layout re-indexes."""
        ...

    def extract(
        self, path: str, source: bytes, tree: tree_sitter.Tree, layout: Any, content_hash: bytes, lang: str = ...
    ) -> FileFacts:
        """One file's facts, from its text and tree alone. Never raises on any input (broken syntax included):
        the caller catches the unexpected and keeps the file's module node with an ``error``."""
        ...

    def resolve(self, ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
        """The (source, destination) a reference of ``facts`` names, reading the workspace only through ``view``
        (every read is a recorded dependency). None for an end that names nothing."""
        ...


OPTIONAL_MEMBERS = (
    "apply_module_files",
    "resolve_name",
    "naming_declarations",
    "naming_table",
    "rename_facts",
    "naming_applied",
)


def missing_members(module: object) -> list[str]:
    """The members of ``LanguageSupport`` a module lacks or does not make callable (empty: it satisfies it)."""
    missing = [name for name in ("build_layout", "extract", "resolve") if not callable(getattr(module, name, None))]
    if not isinstance(getattr(module, "ITEM_CACHE", False), bool):
        missing.append("ITEM_CACHE (must be a bool)")
    for optional in OPTIONAL_MEMBERS:
        member = getattr(module, optional, None)
        if member is not None and not callable(member):
            missing.append(f"{optional} (must be callable)")
    return missing
