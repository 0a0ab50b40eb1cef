"""Start-up benchmark: the CLI as a user runs it, imports included, against two baselines.

Run: ``python -m tests.bench.startup [--items 1000000] [--messages 1000000] [--runs 5]``.
Each command runs as its own process (after one unmeasured warm-up), at least five times;
the minimum and the median of the wall times are printed next to a baseline measured in
the same run, as ratios; targets are reported, never asserted:

- ``thread-browser --version`` and ``--help`` against ``python -c "import click"``
  (within 1.5x);
- ``thread-browser list --limit 10`` on a registry of N items against ``llm logs -n 10``
  on an llm logs database of N responses (faster). ``llm`` must be installed in this
  environment (``pip install llm``);
- ``thread-browser list --search WORD --limit 10`` on a registry of N archived messages
  against ``llm logs -q WORD -n 10`` on an llm logs database holding the same N texts as
  N/2 prompts and their responses (faster or equal). WORD is in most of the texts.

Both databases are built here with ``executemany``: the registry through its own schema
(as ``tests.bench.registry`` does), the logs database through llm's own migrations, then
its ``responses`` and ``conversations`` tables (which ``llm logs`` reads; its full-text
index is filled by llm's own triggers). For the search figure, each llm conversation of
:data:`PER_CONVERSATION` responses is one tracked conversation in the registry whose archive
holds their prompts and responses as messages, in order (its full-text index is filled by
the registry's own triggers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

import aiosqlite

from tests.bench import report
from tests.bench.registry import CONN, WORDS, insert_ours, rows
from tui.model import Kind, Part, Turn
from tui.store import Registry, archive, sql

BENCH = "startup"
WIDTH = 40
BATCH = 20_000
PER_CONVERSATION = 4  # llm responses per conversation
BIN = Path(sys.executable).parent
TIMEOUT = 300.0
WORD = WORDS[0]  # in about 96% of the responses and a quarter of the prompts


# the databases


def build_registry(path: Path, count: int) -> float:
    """A registry of ``count`` items; seconds it took."""

    async def fill() -> None:
        async with await Registry.open(path) as reg:
            await insert_ours(reg, rows(count))
            await reg.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    start = time.perf_counter()
    asyncio.run(fill())
    return time.perf_counter() - start


def llm_rows(count: int, seed: int = 1) -> Iterator[tuple[object, ...]]:
    """Deterministic logged responses: a prompt, a reply and usage, oldest first."""
    rng = random.Random(seed)
    base = 1_760_000_000
    for n in range(count):
        prompt = f"{rng.choice(WORDS)} {rng.choice(WORDS)} case {n}"
        reply = " ".join(rng.choice(WORDS) for _ in range(24))
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + n * 7))
        yield (
            f"01K{n:023d}",  # ids sort by time, as llm's ULIDs do
            "gpt-4o-mini",
            prompt,
            None,
            json.dumps({"messages": [{"role": "user", "content": prompt}]}),
            "{}",
            reply,
            json.dumps({"id": f"chatcmpl-{n}", "object": "chat.completion"}),
            f"01C{n // PER_CONVERSATION:023d}",
            800 + n % 500,
            f"{when}.000000+00:00",
            len(prompt.split()),
            24,
            None,
            None,
            "gpt-4o-mini-2024-07-18",
            None,
        )


RESPONSE_INSERT = (
    "INSERT INTO responses (id, model, prompt, system, prompt_json, options_json, response, "
    "response_json, conversation_id, duration_ms, datetime_utc, input_tokens, output_tokens, "
    "token_details, schema_id, resolved_model, reasoning) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def build_llm_logs(path: Path, count: int) -> float:
    """An llm logs database of ``count`` responses (llm's own schema); seconds it took."""
    import sqlite_utils
    from llm.migrations import migrate

    start = time.perf_counter()
    db = sqlite_utils.Database(path)
    migrate(db)
    conn = db.conn
    conversations = (count + PER_CONVERSATION - 1) // PER_CONVERSATION
    with conn:
        conn.executemany(
            "INSERT INTO conversations (id, name, model) VALUES (?, ?, ?)",
            ((f"01C{n:023d}", f"case {n}", "gpt-4o-mini") for n in range(conversations)),
        )
    data = llm_rows(count)
    while batch := [row for _, row in zip(range(BATCH), data, strict=False)]:
        with conn:
            conn.executemany(RESPONSE_INSERT, batch)
    conn.close()
    return time.perf_counter() - start


def archived(responses: Sequence[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """The messages of one conversation's ``llm_rows``: each prompt, then its response.

    Rows of :data:`archive.UPSERT` without their item (``id, seq, role, created_at, body,
    data, shown_version``).
    """
    out: list[tuple[object, ...]] = []
    for row in responses:
        rid, prompt, reply, stamp = str(row[0]), str(row[2]), str(row[6]), str(row[10])
        when = datetime.fromisoformat(stamp)
        for role, body in (("user", prompt), ("assistant", reply)):
            turn = Turn(f"msg_{rid}_{role}", role, created_at=when, parts=(Part("text", body),))
            stamp_s = int(when.timestamp())
            out.append((turn.id, len(out), role, stamp_s, body, archive.encode(turn), None))
    return out


def conversations(responses: int) -> Iterator[list[tuple[object, ...]]]:
    """``llm_rows(responses)`` grouped by conversation, oldest first."""
    group: list[tuple[object, ...]] = []
    for row in llm_rows(responses):
        if group and group[0][8] != row[8]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


async def insert_archive(reg: Registry, responses: int) -> None:
    """One conversation per llm conversation, its messages archived (executemany)."""
    data = conversations(responses)
    per_batch = max(1, BATCH // (2 * PER_CONVERSATION))
    while chunk := [group for _, group in zip(range(per_batch), data, strict=False)]:
        async with reg.writing() as db:
            await (await db.execute(sql.CONNECTION_UPSERT, sql.connection_params(CONN))).close()
            conn_id = await _first_column(db, sql.CONNECTION_ID, sql.connection_params(CONN))
            items = [_item(group, conn_id) for group in chunk]
            await db.executemany(sql.ITEM_INSERT, items)
            first = await _first_column(db, sql.ITEM_PK, (conn_id, items[0]["id"]))
            messages = [archived(group) for group in chunk]
            await db.executemany(
                archive.UPSERT,
                [(first + n, *m) for n, rows_ in enumerate(messages) for m in rows_],
            )
            await db.executemany(
                "UPDATE items SET message_count = ?, history_complete = 1 WHERE pk = ?",
                [(len(rows_), first + n) for n, rows_ in enumerate(messages)],
            )


async def _first_column(db: aiosqlite.Connection, query: str, params: Sequence[object]) -> int:
    """The integer in the first column of the first row of ``query`` (which has one)."""
    row = await (await db.execute(query, params)).fetchone()
    assert row is not None, query
    return int(row[0])


def _item(group: Sequence[tuple[object, ...]], conn_id: int) -> dict[str, object]:
    """:data:`sql.ITEM_INSERT` parameters of one conversation (titled by its first prompt)."""
    first, last = (datetime.fromisoformat(str(group[i][10])).timestamp() for i in (0, -1))
    params = sql.item_params(
        f"conv_{str(group[0][8]).lower()}",
        Kind.CONVERSATION,
        conn_id,
        metadata={},
        created_at=int(first),
        source="bench",
        first_user_text=str(group[0][2]),
    )
    return {**params, "last_activity": int(last)}


def build_archive(path: Path, messages: int) -> float:
    """A registry whose archive holds ``messages`` messages (the llm texts); seconds it took."""

    async def fill() -> None:
        async with await Registry.open(path) as reg:
            await insert_archive(reg, messages // 2)
            await reg.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    start = time.perf_counter()
    asyncio.run(fill())
    return time.perf_counter() - start


# the measurements


def clean_env(work: Path) -> dict[str, str]:
    """This environment without keys or settings of either tool; config dirs in ``work``."""
    prefixes = ("OPENAI_", "THREAD_BROWSER", "LLM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["XDG_CONFIG_HOME"] = str(work / "config")
    env["XDG_DATA_HOME"] = str(work / "data")
    env["LLM_USER_PATH"] = str(work / "llm")
    env["THREAD_BROWSER_DB"] = str(work / "registry.sqlite3")
    return env


def command(name: str) -> list[str]:
    """The console script ``name`` of this environment."""
    found = BIN / name
    if not found.exists():
        raise SystemExit(f"{found} is missing: install it in this environment (pip install).")
    return [str(found)]


def check(argv: Sequence[str], env: dict[str, str], expect: str) -> None:
    """Run ``argv`` once (a warm-up): it must succeed and print ``expect``."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0 or expect not in done.stdout:
        raise SystemExit(
            f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:] or done.stdout}"
        )


def wall_times(argv: Sequence[str], env: dict[str, str], runs: int) -> list[float]:
    """Milliseconds of each of ``runs`` runs of ``argv``, output discarded.

    No timeout here (the warm-up has one): with a timeout, ``subprocess`` polls for the
    exit in sleeps of up to 50 ms, which would add to every figure.
    """
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def compare(
    name: str, ours: list[float], base: list[float], target: str, met: Callable[[float], bool]
) -> None:
    """Two rows: the minimum (``met`` judges its ratio to the baseline's) and the median."""
    line = partial(report.line, BENCH, width=WIDTH)
    low, base_low = min(ours), min(base)
    line(f"{name}, min", low, base_low, target, met(low / base_low))
    line(f"{name}, median", statistics.median(ours), statistics.median(base))


def within(limit: float) -> Callable[[float], bool]:
    """A ratio at most ``limit``."""
    return lambda ratio: ratio <= limit


def faster(ratio: float) -> bool:
    """Less time than the baseline."""
    return ratio < 1.0


def search_figure(work: Path, env: dict[str, str], messages: int, runs: int) -> None:
    """``list --search WORD`` against ``llm logs -q WORD`` on the same ``messages`` texts."""
    registry, logs = work / "archive.sqlite3", work / "search-logs.db"
    ours_build = build_archive(registry, messages)
    llm_build = build_llm_logs(logs, messages // 2)
    print(
        f"search for {WORD!r} in {messages:,} archived messages: built the archive in "
        f"{ours_build:.1f} s, the llm logs in {llm_build:.1f} s"
    )
    env = {**env, "THREAD_BROWSER_DB": str(registry)}
    search = [*command("thread-browser"), "list", "--search", WORD, "--limit", "10"]
    llm = [*command("llm"), "logs", "-q", WORD, "-n", "10", "-d", str(logs)]
    check(search, env, "case ")
    check(llm, env, WORD)
    ours, theirs = wall_times(search, env, runs), wall_times(llm, env, runs)
    compare("list --search vs llm logs -q", ours, theirs, "faster or equal", within(1.0))


def main(count: int, messages: int, runs: int) -> None:
    """Build the databases, then time each command against its baseline."""
    work = Path(tempfile.mkdtemp(prefix="tb-bench-startup-"))
    env = clean_env(work)
    print(
        f"Start-up benchmark: {count:,} items, {messages:,} archived messages, "
        f"{runs} runs each (work dir {work})"
    )
    ours_build = build_registry(work / "registry.sqlite3", count)
    llm_build = build_llm_logs(work / "logs.db", count)
    print(f"built the registry in {ours_build:.1f} s, the llm logs in {llm_build:.1f} s\n")

    tb = command("thread-browser")
    llm = [*command("llm"), "logs", "-n", "10", "-d", str(work / "logs.db")]
    click = [sys.executable, "-c", "import click"]
    listing = [*tb, "list", "--limit", "10"]
    check(click, env, "")
    check([*tb, "--version"], env, "thread-browser")
    check([*tb, "--help"], env, "Commands:")
    check(listing, env, "case ")
    check(llm, env, f"case {count - 1}")

    base = wall_times(click, env, runs)
    report.header(width=WIDTH)
    for flag in ("--version", "--help"):
        ours = wall_times([*tb, flag], env, runs)
        compare(f"{flag} vs import click", ours, base, "within 1.5x", within(1.5))
    ours, theirs = wall_times(listing, env, runs), wall_times(llm, env, runs)
    compare("list --limit 10 vs llm logs -n 10", ours, theirs, "faster", faster)
    search_figure(work, env, messages, runs)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--messages", type=int, default=1_000_000, help="Archived messages for the search figure."
    )
    parser.add_argument("--runs", type=int, default=5, help="Runs of each command (at least 5).")
    options = parser.parse_args()
    main(options.items, options.messages, max(5, options.runs))
