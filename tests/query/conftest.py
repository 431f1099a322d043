"""Shared fixtures of the query tests: the demo workspace's graph, in memory and in a database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from isg_lsp.engine import Engine

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "rust" / "demo"


@pytest.fixture(scope="session")
def demo_engine():
    engine = Engine(DEMO, persist=False)
    engine.index()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def graph(demo_engine):
    return demo_engine.graph


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A copy of the demo workspace indexed into a database; yields (engine, db path)."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(DEMO, root)
    db = root.parent / "isg.db"
    engine = Engine(root, db_path=db)
    engine.index()
    engine.flush()
    yield engine, db
    engine.close()
