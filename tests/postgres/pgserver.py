"""A real PostgreSQL server for the tests: Debian's `postgresql` package, started in a temporary data directory as an
unprivileged user (tests run as root on CI: the server's processes run as `nobody`), listening on a Unix socket
only, and stopped at the end with its folder removed."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
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

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def url(self, user: str = ADMIN, dbname: str = "postgres") -> str:
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}&port=54329"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        as_user = {}
        if self.user is not None:                  # like `runuser -u nobody`, without needing util-linux's tool
            entry = pwd.getpwnam(self.user)
            as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return subprocess.run(command, check=check, capture_output=True, text=True, cwd="/", timeout=120,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/"}, **as_user)

    def start(self) -> None:
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", ADMIN, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
        options = (f"-k {self.socket_dir} -p 54329 -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   f"-c full_page_writes=off -c shared_buffers=64MB -c max_connections=60")
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "-t", "60",
                  "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "-t", "60", "stop", check=False)
        finally:
            for _ in range(50):                    # the postmaster's pid file goes last
                if not (self.folder / "data" / "postmaster.pid").exists():
                    break
                time.sleep(0.1)
            shutil.rmtree(self.folder, ignore_errors=True)


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
