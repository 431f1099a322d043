"""The server a platform .vsix bundles (client-vscode/scripts/bundle_server.py), without VS Code: its pins agree with
pyproject.toml, and a Python with nothing installed runs it."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.e2e import harness

CLIENT = harness.CLIENT


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def pins() -> dict[str, str]:
    out = {}
    for raw in (CLIENT / "server-requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[_norm(name)] = version
    return out


def not_bundled() -> set[str]:
    """The `# not-bundled: NAME (why)` lines of server-requirements.txt."""
    out = set()
    for raw in (CLIENT / "server-requirements.txt").read_text().splitlines():
        if raw.startswith("# not-bundled:"):
            out.add(_norm(raw.split(":", 1)[1].split()[0]))
    return out


def test_every_dependency_of_pyproject_is_pinned_within_its_range_or_left_out_on_purpose():
    project = tomllib.loads((harness.REPO / "pyproject.toml").read_text())["project"]
    pinned, left_out = pins(), not_bundled()
    deps = {_norm(Requirement(spec).name): Requirement(spec) for spec in project["dependencies"]}
    for name, req in deps.items():
        if name in left_out:
            assert name not in pinned, f"{req.name} is both pinned and not bundled"
            continue
        assert name in pinned, (f"{req.name} (pyproject.toml) is neither pinned in client-vscode/"
                                f"server-requirements.txt nor marked '# not-bundled: {req.name} (why)' there")
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"{req.name}=={pinned[name]} is outside pyproject.toml's {req.specifier}"
    assert left_out <= set(deps), f"not-bundled names that pyproject.toml does not have: {left_out - set(deps)}"
    assert left_out <= {"mcp", "watchdog"}, f"only the agent-side dependencies may be left out: {left_out}"


def test_a_bare_python_runs_the_bundled_server(tmp_path):
    target = harness.vsce_target()
    out = tmp_path / "bundled"
    subprocess.run([sys.executable, str(CLIENT / "scripts" / "bundle_server.py"), "--target", target,
                    "--out", str(out)], check=True, capture_output=True, text=True)
    manifest = json.loads((out / "bundle.json").read_text())
    assert manifest["target"] == target and "3.11" in manifest["pythons"]
    assert (out / "libs" / "isg_lsp" / "languages" / "queries" / "rust.scm").is_file()
    assert not list(out.rglob("__pycache__"))
    python = harness.bare_python(tmp_path / "bare")
    check = subprocess.run([str(python), "-I", str(out / "tool" / "isg_server.py"), "--check"], capture_output=True,
                           text=True, cwd=tmp_path, timeout=120)
    assert check.returncode == 0, check.stderr
    found = json.loads(check.stdout)
    assert found["bundled"] is True and found["location"] == str(out / "libs" / "isg_lsp")
    assert set(found["languages"]) >= {"rust", "java", "typescript", "tsx", "javascript", "python", "go"}
    for name in not_bundled():
        assert not (out / "libs" / name.replace("-", "_")).exists(), f"{name} is bundled"
    # the server answers initialize and shuts down cleanly, without the packages left out
    workspace = tmp_path / "ws"
    (workspace / "src").mkdir(parents=True)
    (workspace / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    (workspace / "src" / "lib.rs").write_text("pub trait Shape { fn area(&self) -> f64; }\n")
    replies = lsp_session(python, out / "tool" / "isg_server.py", workspace)
    assert replies[1]["result"]["serverInfo"]["name"] == "isg-lsp"
    assert replies[1]["result"]["capabilities"]["codeLensProvider"]
    assert replies["stats"]["result"]["state"] == "ready" and replies["stats"]["result"]["nodes"] >= 2, replies["stats"]
    assert replies[2]["result"] is None


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_messages(stream, out: queue.Queue) -> None:
    while True:
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            byte = stream.read(1)
            if not byte:
                out.put(None)
                return
            header += byte
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        out.put(json.loads(stream.read(length)))


def lsp_session(python: Path, launcher: Path, workspace: Path, timeout: float = 120) -> dict[int, dict]:
    """A minimal client over stdio: initialize, initialized, isg/stats until the index is ready, shutdown, exit.
    Requests from the server (progress, registrations) are answered with null. Returns the replies by id."""
    uri = workspace.as_uri()
    proc = subprocess.Popen([str(python), "-I", str(launcher)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=workspace)
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_read_messages, args=(proc.stdout, inbox), daemon=True).start()
    replies: dict[int, dict] = {}

    def send(message: dict) -> None:
        proc.stdin.write(_frame({"jsonrpc": "2.0", **message}))
        proc.stdin.flush()

    def wait_reply(msg_id: int) -> dict:
        deadline = time.monotonic() + timeout
        while msg_id not in replies:
            message = inbox.get(timeout=max(0.1, deadline - time.monotonic()))
            assert message is not None, f"the server closed stdout: {proc.stderr.read().decode(errors='replace')}"
            if "method" in message and "id" in message:          # a request from the server
                send({"id": message["id"], "result": None})
            elif "id" in message:
                replies[message["id"]] = message
        return replies[msg_id]

    try:
        send({"id": 1, "method": "initialize",
              "params": {"processId": None, "rootUri": uri, "capabilities": {},
                         "workspaceFolders": [{"uri": uri, "name": "ws"}],
                         "initializationOptions": {"databasePath": str(workspace / "isg.db")}}})
        wait_reply(1)
        send({"method": "initialized", "params": {}})
        next_id, deadline = 10, time.monotonic() + timeout
        while True:
            send({"id": next_id, "method": "isg/stats", "params": {}})
            stats = wait_reply(next_id)
            if stats["result"]["state"] == "ready" or time.monotonic() > deadline:
                replies["stats"] = stats
                break
            next_id += 1
            time.sleep(0.2)
        send({"id": 2, "method": "shutdown"})
        wait_reply(2)
        send({"method": "exit"})
        code = proc.wait(timeout=30)
        assert code == 0, proc.stderr.read().decode(errors="replace")[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return replies


def test_the_launcher_refuses_an_old_python_with_a_readable_message(tmp_path):
    # runs the launcher's own version check in this interpreter, pretending to be 3.10
    launcher = CLIENT / "python" / "isg_server.py"
    code = ("import runpy, sys; sys.version_info = (3, 10, 14, 'final', 0); sys.argv = ['isg_server.py', '--check']; "
            f"runpy.run_path({str(launcher)!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 3
    assert "isg-lsp needs Python 3.11 or newer" in result.stderr


@pytest.mark.parametrize("target", ["linux-x64", "linux-arm64", "alpine-x64", "darwin-x64", "darwin-arm64", "win32-x64",
                                    "win32-arm64"])
def test_every_documented_target_is_known(target):
    sys.path.insert(0, str(CLIENT / "scripts"))
    try:
        import bundle_server
    finally:
        sys.path.pop(0)
    assert bundle_server.TARGETS[target]
    assert target in (CLIENT / "scripts" / "package.mjs").read_text()
    assert target in (CLIENT / "README.md").read_text()
