"""Registry benchmark: insert N items, then search and page; compare with bare SQLite.

Run: ``python -m tests.bench.registry [--items 1000000]``. Every figure is printed next to
a bare-SQLite baseline measured in the same run, as a ratio; targets are reported, never
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from tests.bench import report
from tui.model import Connection, ItemState, Kind
from tui.store import Query, Registry, sql
from tui.store.search import Cursor

CONN = Connection("http://127.0.0.1:1/v1", "org-bench", "proj-bench")
WORDS = ("refund", "invoice", "deploy", "migration", "weather", "haiku", "pricing", "onboard")
BATCH = 20_000


def rows(count: int, seed: int = 1) -> list[tuple[str, Kind, dict[str, str], int]]:
    """Deterministic items: ID, kind, metadata (title, user_id, session_id), created_at."""
    rng = random.Random(seed)
    base = 1_760_000_000
    out = []
    for n in range(count):
        kind = Kind.THREAD if n % 4 else Kind.CONVERSATION
        item_id = f"thread_{n:024d}" if kind is Kind.THREAD else f"conv_{n:048x}"
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} case {n}"
        meta = {"title": title, "user_id": f"user_{n % 5000}", "session_id": f"s{n:x}"}
        out.append((item_id, kind, meta, base + rng.randrange(90 * 86400)))
    return out


async def insert_ours(reg: Registry, data: list[tuple[str, Kind, dict[str, str], int]]) -> None:
    """Insert through the registry's schema (triggers, metadata rows, journal)."""
    for start in range(0, len(data), BATCH):
        chunk = data[start : start + BATCH]
        async with reg.writing() as db:
            cursor = await db.execute(sql.CONNECTION_UPSERT, sql.connection_params(CONN))
            await cursor.close()
            conn_id = (
                await (await db.execute(sql.CONNECTION_ID, sql.connection_params(CONN))).fetchone()
            )[0]
            params = [
                sql.item_params(i, k, conn_id, metadata=m, created_at=c, source="bench")
                for i, k, m, c in chunk
            ]
            await db.executemany(sql.ITEM_INSERT, params)
            first = (await (await db.execute(sql.ITEM_PK, (conn_id, chunk[0][0]))).fetchone())[0]
            await db.executemany(
                sql.META_INSERT,
                [
                    (first + offset, key, value)
                    for offset, (_, _, meta, _) in enumerate(chunk)
                    for key, value in meta.items()
                ],
            )
            await db.executemany(
                sql.JOURNAL_INSERT,
                [
                    (time.time(), first + offset, "imported", "bench", "")
                    for offset in range(len(chunk))
                ],
            )


def insert_bare(path: Path, data: list[tuple[str, Kind, dict[str, str], int]]) -> None:
    """The baseline: one plain table and one index, no FTS, no metadata rows, no journal."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE items (pk INTEGER PRIMARY KEY, id TEXT, kind TEXT, title TEXT, "
        "metadata TEXT, last_activity INTEGER)"
    )
    db.execute("CREATE INDEX by_activity ON items (last_activity DESC, pk DESC)")
    for start in range(0, len(data), BATCH):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO items (id, kind, title, metadata, last_activity) VALUES (?,?,?,?,?)",
            [
                (i, k.value, m["title"], json.dumps(m), c)
                for i, k, m, c in data[start : start + BATCH]
            ],
        )
        db.execute("COMMIT")
    db.close()


def timed_sync(fn: Callable[[], object], repeat: int = 15) -> float:
    """Median milliseconds of ``fn``."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def timed(fn: Callable[[], Awaitable[object]], repeat: int = 15) -> float:
    """Median milliseconds of ``fn``."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bare_queries(path: Path) -> dict[str, float]:
    db = sqlite3.connect(path)
    first = "SELECT * FROM items ORDER BY last_activity DESC, pk DESC LIMIT 200"
    filtered = (
        "SELECT * FROM items WHERE kind = 'thread' AND metadata LIKE '%\"user_42\"%' "
        "ORDER BY last_activity DESC, pk DESC LIMIT 200"
    )
    text = (
        "SELECT * FROM items WHERE title LIKE '%refund%' "
        "ORDER BY last_activity DESC, pk DESC LIMIT 200"
    )
    rare = (
        "SELECT * FROM items WHERE title LIKE '%case 4242%' "
        "ORDER BY last_activity DESC, pk DESC LIMIT 200"
    )
    figures = {
        "first page of 200": timed_sync(lambda: db.execute(first).fetchall()),
        "filtered page (kind + meta)": timed_sync(lambda: db.execute(filtered).fetchall(), 5),
        "text search page": timed_sync(lambda: db.execute(text).fetchall(), 5),
        "rare text search page": timed_sync(lambda: db.execute(rare).fetchall(), 5),
    }
    db.close()
    return figures


async def our_queries(reg: Registry) -> dict[str, float]:
    filtered = Query(kind=Kind.THREAD, meta=(("user_id", "user_42"),))
    text = Query(text="refund")
    rare = Query(text="case 4242")
    first = await reg.search.page(Query())
    deep: Cursor | None = first.next
    for _ in range(25):
        deep = (await reg.search.page(Query(), after=deep)).next
    return {
        "first page of 200": await timed(lambda: reg.search.page(Query())),
        "filtered page (kind + meta)": await timed(lambda: reg.search.page(filtered)),
        "text search page": await timed(lambda: reg.search.page(text), 5),
        "rare text search page": await timed(lambda: reg.search.page(rare), 5),
        "keyset page 26 (after 5,000)": await timed(lambda: reg.search.page(Query(), after=deep)),
        "count (kind + meta)": await timed(lambda: reg.search.count(filtered), 5),
        "deleted-only page": await timed(
            lambda: reg.search.page(Query(states=(ItemState.DELETED,))), 5
        ),
    }


async def main(count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="tb-bench-"))
    data = rows(count)
    print(f"Registry benchmark: {count:,} items (work dir {work})\n")
    start = time.perf_counter()
    insert_bare(work / "bare.sqlite3", data)
    bare_insert = time.perf_counter() - start
    async with await Registry.open(work / "ours.sqlite3") as reg:
        start = time.perf_counter()
        await insert_ours(reg, data)
        ours_insert = time.perf_counter() - start
        await reg.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        ours = await our_queries(reg)
    bare = bare_queries(work / "bare.sqlite3")
    size = os.path.getsize(work / "ours.sqlite3")
    bare_size = os.path.getsize(work / "bare.sqlite3")

    report.header(width=36)
    line = partial(report.line, "registry", width=36)
    line("insert all items", ours_insert, bare_insert, unit="s")
    for name, value in ours.items():
        target = "under 50 ms" if name == "filtered page (kind + meta)" else ""
        ok = value < 50 if target else None
        line(name, value, bare.get(name), target, ok)
    per_item = size / count
    line("bytes per item", per_item, bare_size / count, "under 1 KB", per_item < 1024, unit="B")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().items))
