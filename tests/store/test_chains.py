"""Response chains in the registry: tracked under their newest response, linked to the rest."""

from __future__ import annotations

import pytest

from tui.model import Connection, Kind
from tui.store import Query, Recorder, Registry

CONN = Connection("http://127.0.0.1:1/v1", "org-a", "proj-a")
OTHER = Connection("http://127.0.0.1:1/v1", "org-a", "proj-b")


def resp(n: int) -> str:
    return f"resp_{n:050x}"


@pytest.fixture
async def reg(tmp_path):
    registry = await Registry.open(tmp_path / "reg.sqlite3")
    yield registry
    await registry.close()


async def test_advancing_gives_the_item_the_new_id_and_keeps_the_old_as_a_link(reg) -> None:
    item, _ = await reg.track(resp(1), Kind.RESPONSE, CONN, source="test")
    moved = await reg.chains.advance(item, resp(2), source="app")
    assert (moved.pk, moved.id, moved.title) == (item.pk, resp(2), resp(2))
    moved = await reg.chains.advance(moved, resp(3), source="app")
    assert await reg.chains.older(moved) == [resp(1), resp(2)]
    assert await reg.get(CONN, resp(1)) is None
    holder = await reg.chains.holder(CONN, resp(1))
    assert holder is not None and holder.pk == item.pk
    assert await reg.chains.holder(OTHER, resp(1)) is None
    events = [e.event for e in await reg.journal(moved)]
    assert events.count("continued") == 2


async def test_the_new_id_is_found_by_search_and_the_old_is_not(reg) -> None:
    item, _ = await reg.track(resp(1), Kind.RESPONSE, CONN, source="test")
    await reg.chains.advance(item, resp(2), source="app")
    assert [i.id for i in (await reg.search.page(Query(text=resp(2)))).items] == [resp(2)]
    assert (await reg.search.page(Query(text=resp(1)))).items == []


async def test_advancing_onto_a_tracked_response_keeps_that_item(reg) -> None:
    item, _ = await reg.track(resp(1), Kind.RESPONSE, CONN, source="test")
    other, _ = await reg.track(resp(2), Kind.RESPONSE, CONN, source="test")
    found = await reg.chains.advance(item, resp(2), source="app")
    assert found.pk == other.pk
    assert await reg.chains.holder(CONN, resp(1)) is not None


async def test_a_user_title_survives_the_move(reg) -> None:
    item, _ = await reg.track(resp(1), Kind.RESPONSE, CONN, source="test")
    item = await reg.rename(item, "Trip planning", source="test")
    moved = await reg.chains.advance(item, resp(2), source="app")
    assert moved.title == "Trip planning"


async def test_what_other_chains_stand_on_is_what_a_deletion_leaves(reg, tmp_path) -> None:
    rec = Recorder(reg.path)
    rec.chained(CONN, None, resp(1), source="hook", metadata={})
    rec.chained(CONN, resp(1), resp(2), source="hook", metadata={})
    rec.chained(CONN, resp(2), resp(3), source="hook", metadata={})
    assert rec.chained(CONN, resp(1), resp(9), source="hook", metadata={})  # a fork: new
    rec.close()
    main = await reg.get(CONN, resp(3))
    fork = await reg.get(CONN, resp(9))
    assert main is not None and fork is not None
    assert await reg.chains.older(main) == [resp(1), resp(2)]
    assert await reg.chains.standing(CONN, {main.pk}) == {resp(1), resp(9)}
    assert await reg.chains.standing(CONN, {fork.pk}) == {resp(1), resp(2), resp(3)}
    assert await reg.chains.standing(OTHER, set()) == set()
