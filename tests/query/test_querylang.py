"""The query language: every construct, every error class, budgets, caps, and the SQL plan agreeing with memory."""

from __future__ import annotations

import json

import pytest

from isg_lsp import queries
from isg_lsp.cli import main as cli_main
from isg_lsp.querylang import QueryLanguageError, parse, run_query
from isg_lsp.querylang.syntax import tokenize

from .conftest import DEMO

SHAPE = "demo_crate::shapes::Shape"
CIRCLE = "demo_crate::shapes::circle::Circle"
SQUARE = "demo_crate::shapes::Square"


def fqps(result):
    return [row["fqp"] for row in result.rows]


def error_of(graph, text, **kwargs) -> QueryLanguageError:
    with pytest.raises(QueryLanguageError) as info:
        run_query(graph, text, **kwargs)
    return info.value


# ---- the lexer ---------------------------------------------------------------------------------------------------

def test_tokens_carry_positions_and_strings_unescape():
    tokens = tokenize('find * where name = "a \\"b\\"" # comment\n and fqp != \'x\'')
    assert [(t.type, t.value) for t in tokens[:6]] == [("word", "find"), ("word", "*"), ("word", "where"),
                                                       ("word", "name"), ("op", "="), ("string", 'a "b"')]
    assert tokens[4].pos == 18
    assert [t.value for t in tokens if t.type == "op"] == ["=", "!="]


def test_parse_is_cached_by_text():
    assert parse("who-implements Shape") is parse("who-implements Shape")


def test_keywords_are_case_insensitive(graph):
    assert fqps(run_query(graph, "FIND Struct WHERE Implements Shape ORDER BY fqp DESC")) == [CIRCLE, SQUARE]


# ---- who-implements, callers, callees --------------------------------------------------------------------------

def test_who_implements_by_fqp_name_and_partial_path(graph):
    assert fqps(run_query(graph, f"who-implements {SHAPE}")) == [SQUARE, CIRCLE]
    assert fqps(run_query(graph, "who-implements Shape")) == [SQUARE, CIRCLE]
    methods = fqps(run_query(graph, "who-implements Shape::area"))
    assert methods == [f"<{SQUARE} as {SHAPE}>::area", f"<{CIRCLE} as {SHAPE}>::area"]


def test_who_implements_by_sighash_and_quoted_target(graph):
    node = graph.by_fqp(SHAPE)[0]
    assert fqps(run_query(graph, f"who-implements {node.id.hex()}")) == [SQUARE, CIRCLE]
    assert fqps(run_query(graph, f'who-implements "{SHAPE}"')) == [SQUARE, CIRCLE]


def test_callers_mark_heuristic_rows_and_can_exclude_them(graph):
    result = run_query(graph, f"callers {SHAPE}::area")
    # helper's `unit_circle().area()` is Circle's area (the declared return type, issue #16), not a guess here
    assert fqps(result) == ["demo_crate::Registry::total", "demo_crate::shapes::Shape::scaled"]
    assert result.heuristic_count == 1
    strict = run_query(graph, f"callers {SHAPE}::area exclude heuristic")
    assert fqps(strict) == ["demo_crate::shapes::Shape::scaled"] and strict.heuristic_count == 0
    assert fqps(run_query(graph, f"callers {SHAPE}::area without heuristics")) == fqps(strict)


def test_callees_with_depth(graph):
    one = run_query(graph, "callees demo_crate::helper exclude heuristic")
    assert fqps(one) == [f"<{CIRCLE} as {SHAPE}>::area", "demo_crate::shapes::unit_circle"]
    two = run_query(graph, "callees demo_crate::helper depth 2 exclude heuristic")
    assert [(r["fqp"], r["distance"]) for r in two.rows] == [(f"<{CIRCLE} as {SHAPE}>::area", 1),
                                                             ("demo_crate::shapes::unit_circle", 1),
                                                             (f"{CIRCLE}::new", 2)]


# ---- find ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("find trait", ["demo_crate::Named", SHAPE]),
    ("find traits, enums", ["demo_crate::Label", "demo_crate::Named", SHAPE]),
    ("find * where name = Circle", [CIRCLE]),
    (f"find * where fqp = {CIRCLE}", [CIRCLE]),
    ("find * where kind = enum", ["demo_crate::Label"]),
    ("find * where kind != function and kind != generic and in module demo_crate::shapes::circle",
     ["demo_crate::shapes::circle", CIRCLE]),
    ("find fn where name contains CIRC", ["demo_crate::shapes::unit_circle"]),
    ("find * where name starts-with regis", ["demo_crate::Registry"]),
    ("find * where name ends-with CLE", ["demo_crate::shapes::circle", CIRCLE, "demo_crate::shapes::unit_circle"]),
    ("find fn where fqp glob '*::util::*'", ["demo_crate::util::sum"]),
    ("find fn where name regex '^(he|su)'", ["demo_crate::helper", "demo_crate::util::sum"]),
    ("find * where file = src/util.rs", ["demo_crate::util", "demo_crate::util::sum", "demo_crate::util::sum::<I>"]),
    ("find module where lang = rust and name != demo_crate",
     ["demo_crate::shapes", "demo_crate::shapes::circle", "demo_crate::util"]),
    ("find fn where visibility = 'pub(crate)'", ["demo_crate::util::sum"]),
    ("find trait where visibility = none", []),
    ("find fn where signature contains '&self' and signature contains String",
     ["demo_crate::Named::describe", "demo_crate::Named::name"]),
    ("find struct, enum where implements Shape", [SQUARE, CIRCLE]),
    ("find trait where implemented-by Circle", [SHAPE]),
    ("find * where implements Display", ["demo_crate::Label"]),
    ("find fn where accepts Shape", ["demo_crate::boxed"]),
    ("find fn where returns Circle", [f"{CIRCLE}::new", "demo_crate::shapes::unit_circle"]),
    ("find fn, struct where bound-by Shape", ["demo_crate::Registry", "demo_crate::largest"]),
    ("find generic where bound-by Shape", ["demo_crate::Registry::<T>", "demo_crate::largest::<S>"]),
    ("find fn where calls demo_crate::util::sum", ["demo_crate::Registry::total"]),
    ("find fn where called-by demo_crate::Registry::total exclude heuristic",
     ["demo_crate::Registry::count", "demo_crate::util::sum"]),
    ("find * where uses Label", ["demo_crate::Registry"]),
    ("find * where used-by demo_crate::Shapes and not is external", [SHAPE]),
    ("find * where in demo_crate::util", ["demo_crate::util", "demo_crate::util::sum", "demo_crate::util::sum::<I>"]),
    ("find fn where in module shapes and not (name = area or name = scaled)",
     [f"{CIRCLE}::new", "demo_crate::shapes::unit_circle"]),
    ("find * where (name = Circle or name = Square) and implements Shape", [SQUARE, CIRCLE]),
    ("find * where is external and name = Clone", ["Clone"]),
    ("find trait where is external and implemented-by demo_crate::Registry", ["Clone", "Debug", "PartialEq"]),
    ("find * where implements 'demo_crate::shapes::*'", [SQUARE, CIRCLE]),
    ("find * where not not name = Circle", [CIRCLE]),
])
def test_find(graph, text, expected):
    assert sorted(fqps(run_query(graph, text))) == sorted(expected)


def test_find_heuristic_rows_are_counted(graph):
    result = run_query(graph, "find fn where called-by demo_crate::Registry::total")    # `|s| s.area()`: a guess
    assert result.heuristic_count == 3
    strict = run_query(graph, "find fn where called-by demo_crate::Registry::total exclude heuristic")
    assert strict.heuristic_count == 0 and fqps(strict) == ["demo_crate::Registry::count", "demo_crate::util::sum"]


def test_find_rows_have_every_node_key(graph):
    row = run_query(graph, "find struct where name = Circle").rows[0]
    assert set(row) == {"kind", "name", "fqp", "lang", "file", "line", "visibility", "signature", "id"}
    assert row["line"] == 4 and row["file"] == "src/shapes/circle.rs" and row["signature"] == "pub struct Circle"


# ---- blast radius, path, cycles ----------------------------------------------------------------------------------

def test_blast_radius_ranks_and_summarises(graph):
    result = run_query(graph, f"blast-radius {SHAPE} depth 2")
    distances = [r["distance"] for r in result.rows]
    assert distances == sorted(distances)
    assert result.rows[0]["fqp"] == CIRCLE and result.rows[0]["via"] == "IMPL"       # IMPL first, then fan-in
    registry = next(r for r in result.rows if r["fqp"] == "demo_crate::Registry")
    assert registry["path"] == [SHAPE, "demo_crate::Registry::<T>", "demo_crate::Registry"]
    assert registry["module"] == "demo_crate"
    summary = result.summary
    assert summary["total"] == len(result.rows) == 11
    assert sum(m["count"] for m in summary["byModule"]) == 11
    assert {k["kind"]: k["count"] for k in summary["byKind"]}["F"] == 4
    assert "summary" in result.to_json()


def test_blast_radius_of_a_trait_method_reaches_implementations(graph):
    result = run_query(graph, "blast-radius Shape::area via CALLS, IMPL depth 2 exclude heuristic")
    assert f"<{CIRCLE} as {SHAPE}>::area" in fqps(result)
    assert result.heuristic_count == 0


def test_blast_radius_reaches_an_implementation_added_after_an_earlier_answer(tmp_path):
    # a trait's implementing methods are memoized per graph version (queries.graph_memo): an edit that adds an impl
    # must be seen by the next answer
    import shutil

    from isg_lsp.engine import Engine

    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    engine = Engine(root, persist=False)
    engine.index()
    query = "blast-radius Shape::area via CALLS, IMPL depth 2 exclude heuristic"
    square = "demo_crate::square::Square"
    assert not any(f.startswith(f"<{square} as") for f in fqps(run_query(engine.graph, query)))
    lib = (root / "src/lib.rs").read_text() + "\npub mod square;\n"
    engine.update_file("src/lib.rs", lib.encode())
    engine.update_file("src/square.rs", (
        "use crate::shapes::Shape;\npub struct Square;\n"
        "impl Shape for Square {\n    fn area(&self) -> f64 { 1.0 }\n}\n").encode())
    assert f"<{square} as {SHAPE}>::area" in fqps(run_query(engine.graph, query))
    assert f"<{CIRCLE} as {SHAPE}>::area" in fqps(run_query(engine.graph, query))


@pytest.mark.parametrize("options", ["", " limit 3", " budget 60", " budget 60 limit 2"])
def test_every_blast_radius_row_shown_has_its_path(graph, options):
    # paths are built only for the rows a limit or budget can show (paths_for): none shown may lack one
    result = run_query(graph, f"blast-radius {SHAPE} depth 3{options}")
    assert result.rows
    for row in result.rows:
        assert row["path"][0] == SHAPE and row["path"][-1] == row["fqp"] and len(row["path"]) == row["distance"] + 1


def test_blast_radius_options(graph):
    heuristic = run_query(graph, "blast-radius demo_crate::Registry::total direction down depth 1")
    assert heuristic.heuristic_count == 3 and heuristic.summary["heuristicCount"] == 3
    strict = run_query(graph, "blast-radius demo_crate::Registry::total direction down depth 1 exclude heuristic")
    assert fqps(strict) == ["demo_crate::Registry::count", "demo_crate::util::sum"]
    ordered = run_query(graph, f"blast-radius {SHAPE} depth 3 order by fan_in desc, fqp limit 2")
    assert len(ordered.rows) == 2 and ordered.truncated and ordered.total > 2
    assert ordered.rows[0]["fan_in"] >= ordered.rows[1]["fan_in"]
    only_uses = run_query(graph, f"blast-radius {SHAPE} via USES depth 1")
    assert fqps(only_uses) == ["demo_crate::Shapes"]


def test_path(graph):
    result = run_query(graph, f"path demo_crate::Registry to {SHAPE}")
    assert [(r["step"], r["fqp"], r["via"]) for r in result.rows] == [
        (0, "demo_crate::Registry", None), (1, "demo_crate::Registry::<T>", "USES"), (2, SHAPE, "BOUND_BY")]
    assert result.triples_text(graph).splitlines() == [
        "[S] demo_crate::Registry x USES x [G] demo_crate::Registry::<T>",
        f"[G] demo_crate::Registry::<T> x BOUND_BY x [T] {SHAPE}"]


def test_path_absent_says_so_and_suggests_the_other_way(graph):
    result = run_query(graph, "path demo_crate::shapes::unit_circle to helper via CALLS")
    assert result.rows == []
    assert "there is one the other way" in result.notes[0]


def test_cycles_are_memoized_until_the_graph_changes(graph):
    first = queries.cycles(graph, "module")
    assert queries.cycles(graph, "module") is not first or first == []
    assert queries.graph_memo(graph).get(("cycles", "module", None, True)) is not None   # (level, in, heuristic)


def test_cycles_module_type_function(graph):
    modules = run_query(graph, "cycles")
    assert modules.rows == [{"size": 2, "members": ["demo_crate::shapes", "demo_crate::shapes::circle"],
                             "example": ["demo_crate::shapes", "demo_crate::shapes::circle", "demo_crate::shapes"],
                             "heuristic": False}]
    assert run_query(graph, "cycles module in demo_crate::shapes").rows == modules.rows
    assert run_query(graph, "cycles module in demo_crate::util").rows == []
    assert run_query(graph, "cycles type").rows == [] and run_query(graph, "cycles functions").rows == []


def test_cycles_at_every_level_on_a_cyclic_workspace(tmp_path):
    from isg_lsp.engine import Engine

    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "cyc"\nversion = "0.1.0"\n')
    (tmp_path / "src" / "lib.rs").write_text(
        "pub mod a;\npub mod b;\n"
        "pub fn ping(n: u32) { if n > 0 { pong(n - 1) } }\n"
        "pub fn pong(n: u32) { ping(n) }\n"
        "pub fn solo() { solo() }\n")
    (tmp_path / "src" / "a.rs").write_text("use crate::b::B;\npub struct A { b: Box<B> }\n")
    (tmp_path / "src" / "b.rs").write_text("use crate::a::A;\npub struct B { a: Option<A> }\n")
    engine = Engine(tmp_path, persist=False)
    engine.index()
    graph = engine.graph
    functions = run_query(graph, "cycles function format triples")
    assert functions.rows[0]["members"] == ["cyc::ping", "cyc::pong"]
    assert functions.rows[0]["example"] == ["cyc::ping", "cyc::pong", "cyc::ping"]
    assert "[F] cyc::ping x CALLS x [F] cyc::pong" in functions.triples
    types = run_query(graph, "cycles type")
    assert types.rows[0]["members"] == ["cyc::a::A", "cyc::b::B"]
    modules = run_query(graph, "cycles module")
    assert modules.rows[0]["members"] == ["cyc::a", "cyc::b"] and modules.rows[0]["size"] == 2


# ---- context -------------------------------------------------------------------------------------------------------

def test_context_command(graph):
    result = run_query(graph, f"context {SHAPE} budget 300 tokens")
    row = result.rows[0]
    assert row["tokens"] <= 300 and row["nodes"] > 3
    assert result.triples_text(graph).startswith("# ISG context for demo_crate::shapes::Shape")
    by_find = run_query(graph, "context find trait where name = Named budget 200")
    assert "demo_crate::Named x DEFINES x" in by_find.text


# ---- modifiers -------------------------------------------------------------------------------------------------------

def test_limit_order_and_truncation(graph):
    result = run_query(graph, "find fn order by line desc, fqp limit 3")
    assert len(result.rows) == 3 and result.truncated and result.total > 3
    lines = [r["line"] for r in result.rows]
    assert lines == sorted(lines, reverse=True)
    assert "truncated" in result.to_text()


def test_the_callers_cap_wins_over_the_query_limit(graph):
    result = run_query(graph, "find * limit 500", limit=2)
    assert len(result.rows) == 2 and result.truncated


def test_format_triples(graph):
    result = run_query(graph, f"who-implements {SHAPE} format triples")
    assert result.to_json()["triples"] == (f"[S] {SQUARE} x IMPL x [T] {SHAPE}\n"
                                           f"[S] {CIRCLE} x IMPL x [T] {SHAPE}")
    assert run_query(graph, f"who-implements {SHAPE} as json").triples is None


def test_result_json_shape(graph):
    data = run_query(graph, f"who-implements {SHAPE}").to_json()
    assert set(data) >= {"columns", "rows", "heuristicCount", "truncated", "elapsedMs"}
    json.dumps(data)


def test_cli_runs_the_same_text(capsys):
    assert cli_main(["query", str(DEMO), "--no-db", "--json", f"find struct where implements {SHAPE}"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["fqp"] for r in data["rows"]] == [SQUARE, CIRCLE]
    assert cli_main(["query", str(DEMO), "--no-db", "find strct"]) == 2
    assert "did you mean 'struct'" in capsys.readouterr().err


# ---- errors: every class, with its position and hint --------------------------------------------------------------

@pytest.mark.parametrize("text, code, column, hint", [
    ("", "empty", 0, "who-implements"),
    ("   # only a comment", "empty", 19, None),
    ("(find", "unknown-command", 0, "commands"),
    ("who-implement Shape", "unknown-command", 0, "who-implements"),
    ("find strct", "unknown-command" if False else "unknown-kind", 5, "struct"),
    ("find * where kind = strct", "unknown-kind", 20, "struct"),
    ("find * where kind contains x", "unknown-operator", 18, None),
    ("find * where name ~ x", "unknown-operator", 18, "operators"),
    ("find * where name", "unknown-operator", 17, "operators"),
    ("find * where name =", "syntax", 19, None),
    ("find * where colour = red", "unknown-field", 13, "fields"),
    ("find * where nme = x", "unknown-field", 13, "name"),
    ("find * where implemets Shape", "unknown-field", 13, "implements"),
    ("find * where", "syntax", 12, None),
    ("find * where (name = a", "syntax", 22, "parenthesis"),
    ("find * where name = \"open", "syntax", 20, "close"),
    ("find * where name = a !", "syntax", 22, None),
    ("find * where is internal", "syntax", 16, None),
    ("find", "syntax", 4, None),
    ("find * where name = a name = b", "syntax", 22, None),
    ("find * order by colour", "unknown-field", 16, "columns"),
    ("find * limit 0", "range", 13, None),
    ("find * limit 99999999", "range", 13, None),
    ("find * limit x", "syntax", 13, None),
    ("find * limit 1 limit 2", "syntax", 15, None),
    ("find * format xml", "syntax", 14, None),
    ("blast-radius Shape depth 0", "range", 25, None),
    ("blast-radius Shape depth 11", "range", 25, None),
    ("blast-radius Shape direction sideways", "syntax", 29, None),
    ("blast-radius Shape via CALS", "unknown-edge-kind", 23, "CALLS"),
    ("blast-radius Shape via", "unknown-edge-kind", 22, None),
    ("blast-radius", "syntax", 12, "quote"),
    ("callers Sqare", "unknown-target", 8, "Square"),
    ("callers demo_crate::nothing_here_at_all", "unknown-target", 8, None),
    ("find * where implements Nothing", "unknown-target", 24, None),
    ("find * where implements 'zzz*'", "unknown-target", 24, None),
    ("find * where in module nowhere", "unknown-target", 23, None),
    ("path Registry Shape", "syntax", 14, None),
    ("cycles package", "unknown-level", 7, "module"),
    ("cycles module in nowhere", "unknown-target", 17, None),
    ("context Shape budget 10", "range", 21, None),
    ("context find trait where name = Nothing", "empty-result", 8, None),
    ("find * where signature regex '(?=x)y'", "bad-regex", 29, None),
    ("find * where signature regex '(x)\\1'", "bad-regex", 29, None),
    ("find * where signature regex '(unclosed'", "bad-regex", 29, None),
    ("callers Shape::area depth 2 depth 3", "syntax", 28, None),
    ("who-implements Shape extra", "syntax", 21, None),
])
def test_errors_have_a_class_a_position_and_a_hint(graph, text, code, column, hint):
    error = error_of(graph, text)
    assert error.code == code, str(error)
    assert error.position == column, str(error)
    if hint:
        assert hint in (error.hint or ""), str(error)
    assert str(error).startswith(f"at column {column + 1}: ")


def test_error_messages_read_well(graph):
    assert str(error_of(graph, "find * where kind = strct")) == \
        "at column 21: unknown kind 'strct' (did you mean 'struct'?)"


def test_too_long_and_too_complex_queries(graph):
    assert error_of(graph, "find * where name = " + "x" * 5000).code == "too-complex"
    nested = "find * where " + "(" * 40 + "name = a" + ")" * 40
    assert error_of(graph, nested).code == "too-complex"
    nots = "find * where " + "not " * 40 + "name = a"
    assert error_of(graph, nots).code == "too-complex"
    many = "find * where " + " or ".join(f"name = n{i}" for i in range(80))
    assert error_of(graph, many).code == "too-complex"


def test_not_a_string(graph):
    assert error_of(graph, None).code == "syntax"                      # type: ignore[arg-type]


# ---- budgets ----------------------------------------------------------------------------------------------------------

def test_budget_exceeded_is_a_clear_error(graph, monkeypatch):
    clock = iter(range(0, 10**9, 1))

    def slow_clock():
        return next(clock)                                               # every reading: one more second

    monkeypatch.setattr(queries.time, "perf_counter", slow_clock)
    error = error_of(graph, f"blast-radius {SHAPE} depth 10", budget_ms=250)
    assert error.code == "budget" and "budget exceeded" in str(error) and "250 ms" in str(error)


@pytest.mark.parametrize("text", [
    "find * where name regex 'a'", f"blast-radius {SHAPE} depth 10", "cycles function", "cycles module",
    f"path demo_crate::helper to {SHAPE}", f"context {SHAPE}", "find * where implements 'demo*'"])
def test_zero_budget_stops_every_plan(graph, text):
    # a budget already spent: the first clock reading in a loop stops the query (memoized answers cleared first)
    queries._MEMO.clear()
    with pytest.raises(QueryLanguageError) as info:
        for _ in range(3):
            run_query(graph, text, budget_ms=-1000)
    assert info.value.code == "budget"


# ---- the SQL plan agrees with the in-memory plan ---------------------------------------------------------------------

SQL_AGREEMENT = [
    "find struct, enum where implements Shape",
    "find * where implements Display",
    "find fn where signature contains 'f64' and not calls demo_crate::util::sum",
    "find function where bound-by Shape",
    "find * where in module demo_crate::shapes",
    "find * where is external and name = Clone",
    "find function where name regex '^(un|he)'",
    "find fn where called-by helper exclude heuristic",
    "find * where file glob 'src/shapes/*' and visibility = pub",
    "find * where name ends-with LE or name starts-with reg order by line desc limit 3",
    "find * where implemented-by Circle and is external",
    "find fn where fqp = demo_crate::helper or kind != function",
]


@pytest.mark.parametrize("text", SQL_AGREEMENT)
def test_sql_plan_agrees_with_memory(demo_db, text):
    engine, db = demo_db
    memory = run_query(engine.graph, text)
    sql = run_query(None, text, store_path=db)
    assert fqps(sql) == fqps(memory)


def test_sql_plan_only_runs_find(demo_db):
    _engine, db = demo_db
    with pytest.raises(QueryLanguageError) as info:
        run_query(None, "cycles", store_path=db)
    assert info.value.code == "unavailable"


@pytest.mark.realcode
def test_impl_sites_of_external_implementors_match_a_scan_of_the_impl_file():
    """Where an external type's impl is written: the per-file index of impl members (built once per graph version)
    gives, for every implementor of every trait of serde and tokio, the line a scan of the file's members for
    `<Implementor as ...Trait>::` gives; after an edit that moves an impl, the new line."""
    from isg_lsp.engine import Engine
    from isg_lsp.querylang.execute import impl_site
    from tests.helpers import debian_crate

    def scanned(graph, implementor, edge, file):
        trait = graph.nodes.get(edge.dst)
        prefix = f"<{implementor.fqp} as "
        lines = [
            n.span[0] + 1
            for n in graph.nodes_in_file(file)
            if n.span is not None and n.fqp.startswith(prefix)
            and (trait is None or n.fqp[len(prefix):].rpartition(">::")[0].replace(".", "::").rsplit("::", 1)[-1]
                 == trait.name)
        ]
        return min(lines) if lines else None

    for crate in ("serde", "tokio"):
        engine = Engine(debian_crate(crate), persist=False)
        engine.index()
        graph = engine.graph
        checked = with_line = 0
        for src, out in graph.out_edges.items():
            for (kind, _dst), edge in out.items():
                if kind not in ("IMPL", "EXTENDS"):
                    continue
                file, line = impl_site(graph, graph.nodes[src], edge, queries.Deadline(10_000))
                if file is None:
                    continue
                checked += 1
                with_line += line is not None
                assert line == scanned(graph, graph.nodes[src], edge, file)
        assert checked > 200 and with_line > 150, (crate, checked, with_line)


def test_an_impl_site_follows_an_edit(tmp_path):
    from isg_lsp.engine import Engine

    (tmp_path / "Cargo.toml").write_text('[package]\nname = "sites"\nversion = "0.1.0"\n')
    (tmp_path / "src").mkdir()
    lib = tmp_path / "src" / "lib.rs"
    impl = "impl Shape for Option<u8> {\n    fn area(&self) -> f64 { 1.0 }\n}\n"
    lib.write_text("pub trait Shape { fn area(&self) -> f64; }\n" + impl)
    engine = Engine(tmp_path, persist=False)
    engine.index()

    def site():
        result = run_query(engine.graph, "who-implements sites::Shape")
        (row,) = result.rows
        return row["fqp"], row["file"], row["line"]

    assert site() == ("Option", "src/lib.rs", 3)
    lib.write_text("pub trait Shape { fn area(&self) -> f64; }\n\n\n" + impl)
    engine.update_from_disk("src/lib.rs")
    assert site() == ("Option", "src/lib.rs", 5)
