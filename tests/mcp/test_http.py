"""`isg-lsp mcp --http`: streamable HTTP with the SDK's own client (streamable_http_client + ClientSession), a client
that goes away mid-call, and the bearer token a bind off loopback requires. Traffic goes to loopback only."""

from __future__ import annotations

import os
import subprocess
import sys

import anyio
import pytest

from tests.mcp.conftest import SERVER, http_session, text_of

SHAPE = "demo_crate::shapes::Shape"


async def test_tools_over_http(http_server):
    server = http_server()
    async with http_session(server.url) as session:
        listing = await session.list_tools()
        assert {t.name for t in listing.tools} >= {"isg_query", "isg_who_implements", "isg_stats"}
        result = await session.call_tool("isg_who_implements", {"target": SHAPE})
        assert not result.is_error, text_of(result)
        assert {r["fqp"] for r in result.structured_content["rows"]} == {
            "demo_crate::shapes::Square", "demo_crate::shapes::circle::Circle"}
        result = await session.call_tool("isg_blast_radius", {"target": SHAPE, "depth": 1})
        assert "demo_crate::shapes::Square" in {r["fqp"] for r in result.structured_content["rows"]}
        result = await session.call_tool("isg_callers", {"target": SHAPE + "::area", "depth": "x"})
        assert result.is_error and "'depth' must be an integer" in text_of(result)
        stats = (await session.call_tool("isg_stats", {})).structured_content
        assert stats["files"] == 4 and stats["database"]["mode"] == "writer"
    # two clients, one after the other, one server
    async with http_session(server.url) as session:
        result = await session.call_tool("isg_map", {"module": "demo_crate::shapes::circle"})
        assert text_of(result).startswith("demo_crate::shapes::circle\n")
    assert server.stop() == 0


async def test_a_client_that_disconnects_mid_call_does_not_hurt_the_server(http_server):
    server = http_server(env={"ISG_LSP_MCP_TEST_DELAY_MS": "1500"})
    with anyio.move_on_after(20):
        async with http_session(server.url) as session:
            with anyio.move_on_after(0.5) as scope:            # gives up on the call: its connection goes away
                await session.call_tool("isg_stats", {})
            assert scope.cancelled_caught
    async with http_session(server.url) as session:
        result = await session.call_tool("isg_who_implements", {"target": SHAPE})
        assert not result.is_error and len(result.structured_content["rows"]) == 2
    assert server.process.poll() is None
    assert server.stop() == 0
    assert "Traceback" not in server.log.read_text()


def test_a_bind_off_loopback_needs_a_token(demo):
    env = {k: v for k, v in os.environ.items() if k != "ISG_LSP_MCP_TOKEN"}
    process = subprocess.run([*SERVER, "mcp", str(demo), "--http", "0.0.0.0:0"], capture_output=True, text=True,
                             timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert process.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a bearer token" in process.stderr
    assert "ISG_LSP_MCP_TOKEN" in process.stderr and "--token-file" in process.stderr
    empty = demo.parent / "empty-token"
    empty.write_text("\n")
    process = subprocess.run([*SERVER, "mcp", str(demo), "--http", "0.0.0.0:0", "--token-file", str(empty)],
                             capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert process.returncode == 2 and "is empty" in process.stderr


async def test_the_token_is_checked_on_every_request(http_server, demo):
    from mcp.shared._httpx_utils import create_mcp_http_client

    token = "s3cret-" + os.urandom(8).hex()
    token_file = demo.parent / "token"
    token_file.write_text(token + "\n")
    server = http_server(host="0.0.0.0", extra=("--token-file", str(token_file)))
    assert "(bearer token required)" in server.log.read_text()
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    async with create_mcp_http_client() as client:
        for given in (None, "Bearer wrong", f"Bearer {token}x", f"bearer {token}", token):
            sent = dict(headers, **({"Authorization": given} if given else {}))
            response = await client.post(server.url, json=body, headers=sent)
            assert response.status_code == 401, given
            assert response.headers["www-authenticate"].startswith("Bearer")
        response = await client.post(server.url, json=body, headers=dict(headers, Authorization=f"Bearer {token}"))
        assert response.status_code == 200
    async with http_session(server.url, token=token) as session:
        result = await session.call_tool("isg_who_implements", {"target": SHAPE})
        assert len(result.structured_content["rows"]) == 2
    with pytest.raises(BaseException):                      # the SDK's client cannot even initialize without it
        with anyio.fail_after(20):
            async with http_session(server.url, token="wrong"):
                pass


async def test_a_token_on_loopback_is_required_too(http_server):
    server = http_server(env={"ISG_LSP_MCP_TOKEN": "loopback-token"})
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with create_mcp_http_client() as client:
        response = await client.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                     headers={"Accept": "application/json, text/event-stream"})
        assert response.status_code == 401
    async with http_session(server.url, token="loopback-token") as session:
        assert (await session.call_tool("isg_stats", {})).structured_content["files"] == 4


def test_a_bad_address_is_refused(demo):
    for address, expected in (("8765", "--http wants HOST:PORT"), ("127.0.0.1:99999", "no such port")):
        process = subprocess.run([sys.executable, "-m", "isg_lsp", "mcp", str(demo), "--http", address],
                                 capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert process.returncode == 2 and expected in process.stderr, process.stderr


def test_sigterm_stops_the_server_and_its_parser_workers(demo):
    """Agents' clients stop their servers with SIGTERM: the database is written and no worker is left behind."""
    import signal
    import time

    from tests.mcp.conftest import alive, descendants, start_http

    server = start_http(demo)
    (demo / "src" / "util.rs").write_text("pub fn sum() -> f64 { 1.0 }\n")     # starts the parser workers
    deadline = time.monotonic() + 30
    below: set[int] = set()
    while time.monotonic() < deadline:
        below = descendants(server.process.pid)
        if len(below) >= 3:                      # the fork server and its workers (and the resource tracker)
            break
        time.sleep(0.1)
    assert below
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in below if alive(pid)], "processes left behind"
    assert "Traceback" not in server.log.read_text()


def test_kill_9_leaves_no_parser_worker_behind(demo):
    """A client that gives up on its server may kill it outright: the pool's workers (and so the fork server) see
    their owner gone and end."""
    import signal
    import time

    from tests.mcp.conftest import alive, descendants, start_http

    server = start_http(demo)
    (demo / "src" / "util.rs").write_text("pub fn sum() -> f64 { 2.0 }\n")     # starts the parser workers
    deadline = time.monotonic() + 30
    below: set[int] = set()
    while time.monotonic() < deadline:
        below = descendants(server.process.pid)
        if len(below) >= 3:
            break
        time.sleep(0.1)
    assert len(below) >= 3
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in below if alive(pid)], "processes left behind"


def test_without_the_sdk_the_command_says_how_to_get_it(demo, monkeypatch, capsys):
    import importlib.util

    from isg_lsp.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a))
    assert main(["mcp", str(demo)]) == 2
    err = capsys.readouterr().err
    assert "this command needs mcp, which this installation of isg-lsp lacks" in err and "pipx install ." in err
