"""The wheel and the sdist built from a clean clone hold what a user needs (the package, every `.scm` query, the
LICENSE, the entry point), and `pipx install .` / `uv tool install .` from a clean clone give a working `isg-lsp`,
as README's "Install" says."""

from __future__ import annotations

import email
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.setup.conftest import REPO, run

SCM_FILES = sorted(p.name for p in (REPO / "isg_lsp" / "languages" / "queries").glob("*.scm"))


@pytest.fixture(scope="module")
def built(clean_clone, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(clean_clone)],
        cwd=clean_clone, timeout=600)
    (wheel,) = out.glob("isg_lsp-*.whl")
    (sdist,) = out.glob("isg_lsp-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_holds_the_package_queries_license_and_entry_point(built):
    import isg_lsp

    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"isg_lsp-{isg_lsp.__version__}.dist-info"
        metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        license_text = wheel.read(f"{info}/licenses/LICENSE").decode()
    assert len(SCM_FILES) >= 6
    assert {f"isg_lsp/languages/queries/{name}" for name in SCM_FILES} <= names
    source_modules = {str(p.relative_to(REPO)) for p in (REPO / "isg_lsp").rglob("*.py")}
    assert source_modules <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "examples/", "client-vscode/"))]
    assert license_text == (REPO / "LICENSE").read_text() and "MIT License" in license_text
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Version"] == isg_lsp.__version__
    assert "isg-lsp = isg_lsp.cli:main" in entry_points


def test_the_sdist_holds_what_a_build_needs(built):
    with tarfile.open(built["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "docs/graph.md", "isg_lsp/cli.py"):
        assert needed in names
    assert {f"isg_lsp/languages/queries/{name}" for name in SCM_FILES} <= names


def check_installed(bin_dir: Path, workspace: Path) -> None:
    import isg_lsp

    program = bin_dir / "isg-lsp"
    assert program.is_file()
    version = run([str(program), "--version"], cwd=workspace)
    assert version.stdout.strip() == f"isg-lsp {isg_lsp.__version__}"
    # the installed tool finds its .scm queries and grammars: a real query over the example workspace
    done = run([str(program), "query", "--no-db", "who-implements com.example.shop.PaymentGateway"], cwd=workspace)
    assert "com.example.shop.CardGateway" in done.stdout and "com.example.shop.InvoiceGateway" in done.stdout


def test_pipx_install_from_a_clean_clone(clean_clone, fresh_machine_env, tmp_path):
    env = dict(fresh_machine_env, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
               PIPX_MAN_DIR=str(tmp_path / "man"), PIPX_DEFAULT_PYTHON=fresh_machine_env["ISG_EXPECTED_PYTHON"])
    # README: `pipx install .` in the clone; pipx itself comes from the test dependencies here
    run([sys.executable, "-m", "pipx", "install", "."], cwd=clean_clone, env=env)
    check_installed(tmp_path / "bin", clean_clone / "examples" / "demo")


def test_uv_tool_install_from_a_clean_clone(clean_clone, fresh_machine_env, tmp_path):
    uv = Path(sys.executable).parent / "uv"
    env = dict(fresh_machine_env, UV_TOOL_DIR=str(tmp_path / "tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin"),
               UV_PYTHON=fresh_machine_env["ISG_EXPECTED_PYTHON"], UV_PYTHON_DOWNLOADS="never")
    # README: `uv tool install .` in the clone
    run([str(uv), "tool", "install", "."], cwd=clean_clone, env=env)
    check_installed(tmp_path / "bin", clean_clone / "examples" / "demo")
