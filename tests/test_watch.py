"""The live index behind `isg-lsp mcp` and `isg-lsp watch` (isg_lsp/watch.py), in-process: file events reach the next
reader at once (no debounce wait), exclusions hold, branch switches and layout changes re-index, and a reader's
snapshot of another process's database warm-starts exactly like the writer's own."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from isg_lsp import queries
from isg_lsp.engine import Engine
from isg_lsp.export import jsonl_lines
from isg_lsp.watch import REINDEX_EVENTS, LiveIndex, SnapshotStore
from tests.helpers import FIXTURES

SHAPE = "demo_crate::shapes::Shape"


@pytest.fixture
def demo(tmp_path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(FIXTURES / "rust" / "demo", target)
    return target


@pytest.fixture
def live_for():
    made = []

    def make(root: Path, **kwargs) -> LiveIndex:
        kwargs.setdefault("watch", False)          # events come from the test: no race with a watcher thread
        kwargs.setdefault("use_pool", False)
        live = LiveIndex(root, **kwargs)
        made.append(live)
        live.start()
        assert live.wait_ready(60)
        return live

    yield make
    for live in made:
        live.close()


def implementors(live: LiveIndex) -> set[str]:
    with live.read() as view:
        graph = view.graph
        return {r.node.fqp for r in queries.who_implements(graph, queries.require_targets(graph, SHAPE))}


def test_an_event_reaches_the_next_reader_without_waiting(demo, live_for, monkeypatch):
    import isg_lsp.watch as watch

    monkeypatch.setattr(watch, "DEBOUNCE_S", 3600.0)          # the applier thread would wait an hour
    monkeypatch.setattr(watch, "MAX_DELAY_S", 3600.0)
    live = live_for(demo)
    mod = demo / "src" / "shapes" / "mod.rs"
    mod.write_text(mod.read_text() + "\npub struct Triangle;\nimpl Shape for Triangle {}\n")
    live.notice("src/shapes/mod.rs", "changed")
    assert "demo_crate::shapes::Triangle" in implementors(live)
    assert live.updates_applied == 1 and live.update_latency.count == 1
    (demo / "src" / "shapes" / "circle.rs").unlink()
    live.notice("src/shapes/circle.rs", "deleted")
    assert "demo_crate::shapes::circle::Circle" not in implementors(live)


def test_excluded_and_ignored_files_stay_out(demo, live_for):
    (demo / ".gitignore").write_text("generated/\n")
    live = live_for(demo)
    for folder in ("target", "generated", "src/shapes"):
        (demo / folder).mkdir(exist_ok=True)
    body = "use crate::shapes::Shape;\npub struct Ghost;\nimpl Shape for Ghost {}\n"
    (demo / "target" / "ghost.rs").write_text(body)
    (demo / "generated" / "ghost.rs").write_text(body)
    live.notice("target/ghost.rs", "changed")
    live.notice("generated/ghost.rs", "changed")
    with live.read() as view:
        assert "target/ghost.rs" not in view.graph.files and "generated/ghost.rs" not in view.graph.files
    assert not any("Ghost" in fqp for fqp in implementors(live))


def test_a_branch_switch_indexes_again(demo, live_for):
    live = live_for(demo)
    mod = demo / "src" / "shapes" / "mod.rs"
    mod.write_text(mod.read_text() + "\npub struct Triangle;\nimpl Shape for Triangle {}\n")
    for i in range(REINDEX_EVENTS + 1):                       # more events than surgery file by file is worth
        live.notice(f"src/gone{i}.rs", "deleted")
    live.notice("src/shapes/mod.rs", "changed")
    assert "demo_crate::shapes::Triangle" in implementors(live)
    assert live.index_report is not None and live.index_report.files == 4
    assert live.state == "ready"


def test_a_new_crate_changes_the_layout_and_indexes_again(demo, live_for):
    live = live_for(demo)
    other = demo / "other"
    (other / "src").mkdir(parents=True)
    (other / "Cargo.toml").write_text('[package]\nname = "other-crate"\nversion = "0.1.0"\n')
    (other / "src" / "lib.rs").write_text("pub trait Other {}\n")
    live.notice("other", "dir-created")
    live.notice("other/Cargo.toml", "changed")
    live.notice("other/src/lib.rs", "changed")
    with live.read() as view:
        assert [n.fqp for n in view.graph.by_fqp("other_crate::Other")] == ["other_crate::Other"]


def _export(graph) -> str:
    return "\n".join(jsonl_lines(graph))


def test_a_snapshot_of_another_writers_database_warm_starts_like_the_writer(demo):
    db = demo / ".isg" / "isg.db"
    writer = Engine(demo)
    writer.index()
    writer.close()
    mod = demo / "src" / "shapes" / "mod.rs"
    mod.write_text(mod.read_text() + "\npub struct Triangle;\nimpl Shape for Triangle {}\n")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    reader = Engine(demo, persist=False)
    reader.store = SnapshotStore(db)
    report = reader.index()
    reader.store.close()
    reader.store = None
    assert report.parsed == 1 and report.reused == 3                  # warm: only the changed file is parsed
    cold = Engine(demo, persist=False)
    cold.index()
    assert _export(reader.graph) == _export(cold.graph)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before      # a reader never writes


def test_a_worker_extracts_a_file_changed_again_and_again_as_it_would_fresh(demo):
    """Files changed on disk are parsed alone in a worker, with that worker's per-item cache: the facts are the
    same as a fresh extraction's."""
    from isg_lsp import isolation
    from isg_lsp.extract import extract_path
    from isg_lsp.store import facts_to_json
    from isg_lsp.workspace import walk

    engine = Engine(demo, persist=False)
    engine._build_layouts(walk(demo, engine.config))
    mod = demo / "src" / "shapes" / "mod.rs"
    edits = ["\n// a comment\n", "\npub struct Triangle;\n", "\nimpl Shape for Triangle { fn area(&self) -> f64 { 1.0 } }\n",
             "\nfn helper() -> u8 { 1 }\n"]
    for edit in edits:
        mod.write_text(mod.read_text() + edit)
        (cached, _, _), = isolation._work(str(demo), ["src/shapes/mod.rs"], 7, engine.layouts, 2_000_000)
        fresh, _, _ = extract_path(demo, "src/shapes/mod.rs", engine.layouts, 2_000_000)
        assert facts_to_json(cached) == facts_to_json(fresh)
    assert (7, "src/shapes/mod.rs") in isolation._ITEM_CACHES
