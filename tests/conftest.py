"""Shared test helpers: fixture locations and real-code locations installed by the test command."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CARGO_REGISTRY = Path("/usr/share/cargo/registry")


def debian_crate(name: str) -> Path:
    """The source folder of a crate from Debian's librust-<name>-dev package (installed by .ci/test.sh)."""
    found = sorted(glob.glob(str(CARGO_REGISTRY / f"{name}-[0-9]*")))
    if not found:
        pytest.fail(f"crate {name} is not installed: run the test command (bash .ci/test.sh), which installs "
                    f"librust-{name.replace('_', '-')}-dev")
    return Path(found[-1])


@pytest.fixture
def copy_fixture(tmp_path):
    """Copies a fixture workspace to a temporary folder (so tests can edit it and write its database)."""

    def copy(relative: str) -> Path:
        target = tmp_path / Path(relative).name
        shutil.copytree(FIXTURES / relative, target)
        return target

    return copy
