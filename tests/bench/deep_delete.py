"""Deep-delete benchmark: 1,000 conversations, each with 10 items and 5 known responses.

Run: ``python -m tests.bench.deep_delete [--conversations 1000] [--kills 5]``. The emulator
runs in its own process, 50 ms away (``--latency-ms``) with a limit of 200 requests/s per
key; it keeps a conversation's responses when the conversation is deleted, as the real API
does. Three runs, each against its own emulator seeded alike:

- ours: the product's engine (``BulkDelete``: archive first, deep, verified), its rate in
  requests/s served (429s not counted), against the limit (target: at least 0.9x);
- the naive loop: ``DELETE /conversations/{id}`` for each, 16 at a time, and what it leaves
  readable (the responses);
- killed: ``thread-browser delete`` in a child process, killed (SIGKILL) at ``--kills``
  random moments and resumed with ``--resume`` each time; then nothing may be unknown: no
  object left recorded, every conversation deleted, every response gone on the server.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import openai

from tests.bench import report
from tests.bench.server import emulator_process
from tui.api.client import make_client
from tui.commands.context import ConnectionApis
from tui.config import Profile, Settings
from tui.emulator import Emulator, EmulatorConfig
from tui.emulator.demo import seed_conversations
from tui.model import Connection, Kind, ObjectState
from tui.ops.deleting import BulkDelete, Result
from tui.store import Registry

KEY = "bench-deep-key"
KEY_ENV = "TB_BENCH_DEEP_KEY"
LIMIT = 200.0
LATENCY_MS = 50
NAIVE_AT_ONCE = 16


class Counted(ConnectionApis):
    """The product's adapters, with every request their clients had served counted.

    A request the server refused with a 429 (and the client sent again) is not counted:
    the rate is of the work the server allowed.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, max_retries=0)  # as the CLI: 429s go to the pacer
        self.requests = 0

    def on(self, connection: Connection, kind: Kind) -> Any:
        """The adapter, its client hooked once."""
        found = super().on(connection, kind)
        for client in self._clients.values():
            hooks = client._client.event_hooks["response"]  # the SDK's httpx client
            if self._count not in hooks:
                hooks.append(self._count)
        return found

    async def _count(self, response: httpx2.Response) -> None:
        self.requests += response.status_code != 429


async def prepare(db: Path, base_url: str, made: dict[str, list[str]]) -> None:
    """A registry tracking the conversations, with the responses known to each."""
    connection = Connection(base_url)
    async with await Registry.open(db) as registry:
        await registry.track_many([(c, Kind.CONVERSATION) for c in made], connection, source="b")
        for conv, responses in made.items():
            for response in responses:
                await registry.responses.wrote_into(connection, conv, response, source="b")


async def ours(base_url: str, db: Path) -> tuple[float, int, dict[str, int]]:
    """Seconds, requests and object counts of the product's deep delete."""
    settings = Settings({"b": Profile("b", Connection(base_url), key_env=KEY_ENV)}, "b")
    apis = Counted(settings)
    async with await Registry.open(db) as registry:
        rows = await registry.fetchall("SELECT pk FROM items ORDER BY pk")
        items = await registry.get_many([int(r[0]) for r in rows])
        engine = BulkDelete(registry, apis)
        start = time.perf_counter()
        progress = await engine.run(items)
        seconds = time.perf_counter() - start
    await apis.close()
    counts = {
        "items deleted": progress.count(Result.DELETED),
        "objects": progress.objects(),
        "verified": progress.objects(ObjectState.VERIFIED),
        "unverified": progress.objects() - progress.objects(ObjectState.VERIFIED),
    }
    return seconds, apis.requests, counts


async def naive(base_url: str, made: dict[str, list[str]]) -> tuple[float, int]:
    """Seconds of deleting only the conversations; how many responses stay readable."""
    client = make_client(Connection(base_url), KEY, max_retries=100)  # 429s: as told
    gate = asyncio.Semaphore(NAIVE_AT_ONCE)

    async def one(conv: str) -> None:
        async with gate:
            await client.conversations.delete(conv)

    start = time.perf_counter()
    await asyncio.gather(*(one(c) for c in made))
    seconds = time.perf_counter() - start
    left = await readable(client, [r for rs in made.values() for r in rs])
    await client.close()
    return seconds, left


async def readable(client: openai.AsyncOpenAI, responses: list[str]) -> int:
    """How many of ``responses`` the server still gives."""
    gate = asyncio.Semaphore(NAIVE_AT_ONCE)

    async def one(response: str) -> int:
        async with gate:
            try:
                await client.responses.retrieve(response)
            except openai.NotFoundError:
                return 0
            return 1

    return sum(await asyncio.gather(*(one(r) for r in responses)))


def killed(base_url: str, db: Path, made: dict[str, list[str]], kills: int) -> dict[str, int]:
    """The CLI killed at ``kills`` random moments, resumed each time; what is left unknown."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREAD_"))}
    env.update(
        THREAD_BROWSER_DB=str(db),
        XDG_CONFIG_HOME=str(db.parent / "config"),
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY=KEY,
    )
    command = [sys.executable, "-m", "tui", "delete", "--yes", "--json"]
    chance = random.Random(19)
    first = [*command, *made]
    for attempt in range(kills + 1):
        process = subprocess.Popen(
            first if attempt == 0 else [*command, "--resume"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if attempt < kills:
            try:
                process.wait(timeout=chance.uniform(3, 25))
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
        process.wait()
    with sqlite3.connect(db) as conn:
        left = conn.execute("SELECT count(*) FROM deletion_objects").fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM deletions").fetchone()[0]
        standing = conn.execute(
            "SELECT count(*) FROM items WHERE kind = 'conversation' AND state != 'deleted'"
        ).fetchone()[0]
    client = make_client(Connection(base_url), KEY, max_retries=100)
    still = asyncio.run(_readable_then_close(client, [r for rs in made.values() for r in rs]))
    return {
        "objects left recorded": left,
        "deletions pending": pending,
        "conversations not deleted": standing,
        "responses still readable": still,
    }


async def _readable_then_close(client: openai.AsyncOpenAI, responses: list[str]) -> int:
    try:
        return await readable(client, responses)
    finally:
        await client.close()


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args()
    os.environ[KEY_ENV] = KEY
    made = seed_conversations(Emulator(EmulatorConfig()), KEY, args.conversations)
    options = (
        *("--seed-conversations", str(args.conversations), "--demo-key", KEY),
        *("--latency-ms", str(LATENCY_MS), "--rate-limit", str(LIMIT)),
    )
    with tempfile.TemporaryDirectory() as work:
        with emulator_process(*options) as base_url:
            db = Path(work) / "ours.db"
            asyncio.run(prepare(db, base_url, made))
            seconds, requests, counts = asyncio.run(ours(base_url, db))
            print(f"ours: {requests:,} requests in {seconds:.1f} s; {counts}", flush=True)
        with emulator_process(*options) as base_url:
            naive_s, left = asyncio.run(naive(base_url, made))
        with emulator_process(*options) as base_url:
            db = Path(work) / "killed.db"
            asyncio.run(prepare(db, base_url, made))
            unknown = killed(base_url, db, made, args.kills)
    rate = requests / seconds
    responses = sum(len(r) for r in made.values())
    print(
        f"{args.conversations:,} conversations: {requests:,} requests in {seconds:.1f} s; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    print("after the kills and resumes: " + ", ".join(f"{k} {v:,}" for k, v in unknown.items()))
    report.header()
    report.line(
        "deep_delete",
        "request rate, deep and verified",
        rate,
        LIMIT,
        "at least 0.9x the limit",
        rate >= 0.9 * LIMIT,
        unit="/s",
    )
    report.line("deep_delete", "objects left unverified", counts["unverified"], unit="count")
    report.line("deep_delete", "time, deep and verified", seconds, naive_s, unit="s")
    report.line("deep_delete", "naive loop: responses left readable", left, responses, unit="count")
    report.line(
        "deep_delete",
        f"objects unknown after {args.kills} kills",
        sum(unknown.values()),
        None,
        "zero",
        sum(unknown.values()) == 0,
        unit="count",
    )


if __name__ == "__main__":
    main()
