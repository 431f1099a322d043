"""Body edits typed into a Java file through the LSP client, with impact and references asked before and after each:
the answers follow the text as a fresh index of it gives them. A body edit keeps what is memoized on the graph's
shape (module owners, fan-ins, implementing methods: ``Graph.structure_version``) and swaps the file's nodes for ones
with new spans (every file of a package declares its module), so an answer that kept a stale node or span, or a
shape fact a new call invalidated, would differ from the fresh index's. Run twice: on the file as it is (read whole)
and behind a license header that makes it long enough for Java's item cache, whose reused items must come with
their new spans (the file's outline, `textDocument/documentSymbol`, is compared too)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from isg_lsp.analysis import Analysis
from isg_lsp.server import convert
from isg_lsp.languages.java import ITEM_CACHE_MIN_BYTES

from .conftest import CONFIG, fresh_engine, request, start
from .test_live_updates import change
from tests.helpers import FIXTURES

CIRCLE = "src/com/acme/shapes/Circle.java"
SHAPE = "com.acme.shapes.Shape"


@pytest_lsp.fixture(config=CONFIG)
async def java(lsp_client: LanguageClient, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "java" / "demo", root)
    lsp_client.workspace_root = root
    await start(lsp_client, root, "visual_studio_code")
    yield
    await lsp_client.shutdown_session()


async def _impact(client: LanguageClient) -> list[tuple[str, int, str]]:
    result = await request(client, "isg/blastRadius", {"fqp": SHAPE, "depth": 3})
    return sorted((i.node.fqp, i.distance, i.via) for i in result.impacted)


async def _references(client: LanguageClient, uri: str, line: int, character: int) -> list[tuple[str, int, int]]:
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character),
        context=types.ReferenceContext(include_declaration=True)))
    root = client.workspace_root.as_uri() + "/"
    return sorted((loc.uri.removeprefix(root), loc.range.start.line, loc.range.start.character) for loc in found or [])


async def _symbols(client: LanguageClient, uri: str) -> list[tuple]:
    """The file's outline (textDocument/documentSymbol): every symbol's name and range, nested."""
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    return _flat(found or [])


def _flat(symbols) -> list[tuple]:
    out = []
    for symbol in symbols:
        out.append((symbol.name, symbol.range.start.line, symbol.range.end.line, symbol.selection_range.start.line,
                    symbol.selection_range.start.character))
        out.extend(_flat(symbol.children or []))
    return out


def _fresh(root: Path, text: str, line: int, character: int) -> tuple[list, list, list]:
    """Impact, references and the file's outline as a fresh index of the same text answers them."""
    engine = fresh_engine(root, CIRCLE, text)
    analysis = Analysis(engine)
    shape = [n for n in engine.graph.nodes.values() if n.fqp == SHAPE and not n.external]
    radius = analysis.impact(shape, depth=3)
    impact = sorted((i.node.fqp, i.distance, i.via.value) for i in radius.impacted)
    places = analysis.references(CIRCLE, line, character, include_declaration=True)
    symbols = _flat(convert.document_symbols(analysis.document_symbols(CIRCLE) or []))
    return impact, sorted((p.file, p.range.start_line, p.range.start_character) for p in places), symbols


# a license header that makes the file longer than java.ITEM_CACHE_MIN_BYTES: the editor's text is then extracted item
# by item through the server's item cache (languages/java.py), and every answer must still be the fresh index's
HEADER = ["/*", *(f" * Licensed under the terms of the demo license, clause {i}: the words of the clause." for i in range(16)),
          " */"]


@pytest.mark.parametrize("header", [False, True], ids=["whole-file", "item-cache"])
async def test_typed_body_edits_keep_impact_and_references_as_a_fresh_index(java, header):
    client = java
    root = client.workspace_root
    path = root / CIRCLE
    lines = (HEADER if header else []) + path.read_text().split("\n")
    assert (len("\n".join(lines)) > ITEM_CACHE_MIN_BYTES) == header
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="java", version=1, text="\n".join(lines))))
    at = next(i for i, line in enumerate(lines) if "static void describeAll(Shape s)" in line)
    before = await _impact(client)
    assert before and any(fqp.startswith("com.acme.shapes.Circle") for fqp, _d, _v in before)
    version = 1
    edits = [
        # lines above everything: every node of the file (and the package's module in it) moves
        (0, "// moved\n\n"),
        # a statement typed into describeAll's body (None: the line after its header): no relation changes
        (None, "        int typed = 1;\n"),
        # a new call in that body: a relation comes, the shape facts must follow
        (None, "        Circle.unit();\n"),
    ]
    for row, text in edits:
        row = at + 1 if row is None else row
        version += 1
        change(client, uri, version, (row, 0), (row, 0), text)
        lines[row:row] = text.split("\n")[:-1]
        at = next(i for i, line in enumerate(lines) if "static void describeAll(Shape s)" in line)
        column = lines[at].index("Shape s") + 1
        impact = await _impact(client)
        references = await _references(client, uri, at, column)
        symbols = await _symbols(client, uri)
        fresh_impact, fresh_references, fresh_symbols = _fresh(root, "\n".join(lines), at, column)
        assert impact == fresh_impact, text
        assert references == fresh_references, text
        assert symbols == fresh_symbols and len(symbols) > 5, text        # spans of the items the cache kept
        assert any(line == at for _f, line, _c in references if _f == CIRCLE)
