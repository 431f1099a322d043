"""A real PostgreSQL server for the tests: Debian's `postgresql` package, started in a temporary data directory as an
unprivileged user (tests run as root on CI: the server's processes run as `nobody`), listening on a Unix socket
only, and stopped at the end with its folder removed."""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ADMIN = "isg_admin"


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@dataclass
class PgServer:
    folder: Path               # holds data/, the socket and the log
    bindir: Path
    user: str | None           # the unprivileged user it runs as (None: the current user)
    process: subprocess.Popen | None = None     # the postmaster, a child of this process

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def url(self, user: str = ADMIN, dbname: str = "postgres") -> str:
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}&port=54329"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        return subprocess.run(command, check=check, capture_output=True, text=True, cwd="/", timeout=120,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/"}, **self._as_user())

    def _as_user(self) -> dict:
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)             # like `runuser -u nobody`, without needing util-linux's tool
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> None:
        """initdb, then the postmaster as a child of this process (not daemonized by pg_ctl): it gets SIGINT (a fast
        shutdown) when the test process dies, even by SIGKILL, so a killed run leaves no server behind."""
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", ADMIN, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
        command = [str(self.bindir / "postgres"), "-D", str(data), "-k", self.socket_dir, "-p", "54329",
                   "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
                   "-c", "full_page_writes=off", "-c", "shared_buffers=64MB", "-c", "max_connections=60"]
        with open(self.folder / "log", "ab") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd="/",
                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/"},
                preexec_fn=_die_with_parent,             # runs after the change of user, which would clear it
                **self._as_user())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}")
            ready = self._run("pg_isready", "-h", self.socket_dir, "-p", "54329", "-U", ADMIN, check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("postgres did not accept connections within 120 s")

    def stop(self) -> None:
        process = self.process
        try:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)       # fast shutdown: clients disconnected, a checkpoint
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGQUIT)  # immediate shutdown (fsync is off: nothing to keep)
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGINT, 0, 0, 0)                # PR_SET_PDEATHSIG
    if os.getppid() == 1:                                # the parent died before the call
        os.kill(os.getpid(), signal.SIGINT)


def start_server() -> PgServer:
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (listed in .ci/apt-packages.txt)")
    folder = Path(tempfile.mkdtemp(prefix="isgpg", dir="/tmp"))     # short: a socket path has ~100 bytes
    user = None
    if os.geteuid() == 0:                          # initdb refuses root: run it as nobody
        user = "nobody"
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    os.chmod(folder, 0o755)
    server = PgServer(folder, bindir, user)
    try:
        server.start()
    except BaseException:
        log = folder / "log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from None
    return server
