"""Which registry files this process holds open through SQLite.

POSIX drops every lock a process holds on a file when the process closes *any* descriptor
of that file. SQLite guards its own descriptors against this, but a plain ``open()`` and
``close()`` of the registry elsewhere in the process (to read its header, to see whether it
is writable) would silently drop the locks of every connection the process has on it: two
tracked clients in one program, then another program opening the registry, and the next
write failed with "disk I/O error". Connections made through :data:`Held` count themselves
here, so such raw reads are skipped while any of them is open.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

_OPEN: Counter[tuple[int, int]] = Counter()  # (device, inode) -> open connections
_LOCK = threading.Lock()


def _key(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def held(path: Path) -> bool:
    """Whether a connection of this process has the file at ``path`` open."""
    key = _key(path)
    with _LOCK:
        return key is not None and _OPEN[key] > 0


def _release(key: tuple[int, int]) -> None:
    with _LOCK:
        _OPEN[key] -= 1
        if _OPEN[key] <= 0:
            del _OPEN[key]


class Held(sqlite3.Connection):
    """A sqlite3 connection that counts itself as holding its file until it is closed."""

    _released: Callable[[], Any] | None = None

    def hold(self, path: Path) -> None:
        """Count this connection as holding ``path`` (released on close or collection)."""
        key = _key(path)
        if key is None:
            return
        with _LOCK:
            _OPEN[key] += 1
        self._released = weakref.finalize(self, _release, key)

    def close(self) -> None:
        """Close, and stop counting."""
        try:
            super().close()
        finally:
            if self._released is not None:
                self._released()
