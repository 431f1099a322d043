"""Protocol abuse: malformed frames, huge or deep JSON, wrong parameter types, unknown methods, requests before
initialize and after shutdown, stdin closed, the client killed. Clear JSON-RPC errors, no traceback in any response,
no CPU spin, a clean exit."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from tests.robustness.rawlsp import REPO, RawServer, copy_demo


def frame(obj) -> bytes:
    body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_malformed_and_hostile_messages(tmp_path):
    root = copy_demo(tmp_path)
    env = {"ISG_LSP_MAX_MESSAGE_BYTES": str(8 * 1024 * 1024)}
    with RawServer(tmp_path / "server.log", env=env) as server:
        # before initialize: refused, not ignored
        early = server.request("isg/stats", {})
        assert early["error"]["code"] == -32002
        server.initialize(root)
        null_errors = lambda: [r for r in server.responses.get(None, [])]   # noqa: E731
        # 1. not JSON; 2. JSON but not an object; 3. nested 100,000 deep; 4. a header line of 100 KiB;
        # 5. a frame larger than the limit; 6. a bad Content-Length; 7. no jsonrpc field; 8. a batch
        server.send_raw(frame(b"{not json"))
        server.send_raw(frame(b"42"))
        server.send_raw(frame(b"[" * 100_000 + b"]" * 100_000))
        server.send_raw(b"X-Junk: " + b"a" * 100_000 + b"\r\n\r\n")
        server.send_raw(frame(b'"' + b"a" * (9 * 1024 * 1024) + b'"'))
        server.send_raw(b"Content-Length: -5\r\n\r\n")
        server.send_raw(frame({"id": 900, "method": "isg/stats"}))
        server.send_raw(frame([{"jsonrpc": "2.0", "id": 901, "method": "isg/stats"}]))
        # wrong parameter types, an unknown method, a huge but valid request, deep but valid params
        wrong = server.request("isg/blastRadius", {"fqp": 5, "depth": "deep"})
        unknown = server.request("isg/noSuchThing", {})
        dollar = server.request("$/noSuchThing", {})
        huge = server.request("isg/search", {"pattern": "x" * 2_000_000})
        deep = {"a": 1}
        for _ in range(500):
            deep = {"a": deep}
        deep_params = server.request("isg/stats", deep)
        bad_notification = server.notify("textDocument/didOpen", {"textDocument": 7})
        assert bad_notification is None
        stats = server.request("isg/stats", {})                       # still serving, frames still in step
        assert stats["result"]["files"] == 4
        codes = sorted(r["error"]["code"] for r in null_errors())
        assert codes == [-32700, -32700, -32600, -32600, -32600, -32600, -32600], null_errors()
        assert all("id" in r and r["id"] is None for r in null_errors())
        assert server.wait_response(900)["error"]["code"] == -32600
        assert wrong["error"]["code"] == -32602 and "depth" in wrong["error"]["message"]
        assert unknown["error"]["code"] == -32601 and dollar["error"]["code"] == -32601
        assert "result" in huge and "result" in deep_params
        every = [r for rs in server.responses.values() for r in rs if "error" in r]
        assert every and all("Traceback" not in r["error"]["message"] and "File \"" not in r["error"]["message"]
                             and r["error"].get("data") is None for r in every)
        # after shutdown: requests are refused with InvalidRequest, then exit ends the process with 0
        assert server.result("shutdown", None) is None
        late = server.request("isg/stats", {})
        assert late["error"]["code"] == -32600
        server.notify("exit")
        assert server.wait(10) == 0
        log = server.log_text()
    assert "Traceback" not in log


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_stdin_closed_and_exit_without_shutdown(tmp_path):
    root = copy_demo(tmp_path)
    server = RawServer(tmp_path / "server.log")
    server.initialize(root)
    uri = server.open(root / "src/util.rs")
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": "pub struct Unsaved;\n"}]})
    server.result("isg/stats", {})
    time.sleep(1.5)                                            # past the flush
    before = _cpu_seconds(server.proc.pid)
    time.sleep(1.0)
    assert _cpu_seconds(server.proc.pid) - before < 0.2        # idle means idle: no spinning loop
    server.proc.stdin.close()                                  # the editor went away
    assert server.wait(15) == 1                                # no shutdown came first: LSP's exit code 1
    assert "Traceback" not in server.log_text()
    # an `exit` without `shutdown`, with the pipe still open
    server = RawServer(tmp_path / "server2.log")
    server.initialize(root)
    server.notify("exit")
    assert server.wait(15) == 1


def test_client_killed_server_exits(tmp_path):
    """The client dies (kill -9): the pipes close and the server exits within a few seconds, without spinning."""
    root = copy_demo(tmp_path)
    script = tmp_path / "client.py"
    script.write_text(f"""
import sys, time
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from tests.robustness.rawlsp import RawServer
server = RawServer(Path({str(tmp_path / 'server.log')!r}))
server.initialize(Path({str(root)!r}), process_id=__import__('os').getpid())
print(server.proc.pid, flush=True)
time.sleep(600)
""")
    client = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=REPO)
    pid = int(client.stdout.readline())
    client.kill()
    client.wait(10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":     # exited, waiting for its (dead) parent
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the server outlived its client by 15 s")
    assert resource.getrusage(resource.RUSAGE_SELF) is not None


def test_parent_process_watchdog(tmp_path):
    """A client that dies while the pipe stays open (held by another process): processId from initialize ends
    the server."""
    root = copy_demo(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root, process_id=sleeper.pid)
        sleeper.kill()
        sleeper.wait()
        started = time.monotonic()
        server.wait(15)
        assert time.monotonic() - started < 10
        assert "client process" in server.log_text()


def test_shutdown_while_a_request_of_the_server_is_unanswered(tmp_path):
    # A client that never answers the server's own requests (here: the progress token of the first index), then
    # shuts down. pygls 2.1 failed in shutdown ("dictionary changed size during iteration") and exited with 1.
    root = copy_demo(tmp_path)
    server = RawServer(tmp_path / "server.log", answer_server_requests=False)
    server.initialize(root, wait=False)
    deadline = time.monotonic() + 30
    while not server.server_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.server_requests, "the server sent no request of its own: the test tests nothing"
    assert server.result("shutdown", None) is None
    server.notify("exit")
    assert server.wait(30) == 0, server.log_text()
    assert "changed size during iteration" not in server.log_text()
