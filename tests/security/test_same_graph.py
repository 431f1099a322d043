"""Finding 2: the server (whose files are parsed in the pool's worker processes) and the CLI build the same graph.

The workers cached the engine's layouts by a version that placing files by their parents' `#[path]` attributes did
not bump, so a file moved by `#[path]` kept the place its path alone gives it in the server's graph (and in the
database it wrote), ~1,000 JSONL lines apart on tokio. Layout versions now come from one counter per process and
every change of a layout (building it, placing files) takes a new one."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.helpers import debian_crate
from tests.robustness.rawlsp import REPO, RawServer


def cli_export(root) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "isg_lsp", "export", str(root), "--no-db"], capture_output=True,
                          timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8").splitlines()


def server_export(root, tmp_path, name: str, restart: bool = False) -> list[str]:
    env = {"ISG_LSP_TEST_HOOKS": "1"}
    with RawServer(tmp_path / f"{name}.log", env=env) as server:
        server.initialize(root, timeout=600)
        lines = server.result("isg/test/document", {"uri": (root / "nothing.rs").as_uri()}, timeout=120)["export"]
        assert server.shutdown() == 0
    if restart:                          # a warm start from the database the first run wrote
        with RawServer(tmp_path / f"{name}-warm.log", env=env) as server:
            server.initialize(root, timeout=600)
            warm = server.result("isg/test/document", {"uri": (root / "nothing.rs").as_uri()}, timeout=120)["export"]
            assert server.shutdown() == 0
        assert warm == lines
    return lines


def path_case(folder):
    """The minimal case of the review: `#[path = "plat/unix.rs"] mod imp; pub use imp::Thing;` and 80 modules."""
    root = folder / "pathcase"
    (root / "src" / "plat").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "pathcase"\nversion = "0.1.0"\nedition = "2021"\n')
    lib = ['#[path = "plat/unix.rs"] mod imp;', "pub use imp::Thing;"]
    for i in range(80):
        lib.append(f"pub mod m{i};")
        (root / "src" / f"m{i}.rs").write_text(
            f"pub struct S{i};\nimpl S{i} {{ pub fn f(&self) -> crate::Thing {{ crate::Thing }} }}\n")
    (root / "src" / "lib.rs").write_text("\n".join(lib) + "\n")
    (root / "src" / "plat" / "unix.rs").write_text("pub struct Thing;\npub fn helper() {}\n")
    return root


def test_path_attribute_placement_through_the_pool(tmp_path):
    root = path_case(tmp_path)
    expected = cli_export(root)
    assert any('"fqp":"pathcase::imp::Thing"' in line for line in expected)
    got = server_export(root, tmp_path, "pathcase", restart=True)
    assert got == expected


@pytest.mark.realcode
def test_server_graph_on_tokio_equals_a_fresh_cli_index(tmp_path):
    root = tmp_path / "tokio"
    shutil.copytree(debian_crate("tokio"), root)
    expected = cli_export(root)
    assert len(expected) > 5000
    got = server_export(root, tmp_path, "tokio")
    missing = sorted(set(expected) - set(got))[:5]
    extra = sorted(set(got) - set(expected))[:5]
    assert got == expected, f"{len(set(expected) ^ set(got))} lines differ; missing {missing}; extra {extra}"
