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


@pytest.fixture
def workspace(tmp_path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns(".isg", "target"))
    return target


@pytest_lsp.fixture(config=CONFIG, params=["visual_studio_code", "neovim"])
async def client(lsp_client: LanguageClient, request, workspace):
    """A client impersonating VS Code or Neovim, with the server indexed on a copy of the demo crate."""
    lsp_client.workspace_root = workspace
    lsp_client.editor = request.param
    await start(lsp_client, workspace, request.param)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def vscode(lsp_client: LanguageClient, workspace):
    """One client impersonating VS Code (for tests that need only one editor)."""
    lsp_client.workspace_root = workspace
    lsp_client.editor = "visual_studio_code"
    await start(lsp_client, workspace, "visual_studio_code")
    yield
    await lsp_client.shutdown_session()
