"""Lays out the server that a platform .vsix bundles: client-vscode/bundled/{tool,libs}.

    python scripts/bundle_server.py --target linux-x64 [--out bundled] [--python-versions 3.11,3.12,3.13,3.14]

- ``bundled/libs``: the wheels of server-requirements.txt for the target, unpacked (pip download, binary wheels
  only, for every CPython version listed: tree-sitter has one native module per version, the grammars are abi3),
  and the isg_lsp package copied from the repository;
- ``bundled/tool/isg_server.py``: the launcher the extension runs (python/isg_server.py);
- ``bundled/bundle.json``: target, Python versions and the pinned packages, which the extension logs.

Any target can be built on any machine: only wheels are downloaded, nothing is compiled. The wheels are kept under
client-vscode/.cache/wheels/<target>/<python>/ (ignored by git) and reused while server-requirements.txt is unchanged.
Needs pip (``python -m pip``) and the package registry, or that cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

CLIENT = Path(__file__).resolve().parent.parent
REPO = CLIENT.parent
REQUIREMENTS = CLIENT / "server-requirements.txt"
LAUNCHER = CLIENT / "python" / "isg_server.py"
DEFAULT_PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def _mac(arch: str, first_minor: int) -> list[str]:
    versions = [f"10_{m}" for m in range(first_minor, 16)] if first_minor < 16 else []
    versions += [f"{major}_0" for major in range(11, 16)]
    return [f"macosx_{v}_{a}" for v in versions for a in (arch, "universal2")]


def _manylinux(arch: str) -> list[str]:
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)] + [f"manylinux2014_{arch}"]
    if arch == "x86_64":
        tags += ["manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]
    return tags


# vsce's --target names -> the wheel platform tags that may be installed there (pip 23 does not expand them itself).
# Not here: alpine-arm64 (tree-sitter 0.26.1 has no musllinux aarch64 wheel), linux-armhf, web. Users there install
# the universal .vsix and `pip install isg-lsp`.
TARGETS: dict[str, list[str]] = {
    "linux-x64": _manylinux("x86_64"),
    "linux-arm64": _manylinux("aarch64"),
    "alpine-x64": ["musllinux_1_2_x86_64", "musllinux_1_1_x86_64"],
    "darwin-x64": _mac("x86_64", 9),
    "darwin-arm64": _mac("arm64", 16),
    "win32-x64": ["win_amd64"],
    "win32-arm64": ["win_arm64"],
}


def log(msg: str) -> None:
    print(f"bundle_server: {msg}", file=sys.stderr, flush=True)


def requirement_lines() -> list[str]:
    lines = []
    for raw in REQUIREMENTS.read_text("utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def download(target: str, python: str, cache: Path) -> list[Path]:
    """The target's wheels for one CPython version, from the cache when server-requirements.txt has not changed."""
    folder = cache / target / python
    stamp = folder / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text().strip() == digest:
        wheels = sorted(folder.glob("*.whl"))
        if wheels:
            return wheels
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
           "--implementation", "cp", "--python-version", python, "--dest", str(folder), "-r", str(REQUIREMENTS)]
    for tag in TARGETS[target]:
        cmd += ["--platform", tag]
    log(f"downloading the wheels for {target}, CPython {python}")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise SystemExit(f"bundle_server: pip download failed for {target}, CPython {python}:\n{result.stderr.strip()}")
    stamp.write_text(digest + "\n")
    return sorted(folder.glob("*.whl"))


def check_pins(wheels: list[Path]) -> None:
    """Every wheel is one of the pins: a dependency pulled in without a pin would make versions drift apart."""
    pinned = {line.split("==")[0].lower().replace("-", "_").replace(".", "_") for line in requirement_lines()}
    for wheel in wheels:
        name = wheel.name.split("-")[0].lower().replace(".", "_")
        if name not in pinned:
            raise SystemExit(f"bundle_server: {wheel.name} is a dependency without a pin; "
                             f"add it to {REQUIREMENTS.name}")


def unpack(wheel: Path, libs: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            name = member.filename
            if name.startswith("/") or ".." in Path(name).parts:
                raise SystemExit(f"bundle_server: {wheel.name} has an unsafe path {name!r}")
            if ".data/" in name:
                raise SystemExit(f"bundle_server: {wheel.name} has a .data folder, which unpacking does not handle")
        archive.extractall(libs)


def copy_isg_lsp(libs: Path) -> None:
    shutil.copytree(REPO / "isg_lsp", libs / "isg_lsp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))


def build(target: str, out: Path, pythons: list[str], cache: Path) -> dict:
    if target not in TARGETS:
        raise SystemExit(f"bundle_server: unknown target {target!r}; one of {', '.join(TARGETS)}")
    shutil.rmtree(out, ignore_errors=True)
    libs, tool = out / "libs", out / "tool"
    libs.mkdir(parents=True)
    tool.mkdir()
    seen: dict[str, Path] = {}
    for python in pythons:
        for wheel in download(target, python, cache):
            seen.setdefault(wheel.name, wheel)
    wheels = sorted(seen.values(), key=lambda w: w.name)
    check_pins(wheels)
    for wheel in wheels:
        unpack(wheel, libs)
    copy_isg_lsp(libs)
    shutil.copy2(LAUNCHER, tool / "isg_server.py")
    manifest = {"target": target, "pythons": pythons, "requirements": requirement_lines(),
                "wheels": [w.name for w in wheels]}
    (out / "bundle.json").write_text(json.dumps(manifest, indent=2) + "\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"{out}: {len(wheels)} wheels for {target} (CPython {', '.join(pythons)}) and isg_lsp, {size / 1e6:.1f} MB")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, choices=sorted(TARGETS))
    parser.add_argument("--out", type=Path, default=CLIENT / "bundled")
    parser.add_argument("--python-versions", default=",".join(DEFAULT_PYTHONS),
                        help="CPython versions to carry native modules for (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=CLIENT / ".cache" / "wheels")
    args = parser.parse_args(argv)
    build(args.target, args.out, [v.strip() for v in args.python_versions.split(",") if v.strip()], args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
