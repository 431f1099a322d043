"""Sharded indexing (`index --shard K/N`, then `index --resolve`) of a real multi-crate workspace: Debian's crates
copied side by side into one folder, one crate per unit. Sharded equals unsharded, byte for byte; a shard that died
is run again; everything run twice writes nothing more."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psycopg
import pytest

from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.shard import assign, units_of
from isg_lsp.storage import parse_store
from isg_lsp.store_pg import PgStore
from tests.helpers import debian_crate
from tests.postgres.conftest import isg

# crates that use each other (crossbeam-channel → crossbeam-utils, tokio → bytes, mio, pin-project-lite, ...)
CRATES = ["crossbeam-channel", "crossbeam-utils", "serde", "anyhow", "bytes", "pin-project-lite", "log"]
SLOW_CRATES = CRATES + ["tokio", "mio", "parking_lot", "parking_lot_core", "lock_api", "memchr", "indexmap"]


def monorepo(folder: Path, crates: list[str]) -> Path:
    root = folder / "mono"
    root.mkdir()
    for crate in crates:
        source = debian_crate(crate)
        shutil.copytree(source, root / source.name, symlinks=True)
    return root


def shard_all(pg, root: Path, n: int, commit: str = "c1") -> list[dict]:
    reports = []
    for k in range(1, n + 1):
        done = isg("index", str(root), "--store", pg.writer, "--commit", commit, "--shard", f"{k}/{n}", "--json")
        assert done.returncode == 0, done.stderr
        reports.append(json.loads(done.stdout))
    return reports


def resolve(pg, root: Path, commit: str = "c1") -> dict:
    done = isg("index", str(root), "--store", pg.writer, "--commit", commit, "--resolve", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def unsharded_export(root: Path) -> tuple[list[str], int]:
    engine = Engine(root, persist=False)
    unresolved = engine.index().unresolved
    lines = list(jsonl_lines(engine.graph))
    engine.close()
    return lines, unresolved


def shared_export(pg, root: Path, commit: str = "c1") -> tuple[list[str], int]:
    engine = Engine(root, store_spec=parse_store(f"{pg.reader}@{commit}"), store_write=False)
    parsed = engine.index().parsed
    lines = list(jsonl_lines(engine.graph))
    engine.close()
    return lines, parsed


def check_sharded_equals_unsharded(pg, root: Path, n: int) -> dict:
    reports = shard_all(pg, root, n)
    assert all(r["state"] == "done" and r["files"] > 0 for r in reports)
    joined = resolve(pg, root)
    assert joined["state"] == "complete" and joined["shards"] == n
    assert joined["files"] == sum(r["files"] for r in reports)
    assert joined["cross-shard edges"] > 0 and joined["files resolved again"] > 0
    # the join changes what the shards could not know: references into other shards, and guesses by name (a name
    # with few candidates in one shard may have too many in the whole workspace)
    assert joined["unresolved"] != joined["unresolved before the join"]
    shared, parsed = shared_export(pg, root)
    expected, unresolved = unsharded_export(root)
    assert joined["unresolved"] == unresolved
    assert parsed == 0
    assert len(expected) > 10_000
    assert shared == expected
    return joined


def test_units_are_crates_and_every_shard_gets_some(tmp_path):
    root = monorepo(tmp_path, CRATES)
    from isg_lsp.workspace import WorkspaceConfig, walk

    files = walk(root, WorkspaceConfig())
    units = units_of(root, files)
    assert set(units.values()) == {debian_crate(c).name for c in CRATES}
    shards = assign(root, files, 3)
    assert set(shards.values()) == {0, 1, 2}
    for rel, shard in shards.items():                   # a crate is never split
        assert all(shards[other] == shard for other in files if units[other] == units[rel])
    assert assign(root, files, 3) == shards             # every machine computes the same


def test_a_sharded_index_equals_the_unsharded_one_and_runs_again_for_nothing(pg, tmp_path):
    root = monorepo(tmp_path, CRATES)
    check_sharded_equals_unsharded(pg, root, 3)
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        before = conn.execute("SELECT count(*), max(updated) FROM isg.snapshots").fetchone()
    again = shard_all(pg, root, 3)                        # idempotent: a rerun of the whole matrix writes nothing
    assert {r["state"] for r in again} == {"already done (nothing written)"}
    assert resolve(pg, root)["state"] == "already joined (nothing written)"
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        assert conn.execute("SELECT count(*), max(updated) FROM isg.snapshots").fetchone() == before


def test_a_shard_that_died_is_run_again(pg, tmp_path):
    root = monorepo(tmp_path, CRATES)
    n = 3
    for k in (1, 3):
        assert isg("index", str(root), "--store", pg.writer, "--commit", "c1", "--shard", f"{k}/{n}").returncode == 0
    # shard 2 dies in the middle of its write: it had said it was running, its transaction never committed
    engine = Engine(root, persist=False)
    store = PgStore.open(parse_store(pg.writer, commit="c1"), root)
    store.shard_begin(2, n, "a layout")
    with pytest.raises(psycopg.errors.DivisionByZero):
        with store.conn.transaction():
            store._write_files([], shard=2, scope="shard")
            store.conn.execute("SELECT 1 / 0")             # the job's machine went away
    store.close()
    engine.close()
    refused = isg("index", str(root), "--store", pg.writer, "--commit", "c1", "--resolve")
    assert refused.returncode == 2 and "shards 2/3" in refused.stderr and "not done" in refused.stderr
    # the editor's base is not there yet: a snapshot still being indexed never answers
    early = isg("export", str(root), "--store", pg.reader + "@c1", "-o", os.devnull)
    assert early.returncode == 0 and "not complete" in early.stderr
    assert isg("index", str(root), "--store", pg.writer, "--commit", "c1", "--shard", f"2/{n}").returncode == 0
    joined = resolve(pg, root)
    assert joined["state"] == "complete"
    shared, parsed = shared_export(pg, root)
    assert parsed == 0 and shared == unsharded_export(root)[0]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ISG_TEST_SLOW"), reason="the long form: ISG_TEST_SLOW=1 (CI runs the 7-crate "
                    "form above)")
def test_a_larger_workspace_over_four_shards(pg, tmp_path):
    """The longer form: tokio and its dependencies too (ISG_TEST_SLOW=1)."""
    root = monorepo(tmp_path, SLOW_CRATES)
    joined = check_sharded_equals_unsharded(pg, root, 4)
    assert joined["lines"] > 100_000
