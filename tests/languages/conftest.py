"""Real code for the language tests, fetched once by the ordinary package clients into `tests/.cache/` (gitignored).

A failed download fails the test that needs it (never skips it): the test command must be able to fetch it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bench.archives import extract_tar

CACHE = Path(__file__).resolve().parent.parent / ".cache"

RXJS_VERSION = "7.8.1"          # ships its TypeScript sources in package/src
REQUESTS_VERSION = "2.32.3"     # a pure-Python sdist with a src/ layout


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"cannot fetch {what}: `{' '.join(command)}` failed: {error}")
    if result.returncode != 0:
        pytest.fail(f"cannot fetch {what}: `{' '.join(command)}` exited {result.returncode}:\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


def _unpack(archive: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        extract_tar(tar, partial)
    partial.rename(target)


def fetch_npm(package: str, version: str) -> Path:
    """The unpacked npm tarball of `package@version` (its `package/` folder)."""
    target = CACHE / "npm" / f"{package.replace('/', '-')}-{version}"
    if not (target / "package" / "package.json").is_file():
        downloads = CACHE / "npm" / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        if shutil.which("npm") is None:
            pytest.fail(f"cannot fetch {package}@{version}: npm is not installed (the test command installs it)")
        _run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(downloads), "--silent"],
             f"{package}@{version} from the npm registry")
        archives = sorted(downloads.glob(f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"))
        if not archives:
            pytest.fail(f"cannot fetch {package}@{version}: npm pack left no tarball in {downloads}")
        shutil.rmtree(target, ignore_errors=True)
        _unpack(archives[0], target)
    return target / "package"


def fetch_sdist(project: str, version: str) -> Path:
    """The unpacked source distribution of `project==version` from PyPI."""
    target = CACHE / "pypi" / f"{project}-{version}"
    root = target / f"{project}-{version}"
    if not root.is_dir():
        downloads = CACHE / "pypi" / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
              "-q", "-d", str(downloads), f"{project}=={version}"], f"the {project}=={version} sdist from PyPI")
        archives = sorted(downloads.glob(f"{project}-{version}.tar.gz"))
        if not archives:
            pytest.fail(f"cannot fetch {project}=={version}: pip download left no sdist in {downloads}")
        shutil.rmtree(target, ignore_errors=True)
        _unpack(archives[0], target)
    return root


@pytest.fixture(scope="session")
def rxjs_src() -> Path:
    return fetch_npm("rxjs", RXJS_VERSION) / "src"


@pytest.fixture(scope="session")
def requests_sdist() -> Path:
    return fetch_sdist("requests", REQUESTS_VERSION)
