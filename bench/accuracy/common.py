"""What the ground-truth generators share: the truth writer (ISG-SPEC §3 JSONL), the cache, running commands and
installing what a language's compiler needs (Debian packages through apt-get, npm and PyPI packages pinned)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from isg_lsp.model import sighash

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# ISG_ACCURACY_CACHE: another folder for corpora and truths (bench/.cache is shared by every checkout on a machine,
# and two runs of different converters at once would overwrite each other's truths)
CACHE = Path(os.environ["ISG_ACCURACY_CACHE"]) if os.environ.get("ISG_ACCURACY_CACHE") else \
    HERE.parent / ".cache" / "accuracy"


class Unavailable(Exception):
    """A language's compiler or corpus cannot be had on this machine: reported as n/a, with the reason."""


def log(message: str) -> None:
    print(f"accuracy: {message}", file=sys.stderr, flush=True)


class Truth:
    """Ground truth in the spec's vocabulary: nodes by (kind, FQP), edges between them; written as the export's JSONL
    (ids are SigHashes over an empty signature, since compilers print signatures differently)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.nodes: dict[str, dict] = {}
        self.edges: dict[tuple[str, str, str], dict] = {}

    def node(self, kind: str, fqp: str, name: str | None = None, external: bool = False, file: str | None = None,
             signature: str = "") -> str:
        """A node's id; ``signature`` tells apart nodes that share an FQP (Java's overloads)."""
        node_id = sighash(self.lang, kind, fqp, signature).hex()
        if node_id not in self.nodes:
            if name is None:
                name = _last_segment(fqp)
            self.nodes[node_id] = {"type": "node", "id": node_id, "kind": kind, "name": name, "fqp": fqp,
                                   "lang": self.lang, "file": file, "span": None, "signature": signature,
                                   "visibility": None, "external": external}
        elif not external and self.nodes[node_id]["external"]:
            self.nodes[node_id]["external"] = False
            self.nodes[node_id]["file"] = file
        return node_id

    def edge(self, src: str, kind: str, dst: str, derived: bool = False, resolution: str = "exact") -> None:
        if src == dst and kind != "CALLS":
            return
        key = (src, kind, dst)
        if key not in self.edges:
            record = {"type": "edge", "src": src, "kind": kind, "dst": dst, "resolution": resolution}
            if derived:
                record["derived"] = True
            self.edges[key] = record

    def lines(self):
        for node in sorted(self.nodes.values(), key=lambda n: (n["fqp"], n["id"])):
            yield json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        for key in sorted(self.edges):
            record = self.edges[key]
            if self.nodes[key[0]].get("macro") or self.nodes[key[2]].get("macro"):
                record["macro"] = True              # an edge of an item a macro made
            yield json.dumps(record, ensure_ascii=False, separators=(",", ":"))

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            for line in self.lines():
                out.write(line + "\n")
        tmp.replace(path)
        return path


def _last_segment(fqp: str) -> str:
    cut = max(fqp.rfind("::") + 2 if "::" in fqp else 0, fqp.rfind(".") + 1)
    return fqp[cut:]


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float = 1800,
        check: bool = True) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({proc.returncode}): {tail}")
    return proc


def which(program: str, extra: list[str] = ()) -> str | None:
    found = shutil.which(program)
    if found:
        return found
    for folder in extra:
        candidate = Path(folder).expanduser() / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def apt_install(packages: list[str]) -> None:
    """Installs Debian packages (as root, or through sudo when it needs no password). Raises Unavailable if it
    cannot."""
    missing = [p for p in packages if not _dpkg_installed(p)]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise Unavailable(f"needs Debian packages {', '.join(missing)} and apt-get is not available")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    log(f"installing Debian packages: {' '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    proc = run(prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env,
               check=False)
    if proc.returncode != 0:
        run(prefix + ["apt-get", "update", "-qq"], env=env, check=False)
        proc = run(prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env,
                   check=False)
    if proc.returncode != 0:
        raise Unavailable(f"cannot install {', '.join(missing)}: {(proc.stderr or proc.stdout)[-300:]}")


def _dpkg_installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return proc.returncode == 0 and "install ok installed" in proc.stdout


def export_ours(workspace: Path, out: Path) -> Path:
    """`isg-lsp export PATH --no-db` of the same code, as the issue asks (a subprocess, like a user would run it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "isg_lsp", "export", str(workspace), "--no-db", "-o", str(out)], cwd=REPO,
        env={"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    return out


def converter_hash(lang: str) -> str:
    """Changes when a language's ground-truth generator changes (its cached truths are then rebuilt)."""
    import hashlib

    digest = hashlib.sha256()
    for path in [HERE / "common.py", *sorted(HERE.glob(f"{lang}*"))]:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
