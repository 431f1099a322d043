"""End-to-end fixtures: the real server over stdio, driven by pytest-lsp impersonating VS Code or Neovim.

Each test gets a fresh copy of the fixture crate (tests/fixtures/rust/demo) and a client that has initialized the
server on it and waited for the first index to finish.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rust" / "demo"
SERVER = [sys.executable, "-m", "isg_lsp", "serve"]


def make_client() -> LanguageClient:
    """pytest-lsp's client, answering the requests our server makes (registration, code lens refresh)."""
    from pytest_lsp.client import make_test_lsp_client

    client = make_test_lsp_client()
    client.registrations = []
    client.lens_refreshes = 0

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        client.registrations.extend(params.registrations)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def lens_refresh(params):
        client.lens_refreshes += 1

    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


async def wait_ready(client: LanguageClient, timeout: float = 30.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        stats = await client.protocol.send_request_async("isg/stats", {})
        if stats.state == "ready":
            return stats
        if loop.time() > deadline:
            raise AssertionError(f"the server did not finish indexing: {stats}")
        await asyncio.sleep(0.05)


async def start(client: LanguageClient, workspace: Path, capabilities: str, options: dict | None = None):
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(capabilities),
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
        initialization_options=options or {}))
    await wait_ready(client)


def copy_demo(folder: Path) -> Path:
    target = folder / "demo"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns(".isg", "target"))
    return target


@pytest.fixture
def workspace(tmp_path) -> Path:
    return copy_demo(tmp_path)


@pytest.fixture(scope="session")
def shared_workspace(tmp_path_factory) -> Path:
    return copy_demo(tmp_path_factory.mktemp("shared"))


@pytest_lsp.fixture(config=CONFIG, params=["visual_studio_code", "neovim"], scope="session")
async def client(lsp_client: LanguageClient, request, shared_workspace):
    """A client impersonating VS Code or Neovim, with the server indexed on a copy of the demo crate; shared by
    the read-only tests (modules marked `pytest.mark.asyncio(loop_scope="session")`), which must leave the
    workspace and the graph as they found them."""
    lsp_client.workspace_root = shared_workspace
    lsp_client.editor = request.param
    await start(lsp_client, shared_workspace, request.param)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG, params=["visual_studio_code", "neovim"])
async def fresh(lsp_client: LanguageClient, request, workspace):
    """Like ``client``, with a server and workspace of its own (for tests that change files)."""
    lsp_client.workspace_root = workspace
    lsp_client.editor = request.param
    await start(lsp_client, workspace, request.param)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def vscode(lsp_client: LanguageClient, workspace):
    """One client impersonating VS Code, with a server and workspace of its own."""
    lsp_client.workspace_root = workspace
    lsp_client.editor = "visual_studio_code"
    await start(lsp_client, workspace, "visual_studio_code")
    yield
    await lsp_client.shutdown_session()

async def request(client: LanguageClient, method: str, params) -> object:
    """A custom (isg/*) request; the result comes back as nested named tuples."""
    return await client.protocol.send_request_async(method, params)


def open_document(client: LanguageClient, rel: str, text: str | None = None) -> str:
    path = client.workspace_root / rel
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="rust", version=1, text=path.read_text() if text is None else text)))
    return uri


def position_of(client: LanguageClient, rel: str, needle: str, offset: int = 0, occurrence: int = 0) -> types.Position:
    """The LSP position of the n-th occurrence of ``needle`` in a file (plus ``offset`` characters)."""
    lines = (client.workspace_root / rel).read_text().split("\n")
    seen = 0
    for number, line in enumerate(lines):
        start = line.find(needle)
        while start != -1:
            if seen == occurrence:
                prefix = line[:start + offset]
                return types.Position(number, len(prefix.encode("utf-16-le")) // 2)
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(f"{needle!r} not in {rel}")


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def fresh_engine(root: Path, rel: str, text: str):
    """A fresh in-process index of a copy of the workspace with ``rel`` holding ``text``: what every answer after
    typing that text must equal."""
    from isg_lsp.engine import Engine

    copy = root.parent / "fresh"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".isg"))
    (copy / rel).write_text(text)
    engine = Engine(copy, workers=0, persist=False)
    engine.index()
    return engine
