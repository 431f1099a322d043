"""What the set-up tests share: a clean clone of the repository, and an environment in which `python3` is the
system's own Python (Debian's /usr/bin/python3 where it is there), as on a fresh machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(command, cwd, env=None, timeout=900, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, shell=isinstance(command, str),
                          executable="/bin/bash" if isinstance(command, str) else None)
    if check and done.returncode != 0:
        pytest.fail(f"`{command}` exited {done.returncode} in {cwd}:\n--- stdout\n{done.stdout[-4000:]}\n"
                    f"--- stderr\n{done.stderr[-4000:]}")
    return done


def system_python() -> str:
    """Debian's /usr/bin/python3 when it is 3.11 or later, else the first python3 on the PATH outside any venv."""
    candidates = ["/usr/bin/python3"] + [str(Path(d) / "python3") for d in _path_outside_venvs()]
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and subprocess.run(
                [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 11))"]).returncode == 0:
            return candidate
    pytest.fail("no system Python 3.11+ found (the package needs one)")


def _path_outside_venvs() -> list[str]:
    venv = os.environ.get("VIRTUAL_ENV")
    out = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or (venv and folder.startswith(venv)) or folder.startswith(sys.prefix) or \
                (Path(folder) / "activate").is_file():
            continue
        out.append(folder)
    return out


@pytest.fixture(scope="session")
def fresh_machine_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a new user's shell: no virtual environment active, and `python3` on the PATH is the
    system's Python (the folder of `system_python()` first)."""
    python = system_python()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "ISG_PYTHON",
                                                           "SKIP_INSTALL", "ISG_TEST_SETUP_ONLY")}
    path = [str(Path(python).parent)] + [d for d in _path_outside_venvs() if d != str(Path(python).parent)]
    env["PATH"] = os.pathsep.join(path)
    env["ISG_EXPECTED_PYTHON"] = python
    return env


@pytest.fixture(scope="session")
def clean_clone(tmp_path_factory) -> Path:
    """`git clone` of this repository (its committed state) into a new folder: what a user or CI starts from."""
    if shutil.which("git") is None:
        pytest.fail("git is missing")
    target = tmp_path_factory.mktemp("clone") / "isg-lsp"
    run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(target)], cwd=REPO.parent, timeout=300)
    return target
