"""The registry's synchronous face, for code without an event loop (the tracking hook).

It runs the very writes the async :class:`~tui.store.registry.Registry` runs (the plans
of :mod:`tui.store.writes`), each in its own write transaction on a plain sqlite3
connection, so both faces record, delete and touch an item the same way.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from datetime import datetime
from typing import TypeVar

from tui.model import Connection, Kind
from tui.store import files, writes
from tui.store.errors import translated

T = TypeVar("T")


class Recorder:
    """Synchronous writes to the registry at ``path``, from any thread, one at a time.

    The file is opened on the first write (and checked then, as :meth:`Registry.open`
    does); every problem raises a :class:`~tui.store.errors.RegistryError`, and the
    transaction is rolled back whole. :meth:`close` lets a later write open it afresh.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = files.resolve_path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def close(self) -> None:
        """Close the file (a later write opens it again)."""
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            target = files.prepare(self.path)
            target.refuse_writes()
            self._db = files.connect(target, any_thread=True)
        return self._db

    def _write(self, plan: writes.Plan[T]) -> T:
        with self._lock, translated(self.path):
            return writes.transaction(self._conn(), str(self.path), plan)

    def track(
        self,
        item_id: str,
        kind: Kind,
        connection: Connection,
        *,
        source: str,
        metadata: dict[str, str],
        created_at: datetime | None = None,
        first_user_text: str | None = None,
    ) -> bool:
        """Record an item (see :meth:`Registry.track`); whether it was new."""
        seconds = int(created_at.timestamp()) if created_at else None
        plan = writes.track(
            item_id,
            kind,
            connection,
            source=source,
            metadata=metadata,
            created_at=seconds,
            first_user_text=first_user_text,
        )
        return self._write(plan)[1]

    def chained(
        self,
        connection: Connection,
        previous_id: str | None,
        response_id: str,
        *,
        source: str,
        metadata: dict[str, str],
        created_at: datetime | None = None,
        first_user_text: str | None = None,
    ) -> bool:
        """Record a stored response (see :func:`writes.chained`); whether a chain is new."""
        seconds = int(created_at.timestamp()) if created_at else None
        plan = writes.chained(
            connection,
            previous_id,
            response_id,
            source=source,
            metadata=metadata,
            created_at=seconds,
            first_user_text=first_user_text,
        )
        return self._write(plan)[1]

    def wrote_into(
        self, connection: Connection, conversation_id: str, response_id: str, *, source: str
    ) -> bool:
        """Note that a response wrote into a tracked conversation; whether that is new."""
        plan = writes.wrote_into(connection, conversation_id, response_id, source=source)
        return self._write(plan)

    def mark_deleted(self, connection: Connection, item_id: str, *, source: str) -> bool:
        """Mark an item deleted, settling a pending deletion of it; whether it changed."""
        return self._write(writes.mark_deleted(connection, item_id, source=source))

    def retitle_placeholder(
        self, connection: Connection, item_id: str, placeholder: str, title: str
    ) -> None:
        """Give an item still titled ``placeholder`` (automatically) the title ``title``."""
        self._write(writes.retitle_placeholder(connection, item_id, placeholder, title))

    def touch(self, connection: Connection, item_id: str, at: datetime) -> None:
        """Move an item's ``last_activity`` forward (never back)."""
        self._write(writes.touch(connection, item_id, int(at.timestamp())))
