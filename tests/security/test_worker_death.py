"""Finding 8: SIGKILL or SIGTERM of the server or the CLI left the fork server, both parser workers and the resource
tracker running for good (each worker held the fork server's and the tracker's pipes, and waited on its call queue
forever). Now every child dies with the process it works for (lifeline.py): within 5 s no process of theirs is left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import debian_crate
from tests.robustness.rawlsp import REPO, RawServer, copy_demo


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def running(pids: set[int]) -> set[int]:
    """The processes that still run (a zombie has ended: only its parent has not collected it)."""
    out = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out.add(pid)
        except OSError:
            pass
    return out


def wait_gone(pids: set[int], seconds: float = 5.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = running(pids)
    for pid in left:                            # never leave them behind on a shared machine, even when failing
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                print(pid, cmdline.read().replace(b"\0", b" ")[:120])
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_server_leaves_no_process_of_its(tmp_path, sig):
    root = copy_demo(tmp_path)
    server = RawServer(tmp_path / "server.log")
    try:
        server.initialize(root)
        deadline = time.monotonic() + 60
        while len(descendants(server.proc.pid)) < 4 and time.monotonic() < deadline:   # tracker, fork server,
            time.sleep(0.1)                                                             # two workers
        children = descendants(server.proc.pid)
        assert len(children) >= 3, children
        server.proc.send_signal(sig)
        server.proc.wait(30)
    finally:
        server.kill()
    assert wait_gone(children) == set()


def test_killing_the_cli_leaves_no_process_of_its(tmp_path):
    root = tmp_path / "tokio"
    shutil.copytree(debian_crate("tokio"), root)        # enough files for the CLI's pool of workers
    process = subprocess.Popen([sys.executable, "-m", "isg_lsp", "index", str(root), "--no-db", "--quiet"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            children |= descendants(process.pid)
            if len(running(children)) >= 2:
                break
            time.sleep(0.02)
        assert process.poll() is None and len(children) >= 2, "the CLI ended before its workers could be seen"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    assert wait_gone(children) == set()
