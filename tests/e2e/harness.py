"""What the VS Code end-to-end test needs around the page: the pinned tools, the platform .vsix, bare Pythons, a
code-server process (and all it starts) that is killed at the end, and the page actions a user does.

Everything cached lives under tests/e2e/.cache/ (ignored by git): tools/ (code-server and Node 24, from
install_tools.sh), screenshots/ (lenses, peek, blast radius, query: the README's pictures) and failures/.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CLIENT = REPO / "client-vscode"
CACHE = HERE / ".cache"
SCREENSHOTS = CACHE / "screenshots"
FAILURES = CACHE / "failures"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                 "--disable-features=Translate,MediaRouter,OptimizationHints"]


def log(msg: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def vsce_target() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if sys.platform != "linux" or arch is None:
        raise RuntimeError(f"the end-to-end test runs on Linux x64/arm64, not {sys.platform} {machine}")
    return f"linux-{arch}"


def install_tools() -> Path:
    """code-server and Node 24 (tests/e2e/install_tools.sh; instant when already cached)."""
    out = subprocess.run(["bash", str(HERE / "install_tools.sh")], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"install_tools.sh failed:\n{out.stderr}")
    return Path(out.stdout.strip().splitlines()[-1])


def build_vsix(target: str) -> Path:
    """`npm run package:target -- <target>`: the .vsix with the server bundled (wheels cached in
    client-vscode/.cache)."""
    if not (CLIENT / "node_modules" / ".bin" / "vsce").exists():
        run_checked(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENT)
    env = {**os.environ, "ISG_BUNDLE_PYTHON": sys.executable}
    run_checked(["npm", "run", "--silent", "package:target", "--", target], cwd=CLIENT, env=env)
    version = json.loads((CLIENT / "package.json").read_text())["version"]
    vsix = CLIENT / f"isg-lsp-{version}-{target}.vsix"
    if not vsix.is_file():
        raise RuntimeError(f"{vsix} was not built")
    return vsix


def run_checked(cmd: list[str], **kwargs) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def bare_python(where: Path) -> Path:
    """A Python 3.11+ with nothing installed (a venv without pip, from this interpreter's base Python)."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    probe = subprocess.run([str(python), "-c", "import isg_lsp"], capture_output=True, cwd=where, env=env)
    if probe.returncode == 0:
        raise RuntimeError(f"{python} is meant to be bare, but it imports isg_lsp")
    return python


class CodeServer:
    """code-server in its own session (process group), with a fresh user-data-dir, extensions dir and HOME."""

    def __init__(self, tools: Path, root: Path) -> None:
        self.tools = tools
        self.root = root
        self.node = tools / "node"
        self.entry = tools / "node_modules" / "code-server" / "out" / "node" / "entry.js"
        self.user_data = root / "user-data"
        self.extensions = root / "extensions"
        self.home = root / "home"
        self.log_path = root / "code-server.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""
        for d in (self.user_data / "User", self.extensions, self.home):
            d.mkdir(parents=True, exist_ok=True)

    def env(self, path_first: Path) -> dict[str, str]:
        # VS Code's server takes the environment of the user's login shell for the extension host: HOME decides which
        # one, so a fresh HOME whose .profile puts `path_first` (a bare Python) first on PATH is "a machine with a
        # Python 3.11+ and nothing else".
        (self.home / ".profile").write_text(f'export PATH="{path_first}:$PATH"\n')
        keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ", "TMPDIR")}
        return {**keep, "HOME": str(self.home), "SHELL": "/bin/bash",
                "PATH": f"{path_first}:/usr/local/bin:/usr/bin:/bin",
                "XDG_CONFIG_HOME": str(self.home / ".config"), "XDG_DATA_HOME": str(self.home / ".local" / "share"),
                "XDG_CACHE_HOME": str(self.home / ".cache")}

    def common_args(self) -> list[str]:
        return [str(self.node), str(self.entry), "--config", str(self.root / "config.yaml"),
                "--user-data-dir", str(self.user_data), "--extensions-dir", str(self.extensions)]

    def write_user_settings(self, settings: dict) -> None:
        (self.user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")

    def install_extension(self, vsix: Path, env: dict[str, str]) -> None:
        out = run_checked([*self.common_args(), "--install-extension", str(vsix)], env=env)
        if "successfully installed" not in out:
            raise RuntimeError(f"installing {vsix.name}: {out}")

    def installed_extension_dir(self) -> Path:
        found = [p for p in self.extensions.iterdir() if p.name.startswith("isg-lsp.isg-lsp-")]
        if len(found) != 1:
            raise RuntimeError(f"expected one isg-lsp extension in {self.extensions}, found {found}")
        return found[0]

    def start(self, env: dict[str, str], timeout: float = 60) -> str:
        args = [*self.common_args(), "--bind-addr", "127.0.0.1:0", "--auth", "none", "--disable-telemetry",
                "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override",
                "--disable-proxy", "--ignore-last-opened"]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True, cwd=self.root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            m = re.search(r"HTTP server listening on (http://127\.0\.0\.1:\d+)/?", text)
            if m:
                self.url = m.group(1)
                return self.url
            if self.proc.poll() is not None:
                raise RuntimeError(f"code-server exited ({self.proc.returncode}):\n{text[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"code-server did not listen within {timeout} s:\n{self.log_path.read_text()[-3000:]}")

    def processes(self) -> list[tuple[int, str]]:
        """Every live process of code-server's process group (the extension host, the ISG server, its workers)."""
        if self.proc is None:
            return []
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.proc.pid:
                    continue
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                state = (entry / "stat").read_text().split(") ", 1)[1][:1]
            except (OSError, IndexError):
                continue
            if state != "Z":
                out.append((int(entry.name), cmdline))
        return out

    def isg_servers(self) -> list[str]:
        return [cmd for _, cmd in self.processes() if "isg_server.py" in cmd or "isg_lsp" in cmd.split(" -c ")[0]]

    def stop(self) -> list[str]:
        """Kills code-server and everything it started; returns what was still alive after SIGTERM + 10 s (killed)."""
        if self.proc is None:
            return []
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.processes():
            time.sleep(0.2)
        left = [cmd for _, cmd in self.processes()]
        if left:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.log_file.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.processes():
            time.sleep(0.2)
        stubborn = [cmd for _, cmd in self.processes()]
        self.proc = None
        return left + [f"(survived SIGKILL) {c}" for c in stubborn]


def keep_screenshot(page, name: str, clip: dict | None = None) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), clip=clip)
    return path


def copy_screenshots(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for png in sorted(SCREENSHOTS.glob("*.png")):
        shutil.copy2(png, dest / png.name)
