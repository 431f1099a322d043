"""Parsing in worker processes, where a crash of native code (tree-sitter) costs one file, not the server.

``ParserPool`` keeps worker processes alive between uses (the language server's cold index and every file changed
on disk go through it), started from a fork server so that they never inherit the server's threads and locks. When a
worker dies (a segfault, an abort, the OOM killer) or hangs past its time, the pool is replaced and the files that
were in flight are parsed again one at a time, each alone in a worker: the one that kills its worker again is tried
``MAX_ATTEMPTS`` times in all, then kept as a file with only its module node and an ``error`` ("the parser
crashed"), exactly like a file that cannot be read. Nothing is ever parsed in the server's own process as a fallback.

Test hook (tests/robustness only): ``ISG_LSP_TEST_CRASH_ON=<name>[,<name>...]`` makes a *worker* kill itself with
SIGSEGV when it is about to parse a file with that name, and ``ISG_LSP_TEST_HANG_ON=<name>`` makes it hang. The
server's process never reads them.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .extract import extract_batch, extract_path, takes_item_cache
from .lifeline import die_with

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # a file whose parse kills a worker this many times is marked failed
FILE_TIMEOUT_S = float(os.environ.get("ISG_LSP_PARSE_TIMEOUT_S", "60"))  # one file, alone in a worker
BATCH_SIZE = 32

_IN_WORKER = False
_LAYOUTS: tuple[int, dict] | None = None  # the worker's copy of the engine's layouts, by version
_VERSIONS = itertools.count(1)
_VERSIONS_LOCK = threading.Lock()


def new_layouts_version() -> int:
    """A layouts version never used before in this process: engines of several folders share one pool, and a
    worker keeps the layouts it was last sent under their version, so versions must not repeat across engines."""
    with _VERSIONS_LOCK:
        return next(_VERSIONS)


class PoolClosed(RuntimeError):
    """The pool was closed (the server is shutting down): the work is abandoned, never recorded as a failure."""


def _init_worker(owner_pid: int | None = None) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if owner_pid:
        die_with(owner_pid)  # gone with the server (or the CLI), even under SIGKILL (lifeline.py)


def _test_hooks(rel: str) -> None:
    name = rel.rsplit("/", 1)[-1]
    crash = os.environ.get("ISG_LSP_TEST_CRASH_ON")
    if crash and name in crash.split(","):
        os.kill(os.getpid(), signal.SIGSEGV)
    hang = os.environ.get("ISG_LSP_TEST_HANG_ON")
    if hang and name in hang.split(","):
        time.sleep(3600)


def _work(root: str, rels: list[str], layouts_version: int, layouts: dict | None, max_bytes: int):
    """In a worker: extract files. Returns None when it lacks the layouts of that version (sent again then)."""
    global _LAYOUTS
    if layouts is not None:
        _LAYOUTS = (layouts_version, layouts)
    elif _LAYOUTS is None or _LAYOUTS[0] != layouts_version:
        return None
    if len(rels) == 1:  # one file changed on disk: extracted with its item cache
        if _IN_WORKER:
            _test_hooks(rels[0])
        return [extract_path(Path(root), rels[0], _LAYOUTS[1], max_bytes, _item_cache(layouts_version, rels[0]))]
    return extract_batch(Path(root), rels, _LAYOUTS[1], max_bytes, _test_hooks if _IN_WORKER else None)


_ITEM_CACHES: dict[tuple[int, str], dict] = {}
ITEM_CACHE_FILES = 16


def _item_cache(layouts_version: int, rel: str) -> dict | None:
    """A worker's per-item extraction cache of a file parsed alone (a file changed on disk, again and again as an
    agent edits it): only the items that changed are extracted again (the engine's caches of open documents, here for
    files that are not open). Keyed by the layouts' version: a cached item's FQPs depend on them."""
    if not takes_item_cache(rel):
        return None
    key = (layouts_version, rel)
    cache = _ITEM_CACHES.pop(key, None)
    if cache is None:
        cache = {}
    _ITEM_CACHES[key] = cache  # most recently used last
    while len(_ITEM_CACHES) > ITEM_CACHE_FILES:
        _ITEM_CACHES.pop(next(iter(_ITEM_CACHES)))
    return cache


def _warm() -> int:
    from . import extract  # noqa: F401 - imports tree-sitter and the grammars once per worker

    return os.getpid()


def _context():
    try:
        context = multiprocessing.get_context("forkserver")
        # lifeline first: the fork server dies with the process that started it (lifeline.py)
        context.set_forkserver_preload(["isg_lsp.lifeline", "isg_lsp.extract"])
        return context
    except ValueError:  # no fork server on this platform
        return multiprocessing.get_context("spawn")


class ParserPool:
    """Worker processes for parsing, kept alive; replaced when one dies."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.RLock()
        self.crashes = 0  # workers lost (figures for docs/reliability.md)
        self.failed: dict[str, str] = {}  # files given up on: why
        self.closed = False

    # ---- the pool ------------------------------------------------------------------------------------------

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self.closed:
                raise PoolClosed("the parser pool is closed")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=_context(), initializer=_init_worker, initargs=(os.getpid(),)
                )
            return self._pool

    def warm(self) -> None:
        """Starts the workers now (in the background of whoever calls it), so that the first parse does not wait."""
        try:
            pool = self._get()
            for future in [pool.submit(_warm) for _ in range(self.workers)]:
                future.result(timeout=120)
        except Exception as error:  # noqa: BLE001 - the first real use will try again
            log.info("starting parser workers failed: %s", error)
            self._replace()

    def _replace(self, kill: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # taken before shutdown(), which sets the attribute to None even when it does not wait for the thread
        manager = getattr(pool, "_executor_manager_thread", None)
        if kill:
            for process in list(getattr(pool, "_processes", {}).values()):
                try:
                    process.kill()
                except Exception:  # noqa: BLE001
                    pass
        try:
            pool.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001
            pass
        if kill and manager is not None:
            # let the pool's manager thread finish closing its wake-up pipe now: if it is still closing it when
            # the interpreter exits, Python 3.11's exit hook (concurrent.futures.process._python_exit) writes to
            # the pipe as the thread closes it and prints "OSError: [Errno 9] Bad file descriptor"
            manager.join(timeout=5)

    def close(self) -> None:
        self.closed = True
        self._replace(kill=True)

    # ---- parsing -------------------------------------------------------------------------------------------

    def _submit(
        self, root: str, rels: list[str], version: int, layouts: dict, max_bytes: int, with_layouts: bool
    ) -> Future:
        return self._get().submit(_work, root, rels, version, layouts if with_layouts else None, max_bytes)

    def _run(self, root, rels, version, layouts, max_bytes, timeout: float):
        """One batch, waiting for it; raises BrokenProcessPool or TimeoutError (the pool is replaced then)."""
        result = None
        for with_layouts in (False, True):
            future = self._submit(root, rels, version, layouts, max_bytes, with_layouts)
            try:
                result = future.result(timeout=timeout)
            except TimeoutError:
                self.crashes += 1
                self._replace(kill=True)
                raise
            except BrokenProcessPool:
                self.crashes += 1
                self._replace()
                raise
            if result is not None:
                return result
        raise RuntimeError("a parser worker did not take the layouts")

    def extract_many(
        self,
        root: Path,
        rels: list[str],
        version: int,
        layouts: dict,
        max_bytes: int,
        failed_facts: Callable[[str, str], tuple],
        progress: Callable[[int], None] | None = None,
    ) -> list[tuple]:
        """Extracts files in the workers, batches in parallel; files in flight when a worker died are parsed
        again alone. Returns (facts, size, mtime_ns) per file, in no particular order."""
        root_s = str(root)
        results: list[tuple] = []
        suspects: list[str] = []
        batches = [rels[i : i + BATCH_SIZE] for i in range(0, len(rels), BATCH_SIZE)]
        pending: list[tuple[Future, list[str]]] = []
        try:
            pool = self._get()
            pending = [(pool.submit(_work, root_s, batch, version, layouts, max_bytes), batch) for batch in batches]
        except PoolClosed:
            raise
        except Exception as error:  # noqa: BLE001 - the pool could not start: every file alone, below
            log.warning("parser workers could not start: %s", error)
            suspects = list(rels)
        broken = False
        for future, batch in pending:
            try:
                out = future.result(timeout=FILE_TIMEOUT_S * max(1, len(batch)) if not broken else 0.001)
                results.extend(out)
                if progress:
                    progress(len(batch))
            except Exception as error:  # noqa: BLE001 - BrokenProcessPool, a timeout, a cancelled future
                if not broken:
                    broken = True
                    self.crashes += 1
                    log.warning(
                        "a parser worker died (%s); its files are parsed again, one at a time", type(error).__name__
                    )
                    self._replace(kill=True)
                suspects.extend(batch)
        if self.closed:
            raise PoolClosed("the parser pool is closed")
        for rel in suspects:
            results.append(self.extract_one(root, rel, version, layouts, max_bytes, failed_facts))
            if progress:
                progress(1)
        return results

    def extract_one(
        self,
        root: Path,
        rel: str,
        version: int,
        layouts: dict,
        max_bytes: int,
        failed_facts: Callable[[str, str], tuple],
    ) -> tuple:
        """One file, alone in a worker, tried up to ``MAX_ATTEMPTS`` times; then its failed facts."""
        why = ""
        for attempt in range(MAX_ATTEMPTS):
            if self.closed:
                raise PoolClosed("the parser pool is closed")
            try:
                return self._run(str(root), [rel], version, layouts, max_bytes, FILE_TIMEOUT_S)[0]
            except PoolClosed:
                raise
            except TimeoutError:
                why = f"the parser took longer than {FILE_TIMEOUT_S:g} s"
            except BrokenProcessPool:
                why = "the parser crashed"
            except Exception as error:  # noqa: BLE001 - the pool could not start
                why = f"the parser could not run: {type(error).__name__}"
            log.warning("parsing %s in a worker failed (attempt %d of %d): %s", rel, attempt + 1, MAX_ATTEMPTS, why)
        self.failed[rel] = why
        log.error("%s is not indexed: %s", rel, why)
        return failed_facts(rel, why)
