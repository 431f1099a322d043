"""A file's references without repeats (extract.distinct_references): the same relation written twice in one item
is one question for the resolver and one reference in the stored facts, and the graph is the one the repeats gave."""

from __future__ import annotations

import dataclasses

import pytest

from isg_lsp import languages
from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.extract import _REFERENCE_KEY, distinct_references, extract_source
from isg_lsp.model import EdgeKind, Reference

SOURCES = {
    "src/lib.rs": "pub fn helper() -> u8 { 1 }\npub fn twice() -> u8 { helper() + helper() }\n",
    "app.py": "def helper():\n    return 1\n\ndef twice():\n    return helper() + helper()\n",
    "app.ts": "export function helper(): number { return 1; }\nexport function twice() { return helper() + helper(); }\n",
    "App.java": "class App { static int helper() { return 1; } int twice() { return helper() + helper(); } }\n",
    "app.go": "package app\nfunc helper() int { return 1 }\nfunc twice() int { return helper() + helper() }\n",
}


@pytest.mark.parametrize("rel", sorted(SOURCES))
def test_a_call_written_twice_is_one_reference(rel, tmp_path):
    spec = languages.language_for_path(rel)
    support = languages.support(spec.name)
    layout = support.build_layout(tmp_path, [rel])
    facts, _tree = extract_source(rel, SOURCES[rel].encode(), spec, layout)
    calls = [r for r in facts.references if r.kind is EdgeKind.CALLS and any("helper" in seg for seg in r.path)]
    assert len(calls) == 1, facts.references
    keys = [_REFERENCE_KEY(r) for r in facts.references]
    assert len(keys) == len(set(keys))


def test_the_key_is_every_field_and_order_is_kept():
    names = [f.name for f in dataclasses.fields(Reference)]
    first = Reference(EdgeKind.CALLS, "m", "fn", ("a",), src=b"1")
    assert _REFERENCE_KEY(first) == tuple(getattr(first, name) for name in names)
    refs = [first, Reference(EdgeKind.USES, "m", "type", ("T",)), Reference(EdgeKind.CALLS, "m", "fn", ("a",), src=b"1"),
            Reference(EdgeKind.CALLS, "m", "fn", ("a",), src=b"1", derived=True)]
    assert distinct_references(refs) == [refs[0], refs[1], refs[3]]
    assert distinct_references(refs[:2]) == refs[:2]


def test_the_graph_is_the_one_the_repeats_gave(tmp_path, monkeypatch):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "twice"\nversion = "0.1.0"\n')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text(SOURCES["src/lib.rs"] + "pub fn thrice() { helper(); helper(); unknown(); unknown(); }\n")
    kept = Engine(tmp_path, persist=False)
    kept.index()
    monkeypatch.setattr("isg_lsp.extract.distinct_references", lambda references: references)  # the repeats kept
    repeated = Engine(tmp_path, persist=False)
    repeated.index()
    assert list(jsonl_lines(kept.graph)) == list(jsonl_lines(repeated.graph))
    assert len(kept.graph.files["src/lib.rs"].facts.references) < len(repeated.graph.files["src/lib.rs"].facts.references)
    assert kept.graph.files["src/lib.rs"].unresolved == 1  # `unknown` once: a question, not a call site
