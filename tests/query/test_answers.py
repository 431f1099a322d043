"""Target resolution (isg_lsp/targets.py), shared by every entry point: each form a user writes, in every language's
fixture; grouping by symbol, roles, ambiguity, suggestions; and the notes that say why an answer is empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.querylang import QueryLanguageError, run_query
from isg_lsp.targets import TargetError, module_prefix, resolve_targets

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def graphs():
    found = {}
    for name in ("rust/demo", "python/shop", "typescript/shop", "java/demo"):
        engine = Engine(FIXTURES / name, persist=False)
        engine.index()
        found[name] = engine.graph
    return found


def fqps(graph, text, role="any"):
    return [s.fqp for s in resolve_targets(graph, text, role).symbols]


@pytest.mark.parametrize(("fixture", "text", "how", "expected"), [
    # the definition path
    ("rust/demo", "demo_crate::shapes::Shape", "fqp", ["demo_crate::shapes::Shape"]),
    # public paths through re-exports: `pub use`, `__init__.py`, `export ... from` with an index module
    ("rust/demo", "demo_crate::Shape", "public path", ["demo_crate::shapes::Shape"]),
    ("python/shop", "shop.Basket", "public path", ["shop.cart.Cart"]),
    ("python/shop", "shop.Item.describe", "public path", ["shop.models.Item.describe"]),
    ("typescript/shop", "src/core::Basket", "public path", ["src/core/cart::Cart"]),
    # an external node by its path, and a bare name naming every external node of that name
    ("rust/demo", "std::fmt::Display", "external fqp", ["std::fmt::Display"]),
    ("rust/demo", "Debug", "name", ["Debug", "std::fmt::Debug"]),
    # Type::member: the type's own members and its trait impls' members
    ("rust/demo", "Shape::area", "member", ["demo_crate::shapes::Shape::area"]),
    ("rust/demo", "Circle::area", "member",
     ["<demo_crate::shapes::circle::Circle as demo_crate::shapes::Shape>::area"]),
    ("rust/demo", "demo_crate::Shape::scaled", "public path", ["demo_crate::shapes::Shape::scaled"]),
    ("python/shop", "Cart.add", "member", ["shop.cart.Cart.add"]),
    ("java/demo", "Circle.area", "member", ["com.acme.shapes.Circle.area"]),
    ("typescript/shop", "Cart::add", "member", ["src/core/cart::Cart::add"]),
    # partial paths, a trait impl's member written short
    ("rust/demo", "circle::Circle", "member", ["demo_crate::shapes::circle::Circle"]),
    ("rust/demo", "<Circle as Shape>::area", "partial path",
     ["<demo_crate::shapes::circle::Circle as demo_crate::shapes::Shape>::area"]),
    # globs
    ("rust/demo", "demo_crate::shapes::S*", "glob", ["demo_crate::shapes::Shape", "demo_crate::shapes::Shape::area",
                                                     "demo_crate::shapes::Shape::scaled", "demo_crate::shapes::Square"]),
])
def test_each_form_resolves(graphs, fixture, text, how, expected):
    targets = resolve_targets(graphs[fixture], text)
    assert targets.how == how
    assert [s.fqp for s in targets.symbols] == expected
    assert targets.statement()


def test_a_sighash_names_its_node(graphs):
    graph = graphs["rust/demo"]
    (node,) = graph.by_fqp("demo_crate::helper")
    targets = resolve_targets(graph, node.id.hex())
    assert targets.how == "id" and targets.nodes == [node]


def test_java_overloads_are_one_symbol(graphs):
    graph = graphs["java/demo"]
    overloads = [n for n in graph.nodes.values() if not n.external and sum(
        1 for m in graph.nodes.values() if m.fqp == n.fqp) > 1]
    if not overloads:
        pytest.skip("the Java fixture has no overloads")  # pragma: no cover - it has (Maths.max)
    fqp = overloads[0].fqp
    targets = resolve_targets(graph, fqp)
    assert len(targets.symbols) == 1 and len(targets.nodes) >= 2
    assert "declarations" in targets.statement()


def test_roles_keep_what_the_question_is_about(graphs):
    graph = graphs["java/demo"]
    # a Java constructor is named after its class: callers of `Circle` are callers of the constructor
    assert all(f.startswith("com.acme.shapes.Circle") for f in fqps(graph, "Circle", "callable"))
    targets = resolve_targets(graph, "Circle", "callable")
    assert targets.fits and targets.set_aside and "left out" in targets.statement()
    # nothing fits: the text's symbols are kept, and marked so that the answer says why it is empty
    rust = graphs["rust/demo"]
    square = resolve_targets(rust, "Square", "implementable")
    assert not square.fits and [s.fqp for s in square.symbols] == ["demo_crate::shapes::Square"]


def test_unknown_targets_say_so_with_a_close_name(graphs):
    graph = graphs["rust/demo"]
    with pytest.raises(TargetError) as info:
        resolve_targets(graph, "demo_crate::shapes::Sqare")
    assert info.value.code == "unknown-target"
    assert info.value.suggestion == "demo_crate::shapes::Square"
    assert str(info.value) == "no node matches demo_crate::shapes::Sqare; did you mean demo_crate::shapes::Square?"
    with pytest.raises(TargetError) as info:
        resolve_targets(graph, "   ")
    assert info.value.code == "empty"


def test_a_name_of_too_many_symbols_asks_to_choose(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "many"\nversion = "0.1.0"\n')
    (src / "lib.rs").write_text("".join(f"pub struct T{i};\nimpl T{i} {{ pub fn new() -> Self {{ T{i} }} }}\n"
                                        for i in range(14)))
    engine = Engine(tmp_path, persist=False)
    engine.index()
    with pytest.raises(TargetError) as info:
        resolve_targets(engine.graph, "new")
    assert info.value.code == "ambiguous" and info.value.message.startswith("'new' names 14 symbols (many::T0::new")
    assert "partial path" in info.value.hint
    with pytest.raises(QueryLanguageError, match="at column 9: 'new' names 14 symbols") as error:
        run_query(engine.graph, "callers new")
    assert error.value.code == "ambiguous"
    assert len(run_query(engine.graph, "find fn where name = new").rows) == 14     # how to list them
    assert fqps(engine.graph, "T3::new") == ["many::T3::new"]
    assert len(fqps(engine.graph, "many::*::new")) == 14                          # a glob is what was asked


def test_modules_by_name_and_unknown_modules_are_errors(graphs):
    graph = graphs["rust/demo"]
    assert module_prefix(graph, "demo_crate::shapes") == "demo_crate::shapes"
    assert module_prefix(graph, "circle") == "demo_crate::shapes::circle"
    with pytest.raises(TargetError, match="no module matches 'demo_crate::shape'") as info:
        module_prefix(graph, "demo_crate::shape")
    assert info.value.suggestion == "demo_crate::shapes"
    with pytest.raises(QueryLanguageError, match="no module matches 'nowhere'"):
        run_query(graph, "cycles module in nowhere")


# ---- answers state their targets, and never come back empty without saying why -----------------------------------

def test_every_answer_states_what_its_target_resolved_to(graphs):
    graph = graphs["rust/demo"]
    result = run_query(graph, "who-implements demo_crate::Shape")
    assert result.to_text().splitlines()[0] == (
        "target: demo_crate::Shape = demo_crate::shapes::Shape (trait, src/shapes/mod.rs:5) (a public path)")
    data = result.to_json()
    (target,) = data["targets"]
    assert target["how"] == "public path" and target["symbols"][0]["fqp"] == "demo_crate::shapes::Shape"
    path = run_query(graph, "path helper to Circle::new").to_text().splitlines()
    assert path[0].startswith("from: helper = demo_crate::helper") and path[1].startswith("to: Circle::new = ")


def test_a_name_of_several_symbols_answers_for_each_grouped(graphs):
    graph = graphs["rust/demo"]
    result = run_query(graph, "callers area")
    assert result.columns[0] == "target"
    targets = [r["target"] for r in result.rows]
    assert targets == sorted(targets, key=lambda t: [s.fqp for s in result.targets[0].symbols].index(t))
    assert set(targets) == {"demo_crate::shapes::Shape::area",
                            "<demo_crate::shapes::Square as demo_crate::shapes::Shape>::area",
                            "<demo_crate::shapes::circle::Circle as demo_crate::shapes::Shape>::area"}
    assert "'area' names 3 symbols" in result.to_text()


@pytest.mark.parametrize(("fixture", "query", "note"), [
    ("rust/demo", "who-implements Named", "nothing in the graph implements demo_crate::Named (trait); impls a macro"),
    ("rust/demo", "who-implements Square", "demo_crate::shapes::Square is a struct: nothing implements or extends it"),
    ("rust/demo", "callers Shape", "demo_crate::shapes::Shape is a trait: only functions and methods have callers"),
    ("rust/demo", "callers Square::area exclude heuristic",
     "1 caller of <demo_crate::shapes::Square as demo_crate::shapes::Shape>::area rests on heuristic edges"),
    ("rust/demo", "callers demo_crate::Registry::new", "no function in the graph calls demo_crate::Registry::new"),
    ("rust/demo", "callees demo_crate::shapes::Shape::area", "calls no function of the graph"),
    ("rust/demo", "blast-radius demo_crate::helper", "nothing depends on demo_crate::helper within 3 hops"),
    ("rust/demo", "find struct where name = Nothing", "no node satisfies the query"),
    ("rust/demo", "cycles function", "no function-level cycles"),
    ("python/shop", "who-implements Priced", "classes that satisfy a Protocol without naming it as a base"),
])
def test_empty_answers_say_why(graphs, fixture, query, note):
    result = run_query(graphs[fixture], query)
    assert not result.rows
    text = result.to_text()
    assert "(no results)" in text and note in text, text


def test_exclude_heuristic_says_what_it_left_out_of_a_non_empty_answer(graphs):
    result = run_query(graphs["rust/demo"], "callers demo_crate::shapes::Shape::area exclude heuristic")
    assert [r["fqp"] for r in result.rows] == ["demo_crate::shapes::Shape::scaled"]
    assert result.notes == ["1 caller of demo_crate::shapes::Shape::area rests on heuristic edges (guesses by name) "
                            "and was left out by 'exclude heuristic'"]


# ---- exclude heuristic everywhere: cycles -------------------------------------------------------------------------

def test_cycles_that_rest_on_guesses_are_counted_and_left_out(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import helper\n\n\nclass A:\n    def run(self):\n"
                                           "        helper(self)\n")
    (tmp_path / "pkg" / "b.py").write_text("def helper(x):\n    x.run()\n")      # x of unknown type: a guess
    engine = Engine(tmp_path, persist=False)
    engine.index()
    graph = engine.graph
    for level in ("module", "function"):
        result = run_query(graph, f"cycles {level}")
        assert [r["heuristic"] for r in result.rows] == [True] and result.heuristic_count == 1, level
        assert "1 of these rests on heuristic edges" in result.to_text()
        strict = run_query(graph, f"cycles {level} exclude heuristic")
        assert strict.rows == [] and strict.heuristic_count == 0
        assert f"no {level}-level cycles without heuristic edges" in strict.to_text()
    members = run_query(graph, "cycles function").rows[0]["members"]
    assert members == ["pkg.a.A.run", "pkg.b.helper"]


# ---- impact that means impact ---------------------------------------------------------------------------------------

def test_impact_stops_at_external_nodes_and_hubs_unless_asked(tmp_path):
    """`impl Tr for Option<Key>` makes `Option` depend on `Tr`, and everything that names `Option` would follow; a
    type that 60 functions take is a hub. Both are reached and named, not walked through."""
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "hubs"\nversion = "0.1.0"\n')
    (tmp_path / "src").mkdir()
    users = "".join(f"pub fn use_option_{i}(x: Option<u8>) {{}}\npub fn take_{i}(c: &Ctx) {{}}\n" for i in range(60))
    (tmp_path / "src" / "lib.rs").write_text(
        "pub trait Tr { fn f(&self); }\n"
        "pub struct Key;\n"
        "impl Tr for Option<Key> { fn f(&self) {} }\n"
        "pub struct Ctx { pub key: Key }\n"          # Ctx USES Key: Key's impact reaches the hub Ctx
        + users)
    engine = Engine(tmp_path, persist=False)
    engine.index()
    graph = engine.graph
    result = run_query(graph, "blast-radius hubs::Tr depth 3")
    by_fqp = {r["fqp"]: r for r in result.rows}
    assert by_fqp["Option"]["hub"] and by_fqp["Option"]["distance"] == 1
    assert not any(f.startswith("hubs::use_option_") for f in by_fqp)
    assert result.summary["stoppedAt"][0]["fqp"] == "Option" and result.summary["stoppedAt"][0]["external"]
    assert "stopped at 1 node that much of the workspace depends on: Option (external, fan-in 60" in result.to_text()
    through = run_query(graph, "blast-radius hubs::Tr depth 3 through hubs")
    assert sum(1 for r in through.rows if r["fqp"].startswith("hubs::use_option_")) == 60
    assert through.summary["stoppedAt"] == []

    key = run_query(graph, "blast-radius hubs::Key depth 3")
    hub = {r["fqp"]: r for r in key.rows}["hubs::Ctx"]
    assert hub["hub"] and key.summary["hubFanIn"] == 50
    assert not any(r["fqp"].startswith("hubs::take_") for r in key.rows)
    assert key.summary["stoppedAt"][0] == {"fqp": "hubs::Ctx", "kind": "S", "external": False, "fanIn": 60}
    assert "\thub" in key.to_text()
    assert sum(1 for r in run_query(graph, "blast-radius hubs::Key depth 3 through hubs budget 100000").rows
               if r["fqp"].startswith("hubs::take_")) == 60
    # the target itself is always walked from, hub or not
    assert len(run_query(graph, "blast-radius hubs::Ctx depth 1 budget 100000").rows) == 60


def test_impact_has_a_budget_and_details_by_module(graphs):
    graph = graphs["rust/demo"]
    whole = run_query(graph, "blast-radius demo_crate::shapes::Shape depth 3")
    small = run_query(graph, "blast-radius demo_crate::shapes::Shape depth 3 budget 60")
    assert small.summary == whole.summary and small.total == whole.total == 13
    assert small.rows == whole.rows[:len(small.rows)] and small.truncated and len(small.rows) < 13
    assert len(small.to_text()) < len(whole.to_text())
    circle = run_query(graph, "blast-radius demo_crate::shapes::Shape depth 3 in demo_crate::shapes::circle")
    assert {r["module"] for r in circle.rows} == {"demo_crate::shapes::circle"} and circle.total == 2
    text = whole.to_text().splitlines()
    assert text[1].startswith("impact: 13 nodes (6 at distance 1") and text[2].startswith("by module: ")
    with pytest.raises(QueryLanguageError, match="no module matches 'nowhere'"):
        run_query(graph, "blast-radius Shape in nowhere")


def test_a_target_naming_every_symbol_is_sorted_in_one_pass(tmp_path, monkeypatch):
    """`*` names every symbol; telling the ones that fit the role from the rest once compared each with every kept one
    (quadratic: 2.1 s on a 100K-line workspace, past the query budget). No symbol is compared with another now."""
    from isg_lsp import targets

    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "wide"\nversion = "0.1.0"\n')
    (src / "lib.rs").write_text(
        "pub trait Tr { fn m(&self); }\n"
        + "".join(f"pub struct T{i};\nimpl Tr for T{i} {{ fn m(&self) {{}} }}\n" for i in range(40))
    )
    engine = Engine(tmp_path, persist=False)
    engine.index()
    compared = []
    monkeypatch.setattr(targets.Symbol, "__eq__", lambda self, other: compared.append(1) or self is other)
    found = resolve_targets(engine.graph, "*", "implementable")
    assert [s.fqp for s in found.symbols] == ["wide::Tr", "wide::Tr::m"]  # what can be implemented
    assert len(found.set_aside) >= 80  # the structs and their impl members
    assert compared == []
    rows = run_query(engine.graph, "find trait where implemented-by *").rows
    assert [r["fqp"] for r in rows] == ["wide::Tr"]


def test_only_cycles_load_the_graph_algorithms():
    """networkx (~0.13 s to import) is for cycles only: a fresh MCP server's first answer does not wait for it."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from isg_lsp.engine import Engine\n"
        "from isg_lsp.querylang import run_query\n"
        f"engine = Engine(Path({str(FIXTURES / 'rust/demo')!r}), persist=False)\n"
        "engine.index()\n"
        "for text in ('who-implements Shape', 'callers area', 'blast-radius Shape depth 2', 'find * where name = area'):\n"
        "    run_query(engine.graph, text)\n"
        "print('networkx' in sys.modules)\n"
        "run_query(engine.graph, 'cycles module')\n"
        "print('networkx' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
