"""Finding 7: TCP mode (`serve --tcp`) for the client that holds the token, and nobody else.

Before: no authentication (any local process, or a plain HTTP POST sent with curl, could read the graph and the
source text or take the editor's answers), any connection that closed (a port scan) ended the server, bodies of any
size were held. Now: loopback unless `--allow-remote`; the first message must carry the token (printed once to
stderr); a refused or vanished connection never ends the server; one client at a time, and what a client leaves
(unsaved buffers, answers in flight) never reaches the next one.
"""

from __future__ import annotations

import json
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.robustness.rawlsp import REPO, copy_demo


class Tcp:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        self.next_id = 0

    def send(self, message: dict, headers: bytes = b"") -> None:
        body = json.dumps(message).encode()
        self.sock.sendall(b"Content-Length: %d\r\n" % len(body) + headers + b"\r\n" + body)

    def request(self, method: str, params=None) -> int:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method: str, params=None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def _frame(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if sep:
                length = int(re.search(rb"Content-Length: *(\d+)", head, re.I).group(1))
                if len(rest) >= length:
                    self.buffer = rest[length:]
                    return json.loads(rest[:length])
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame")
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                continue
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                return None                                     # closed by the server
            self.buffer += chunk

    def response(self, msg_id, timeout: float = 60) -> dict:
        while True:
            frame = self._frame(timeout)
            if frame is None:
                raise ConnectionError("closed")
            if "method" in frame and "id" in frame:             # the server's own requests
                self.send({"jsonrpc": "2.0", "id": frame["id"], "result": None})
            elif frame.get("id") == msg_id and "method" not in frame:
                return frame

    def result(self, method: str, params=None, timeout: float = 60):
        response = self.response(self.request(method, params), timeout)
        assert "result" in response, response
        return response["result"]

    def closed(self, timeout: float = 15) -> bool:
        try:
            while True:
                if self._frame(timeout) is None:
                    return True
        except (TimeoutError, ConnectionError):
            return False
        except OSError:
            return True

    def initialize(self, root: Path, token: str | None) -> dict:
        options = {"token": token} if token is not None else {}
        msg_id = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}], "initializationOptions": options})
        return self.response(msg_id)

    def ready(self, root: Path, token: str) -> None:
        assert "result" in self.initialize(root, token)
        self.notify("initialized", {})
        deadline = time.monotonic() + 60
        while self.result("isg/stats", {})["state"] != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.05)

    def close(self) -> None:
        self.sock.close()


class TcpServer:
    def __init__(self, tmp_path: Path, host: str = "127.0.0.1", extra=(), env=None) -> None:
        self.log = open(tmp_path / "tcp-server.log", "w+b")
        self.proc = subprocess.Popen([sys.executable, "-m", "isg_lsp", "serve", "--tcp", f"{host}:0", *extra],
                                     cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=dict(os.environ, **(env or {})))
        self.port = self.token = None
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline and self.proc.poll() is None:
            if not select.select([self.proc.stderr], [], [], 1.0)[0]:
                continue
            line = self.proc.stderr.readline().decode("utf-8", "replace")
            lines.append(line)
            found = re.search(r"listening on [^ ]+:(\d+); token (\S+)", line)
            if found:
                self.port = int(found.group(1))
                self.token = None if found.group(2) == "from" else found.group(2)
                break
        self.first_lines = "".join(lines)
        if self.port is not None:          # keep reading stderr, so that the server never blocks on a full pipe
            import threading

            threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.log.write(line)
            self.log.flush()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


@pytest.fixture
def served(tmp_path):
    server = TcpServer(tmp_path)
    try:
        assert server.port, server.first_lines
        yield server
    finally:
        server.stop()


def test_a_non_loopback_address_is_refused_unless_allowed(tmp_path):
    server = TcpServer(tmp_path, host="0.0.0.0")
    try:
        assert server.proc.wait(30) == 2
        assert "not a loopback address" in server.first_lines + server.proc.stderr.read().decode()
    finally:
        server.stop()


def test_no_token_no_service_and_the_server_keeps_listening(tmp_path, served):
    root = copy_demo(tmp_path)
    for _ in range(5):                                       # a port scan: connect, close
        socket.create_connection(("127.0.0.1", served.port), timeout=10).close()
    anonymous = Tcp(served.port)                             # no token
    refused = anonymous.initialize(root, None)
    assert refused["error"]["code"] == -32600 and "unauthorized" in refused["error"]["message"]
    assert anonymous.closed()
    wrong = Tcp(served.port)
    assert "unauthorized" in wrong.initialize(root, "x" * 43)["error"]["message"]
    not_initialize = Tcp(served.port)                         # straight to the data, no initialize
    not_initialize.request("isg/stats", {})
    assert not_initialize.closed()
    http = socket.create_connection(("127.0.0.1", served.port), timeout=10)   # what curl -d sends
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "isg/sql",
                       "params": {"sql": "SELECT path FROM isg_files"}}).encode()
    http.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    reply = http.recv(1 << 16)
    assert b"isg_files" not in reply and b"lib.rs" not in reply
    http.close()
    silent = socket.create_connection(("127.0.0.1", served.port), timeout=10)     # a huge body, before the token
    silent.sendall(b"Content-Length: 400000000\r\n\r\n" + b"x" * 65536)
    time.sleep(0.5)
    silent.close()
    long_header = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    long_header.sendall(b"X-Junk: " + b"a" * 100_000 + b"\r\n")
    long_header.close()
    assert served.alive()
    client = Tcp(served.port)                                 # and the client with the token is served
    client.ready(root, served.token)
    assert client.result("isg/stats", {})["files"] == 4
    client.close()


def test_one_client_at_a_time_and_nothing_of_one_reaches_the_next(tmp_path, served):
    root = copy_demo(tmp_path)
    first = Tcp(served.port)
    first.ready(root, served.token)
    second = Tcp(served.port)                                 # the token, but someone is connected
    refused = second.initialize(root, served.token)
    assert "another client" in refused["error"]["message"]
    assert second.closed()
    lib = root / "src" / "lib.rs"
    first.notify("textDocument/didOpen", {"textDocument": {
        "uri": lib.as_uri(), "languageId": "rust", "version": 1,
        "text": lib.read_text() + "\npub struct UnsavedSecret;\n"}})
    assert first.result("isg/search", {"pattern": "UnsavedSecret"})["total"] == 1
    first.close()                                             # leaves without shutdown
    time.sleep(0.5)
    assert served.alive()
    third = Tcp(served.port)
    third.ready(root, served.token)
    assert third.result("isg/search", {"pattern": "UnsavedSecret"})["total"] == 0
    assert third.result("isg/stats", {})["files"] == 4
    third.request("shutdown")
    third.notify("exit")
    assert served.proc.wait(30) == 0


def test_the_token_may_come_from_the_environment_or_a_header(tmp_path):
    root = copy_demo(tmp_path)
    token = "t" * 32
    server = TcpServer(tmp_path, env={"ISG_LSP_TOKEN": token})
    try:
        assert server.port and server.token is None           # not printed: it came from the environment
        assert token not in server.first_lines
        client = Tcp(server.port)
        msg_id = client.next_id = 1
        client.send({"jsonrpc": "2.0", "id": msg_id, "method": "initialize", "params": {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {}}}, headers=b"Isg-Token: " +
            token.encode() + b"\r\n")
        assert "result" in client.response(msg_id)
        client.close()
    finally:
        server.stop()


def test_database_path_must_stay_in_the_workspace_or_the_user_cache(tmp_path):
    """A `databasePath` from settings (which may come from the workspace) pointing at a file of the user's: that file
    was moved aside and overwritten. It must lie inside the workspace or `$XDG_CACHE_HOME/isg-lsp`."""
    from tests.robustness.rawlsp import RawServer

    root = copy_demo(tmp_path)
    victim = tmp_path / "elsewhere" / "victim.db"
    victim.parent.mkdir()
    victim.write_bytes(b"the user's own file\n")
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    with RawServer(tmp_path / "outside.log", env=env) as server:
        server.initialize(root, {"databasePath": str(victim)})
        stats = server.wait_ready()
        assert stats["database"]["path"] == str(root / ".isg" / "isg.db")
        assert any("outside the workspace" in m for m in server.messages())
        assert server.shutdown() == 0
    assert victim.read_bytes() == b"the user's own file\n"
    assert list(victim.parent.iterdir()) == [victim]
    allowed = cache / "isg-lsp" / "demo.db"
    with RawServer(tmp_path / "cache.log", env=env) as server:
        server.initialize(root, {"databasePath": str(allowed)})
        assert server.wait_ready()["database"]["path"] == str(allowed)
        assert server.shutdown() == 0
    assert allowed.is_file()
