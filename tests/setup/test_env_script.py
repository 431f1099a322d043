"""`.ci/env.sh`, the environment handling that `./isg` and `.ci/test.sh` share, in the cases a test machine does not
meet by itself: not root (apt steps are explained, never run, no sudo), root (apt-get runs), a Python without its
venv module, and a .venv that no longer works. Fake `id`, `apt-get`, `dpkg-query` and `python3` programs stand in
for the machine's, first on the PATH; everything else is the real shell."""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest

from tests.setup.conftest import REPO


@pytest.fixture
def fake_bin(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def fake(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/bash\n" + textwrap.dedent(body))
    path.chmod(0o755)


def source_and_run(root, fake_bin, script, uid="1000", extra_env=None):
    fake(fake_bin, "id", f'[ "$1" = "-u" ] && echo {uid} || /usr/bin/id "$@"\n')
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "HOME": str(root), **(extra_env or {})}
    program = f'set -u\nISG_ROOT="{root}"\n. "{REPO}/.ci/env.sh"\n{script}'
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_not_root_apt_steps_are_explained_not_run(tmp_path, fake_bin):
    log = tmp_path / "apt.log"
    fake(fake_bin, "dpkg-query", 'echo -n "unknown ok not-installed"\n')
    fake(fake_bin, "apt-get", f'echo "$@" >> {log}\n')
    fake(fake_bin, "sudo", f'echo "sudo $@" >> {log}\nexit 1\n')
    done = source_and_run(tmp_path, fake_bin, "isg_apt_install zsh neovim; echo rc=$?")
    assert "rc=1" in done.stdout
    assert "these Debian packages are not installed: zsh neovim" in done.stderr
    assert "install them as root (apt-get install zsh neovim" in done.stderr
    assert not log.exists()          # neither apt-get nor sudo ran


def test_root_installs_only_what_is_missing(tmp_path, fake_bin):
    log = tmp_path / "apt.log"
    fake(fake_bin, "dpkg-query", '[ "${@: -1}" = zsh ] && echo -n "install ok installed" || echo -n "unknown ok not-installed"\n')
    fake(fake_bin, "apt-get", f'echo "$@" >> {log}\n')
    done = source_and_run(tmp_path, fake_bin, "isg_apt_install zsh neovim; echo rc=$?", uid="0")
    assert "rc=0" in done.stdout, done.stderr
    calls = log.read_text().splitlines()
    assert any(" update" in c for c in calls)
    (install,) = [c for c in calls if " install " in c]
    assert install.endswith("--no-install-recommends neovim")
    # nothing missing: apt-get is not even asked
    log.unlink()
    fake(fake_bin, "dpkg-query", 'echo -n "install ok installed"\n')
    assert "rc=0" in source_and_run(tmp_path, fake_bin, "isg_apt_install zsh neovim; echo rc=$?", uid="0").stdout
    assert not log.exists()


def test_a_python_without_venv_is_explained(tmp_path, fake_bin):
    # a python3 of the right version whose ensurepip is missing (Debian without python3-venv), as a non-root user
    fake(fake_bin, "python3", 'case "$*" in *ensurepip*) exit 1 ;; *) exit 0 ;; esac\n')
    done = source_and_run(tmp_path, fake_bin, "isg_ensure_venv; echo rc=$?",
                          extra_env={"ISG_PYTHON": str(fake_bin / "python3")})
    assert "rc=1" in done.stdout
    assert "cannot make a virtual environment: its venv/ensurepip module is missing" in done.stderr
    assert "apt-get install python3-venv" in done.stderr
    assert not (tmp_path / ".venv").exists()


def test_python3_on_the_path_first_else_usr_bin_python3(tmp_path, fake_bin):
    fake(fake_bin, "python3", "exit 0\n")      # new enough
    done = source_and_run(tmp_path, fake_bin, "isg_find_python")
    assert done.stdout.strip() == str(fake_bin / "python3")
    fake(fake_bin, "python3", "exit 1\n")      # too old: /usr/bin/python3 is taken instead
    done = source_and_run(tmp_path, fake_bin, "isg_find_python || echo none")
    usable = os.access("/usr/bin/python3", os.X_OK) and subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; sys.exit(sys.version_info < (3, 11))"]).returncode == 0
    assert done.stdout.strip() == ("/usr/bin/python3" if usable else "none")


def test_a_broken_venv_is_made_again(tmp_path, fake_bin):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /gone\n")
    (venv / "bin" / "python").symlink_to("/gone/python3")
    done = source_and_run(tmp_path, fake_bin, '_isg_venv_ok && echo ok || echo broken')
    assert done.stdout.strip() == "broken"
    # something that is not a venv is never removed
    (venv / "pyvenv.cfg").unlink()
    done = source_and_run(tmp_path, fake_bin, "isg_ensure_venv; echo rc=$?",
                          extra_env={"ISG_PYTHON": "/usr/bin/python3"})
    assert "rc=1" in done.stdout and "is not a virtual environment" in done.stderr and venv.is_dir()
