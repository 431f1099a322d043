"""`isg-lsp mcp` on real code: Debian's serde (librust-serde-dev, installed by the test command), over stdio with the
SDK's client."""

from __future__ import annotations

import pytest

from tests.helpers import debian_crate
from tests.mcp.conftest import stdio_session, text_of

pytestmark = pytest.mark.realcode


async def test_every_tool_answers_on_real_code(tmp_path):
    """Debian's serde (librust-serde-dev, installed by the test command), read in place: the database goes elsewhere."""
    crate = debian_crate("serde")
    had_isg = (crate / ".isg").exists()
    async with stdio_session(crate, "--db", str(tmp_path / "serde.db"), log=tmp_path / "serde.log") as session:
        stats = (await session.call_tool("isg_stats", {})).structured_content
        assert stats["files"] >= 20 and stats["nodes"] > 1000 and stats["database"]["mode"] == "writer"
        result = await session.call_tool("isg_who_implements", {"target": "serde::ser::Serialize", "limit": 1000})
        rows = {r["fqp"]: r for r in result.structured_content["rows"]}
        assert len(rows) >= 25
        # lib.rs: `#[path = "private/mod.rs"] pub mod __private;`
        assert "serde::__private::ser::content::Content" in rows and "Option" in rows
        # std types are external nodes: shown with where their impl is written, and the crate they come from
        assert rows["Option"]["file"] == "src/ser/impls.rs" and rows["Option"]["from"] == "std (prelude)"
        result = await session.call_tool("isg_callers", {"target": "serde::de::Deserializer::deserialize_any"})
        callers = {r["fqp"] for r in result.structured_content["rows"]}
        assert "serde::de::Deserializer::__deserialize_content" in callers
        result = await session.call_tool("isg_blast_radius", {"target": "serde::de::Deserializer", "depth": 2,
                                                              "limit": 1000})
        data = result.structured_content
        assert data["summary"]["total"] >= 100
        assert ("serde::de::value::BytesDeserializer", 1, "IMPL") in {
            (r["fqp"], r["distance"], r["via"]) for r in data["rows"]}
        result = await session.call_tool("isg_context", {"target": "serde::de::Visitor", "budget_tokens": 800})
        assert "[T] serde::de::Visitor x DEFINES x [A] serde::de::Visitor::Value" in text_of(result)
        assert result.structured_content["tokens"] <= 800
        result = await session.call_tool("isg_map", {"module": "serde::de::value", "max_tokens": 100000})
        assert text_of(result).startswith("serde::de::value\n") and "S BytesDeserializer" in text_of(result)
        result = await session.call_tool("isg_query", {"query": "find trait where in module serde::de"})
        assert {"serde::de::Visitor", "serde::de::Deserializer"} <= {r["fqp"] for r in result.structured_content["rows"]}
    assert (tmp_path / "serde.db").exists() and (crate / ".isg").exists() == had_isg
