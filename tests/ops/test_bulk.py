"""The bulk deletion engine over real HTTP against the emulator."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, ServerFactory, strict_client
from tests.kit.fixtures import Served
from tui.commands.context import ConnectionApis
from tui.config import Profile, Settings
from tui.emulator import EmulatorServer
from tui.emulator.demo import seed_threads
from tui.model import Connection, ItemState, Kind, Tracked
from tui.ops.deleting import BulkDelete, Progress, Result
from tui.store import Registry

KEY_ENV = "TB_BULK_TEST_KEY"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


def settings_for(*servers: EmulatorServer) -> Settings:
    profiles = {
        f"s{n}": Profile(f"s{n}", Connection(s.base_url), key_env=KEY_ENV)
        for n, s in enumerate(servers)
    }
    return Settings(profiles, "s0")


async def track_all(reg: Registry, server: EmulatorServer, ids: list[str]) -> list[Tracked]:
    connection = Connection(server.base_url)
    items = []
    for item_id in ids:
        kind = Kind.THREAD if item_id.startswith("thread_") else Kind.CONVERSATION
        item, _ = await reg.track(item_id, kind, connection, source="test")
        items.append(item)
    return items


def on_server(server: EmulatorServer, item_id: str) -> bool:
    ns = server.emulator.namespace(TEST_KEY)
    return item_id in ns.threads or item_id in ns.conversations


async def run(
    reg: Registry,
    settings: Settings,
    items: list[Tracked],
    confirmed: bool = False,
    **kw: object,
) -> tuple[Progress, BulkDelete]:
    apis = ConnectionApis(settings, max_retries=0)
    engine = BulkDelete(reg, apis, **kw)  # type: ignore[arg-type]
    try:
        return await engine.run(items, confirmed=confirmed), engine
    finally:
        await apis.close()


async def test_archives_then_deletes_and_a_404_counts_as_deleted(
    server: EmulatorServer, tmp_path: Path
) -> None:
    sdk = strict_client(server.base_url)
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": "keep me"}])
    for n in range(120):  # more than one page of history
        sdk.beta.threads.messages.create(thread.id, role="user", content=f"note {n}")
    conv = sdk.conversations.create(
        items=[{"type": "message", "role": "user", "content": "and me"}]
    )
    ids = [thread.id, conv.id, "thread_neverexisted000000000000"]
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        progress, _ = await run(reg, settings_for(server), items)
        results = {o.item.id: o.result for o in progress.outcomes}
        assert results == {ids[0]: Result.DELETED, ids[1]: Result.DELETED, ids[2]: Result.GONE}
        for item in items:
            fresh = await reg.get_pk(item.pk)
            assert fresh is not None and fresh.state is ItemState.DELETED
            assert not on_server(server, item.id)
        texts = [t.text for t in await reg.archive.all(items[0])]
        assert texts[0] == "keep me" and texts[-1] == "note 119" and len(texts) == 121
        assert [t.text for t in await reg.archive.all(items[1])] == ["and me"]
        assert await reg.deletions.pending() == []
        events = [e.event for e in await reg.journal(items[0])]
        assert events[:2] == ["deleted", "deleting"]


async def test_items_of_a_connection_without_credentials_are_skipped(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    ours, theirs = make_server(), make_server()
    mine = seed_threads(ours.emulator, TEST_KEY, 2)
    other = seed_threads(theirs.emulator, TEST_KEY, 1)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, ours, mine) + await track_all(reg, theirs, other)
        progress, _ = await run(reg, settings_for(ours), items, archive=False)
        skipped = [o for o in progress.outcomes if o.result is Result.SKIPPED]
        assert [o.item.id for o in skipped] == other
        assert "No profile here connects to" in skipped[0].reason
        assert on_server(theirs, other[0])
        kept = await reg.get_pk(items[2].pk)
        assert kept is not None and kept.state is ItemState.ACTIVE
        assert progress.count(Result.DELETED) == 2


async def test_500s_are_retried_and_failures_go_back_with_their_reason(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(error_rate=0.4, seed=3)
    ids = seed_threads(server.emulator, TEST_KEY, 60)

    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        progress, _ = await run(reg, settings_for(server), items, archive=False, sleep=no_wait)
        assert progress.done == 60
        deleted = progress.count(Result.DELETED, Result.GONE)
        failed = progress.failures
        assert deleted > 40, "retries should carry most items through 40% of 500s"
        for outcome in progress.outcomes:  # the registry agrees with the server, item by item
            fresh = await reg.get_pk(outcome.item.pk)
            assert fresh is not None
            gone = fresh.state is ItemState.DELETED
            if gone:  # marked deleted only when verified gone
                assert not on_server(server, fresh.id)
            elif not on_server(server, fresh.id):  # deleted, but its check kept failing
                assert "the check failed" in outcome.reason
            assert fresh.state in (ItemState.DELETED, ItemState.ACTIVE)
        for outcome in failed:
            assert "500" in outcome.reason or "server" in outcome.reason.lower()
            journal = await reg.journal(outcome.item)
            assert journal[0].event == "not deleted" and journal[0].detail == outcome.reason
        assert await reg.deletions.pending() == []


async def test_a_429_storm_waits_as_told_and_loses_nothing(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(throttle_rate=0.3, throttle_after=0.2, seed=5)
    ids = seed_threads(server.emulator, TEST_KEY, 30)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        start = time.monotonic()
        progress, engine = await run(reg, settings_for(server), items, archive=False)
        assert progress.count(Result.DELETED) == 30
        assert engine.pacer.limited_count > 0
        assert time.monotonic() - start >= 0.2  # at least one pause as long as asked
        assert not any(on_server(server, i) for i in ids)


async def test_a_rate_limit_is_learnt(make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(rate_limit=40)
    ids = seed_threads(server.emulator, TEST_KEY, 60)  # a delete and a check each
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        progress, engine = await run(reg, settings_for(server), items, archive=False)
        assert progress.count(Result.DELETED) == 60
        assert engine.pacer.rate is not None and engine.pacer.rate < 60
        limited = engine.pacer.limited_count
        assert limited < 60, f"{limited} 429s for 120 deletions: the pace did not adapt"


async def test_stop_sends_nothing_new_and_puts_the_rest_back(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(latency_ms=30)
    ids = seed_threads(server.emulator, TEST_KEY, 30)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        apis = ConnectionApis(settings_for(server), max_retries=0)
        engine = BulkDelete(reg, apis, archive=False, concurrency=2)

        def progress(p: Progress) -> None:
            if p.done >= 4:
                engine.stop()

        try:
            result = await engine.run(items, on_progress=progress)
        finally:
            await apis.close()
        deleted = [o.item.id for o in result.outcomes if o.result is Result.DELETED]
        stopped = [o.item for o in result.outcomes if o.result is Result.STOPPED]
        assert 4 <= len(deleted) <= 6 and len(deleted) + len(stopped) == 30
        for item in stopped:
            assert on_server(server, item.id)
            assert item.state is ItemState.ACTIVE
        assert not any(on_server(server, i) for i in deleted)
        assert await reg.deletions.pending() == []


async def test_an_interrupted_run_is_found_and_resumed(
    server: EmulatorServer, tmp_path: Path
) -> None:
    ids = seed_threads(server.emulator, TEST_KEY, 5)
    untouched = seed_threads(server.emulator, TEST_KEY, 1)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        bystander = (await track_all(reg, server, untouched))[0]
        await reg.deletions.confirm(items, archive=False, source="test")
        # A crash after the server deleted the first one, before it was recorded:
        del server.emulator.namespace(TEST_KEY).threads[ids[0]]
        pending = await reg.deletions.pending()
        assert [p.item.id for p in pending] == ids
        assert all(p.item.state is ItemState.DELETING for p in pending)
        progress, _ = await run(
            reg, settings_for(server), [p.item for p in pending], confirmed=True, archive=False
        )
        assert progress.count(Result.GONE) == 1 and progress.count(Result.DELETED) == 4
        assert await reg.deletions.pending() == []
        assert on_server(server, bystander.id)
        fresh = await reg.get_pk(bystander.pk)
        assert fresh is not None and fresh.state is ItemState.ACTIVE


async def test_a_rejected_key_fails_every_item_of_its_connection_without_hammering(
    make_server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(api_keys=frozenset({"another-key"}))
    ids = seed_threads(server.emulator, TEST_KEY, 20)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        items = await track_all(reg, server, ids)
        before = server.emulator.request_count
        progress, _ = await run(reg, settings_for(server), items, archive=False, concurrency=1)
        assert len(progress.failures) == 20
        assert "Incorrect API key" in progress.failures[-1].reason
        assert server.emulator.request_count - before == 1
        for item in items:
            fresh = await reg.get_pk(item.pk)
            assert fresh is not None and fresh.state is ItemState.ACTIVE


async def test_an_unreadable_reply_fails_its_item_without_asking_again(
    served: Served, tmp_path: Path
) -> None:
    served.switch("wrong_shape")  # one message's content is a number
    kit = served.kit
    settings = Settings({"kit": Profile("kit", served.connection, key_env=KEY_ENV)}, "kit")
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        item, _ = await reg.track(kit.thread.id, Kind.THREAD, served.connection, source="test")
        served.reset_counts()
        progress, _ = await run(reg, settings, [item])
        [outcome] = progress.outcomes
        assert outcome.result is Result.FAILED, outcome
        assert "content" in outcome.reason, outcome.reason
        # two pages, each asked for once (the unreadable one was asked for five times, with
        # 7.5 s of waits, though the same request gets the same reply)
        assert kit.requests("/messages") == 2
        assert kit.exists(kit.thread.id)
        fresh = await reg.get_pk(item.pk)
        assert fresh is not None and fresh.state is ItemState.ACTIVE
