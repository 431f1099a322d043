"""Go: the fixture's whole graph (golden), packages from go.mod, structural IMPL (heuristic), surgery = fresh index,
and a real module (Debian's golang-github-google-go-cmp-dev, installed by the test command) against known facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.languages.go import GoLayout, _import_name
from isg_lsp.model import EdgeKind, NodeKind, Resolution
from tests.helpers import FIXTURES, GOLDEN, check_golden, dump

DEMO = FIXTURES / "go" / "demo"
GO_CMP = Path("/usr/share/gocode/src/github.com/google/go-cmp")
SHAPES = "example.com/m/shapes"


@pytest.fixture(scope="module")
def demo():
    engine = Engine(DEMO, persist=False)
    report = engine.index()
    return engine.graph, report


def one(graph, fqp, kind=None):
    found = [n for n in graph.by_fqp(fqp) if not n.external and (kind is None or n.kind is kind)]
    assert len(found) == 1, f"{fqp}: {found}"
    return found[0]


def targets(graph, node, kind):
    return {graph.nodes[e.dst].fqp: e for e in graph.successors(node.id, (kind,))}


def sources(graph, node, kind):
    return {graph.nodes[e.src].fqp: e for e in graph.predecessors(node.id, (kind,))}


def test_demo_matches_golden(demo):
    check_golden(dump(demo[0]), GOLDEN / "go-demo.txt")


def test_demo_covers_every_go_node_and_edge_kind(demo):
    graph, report = demo
    kinds = {n.kind for n in graph.nodes.values() if not n.external}
    assert kinds == set(NodeKind) - {NodeKind.ENUM}                  # Go has no enums
    assert {e.kind for e in graph.edges()} == set(EdgeKind)
    assert report.syntax_errors == 0


def test_packages_from_go_mod():
    layout = GoLayout("ws", {"": "example.com/m", "tools": "example.com/tools"})
    assert layout.package_of("main.go") == ("example.com/m", "example.com/m")
    assert layout.package_of("internal/x/a.go") == ("example.com/m/internal/x", "example.com/m")
    assert layout.package_of("tools/cmd/b.go") == ("example.com/tools/cmd", "example.com/tools")
    assert GoLayout("ws").package_of("a/b/c.go") == ("a/b", "")            # no go.mod: the folder
    assert _import_name("gopkg.in/yaml.v3") == "yaml"
    assert _import_name("github.com/google/go-cmp/cmp") == "cmp"
    assert _import_name("example.com/m/v2") == "m"


def test_packages_items_and_methods(demo):
    graph, _ = demo
    shapes = one(graph, SHAPES, NodeKind.MODULE)
    assert shapes.signature == "package shapes"
    assert set(targets(graph, one(graph, "example.com/m", NodeKind.MODULE), EdgeKind.CONTAINS)) == {
        "example.com/m.Run", SHAPES, "example.com/m/util"}
    assert one(graph, f"{SHAPES}.Circle").kind is NodeKind.STRUCT
    assert one(graph, f"{SHAPES}.Shape").kind is NodeKind.TRAIT
    assert one(graph, f"{SHAPES}.ID").signature == "type ID = string"
    assert one(graph, f"{SHAPES}.Celsius").kind is NodeKind.ASSOC_TYPE
    assert one(graph, f"{SHAPES}.Handler").kind is NodeKind.ASSOC_TYPE
    # methods are named after their receiver's type and contained by it, whichever file declares them
    circle = one(graph, f"{SHAPES}.Circle")
    assert set(targets(graph, circle, EdgeKind.CONTAINS)) == {f"{SHAPES}.Circle.Area", f"{SHAPES}.Circle.Name",
                                                              f"{SHAPES}.Circle.String"}
    assert one(graph, f"{SHAPES}.Circle.Name").file == "shapes/base.go"
    assert one(graph, f"{SHAPES}.Circle.Area").signature == "func (c *Circle) Area() float64"
    assert one(graph, f"{SHAPES}.Circle.Area").visibility == "exported"
    assert one(graph, f"{SHAPES}.helper").visibility is None
    assert set(targets(graph, one(graph, f"{SHAPES}.Shape"), EdgeKind.DEFINES)) == {f"{SHAPES}.Shape.Area"}


def test_embedding_fields_signatures_and_generics(demo):
    graph, _ = demo
    circle = one(graph, f"{SHAPES}.Circle")
    extends = targets(graph, circle, EdgeKind.EXTENDS)
    assert set(extends) == {f"{SHAPES}.Base", "example.com/m/util.Mixin"}
    assert extends["example.com/m/util.Mixin"].resolution is Resolution.IMPORT
    assert set(targets(graph, one(graph, f"{SHAPES}.Shape"), EdgeKind.EXTENDS)) == {f"{SHAPES}.Named",
                                                                                    "fmt.Stringer"}
    # map[string][]util.Tag: named types only
    assert set(targets(graph, circle, EdgeKind.USES)) == {"example.com/m/util.Tag"}
    new = one(graph, f"{SHAPES}.New")
    assert set(targets(graph, new, EdgeKind.ACCEPTS)) == {f"{SHAPES}.New.<T>", f"{SHAPES}.Circle"}
    assert set(targets(graph, new, EdgeKind.RETURNS)) == {f"{SHAPES}.Circle", "error"}
    assert set(targets(graph, one(graph, f"{SHAPES}.New.<T>"), EdgeKind.BOUND_BY)) == {f"{SHAPES}.Number"}
    assert set(targets(graph, one(graph, f"{SHAPES}.List"), EdgeKind.USES)) == {f"{SHAPES}.List.<T>"}


def test_structural_impl_is_heuristic(demo):
    graph, _ = demo
    shape = one(graph, f"{SHAPES}.Shape")
    # Shape's method set (Area + embedded fmt.Stringer's String + embedded Named's Name) is covered by Circle only
    impl = sources(graph, shape, EdgeKind.IMPL)
    assert set(impl) == {f"{SHAPES}.Circle"}
    assert (impl[f"{SHAPES}.Circle"].resolution, impl[f"{SHAPES}.Circle"].candidates) == (Resolution.HEURISTIC, 1)
    named = sources(graph, one(graph, f"{SHAPES}.Named"), EdgeKind.IMPL)
    assert set(named) == {f"{SHAPES}.Base", f"{SHAPES}.Circle", f"{SHAPES}.Celsius"}
    assert {e.candidates for e in named.values()} == {3}
    # a constraint interface has no method set: no IMPL edges
    assert not sources(graph, one(graph, f"{SHAPES}.Number"), EdgeKind.IMPL)
    # `String() string` implements the external fmt.Stringer
    stringer = targets(graph, one(graph, "example.com/m/util.Mixin"), EdgeKind.IMPL)["fmt.Stringer"]
    assert stringer.resolution is Resolution.HEURISTIC


def calls(graph, fqp):
    node = one(graph, fqp)
    return {graph.nodes[e.dst].fqp: e for e in graph.successors(node.id, (EdgeKind.CALLS,))}


def test_calls(demo):
    graph, _ = demo
    new = calls(graph, f"{SHAPES}.New")
    assert new[f"{SHAPES}.helper"].resolution is Resolution.EXACT                  # same package (and in a closure)
    assert new["example.com/m/util.Do"].resolution is Resolution.IMPORT
    assert new[f"{SHAPES}.Circle.Area"].resolution is Resolution.EXACT             # c := &Circle{}; c.Area()
    assert new[f"{SHAPES}.Shape.Area"].resolution is Resolution.EXACT              # var s Shape; s.Area()
    assert "fmt.Println" not in new                                                 # outside: unresolved, no guess
    run = calls(graph, "example.com/m.Run")
    assert run[f"{SHAPES}.New"].resolution is Resolution.IMPORT
    # c comes from a call of shapes.New, declared to return *Circle: its methods, through the file's imports
    assert (run[f"{SHAPES}.Circle.Area"].resolution, run[f"{SHAPES}.Circle.Area"].candidates) == (
        Resolution.IMPORT, None)
    assert not any(e.resolution is Resolution.HEURISTIC for e in run.values())


def test_surgery_equals_fresh_index(copy_fixture):
    root = copy_fixture("go/demo")
    engine = Engine(root, persist=False)
    engine.index()
    edits = {
        # Circle loses Name in another file: it no longer satisfies Shape or Named
        "shapes/base.go": lambda t: t.replace('func (c *Circle) Name() string { return "c" }\n', ""),
        # Mixin (another package) gains Area: with its String it satisfies the new Shape below
        "util/util.go": lambda t: t + "\nfunc (m Mixin) Area() float64 { return 0 }\n",
        # the interface changes its method set
        "shapes/shapes.go": lambda t: t.replace("\tArea() float64\n\tNamed\n", "\tArea() float64\n"),
    }
    for rel, edit in edits.items():
        path = root / rel
        text = edit(path.read_text())
        path.write_text(text)
        engine.update_file(rel, text.encode())
        fresh = Engine(root, persist=False)
        fresh.index()
        assert engine.graph.snapshot() == fresh.graph.snapshot(), f"after editing {rel}"
    # the last edit made Shape = {String, Area}: Circle (String, Area) and, after the second edit, Mixin satisfy it
    impl = sources(engine.graph, one(engine.graph, f"{SHAPES}.Shape"), EdgeKind.IMPL)
    assert set(impl) == {f"{SHAPES}.Circle", "example.com/m/util.Mixin"}
    (root / "shapes/base.go").unlink()
    engine.update_file("shapes/base.go", None)
    fresh = Engine(root, persist=False)
    fresh.index()
    assert engine.graph.snapshot() == fresh.graph.snapshot()


def test_broken_syntax_still_gives_facts(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/broken\n")
    (tmp_path / "a.go").write_text("package a\n\nfunc F( {\n}\n\ntype T struct{ X int }\n")
    engine = Engine(tmp_path, persist=False)
    report = engine.index()
    assert engine.graph.by_fqp("example.com/broken.T")
    assert report.syntax_errors >= 1


# ---- real code: github.com/google/go-cmp ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def go_cmp():
    if not (GO_CMP / "go.mod").is_file():
        pytest.fail(f"{GO_CMP} is missing: run the test command (bash .ci/test.sh), which installs "
                    f"golang-github-google-go-cmp-dev")
    engine = Engine(GO_CMP, persist=False)
    report = engine.index()
    return engine.graph, report


CMP = "github.com/google/go-cmp/cmp"


@pytest.mark.realcode
def test_go_cmp_packages_and_items(go_cmp):
    graph, report = go_cmp
    assert report.by_language == {"go": report.files} and report.files >= 30
    package = one(graph, CMP, NodeKind.MODULE)
    assert package.name == "cmp"
    assert {f"{CMP}/cmpopts", f"{CMP}.Equal", f"{CMP}.Option"} <= set(targets(graph, package, EdgeKind.CONTAINS))
    equal = one(graph, f"{CMP}.Equal")
    assert equal.signature == "func Equal(x, y interface{}, opts ...Option) bool"
    assert set(targets(graph, equal, EdgeKind.ACCEPTS)) == {f"{CMP}.Option"}
    assert f"{CMP}.newState" in {graph.nodes[e.dst].fqp for e in graph.successors(equal.id, (EdgeKind.CALLS,))}
    option = one(graph, f"{CMP}.Option")
    assert option.kind is NodeKind.TRAIT
    assert set(targets(graph, option, EdgeKind.DEFINES)) == {f"{CMP}.Option.filter"}
    # cmpopts calls into cmp through its import
    equate = one(graph, f"{CMP}/cmpopts.EquateEmpty")
    found = {graph.nodes[e.dst].fqp: e for e in graph.successors(equate.id, (EdgeKind.CALLS,))}
    assert found[f"{CMP}.FilterValues"].resolution is Resolution.IMPORT
    assert set(targets(graph, equate, EdgeKind.RETURNS)) == {f"{CMP}.Option"}


@pytest.mark.realcode
def test_go_cmp_embedding_and_structural_impl(go_cmp):
    graph, _ = go_cmp
    field = one(graph, f"{CMP}.StructField")
    assert set(targets(graph, field, EdgeKind.EXTENDS)) == {f"{CMP}.structField"}
    path_step = one(graph, f"{CMP}.PathStep")
    implementors = sources(graph, path_step, EdgeKind.IMPL)
    assert {f"{CMP}.StructField", f"{CMP}.SliceIndex", f"{CMP}.MapIndex", f"{CMP}.Indirect",
            f"{CMP}.TypeAssertion", f"{CMP}.Transform"} <= set(implementors)
    assert all(e.resolution is Resolution.HEURISTIC and e.candidates == len(implementors)
               for e in implementors.values())
    # Options ([]Option, a defined type, A) has a filter method: it is an Option too
    assert f"{CMP}.Options" in sources(graph, one(graph, f"{CMP}.Option"), EdgeKind.IMPL)
    assert one(graph, f"{CMP}.Options").kind is NodeKind.ASSOC_TYPE
    # ISG-SPEC §1 Clarifications on real code: `comparer` has coreOption's isCore through its embedded `core`;
    # cmpopts' filters have methods named like Option's unexported `filter`, but no other package can declare it
    assert f"{CMP}.comparer" in sources(graph, one(graph, f"{CMP}.coreOption"), EdgeKind.IMPL)
    assert not [fqp for fqp in sources(graph, one(graph, f"{CMP}.Option"), EdgeKind.IMPL)
                if fqp.startswith(f"{CMP}/cmpopts.")]
    # `indirect` has String through its embedded pathStep: fmt.Stringer
    assert "fmt.Stringer" in targets(graph, one(graph, f"{CMP}.indirect"), EdgeKind.IMPL)
    # unsafe.Pointer is a primitive
    assert not [n for n in graph.nodes.values() if n.external and n.name == "Pointer"]


# ---- Go beside Rust, TypeScript, Python and Java ---------------------------------------------------------------

POLY_GO = """package poly

type Shape interface {
	Area() float64
}

type Circle struct {
	R float64
}

func (c Circle) Area() float64 { return 3.14 * c.R * c.R }

func Total(shapes []Shape) float64 {
	sum := 0.0
	for _, s := range shapes {
		sum += s.Area()
	}
	return sum
}

func Unit() Shape { return Circle{R: 1} }
"""


@pytest.fixture(scope="module")
def poly_with_go(tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("poly") / "poly"
    shutil.copytree(FIXTURES / "mixed" / "poly", root)
    (root / "go").mkdir()
    (root / "go" / "go.mod").write_text("module example.com/poly\n\ngo 1.21\n")
    (root / "go" / "shape.go").write_text(POLY_GO)
    engine = Engine(root, persist=False)
    report = engine.index()
    return root, engine, report


def test_mixed_workspace_with_go(poly_with_go):
    from isg_lsp import queries

    _, engine, report = poly_with_go
    graph = engine.graph
    assert report.by_language.get("go") == 1 and len(report.by_language) >= 4
    shape, circle = one(graph, "example.com/poly.Shape"), one(graph, "example.com/poly.Circle")
    # structural IMPL stays in Go: Java's, TypeScript's, Python's and Rust's `area` methods are not Go methods
    assert [r.node.fqp for r in queries.who_implements(graph, [shape])] == ["example.com/poly.Circle"]
    assert [r.node.fqp for r in queries.who_implements(graph, [one(graph, "example.com/poly.Shape.Area")])] == [
        "example.com/poly.Circle.Area"]
    callees = {r.node.fqp: r.edge.resolution.value
               for r in queries.callees(graph, [one(graph, "example.com/poly.Total")])}
    # `for _, s := range shapes` over a []Shape: s is a Shape, and `s.Area()` is the interface's method (go/types
    # says so too); who implements it takes it from there
    assert callees == {"example.com/poly.Shape.Area": "exact"}
    radius = queries.blast_radius(graph, [shape], depth=3)
    assert circle.fqp in {i.node.fqp for i in radius.impacted}
    assert {i.node.lang for i in radius.impacted} == {"go"}
    # and the Java side still resolves its own names only
    java_circle = one(graph, "com.acme.geometry.Circle")
    assert {graph.nodes[e.dst].lang for e in graph.successors(java_circle.id)} == {"java"}


def test_mixed_workspace_cli(poly_with_go, tmp_path, capsys):
    import json

    from isg_lsp.cli import main as cli_main

    root, _, _ = poly_with_go
    db = str(tmp_path / "isg.db")
    assert cli_main(["index", str(root), "--db", db, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_language"]["go"] == 1 and summary["by_language"]["java"] == 2
    assert cli_main(["query", str(root), "--db", db, "--json", "who-implements Shape"]) == 0
    text = capsys.readouterr().out
    assert "example.com/poly.Circle" in text and "com.acme.geometry.Circle" in text


# ---- ISG-SPEC §1 Clarifications (Go) ---------------------------------------------------------------------------

CLARIFIED = {
    "go.mod": "module example.com/c\n",
    "opt/opt.go": (
        "package opt\n\n"
        "type Option interface{ filter(n int) bool }\n\n"
        "type Named interface{ Name() string; Size() (int, error) }\n\n"
        "type core struct{}\n\n"
        "func (core) filter(n int) bool { return true }\n\n"
        "type comparer struct{ core }\n\n"
        "type base struct{}\n\n"
        "func (*base) Name() string { return \"\" }\n\n"
        "type Sized struct {\n\t*base\n}\n\n"
        "func (Sized) Size() (int, error) { return 0, nil }\n\n"
        "type Wrong struct{}\n\n"
        "func (Wrong) Name() string { return \"\" }\n\n"
        "func (Wrong) Size() int { return 0 }\n\n"
        "func init() { Use() }\n\n"
        "func Use() { _ = Map[int](nil) }\n\n"
        "func Map[T any](xs []T) []T { return xs }\n"),
    "other/other.go": (
        "package other\n\nimport \"example.com/c/opt\"\n\n"
        "type Foreign struct{}\n\nfunc (Foreign) filter(n int) bool { return false }\n\n"
        "type Wrapper struct{ opt.Sized }\n"),
    "gen/gen.go": (
        "package gen\n\n"
        "type Number interface{ ~int | ~float64 }\n\n"
        "type Box[T any] struct{ v T }\n\n"
        "type Stream[T any] struct{ items []T }\n\n"
        "func (s Stream[T]) Next() T { var t T; return t }\n\n"
        "func (s *Stream[T]) Push(v T) {}\n\n"
        "func Sum[T Number | ~string, M ~map[K]V, S ~[]E, B Box[T], I interface{ Number; fmt() }, K comparable, "
        "V any, E any](m M, s S) T { var t T; return t }\n\n"
        "func Pair[T any, U interface{ ~[]T }](u U) T { var t T; return t }\n"),
}


@pytest.fixture(scope="module")
def clarified(tmp_path_factory):
    root = tmp_path_factory.mktemp("go-clarified")
    for rel, text in CLARIFIED.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    engine = Engine(root, persist=False)
    engine.index()
    return engine.graph


def test_structural_impl_counts_promoted_methods_of_embedded_fields(clarified):
    # comparer has filter through its embedded core; Sized has Name through *base and Size of its own; Wrapper
    # (another package) has both through opt.Sized
    option = sources(clarified, one(clarified, "example.com/c/opt.Option"), EdgeKind.IMPL)
    assert set(option) == {"example.com/c/opt.core", "example.com/c/opt.comparer"}
    named = sources(clarified, one(clarified, "example.com/c/opt.Named"), EdgeKind.IMPL)
    assert set(named) == {"example.com/c/opt.Sized", "example.com/c/other.Wrapper"}
    assert all(e.resolution is Resolution.HEURISTIC and e.candidates == 2 for e in named.values())


def test_structural_impl_needs_the_same_package_for_unexported_methods_and_the_same_shapes(clarified):
    # other.Foreign's `filter` cannot be Option's (unexported: only package opt declares it); Wrong.Size returns one
    # value where Named's returns two
    option = sources(clarified, one(clarified, "example.com/c/opt.Option"), EdgeKind.IMPL)
    assert "example.com/c/other.Foreign" not in option
    assert "example.com/c/opt.Wrong" not in sources(clarified, one(clarified, "example.com/c/opt.Named"),
                                                    EdgeKind.IMPL)


def test_receiver_type_parameters_are_the_types_g_nodes(clarified):
    stream_t = "example.com/c/gen.Stream.<T>"
    assert set(targets(clarified, one(clarified, "example.com/c/gen.Stream.Next"), EdgeKind.RETURNS)) == {stream_t}
    assert set(targets(clarified, one(clarified, "example.com/c/gen.Stream.Push"), EdgeKind.ACCEPTS)) == {stream_t}
    assert not [n for n in clarified.nodes.values() if n.fqp.startswith("example.com/c/gen.Stream.Next.<")]


def test_constraints_bound_by_what_they_are_made_of(clarified):
    def bounds(fqp):
        return set(targets(clarified, one(clarified, fqp), EdgeKind.BOUND_BY))

    gen = "example.com/c/gen"
    assert bounds(f"{gen}.Sum.<T>") == {f"{gen}.Number"}               # union terms; `~string` is primitive
    assert bounds(f"{gen}.Sum.<M>") == set()                           # ~map[K]V: element types are not bounds
    assert bounds(f"{gen}.Sum.<S>") == set()                           # ~[]E
    assert bounds(f"{gen}.Sum.<B>") == {f"{gen}.Box"}                  # the generic type, not its argument T
    assert bounds(f"{gen}.Sum.<I>") == {f"{gen}.Number"}               # embedded interfaces
    assert bounds(f"{gen}.Sum.<K>") == {"comparable"}
    assert bounds(f"{gen}.Sum.<V>") == set()                           # any is primitive
    assert bounds(f"{gen}.Pair.<U>") == set()                          # ~[]T: T is an element type


def test_init_functions_are_not_items_and_explicit_instantiations_are_calls(clarified):
    assert not clarified.by_fqp("example.com/c/opt.init")
    assert set(calls(clarified, "example.com/c/opt.Use")) == {"example.com/c/opt.Map"}


def test_promoted_methods_follow_edits_like_a_fresh_index(tmp_path):
    for rel, text in CLARIFIED.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    engine = Engine(tmp_path, persist=False)
    engine.index()
    edits = {
        "opt/opt.go": lambda t: t.replace("type Sized struct {\n\t*base\n}", "type Sized struct{}"),
        "other/other.go": lambda t: t.replace("type Wrapper struct{ opt.Sized }", "type Wrapper struct{ opt.Named }"),
    }
    for rel, edit in edits.items():
        path = tmp_path / rel
        text = edit(path.read_text())
        path.write_text(text)
        engine.update_file(rel, text.encode())
        fresh = Engine(tmp_path, persist=False)
        fresh.index()
        assert engine.graph.snapshot() == fresh.graph.snapshot(), f"after editing {rel}"
    # Sized lost Name; Wrapper embeds the Named interface itself: it has its whole method set
    named = sources(engine.graph, one(engine.graph, "example.com/c/opt.Named"), EdgeKind.IMPL)
    assert set(named) == {"example.com/c/other.Wrapper"}
