"""The analysis API (isg_lsp/analysis), data-driven: one ``check_*`` helper per question, minimal workspaces written
inline, the position marked by ``$0``. Every language goes through the same code, with its own source syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from isg_lsp.analysis import Analysis, AnalysisConfig, TargetError, Workspace
from isg_lsp.engine import Engine

CURSOR = "$0"


def workspace(tmp_path: Path, files: dict[str, str]) -> tuple[Analysis, str, int, int]:
    """Writes the files, indexes them in memory; returns the analysis and the marked position."""
    marked = None
    for rel, text in files.items():
        if CURSOR in text:
            index = text.index(CURSOR)
            line = text.count("\n", 0, index)
            character = index - (text.rfind("\n", 0, index) + 1)
            marked = (rel, line, character)
            text = text.replace(CURSOR, "", 1)
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    engine = Engine(tmp_path, persist=False)
    engine.index()
    assert marked is not None, "no $0 in the files"
    return Analysis(engine), *marked


def check_definitions(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    analysis, rel, line, character = workspace(tmp_path, files)
    assert [n.fqp for n in analysis.definitions(rel, line, character)] == expected


def check_references(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    """Expected places as `file:line:start-end` (1-based line, 0-based UTF-16 columns)."""
    analysis, rel, line, character = workspace(tmp_path, files)
    found = [
        f"{p.file}:{p.range.start_line + 1}:{p.range.start_character}-{p.range.end_character}"
        for p in analysis.references(rel, line, character)
    ]
    assert sorted(found) == sorted(expected)


def check_hover(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    analysis, rel, line, character = workspace(tmp_path, files)
    facts = analysis.hover(rel, line, character)
    assert facts is not None
    text = [f"{facts.node.kind.long_name} {facts.node.fqp}"]
    if facts.implements:
        text.append("implements " + ", ".join(facts.implements))
    if facts.implemented_by is not None:
        text.append(f"implemented by {facts.implemented_by.total} ({facts.implemented_by.heuristic} heuristic)")
    if facts.called_by is not None:
        text.append(f"called by {facts.called_by.total} ({facts.called_by.heuristic} heuristic)")
    assert " | ".join(text) == expected


# ---- what a position names, per language ----------------------------------------------------------------------

RUST = {
    "Cargo.toml": '[package]\nname = "demo"\n',
    "src/lib.rs": "pub mod shapes;\npub mod util;\n\npub fn run() -> f64 {\n    util::sum(1.0, 2.0)\n}\n",
    "src/util.rs": "pub fn sum(a: f64, b: f64) -> f64 {\n    a + b\n}\n",
    "src/shapes.rs": "pub trait Shape {\n    fn area(&self) -> f64;\n}\n\npub struct Square(pub f64);\n\n"
    "impl Shape for Square {\n    fn area(&self) -> f64 {\n        self.0 * self.0\n    }\n}\n",
}


def test_rust_qualified_call_goes_to_the_function(tmp_path):
    files = dict(RUST, **{"src/lib.rs": RUST["src/lib.rs"].replace("util::sum", "util::s$0um")})
    check_definitions(tmp_path, files, ["demo::util::sum"])


def test_rust_on_a_declaration_name_is_the_declaration(tmp_path):
    files = dict(RUST, **{"src/util.rs": RUST["src/util.rs"].replace("fn sum", "fn s$0um")})
    check_definitions(tmp_path, files, ["demo::util::sum"])


def test_rust_references_are_the_name_inside_each_user(tmp_path):
    files = dict(RUST, **{"src/util.rs": RUST["src/util.rs"].replace("fn sum", "fn s$0um")})
    check_references(tmp_path, files, ["src/util.rs:1:7-10", "src/lib.rs:5:10-13"])


def test_rust_hover_of_a_trait(tmp_path):
    files = dict(RUST, **{"src/shapes.rs": RUST["src/shapes.rs"].replace("pub trait Shape", "pub trait Sh$0ape")})
    check_hover(tmp_path, files, "trait demo::shapes::Shape | implemented by 1 (0 heuristic)")


def test_rust_hover_of_a_struct_says_what_it_implements(tmp_path):
    files = dict(RUST, **{"src/shapes.rs": RUST["src/shapes.rs"].replace("pub struct Square", "pub struct Sq$0uare")})
    check_hover(tmp_path, files, "struct demo::shapes::Square | implements Shape")


JAVA = {
    "src/com/acme/shapes/Circle.java": "package com.acme.shapes;\n\npublic class Circle {\n"
    "    public static Circle unit() { return new Circle(); }\n"
    "    public double area() { return 3.14; }\n}\n",
    "src/com/acme/shapes/Square.java": "package com.acme.shapes;\n\npublic class Square {\n"
    "    public static Square unit() { return new Square(); }\n}\n",
    "src/com/acme/App.java": "package com.acme;\n\nimport com.acme.shapes.Circle;\n\npublic class App {\n"
    "    public static void main(String[] args) {\n"
    "        Circle c = Circle.unit();\n        c.area();\n    }\n}\n",
}


def test_java_qualified_static_call_uses_the_dotted_qualifier(tmp_path):
    files = dict(
        JAVA, **{"src/com/acme/App.java": JAVA["src/com/acme/App.java"].replace("Circle.unit", "Circle.u$0nit")}
    )
    check_definitions(tmp_path, files, ["com.acme.shapes.Circle.unit"])


def test_java_imported_type_resolves_through_the_import(tmp_path):
    files = dict(JAVA, **{"src/com/acme/App.java": JAVA["src/com/acme/App.java"].replace("Circle c =", "Cir$0cle c =")})
    check_definitions(tmp_path, files, ["com.acme.shapes.Circle"])


def test_java_method_call_on_a_local(tmp_path):
    files = dict(JAVA, **{"src/com/acme/App.java": JAVA["src/com/acme/App.java"].replace("c.area()", "c.ar$0ea()")})
    check_definitions(tmp_path, files, ["com.acme.shapes.Circle.area"])


PYTHON = {
    "shop/__init__.py": "",
    "shop/models.py": "class Item:\n    def price(self) -> float:\n        return 1.0\n\n\n"
    "def make() -> Item:\n    return Item()\n",
    "shop/other.py": "def make() -> int:\n    return 0\n",
    "shop/cart.py": "from shop import models\n\n\ndef total() -> float:\n    return models.make().price()\n",
}


def test_python_module_qualified_call(tmp_path):
    files = dict(PYTHON, **{"shop/cart.py": PYTHON["shop/cart.py"].replace("models.make", "models.ma$0ke")})
    check_definitions(tmp_path, files, ["shop.models.make"])


def test_python_hover_of_a_function_counts_its_callers(tmp_path):
    files = dict(PYTHON, **{"shop/models.py": PYTHON["shop/models.py"].replace("def make", "def ma$0ke")})
    check_hover(tmp_path, files, "function shop.models.make | called by 1 (0 heuristic)")


GO = {
    "go.mod": "module example.com/m\n\ngo 1.21\n",
    "shapes/shapes.go": "package shapes\n\ntype Circle struct{ R float64 }\n\n"
    "func NewCircle(r float64) *Circle { return &Circle{R: r} }\n",
    "other/other.go": "package other\n\nfunc NewCircle() int { return 0 }\n",
    "main.go": 'package main\n\nimport "example.com/m/shapes"\n\nfunc main() {\n    _ = shapes.NewCircle(1)\n}\n',
}


def test_go_package_qualified_call(tmp_path):
    files = dict(GO, **{"main.go": GO["main.go"].replace("shapes.NewCircle", "shapes.New$0Circle")})
    check_definitions(tmp_path, files, ["example.com/m/shapes.NewCircle"])


TYPESCRIPT = {
    "src/model.ts": "export class Book {\n  title(): string { return ''; }\n}\n",
    "src/other.ts": "export class Book {}\n",
    "src/app.ts": "import * as model from './model';\n\nexport function main(): void {\n"
    "  const b = new model.Book();\n  b.title();\n}\n",
}


def test_typescript_namespace_qualified_class(tmp_path):
    files = dict(TYPESCRIPT, **{"src/app.ts": TYPESCRIPT["src/app.ts"].replace("model.Book", "model.Bo$0ok")})
    check_definitions(tmp_path, files, ["src/model::Book"])


# ---- the rest of the API ----------------------------------------------------------------------------------------


def test_lenses_answer_implementations_and_callers_and_leave_blast_radius_for_later(tmp_path):
    analysis, *_ = workspace(tmp_path, dict(RUST, **{"src/lib.rs": RUST["src/lib.rs"] + "// $0\n"}))
    lenses = {(lens.kind, lens.node.fqp): lens for lens in analysis.lenses("src/shapes.rs") or []}
    assert lenses[("implementations", "demo::shapes::Shape")].facts.title == "1 implementation"
    assert lenses[("blastRadius", "demo::shapes::Shape")].facts is None
    radius = analysis.lens(lenses[("blastRadius", "demo::shapes::Shape")].node, "blastRadius")
    assert radius.title.startswith("blast radius: ") and radius.full_title.endswith(" of Shape")
    assert analysis.lenses("src/missing.rs") is None


def test_document_symbols_nest_methods_under_their_types(tmp_path):
    analysis, *_ = workspace(
        tmp_path, dict(JAVA, **{"src/com/acme/App.java": JAVA["src/com/acme/App.java"] + "//$0\n"})
    )
    trees = analysis.document_symbols("src/com/acme/shapes/Circle.java") or []
    assert [(t.node.name, [(c.node.name, c.is_method) for c in t.children]) for t in trees] == [
        ("shapes", []),
        ("Circle", [("unit", True), ("area", True)]),
    ]  # the package clause, then the class


def test_incoming_calls_carry_where_the_caller_names_the_callee(tmp_path):
    analysis, *_ = workspace(tmp_path, dict(RUST, **{"src/lib.rs": RUST["src/lib.rs"] + "// $0\n"}))
    [sum_node] = analysis.graph.by_fqp("demo::util::sum")
    [call] = analysis.incoming_calls(sum_node)
    assert call.target.node.fqp == "demo::run"
    assert [(r.start_line, r.start_character) for r in call.ranges] == [(4, 10)]


def test_counts_follow_the_graph_version(tmp_path):
    analysis, *_ = workspace(tmp_path, dict(RUST, **{"src/lib.rs": RUST["src/lib.rs"] + "// $0\n"}))
    before = analysis.counts()
    assert before.files == 3 and before.nodes_by_kind["F"] >= 3
    analysis.engine.update_file("src/extra.rs", b"pub fn extra() {}\n")
    assert analysis.counts().files == 4 and analysis.counts() is analysis.counts()


def test_workspace_targets_by_id_and_fqp(tmp_path):
    analysis, *_ = workspace(tmp_path, dict(RUST, **{"src/lib.rs": RUST["src/lib.rs"] + "// $0\n"}))
    space = Workspace([analysis])
    found, nodes = space.by_fqp("demo::util::sum")
    assert found is analysis and [n.name for n in nodes] == ["sum"]
    assert space.by_id(nodes[0].id.hex())[1] == nodes
    with pytest.raises(TargetError, match="did you mean demo::util::sum"):
        space.by_fqp("demo::util::summ")
    with pytest.raises(TargetError):
        space.by_id("not hex")


def test_heuristic_edges_follow_the_config(tmp_path):
    files = {
        "Cargo.toml": RUST["Cargo.toml"],
        "src/lib.rs": "pub struct A;\nimpl A {\n    pub fn go(&self) {}\n}\n\n"
        "pub fn call<T>(x: T) {\n    x.go();\n}\n// $0\n",  # a receiver of unknown type: a guess
    }
    analysis, *_ = workspace(tmp_path, files)
    [go] = analysis.graph.by_fqp("demo::A::go")
    assert [r.node.name for r in analysis.callers([go])] == ["call"]
    strict = Analysis(analysis.engine, config=AnalysisConfig(include_heuristic=False))
    assert strict.callers([go]) == []
