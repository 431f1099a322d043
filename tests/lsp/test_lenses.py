"""Code lenses: implementations, callers, blast radius; resolve; the isg.showLocations command."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import doc, open_document

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def lenses_by_line(client: LanguageClient, rel: str) -> dict[int, list[types.CodeLens]]:
    uri = open_document(client, rel)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(doc(uri)))
    out: dict[int, list[types.CodeLens]] = {}
    for lens in lenses:
        if lens.command is None:
            lens = await client.code_lens_resolve_async(lens)
        out.setdefault(lens.range.start.line, []).append(lens)
    return out


async def test_lenses_on_traits_methods_and_types(client: LanguageClient):
    lenses = await lenses_by_line(client, "src/shapes/mod.rs")
    titles = {line: [l.command.title for l in found] for line, found in lenses.items()}
    assert "2 implementations" in titles[4]                       # pub trait Shape
    assert any(t.startswith("blast radius: ") for t in titles[4])
    assert "2 implementations" in titles[5]                       # fn area (declared by the trait)
    assert "2 callers (1 heuristic)" in titles[5]                 # helper's unit_circle().area() is Circle's
    assert "1 caller" in titles[21]                               # unit_circle ← helper
    assert any(t.startswith("blast radius: ") for t in titles[11])   # struct Square


async def test_lens_command_carries_the_locations(client: LanguageClient):
    lenses = await lenses_by_line(client, "src/shapes/mod.rs")
    lens = next(l for l in lenses[4] if l.command.title == "2 implementations")
    assert lens.command.command == "isg.showLocations"
    uri, position, locations, title = lens.command.arguments
    assert uri.endswith("src/shapes/mod.rs") and position == {"line": 4, "character": 0}
    assert sorted(loc["uri"].rsplit("/", 1)[1] for loc in locations) == ["circle.rs", "mod.rs"]
    assert "Shape" in title
    # clients without a peek view forward the command to the server, which answers with the locations
    answer = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="isg.showLocations", arguments=lens.command.arguments))
    assert len(answer) == 2


async def test_blast_radius_lens_is_resolved_lazily(client: LanguageClient):
    uri = open_document(client, "src/lib.rs")
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(doc(uri)))
    lazy = [l for l in lenses if l.command is None]
    assert lazy and all(l.data["kind"] == "blastRadius" for l in lazy)
    resolved = await client.code_lens_resolve_async(lazy[0])
    assert resolved.command.title.startswith("blast radius: ")
    assert resolved.command.command == "isg.showLocations"
