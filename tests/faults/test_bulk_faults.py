"""Bulk deletion (the engine, and ``thread-browser delete --yes``) under 20% faults."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.conftest import TEST_KEY
from tests.faults.conftest import CLIENT_TIMEOUT, FAULTS, assert_healthy, fault_summary
from tui.commands.context import ConnectionApis
from tui.config import Profile, Settings
from tui.emulator import EmulatorServer
from tui.emulator.demo import DemoManifest, seed_demo
from tui.model import Connection, ItemState, Kind, Tracked
from tui.ops.deleting import BulkDelete, Progress, Result
from tui.store import Registry

KEY_ENV = "THREAD_BROWSER_FAULT_BULK_KEY"
RUN_BUDGET = 120.0  # seconds a whole deletion may take, every retry and wait included
SHORT_WAIT = 0.25  # the retry-after of the 429s in runs that must finish on their own
ITEMS = 24


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


def settings_for(server: EmulatorServer) -> Settings:
    profile = Profile("s", Connection(server.base_url), key_env=KEY_ENV)
    return Settings({"s": profile}, "s")


def small_items(server: EmulatorServer, manifest: DemoManifest, count: int) -> list[str]:
    """The ``count`` demo items with the shortest histories (each is archived first)."""
    ids = [*manifest.threads, *manifest.conversations]
    return sorted(ids, key=lambda i: history_size(server, i))[:count]


async def track(reg: Registry, server: EmulatorServer, ids: list[str]) -> list[Tracked]:
    items = []
    for item_id in ids:
        kind = Kind.THREAD if item_id.startswith("thread_") else Kind.CONVERSATION
        item, _ = await reg.track(item_id, kind, Connection(server.base_url), source="test")
        items.append(item)
    return items


def on_server(server: EmulatorServer, item_id: str) -> bool:
    ns = server.emulator.namespace(TEST_KEY)
    return item_id in ns.threads or item_id in ns.conversations


def history_size(server: EmulatorServer, item_id: str) -> int:
    ns = server.emulator.namespace(TEST_KEY)
    if item_id in ns.threads:
        return len(ns.threads[item_id].messages)
    return len(ns.conversations[item_id].items)


@pytest.mark.long
async def test_every_item_ends_deleted_or_failed_with_its_reason(make_server, tmp_path) -> None:
    server = make_server(**{**FAULTS, "fault_retry_after": SHORT_WAIT})
    ids = small_items(server, seed_demo(server.emulator, TEST_KEY), ITEMS)
    sizes = {i: history_size(server, i) for i in ids}
    db = tmp_path / "registry.sqlite3"
    started = time.monotonic()
    async with await Registry.open(db) as reg:
        items = await track(reg, server, ids)
        apis = ConnectionApis(settings_for(server), max_retries=0)
        engine = BulkDelete(reg, apis)
        try:
            progress = await asyncio.wait_for(engine.run(items), RUN_BUDGET)
        finally:
            await apis.close()
        assert sorted(o.item.id for o in progress.outcomes) == sorted(ids)
        for outcome in progress.outcomes:
            fresh = await reg.get_pk(outcome.item.pk)
            assert fresh is not None
            if outcome.result in (Result.DELETED, Result.GONE):
                assert fresh.state is ItemState.DELETED and not on_server(server, fresh.id)
                assert fresh.message_count == sizes[fresh.id]  # archived whole first
            else:
                assert outcome.result is Result.FAILED, outcome
                assert fresh.state is ItemState.ACTIVE and on_server(server, fresh.id)
                assert "try again" in outcome.reason or "retry" in outcome.reason
        assert await reg.deletions.pending() == []
    took = time.monotonic() - started
    faults = fault_summary(server)
    assert sum(faults.values()) >= 10 and {"500", "429", "timeout"} <= set(faults)
    assert engine.pacer.limited_count == faults["429"]  # every 429 paused the whole run
    assert_healthy(db)
    counts = {r.value: progress.count(r) for r in Result if progress.count(r)}
    print(f"bulk: {len(ids)} items, {counts}, faults {faults}, {took:.1f} s")


async def test_stopping_during_a_long_429_wait_ends_the_run_at_once(make_server, tmp_path) -> None:
    server = make_server(**{**FAULTS, "fault_kinds": ("429",)})  # each asks to wait 300 s
    ids = small_items(server, seed_demo(server.emulator, TEST_KEY), ITEMS)
    db = tmp_path / "registry.sqlite3"
    async with await Registry.open(db) as reg:
        items = await track(reg, server, ids)
        apis = ConnectionApis(settings_for(server), max_retries=0)
        engine = BulkDelete(reg, apis)
        seen: list[Progress] = []
        task = asyncio.ensure_future(engine.run(items, on_progress=seen.append))
        try:
            deadline = time.monotonic() + RUN_BUDGET
            while engine.pacer.waiting() < 100:
                assert not task.done() and time.monotonic() < deadline
                await asyncio.sleep(0.02)
            engine.stop()
            stopped_at = time.monotonic()
            progress = await asyncio.wait_for(task, 5 * CLIENT_TIMEOUT)
            took = time.monotonic() - stopped_at
        finally:
            task.cancel()
            await apis.close()
        assert took < 3 * CLIENT_TIMEOUT
        results = {o.item.id: o.result for o in progress.outcomes}
        assert sorted(results) == sorted(ids)
        assert Result.STOPPED in results.values()
        for outcome in progress.outcomes:
            fresh = await reg.get_pk(outcome.item.pk)
            assert fresh is not None
            if outcome.result is Result.STOPPED:
                assert fresh.state is ItemState.ACTIVE and on_server(server, fresh.id)
                assert "stopped before" in outcome.reason
            else:
                assert outcome.result is Result.DELETED and fresh.state is ItemState.DELETED
        assert await reg.deletions.pending() == []
    assert_healthy(db)
    print(f"stop: {progress.count(Result.STOPPED)} not sent, stopped in {took:.2f} s")


def test_the_delete_command_reports_each_item_and_leaves_a_sound_registry(
    make_server, cli, tmp_path
) -> None:
    server = make_server(**{**FAULTS, "fault_retry_after": SHORT_WAIT})
    ids = small_items(server, seed_demo(server.emulator, TEST_KEY), ITEMS // 2)
    run = cli(server.base_url, THREAD_BROWSER_TIMEOUT=str(CLIENT_TIMEOUT))
    server.emulator.config.fault_rate = 0.0
    imported = run("import", "--no-verify", "-", input="\n".join(ids))
    assert imported.returncode == 0, imported.stderr
    server.emulator.config.fault_rate = FAULTS["fault_rate"]  # type: ignore[assignment]
    started = time.monotonic()
    done = run("delete", "--yes", "--json", *ids)
    took = time.monotonic() - started
    assert "Traceback" not in done.stdout + done.stderr
    summary = json.loads(done.stdout)
    gone = summary["deleted"] + summary["already_gone"]
    failed = {f["id"]: f["reason"] for f in summary["failed"]}
    assert sorted(gone + list(failed)) == sorted(ids)
    assert not summary["skipped"] and not summary["not_sent"]
    assert done.returncode == (1 if failed else 0)
    assert all(not on_server(server, i) for i in gone)
    assert all(on_server(server, i) for i in failed)
    listed = run("list", "--json")
    states = {row["id"]: row["state"] for row in map(json.loads, listed.stdout.splitlines())}
    assert all(states.get(i, "deleted") == "deleted" for i in gone)
    assert all(states[i] == "active" for i in failed)
    faults = fault_summary(server)
    assert sum(faults.values()) >= 5
    assert_healthy(tmp_path / "registry.sqlite3")
    print(f"delete: {len(gone)} deleted, {len(failed)} failed, faults {faults}, {took:.1f} s")
