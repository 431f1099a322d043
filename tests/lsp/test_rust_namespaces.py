"""Go-to-definition resolves names as the graph does (ISG-SPEC §1, "Rust names live in namespaces"): a trait
re-exported beside a derive macro of the same name, a function beside a macro of the same name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import CONFIG, doc, open_document, position_of, start

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rust" / "namespaces"
JSON = "src/json.rs"


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path):
    workspace = tmp_path / "namespaces"
    shutil.copytree(FIXTURE, workspace)
    lsp_client.workspace_root = workspace
    await start(lsp_client, workspace, "visual_studio_code")
    yield
    await lsp_client.shutdown_session()


def places(client: LanguageClient, result) -> list[tuple[str, int]]:
    root = client.workspace_root.as_uri() + "/"
    return sorted((loc.uri.split(root, 1)[1], loc.range.start.line) for loc in result or [])


@pytest.mark.asyncio
async def test_definition_follows_namespaces_and_reexports(client: LanguageClient):
    uri = open_document(client, JSON)
    # `FromRequest` in `impl<S, T> FromRequest<S> for Json<T>`: imported from `crate::extract`, which re-exports
    # the trait and, on the next line, a derive macro of the same name → the trait
    result = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(client, JSON, "FromRequest<S> for Json", 2)))
    assert places(client, result) == [("src/core_traits.rs", 0)]
    # `Reexported` (`use crate::FromRequest as Reexported;`, two re-exports away) → the same trait
    result = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(client, JSON, "Reexported<S> for Form", 2)))
    assert places(client, result) == [("src/core_traits.rs", 0)]
    # the call `crate::spawn()`: `spawn` is a function and a macro at the crate root → the function
    result = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(client, JSON, "crate::spawn()", 8)))
    assert places(client, result) == [("src/task.rs", 0)]
