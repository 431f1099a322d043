"""Shared test helpers: fixture locations and real-code locations installed by the test command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import CARGO_REGISTRY, FIXTURES, debian_crate  # noqa: F401 - re-exported for tests


@pytest.fixture
def copy_fixture(tmp_path):
    """Copies a fixture workspace to a temporary folder (so tests can edit it and write its database)."""

    def copy(relative: str) -> Path:
        target = tmp_path / Path(relative).name
        shutil.copytree(FIXTURES / relative, target)
        return target

    return copy
