"""Helpers of the item-cache tests (test_typescript_items.py, test_python_items.py): extraction with and without a
file's item cache, the facts compared, and line edits."""

from __future__ import annotations

from isg_lsp import languages
from isg_lsp.extract import extract_source
from isg_lsp.model import FileFacts


def facts_of(rel: str, text: str, cache: dict | None) -> FileFacts:
    spec = languages.language_for_path(rel)
    assert spec is not None
    facts, _ = extract_source(rel, text.encode(), spec, None, cache=cache)
    return facts


def comparable(facts: FileFacts) -> tuple:
    return (
        [(n.id, n.kind, n.fqp, n.span, n.signature, n.visibility) for n in facts.nodes],
        sorted(map(repr, facts.edges)),
        sorted(map(repr, facts.references)),
        repr(sorted(facts.imports.items())),
        repr(sorted(facts.glob_imports.items())),
        sorted(facts.docs.items()),
        facts.errors,
        facts.error,
    )


def edited(lines: list[str], op: str, at: int, snippet: str) -> None:
    """Deletes, inserts, cuts in half or replaces a line (in place)."""
    index = at % len(lines)
    if op == "delete" and len(lines) > 1:
        lines.pop(index)
    elif op == "insert":
        lines.insert(index, snippet)
    elif op == "cut":
        lines[index] = lines[index][: len(lines[index]) // 2]
    else:
        lines[index] = snippet


def check_edits(rel: str, source: str, edits: list[tuple[str, int, str]]) -> None:
    """Edits ``source`` line by line; after each edit, extraction through the file's item cache gives the facts of a
    fresh extraction (and so from the start)."""
    cache: dict = {}
    lines = source.split("\n")
    assert comparable(facts_of(rel, source, cache)) == comparable(facts_of(rel, source, None))
    for op, at, snippet in edits:
        edited(lines, op, at, snippet)
        text = "\n".join(lines)
        assert comparable(facts_of(rel, text, cache)) == comparable(facts_of(rel, text, None)), (op, at, snippet)
