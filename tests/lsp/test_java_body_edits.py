"""Body edits typed into a Java file through the LSP client, with impact and references asked before and after each:
the answers follow the text as a fresh index of it gives them. A body edit keeps what is memoized on the graph's
shape (module owners, fan-ins, implementing methods: ``Graph.structure_version``) and swaps the file's nodes for ones
with new spans (every file of a package declares its module), so an answer that kept a stale node or span, or a
shape fact a new call invalidated, would differ from the fresh index's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from isg_lsp.analysis import Analysis

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


def _fresh(root: Path, text: str, line: int, character: int) -> tuple[list, list]:
    """Impact and references as a fresh index of the same text answers them."""
    engine = fresh_engine(root, CIRCLE, text)
    analysis = Analysis(engine)
    shape = [n for n in engine.graph.nodes.values() if n.fqp == SHAPE and not n.external]
    radius = analysis.impact(shape, depth=3)
    impact = sorted((i.node.fqp, i.distance, i.via.value) for i in radius.impacted)
    places = analysis.references(CIRCLE, line, character, include_declaration=True)
    return impact, sorted((p.file, p.range.start_line, p.range.start_character) for p in places)


async def test_typed_body_edits_keep_impact_and_references_as_a_fresh_index(java):
    client = java
    root = client.workspace_root
    path = root / CIRCLE
    lines = path.read_text().split("\n")
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
        fresh_impact, fresh_references = _fresh(root, "\n".join(lines), at, column)
        assert impact == fresh_impact, text
        assert references == fresh_references, text
        assert any(line == at for _f, line, _c in references if _f == CIRCLE)
