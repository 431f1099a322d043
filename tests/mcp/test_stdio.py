"""`isg-lsp mcp` over stdio, driven by the MCP SDK's own client (stdio_client + ClientSession): the tool listing,
every tool on the fixture crate, resources, malformed arguments, edits on disk, and a client that goes away."""

from __future__ import annotations

import json
import os
import subprocess
import time

import anyio

from tests.mcp.conftest import SERVER, alive, descendants, stdio_session, text_of

TOOL_NAMES = {"isg_query", "isg_who_implements", "isg_callers", "isg_blast_radius", "isg_context", "isg_map",
              "isg_stats"}
SHAPE = "demo_crate::shapes::Shape"


async def test_tools_are_listed_with_their_schemas(demo):
    async with stdio_session(demo) as session:
        listing = await session.list_tools()
    tools = {tool.name: tool for tool in listing.tools}
    assert set(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.description and len(tool.description) < 1200, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.annotations.read_only_hint is True
    for name in TOOL_NAMES - {"isg_query", "isg_map", "isg_stats"}:
        assert tools[name].input_schema["required"] == ["target"], name
    assert tools["isg_query"].input_schema["required"] == ["query"]
    assert "who-implements" in tools["isg_query"].description and "find KINDS" in tools["isg_query"].description
    assert tools["isg_blast_radius"].input_schema["properties"]["direction"]["enum"] == ["up", "down"]
    # a small tool set whose descriptions do not eat the model's context: the whole listing stays under ~2K tokens
    size = len(json.dumps([t.model_dump(by_alias=True, exclude_none=True) for t in listing.tools]))
    assert size < 8000, size


async def test_every_tool_answers_on_the_fixture(demo):
    async with stdio_session(demo) as session:
        result = await session.call_tool("isg_who_implements", {"target": SHAPE})
        assert not result.is_error, text_of(result)
        rows = result.structured_content["rows"]
        assert {r["fqp"] for r in rows} == {"demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle"}
        assert {r["resolution"] for r in rows} == {"exact", "import"}
        text = text_of(result)
        assert text.startswith(f"{SHAPE} [T]: 2 implementor(s)")
        assert "S demo_crate::shapes::Square (IMPL, exact)  src/shapes/mod.rs:12" in text

        # callers of every method named `area`: one exact call, one through a declared return type (helper's
        # `unit_circle().area()`, issue #16), one guess by name (a closure's untyped parameter), marked as such
        result = await session.call_tool("isg_callers", {"target": "area"})
        assert not result.is_error, text_of(result)
        data = result.structured_content
        by_fqp = {r["fqp"]: r["resolution"] for r in data["rows"]}
        assert by_fqp == {"demo_crate::shapes::Shape::scaled": "exact", "demo_crate::Registry::total": "heuristic",
                          "demo_crate::helper": "import"}
        # three symbols (the trait's method and two impls'), each with its callers: rows say which target they answer
        assert data["heuristicCount"] == 3 and data["targetCount"] == 3 and data["symbolCount"] == 3
        assert {r["target"] for r in data["rows"]} == {"demo_crate::shapes::Shape::area",
                                                       "<demo_crate::shapes::Square as demo_crate::shapes::Shape>::area",
                                                       "<demo_crate::shapes::circle::Circle as "
                                                       "demo_crate::shapes::Shape>::area"}
        text = text_of(result)
        assert "F demo_crate::helper  src/lib.rs:53" in text
        assert "F demo_crate::shapes::Shape::scaled  src/shapes/mod.rs:7" in text
        assert "3 of these rest on heuristic edges" in text and "'area' names 3 symbols" in text
        exact = await session.call_tool("isg_callers", {"target": "area", "exclude_heuristic": True})
        assert sorted(r["fqp"] for r in exact.structured_content["rows"]) == ["demo_crate::helper",
                                                                              "demo_crate::shapes::Shape::scaled"]

        result = await session.call_tool("isg_blast_radius", {"target": SHAPE, "depth": 2})
        assert not result.is_error, text_of(result)
        data = result.structured_content
        first = {(r["fqp"], r["distance"], r["via"]) for r in data["rows"] if r["distance"] == 1}
        assert ("demo_crate::shapes::Square", 1, "IMPL") in first
        assert ("demo_crate::boxed", 1, "ACCEPTS") in first
        assert all(r["distance"] <= 2 for r in data["rows"])
        assert data["summary"]["total"] == len(data["rows"])
        assert "by module: " in text_of(result) and "by kind: " in text_of(result)
        down = await session.call_tool("isg_blast_radius", {"target": "demo_crate::helper", "direction": "down",
                                                            "depth": 1})
        assert "demo_crate::shapes::unit_circle" in {r["fqp"] for r in down.structured_content["rows"]}

        result = await session.call_tool("isg_context", {"target": SHAPE, "budget_tokens": 300})
        assert not result.is_error, text_of(result)
        text = text_of(result)
        assert text.startswith(f"# ISG context for {SHAPE}")
        assert f"[S] demo_crate::shapes::Square x IMPL x [T] {SHAPE}" in text
        assert result.structured_content["tokens"] <= 300
        assert "text" not in result.structured_content            # the text is the content, not repeated
        both = await session.call_tool("isg_context", {"target": "Named", "focus": ["helper"],
                                                       "budget_tokens": 400, "include_tests": True})
        text = text_of(both)
        assert text.startswith("# ISG context for Named = demo_crate::Named (trait, src/lib.rs:9); helper = ")
        assert "    /// A named thing." in text and "[F] demo_crate::helper: pub fn helper() -> u32" in text
        bad = await session.call_tool("isg_context", {"target": "Named", "focus": "helper"})
        assert bad.is_error and "'focus' must be a list" in text_of(bad)
        hubs = await session.call_tool("isg_blast_radius", {"target": SHAPE, "depth": 3, "budget_tokens": 60,
                                                            "module": "demo_crate::shapes::circle"})
        data = hubs.structured_content
        assert {r["module"] for r in data["rows"]} == {"demo_crate::shapes::circle"} and data["summary"]["total"] == 13
        assert "(6 at 1, 5 at 2, 2 at 3)" in text_of(hubs).splitlines()[0]

        result = await session.call_tool("isg_map", {})
        text = text_of(result)
        assert "demo_crate::shapes\n  T Shape | by Square, circle::Circle\n    F area(&self) -> f64" in text
        assert result.structured_content["omittedUnits"] == 0 and "text" not in result.structured_content
        result = await session.call_tool("isg_map", {"level": "full"})
        assert "F pub total(&self) -> f64 | calls count, util::sum, ~area" in text_of(result)   # ~ marks a guess
        result = await session.call_tool("isg_map", {"module": "demo_crate::shapes"})
        assert text_of(result).startswith("demo_crate::shapes\n") and "demo_crate::util" not in text_of(result)
        result = await session.call_tool("isg_map", {"max_tokens": 60})
        data = result.structured_content
        assert data["omittedUnits"] > 0 and data["tokens"] <= 60
        assert "# left out at 60 tokens" in text_of(result)

        result = await session.call_tool("isg_query", {"query": "find struct where implements Shape"})
        assert [r["fqp"] for r in result.structured_content["rows"]] == [
            "demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle"]
        assert text_of(result).splitlines()[0] == "kind\tfqp\tsignature\tfile\tline"
        result = await session.call_tool("isg_query", {"query": f"who-implements {SHAPE} format triples"})
        assert f"[S] demo_crate::shapes::Square x IMPL x [T] {SHAPE}" in text_of(result)

        result = await session.call_tool("isg_stats", {})
        data = result.structured_content
        assert data["state"] == "ready" and data["files"] == 4
        assert data["database"]["mode"] == "writer"
        assert data["database"]["path"] == str(demo / ".isg" / "isg.db")
        assert data["watcher"]["kind"] == "inotify"
        assert "database (writer): this process writes the database" in text_of(result)


async def test_resources_give_the_map_and_triples(demo):
    async with stdio_session(demo) as session:
        resources = await session.list_resources()
        assert {str(r.uri) for r in resources.resources} == {"isg://map", "isg://stats"}
        templates = await session.list_resource_templates()
        assert {t.uri_template for t in templates.resource_templates} == {"isg://map/{module}",
                                                                          "isg://triples/{target}"}
        whole = (await session.read_resource("isg://map")).contents[0].text
        assert whole.startswith("demo_crate\n") and "demo_crate::shapes::circle" in whole
        one = (await session.read_resource("isg://map/demo_crate%3A%3Ashapes%3A%3Acircle")).contents[0].text
        assert one.startswith("demo_crate::shapes::circle\n") and "Registry" not in one
        triples = (await session.read_resource("isg://triples/demo_crate%3A%3Ashapes%3A%3AShape")).contents[0].text
        assert f"[S] demo_crate::shapes::Square x IMPL x [T] {SHAPE}" in triples.splitlines()
        assert f"[T] {SHAPE} x DEFINES x [F] {SHAPE}::area" in triples.splitlines()
        stats = (await session.read_resource("isg://stats")).contents[0].text
        assert "4 files" in stats
        from mcp.shared.exceptions import MCPError

        try:
            await session.read_resource("isg://triples/NoSuchThing")
        except MCPError as error:
            assert "no node matches 'NoSuchThing'" in error.message
        else:
            raise AssertionError("reading the triples of nothing must fail")


async def test_malformed_arguments_get_a_tool_error_that_says_how_to_retry(demo):
    cases = [
        ("isg_callers", {}, ["'target' is required", "isg_callers takes {target: string"]),
        ("isg_callers", {"target": 42}, ["'target' must be a string (got 42)"]),
        ("isg_callers", {"target": "area", "depth": "deep"}, ["'depth' must be an integer from 1 to 10 (got 'deep')"]),
        ("isg_callers", {"target": "area", "depth": 11}, ["'depth' must be from 1 to 10 (got 11)"]),
        ("isg_callers", {"tgt": "area"}, ["unknown argument 'tgt' (did you mean 'target'?)"]),
        ("isg_blast_radius", {"target": SHAPE, "direction": "sideways"},
         ["'direction' must be one of up, down (got 'sideways')"]),
        ("isg_who_implements", {"target": SHAPE, "exclude_heuristic": "yes"}, ["'exclude_heuristic' must be true or false"]),
        ("isg_who_implements", {"target": "   "}, ["'target' must not be empty"]),
        ("isg_who_implements", {"target": "Shap"},
         ["no node matches 'Shap'; did you mean 'demo_crate::shapes::Shape'? Call again with target="]),
        ("isg_who_implements", {"target": "Zzzqqq"}, ["no node matches 'Zzzqqq'", "find * where name contains"]),
        ("isg_query", {"query": "find struct where implemnts Shape"}, ["cannot run at column", "implements"]),
        ("isg_query", {"query": "who-implements"}, ["cannot run"]),
        ("isg_map", {"module": "demo_crate::shape"}, ["no module 'demo_crate::shape'", "did you mean 'demo_crate::shapes'"]),
        ("isg_map", {"level": "everything"}, ["'level' must be one of modules, api, full"]),
        ("isg_context", {"target": "find struct where name = nothing_like_this"}, ["selects no nodes"]),
        ("isg_stats", {"verbose": True}, ["unknown argument 'verbose'", "isg_stats takes no arguments"]),
        ("isg_nothing", {}, ["unknown tool 'isg_nothing'", "isg_who_implements"]),
    ]
    async with stdio_session(demo) as session:
        for name, arguments, expected in cases:
            result = await session.call_tool(name, arguments)
            assert result.is_error, (name, arguments, text_of(result))
            message = text_of(result)
            for part in expected:
                assert part in message, (name, arguments, message)
            assert "Traceback" not in message
        # the server is none the worse for it
        result = await session.call_tool("isg_who_implements", {"target": SHAPE})
        assert not result.is_error and len(result.structured_content["rows"]) == 2


async def _wait_for(session, name, arguments, predicate, timeout=10.0):
    """Calls the tool until its answer satisfies the predicate; returns (answer, calls made)."""
    deadline = time.monotonic() + timeout
    calls = 0
    while True:
        result = await session.call_tool(name, arguments)
        calls += 1
        if predicate(result) or time.monotonic() > deadline:
            return result, calls
        await anyio.sleep(0.02)


def _implementors(result) -> set[str]:
    return {r["fqp"] for r in result.structured_content["rows"]}


async def test_edits_on_disk_reach_the_answers(demo):
    mod = demo / "src" / "shapes" / "mod.rs"
    async with stdio_session(demo) as session:
        assert "demo_crate::shapes::Triangle" not in _implementors(
            await session.call_tool("isg_who_implements", {"target": SHAPE}))
        # an agent's edit: written in place
        mod.write_text(mod.read_text() + "\npub struct Triangle;\nimpl Shape for Triangle {\n"
                                         "    fn area(&self) -> f64 { 0.5 }\n}\n")
        result, _ = await _wait_for(session, "isg_who_implements", {"target": SHAPE},
                                    lambda r: "demo_crate::shapes::Triangle" in _implementors(r))
        assert "demo_crate::shapes::Triangle" in _implementors(result)
        # written atomically (a temporary file renamed over the old one), as many editors and agents do
        temp = demo / "src" / "shapes" / ".mod.rs.tmp"
        temp.write_text(mod.read_text().replace("pub struct Triangle;", "pub struct Triangle3;")
                        .replace("impl Shape for Triangle {", "impl Shape for Triangle3 {"))
        os.replace(temp, mod)
        result, _ = await _wait_for(session, "isg_who_implements", {"target": SHAPE},
                                    lambda r: "demo_crate::shapes::Triangle3" in _implementors(r))
        assert "demo_crate::shapes::Triangle3" in _implementors(result)
        assert "demo_crate::shapes::Triangle" not in _implementors(result)
        # a new file, declared by its parent module
        (demo / "src" / "extra.rs").write_text("use crate::shapes::Shape;\npub struct Hexagon;\n"
                                               "impl Shape for Hexagon { fn area(&self) -> f64 { 6.0 } }\n")
        lib = demo / "src" / "lib.rs"
        lib.write_text("pub mod extra;\n" + lib.read_text())
        result, _ = await _wait_for(session, "isg_who_implements", {"target": SHAPE},
                                    lambda r: "demo_crate::extra::Hexagon" in _implementors(r))
        assert "demo_crate::extra::Hexagon" in _implementors(result)
        # a deleted file
        (demo / "src" / "shapes" / "circle.rs").unlink()
        result, _ = await _wait_for(session, "isg_who_implements", {"target": SHAPE},
                                    lambda r: "demo_crate::shapes::circle::Circle" not in _implementors(r))
        assert "demo_crate::shapes::circle::Circle" not in _implementors(result)
        # excluded folders are not indexed, whatever is written there
        (demo / "target").mkdir()
        (demo / "target" / "gen.rs").write_text("pub struct Generated;\nimpl crate::shapes::Shape for Generated {}\n")
        await anyio.sleep(0.3)
        stats = await session.call_tool("isg_stats", {})
        assert stats.structured_content["watcher"]["filesUpdated"] >= 4
        assert "Generated" not in str(_implementors(await session.call_tool("isg_who_implements", {"target": SHAPE})))


async def test_the_database_is_current_for_the_next_start(demo):
    mod = demo / "src" / "shapes" / "mod.rs"
    async with stdio_session(demo) as session:
        mod.write_text(mod.read_text() + "\npub struct Pentagon;\nimpl Shape for Pentagon {}\n")
        await _wait_for(session, "isg_who_implements", {"target": SHAPE},
                        lambda r: "demo_crate::shapes::Pentagon" in _implementors(r))
    # warm start: nothing to parse again, and the edit is there
    async with stdio_session(demo) as session:
        stats = (await session.call_tool("isg_stats", {})).structured_content
        assert stats["index"]["parsed"] == 0 and stats["index"]["reused"] == 4
        assert "demo_crate::shapes::Pentagon" in _implementors(
            await session.call_tool("isg_who_implements", {"target": SHAPE}))


def _message(payload: dict) -> bytes:
    return (json.dumps(payload) + "\n").encode()


def test_a_client_that_disconnects_mid_call_leaves_nothing_behind(demo):
    """The client sends a call (made slow by a test hook) and goes away: the server exits by itself, cleanly, and
    takes its parser workers with it."""
    log = demo.parent / "disconnect.log"
    with open(log, "w+", encoding="utf-8") as errlog:
        process = subprocess.Popen([*SERVER, "mcp", str(demo)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=errlog, env={**os.environ, "ISG_LSP_MCP_TEST_DELAY_MS": "3000"})
        try:
            process.stdin.write(_message({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"}}}))
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())
            assert answer["result"]["serverInfo"]["name"] == "isg-lsp"
            process.stdin.write(_message({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            # the file changes make the server start its parser workers: they must go too
            (demo / "src" / "util.rs").write_text("pub fn sum() -> f64 { 0.0 }\n")
            process.stdin.write(_message({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                          "params": {"name": "isg_stats", "arguments": {}}}))
            process.stdin.flush()
            time.sleep(1.0)                            # the call is running (it sleeps 3 s)
            below = descendants(process.pid)
            assert below, "the parser workers should be running"
            process.stdin.close()                      # the client is gone
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        errlog.seek(0)
        stderr = errlog.read()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in below if alive(pid)], "processes left behind"


def test_stdout_carries_only_protocol_messages(demo):
    """Whatever the server logs goes to stderr: every line on stdout is a JSON-RPC message."""
    process = subprocess.run([*SERVER, "mcp", str(demo), "-v"], input=_message({
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}),
        capture_output=True, timeout=60)
    lines = [line for line in process.stdout.splitlines() if line.strip()]
    assert lines, process.stderr.decode()
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert process.returncode == 0, process.stderr.decode()

