"""Initialization, options, background indexing with progress, warm starts, errors, cancellation and shutdown."""

from __future__ import annotations

import asyncio
import sqlite3
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .conftest import SERVER, make_client, request, start, wait_ready


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def raw(lsp_client: LanguageClient, workspace):
    lsp_client.workspace_root = workspace
    yield
    await lsp_client.shutdown_session()


async def test_warm_start_parses_only_changed_files(raw: LanguageClient, workspace):
    # a first server indexed and persisted this workspace (tests/lsp/conftest.py `start`); then a file changes
    first = await _index_once(workspace)
    assert "4 parsed" in first
    (workspace / "src/util.rs").write_text("pub fn sum() -> f64 { 0.0 }\n")
    await start(raw, workspace, "neovim")
    end = [r for values in raw.progress_reports.values() for r in values][-1]
    assert "1 parsed" in end.message


async def _index_once(workspace) -> str:
    from isg_lsp.engine import Engine

    engine = Engine(workspace)
    report = engine.index()
    engine.close()
    return f"{report.files} files ({report.parsed} parsed)"


SLOW = ClientServerConfig(server_command=SERVER, client_factory=make_client,
                          server_env={"ISG_LSP_TEST_DELAY_MS": "1500", "PYTHONPATH": ":".join(sys.path)})


@pytest_lsp.fixture(config=SLOW)
async def slow(lsp_client: LanguageClient, workspace):
    lsp_client.workspace_root = workspace
    yield
    await lsp_client.shutdown_session()


async def test_requests_are_answered_while_indexing_and_can_be_cancelled(slow: LanguageClient):
    client = slow
    root = client.workspace_root
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual_studio_code"), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="demo")]))
    stats = await request(client, "isg/stats", {})
    assert stats.state == "indexing" and stats.files == 0            # answered at once, from what is indexed
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="Shape"))
    assert symbols == []
    await wait_ready(client)
    # a long request (the test hook makes it wait 1.5 s first) is cancelled by $/cancelRequest
    future = client.protocol.send_request("isg/blastRadius", {"fqp": "demo_crate::shapes::Shape"}, msg_id="slow-1")
    await asyncio.sleep(0.2)
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="slow-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(asyncio.wrap_future(future), 5)
    assert (await request(client, "isg/stats", {})).state == "ready"


FAULTY = ClientServerConfig(server_command=SERVER, client_factory=make_client,
                            server_env={"ISG_LSP_TEST_FAULT": "who_implements", "PYTHONPATH": ":".join(sys.path)})


@pytest_lsp.fixture(config=FAULTY)
async def faulty(lsp_client: LanguageClient, workspace):
    lsp_client.workspace_root = workspace
    yield
    await lsp_client.shutdown_session()


async def test_a_failing_handler_gives_a_clean_error_and_the_server_keeps_serving(faulty: LanguageClient):
    client = faulty
    await start(client, client.workspace_root, "neovim")
    with pytest.raises(JsonRpcException) as caught:
        await request(client, "isg/whoImplements", {"fqp": "demo_crate::shapes::Shape"})
    error = caught.value
    assert error.code == -32603
    assert "injected fault" in error.message
    assert "/tmp/secret" not in error.message and "Traceback" not in error.message
    assert error.data is None
    callers = await request(client, "isg/callers", {"fqp": "demo_crate::shapes::Shape::area"})
    assert len(callers.calls) == 2


async def test_bad_options_warn_and_shutdown_closes_the_database(raw: LanguageClient):
    await start(raw, raw.workspace_root, "visual_studio_code",
                {"blastRadiusDepth": "deep", "lenses": {"callers": 3}, "colour": "blue", "exclude": ["vendor/"]})
    warnings = [m.message for m in raw.messages if m.type == types.MessageType.Warning]
    assert any("blastRadiusDepth" in w for w in warnings)
    assert any("lenses.callers" in w for w in warnings)
    assert any("colour" in w for w in warnings)
    stats = await request(raw, "isg/stats", {})
    assert stats.files == 4                                           # and it indexes with the defaults
    await raw.shutdown_async(None)
    raw.exit(None)
    await asyncio.wait_for(raw._server.wait(), 10)
    assert raw._server.returncode == 0
    db = raw.workspace_root / ".isg" / "isg.db"
    wal = db.with_name("isg.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0                 # checkpointed and closed
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from files").fetchone()[0] == 4
    raw.capabilities = None                                             # already shut down: the fixture skips it


async def test_multi_root_folders_and_configuration_changes(raw: LanguageClient, tmp_path):
    client = raw
    demo = client.workspace_root
    other = tmp_path / "other"
    (other / "src").mkdir(parents=True)
    (other / "Cargo.toml").write_text('[package]\nname = "other"\nversion = "0.1.0"\n')
    (other / "src/lib.rs").write_text("pub trait Gizmo {}\npub struct Cog;\nimpl Gizmo for Cog {}\n")
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual_studio_code"), root_uri=demo.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=demo.as_uri(), name="demo"),
                           types.WorkspaceFolder(uri=other.as_uri(), name="other")]))
    stats = await wait_ready(client)
    assert len(stats.folders) == 2 and stats.files == 5
    who = await request(client, "isg/whoImplements", {"fqp": "other::Gizmo"})
    assert [i.node.fqp for i in who.implementors] == ["other::Cog"]
    assert who.implementors[0].node.location.uri.startswith(other.as_uri())

    # the lens options change: callers lenses go, and the client is asked to refresh
    refreshes = client.lens_refreshes
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"isg": {"lenses": {"callers": False}}}))
    uri = demo.joinpath("src/shapes/mod.rs").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="rust", version=1, text=demo.joinpath("src/shapes/mod.rs").read_text())))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    kinds = {lens.data["kind"] for lens in lenses}
    assert "callers" not in kinds and "implementations" in kinds
    assert client.lens_refreshes > refreshes

    # a folder leaves the workspace
    client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
        event=types.WorkspaceFoldersChangeEvent(added=[], removed=[types.WorkspaceFolder(uri=other.as_uri(),
                                                                                         name="other")])))
    stats = await request(client, "isg/stats", {})
    assert [f.uri for f in stats.folders] == [demo.as_uri()] and stats.files == 4
    with pytest.raises(JsonRpcException, match="no node matches"):
        await request(client, "isg/whoImplements", {"fqp": "other::Gizmo"})
