"""The benchmark's edits in each language (`bench/edit_kinds.py`): each edit lands where it says (a statement in a
function's body, a parameter in its list, an implementation appended), leaves the file free of syntax errors, and
the engine sees what it adds: a type appended as an implementation becomes an implementor of the interface named.
A broken template would measure the time of error recovery, not of an edit, and would go unnoticed in timings."""

from __future__ import annotations

import pytest

from bench import edit_kinds
from isg_lsp import queries
from isg_lsp.engine import Engine, parser_for

SOURCES = {
    "rust": ("src/lib.rs", "pub trait Shape {}\n\npub fn area(w: u32) -> u32 {\n    w * 2\n}\n\n"
             "pub fn perimeter(w: u32, h: u32) -> u32 {\n    w + h\n}\n", "Shape", "demo::Shape"),
    "java": ("src/demo/Area.java", "package demo;\n\ninterface Shape {}\n\npublic class Area {\n"
             "    public int area(int w) {\n        return w * 2;\n    }\n\n"
             "    static String name() {\n        return \"area\";\n    }\n}\n", "Shape", "demo.Shape"),
    "typescript": ("src/area.ts", "export interface Shape {}\n\nexport function area(w: number): number {\n"
                   "  return w * 2;\n}\n\nexport class Box {\n  public size(): number {\n    return 1;\n  }\n}\n",
                   "Shape", "src/area::Shape"),
    "python": ("pkg/area.py", "class Shape:\n    pass\n\n\ndef area(w):\n    return w * 2\n\n\n"
               "class Box:\n    def size(self, unit: str = \"cm\") -> int:\n        return 1\n", "Shape",
               "pkg.area.Shape"),
    "go": ("area.go", "package area\n\ntype Shape interface{ Error() string }\n\nfunc Area(w int) int {\n"
           "\treturn w * 2\n}\n\nfunc (s Box) Size() int {\n\treturn 1\n}\n\ntype Box struct{}\n", "Shape",
           None),
}


@pytest.mark.parametrize("lang", sorted(SOURCES))
def test_each_edit_parses_and_lands_where_it_says(lang):
    rel, text, trait, _fqp = SOURCES[lang]
    language = edit_kinds.language_of(rel)
    assert language is edit_kinds.LANGUAGES[lang]
    data = text.encode()
    parser = parser_for(lang)
    assert not parser.parse(data).root_node.has_error
    assert len(edit_kinds.function_lines(language, text.split("\n"))) == 2
    for kind in edit_kinds.KINDS:
        for pick in (None, 0, 1):
            new, start, old_end, new_end = edit_kinds.make_edit(language, data, kind, 7, pick=pick, trait=trait)
            assert new is not None, (kind, pick)
            assert new[:start] == data[:start] and new[new_end:] == data[old_end:]
            added = new[start:new_end].decode()
            assert "7" in added, added
            tree = parser.parse(new)
            assert not tree.root_node.has_error, (kind, pick, new.decode())
            if kind != "impl":        # inside a function: the node at the edit is within a function's span
                node = tree.root_node.named_descendant_for_byte_range(start, new_end)
                kinds = set()
                while node is not None:
                    kinds.add(node.type)
                    node = node.parent
                assert kinds & {"function_item", "method_declaration", "constructor_declaration",
                                "function_declaration", "method_definition", "function_definition"}, kinds


@pytest.mark.parametrize("lang", [lang for lang in sorted(SOURCES) if SOURCES[lang][3]])
def test_an_appended_implementation_is_an_implementor(tmp_path, lang):
    rel, text, trait, fqp = SOURCES[lang]
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if lang == "rust":
        (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    if lang == "python":
        (tmp_path / "pkg" / "__init__.py").write_text("")
    engine = Engine(tmp_path, persist=False)
    engine.index()
    try:
        target = next(n for n in engine.graph.nodes.values() if n.fqp == fqp and not n.external)
        implemented = "crate::Shape" if lang == "rust" else trait
        new, *_ = edit_kinds.make_edit(edit_kinds.language_of(rel), path.read_bytes(), "impl", 3, trait=implemented)
        before = {row.node.name for row in queries.who_implements(engine.graph, [target])}
        engine.update_file(rel, new)
        after = {row.node.name for row in queries.who_implements(engine.graph, [target])}
        assert "BenchEdit3" not in before and "BenchEdit3" in after, (before, after)
    finally:
        engine.close()
