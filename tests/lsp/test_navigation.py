"""Standard LSP requests served from the ISG: definition, references, implementation, hover, symbols, hierarchies."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import doc, open_document, position_of

pytestmark = pytest.mark.asyncio(loop_scope="session")

LIB = "src/lib.rs"
SHAPES = "src/shapes/mod.rs"
CIRCLE = "src/shapes/circle.rs"


def rel(client: LanguageClient, uri: str) -> str:
    return uri.split(client.workspace_root.as_uri() + "/", 1)[1]


async def test_definition_of_a_used_name_goes_to_its_declaration(client: LanguageClient):
    uri = open_document(client, LIB)
    # `Shape` in `pub fn boxed(x: impl Shape)` → `pub trait Shape` in shapes/mod.rs
    result = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(client, LIB, "impl Shape", 6)))
    assert [(rel(client, loc.uri), loc.range.start.line) for loc in result] == [(SHAPES, 4)]
    # a qualified call: `util::sum(` → demo_crate::util::sum
    result = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(client, LIB, "util::sum", 7)))
    assert [(rel(client, loc.uri), loc.range.start.line) for loc in result] == [("src/util.rs", 0)]
    # on a declaration's own name: itself
    result = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(client, LIB, "pub fn helper", 8)))
    assert [(rel(client, loc.uri), loc.range.start.line) for loc in result] == [(LIB, 52)]


async def test_references_list_the_uses_inside_referring_declarations(client: LanguageClient):
    uri = open_document(client, SHAPES)
    result = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc(uri), position=position_of(client, SHAPES, "pub trait Shape", 10),
        context=types.ReferenceContext(include_declaration=True)))
    places = {(rel(client, loc.uri), loc.range.start.line) for loc in result}
    assert (SHAPES, 4) in places                       # the declaration
    assert (SHAPES, 11) in places                      # Square, the source of the IMPL edge (impls are not nodes)
    assert (CIRCLE, 3) in places                       # Circle, likewise
    assert (LIB, 63) in places                         # fn boxed(x: impl Shape) ACCEPTS Shape


async def test_implementation_of_a_trait_and_of_a_trait_method(client: LanguageClient):
    uri = open_document(client, SHAPES)
    result = await client.text_document_implementation_async(types.ImplementationParams(
        doc(uri), position_of(client, SHAPES, "pub trait Shape", 10)))
    assert {(rel(client, l.uri), l.range.start.line) for l in result} == {(SHAPES, 11), (CIRCLE, 3)}
    result = await client.text_document_implementation_async(types.ImplementationParams(
        doc(uri), position_of(client, SHAPES, "fn area", 3)))
    assert {(rel(client, l.uri), l.range.start.line) for l in result} == {(SHAPES, 16), (CIRCLE, 14)}


async def test_hover_shows_the_signature_and_relations(client: LanguageClient):
    uri = open_document(client, SHAPES)
    hover = await client.text_document_hover_async(types.HoverParams(
        doc(uri), position_of(client, SHAPES, "pub trait Shape", 10)))
    text = hover.contents.value
    assert "pub trait Shape" in text and "demo_crate::shapes::Shape" in text
    assert "implemented by 2" in text
    hover = await client.text_document_hover_async(types.HoverParams(
        doc(uri), position_of(client, SHAPES, "fn area", 3)))
    # scaled calls self.area(); Registry::total calls `.area()` on a closure's untyped parameter: heuristic
    # (helper's `unit_circle().area()` is Circle's area: unit_circle's declared return type, issue #16)
    assert "called by 2 (1 heuristic)" in hover.contents.value
    hover = await client.text_document_hover_async(types.HoverParams(
        doc(uri), position_of(client, SHAPES, "Circle::new", 1)))
    assert "pub struct Circle" in hover.contents.value
    assert "implements" in hover.contents.value and "Shape" in hover.contents.value


async def test_document_symbols_are_hierarchical(client: LanguageClient):
    uri = open_document(client, LIB)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc(uri)))
    top = {s.name: s for s in symbols}
    assert {"Named", "Registry", "Label", "helper", "largest", "boxed", "Shapes"} <= set(top)
    assert top["Named"].kind == types.SymbolKind.Interface
    assert [c.name for c in top["Named"].children] == ["Id", "name", "describe"]
    assert top["Named"].selection_range.start == types.Position(8, 10)
    # methods of an impl block sit at the top level of the file (impl blocks are not nodes), marked as methods
    assert top["new"].kind == types.SymbolKind.Method


async def test_workspace_symbol(client: LanguageClient):
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="circ"))
    names = {(s.name, s.location.range.start.line) for s in result}
    assert ("Circle", 3) in names and ("unit_circle", 21) in names


async def test_call_hierarchy(client: LanguageClient):
    uri = open_document(client, LIB)
    items = await client.text_document_prepare_call_hierarchy_async(types.CallHierarchyPrepareParams(
        doc(uri), position_of(client, LIB, "fn count", 4)))
    assert [i.name for i in items] == ["count"]
    incoming = await client.call_hierarchy_incoming_calls_async(types.CallHierarchyIncomingCallsParams(items[0]))
    assert [c.from_.name for c in incoming] == ["total"]
    assert incoming[0].from_ranges[0].start.line == 34         # `let n = self.count();`
    items = await client.text_document_prepare_call_hierarchy_async(types.CallHierarchyPrepareParams(
        doc(uri), position_of(client, LIB, "pub fn total", 8)))
    outgoing = await client.call_hierarchy_outgoing_calls_async(types.CallHierarchyOutgoingCallsParams(items[0]))
    assert {c.to.name for c in outgoing} == {"count", "sum", "area"}


async def test_type_hierarchy(client: LanguageClient):
    uri = open_document(client, SHAPES)
    items = await client.text_document_prepare_type_hierarchy_async(types.TypeHierarchyPrepareParams(
        doc(uri), position_of(client, SHAPES, "pub trait Shape", 10)))
    assert [i.name for i in items] == ["Shape"]
    subtypes = await client.type_hierarchy_subtypes_async(types.TypeHierarchySubtypesParams(items[0]))
    assert sorted(s.name for s in subtypes) == ["Circle", "Square"]
    supertypes = await client.type_hierarchy_supertypes_async(types.TypeHierarchySupertypesParams(subtypes[0]))
    assert [s.name for s in supertypes] == ["Shape"]           # Debug, Clone, Copy are outside the workspace
