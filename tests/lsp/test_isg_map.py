"""`isg/map` (docs/protocol.md): the map of the workspace through the server, with its level, budget and focus."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from .conftest import request

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_map_levels_budget_and_focus(client: LanguageClient):
    api = await request(client, "isg/map", {})
    assert api.level == "api" and api.text.startswith("demo_crate\n")
    assert "  T Shape | by Square, circle::Circle\n    F area(&self) -> f64\n" in api.text and "calls" not in api.text
    assert api.omittedUnits == 0 and api.sourceTokens > 0 and api.share > 0

    modules = await request(client, "isg/map", {"level": "modules"})
    assert modules.text.splitlines()[0] == "demo_crate: Named, Registry, Label"

    cut = await request(client, "isg/map", {"level": "full", "budgetTokens": 60})
    assert cut.tokens <= 60 and cut.omittedUnits > 0
    assert cut.text.splitlines()[-1].startswith("# left out at 60 tokens: ")

    focused = await request(client, "isg/map", {"level": "full", "budgetTokens": 60, "focus": ["src/util.rs"]})
    assert "sum<I: Iterator<Item = f64>>" in focused.text and "sum" not in cut.text
    by_uri = await request(client, "isg/map", {"level": "full", "budgetTokens": 60,
                                               "focus": [(client.workspace_root / "src/util.rs").as_uri()]})
    assert by_uri.text == focused.text


async def test_map_errors_are_invalid_params(client: LanguageClient):
    with pytest.raises(JsonRpcInvalidParams, match="unknown map level"):
        await request(client, "isg/map", {"level": "everything"})
    with pytest.raises(JsonRpcInvalidParams, match="no module"):
        await request(client, "isg/map", {"modules": ["demo_crate::nope"]})
