"""A real PostgreSQL server for the shared-index tests (pgserver.py): one per test session, a fresh database per
test, the roles of docs/team-index.md (a writer for CI, readers for editors and agents)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.postgres import pgserver

WRITER = "isg_ci"
READER = "isg_editor"
OTHER_READER = "isg_agent"

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    try:
        server = pgserver.start_server()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            for role in (WRITER, READER, OTHER_READER):
                conn.execute(f"CREATE ROLE {role} LOGIN")
        yield server
    finally:
        server.stop()


@dataclass
class Database:
    server: pgserver.PgServer
    name: str

    def url(self, user: str) -> str:
        return self.server.url(user=user, dbname=self.name)

    @property
    def admin(self) -> str:
        return self.url(pgserver.ADMIN)

    @property
    def writer(self) -> str:
        return self.url(WRITER)

    @property
    def reader(self) -> str:
        return self.url(READER)


def _database(server: pgserver.PgServer):
    """A new database, set up as `isg-lsp store-setup` does: the schema owned by the writer, readable by readers."""
    name = f"isg_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = Database(server, name)
    done = isg("store-setup", db.admin, "--writer", WRITER, "--reader", READER, "--reader", OTHER_READER)
    assert done.returncode == 0, done.stderr
    try:
        yield db
    finally:
        from isg_lsp import sqlquery_pg

        sqlquery_pg.close_connections()
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def pg(pg_server):
    """A database of this test's own."""
    yield from _database(pg_server)


@pytest.fixture(scope="module")
def pg_module(pg_server):
    """A database shared by a module's tests (which must leave it as they found it)."""
    yield from _database(pg_server)


def isg(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "isg_lsp", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ, **(env or {})})
