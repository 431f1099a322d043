"""Work off the request path: indexing and SQLite writes, in one background thread, in order.

One thread for both keeps each folder's Store used by one thread at a time: the event loop never touches SQLite, and
a re-index queued behind a batch of writes sees them. The loop takes a snapshot of what to write
(``Engine.persist_rows``: plain values, nothing the next edit mutates) and the thread writes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class Background:
    """A single worker thread; jobs run in submission order."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="isg-background")
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, job: Callable[[], object]) -> Future:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        future = self._pool.submit(self._run, job)
        return future

    def _run(self, job: Callable[[], object]) -> object:
        try:
            return job()
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def wait_idle(self, timeout: float) -> bool:
        """Waits until every submitted job has run; False when the time ran out first."""
        return self._idle.wait(timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=False)


def save_rows(engine, rows, externals) -> None:
    """Writes a snapshot taken by ``Engine.persist_rows`` (runs in the background thread)."""
    store = engine.store
    if store is None:
        return
    try:
        store.save(rows, externals)
    except Exception as error:  # noqa: BLE001 - keep serving from memory, say so once
        engine.store_failed(error)
