"""An extraction leaves no reference cycle behind (infer.envs_released).

A cold index pauses the cyclic collector and freezes the heap afterwards (engine.gc_paused), so a cycle made while a
file is extracted is never freed, and with it the file's syntax tree: lazy bindings of receiver inference (closures
over the extraction's scopes and tree nodes) once kept every tree of an in-process index alive (92 MB on rust-100k).
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from isg_lsp import languages
from isg_lsp.engine import Engine
from isg_lsp.extract import extract_source
from isg_lsp.workspace import walk

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("fixture", sorted(f"{p.parent.name}/{p.name}" for p in FIXTURES.glob("*/*") if p.is_dir()))
def test_extracting_a_workspace_makes_no_garbage_cycles(fixture):
    root = FIXTURES / fixture
    engine = Engine(root, workers=0, persist=False)
    files = sorted(walk(root, engine.config))
    engine._build_layouts(files)
    extracted = 0
    gc.collect()
    gc.disable()
    try:
        for rel in files:
            spec = languages.language_for_path(rel)
            if spec is None:
                continue
            facts, tree = extract_source(rel, (root / rel).read_bytes(), spec, engine.layouts.get(spec.family))
            assert facts.error is None and tree is not None
            extracted += 1
            del facts, tree
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert extracted >= 1
    assert unreachable == 0, f"{unreachable} objects of {fixture}'s extraction were only freed by the cyclic collector"


@pytest.mark.parametrize("fixture", sorted(f"{p.parent.name}/{p.name}" for p in FIXTURES.glob("*/*") if p.is_dir()))
def test_edits_make_no_garbage_cycles(fixture):
    """An edit (extraction through the file's item cache, then graph surgery) runs with the collector deferred
    (engine.gc_deferred): it must leave nothing only the collector could free."""
    root = FIXTURES / fixture
    engine = Engine(root, workers=0, persist=False)
    engine.index()
    files = [rel for rel in sorted(walk(root, engine.config)) if languages.language_for_path(rel) is not None]
    gc.collect()
    gc.disable()
    try:
        for rel in files:
            data = (root / rel).read_bytes()
            engine.update_file(rel, data + b"\n\n")  # opened and typed into: through the item cache
            engine.update_file(rel, data)
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert files
    assert unreachable == 0, f"{unreachable} objects of {fixture}'s edits were only freed by the cyclic collector"


@pytest.mark.parametrize("fixture", sorted(f"{p.parent.name}/{p.name}" for p in FIXTURES.glob("*/*") if p.is_dir()))
def test_a_cold_index_makes_no_garbage_cycles(fixture):
    """A cold index runs with the collector paused and freezes the heap after (engine.gc_paused): a reference cycle
    left by resolution (Java's resolver and its types referred to each other: 390,000 objects, 76 MB of java-100k's
    150 MB after an index) would never be freed."""
    root = FIXTURES / fixture
    gc.unfreeze()
    gc.collect()
    engine = Engine(root, workers=0, persist=False)
    engine.index()
    assert gc.get_freeze_count() > 0  # what the index built was frozen: the garbage among it too
    gc.unfreeze()
    unreachable = gc.collect()
    assert engine.graph.nodes
    assert unreachable == 0, f"{unreachable} objects of {fixture}'s cold index were only freed by the cyclic collector"
