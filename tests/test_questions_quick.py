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
    assert set(maps) == {"before", "modules", "api", "default", "full", "full@default", "api@full/10",
                         "full@full/10"}
    assert maps["modules"]["tokens"] < maps["api"]["tokens"] < maps["full"]["tokens"]
    assert maps["default"]["share"] <= 0.031                   # 3% of the source (a 1,000-token floor)
    # issue #23: at a tenth of the full map's tokens, the default level's ranking (api) states more than the full
    # level cut to the same size (measured 0.318 vs 0.170 on public subjects, 0.278 vs 0.207 on all)
    tenth = maps["full"]["tokens"] // 10
    for name in ("api@full/10", "full@full/10"):
        assert abs(maps[name]["tokens"] - tenth) <= tenth * 0.1, (name, maps[name]["tokens"], tenth)
    for section in ("api_classes", "classes"):
        assert mean_of_classes(maps["api@full/10"], section) > mean_of_classes(maps["full@full/10"], section)
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


def mean_of_classes(entry: dict, section: str) -> float:
    """The maps' score in the report's table: the mean over the classes of the answer items stated."""
    shares = [c["stated"] / c["items"] for c in entry[section].values() if c["items"]]
    return sum(shares) / len(shares)


MAP = """\
app
  T Shape | by Square, geo::Circle
    F area(&self) -> f64
  S Square | impl Shape
  F total(items: &[Square], unit: geo::Unit) -> f64 | calls Shape::area, geo::{scale, round}, 3 in io, ~guess
  F pick(unit: Unit, shape: Square) -> Shape
  F visit_{x}(v: &mut V, node: &{X}) for X in Square, Circle
app::geo
  S Circle | ext Base; overrides area
  S Base
    F area(&self) -> Meters
  S Unit
app::other
  S Unit
"""

TRUTH_NODES = {"app": "M", "app::geo": "M", "app::other": "M", "app::Shape": "T", "app::Shape::area": "F",
               "app::Square": "S", "app::total": "F", "app::pick": "F", "app::guess": "F", "app::geo::Circle": "S",
               "app::geo::Circle::area": "F", "app::geo::Base": "S", "app::geo::Base::area": "F",
               "app::geo::Unit": "S", "app::other::Unit": "S", "app::geo::Meters": "S", "app::geo::scale": "F",
               "app::io::read": "F"}
TRUTH_EDGES = [("app::Square", "IMPL", "app::Shape"), ("app::geo::Circle", "IMPL", "app::Shape"),
               ("app::geo::Circle", "EXTENDS", "app::geo::Base"), ("app::Square", "EXTENDS", "app::geo::Base"),
               ("app::total", "ACCEPTS", "app::Square"), ("app::total", "ACCEPTS", "app::geo::Unit"),
               ("app::total", "CALLS", "app::Shape::area"), ("app::total", "CALLS", "app::geo::scale"),
               ("app::total", "CALLS", "app::io::read"), ("app::total", "CALLS", "app::guess"),
               ("app::pick", "ACCEPTS", "app::geo::Unit"), ("app::pick", "ACCEPTS", "app::Square"),
               ("app::pick", "ACCEPTS", "app::Shape"), ("app::pick", "RETURNS", "app::Shape"),
               ("app::geo::Circle::area", "RETURNS", "app::geo::Meters"), ("app::geo::Base::area", "RETURNS",
                                                                           "app::geo::Meters"),
               ("app::Shape", "DEFINES", "app::Shape::area"), ("app", "CONTAINS", "app::Square")]


def _truth(folder: Path):
    from bench.questions.truth import TruthGraph

    lines = [json.dumps({"type": "node", "id": fqp, "kind": kind, "name": fqp.rsplit("::", 1)[-1], "fqp": fqp,
                         "external": False}) for fqp, kind in TRUTH_NODES.items()]
    lines += [json.dumps({"type": "edge", "src": s, "kind": k, "dst": d}) for s, k, d in TRUTH_EDGES]
    path = folder / "truth.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return TruthGraph(path, ("app",))


def test_the_map_reader_states_answers_only_with_their_relation(tmp_path):
    items = {i.fqp for i in parse_map(MAP)}
    assert {"app::Shape", "app::Shape::area", "app::total", "app::visit_square", "app::visit_circle",
            "app::geo::Circle"} <= items
    index = MapIndex(MAP)
    truth = _truth(tmp_path)

    def ask(cls, target, answer=(), **more):
        return stated(index, Question("q", "rust", "c", cls, target, "", frozenset(answer), **more), truth)

    assert ask("implementors", "app::Shape", ["app::Square", "app::geo::Circle"]) == (2, 2)   # `impl`, then `by`
    assert ask("implementors", "app::geo::Base", ["app::Square", "app::geo::Circle"]) == (1, 2)  # both named, no
    assert ask("callers", "app::Shape::area", ["app::total"]) == (1, 1)                  # relation: not stated
    assert ask("callers", "app::geo::scale", ["app::total"]) == (1, 1)                        # braces expand
    assert ask("callers", "app::io::read", ["app::total"]) == (0, 1)                          # a count names none
    assert ask("callers", "app::guess", ["app::total"]) == (0, 1)                             # a guess states none
    assert ask("accepts", "app::total", ["app::Square", "app::geo::Unit"]) == (2, 2)
    # `Unit` in app is declared twice elsewhere (app::geo, app::other): ambiguous; `Shape` is only in the result
    assert ask("accepts", "app::pick", ["app::geo::Unit", "app::Square", "app::Shape"]) == (1, 3)
    assert ask("returns", "app::pick", ["app::Shape"]) == (1, 1)
    assert ask("returns", "app::geo::Circle::area", ["app::geo::Meters"]) == (1, 1)           # through `overrides`
    assert ask("path", "app::Square", dest="app::Shape::area", distance=2,
               kinds=("IMPL", "DEFINES")) == (1, 1)                                           # impl, then member
    assert ask("path", "app::Square", dest="app::Shape::area", distance=1, kinds=("IMPL", "DEFINES")) == (0, 1)
    assert ask("impact", "app::Shape", ["app::Square", "app::geo::Circle", "app::pick", "app::total"],
               kinds=("IMPL", "ACCEPTS", "RETURNS", "CALLS")) == (4, 4)                       # total: via Square
    assert ask("impact", "app::geo::Base", ["app::geo::Circle", "app::Square"], kinds=("EXTENDS",)) == (1, 2)


def test_a_java_map_reads_objects_methods_through_overrides(tmp_path):
    from bench.questions.truth import TruthGraph

    text = "com.x\n  S Cell | overrides toString\n"
    nodes = {"com": "M", "com.x": "M", "com.x.Cell": "S", "com.x.Cell.toString": "F"}
    lines = [json.dumps({"type": "node", "id": fqp, "kind": kind, "name": fqp.rsplit(".", 1)[-1], "fqp": fqp,
                         "external": False}) for fqp, kind in nodes.items()]
    lines += [json.dumps({"type": "node", "id": "java.lang.String", "kind": "S", "name": "String",
                          "fqp": "java.lang.String", "external": True}),
              json.dumps({"type": "edge", "src": "com.x.Cell.toString", "kind": "RETURNS", "dst": "java.lang.String"})]
    (tmp_path / "truth.jsonl").write_text("\n".join(lines) + "\n")
    truth = TruthGraph(tmp_path / "truth.jsonl", ("com",))
    answer = frozenset({truth.key("java.lang.String", True)})                     # an external: `~String`
    question = Question("q", "java", "c", "returns", "com.x.Cell.toString", "", answer)
    assert stated(MapIndex(text, "java"), question, truth) == (1, 1)     # the map folds Object's own signatures only
    assert stated(MapIndex(text), question, truth) == (0, 1)             # in another language: no supertype, nothing
