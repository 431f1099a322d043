"""Context for language models: ranked, within the budget, deterministic, with its measures."""

from __future__ import annotations

import json

import pytest

from isg_lsp.cli import main as cli_main
from isg_lsp.context import count_tokens
from isg_lsp.querylang import context_of
from isg_lsp.engine import Engine
from isg_lsp.querylang import QueryLanguageError

from .conftest import DEMO

SHAPE = "demo_crate::shapes::Shape"


def test_keys_follow_the_protocol(graph):
    data = context_of(graph, SHAPE, budget_tokens=400).to_json()
    assert list(data) == ["text", "tokens", "nodes", "sourceTokens", "ratio"]


@pytest.mark.parametrize("budget", [50, 120, 300, 800, 5000])
def test_the_budget_is_respected(demo_engine, budget):
    context = context_of(demo_engine.graph, SHAPE, budget_tokens=budget, root=demo_engine.root)
    assert context.tokens == count_tokens(context.text) <= budget


def test_triples_then_signatures_then_bodies(demo_engine):
    context = context_of(demo_engine.graph, SHAPE, budget_tokens=5000, root=demo_engine.root)
    text = context.text
    assert text.index("## relations") < text.index("## signatures") < text.index("## bodies")
    relations = text[text.index("## relations"):text.index("## signatures")].splitlines()[1:]
    assert relations and all(" x " in line and line.startswith("[") for line in relations)
    assert f"[S] demo_crate::shapes::Square x IMPL x [T] {SHAPE}" in relations
    assert f"[T] {SHAPE}: pub trait Shape  (src/shapes/mod.rs:5)" in text
    assert "fn scaled(&self, k: f64) -> f64 {" in text                     # the seed's body, last


def test_ranking_puts_the_target_and_its_close_neighbours_first(graph):
    context = context_of(graph, SHAPE, budget_tokens=5000)
    order = [n.fqp for n in context.selected]
    assert order[0] == SHAPE
    close = {"demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle", f"{SHAPE}::area",
             f"{SHAPE}::scaled"}
    assert close <= set(order[:8])


def test_small_budgets_keep_the_best_ranked(graph):
    small = context_of(graph, SHAPE, budget_tokens=120)
    large = context_of(graph, SHAPE, budget_tokens=5000)
    assert 0 < small.nodes < large.nodes
    assert [n.fqp for n in small.selected][0] == SHAPE


def test_deterministic_for_the_same_graph(graph):
    first = context_of(graph, SHAPE, budget_tokens=700).text
    for _ in range(3):
        assert context_of(graph, SHAPE, budget_tokens=700).text == first
    fresh = Engine(DEMO, persist=False)
    fresh.index()
    assert context_of(fresh.graph, SHAPE, budget_tokens=700).text == first


def test_ratio_of_context_to_source_tokens(demo_engine):
    context = context_of(demo_engine.graph, SHAPE, budget_tokens=300, root=demo_engine.root)
    files = sorted({n.file for n in context.selected if n.file})
    source = sum(count_tokens((demo_engine.root / f).read_text()) for f in files)
    assert context.source_tokens == source
    assert context.ratio == round(context.tokens / source, 4)
    assert context_of(demo_engine.graph, SHAPE, budget_tokens=300).ratio == 0.0        # no root: no sources


def test_a_find_query_as_subject(graph):
    context = context_of(graph, "find struct where implements Shape", budget_tokens=400)
    seeds = {n.fqp for n in context.selected[:2]}
    assert seeds == {"demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle"}
    assert context.text.startswith("# ISG context for find struct where implements Shape")


def test_heuristic_edges_are_marked_and_can_be_left_out(graph):
    marked = context_of(graph, "demo_crate::helper", budget_tokens=2000)
    assert "~heuristic" in marked.text and marked.heuristic_count > 0
    strict = context_of(graph, "demo_crate::helper", budget_tokens=2000, include_heuristic=False)
    assert "~heuristic" not in strict.text


def test_unknown_subjects(graph):
    with pytest.raises(QueryLanguageError, match="no node matches"):
        context_of(graph, "Nothing::Here")
    with pytest.raises(QueryLanguageError) as info:
        context_of(graph, "find trait where name = Nothing")
    assert info.value.code == "empty-result"


def test_bodies_never_leave_the_workspace(demo_engine, tmp_path):
    context = context_of(demo_engine.graph, SHAPE, budget_tokens=5000, root=tmp_path)   # a wrong root
    assert "## bodies" not in context.text


def test_cli_context(capsys):
    assert cli_main(["context", str(DEMO), "--no-db", "--budget", "300", "--json", SHAPE]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokens"] <= 300 and data["sourceTokens"] > 0 and 0 < data["ratio"]
    assert cli_main(["context", str(DEMO), "--no-db", "find trait where name = Named"]) == 0
    assert "demo_crate::Named x DEFINES x" in capsys.readouterr().out
