"""Bulk deletion benchmark: our engine next to the naive loop, against a rate-limited server.

Run: ``python -m tests.bench.bulk [--items 10000]``. The emulator runs in its own process
with 50 ms of latency and a limit of 200 requests/s per key, holding ``--items`` empty
threads plus the naive loop's share. Both are measured in the same run; the naive loop
(``for id in ids: client.beta.threads.delete(id)``, the SDK's own retries on) runs over
``--naive`` items, since at one request per round trip 10,000 of them would take minutes.
Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import warnings
from pathlib import Path

import openai
from openai import AsyncOpenAI, OpenAI

from tests.bench import report
from tests.bench.server import emulator_process
from tui.commands.context import ConnectionApis
from tui.config import Profile, Settings
from tui.emulator import Emulator, EmulatorConfig
from tui.emulator.demo import seed_threads
from tui.model import Connection, ItemState, Kind
from tui.ops.deleting import BulkDelete, Result
from tui.store import Query, Registry

warnings.filterwarnings("ignore", category=DeprecationWarning)

KEY = "bench-bulk-key"
KEY_ENV = "THREAD_BROWSER_BENCH_BULK_KEY"
LATENCY_MS = 50
LIMIT = 200
SAMPLE = 300  # IDs checked on the server afterwards


async def ours(db: Path, base_url: str, ids: list[str], archive: bool) -> tuple[float, int, int]:
    """Seconds to delete ``ids`` with the engine, its 429 count, and items not deleted."""
    connection = Connection(base_url)
    settings = Settings({"bench": Profile("bench", connection, key_env=KEY_ENV)}, "bench")
    async with await Registry.open(db) as registry:
        await registry.track_many([(i, Kind.THREAD) for i in ids], connection, source="bench")
        items = []
        cursor = None
        while True:
            page = await registry.search.page(Query(), after=cursor, limit=1000)
            items += page.items
            if (cursor := page.next) is None:
                break
        apis = ConnectionApis(settings, max_retries=0)
        engine = BulkDelete(registry, apis, archive=archive, source="bench")
        start = time.perf_counter()
        progress = await engine.run(items)
        seconds = time.perf_counter() - start
        await apis.close()
        done = progress.count(Result.DELETED, Result.GONE)
        states = await registry.fetchall("SELECT state, count(*) FROM items GROUP BY state")
        assert dict(states) == {ItemState.DELETED.value: len(ids)}, dict(states)
        assert await registry.deletions.pending() == []
        return seconds, engine.pacer.limited_count, len(ids) - done


def naive(base_url: str, ids: list[str]) -> float:
    """Seconds for the plain SDK loop over ``ids``."""
    client = OpenAI(api_key=KEY, base_url=base_url)
    start = time.perf_counter()
    for item_id in ids:
        client.beta.threads.delete(item_id)
    seconds = time.perf_counter() - start
    client.close()
    return seconds


async def still_there(base_url: str, ids: list[str]) -> int:
    """How many of ``ids`` the server still has."""
    client = AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=8)
    found = 0
    for item_id in ids:
        try:
            await client.beta.threads.retrieve(item_id)
            found += 1
        except openai.NotFoundError:
            pass
    await client.close()
    return found


def line(
    name: str, value: float, base: float | None, target: str = "", ok: bool | None = None
) -> None:
    """One figure of this benchmark: a rate (per second) when its name says "rate"."""
    unit = "/s" if "rate" in name else ""
    report.line("bulk", name, value, base, target, ok, unit=unit)


async def main(count: int, naive_count: int, archived: int) -> None:
    os.environ[KEY_ENV] = KEY
    total = count + naive_count + archived
    ids = seed_threads(Emulator(EmulatorConfig()), KEY, total)  # same seed, same IDs
    mine, theirs, kept = ids[:count], ids[count : count + naive_count], ids[count + naive_count :]
    work = Path(tempfile.mkdtemp(prefix="tb-bench-bulk-"))
    options = ("--seed-threads", str(total), "--demo-key", KEY)
    options += ("--latency-ms", str(LATENCY_MS), "--rate-limit", str(LIMIT))
    print(
        f"Bulk deletion benchmark: {count:,} threads, server {LATENCY_MS} ms away, "
        f"limit {LIMIT} req/s\n"
    )
    with emulator_process(*options) as base_url:
        naive_s = naive(base_url, theirs)
        await asyncio.sleep(1.5)  # a full bucket again
        ours_s, limited, lost = await ours(work / "plain.sqlite3", base_url, mine, False)
        await asyncio.sleep(1.5)
        archived_s, _, _ = await ours(work / "archived.sqlite3", base_url, kept, True)
        sample = random.Random(1).sample(mine, min(SAMPLE, len(mine)))
        left = await still_there(base_url, sample)

    ours_rate = count / ours_s
    naive_rate = naive_count / naive_s
    report.header()
    line("deletion rate vs the naive loop", ours_rate, naive_rate)
    line(
        "deletion rate vs the server's limit",
        ours_rate,
        LIMIT,
        "at least 0.9x the limit",
        ours_rate >= 0.9 * LIMIT,
    )
    line("  429 answers received", limited, None)
    line("  items lost or left unknown", lost + left, None, "zero", lost + left == 0)
    line(
        f"archive first ({archived:,} items), request rate",
        2 * archived / archived_s,
        LIMIT,
    )
    print(
        f"\nnaive loop over {naive_count:,} other threads of the same server (SDK retries on); "
        f"ours over {count:,}.\n{SAMPLE} deleted IDs checked on the server afterwards: "
        f"{left} still there. One run of each (a run lasts about a minute)."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=400)
    parser.add_argument("--archived", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.items, args.naive, args.archived))
