"""The engine: a workspace's files → facts → the ISG, in memory (``Graph``) and on disk (``Store``).

Entry points: ``Engine.index()`` (cold or warm: only files whose content changed are parsed), ``Engine.update_file()``
(one file's new text, from an editor or from disk: extract, then graph surgery) and ``Engine.flush()`` (persist what
changed). The engine knows nothing of LSP; the server and the CLI both drive it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import operator
import os
import resource
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from . import __version__, languages
from .extract import extract_batch, extract_path, extract_source, parser_for
from .graph import Graph
from .isolation import ParserPool, _test_hooks
from .lifeline import die_with
from .model import FACTS_VERSION, EdgeKind, FileFacts, NodeKind, Reference
from .naming import Names
from .sqlquery import SqlError, SqlResult, run_sql
from .sqlquery import submit as submit_sql  # noqa: F401 - the server runs `run_sql` jobs on SQL threads
from .storage import GraphStore, StoreSpec
from .store import Store, StoreBusy, StoreError
from .workspace import WorkspaceConfig, content_hash, is_excluded, normalize_source, read_source, walk

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
ITEM_CACHE_FILES = 32  # files edited in memory that keep a per-item extraction cache
PARALLEL_THRESHOLD = 64  # fewer files than this are parsed in-process
BATCH_SIZE = 48


@dataclass
class IndexReport:
    files: int = 0
    parsed: int = 0
    reused: int = 0
    deleted: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    loc: int = 0
    source_bytes: int = 0
    nodes_by_kind: dict[str, int] = field(default_factory=dict)
    edges_by_kind: dict[str, int] = field(default_factory=dict)
    external_nodes: int = 0
    workspace_stand_ins: int = 0  # external nodes whose path starts with a workspace crate's name (should be 0)
    unresolved: int = 0
    heuristic_edges: int = 0
    macro_calls: int = 0
    syntax_errors: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    db_bytes: int = 0
    map_tokens: int = 0  # the default map (`isg-lsp map`: the api level within 3% of the source)
    map_tokens_by_level: dict[str, int] = field(default_factory=dict)  # the whole map at each level
    source_tokens: int = 0
    by_language: dict[str, int] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return sum(self.nodes_by_kind.values())

    @property
    def edges(self) -> int:
        return sum(self.edges_by_kind.values())

    @property
    def map_share(self) -> float:
        return self.map_tokens / self.source_tokens if self.source_tokens else 0.0

    @property
    def map_shares(self) -> dict[str, float]:
        return {
            level: round(tokens / self.source_tokens, 5) if self.source_tokens else 0.0
            for level, tokens in self.map_tokens_by_level.items()
        }


class Engine:
    def __init__(
        self,
        root: Path,
        db_path: Path | None = None,
        config: WorkspaceConfig | None = None,
        persist: bool = True,
        workers: int | None = None,
        pool=None,
        store_spec: StoreSpec | None = None,
        store_write: bool = True,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"not a folder: {root}")
        self.config = config or WorkspaceConfig()
        self.workers = workers if workers is not None else max(1, min(2, os.cpu_count() or 1))
        self.graph = Graph(
            resolver_for=_resolver_for, family_of=_family_of, memo_key_for=_memo_key_for, path_lookup=_path_lookup
        )
        # the one source of module layouts, for extraction here and in the pool's workers (which keep a copy by
        # version): every change of a layout takes a new version, unique in this process (isolation.py)
        self.layouts: dict[str, object] = {}
        self.layouts_version = 0
        # the names files give each other (Rust impl members by their types' definition paths): the graph holds
        # every file's extracted facts as named by them (naming.py); every surgery goes through `_surgery`
        self.names = Names()
        # worker processes (isolation.ParserPool) for parsing files from disk: a crash there costs one file; the
        # language server gives one, the CLI parses in-process or in a one-off pool
        self.pool = pool
        self.stats: dict[str, tuple[int, int]] = {}  # path → (size, mtime_ns) of what is indexed
        self.skipped: dict[str, str] = {}
        self.dirty: set[str] = set()  # files changed in memory, not yet persisted
        self._item_caches: dict[str, dict] = {}  # path -> per-item extraction cache (edited files)
        if db_path is not None:  # a path the user chose: its folder's links are the user's own
            db_path = Path(db_path).expanduser()
            db_path = db_path.parent.resolve() / db_path.name
        self.db_path = db_path if db_path is not None else self.root / ".isg" / "isg.db"
        # another store than the default SQLite file (storage.py): a PostgreSQL snapshot, written by an index
        # (store_write) or read as the base of an editor's overlay
        self.store_spec = store_spec if store_spec is not None and store_spec.is_postgres else None
        self.store_write = store_write
        self.store: GraphStore | None = None
        self.store_message: str | None = None
        if persist:
            self.open_store()

    # ---- storage -------------------------------------------------------------------------------------------

    @property
    def store_location(self) -> str:
        """Where the graph is stored, for messages."""
        if self.store is not None:
            self._location = self.store.describe()
        location = getattr(self, "_location", None)
        if location is not None:
            return location
        return self.store_spec.describe() if self.store_spec is not None else str(self.db_path)

    def open_store(self) -> None:
        try:
            if self.store_spec is not None:
                from .store_pg import PgStore

                self.store = PgStore.open(self.store_spec, self.root, write=self.store_write)
                self._location = self.store.describe()
                return
            self.store = Store(self.db_path)
            if self.store.moved_aside is not None:
                self.store_message = (
                    f"The index database was unusable ({self.store.moved_why}) and has been "
                    f"rebuilt (the old one is at {self.store.moved_aside})."
                )
        except StoreBusy as error:  # one writer per database: another server has it
            self.store = None
            self.store_message = f"Index kept in memory only: {error}."
            log.warning(self.store_message)
        except (OSError, StoreError, Exception) as error:  # noqa: BLE001 - a read-only or full disk must not stop us
            self.store = None
            self.store_message = f"Index kept in memory only: cannot use {self.store_location}: {error}"
            log.warning(self.store_message)

    def close(self) -> None:
        if self.store is not None:
            try:
                self.flush()
            finally:
                self.store.close()
                self.store = None

    # ---- indexing ------------------------------------------------------------------------------------------

    def index(self, progress: Progress | None = None, measure_map: bool = False) -> IndexReport:
        """Indexes the workspace, re-parsing only files whose size or time differs from the database's record."""
        with gc_paused():
            return self._index(progress, measure_map)

    def _index(self, progress: Progress | None, measure_map: bool) -> IndexReport:
        started = time.perf_counter()
        files = walk(self.root, self.config)
        self._build_layouts(files)
        # stored facts and edges hold only for the same layouts and the same extractors and resolvers: a release
        # that changes what they produce bumps the version, and every stored file is parsed again
        fingerprint = self.layout_fingerprint()
        try:
            stored, stored_valid, unchanged, to_parse, final, resolved = self._read_stored(files, fingerprint)
        except Exception as error:  # noqa: BLE001 - a damaged or truncated database: move it aside, index cold
            assert self.store is not None
            log.warning("reading %s failed (%s); moving it aside", self.db_path, error)
            self.store.reset(f"{type(error).__name__}: {error}")
            self.store_message = (
                f"The index database was unusable and has been rebuilt (the old one is at {self.store.moved_aside})."
            )
            stored, stored_valid, unchanged, to_parse, final, resolved = self._read_stored(files, fingerprint)
        changed: dict[str, FileFacts] = {}
        for facts, size, mtime_ns in self._extract_many(to_parse, progress, len(files), len(unchanged)):
            self.stats[facts.path] = (size, mtime_ns)
            changed[facts.path] = facts
        self._reapply_module_files(list(final.values()) + list(changed.values()), changed, final)
        final.update(changed)
        file_set = set(files)
        deleted = [rel for rel in stored if rel not in file_set]
        graph = Graph(
            resolver_for=_resolver_for, family_of=_family_of, memo_key_for=_memo_key_for, path_lookup=_path_lookup
        )
        names = Names()  # what the files name through each other (naming.py)
        touched: set[str] = set()
        if resolved is not None:
            # a warm start: the graph as the last run left it, without resolving anything; then surgery for what
            # changed since, which re-resolves exactly the files those changes reach
            graph.load_resolved(*resolved)
            for path in names.load_named(facts for facts, *_ in resolved[0]):
                touched |= graph.replace_file(names.rename(graph.files[path].facts))
            for path in sorted(changed):
                touched |= self._surgery(changed[path], path, graph, names)
            for path in sorted(set(graph.files) - set(final)):
                touched |= self._surgery(None, path, graph, names)
        else:
            graph.load(names.load(final[path] for path in sorted(final)))
        from . import enrich  # compiler facts, when `isg-lsp enrich` left some: one more file's facts

        enrich.load(graph, self.root)
        self.graph = graph  # swapped whole: readers on other threads never see a graph half loaded
        self.names = names
        if self.store is not None:
            self._save_placements()
            if stored_valid is not stored:
                self._persist(sorted(final), deleted, whole=True)
                if self.store is not None:  # None when that write failed (a full disk): memory only
                    self.store.set_meta("layout", fingerprint)
            elif resolved is not None:
                self._persist(sorted(touched & set(final)), deleted)
            elif changed or deleted:
                # a changed file can change the edges of files that did not change: rewrite those too
                touched = self._files_touched_by(set(changed) | set(deleted), stored)
                self._persist(sorted(touched & set(final)), deleted)
        self.dirty.clear()
        report = self.report(time.perf_counter() - started, measure_map=measure_map)
        report.parsed = len(to_parse)
        report.reused = len(unchanged)
        report.deleted = len(deleted)
        if progress:
            progress(len(files), len(files), "done")
        return report

    def layout_fingerprint(self) -> str:
        """What stored facts and edges hold for: the package version and the module layouts."""
        return repr((__version__, FACTS_VERSION, sorted((k, repr(v)) for k, v in self.layouts.items())))

    def _read_stored(self, files: list[str], fingerprint: str):
        """What the database knows: its files, those still valid, which files are unchanged (by size and time)
        and must be parsed, and the facts of the unchanged ones."""
        stored = self.store.stored_files() if self.store is not None else {}
        if self.store is not None and self.store.get_meta("layout") != fingerprint:
            stored_valid = {}  # crates or source roots moved: every stored FQP may be stale
        else:
            stored_valid = stored
            self._restore_placements()
        to_parse: list[str] = []
        unchanged: list[str] = []
        # a shared store (PostgreSQL) knows the content, not this checkout's times: it tells which files are its own
        probe = getattr(self.store, "unchanged_files", None) if stored_valid else None
        same = probe(self.root, files, stored_valid, self.config.max_file_bytes) if probe is not None else None
        for rel in files:
            old = stored_valid.get(rel)
            try:
                st = os.stat(self.root / rel)
            except OSError:
                continue
            if same is not None:
                if rel in same:
                    unchanged.append(rel)
                    self.stats[rel] = (st.st_size, st.st_mtime_ns)
                else:
                    to_parse.append(rel)
            elif old is not None and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
                unchanged.append(rel)
                self.stats[rel] = (old.size, old.mtime_ns)
            else:
                to_parse.append(rel)
        final: dict[str, FileFacts] = {}
        resolved = None
        if self.store is not None and stored and stored_valid is stored:
            resolved = self.store.load_resolved()  # every stored file with its edges and dependencies
            keep = set(unchanged)
            for facts, _edges, _deps, _unresolved in resolved[0]:
                if facts.path in keep:
                    final[facts.path] = facts
        elif self.store is not None and unchanged:
            for facts in self.store.load_facts(unchanged):
                final[facts.path] = facts
        for facts in final.values():
            if facts.error:
                self.skipped[facts.path] = facts.error
        return stored, stored_valid, unchanged, to_parse, final, resolved

    def _restore_placements(self) -> None:
        """The places of files moved by their parents' declarations (Rust's `#[path]`), as the last index left
        them: so that a warm start does not extract those files again just to learn where they stand."""
        if self.store is None:
            return
        try:
            saved = json.loads(self.store.get_meta("placements") or "{}")
        except ValueError:
            return
        for family, placements in saved.items():
            layout = self.layouts.get(family)
            overrides = getattr(layout, "path_overrides", None)
            if overrides is not None:
                for path, (crate, modules) in placements.items():
                    overrides.setdefault(path, (crate, tuple(modules)))
        self.layouts_changed()

    def _save_placements(self) -> None:
        if self.store is None:
            return
        placements = {}
        for family, layout in self.layouts.items():
            overrides = getattr(layout, "path_overrides", None)
            if overrides:
                placements[family] = {path: [place[0], list(place[1])] for path, place in overrides.items()}
        self.store.set_meta("placements", json.dumps(placements, sort_keys=True))

    def _files_touched_by(self, changed: set[str], stored: dict) -> set[str]:
        """The changed files and every file whose resolution looked up a symbol they declare or declared."""
        from .graph import _symbol_keys

        keys: set[str] = set()
        for path in changed:
            state = self.graph.files.get(path)
            if state is not None:
                keys |= _symbol_keys(state.facts)
        if self.store is not None:
            for facts in self.store.load_facts(p for p in changed if p in stored):
                keys |= _symbol_keys(facts)
        touched = set(changed)
        for key in keys:
            touched |= self.graph.dependents_of(key)
        return touched

    def _build_layouts(self, files: list[str]) -> None:
        by_family: dict[str, list[str]] = {}
        for rel in files:
            spec = languages.language_for_path(rel)
            if spec is not None:
                by_family.setdefault(spec.family, []).append(rel)
        self.layouts = {}
        for family in {spec.family for spec in languages.available_languages()}:
            support = languages.support(_first_language(family))
            self.layouts[family] = support.build_layout(self.root, by_family.get(family, []))
        self.layouts_changed()

    def layouts_changed(self) -> None:
        """Marks the layouts as changed: the pool's workers take the new ones before their next file."""
        from .isolation import new_layouts_version

        self.layouts_version = new_layouts_version()

    def _reapply_module_files(
        self, all_facts: list[FileFacts], changed: dict[str, FileFacts], stored_facts: dict[str, FileFacts]
    ) -> None:
        """Files placed by their parents' module declarations (Rust's `#[path]`) are extracted again once their
        place is known; repeated until nothing moves (bounded: declarations may disagree)."""
        current = {f.path: f for f in all_facts}
        for _round in range(5):
            moved_any = False
            for family, layout in self.layouts.items():
                support = languages.support(_first_language(family))
                apply = getattr(support, "apply_module_files", None)
                if apply is None:
                    continue
                moved = apply(layout, [f for f in current.values() if _family_of(f.lang) == family])
                if moved:
                    self.layouts_changed()  # placements are part of the layout the workers extract with
                for rel in sorted(moved):
                    if not (self.root / rel).is_file():
                        continue
                    facts, size, mtime_ns = self._extract_one(rel)
                    stored_facts.pop(rel, None)
                    changed[rel] = current[rel] = facts
                    self.stats[rel] = (size, mtime_ns)
                    moved_any = True
            if not moved_any:
                return

    def _extract_many(
        self, rels: list[str], progress: Progress | None, total: int, done: int
    ) -> list[tuple[FileFacts, int, int]]:
        results: list[tuple[FileFacts, int, int]] = []
        if progress:
            progress(done, total, "parsing")
        if self.pool is not None and rels:
            counter = [done]

            def advanced(n: int) -> None:
                counter[0] += n
                if progress:
                    progress(counter[0], total, "parsing")

            results = self.pool.extract_many(
                self.root,
                rels,
                self.layouts_version,
                self.layouts,
                self.config.max_file_bytes,
                self._failed_facts,
                advanced,
            )
        elif len(rels) < PARALLEL_THRESHOLD or self.workers <= 1:
            for i, rel in enumerate(rels):
                results.append(extract_path(self.root, rel, self.layouts, self.config.max_file_bytes))
                if progress and i % 50 == 49:
                    progress(done + i + 1, total, "parsing")
        else:
            batches = [rels[i : i + BATCH_SIZE] for i in range(0, len(rels), BATCH_SIZE)]
            isolated = None  # workers for the files of a batch whose worker died
            with ProcessPoolExecutor(
                max_workers=self.workers, initializer=die_with, initargs=(os.getpid(),)
            ) as pool:  # gone with the CLI (lifeline.py)
                futures = [
                    pool.submit(
                        extract_batch, str(self.root), batch, self.layouts, self.config.max_file_bytes, _test_hooks
                    )
                    for batch in batches
                ]
                for future, batch in zip(futures, batches):
                    try:
                        results.extend(future.result())
                    except Exception as error:  # noqa: BLE001 - a crashed worker costs one file, not the index
                        log.warning(
                            "a parser worker failed (%s); parsing its %d files again, each alone in a worker",
                            type(error).__name__,
                            len(batch),
                        )
                        if isolated is None:
                            isolated = ParserPool(workers=1)
                        for rel in batch:
                            results.append(
                                isolated.extract_one(
                                    self.root,
                                    rel,
                                    self.layouts_version,
                                    self.layouts,
                                    self.config.max_file_bytes,
                                    self._failed_facts,
                                )
                            )
                    done += len(batch)
                    if progress:
                        progress(done, total, "parsing")
            if isolated is not None:
                isolated.close()
        for facts, _, _ in results:
            if facts.error:
                self.skipped[facts.path] = facts.error
            else:
                self.skipped.pop(facts.path, None)
        return results

    # ---- live updates --------------------------------------------------------------------------------------

    def update_file(
        self, rel: str, data: bytes | None, tree: tree_sitter.Tree | None = None, stat: tuple[int, int] | None = None
    ) -> set[str]:
        """Replaces one file's contribution with its new text (``None``: the file is gone). Graph surgery only:
        ``flush()`` persists. Returns the files whose edges changed."""
        with gc_deferred():
            if data is None:
                self.stats.pop(rel, None)
                self.skipped.pop(rel, None)
                touched = self._surgery(None, rel)
            else:
                facts = self.extract(rel, data, tree)
                self.stats[rel] = stat if stat is not None else (len(data), 0)
                old = self.graph.files.get(rel)
                touched = self._surgery(facts, rel)
                if old is not None and old.facts.module_files != facts.module_files:
                    touched |= self._replace_moved_files()
        self.dirty |= touched
        return touched

    def _replace_moved_files(self) -> set[str]:
        """After a file's module declarations changed: re-place and re-extract the files that moved."""
        moved: dict[str, FileFacts] = {}
        self._reapply_module_files([s.facts for s in self.graph.files.values()], moved, {})
        touched: set[str] = set()
        for facts in moved.values():
            touched |= self._surgery(facts, facts.path)
        return touched

    def _surgery(
        self, facts: FileFacts | None, rel: str, graph: Graph | None = None, names: Names | None = None
    ) -> set[str]:
        """Graph surgery for one file's extracted facts (None: the file is gone), named as the workspace names
        them, then for the files whose names that change changed (a `pub use` edited). Returns the files whose
        edges changed."""
        graph = graph if graph is not None else self.graph
        names = names if names is not None else self.names
        named, renamed = names.update(rel, facts)
        touched = graph.replace_file(named, rel)
        for other in renamed:
            state = graph.files.get(other)
            if state is not None:
                touched |= graph.replace_file(names.rename(state.facts))
        return touched

    def _extract_one(self, rel: str) -> tuple[FileFacts, int, int]:
        """One file from disk: in a worker process when the engine has a pool, else here."""
        if self.pool is not None:
            return self.pool.extract_one(
                self.root, rel, self.layouts_version, self.layouts, self.config.max_file_bytes, self._failed_facts
            )
        return extract_path(self.root, rel, self.layouts, self.config.max_file_bytes)

    def _failed_facts(self, rel: str, why: str) -> tuple[FileFacts, int, int]:
        """The facts of a file whose parser crashed: its module node and the reason (kept until the file changes)."""
        spec = languages.language_for_path(rel)
        assert spec is not None
        try:
            st = os.stat(self.root / rel)
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:
            size = mtime_ns = 0
        facts, _ = extract_source(rel, b"", spec, self.layouts.get(spec.family))
        facts.error = why
        facts.content_hash = content_hash(f"{size}:{mtime_ns}:{why}".encode())
        return facts, size, mtime_ns

    def update_from_disk(self, rel: str) -> set[str]:
        """Re-reads one file from disk (created, changed or deleted there)."""
        path = self.root / rel
        if not path.is_file():
            return self.update_file(rel, None) if rel in self.graph.files else set()
        if self.pool is not None:
            spec = languages.language_for_path(rel)
            if spec is not None and spec.family not in self.layouts:
                self.extract(rel, b"")  # builds the missing layout, here
            facts, size, mtime_ns = self._extract_one(rel)
            if facts.error:
                self.skipped[rel] = facts.error
            else:
                self.skipped.pop(rel, None)
            self.stats[rel] = (size, mtime_ns)
            touched = self._surgery(facts, rel)
            self.dirty |= touched
            return touched
        source = read_source(self.root, rel, self.config.max_file_bytes)
        data = source.data if source.data is not None else b""
        facts = self.extract(rel, data, None)
        if source.skipped:
            facts.error = source.skipped
        self.stats[rel] = (source.size, source.mtime_ns)
        touched = self._surgery(facts, rel)
        self.dirty |= touched
        return touched

    def refresh_from_disk(self, rel: str) -> set[str]:
        """A file changed on disk (created, changed, deleted, or now left out by the exclusions): its contribution
        follows the disk. Returns the files whose edges changed."""
        if (self.root / rel).is_file() and is_excluded(self.root, rel, self.config):
            return self.update_file(rel, None) if rel in self.graph.files else set()
        return self.update_from_disk(rel)

    def layout_changed(self) -> bool:
        """Whether the module layout (crates, source roots) on disk differs from the one the graph was built with:
        then only a new index (warm) places every file right."""
        by_family: dict[str, list[str]] = {}
        for rel in walk(self.root, self.config):
            spec = languages.language_for_path(rel)
            if spec is not None:
                by_family.setdefault(spec.family, []).append(rel)
        for family, old in self.layouts.items():
            new = languages.support(_first_language(family)).build_layout(self.root, by_family.get(family, []))
            if repr(new) != repr(old):
                return True
        return False

    def update_document(
        self, rel: str, data: bytes, tree: tree_sitter.Tree | None = None
    ) -> tuple[set[str], tree_sitter.Tree | None]:
        """An editor's buffer: like ``update_file``, parsing incrementally with the edited old ``tree``; also
        returns the new tree, for the next edit."""
        facts, new_tree = self.extract_with_tree(rel, data, tree)
        self.stats[rel] = (len(data), 0)
        touched = self._surgery(facts, rel)
        self.dirty |= touched
        return touched, new_tree

    def extract(self, rel: str, data: bytes, tree: tree_sitter.Tree | None = None) -> FileFacts:
        return self.extract_with_tree(rel, data, tree)[0]

    def extract_with_tree(
        self, rel: str, data: bytes, tree: tree_sitter.Tree | None = None
    ) -> tuple[FileFacts, tree_sitter.Tree | None]:
        spec = languages.language_for_path(rel)
        if spec is None:
            raise ValueError(f"no language indexes {rel}")
        layout = self.layouts.get(spec.family)
        if layout is None:
            support = languages.support(spec.name)
            layout = self.layouts[spec.family] = support.build_layout(self.root, [rel])
            self.layouts_changed()
        return extract_source(rel, data, spec, layout, tree, cache=self._item_cache(rel, spec))

    def _item_cache(self, rel: str, spec: languages.LanguageSpec) -> dict | None:
        """The per-item extraction cache of a file edited in memory (the most recent few files keep one)."""
        if not getattr(languages.support(spec.name), "ITEM_CACHE", False):
            return None
        cache = self._item_caches.pop(rel, None)
        if cache is None:
            cache = {}
        self._item_caches[rel] = cache  # most recently used last
        while len(self._item_caches) > ITEM_CACHE_FILES:
            self._item_caches.pop(next(iter(self._item_caches)))
        return cache

    def flush(self) -> int:
        """Persists the files changed since the last flush, in one transaction. Returns how many."""
        if self.store is None or not self.dirty:
            self.dirty.clear()
            return 0
        dirty = sorted(self.dirty)
        self.dirty.clear()
        deleted = [p for p in dirty if p not in self.graph.files]
        self._persist([p for p in dirty if p in self.graph.files], deleted)
        return len(dirty)

    def persist_rows(self, paths: list[str], deleted: list[str]):
        """What ``Store.save`` takes for these files, read from the graph (so that a writer thread can save it)."""
        rows: list[tuple] = []
        externals = {}
        for path in paths:
            state = self.graph.files.get(path)
            if state is None or path.startswith(".isg/"):
                continue  # enrichment (.isg/enrich/*) is re-read at each start, never stored
            size, mtime_ns = self.stats.get(path, (0, 0))
            rows.append((path, state.facts, list(state.edges), size, mtime_ns, state.unresolved, sorted(state.deps)))
            for node_id in state.external_ids():
                node = self.graph.nodes.get(node_id)
                if node is not None:
                    externals[node_id] = node
        rows.extend((path, None, [], 0, 0, 0) for path in deleted if not path.startswith(".isg/"))
        return rows, list(externals.values())

    def _persist(self, paths: list[str], deleted: list[str], whole: bool = False) -> None:
        """Writes these files' facts and edges (``whole``: they are the whole index, the database's old rows go)."""
        if self.store is None:
            return
        rows, externals = self.persist_rows(paths, deleted)
        try:
            self.store.save(rows, externals, whole=whole)
        except Exception as error:  # noqa: BLE001 - keep serving from memory, say so once
            self.store_failed(error)

    def store_failed(self, error: Exception) -> None:
        """A write failed (a full disk, a file made read-only): from now on the index lives in memory only. The
        database keeps its last committed state; the next start re-reads the files that changed since."""
        self.store_message = f"Index kept in memory only: writing {self.store_location} failed: {error}"
        log.warning(self.store_message)
        store, self.store = self.store, None
        if store is not None:
            store.abandon()

    # ---- reporting -----------------------------------------------------------------------------------------

    # ---- isg/sql -------------------------------------------------------------------------------------------

    def run_sql(
        self, sql: str, limit: int = 1000, budget_ms: float = 2000.0, cancel: threading.Event | None = None
    ) -> SqlResult:
        """`isg/sql` over this engine's database: one SELECT on the read-only views (docs/sql.md, sqlquery.py).
        The only way into SQL for the layers above the engine; any failure is a ``SqlError`` (a ValueError) whose
        message is for the user. Safe to call from another thread (its own read-only connection)."""
        if self.store is None:
            raise SqlError("no database: the index is kept in memory only")
        if self.store_spec is not None:  # PostgreSQL: its own sandbox (sqlquery_pg.py)
            return self.store.run_sql(sql, limit=limit, budget_ms=budget_ms, cancel=cancel)
        try:
            return run_sql(self.db_path, sql, limit=limit, budget_ms=budget_ms, cancel=cancel)
        except sqlite3.Error as error:
            raise SqlError(str(error)) from None

    def report(self, seconds: float = 0.0, measure_map: bool = True) -> IndexReport:
        from .repomap import map_tokens_by_level  # imported here to keep start-up light

        graph = self.graph
        report = IndexReport(files=len(graph.files), seconds=seconds, skipped=dict(self.skipped))
        for node in graph.nodes.values():
            if node.external:
                report.external_nodes += 1
            else:
                report.nodes_by_kind[node.kind.value] = report.nodes_by_kind.get(node.kind.value, 0) + 1
        report.workspace_stand_ins = workspace_stand_ins(graph)
        for edge in graph.edges():
            report.edges_by_kind[edge.kind.value] = report.edges_by_kind.get(edge.kind.value, 0) + 1
            if edge.resolution.value == "heuristic":
                report.heuristic_edges += 1
        for state in graph.files.values():
            facts = state.facts
            report.loc += facts.loc
            report.unresolved += state.unresolved
            report.macro_calls += facts.macro_calls
            report.syntax_errors += len(facts.errors)
            report.by_language[facts.lang] = report.by_language.get(facts.lang, 0) + 1
            report.source_bytes += self.stats.get(facts.path, (0, 0))[0]
        report.source_tokens = report.source_bytes // 4
        if measure_map:
            report.map_tokens_by_level = map_tokens_by_level(graph, report.source_tokens)
            report.map_tokens = report.map_tokens_by_level.pop("default")
        report.peak_rss_mb = peak_rss_mb()
        if self.store is not None:
            report.db_bytes = self.store.size_bytes()
        return report


_GC_LOCK = threading.Lock()
_GC_PAUSES = [0, False]  # indexes running now, whether the collector was on before the first
_GC_DEFERRALS = [0]  # edits running now with the collector deferred (gc_deferred)


@contextlib.contextmanager
def gc_paused():
    """Builds a graph without the cyclic garbage collector, then moves what was built out of its way.

    Building a graph allocates millions of objects that live as long as the graph and form no cycles (a full
    collection after indexing rust-100k finds nothing to free): with the collector on, it traverses the growing heap
    again and again (a third of the CPU of a cold index of rust-100k), and once the graph stands, each full collection
    walks all of it (0.15 s per 100K lines: a pause in the middle of an edit). So the collector is off while an index
    runs, and the heap is frozen afterwards (``gc.freeze``: the collector no longer visits what exists now; reference
    counting still frees the graph when a new one replaces it). Nested and concurrent indexes share one pause."""
    with _GC_LOCK:
        if _GC_PAUSES[0] == 0:
            _GC_PAUSES[1] = gc.isenabled() or _GC_DEFERRALS[0] > 0
            if _GC_PAUSES[1]:
                gc.collect()  # what the previous graph's life left (cheap: that graph is frozen)
            gc.disable()
        _GC_PAUSES[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES[0] -= 1
            if _GC_PAUSES[0] == 0 and _GC_PAUSES[1]:
                gc.freeze()
                if _GC_DEFERRALS[0] == 0:
                    gc.enable()


@contextlib.contextmanager
def gc_deferred():
    """Runs one file's update (extraction and graph surgery) with the cyclic collector off, then turns it back on.

    An update allocates tens of thousands of short-lived objects and leaves no reference cycle (extraction releases
    its bindings: ``infer.envs_released``, ``tests/test_extraction_cycles.py``), so reference counting frees them; with
    the collector on, young-generation collections ran in the middle of it, each visiting what was alive then
    (~13 % of a TypeScript body edit on ts-130k). Garbage with a cycle, if any, waits for the next collection.
    Shares its state with ``gc_paused`` (an index running alongside keeps the collector off)."""
    with _GC_LOCK:
        deferred = gc.isenabled() or _GC_DEFERRALS[0] > 0
        if deferred:
            gc.disable()
            _GC_DEFERRALS[0] += 1
    try:
        yield
    finally:
        if deferred:
            with _GC_LOCK:
                _GC_DEFERRALS[0] -= 1
                if _GC_DEFERRALS[0] == 0 and _GC_PAUSES[0] == 0:
                    gc.enable()


def workspace_stand_ins(graph: Graph) -> int:
    """External nodes whose path begins with the name of a crate of the workspace (`tokio::runtime::Handle` made
    external in tokio itself): stand-ins for workspace items, which should not exist (ISG-SPEC §1)."""
    crates = {
        n.fqp
        for n in graph.nodes.values()
        if n.kind is NodeKind.MODULE and not n.external and n.signature.startswith("crate ")
    }
    return sum(1 for n in graph.nodes.values() if n.external and n.fqp.split("::", 1)[0] in crates and "::" in n.fqp)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _resolver_for(lang: str):
    return languages.support(lang).resolve


def _path_lookup(graph: Graph, path: str) -> list[bytes]:
    """The workspace nodes a path names through re-exports, asked of each language that can tell (`lookup_path`)."""
    from .graph import SymbolView

    for spec in languages.available_languages():
        lookup = getattr(languages.support(spec.name), "lookup_path", None)
        if lookup is not None:
            ids = lookup(SymbolView(graph), path)
            if ids:
                return ids
    return []


# Languages whose resolver reads of a reference only the fields of the key below, and of ``src`` and ``dst`` only
# whether they are set (languages/rust.py's ``resolve``). Their references are resolved once per distinct key and file.
# languages whose resolvers read nothing of a reference but the key's fields (Go's reads `kind`)
_MEMO_LANGUAGES = frozenset({"rust", "typescript", "tsx", "javascript", "python", "java"})
_KEY_FIELDS = tuple(f.name for f in dataclasses.fields(Reference) if f.name not in ("kind", "src", "dst", "derived"))


_key_fields = operator.attrgetter(*_KEY_FIELDS)


def _reference_key(ref: Reference) -> tuple:
    return (ref.src is None, ref.dst is None, _key_fields(ref))


def _memo_key_for(lang: str):
    return _reference_key if lang in _MEMO_LANGUAGES else None


def _family_of(lang: str) -> str:
    return languages.get(lang).family


def _first_language(family: str) -> str:
    return next(spec.name for spec in languages.LANGUAGES if spec.family == family)


__all__ = [
    "Engine",
    "IndexReport",
    "SqlError",
    "SqlResult",
    "extract_source",
    "parser_for",
    "normalize_source",
    "EdgeKind",
    "NodeKind",
]
