"""The lint, format and type gates, and the house rule for request handlers, run as tests of the test command.

ruff and mypy read their configuration from pyproject.toml. Lint and format cover the whole package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINTED = ["isg_lsp", "tests/gates", "tests/analysis", "tests/test_language_contract.py"]
FORMATTED = ["isg_lsp", "tests/analysis", "tests/gates", "tests/test_language_contract.py"]
MAX_HANDLER_LINES = 20


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_lint():
    result = run("ruff", "check", "--no-cache", *LINTED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = run("ruff", "format", "--check", "--no-cache", *FORMATTED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    result = run("mypy")  # files and options: [tool.mypy] in pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr


def test_request_handlers_are_thin_translations():
    """A handler converts in, asks the analysis, converts out (ARCHITECTURE.md, "The server"): a longer one is
    missing an analysis function."""
    tree = ast.parse((REPO / "isg_lsp" / "server" / "handlers.py").read_text(encoding="utf-8"))
    [handlers] = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Handlers"]
    methods = [f for f in handlers.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert len(methods) > 20
    long = {f.name: f.end_lineno - f.lineno + 1 for f in methods if f.end_lineno - f.lineno + 1 > MAX_HANDLER_LINES}
    assert long == {}
