"""A read that SQLite answers "busy" is tried again, as a write is, and logged."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tui.model import Connection, Kind
from tui.store import Registry
from tui.store.errors import RegistryError

ID = "thread_" + "a" * 24


def busy_error() -> sqlite3.OperationalError:
    """What SQLite raises once its busy timeout has passed (SQLITE_BUSY)."""
    exc = sqlite3.OperationalError("database is locked")
    exc.sqlite_errorcode = 5  # type: ignore[attr-defined]  # set by SQLite on real errors
    return exc


def answering_busy(reg: Registry, times: int) -> list[str]:
    """Make the registry's connection answer "busy" to its next ``times`` reads."""
    real = reg.db.execute_fetchall
    seen: list[str] = []

    async def fetch(query: str, params: Any = ()) -> Any:
        seen.append(query)
        if len(seen) <= times:
            raise busy_error()
        return await real(query, params)

    reg.db.execute_fetchall = fetch  # type: ignore[method-assign]  # the fault, then SQLite
    return seen


async def test_a_busy_read_is_tried_again_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tui.store.registry")
    async with await Registry.open(tmp_path / "registry.sqlite3") as reg:
        await reg.track(ID, Kind.THREAD, Connection("http://x/v1"), source="t")
        seen = answering_busy(reg, times=3)
        rows = await reg.fetchall("SELECT id FROM items")
    assert [r[0] for r in rows] == [ID]
    assert len(seen) == 4
    assert caplog.text.count("registry busy reading 'SELECT id FROM items'") == 3


async def test_other_read_errors_are_not_retried(tmp_path: Path) -> None:
    async with await Registry.open(tmp_path / "registry.sqlite3") as reg:
        seen = answering_busy(reg, times=0)
        with pytest.raises(RegistryError):
            await reg.fetchall("SELECT nothing FROM nowhere")
    assert len(seen) == 1
