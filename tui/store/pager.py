"""List pages read on a thread of their own: waited for briefly, else awaited."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from tui.store import files
from tui.store.errors import from_sqlite
from tui.store.search import Query, ResultPage, read_page


class Pager:
    """One reader thread with its own connection; a newer read interrupts an older one.

    The UI can block on :meth:`read`'s future for a frame's worth of time (a fast page is
    then painted with the keystroke that asked for it) and, when that is not enough,
    await the same future without reading anything twice.
    """

    def __init__(self, target: files.Target) -> None:
        self.target = target
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="registry-pager")
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._current: Future[ResultPage] | None = None
        self._last: Future[ResultPage] | None = None

    def read(self, query: Query, limit: int) -> Future[ResultPage]:
        """Start reading the first page of ``query`` (stopping the read before it)."""
        if self._last is not None and not self._last.done():
            self.interrupt(self._last)
        future: Future[ResultPage] = Future()
        future.add_done_callback(_retrieved)
        self._executor.submit(self._run, future, query, limit)
        self._last = future
        return future

    def interrupt(self, future: Future[ResultPage]) -> None:
        """Stop ``future``'s query if it is the one running (no effect on any other)."""
        with self._lock:
            if self._current is future and self._conn is not None:
                self._conn.interrupt()
            future.cancel()

    def _run(self, future: Future[ResultPage], query: Query, limit: int) -> None:
        if not future.set_running_or_notify_cancel():
            return
        with self._lock:
            self._current = future
        try:
            if self._conn is None:
                self._conn = files.reader(self.target)
            page = read_page(self._conn, query, limit)
        except sqlite3.Error as exc:
            future.set_exception(from_sqlite(exc, self.target.path))
        except BaseException as exc:  # the future carries it to whoever waits
            future.set_exception(exc)
        else:
            future.set_result(page)
        finally:
            with self._lock:
                self._current = None

    def close(self) -> None:
        """Stop the thread and close its connection."""
        if self._last is not None and not self._last.done():
            self.interrupt(self._last)
        self._executor.submit(self._close_connection)
        self._executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _retrieved(future: Future[ResultPage]) -> None:
    """Mark a failed read as seen (an abandoned read's error is not worth a warning)."""
    if not future.cancelled():
        future.exception()
