"""Shell completion generated from the argument parser: real bash completes commands, options, values and folders;
real zsh loads the script and registers it."""

from __future__ import annotations

import os
import re
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


def test_zsh_completes_in_a_real_terminal(tmp_path):
    """An interactive zsh in a pseudo-terminal: type a line, press Tab, then Enter. `isg-lsp` is a shell function
    there that prints the words it got, so what completion inserted is read back exactly; lists shown for an
    ambiguous Tab are read from the screen."""
    assert shutil.which("zsh"), "zsh is missing: the test command installs it (.ci/apt-packages.txt)"
    script = tmp_path / "_isg-lsp"
    script.write_text(completion_script("zsh"))
    (tmp_path / "src").mkdir()
    (tmp_path / "notes.db").write_text("")
    with ZshSession(tmp_path) as zsh:
        zsh.run(f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; source {script}; "
                "isg-lsp() { (( ++n )); print -r -- \"RESULT$n:[$*]\" }; n=0")
        assert zsh.complete("isg-lsp index --no") == "index --no-db"
        assert zsh.complete("isg-lsp completion z") == "completion zsh"
        assert zsh.complete("isg-lsp index ") == "index src"      # the only folder here: files are not offered
        assert zsh.complete("isg-lsp query --db note") == "query --db notes.db"
        assert zsh.complete("isg-lsp ex") == "export"
        assert zsh.complete("isg-lsp ") == ""
        for command, description in (("index", "Index (or refresh"), ("query", "Answer a query"),
                                      ("completion", "Print a shell completion script")):
            assert re.search(rf"{command}\s+--\s+{re.escape(description)}", zsh.screen), zsh.screen[-3000:]


class ZshSession:
    """zsh -f -i on a pseudo-terminal; every wait is for expected output (with a generous limit), never a sleep."""

    def __init__(self, home):
        self.home = home
        self.screen = ""
        self.count = 0

    def __enter__(self):
        import pty
        import struct
        import termios
        import fcntl

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home), "TERM": "xterm", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(["zsh", "-f", "-i"], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=self.home, start_new_session=True)
        os.close(slave)
        self.run("PS1='> '; unsetopt beep")
        return self

    def __exit__(self, *exc):
        try:
            os.write(self.master, b"\x15exit\n")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)

    def _read_until(self, pattern: str, limit: float = 60.0) -> re.Match:
        import select
        import time

        end = time.monotonic() + limit
        while True:
            found = re.search(pattern, self.screen)
            if found:
                return found
            left = end - time.monotonic()
            if left <= 0:
                pytest.fail(f"zsh never printed {pattern!r}; the screen ends with:\n{self.screen[-3000:]}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b""
                if not data:
                    pytest.fail(f"zsh ended; the screen ends with:\n{self.screen[-3000:]}")
                self.screen += re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", data.decode("utf-8", "replace"))

    def run(self, line: str) -> None:
        self.count += 1
        marker = f"DONE-{self.count}"
        os.write(self.master, f"{line}; print DONE-$(( {self.count} ))\n".encode())
        self._read_until(rf"(?m)^{marker}$")

    def complete(self, line: str) -> str:
        """Types `line`, Tab, Enter; returns the words `isg-lsp` was called with."""
        self.calls = getattr(self, "calls", 0) + 1
        os.write(self.master, f"{line}\t".encode())
        os.write(self.master, b"\n")
        found = self._read_until(rf"RESULT{self.calls}:\[(.*?)\]\n")
        return found.group(1).strip()
