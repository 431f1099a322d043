"""README's two commands, verbatim, in a clean clone, with the system's own Python on the PATH and no virtual
environment active: what a new user on a fresh Debian 12 does.

The first command (`./isg demo`) is run twice: the first run makes `.venv` from the system Python and installs
into it, the second reuses it. The second command is the test suite itself, so it runs here with
`ISG_TEST_SETUP_ONLY=1`: `.ci/test.sh` does its set-up in the same `.venv` (the test dependencies installed with
pip into the venv: what PEP 668 broke before) and then runs only a smoke selection instead of the whole suite,
which would recurse. It leaves out the Debian and npm steps (the outer test command has done them).
"""

from __future__ import annotations

import re
import subprocess
import time

from tests.setup.conftest import REPO, run


def readme_commands(root=REPO) -> list[str]:
    text = (root / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block, "README has no sh block"
    lines = [line for line in first_block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    return lines


def test_readme_first_screen_shows_exactly_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(text.splitlines()[:25])
    assert "```sh" in first_screen
    commands = [line.split("#")[0].strip() for line in readme_commands()]
    assert commands == ["./isg demo", "bash .ci/test.sh"]


def test_readme_commands_in_a_clean_clone(clean_clone, fresh_machine_env):
    demo, tests = readme_commands(clean_clone)
    python = fresh_machine_env["ISG_EXPECTED_PYTHON"]
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert not (clean_clone / ".venv").exists()

    started = time.monotonic()
    first = run(demo, cwd=clean_clone, env=fresh_machine_env)
    first_seconds = time.monotonic() - started
    # the venv was made from the system Python, and the package installed into it from this clone
    config = (clean_clone / ".venv" / "pyvenv.cfg").read_text()
    assert f"version = {version}" in config or f"version_info = {version}" in config, config
    assert "making the virtual environment .venv with " + python in first.stderr
    assert "installing isg-lsp from" in first.stderr
    check_demo_output(first.stdout)

    started = time.monotonic()
    again = run(demo, cwd=clean_clone, env=fresh_machine_env)
    again_seconds = time.monotonic() - started
    assert "making the virtual environment" not in again.stderr and "installing" not in again.stderr, again.stderr
    check_demo_output(again.stdout)
    assert "12 (0 parsed, 12 unchanged, 0 removed)" in again.stdout     # the index was reused too

    env = dict(fresh_machine_env, ISG_TEST_SETUP_ONLY="1")
    suite = run(tests, cwd=clean_clone, env=env)
    assert "making the virtual environment" not in suite.stderr       # the same .venv
    assert "installing isg-lsp[dev]" in suite.stderr                   # its test dependencies, into the venv
    assert f"== Python: {version} {clean_clone}/.venv/bin/python" in suite.stdout
    assert "set-up done; smoke selection only" in suite.stdout
    assert re.search(r"^\d+ passed in ", suite.stdout, re.M) and "failed" not in suite.stdout, suite.stdout
    print(f"./isg demo in a clean clone: first run {first_seconds:.1f} s, again {again_seconds:.1f} s")


def check_demo_output(out: str) -> None:
    assert "languages                go 1, java 4, python 2, rust 3, typescript 2" in out
    assert "$ isg-lsp query examples/demo 'who-implements shop::storage::Storage'" in out
    answer = out.split("who-implements shop::storage::Storage'", 1)[1].split("$ isg-lsp", 1)[0]
    assert "shop::storage::FileStorage\tIMPL\texact" in answer
    assert "shop::storage::MemoryStorage\tIMPL\texact" in answer
    radius = out.split("'blast-radius shop::storage::Storage depth 2'", 1)[1]
    assert "shop::checkout::Cart\tUSES" in radius and "by module:" in radius
    share = re.search(r"is\n([\d,]+) tokens, ([\d.]+)% of the source's ([\d,]+)", out)
    assert share, out
    map_tokens, percent, source_tokens = (float(share.group(i).replace(",", "")) for i in (1, 2, 3))
    assert 0 < map_tokens < source_tokens and abs(100 * map_tokens / source_tokens - percent) < 0.1
    for hint in ("./isg index ~/src/your-project", "pipx install .", "uv tool install .", "client-vscode/README.md",
                 "docs/neovim.md", "isg-lsp serve"):
        assert hint in out
