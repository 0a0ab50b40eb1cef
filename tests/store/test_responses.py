"""The responses known to have written into a conversation, kept by both faces."""

from __future__ import annotations

import pytest

from tui.model import Connection, ItemState, Kind
from tui.store import Recorder, Registry

CONN = Connection("http://127.0.0.1:1/v1", "org-a", "proj-a")
OTHER = Connection("http://127.0.0.1:1/v1", "org-a", "proj-b")
CONV = "conv_" + "c1" * 24


def resp(n: int) -> str:
    return f"resp_{n:050x}"


@pytest.fixture
async def reg(tmp_path):
    registry = await Registry.open(tmp_path / "reg.sqlite3")
    yield registry
    await registry.close()


async def test_both_faces_record_a_conversations_responses_oldest_first(reg) -> None:
    conv, _ = await reg.track(CONV, Kind.CONVERSATION, CONN, source="test")
    assert await reg.responses.wrote_into(CONN, CONV, resp(3), source="app")
    rec = Recorder(reg.path)
    try:
        assert rec.wrote_into(CONN, CONV, resp(1), source="track")
        assert not rec.wrote_into(CONN, CONV, resp(3), source="track")  # known already
    finally:
        rec.close()
    assert not await reg.responses.wrote_into(CONN, CONV, resp(1), source="app")
    assert await reg.responses.of(conv) == [resp(3), resp(1)]
    journal = [(e.event, e.detail) for e in await reg.journal(conv)]
    written = [detail for event, detail in journal if event == "response written"]
    assert sorted(written) == [resp(1), resp(3)]  # once each


async def test_an_untracked_conversation_stays_untracked(reg) -> None:
    assert not await reg.responses.wrote_into(CONN, CONV, resp(1), source="app")
    rec = Recorder(reg.path)
    try:
        assert not rec.wrote_into(CONN, CONV, resp(2), source="track")
    finally:
        rec.close()
    assert await reg.find(CONV) == []
    await reg.track(CONV, Kind.CONVERSATION, OTHER, source="test")
    assert not await reg.responses.wrote_into(CONN, CONV, resp(1), source="app")  # other project
    [there] = await reg.find(CONV)
    assert await reg.responses.of(there) == []


async def test_only_a_conversation_takes_responses_and_a_deleted_one_still_does(reg) -> None:
    chain, _ = await reg.track(resp(1), Kind.RESPONSE, CONN, source="test")
    assert not await reg.responses.wrote_into(CONN, resp(1), resp(2), source="app")
    assert await reg.responses.of(chain) == []
    conv, _ = await reg.track(CONV, Kind.CONVERSATION, CONN, source="test")
    conv = await reg.set_state(conv, ItemState.DELETED, source="test")
    # the server may still hold what was written into it before: the deletion needs it
    assert await reg.responses.wrote_into(CONN, CONV, resp(5), source="track")
    assert await reg.responses.of(conv) == [resp(5)]
