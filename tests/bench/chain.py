"""Response-chain benchmark: the first screen of a long chain, with the server 50 ms away.

Run: ``python -m tests.bench.chain [--responses 2000]``. The emulator runs in its own
process holding one chain of ``--responses`` responses, each request answered after 50 ms.
The baseline is what any client must ask for the newest part of a chain: one
``responses.retrieve`` and one ``input_items.list`` of its newest response, one after the
other, with the SDK. Ours is the product's own road to the first screen: the history
reader the message pane uses (registry and adapter), from opening the item to its newest
page in hand. Each is measured five times after one warm-up; the medians are reported, and
the target (within 2x of the baseline) is never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from openai import AsyncOpenAI

from tests.bench import report
from tests.bench.server import emulator_process
from tui.api import adapter_for
from tui.api.client import make_client
from tui.emulator import Emulator, EmulatorConfig
from tui.emulator.demo import seed_chain
from tui.model import Connection, Kind
from tui.ops.history import open_history
from tui.store import Registry

KEY = "bench-chain-key"
LATENCY_MS = 50
ROUNDS = 5


async def baseline(base_url: str, head: str) -> float:
    """Seconds for one retrieve and one input-items page of the newest response."""
    async with AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0) as client:
        times = []
        for _ in range(ROUNDS + 1):
            start = time.perf_counter()
            await client.responses.retrieve(head)
            await client.responses.input_items.list(head, order="desc", limit=100)
            times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


async def first_screen(base_url: str, head: str, db: Path) -> tuple[float, int]:
    """Seconds from opening the chain to its newest page; the entries it holds."""
    connection = Connection(base_url)
    async with await Registry.open(db) as registry:
        item, _ = await registry.track(head, Kind.RESPONSE, connection, source="bench")
        async with make_client(connection, KEY, max_retries=0) as client:
            api = adapter_for(Kind.RESPONSE, client, connection)
            times, shown = [], 0
            for _ in range(ROUNDS + 1):
                start = time.perf_counter()
                reader = open_history(registry, item, api, "")
                newest = await reader.newest()
                times.append(time.perf_counter() - start)
                reader.close()
                assert newest.error is None, newest.error
                shown = len(newest.turns or [])
    return statistics.median(times[1:]), shown


def main() -> None:
    """Run and print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=2000)
    args = parser.parse_args()
    head = seed_chain(Emulator(EmulatorConfig()), KEY, args.responses)  # same seed, same IDs
    options = ("--seed-chain", str(args.responses), "--demo-key", KEY)
    served = emulator_process(*options, "--latency-ms", str(LATENCY_MS))
    with served as base_url, tempfile.TemporaryDirectory() as work:
        base = asyncio.run(baseline(base_url, head))
        ours, shown = asyncio.run(first_screen(base_url, head, Path(work) / "r.db"))
    print(f"a chain of {args.responses:,} responses; the first screen holds {shown} entries")
    report.header()
    report.line(
        "chain",
        f"first screen of a {args.responses:,}-response chain",
        ours * 1000,
        base * 1000,
        "at most 2x the baseline",
        ours <= 2 * base,
    )


if __name__ == "__main__":
    main()
