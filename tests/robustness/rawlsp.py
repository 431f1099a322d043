"""A small synchronous LSP client over pipes, for robustness tests that need more control than pytest-lsp gives:
raw bytes, kill -9, many servers at once, thousands of requests in flight, hypothesis loops.

The server's own requests (progress, registration, lens refresh, configuration) are answered with `null`, unless
`answer_server_requests=False` (a client that never answers them).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "rust" / "demo"


def copy_demo(folder: Path, name: str = "demo") -> Path:
    target = folder / name
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns(".isg", "target"))
    return target


class ServerGone(Exception):
    pass


class RawServer:
    def __init__(self, log_path: Path, env: dict | None = None, cwd: Path | None = None,
                 answer_server_requests: bool = True) -> None:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), full_env.get("PYTHONPATH", "")])
        full_env.update(env or {})
        self.log_path = log_path
        self.answer_server_requests = answer_server_requests
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "isg_lsp", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, env=full_env, cwd=cwd or REPO)
        self._next = 0
        self._lock = threading.Condition()
        self._write_lock = threading.Lock()
        self.responses: dict = {}
        self.notifications: list[dict] = []
        self.server_requests: list[dict] = []
        self.frames_in = 0
        self.closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # ---- wire ------------------------------------------------------------------------------------------------

    def _read(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                body = out.read(length)
                if len(body) < length:
                    return
                message = json.loads(body)
                with self._lock:
                    self.frames_in += 1
                if "method" in message and "id" in message:
                    self.server_requests.append(message)
                    if not self.answer_server_requests:
                        continue
                    result = [None] if message["method"] == "workspace/configuration" else None
                    self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
                elif "method" in message:
                    with self._lock:
                        self.notifications.append(message)
                        self._lock.notify_all()
                else:
                    with self._lock:
                        self.responses.setdefault(message.get("id"), []).append(message)
                        self._lock.notify_all()
        finally:
            with self._lock:
                self.closed = True
                self._lock.notify_all()

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_raw(self, data: bytes) -> None:
        try:
            with self._write_lock:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as error:
            raise ServerGone(str(error)) from None

    # ---- messages --------------------------------------------------------------------------------------------

    def new_id(self) -> int:
        with self._lock:
            self._next += 1
            return self._next

    def send_request(self, method: str, params=None, msg_id=None):
        msg_id = self.new_id() if msg_id is None else msg_id
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id

    def wait_response(self, msg_id, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        with self._lock:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to {msg_id!r} in {timeout} s")
                if self.closed:
                    raise ServerGone(f"the server closed its output before answering {msg_id!r}")
                self._lock.wait(min(left, 0.5))
            return self.responses[msg_id][0]

    def request(self, method: str, params=None, timeout: float = 30.0) -> dict:
        return self.wait_response(self.send_request(method, params), timeout)

    def result(self, method: str, params=None, timeout: float = 30.0):
        response = self.request(method, params, timeout)
        if "error" in response:
            raise AssertionError(f"{method} failed: {response['error']}")
        return response["result"]

    def notify(self, method: str, params=None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def messages(self, kind: str = "window/showMessage") -> list[str]:
        with self._lock:
            return [n["params"]["message"] for n in self.notifications if n["method"] == kind]

    # ---- lifecycle -------------------------------------------------------------------------------------------

    def initialize(self, root: Path, options: dict | None = None, process_id=None, wait: bool = True,
                   timeout: float = 60.0):
        result = self.result("initialize", {
            "processId": process_id, "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
                             "window": {"workDoneProgress": True}},
            "initializationOptions": options or {}})
        self.notify("initialized", {})
        if wait:
            self.wait_ready(timeout)
        return result

    def wait_ready(self, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            stats = self.result("isg/stats", {})
            if stats["state"] == "ready":
                return stats
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready after {timeout} s: {stats}")
            time.sleep(0.05)

    def open(self, path: Path, text: str | None = None, version: int = 1, language: str = "rust") -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": version,
            "text": path.read_text("utf-8") if text is None else text}})
        return uri

    def shutdown(self, timeout: float = 30.0) -> int:
        try:
            self.result("shutdown", None, timeout)
            self.notify("exit")
        except ServerGone:
            pass
        return self.wait(timeout)

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._log.close()

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text("utf-8", "replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.kill()
        else:
            self._log.close()
