"""The accuracy benchmark (bench/accuracy, issue #9) in its reduced form: Rust on anyhow (rustdoc JSON), Java on
java.util.concurrent.atomic (javap), TypeScript on immer (the compiler API), Python on click (ast), Go on go-cmp
(go/types). Checks the report's
structure and floors set below what was measured (README of bench/accuracy), so that a regression in an extractor or
in a ground-truth generator shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.accuracy.__main__ import LANGS, extractor_available

pytestmark = [pytest.mark.realcode, pytest.mark.timeout(1500)]
ROOT = Path(__file__).resolve().parent.parent

# (nodes precision, nodes recall, edges precision, edges recall) floors, all kinds but M pooled; measured on the
# reduced corpora against the clarified contract (ISG-SPEC §1, issue #15): rust 0.99/0.99/0.99/0.92,
# java 1.00/1.00/1.00/1.00, typescript 1.00/1.00/0.99/1.00, python 1.00/1.00/0.92/1.00, go 1.00/1.00/0.93/0.98
# (edge precision below 1 comes from `heuristic` calls, which the truth does not have)
FLOORS = {"rust": (0.95, 0.95, 0.93, 0.85), "java": (0.95, 0.95, 0.9, 0.9), "typescript": (0.95, 0.95, 0.8, 0.95),
          "python": (0.95, 0.95, 0.85, 0.95), "go": (0.95, 0.95, 0.9, 0.9)}
# the issue #15 bars on the reduced corpora: CALLS precision of the edges not marked heuristic, and the relations that
# the clarified contract settles (IMPL, EXTENDS, CONTAINS, DEFINES; ACCEPTS, RETURNS, USES, BOUND_BY)
EXACT_CALLS_FLOOR = 0.98
RELATION_FLOORS = {"IMPL": 0.95, "EXTENDS": 0.95, "CONTAINS": 0.95, "DEFINES": 0.95, "ACCEPTS": 0.93,
                   "RETURNS": 0.93, "USES": 0.93, "BOUND_BY": 0.93}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("accuracy") / "report.json"
    proc = subprocess.run([sys.executable, "-m", "bench.accuracy", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1400,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "== rust" in proc.stdout and "== python" in proc.stdout
    return json.loads(out.read_text())


@pytest.mark.parametrize("lang", LANGS)
def test_accuracy_floor(report, lang):
    result = report["languages"][lang]
    if not extractor_available(lang):
        assert result["status"] == "n/a (extractor not available)"
        return
    assert result["status"] == "ok", result["status"]
    for section in ("nodes", "edges"):
        assert result[section], section
        for kind, entry in result[section].items():
            assert {"truth", "ours", "tp", "precision", "recall", "f1", "missed", "false_positives"} <= set(entry)
            assert entry["tp"] <= min(entry["truth"], entry["ours"]), kind
    totals = result["totals"]
    p_nodes, r_nodes, p_edges, r_edges = FLOORS[lang]
    assert totals["nodes"]["truth"] > 20 and totals["edges"]["truth"] > 20
    assert totals["nodes"]["precision"] >= p_nodes, totals
    assert totals["nodes"]["recall"] >= r_nodes, totals
    assert totals["edges"]["precision"] >= p_edges, totals
    assert totals["edges"]["recall"] >= r_edges, totals


def test_rust_relations_are_measured(report):
    rust = report["languages"]["rust"]
    if rust.get("status") != "ok":
        pytest.fail(rust.get("status"))
    for kind in ("T", "S", "F", "G"):
        assert rust["nodes"][kind]["truth"] > 0
    for kind in ("IMPL", "BOUND_BY", "ACCEPTS", "RETURNS", "CONTAINS", "DEFINES"):
        assert rust["edges"][kind]["truth"] > 0, kind
    assert rust["edges"]["IMPL"]["recall"] >= 0.8


@pytest.mark.parametrize("lang", ["java", "typescript", "python", "go"])
def test_clarified_contract_bars(report, lang):
    result = report["languages"][lang]
    assert result.get("status") == "ok", result.get("status")
    calls = result["edges"]["CALLS"]
    assert calls["truth"] > 20 and calls["precision_exact"] >= EXACT_CALLS_FLOOR, calls
    for kind, floor in RELATION_FLOORS.items():
        entry = result["edges"].get(kind)
        if entry is None or entry["truth"] < 5:
            continue
        assert entry["f1"] >= floor, (kind, entry)
    # TypeScript overloads are one node (no FQP twice), Go's `init` and overloads alike
    for kind, entry in result["nodes"].items():
        assert not entry.get("duplicates"), (kind, entry.get("duplicate_samples"))
