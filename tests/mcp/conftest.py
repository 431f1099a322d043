"""End-to-end fixtures for `isg-lsp mcp`: the real server process, driven by the MCP SDK's own client.

``stdio_session`` spawns `python -m isg_lsp mcp PATH` through the SDK's ``stdio_client`` and yields an initialized
``ClientSession``; ``http_server`` starts `isg-lsp mcp --http 127.0.0.1:0` and yields its URL (read from stderr).
Each test gets its own copy of the fixture crate (tests/fixtures/rust/demo), so it may edit files and write the
database.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rust" / "demo"
SERVER = [sys.executable, "-m", "isg_lsp"]


@pytest.fixture
def demo(tmp_path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(FIXTURE, target)
    return target


@asynccontextmanager
async def stdio_session(workspace: Path, *args: str, env: dict | None = None, log: Path | None = None):
    """An initialized SDK ClientSession talking to `isg-lsp mcp workspace` over stdio."""
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=SERVER[0], args=[*SERVER[1:], "mcp", str(workspace), *args],
                                   env=env, cwd=str(workspace))
    log = log or workspace.parent / f"mcp-stderr-{time.monotonic_ns()}.log"
    with open(log, "w", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


@asynccontextmanager
async def http_session(url: str, token: str | None = None):
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(url, http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


class HttpServer:
    def __init__(self, process: subprocess.Popen, url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_http(workspace: Path, host: str = "127.0.0.1", env: dict | None = None, extra: tuple = ()) -> HttpServer:
    """`isg-lsp mcp --http HOST:0`, once it says where it listens."""
    log = workspace.parent / f"mcp-http-{time.monotonic_ns()}.log"
    errlog = open(log, "w+", encoding="utf-8")
    process = subprocess.Popen([*SERVER, "mcp", str(workspace), "--http", f"{host}:0", *extra],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog,
                               env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        found = re.search(r"listening on (http://\S+/mcp)", text)
        if found:
            url = found.group(1).replace("0.0.0.0", "127.0.0.1")       # a wildcard bind is reached on loopback
            return HttpServer(process, url, log)
        if process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode}): {text}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the server never said where it listens")


@pytest.fixture
def http_server(demo):
    servers = []

    def start(**kwargs) -> HttpServer:
        server = start_http(demo, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (its children, theirs, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
