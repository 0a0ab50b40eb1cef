"""An action whose caller left still ends, and closing waits for it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from tui.model import Connection, Kind
from tui.ops.items import finish_unbroken, unbroken
from tui.store import Registry

ID = "thread_" + "b" * 24


async def test_closing_waits_for_an_action_whose_caller_left(tmp_path: Path) -> None:
    gate = asyncio.Event()
    async with await Registry.open(tmp_path / "registry.sqlite3") as reg:

        async def answered_then_recorded() -> None:
            await gate.wait()  # the server's answer is on its way
            await reg.track(ID, Kind.THREAD, Connection("http://x/v1"), source="test")

        caller = asyncio.create_task(unbroken(answered_then_recorded()))
        await asyncio.sleep(0)  # the action starts
        caller.cancel()  # the worker that waited for it is gone (a key, a closed screen)
        with contextlib.suppress(asyncio.CancelledError):
            await caller
        closing = asyncio.create_task(finish_unbroken())
        await asyncio.sleep(0)
        assert not closing.done(), "closing did not wait for the action"
        gate.set()
        await closing
        assert await reg.get(Connection("http://x/v1"), ID) is not None


async def test_closing_waits_no_longer_than_its_patience() -> None:
    never = asyncio.Event()
    caller = asyncio.create_task(unbroken(never.wait()))
    await asyncio.sleep(0)
    caller.cancel()
    await finish_unbroken(patience=0.01)  # returns although the action never ends
    never.set()
