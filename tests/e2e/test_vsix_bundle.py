"""The server a platform .vsix bundles (client-vscode/scripts/bundle_server.py), without VS Code: its pins agree with
pyproject.toml, and a Python with nothing installed runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.e2e import harness

CLIENT = harness.CLIENT


def pins() -> dict[str, str]:
    out = {}
    for raw in (CLIENT / "server-requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[name.lower().replace("_", "-")] = version
    return out


def not_bundled() -> set[str]:
    for raw in (CLIENT / "server-requirements.txt").read_text().splitlines():
        if raw.startswith("# not-bundled:"):
            return set(raw.split(":", 1)[1].split())
    return set()


def test_every_dependency_of_pyproject_is_pinned_within_its_range():
    project = tomllib.loads((harness.REPO / "pyproject.toml").read_text())["project"]
    pinned = pins()
    left_out = not_bundled()
    assert left_out <= {"mcp", "watchdog"}, f"only the agent-side dependencies may be left out of the bundle: {left_out}"
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        if name in left_out:
            continue
        assert name in pinned, f"{req.name} (pyproject.toml) is not pinned in client-vscode/server-requirements.txt"
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"{req.name}=={pinned[name]} is outside pyproject.toml's {req.specifier}"


def test_a_bare_python_runs_the_bundled_server(tmp_path):
    target = harness.vsce_target()
    out = tmp_path / "bundled"
    subprocess.run([sys.executable, str(CLIENT / "scripts" / "bundle_server.py"), "--target", target, "--out", str(out)],
                   check=True, capture_output=True, text=True)
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
