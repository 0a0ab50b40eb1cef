"""Erasing an item's local content: nothing of it stays in the registry file or its log."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from tui.model import Connection, ItemState, Kind, Part, TitleSource, Turn
from tui.ops.erasing import KEPT_EVERYTHING, KEPT_NOTHING, Erase, plan_erase
from tui.store import Registry
from tui.store.errors import RegistryError

CONNECTION = Connection("https://api.example.test/v1")


def no_api(item):
    return None, "No profile here connects to it."


def said(text: str, turn_id: str) -> Turn:
    return Turn(id=turn_id, role="user", parts=(Part("text", text),))


async def archived(reg: Registry, item_id: str, meta: dict[str, str], words: str):
    """An item whose history says ``words`` on several pages, one message changed since."""
    item, _ = await reg.track(item_id, Kind.THREAD, CONNECTION, source="test", metadata=meta)
    for page in range(4):  # a transaction each: several index segments
        turns = [said(f"{words} page {page} line {n}", f"msg_{page}_{n}") for n in range(5)]
        item = await reg.archive.store(item, turns)
    item = await reg.archive.store(item, [said("[removed]", "msg_0_0")])  # a kept version
    return await reg.archive.settle(item, complete=True, doubt=None, source="test")


def scan(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_erased_content_is_in_neither_the_file_nor_its_log(tmp_path: Path) -> None:
    marker = "zqx" + uuid.uuid4().hex
    tail = marker[-20:].encode()  # the index keeps words prefix-compressed: scan the end
    path = tmp_path / "registry.sqlite3"
    async with await Registry.open(path) as reg:
        mine = [
            await archived(reg, f"thread_u42_{n}", {"user_id": "u42"}, marker) for n in range(3)
        ]
        theirs = await archived(reg, "thread_u7", {"user_id": "u7"}, "ordinary words")
        assert mine[0].title_source is TitleSource.MESSAGE and marker in mine[0].title
        await reg.rename(mine[1], f"about {marker}", source="test")  # quoted by the journal
        with sqlite3.connect(path) as other:
            other.execute("UPDATE items SET notes = ? WHERE id = ?", (f"n {marker}", mine[2].id))
        for item in mine:
            await reg.set_state(item, ItemState.DELETED, source="test")
        assert tail in scan(path)

        plan = await plan_erase(reg, [("user_id", "u42")], no_api)
        assert {i.id for i in plan.local} == {i.id for i in mine} and not plan.deletion.items
        eraser = Erase(reg, no_api, plan, source="test")
        await eraser.run()
        assert eraser.result is not None and eraser.result.complete

        data = scan(path)  # the registry is still open: its log is in place
        assert Path(f"{path}-wal").exists()
        assert tail not in data, "a copy of erased content stayed in the file or its log"
        assert b"ordinary" in data  # what was not erased is there to be found

        for item in mine:
            fresh = await reg.get_pk(item.pk)
            assert fresh is not None and fresh.state is ItemState.DELETED
            assert (fresh.title, fresh.title_source, fresh.notes) == (item.id, TitleSource.ID, "")
            assert fresh.message_count == 0 and not await reg.archive.all(fresh)
            for entry in await reg.journal(fresh):
                assert marker not in entry.detail
        assert await reg.archive.all(theirs), "another user's history stays"
        assert not await reg.fetchall(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", (f'"{marker}"',)
        )
        receipts = await reg.receipts.since()
        assert {r.item_id for r in receipts} == {i.id for i in mine}
        assert {r.kept_locally for r in receipts} == {KEPT_NOTHING}
        assert all("20 messages, 1 older version" in r.detail for r in receipts)

        with pytest.raises(RegistryError):  # the archive's guard is back in place
            async with reg.writing() as db:
                await db.execute("DELETE FROM message_versions")


async def test_an_item_no_profile_reaches_keeps_everything(tmp_path: Path) -> None:
    async with await Registry.open(tmp_path / "registry.sqlite3") as reg:
        live = await archived(reg, "thread_live", {"user_id": "u42"}, "still here")
        plan = await plan_erase(reg, [("user_id", "u42")], no_api)
        assert not plan.items and [i.id for i, _ in plan.skipped] == [live.id]
        eraser = Erase(reg, no_api, plan, source="test")
        await eraser.run()
        assert eraser.result is not None and not eraser.result.complete
        assert [o.item.id for o in eraser.result.kept] == [live.id]
        fresh = await reg.get_pk(live.pk)
        assert fresh is not None and fresh.state is ItemState.ACTIVE
        assert len(await reg.archive.all(fresh)) == 20
        [receipt] = await reg.receipts.since()
        assert receipt.kept_locally == KEPT_EVERYTHING and receipt.outcome.value == "failed"
