"""A cold index shares resolvers' answers across files (``SymbolView.shared``, rust.lookup_absolute): the graph, each
file's dependencies and each reference's looked-up keys are exactly those of asking every question again, so that
incremental updates after a cold index re-resolve exactly what they would have."""

from __future__ import annotations

from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.export import triple
from isg_lsp.graph import Graph

FIXTURES = Path(__file__).parent / "fixtures" / "rust"


def _index(root: Path, share: bool, monkeypatch) -> Graph:
    monkeypatch.setattr(Graph, "SHARE_ANSWERS", share)
    engine = Engine(root, workers=0, persist=False)
    engine.index(measure_map=False)
    return engine.graph


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_shared_answers_record_the_same_dependencies(fixture, monkeypatch):
    asked = _index(FIXTURES / fixture, False, monkeypatch)
    shared = _index(FIXTURES / fixture, True, monkeypatch)
    assert sorted(triple(shared, e) for e in shared.edges()) == sorted(triple(asked, e) for e in asked.edges())
    assert shared.files.keys() == asked.files.keys()
    for path, state in shared.files.items():
        other = asked.files[path]
        assert set(state.deps) == set(other.deps), path
        assert [set(k) for k in state.ref_keys or []] == [set(k) for k in other.ref_keys or []], path
    assert any(state.deps for state in shared.files.values())
