"""Live updates: edits in the editor and changes on disk are seen by the very next request."""

from __future__ import annotations

import shutil

from lsprotocol import types
from pytest_lsp import LanguageClient

from isg_lsp.engine import Engine

from .conftest import doc, open_document, request, wait_ready

SHAPE = "demo_crate::shapes::Shape"


def change(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str):
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(*start), types.Position(*end)), text=text)]))


async def implementors(client: LanguageClient) -> list[str]:
    result = await request(client, "isg/whoImplements", {"fqp": SHAPE})
    return [i.node.fqp for i in result.implementors]


async def test_edits_in_the_editor(fresh: LanguageClient):
    """One server session: progress at start-up, an edit adding an impl, UTF-16 edits, and didClose."""
    client = fresh
    await check_startup(client)
    await edit_adds_an_impl(client)
    await utf16_positions_in_edits(client)
    await close_falls_back_to_the_file_on_disk(client)


async def test_changes_on_disk(fresh: LanguageClient):
    """One server session: a rename on disk, then a branch switch."""
    await rename_on_disk_is_seen_at_once(fresh)
    await branch_switch_leaves_the_graph_equal_to_a_fresh_index(fresh)


async def check_startup(client: LanguageClient):
    # work-done progress while indexing: begin, reports with counts, end
    reports = [r for values in client.progress_reports.values() for r in values]
    assert reports and reports[0].kind == "begin" and reports[-1].kind == "end"
    assert any("/4 files" in (r.message or "") for r in reports if r.kind == "report")
    assert "4 files" in reports[-1].message
    # file watchers are registered dynamically where the client allows it (VS Code; Neovim 0.10 does not)
    if client.editor == "visual_studio_code":
        assert [r.method for r in client.registrations] == ["workspace/didChangeWatchedFiles"]
        globs = [w["globPattern"] for w in client.registrations[0].register_options["watchers"]]
        assert "**/Cargo.toml" in globs and any(g.startswith("**/*.{") and "rs" in g for g in globs)
    else:
        assert client.registrations == []


async def edit_adds_an_impl(client: LanguageClient):
    client.lens_refreshes = 0
    uri = open_document(client, "src/lib.rs")
    end = len((client.workspace_root / "src/lib.rs").read_text().split("\n")) - 1
    # typed in two pieces, the way an editor sends them
    change(client, uri, 2, (end, 0), (end, 0), "impl Shape for Label {\n")
    change(client, uri, 3, (end + 1, 0), (end + 1, 0), "    fn area(&self) -> f64 { 0.0 }\n}\n")
    assert "demo_crate::Label" in await implementors(client)            # the very next request sees it
    methods = await request(client, "isg/whoImplements", {"fqp": SHAPE + "::area"})
    assert "<demo_crate::Label as demo_crate::shapes::Shape>::area" in [i.node.fqp for i in methods.implementors]
    stats = await request(client, "isg/stats", {})
    assert stats.latencyMs.update.count >= 1
    # the lens on `trait Shape` (another file) now says 3: clients that can are asked to refresh
    if client.editor == "visual_studio_code":
        for _ in range(40):
            if client.lens_refreshes:
                break
            await _sleep(0.05)
        assert client.lens_refreshes >= 1
    # undo: the impl goes away again
    change(client, uri, 4, (end, 0), (end + 3, 0), "")
    assert "demo_crate::Label" not in await implementors(client)


async def utf16_positions_in_edits(client: LanguageClient):
    text = "// 😀 é\npub trait Gadget {}\n"
    path = client.workspace_root / "src/util.rs"
    uri = open_document(client, "src/util.rs", path.read_text())
    # replace the whole file, then edit after an astral character: (0, 3) is after the two UTF-16 units of 😀
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    change(client, uri, 3, (0, 5), (0, 6), "ü")                         # é → ü
    change(client, uri, 4, (1, 10), (1, 16), "Widget")                  # Gadget → Widget
    found = await request(client, "isg/search", {"pattern": "Widget", "kinds": ["T"]})
    assert [n.fqp for n in found.nodes] == ["demo_crate::util::Widget"]
    assert found.nodes[0].location.range.start.line == 1
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc(uri)))
    assert [s.name for s in symbols] == ["Widget"]
    assert symbols[0].selection_range.start.character == 10


async def close_falls_back_to_the_file_on_disk(client: LanguageClient):
    uri = open_document(client, "src/shapes/circle.rs")
    change(client, uri, 2, (13, 5), (13, 10), "Clone")                  # impl Shape for Circle → impl Clone for Circle
    assert "demo_crate::shapes::circle::Circle" not in await implementors(client)
    client.text_document_did_close(types.DidCloseTextDocumentParams(doc(uri)))
    assert "demo_crate::shapes::circle::Circle" in await implementors(client)


async def rename_on_disk_is_seen_at_once(client: LanguageClient):
    root = client.workspace_root
    old, new = root / "src/util.rs", root / "src/helpers.rs"
    old.rename(new)
    lib = root / "src/lib.rs"
    lib.write_text(lib.read_text().replace("mod util;", "mod helpers;").replace("util::sum", "helpers::sum"))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=old.as_uri(), type=types.FileChangeType.Deleted),
        types.FileEvent(uri=new.as_uri(), type=types.FileChangeType.Created),
        types.FileEvent(uri=lib.as_uri(), type=types.FileChangeType.Changed),
    ]))
    callees = await request(client, "isg/callees", {"fqp": "demo_crate::Registry::total"})
    assert "demo_crate::helpers::sum" in [c.node.fqp for c in callees.calls]
    found = await request(client, "isg/search", {"pattern": "sum", "kinds": ["F"]})
    assert [n.fqp for n in found.nodes] == ["demo_crate::helpers::sum"]
    assert found.nodes[0].location.uri.endswith("src/helpers.rs")


async def branch_switch_leaves_the_graph_equal_to_a_fresh_index(client: LanguageClient):
    root = client.workspace_root
    # "git checkout other-branch" (after the rename above): a file deleted, one added, one changed, a folder deleted
    (root / "src/helpers.rs").unlink()
    shutil.rmtree(root / "src/shapes")
    (root / "src/shapes.rs").write_text("pub trait Shape { fn area(&self) -> f64; }\n"
                                        "pub struct Disc;\nimpl Shape for Disc { fn area(&self) -> f64 { 1.0 } }\n"
                                        "pub fn unit_circle() -> Disc { Disc }\n")
    lib = root / "src/lib.rs"
    lib.write_text(lib.read_text().replace("mod helpers;\n", "")
                   .replace("use crate::shapes::{Shape, Circle as Round};", "use crate::shapes::{Shape, Disc as Round};")
                   .replace("helpers::sum(self.items.iter().map(|s| s.area()))", "0.0"))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=(root / "src/helpers.rs").as_uri(), type=types.FileChangeType.Deleted),
        types.FileEvent(uri=(root / "src/shapes").as_uri(), type=types.FileChangeType.Deleted),
        types.FileEvent(uri=(root / "src/shapes.rs").as_uri(), type=types.FileChangeType.Created),
        types.FileEvent(uri=lib.as_uri(), type=types.FileChangeType.Changed),
    ]))
    await wait_ready(client)
    assert await implementors(client) == ["demo_crate::shapes::Disc"]
    served = await request(client, "isg/search", {"pattern": "*", "field": "fqp", "limit": 10000})
    stats = await request(client, "isg/stats", {})
    fresh_engine = Engine(root, persist=False)
    fresh_engine.index()
    graph = fresh_engine.graph
    assert sorted(n.fqp for n in served.nodes) == sorted(n.fqp for n in graph.nodes.values() if not n.external)
    assert stats.edges == graph.edge_count()
    assert stats.files == len(graph.files) == 2


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
