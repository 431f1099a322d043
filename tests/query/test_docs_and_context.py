"""Doc comments in the facts (languages/docs.py) and the context that carries them (context.py): per language,
stored and warm-started, edited; the context's tiers (a trait's methods and implementors first, tests and
boilerplate last), several targets, determinism."""

from __future__ import annotations

import json

import pytest

from isg_lsp.cli import main as cli_main
from isg_lsp.engine import Engine
from isg_lsp.languages.docs import first_paragraph
from isg_lsp.querylang import context_of, run_query

SOURCES = {
    "rust": {
        "Cargo.toml": '[package]\nname = "dd"\nversion = "0.1.0"\n',
        "src/lib.rs": (
            "//! The crate's docs.\n//!\n//! More.\n\n"
            "/// A shape with an area.\n///\n/// Second paragraph.\n#[derive(Debug, Clone)]\n"
            "#[cfg_attr(\n    feature = \"serde\",\n    derive(Serialize)\n)]\npub struct Circle { r: f64 }\n\n"
            "/** Block doc for a trait. */\npub trait Shape {\n    /// The area; must be positive.\n"
            "    fn area(&self) -> f64;\n}\n\n// not a doc\npub fn plain() {}\n\n"
            "impl Shape for Circle {\n    /// Circle's area.\n    fn area(&self) -> f64 { 3.0 * self.r }\n}\n"),
    },
    "python": {
        "pkg/__init__.py": '"""The package.\n\nDetails."""\n',
        "pkg/m.py": ('"""Module m docs."""\n\n\nclass Cart:\n    """A cart of items.\n\n    Longer."""\n\n'
                     "    @property\n    def total(self) -> int:\n        '''The total, in cents.'''\n"
                     "        return 0\n\n\ndef free(a: int,\n         b: int) -> int:\n"
                     '    r"""Free function: adds."""\n    return a + b\n\n\ndef bare():\n    return 1\n'),
    },
    "typescript": {
        "src/a.ts": ("/**\n * A cart.\n *\n * @param x nothing\n */\nexport class Cart {\n"
                     "  /** Adds an item. Must be called last. */\n  add(x: number): void {}\n}\n\n"
                     "/** Sums. */\nexport function sum(a: number): number { return a; }\n\n"
                     "/** An arrow. */\nexport const twice = (n: number) => n * 2;\n\n"
                     "/** An interface. */\nexport interface Priced { price(): number; }\n"),
    },
    "java": {
        "src/a/Shape.java": ("/* licence */\npackage a;\n\n/**\n * A shape, see {@link Circle}.\n * <p>Second.\n"
                             " * @author me\n */\npublic interface Shape {\n    /** The area. */\n    @Deprecated\n"
                             "    double area();\n}\n"),
    },
    "go": {
        "go.mod": "module example.com/g\n",
        "g.go": ("// Package g does things.\npackage g\n\n// Shape is a shape.\n// It has an area.\n"
                 "type Shape interface {\n\t// Area returns the area.\n\tArea() float64\n}\n\n"
                 "// Circle is round.\ntype Circle struct{ R float64 }\n\n// Area of the circle.\n"
                 "func (c Circle) Area() float64 { return 3 }\n\n// Copyright.\n\nfunc Plain() {}\n"),
    },
}

EXPECTED = {
    "rust": {"dd": "The crate's docs.", "dd::Circle": "A shape with an area.", "dd::Shape": "Block doc for a trait.",
             "dd::Shape::area": "The area; must be positive.", "dd::plain": None,
             "<dd::Circle as dd::Shape>::area": "Circle's area."},
    "python": {"pkg": "The package.", "pkg.m": "Module m docs.", "pkg.m.Cart": "A cart of items.",
               "pkg.m.Cart.total": "The total, in cents.", "pkg.m.free": "Free function: adds.", "pkg.m.bare": None},
    "typescript": {"src/a::Cart": "A cart.", "src/a::Cart::add": "Adds an item. Must be called last.",
                   "src/a::sum": "Sums.", "src/a::twice": "An arrow.", "src/a::Priced": "An interface.",
                   "src/a::Priced::price": None},
    "java": {"a.Shape": "A shape, see Circle.", "a.Shape.area": "The area.", "a": None},
    "go": {"example.com/g": "Package g does things.", "example.com/g.Shape": "Shape is a shape. It has an area.",
           "example.com/g.Shape.Area": "Area returns the area.", "example.com/g.Circle": "Circle is round.",
           "example.com/g.Circle.Area": "Area of the circle.", "example.com/g.Plain": None},
}


def write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def docs_by_fqp(graph):
    return {n.fqp: graph.doc_of(n) for n in graph.nodes.values() if not n.external}


@pytest.mark.parametrize("lang", sorted(SOURCES))
def test_the_first_paragraph_of_each_doc_comment(tmp_path, lang):
    write(tmp_path, SOURCES[lang])
    engine = Engine(tmp_path, persist=False)
    engine.index()
    found = docs_by_fqp(engine.graph)
    for fqp, doc in EXPECTED[lang].items():
        assert found.get(fqp) == doc, (fqp, found.get(fqp))


def test_docs_are_stored_warm_started_and_follow_edits(tmp_path):
    root = tmp_path / "w"
    write(root, SOURCES["rust"])
    db = tmp_path / "isg.db"
    engine = Engine(root, db_path=db)
    engine.index()
    engine.flush()
    engine.close()
    warm = Engine(root, db_path=db)
    report = warm.index()
    assert report.parsed == 0                                  # facts, docs included, come from the database
    assert docs_by_fqp(warm.graph)["dd::Circle"] == "A shape with an area."
    source = (root / "src/lib.rs").read_text().replace("/// A shape with an area.", "/// A round shape.")
    warm.update_document("src/lib.rs", source.encode())          # an editor's edit, through the item cache
    assert docs_by_fqp(warm.graph)["dd::Circle"] == "A round shape."
    (root / "src/lib.rs").write_text(source)
    warm.close()
    again = Engine(root, db_path=db)
    again.index()
    assert docs_by_fqp(again.graph)["dd::Circle"] == "A round shape."
    again.close()


def test_first_paragraph_rules():
    assert first_paragraph("Line one\nline two.\n\nSecond.") == "Line one line two."
    assert first_paragraph("\n\nAfter blanks.\n# Examples\nx") == "After blanks."
    assert first_paragraph("Call {@link Foo#bar} first.\n@param x y") == "Call Foo#bar first."
    long = "word " * 200
    assert len(first_paragraph(long)) <= 320 and first_paragraph(long).endswith("…")


# ---- the context -----------------------------------------------------------------------------------------------

TRAIT_WORKSPACE = {
    "Cargo.toml": '[package]\nname = "ctx"\nversion = "0.1.0"\n',
    "src/lib.rs": (
        "/// Handles requests. This extractor must be the last argument.\npub trait Handler {\n"
        "    /// Calls the handler.\n    fn call(&self) -> u32;\n}\n\n"
        "/// The real handler.\npub struct Real;\nimpl Handler for Real { fn call(&self) -> u32 { 1 } }\n"
        "impl std::fmt::Debug for Real {\n    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result "
        "{ Ok(()) }\n}\n"
        + "".join(f"pub fn user_{i}(h: &dyn Handler) -> u32 {{ h.call() }}\n" for i in range(12))),
    "tests/handler.rs": "use ctx::Handler;\npub struct Fake;\nimpl Handler for Fake { fn call(&self) -> u32 { 0 } }\n",
    "examples/demo.rs": "use ctx::Handler;\npub struct Sample;\nimpl Handler for Sample { fn call(&self) -> u32 { 2 } }\n",
}


@pytest.fixture(scope="module")
def handler(tmp_path_factory):
    root = tmp_path_factory.mktemp("ctx")
    write(root, TRAIT_WORKSPACE)
    engine = Engine(root, persist=False)
    engine.index()
    return root, engine.graph


def signatures(text):
    return [line for line in text.split("## signatures\n", 1)[1].splitlines() if line.startswith("[")]


def fqps_of(text):
    """The FQPs of the signature lines, in order (`[T] a::B: pub trait B  (file:line)`)."""
    return [line.split("] ", 1)[1].split(": ", 1)[0].removesuffix(" (external)") for line in signatures(text)]


def test_a_trait_context_carries_docs_methods_and_implementors_before_tests_and_boilerplate(handler):
    root, graph = handler
    text = context_of(graph, "Handler", budget_tokens=2000, root=root).text
    assert "    /// Handles requests. This extractor must be the last argument." in text
    assert "    /// Calls the handler." in text
    fqps = fqps_of(text)
    assert fqps[0] == "ctx::Handler"
    own = {"ctx::Handler::call", "ctx::Real"}
    last = {"handler::Fake", "demo::Sample", "<ctx::Real as std::fmt::Debug>::fmt"}
    assert own <= set(fqps[1:4])
    for name in last & set(fqps):
        assert all(fqps.index(name) > fqps.index(o) for o in own)
        assert all(fqps.index(name) > fqps.index(f"ctx::user_{i}") for i in range(12) if f"ctx::user_{i}" in fqps)
    # asked for: tests rank with the rest
    with_tests = run_query(graph, "context Handler budget 2000 with tests").triples_text(graph)
    test_fqps = fqps_of(with_tests)
    assert test_fqps.index("handler::Fake") < test_fqps.index("ctx::user_11")
    # a test as the target: no demotion either
    fake = context_of(graph, "handler::Fake", budget_tokens=400, root=root).text
    assert signatures(fake)[0].startswith("[S] handler::Fake")


def test_a_context_is_deterministic_and_takes_several_targets(handler):
    root, graph = handler
    first = context_of(graph, "Handler", budget_tokens=800, root=root).text
    assert context_of(graph, "Handler", budget_tokens=800, root=root).text == first
    both = context_of(graph, "Real", budget_tokens=600, root=root, focus=["user_3"]).text
    assert both.startswith("# ISG context for Real = ctx::Real (struct, src/lib.rs:8); user_3 = ctx::user_3")
    fqps = fqps_of(both)
    assert fqps[:2] == ["ctx::Real", "ctx::user_3"]
    query = run_query(graph, "context Real, user_3 budget 600").triples_text(graph)
    assert signatures(query)[:2] == signatures(both)[:2]


def test_the_cli_takes_focus_targets_and_tests(capsys, handler):
    root, _graph = handler
    assert cli_main(["context", str(root), "--no-db", "--focus", "Real", "--focus", "user_3", "--budget", "500",
                     "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"].startswith("# ISG context for Real = ctx::Real") and data["tokens"] <= 500
    assert cli_main(["context", str(root), "Handler", "--no-db", "--tests", "--budget", "300"]) == 0
    assert "/// Handles requests." in capsys.readouterr().out
