"""The question benchmark (bench/questions, issue #18 item 5) in its reduced form: java.util.concurrent.atomic (javap
truth), a few questions per class, through the query language, the maps and `isg-lsp context` against raw files and
ctags. Checks the report's structure, that the questions are a deterministic function of the seed, the floors set
below what was measured, and the maps' answer-stating check on a map written by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.questions.generate import Question
from bench.questions.maps import MapIndex, parse_map, stated

pytestmark = [pytest.mark.realcode, pytest.mark.timeout(1500)]
ROOT = Path(__file__).resolve().parent.parent


def run(out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.questions", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1400, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "## answers (query language)" in proc.stdout and "## context" in proc.stdout
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("questions")
    return run(folder / "a.json"), run(folder / "b.json")


def test_questions_come_from_the_truth_deterministically(reports):
    first, second = (r["languages"]["java"] for r in reports)
    assert first["status"] == "ok", first["status"]
    assert first["questions"] == second["questions"]           # seeded: the same questions and answers
    classes = {q["class"] for q in first["questions"]}
    assert classes == {"implementors", "callers", "accepts", "returns", "path", "impact"}
    assert len(first["questions"]) >= 20
    assert all(q["answer"] or q["class"] == "path" for q in first["questions"])


def test_answers_meet_the_floors(reports):
    result = reports[0]["languages"]["java"]
    classes = result["classes"]
    # measured 1.000 / 1.000 on every class of this corpus; the issue asks for >= 0.95 on these two
    for cls in ("implementors", "callers"):
        assert classes[cls]["default"]["precision"] >= 0.95, classes[cls]
        assert classes[cls]["default"]["recall"] >= 0.95, classes[cls]
    for cls in ("accepts", "returns", "impact"):
        assert classes[cls]["default"]["recall"] >= 0.9, classes[cls]
    assert classes["path"]["default"]["exact"] >= 0.6
    assert all(s["tokens"] > 0 for s in result["scores"])


def test_maps_and_context_are_measured(reports):
    result = reports[0]["languages"]["java"]
    maps = result["maps"]
    assert set(maps) == {"before", "modules", "api", "default", "full", "full@default"}
    assert maps["modules"]["tokens"] < maps["api"]["tokens"] < maps["full"]["tokens"]
    assert maps["default"]["share"] <= 0.031                   # 3% of the source (a 1,000-token floor)
    full = maps["full"]["classes"]
    assert full["implementors"]["stated"] == full["implementors"]["items"]
    assert full["callers"]["stated"] == full["callers"]["items"]
    summary = result["context_summary"]
    assert set(summary) == {"500", "2000", "8000"}
    for budget, methods in summary.items():
        assert set(methods) == {"isg", "raw", "ctags"}
        for method, entry in methods.items():
            assert 0 <= entry["recall"] <= 1 and entry["tokens"] <= int(budget), (budget, method, entry)
    assert summary["8000"]["isg"]["recall"] >= 0.9                # measured 1.00


class _Truth:
    def __init__(self, fqps):
        self.nodes = {f: {"fqp": f} for f in fqps}


MAP = """\
app
  T Shape | by Square, geo::Circle
    F area(&self) -> f64
  S Square | impl Shape
  F total(items: &[Square], unit: geo::Unit) -> f64 | calls Shape::area, geo::{scale, round}, 3 in io
  F visit_{x}(v: &mut V, node: &{X}) for X in Square, Circle
app::geo
  S Circle | ext Base; overrides area
  S Base
    F area(&self) -> Meters
"""


def test_the_map_reader_states_answers_only_with_their_relation():
    items = {i.fqp for i in parse_map(MAP)}
    assert {"app::Shape", "app::Shape::area", "app::total", "app::visit_square", "app::visit_circle",
            "app::geo::Circle"} <= items
    index = MapIndex(MAP)
    truth = _Truth(["app::Shape", "app::Square", "app::geo::Circle", "app::total", "app::geo::Circle::area",
                    "app::Shape::area", "app::geo::scale", "app::io::read", "app::geo::Unit", "app::geo::Meters"])

    def ask(cls, target, answer):
        return stated(index, Question("q", "rust", "c", cls, target, "", frozenset(answer)), truth)

    assert ask("implementors", "app::Shape", ["app::Square", "app::geo::Circle"]) == (2, 2)   # `impl`, then `by`
    assert ask("callers", "app::Shape::area", ["app::total"]) == (1, 1)
    assert ask("callers", "app::geo::scale", ["app::total"]) == (1, 1)                        # braces expand
    assert ask("callers", "app::io::read", ["app::total"]) == (0, 1)                          # a count names none
    assert ask("accepts", "app::total", ["app::Square", "app::geo::Unit", "app::geo::Meters"]) == (2, 3)
    assert ask("returns", "app::geo::Circle::area", ["app::geo::Meters"]) == (1, 1)           # through `overrides`
