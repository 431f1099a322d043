"""Extraction: one file's bytes → its ``FileFacts``, through the language registry. Shared by the engine (open
documents, small workspaces) and the worker processes (isolation.py) that parse everything else.

- ``parser_for(lang)``: one tree-sitter parser per language and process.
- ``extract_source``: parse (incrementally, given the edited old tree) and extract one file's bytes, with the first
  paragraph of each declaration's doc comment (``languages/docs.py``).
- ``extract_path``: read one file of a workspace (size limits, encodings: workspace.py) and extract it.
- ``extract_batch``: ``extract_path`` over a list of files, the unit of work a worker process receives.

**Architecture Invariant:** extraction never fails: any input, including broken syntax, an unreadable file or a
crash inside a language's extractor, gives facts with at least the file's module node and an ``error``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import tree_sitter

from . import languages
from .languages import docs
from .languages.common import fill_item_docs, take_item_docs
from .languages.infer import envs_released
from .model import FileFacts
from .workspace import content_hash, read_source

log = logging.getLogger(__name__)

Extracted = tuple[FileFacts, int, int]  # a file's facts, with the size and mtime_ns it was read at

_PARSERS: dict[str, tree_sitter.Parser] = {}


def parser_for(lang: str) -> tree_sitter.Parser:
    """This process's parser for a language (parsers are reused: creating one costs more than a small parse)."""
    parser = _PARSERS.get(lang)
    if parser is None:
        parser = _PARSERS[lang] = languages.new_parser(lang)
    return parser


def extract_source(
    rel: str,
    data: bytes,
    spec: languages.LanguageSpec,
    layout: object,
    old_tree: tree_sitter.Tree | None = None,
    cache: dict[Any, Any] | None = None,
) -> tuple[FileFacts, tree_sitter.Tree | None]:
    """Parses (incrementally when given the edited old tree) and extracts one file, reusing the facts of items
    that did not change when given the file's item ``cache``. Never raises: a file that cannot be extracted gives
    facts with only its module and an ``error``."""
    digest = content_hash(data)
    try:
        parser = parser_for(spec.name)
        tree = parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)
        support = languages.support(spec.name)
        with envs_released():  # no reference cycle of the extraction outlives it (infer.envs_released)
            if cache is not None:  # only modules whose ITEM_CACHE is true take it (contract.py)
                facts = cast(Any, support).extract(rel, data, tree, layout, digest, spec.name, cache=cache)
            else:
                facts = support.extract(rel, data, tree, layout, digest, spec.name)
        known, settled, pending = take_item_docs(cache)
        facts.docs = docs.collect(spec.family, data, facts.nodes, known, settled)
        fill_item_docs(pending, facts.docs, facts.nodes)
        return facts, tree
    except RecursionError:
        error = "too deeply nested to extract"
    except Exception as exc:  # noqa: BLE001 - parsing never fails: report and keep going
        log.exception("extraction of %s failed", rel)
        error = f"extraction failed: {type(exc).__name__}: {exc}"
    facts = FileFacts(path=rel, lang=spec.name, content_hash=digest, error=error)
    return facts, None


def takes_item_cache(rel: str) -> bool:
    """Whether the language of a file extracts item by item with a per-file cache (``extract(..., cache=)``)."""
    spec = languages.language_for_path(rel)
    return spec is not None and bool(getattr(languages.support(spec.name), "ITEM_CACHE", False))


def extract_path(
    root: Path, rel: str, layouts: dict[str, object], max_bytes: int, cache: dict[Any, Any] | None = None
) -> Extracted:
    """One file of the workspace, read from disk and extracted; a file that cannot be read keeps its module node
    and says why in ``error``. With the file's item ``cache``, items that did not change are not extracted again."""
    spec = languages.language_for_path(rel)
    assert spec is not None
    source = read_source(root, rel, max_bytes)
    if source.data is None:
        log.info("skipping the content of %s: %s", rel, source.skipped)
        facts, _ = extract_source(rel, b"", spec, layouts.get(spec.family))
        facts.error = source.skipped
        facts.content_hash = source.content_hash
        return facts, source.size, source.mtime_ns
    facts, _ = extract_source(rel, source.data, spec, layouts.get(spec.family), cache=cache)
    return facts, source.size, source.mtime_ns


def extract_batch(
    root: Path | str,
    rels: list[str],
    layouts: dict[str, object],
    max_bytes: int,
    before_each: Callable[[str], None] | None = None,
) -> list[Extracted]:
    """Several files, in order (in a worker process). ``before_each`` runs before each file (the workers' test
    hooks)."""
    out = []
    for rel in rels:
        if before_each is not None:
            before_each(rel)
        out.append(extract_path(Path(root), rel, layouts, max_bytes))
    return out
