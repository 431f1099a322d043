"""Shell completion generated from the argument parser: real bash completes commands, options, values and folders;
real zsh loads the script and registers it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from isg_lsp.cli import build_parser
from isg_lsp.completion import describe


def completion_script(shell: str) -> str:
    done = subprocess.run([sys.executable, "-m", "isg_lsp", "completion", shell], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def bash_complete(script_path, line: str, cwd) -> list[str]:
    """What bash offers for `line` (the cursor at its end), through the generated function itself."""
    words = line.split(" ")
    program = "\n".join([
        f"source {script_path}",
        "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")",
        f"COMP_CWORD={len(words) - 1}",
        "_isg_lsp",
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ])
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                          cwd=cwd, timeout=60)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("completion") / "isg-lsp.bash"
    path.write_text(completion_script("bash"))
    return path


def test_bash_completes_every_command_of_the_parser(bash_script, tmp_path):
    _, commands = describe(build_parser())
    names = {c.name for c in commands}
    assert {"index", "query", "map", "context", "serve", "completion"} <= names
    assert set(bash_complete(bash_script, "isg-lsp ", tmp_path)) == names | {"-h", "--help", "--version"}
    assert bash_complete(bash_script, "isg-lsp qu", tmp_path) == ["query"]


def test_bash_completes_options_values_and_folders(bash_script, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    assert "--budget" in bash_complete(bash_script, "isg-lsp context --", tmp_path)
    assert bash_complete(bash_script, "isg-lsp index --no", tmp_path) == ["--no-db"]
    assert bash_complete(bash_script, "isg-lsp completion ", tmp_path) == ["bash", "zsh"]
    # a workspace is a folder; a database is any file
    assert bash_complete(bash_script, "isg-lsp index ", tmp_path) == ["src"]
    assert sorted(bash_complete(bash_script, "isg-lsp index --db ", tmp_path)) == ["notes.txt", "src"]
    # an option's value is not taken for the workspace: the next word is the workspace again
    assert bash_complete(bash_script, "isg-lsp query --db x.db ", tmp_path) == ["src"]
    # after the workspace, a query's text is free
    assert bash_complete(bash_script, "isg-lsp query src ", tmp_path) == []


def test_bash_registers_the_function(bash_script):
    done = subprocess.run(["bash", "--norc", "-c", f"source {bash_script}; complete -p isg-lsp"],
                          capture_output=True, text=True, timeout=60)
    assert "-F _isg_lsp isg-lsp" in done.stdout


def test_zsh_loads_the_script_and_registers_it(tmp_path):
    assert shutil.which("zsh"), "zsh is missing: the test command installs it (.ci/apt-packages.txt)"
    script = tmp_path / "_isg-lsp"
    script.write_text(completion_script("zsh"))
    assert subprocess.run(["zsh", "-n", str(script)], capture_output=True, timeout=60).returncode == 0
    program = f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; source {script}; print -r -- $_comps[isg-lsp]"
    done = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "_isg_lsp"
    text = script.read_text()
    for command in ("index", "query", "map", "context", "serve"):
        assert f"'{command}:" in text
