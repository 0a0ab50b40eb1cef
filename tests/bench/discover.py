"""Discovery benchmark: listing stored completions against a rate-limited server.

Run: ``python -m tests.bench.discover [--items 100000]``. The emulator runs in its own
process holding ``--items`` stored chat completions, with a limit of 200 requests/s per
key. Discovery (the product's own: the SDK client of ``thread-browser discover``, the
verified walk, a real registry) lists them all; its rate in requests per second is
reported next to the rate the server allows. Every 429 the SDK met was waited out as the
server asked. The target (at least 0.9x of the allowed rate) is reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx2

from tests.bench import report
from tests.bench.server import emulator_process
from tui.api.client import make_client
from tui.api.listing import ListPage, list_page
from tui.model import Connection, Kind
from tui.ops.discovering import Outcome, discover
from tui.store import Registry

KEY = "bench-discover-key"
LIMIT = 200.0


async def walk(base_url: str, db: Path) -> tuple[float, int, int]:
    """Seconds to discover everything, the requests it took, and the items tracked."""
    connection = Connection(base_url)
    client = make_client(connection, KEY, max_retries=8)
    requests = 0

    async def lister(kind: Kind, after: str | None) -> ListPage:
        nonlocal requests
        requests += 1
        return await list_page(client, connection, kind, after)

    async with await Registry.open(db) as registry:
        start = time.perf_counter()
        [result] = await discover(registry, connection, lister, kinds=(Kind.COMPLETION,))
        seconds = time.perf_counter() - start
        tracked = await registry.fetchone("SELECT count(*) FROM items")
    await client.close()
    assert result.outcome is Outcome.LISTED, result.line()
    return seconds, requests, int(tracked[0])


def bare(base_url: str, pages: int) -> float:
    """Pages per second of a plain HTTP loop reading the same list (no SDK, no registry).

    The fastest any client in Python can walk a cursor here: each page waits for the one
    before it (the cursor is in its body). What the server allows is out of its reach when
    this is below the limit.
    """
    with httpx2.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as http:
        after: str | None = None
        start = time.perf_counter()
        for _ in range(pages):
            params: dict[str, str | int] = {"limit": 100, "order": "asc"}
            if after:
                params["after"] = after
            body = http.get(f"{base_url}/chat/completions", params=params).json()
            after = body["data"][-1]["id"]
            if not body["has_more"]:
                break
        return pages / (time.perf_counter() - start)


def main() -> None:
    """Run and print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    options = ("--seed-completions", str(args.items), "--demo-key", KEY)
    served = emulator_process(*options, "--rate-limit", str(LIMIT))
    with served as base_url, tempfile.TemporaryDirectory() as work:
        seconds, requests, tracked = asyncio.run(walk(base_url, Path(work) / "r.db"))
        plain = bare(base_url, min(requests - 1, 200))
    assert tracked == args.items, f"tracked {tracked} of {args.items}"
    rate = requests / seconds
    print(f"{args.items:,} stored completions: {requests:,} requests in {seconds:.1f} s")
    report.header()
    report.line(
        "discover",
        f"request rate, {args.items:,} stored completions",
        rate,
        LIMIT,
        "at least 0.9x the limit",
        rate >= 0.9 * LIMIT,
        unit="/s",
    )
    report.line("discover", "vs a plain HTTP loop on the same list", rate, plain, unit="/s")


if __name__ == "__main__":
    main()
