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


# ---- `isg-lsp enrich --cargo`: rustdoc run by the command itself (a real toolchain: the test command installs
# Debian's cargo and rustc) --------------------------------------------------------------------------------------

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from tests.helpers import debian_crate  # noqa: E402


def require_cargo() -> str:
    cargo = enrich.find_cargo()
    if cargo is None:
        pytest.fail("no cargo: run the test command (bash .ci/test.sh), which installs Debian's cargo and rustc")
    return cargo


def isg(*args, env=None):
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, text=True,
                          timeout=1200, env=env)


def test_enrich_cargo_runs_rustdoc_itself_and_adds_the_macro_impl(tmp_path):
    require_cargo()
    make_crate(tmp_path)
    (tmp_path / "demo.json").unlink()
    done = isg("enrich", tmp_path, "--cargo", "--no-db", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["impls"] == 1 and summary["edges_added"] == 1 and summary["format_version"] >= 15
    # the progress display, on stderr
    assert "[1/1]" in done.stderr and "rustdoc JSON" in done.stderr
    engine = Engine(tmp_path, persist=False)
    engine.index()
    assert ("demo::A", "demo::Marker", Resolution.EXACT) in impl_edges(engine.graph)
    # built out of the tree (a copy under .isg/enrich): no Cargo.lock nor target/ left in the crate
    assert not (tmp_path / "Cargo.lock").exists() and not (tmp_path / "target").exists()


def test_enrich_cargo_on_a_debian_crate_with_dependencies_offline(tmp_path):
    """crossbeam-channel depends on crossbeam-utils and cfg-if: built offline, Debian's registry standing in for
    crates.io."""
    require_cargo()
    root = tmp_path / "crossbeam-channel"
    shutil.copytree(debian_crate("crossbeam-channel"), root)
    done = isg("enrich", root, "--cargo", "--no-db", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads((root / enrich.ENRICH_PATH).read_text())
    assert record["crate"] == "crossbeam_channel" and record["format_version"] >= 15
    assert "Debian's registry" in done.stderr


def test_enrich_cargo_says_why_without_a_toolchain(tmp_path):
    make_crate(tmp_path)
    bare = tmp_path / "bin"
    bare.mkdir()
    env = dict(os.environ, PATH=str(bare), HOME=str(tmp_path))
    done = isg("enrich", tmp_path, "--cargo", "--no-db", env=env)
    assert done.returncode == 2
    assert "no Rust toolchain found" in done.stderr and "Traceback" not in done.stderr


def test_enrich_cargo_says_why_without_the_dependencies(tmp_path):
    require_cargo()
    make_crate(tmp_path)
    with open(tmp_path / "Cargo.toml", "a") as manifest:
        manifest.write('\n[dependencies]\nisg-lsp-no-such-crate = "1"\n')
    done = isg("enrich", tmp_path, "--cargo", "--no-db")
    assert done.returncode == 2
    assert "not available offline" in done.stderr and "isg-lsp-no-such-crate" in done.stderr
