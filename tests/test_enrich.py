"""Enrichment from rustdoc JSON (isg_lsp/enrich.py, `isg-lsp enrich`): IMPL edges a macro writes, added as exact
edges by an extra facts file that graph surgery handles like any other."""

from __future__ import annotations

import json

from isg_lsp.cli import main as cli_main
from isg_lsp.engine import Engine
from isg_lsp import enrich
from isg_lsp.model import EdgeKind, Resolution

LIB = """\
macro_rules! marker {
    ($t:ty) => { impl Marker for $t {} };
}

pub trait Marker {}

#[derive(Clone)]
pub struct A;

marker!(A);
"""


def rustdoc(format_version: int = 57) -> dict:
    """What rustdoc says of LIB (trimmed to what the reader uses), in the current JSON shape."""
    impl = lambda trait_id, trait, derived: {  # noqa: E731
        "crate_id": 0, "name": None, "attrs": ["automatically_derived"] if derived else [],
        "inner": {"impl": {"trait": {"path": trait, "id": trait_id, "args": None},
                           "for": {"resolved_path": {"path": "A", "id": 2, "args": None}}, "items": [],
                           "is_synthetic": False, "blanket_impl": None, "is_negative": False}}}
    return {
        "format_version": format_version, "root": 0,
        "index": {
            "0": {"crate_id": 0, "name": "demo", "inner": {"module": {"items": [1, 2], "is_crate": True}}},
            "1": {"crate_id": 0, "name": "Marker", "inner": {"trait": {"items": [], "bounds": []}}},
            "2": {"crate_id": 0, "name": "A", "inner": {"struct": {"kind": "unit"}}},
            "3": impl(1, "Marker", False),
            "4": impl(10, "Clone", True),
            "5": {"crate_id": 0, "name": None, "attrs": [], "inner": {"impl": {
                "trait": {"path": "Send", "id": 11, "args": None},
                "for": {"resolved_path": {"path": "A", "id": 2, "args": None}}, "items": [],
                "is_synthetic": True, "blanket_impl": None}}},
        },
        "paths": {
            "0": {"crate_id": 0, "path": ["demo"], "kind": "module"},
            "1": {"crate_id": 0, "path": ["demo", "Marker"], "kind": "trait"},
            "2": {"crate_id": 0, "path": ["demo", "A"], "kind": "struct"},
            "10": {"crate_id": 2, "path": ["core", "clone", "Clone"], "kind": "trait"},
            "11": {"crate_id": 2, "path": ["core", "marker", "Send"], "kind": "trait"},
        },
    }


def make_crate(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    (tmp_path / "src" / "lib.rs").write_text(LIB)
    doc = tmp_path / "demo.json"
    doc.write_text(json.dumps(rustdoc()))
    return doc


def impl_edges(graph):
    return {(graph.nodes[e.src].fqp, graph.nodes[e.dst].fqp, e.resolution) for e in graph.edges()
            if e.kind is EdgeKind.IMPL}


def test_impl_pairs_leave_out_made_up_impls():
    pairs = enrich.impl_pairs(rustdoc())
    assert pairs == [{"src": "demo::A", "dst": "core::clone::Clone", "derived": True},
                     {"src": "demo::A", "dst": "demo::Marker", "derived": False}]


def test_old_json_shape_is_read_too():
    doc = rustdoc(format_version=15)
    for item in doc["index"].values():            # the old shape: {"kind": K, "inner": {...}}, string ids
        (kind, inner), = item.pop("inner").items()
        item["kind"], item["inner"] = kind, inner
    assert {(p["src"], p["dst"]) for p in enrich.impl_pairs(doc)} == {("demo::A", "core::clone::Clone"),
                                                                      ("demo::A", "demo::Marker")}


def test_enrichment_adds_the_macro_impl_as_an_exact_edge_and_surgery_removes_it(tmp_path):
    doc = make_crate(tmp_path)
    engine = Engine(tmp_path, persist=False)
    engine.index()
    graph = engine.graph
    before = impl_edges(graph)
    assert not any(src == "demo::A" and dst == "demo::Marker" for src, dst, _ in before)   # a macro wrote it
    assert any(src == "demo::A" and dst == "Clone" for src, dst, _ in before)               # the derive is seen
    record = enrich.build(tmp_path, doc, graph)
    assert [(p["src"], p["dst"]) for p in record["impls"]] == [("demo::A", "demo::Marker")]  # only what is new
    enrich.write(tmp_path, record)
    facts = enrich.load(graph, tmp_path)
    assert facts is not None and facts.path == enrich.ENRICH_PATH
    assert impl_edges(graph) == before | {("demo::A", "demo::Marker", Resolution.EXACT)}
    graph.replace_file(None, enrich.ENRICH_PATH)
    assert impl_edges(graph) == before


def test_cli_enrich(tmp_path, capsys):
    doc = make_crate(tmp_path)
    assert cli_main(["enrich", str(tmp_path), "--no-db", "--rustdoc-json", str(doc), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["impls"] == 1 and summary["edges_added"] == 1
    assert (tmp_path / enrich.ENRICH_PATH).is_file()
