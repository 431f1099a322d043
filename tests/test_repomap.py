"""The map a model reads (isg_lsp/repomap.py, issue #23): its levels, its compression, the token budget with its
ranking, the focus, determinism, and the CLI. Fixtures are the demo workspaces; the real-code check runs on serde."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.repomap import LEVELS, MapError, count_tokens, default_map, render_map
from tests.helpers import FIXTURES, debian_crate

ROOT = Path(__file__).resolve().parent.parent


def graph_of(path: Path):
    engine = Engine(path, persist=False)
    engine.index()
    graph = engine.graph
    engine.close()
    return graph


@pytest.fixture(scope="module")
def demo():
    return graph_of(FIXTURES / "rust/demo")


# ---- levels -----------------------------------------------------------------------------------------------------

def test_modules_level_is_one_line_per_module_with_its_public_types(demo):
    assert render_map(demo, "modules").text == (
        "demo_crate: Named, Registry, Label\n"
        "demo_crate::shapes: Shape, Square\n"
        "demo_crate::shapes::circle: Circle\n")


def test_api_level_shows_public_items_signatures_and_relations_but_no_calls(demo):
    text = render_map(demo, "api").text
    assert "demo_crate::shapes\n  T Shape | by Square, circle::Circle\n    F area(&self) -> f64\n" in text
    assert "  S Circle | impl shapes::Shape; derives Clone, Copy, Debug\n    F new(radius: f64) -> Self\n" in text
    assert "  T Named | bound Sized, std::fmt::Debug\n" in text          # supertraits, not repeated in the signature
    assert "calls" not in text
    assert "count" not in text and "sum" not in text and "demo_crate::util" not in text   # private items
    assert " pub " not in text                                            # everything shown is public


def test_full_level_has_private_items_and_calls_grouped_by_module(demo):
    text = render_map(demo, "full").text
    assert "demo_crate::util\n  F pub(crate) sum<I: Iterator<Item = f64>>(values: I) -> f64\n" in text
    assert "    F pub total(&self) -> f64 | calls count, util::sum, ~area\n" in text    # own type, then other modules
    assert "    F count(&self) -> usize\n" in text
    helper = next(line for line in text.splitlines() if line.startswith("  F pub helper() -> u32 | calls "))
    assert "shapes::unit_circle" in helper and "Circle as shapes::Shape>::area" in helper    # issue #16: a fact
    assert "~area" in text                                                  # total's `|s| s.area()`: still a guess


def test_levels_nest_in_size(demo):
    sizes = [render_map(demo, level).tokens for level in LEVELS]
    assert sizes == sorted(sizes) and sizes[0] > 0


@pytest.mark.parametrize("fixture, private, public", [
    ("java/demo", "helper", "static Circle unit()"),
    ("typescript/shop", "internalTotal", "sum<T extends Priced>(items: T[], currency: Currency): Money"),
    ("python/shop", "_apply_discount", "checkout(cart: Cart) -> float"),
])
def test_api_level_in_other_languages(fixture, private, public):
    graph = graph_of(FIXTURES / fixture)
    api, full = render_map(graph, "api").text, render_map(graph, "full").text
    assert public in api
    if private in full:
        assert private not in api


def test_java_overloads_fold_into_one_line_and_overrides_into_the_type_line():
    text = render_map(graph_of(FIXTURES / "java/demo"), "api").text
    # every overload's signature is on the one line (what each accepts and returns stays stated)
    assert "    F Circle(double radius) | or ()\n" in text
    assert "    F void register(T item) | or (T item, int times)\n" in text
    assert "  S Circle | ext Base; overrides area\n" in text
    assert "double area()" in text.split("  S Circle")[0] + text.split("  T Shape")[1]   # Shape declares it


def test_tests_examples_and_benches_only_when_asked(tmp_path):
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "tests").mkdir()
    (crate / "examples").mkdir()
    (crate / "Cargo.toml").write_text('[package]\nname = "crate_x"\nversion = "0.1.0"\n')
    (crate / "src/lib.rs").write_text(textwrap.dedent("""\
        pub struct Engine;
        impl Engine { pub fn start(&self) {} }
        #[cfg(test)]
        mod tests {
            pub struct Fake;
            #[test]
            pub fn starts() {}
        }
        """))
    (crate / "tests/it.rs").write_text("pub struct Harness;\npub fn runs() {}\n")
    (crate / "examples/demo.rs").write_text("pub struct Example;\nfn main() {}\n")
    graph = graph_of(crate)
    for level in LEVELS:
        text = render_map(graph, level).text
        assert "Engine" in text
        assert not any(name in text for name in ("Fake", "Harness", "Example", "starts")), (level, text)
        with_tests = render_map(graph, level, include_tests=True).text
        assert all(name in with_tests for name in ("Fake", "Harness", "Example")), (level, with_tests)


def test_a_package_named_example_is_not_a_test():
    from isg_lsp.model import Node, NodeKind
    from isg_lsp.repomap import is_test

    def node(path, fqp="x::f", lang="java"):
        return Node(b"x", NodeKind.FUNCTION, "f", fqp, lang, path, None, "")

    assert not is_test(node("src/main/java/com/example/shop/Cart.java"))
    assert is_test(node("src/test/java/com/example/shop/CartTest.java"))
    assert is_test(node("examples/demo.rs", lang="rust")) and is_test(node("pkg/tests/test_cart.py", lang="python"))
    assert is_test(node("src/lib.rs", "crate_x::tests::starts", "rust"))


def test_families_of_generated_functions_are_written_once(tmp_path):
    crate = tmp_path / "gen"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "gen"\nversion = "0.1.0"\n')
    types = ["Abi", "Arm", "BinOp", "Block", "Expr"]
    (crate / "src/lib.rs").write_text("".join(f"pub struct {t};\n" for t in types) + "pub trait Visit {\n" + "".join(
        f"    fn visit_{t.lower() if t != 'BinOp' else 'bin_op'}(&mut self, i: &{t}) {{}}\n" for t in types) + "}\n")
    text = render_map(graph_of(crate), "api").text
    assert "    F visit_{x}(&mut self, i: &{X}) for X in Abi, Arm, BinOp, Block, Expr\n" in text
    assert "visit_abi" not in text


def _crate(tmp_path, name: str, source: str) -> Path:
    crate = tmp_path / name
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\n')
    (crate / "src/lib.rs").write_text(textwrap.dedent(source))
    return crate


def test_relation_lists_keep_every_name_and_group_a_module_once(tmp_path):
    types = [f"S{i}" for i in range(14)]                       # more than the 12 names a list once showed
    graph = graph_of(_crate(tmp_path, "rel", "pub trait Shape {}\npub mod many {\n" + "".join(
        f"    pub struct {t};\n    impl crate::Shape for {t} {{}}\n" for t in types) + "}\n"))
    api, full = render_map(graph, "api").text, render_map(graph, "full").text
    assert "  T Shape | by many::{" + ", ".join(sorted(types)) + "}\n" in api
    assert "+2" not in api and "+2" not in full
    assert all(f"  S pub {t} | impl Shape\n" in full for t in types)


def test_external_implementors_are_on_the_trait_line(tmp_path):
    graph = graph_of(_crate(tmp_path, "ext", """\
        pub trait Log { fn log(&self); }
        impl<T: Log> Log for Box<T> { fn log(&self) {} }
        pub struct Quiet;
        impl Log for Quiet { fn log(&self) {} }
        """))
    assert "  T Log | by Box, Quiet\n" in render_map(graph, "api").text
    assert "  T pub Log | by Box\n" in render_map(graph, "full").text      # Quiet's own line says `impl Log`


def test_a_method_folds_into_overrides_only_when_it_restates_the_supertype(tmp_path):
    package = tmp_path / "j" / "src" / "com" / "x"
    package.mkdir(parents=True)
    (package / "Stage.java").write_text("package com.x;\n\npublic interface Stage<T> {\n    Stage<T> then(int times);\n"
                                        "    String name();\n}\n")
    (package / "Future.java").write_text("package com.x;\n\npublic class Future<T> implements Stage<T> {\n"
                                         "    public Future<T> then(int times) { return this; }\n"
                                         "    public String name() { return \"f\"; }\n}\n")
    text = render_map(graph_of(tmp_path / "j"), "api").text
    # name() says nothing new; then() returns Future<T>, not Stage<T>: folding it would state a wrong return type
    assert "  S Future<T> | impl Stage; overrides name\n    F Future<T> then(int times)\n" in text


def test_java_object_methods_fold_only_when_they_keep_objects_result_type(tmp_path):
    package = tmp_path / "j" / "src" / "com" / "x"
    package.mkdir(parents=True)
    (package / "Cell.java").write_text(
        "package com.x;\n\npublic class Cell implements Cloneable {\n"
        "    public String toString() { return \"c\"; }\n"
        "    public boolean equals(Object other) { return false; }\n"
        "    public int hashCode() { return 1; }\n"
        "    public Cell clone() { return new Cell(); }\n}\n")
    text = render_map(graph_of(tmp_path / "j"), "api").text
    # toString, equals and hashCode restate Object's (what they return is Object's); clone() returns a Cell, which
    # `overrides clone` would hide (a reader would take Object's `Object clone()`)
    assert "  S Cell | impl java.lang.Cloneable; overrides toString, equals, hashCode\n    F Cell clone()\n" in text


# ---- the budget -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("budget", [40, 80, 120, 200])
def test_budget_cuts_with_a_line_saying_what_was_left_out(demo, budget):
    whole = render_map(demo, "full")
    cut = render_map(demo, "full", budget=budget)
    assert cut.tokens <= budget
    assert cut.units < whole.units and cut.omitted_units == whole.units - cut.units
    last = cut.text.splitlines()[-1]
    assert last.startswith(f"# left out at {budget:,} tokens: ") and f"{cut.omitted_units} items" in last


def test_the_budget_takes_lines_by_the_facts_they_state_per_character(tmp_path):
    graph = graph_of(_crate(tmp_path, "facts", """\
        pub struct Alpha;
        pub struct Beta;
        pub struct Gamma;
        pub struct Plain;
        impl Plain {
            pub fn plain_and_simple(&self) {}
            pub fn rich(&self, a: Alpha, b: Beta) -> Gamma { Gamma }
        }
        """ + "".join(f"pub fn helper_number_{i}() {{}}\n" for i in range(8))))
    whole = render_map(graph, "api")
    assert "    F plain_and_simple(&self)\n    F rich(&self, a: Alpha, b: Beta) -> Gamma\n" in whole.text
    rich_alone = 0
    for budget in range(20, whole.tokens):          # (the last line, saying what was left out, takes 17)
        cut = render_map(graph, "api", budget=budget)
        assert cut.tokens <= budget
        if "F plain" in cut.text:                   # states one fact (that it exists): taken after rich's four
            assert "F rich" in cut.text
        elif "F rich" in cut.text:
            assert "    F rich(&self, a: Alpha, b: Beta) -> Gamma\n    (+1 more)\n" in cut.text   # what was left out
            rich_alone += 1
    assert rich_alone


def test_a_budget_that_fits_everything_changes_nothing(demo):
    whole = render_map(demo, "api")
    assert render_map(demo, "api", budget=whole.tokens + 5).text == whole.text


def test_ranking_puts_the_most_used_trait_first_with_its_implementors(demo):
    text = render_map(demo, "api", budget=70).text
    assert "  T Shape" in text                         # the trait everything is bound by, implemented, accepted
    # its implementors follow it in the ranking: with a little more room they are the next items taken
    more = render_map(demo, "api", budget=110).text
    assert "S Square | impl Shape" in more and "S Circle | impl shapes::Shape" in more


def test_public_items_rank_before_private_ones(demo):
    text = render_map(demo, "full", budget=150).text
    assert "pub(crate) sum" not in text and "F count(&self)" not in text


def test_default_map_is_the_api_within_three_percent_of_the_source(demo):
    # the demo is tiny: its API is far more than 3% of it, and the default budget's floor (1,000 tokens) applies
    assert default_map(demo, 1_000).text == render_map(demo, "api").text
    big = default_map(demo, 1_000_000)
    assert big.budget == 30_000
    assert default_map(demo, 1_000, level="full").text == render_map(demo, "full").text


# ---- focus ------------------------------------------------------------------------------------------------------

def test_focus_on_a_file_brings_its_items_in_first(demo):
    plain = render_map(demo, "full", budget=60).text
    assert "sum" not in plain
    focused = render_map(demo, "full", budget=60, focus=["src/util.rs"])
    assert "F pub(crate) sum<" in focused.text and focused.tokens <= 60
    assert focused.focus == ["src/util.rs"]


def test_focus_on_a_target_or_a_query(demo):
    by_target = render_map(demo, "full", budget=60, focus=["demo_crate::Registry"]).text
    assert "S pub Registry<T: Shape + Clone>" in by_target
    by_query = render_map(demo, "full", budget=50, focus=["find fn where name = sum"]).text
    assert "sum<I: Iterator<Item = f64>>" in by_query
    assert render_map(demo, "api", focus=["src/util.rs"]).budget == 4000     # a focus without a budget gets one


def test_wrong_levels_modules_and_focus_are_errors(demo):
    with pytest.raises(MapError, match="unknown map level"):
        render_map(demo, "everything")
    with pytest.raises(MapError, match="no module 'demo_crate::nope'"):
        render_map(demo, "api", modules=["demo_crate::nope"])
    with pytest.raises(MapError, match="names no file or node"):
        render_map(demo, "api", budget=100, focus=["src/missing.rs"])


def test_module_filter_keeps_submodules(demo):
    text = render_map(demo, "api", modules=["demo_crate::shapes"]).text
    assert text.splitlines()[0] == "demo_crate::shapes" and "demo_crate::shapes::circle" in text
    assert "Registry" not in text


# ---- determinism ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["rust/demo", "java/demo", "typescript/shop", "python/shop", "mixed/poly"])
def test_two_runs_are_byte_identical(fixture):
    first, second = graph_of(FIXTURES / fixture), graph_of(FIXTURES / fixture)
    for level in LEVELS:
        assert render_map(first, level).text == render_map(second, level).text
        assert render_map(first, level, budget=60).text == render_map(second, level, budget=60).text
    focus = sorted(first.files)[:1]
    assert render_map(first, "full", budget=80, focus=focus).text == render_map(second, "full", budget=80,
                                                                                 focus=focus).text


# ---- the command line -------------------------------------------------------------------------------------------

def isg(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "isg_lsp", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_map_levels_budget_json_and_errors():
    demo = FIXTURES / "rust/demo"
    modules = isg("map", demo, "--no-db", "--level", "modules")
    assert modules.returncode == 0 and modules.stdout.startswith("demo_crate: Named, Registry, Label\n")
    data = json.loads(isg("map", demo, "--no-db", "--level", "full", "--budget", "60", "--json").stdout)
    assert data["level"] == "full" and data["tokens"] <= 60 and data["omittedUnits"] > 0
    assert data["sourceTokens"] > 0 and 0 < data["share"] < 1
    unknown = isg("map", demo, "--no-db", "--module", "demo_crate::nope")
    assert unknown.returncode == 2 and "no module 'demo_crate::nope'" in unknown.stderr and not unknown.stdout
    index = json.loads(isg("index", demo, "--no-db", "--json").stdout)
    assert set(index["map_shares"]) == set(LEVELS)
    assert index["map_shares"]["modules"] < index["map_shares"]["api"] < index["map_shares"]["full"]


# ---- real code --------------------------------------------------------------------------------------------------

@pytest.mark.realcode
def test_serde_default_map_within_three_percent_and_modules_within_half_a_percent():
    engine = Engine(debian_crate("serde"), persist=False)
    report = engine.index(measure_map=True)
    engine.close()
    assert report.map_share <= 0.03, report.map_share
    assert report.map_shares["modules"] <= 0.005, report.map_shares
    assert report.map_shares["full"] > report.map_shares["api"] > report.map_shares["modules"]
    assert count_tokens("x" * 9) == 3


def _pagerank_by_lists(graph, focus):
    """PageRank as first written (a list of (target, weight) per node, summed node by node): the flat arrays of
    ``_pagerank`` must give the same scores (as returned, rounded to 12 places)."""
    from isg_lsp.model import NodeKind, Resolution
    from isg_lsp.repomap import _MEMBER_EDGES, _RANK_WEIGHTS, DAMPING, PAGERANK_ITERATIONS

    ids = sorted(i for i, n in graph.nodes.items() if not n.external and n.kind is not NodeKind.MODULE)
    index = {node_id: i for i, node_id in enumerate(ids)}
    links = [[] for _ in ids]
    for i, node_id in enumerate(ids):
        for (kind, other), edge in graph.out_edges.get(node_id, {}).items():
            j = index.get(other)
            if j is None or j == i:
                continue
            if kind in _MEMBER_EDGES:
                links[j].append((i, 0.5))
                if focus:
                    links[i].append((j, 0.5))
                continue
            weight = _RANK_WEIGHTS.get(kind)
            if weight is None:
                continue
            if edge.resolution is Resolution.HEURISTIC:
                weight *= 0.2
            links[i].append((j, weight))
            if focus:
                links[j].append((i, weight * 0.5))
    n = len(ids)
    seeds = [index[i] for i in sorted(focus) if i in index]
    restart = [1.0 / len(seeds) if i in seeds else 0.0 for i in range(n)] if seeds else [1.0 / n] * n
    totals = [sum(w for _, w in out) for out in links]
    score = list(restart)
    for _ in range(PAGERANK_ITERATIONS):
        following = [(1 - DAMPING) * r for r in restart]
        dangling = 0.0
        for i in range(n):
            if not score[i]:
                continue
            if not totals[i]:
                dangling += score[i]
                continue
            share = DAMPING * score[i] / totals[i]
            for j, weight in links[i]:
                following[j] += share * weight
        if dangling:
            for i in range(n):
                if restart[i]:
                    following[i] += DAMPING * dangling * restart[i]
        score = following
    return {node_id: round(score[i], 12) for i, node_id in enumerate(ids)}


@pytest.mark.parametrize("fixture", ["rust/demo", "java/demo", "typescript/shop", "python/shop", "mixed/poly", "serde"])
def test_pagerank_over_flat_arrays_equals_the_walk_over_lists(fixture):
    from isg_lsp.repomap import _pagerank

    graph = graph_of(debian_crate("serde") if fixture == "serde" else FIXTURES / fixture)
    assert len(graph.nodes) > 20
    biggest = max(sorted(graph.files), key=lambda path: len(graph.nodes_in_file(path)))
    focus = {n.id for n in graph.nodes_in_file(biggest)}
    for chosen in (set(), focus):
        scores = _pagerank(graph, chosen)
        assert scores == _pagerank_by_lists(graph, chosen)
        assert len(set(scores.values())) > 3  # a ranking, not a constant


def test_a_signature_without_defaults_or_decorators_is_kept_as_written():
    """A text with no `=` and no `@` comes back as it is (`_without_defaults` returns it at once, without its
    character walk); defaults and decorators' arguments are still dropped."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from isg_lsp.export import _without_defaults

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet="ab(),<>[]{}: -=@.\n", max_size=40))
    def walk(text):
        if "=" not in text and "@" not in text:
            assert _without_defaults(text) == text

    walk()
    assert _without_defaults("def f(a: int = 3, b=(1, 2)) -> None") == "def f(a: int, b) -> None"
    assert _without_defaults("@app.route('/x', methods=['GET']) def f(x)") == "@app.route def f(x)"
