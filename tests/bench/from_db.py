"""``import --from-db`` benchmark: a million rows of a real PostgreSQL server, unverified.

Run: ``python -m tests.bench.from_db [--rows 1000000] [--small 100000]``. A server is
started for the run (``tests/kit/postgres.py``) and a table of ``--rows`` thread IDs with
two metadata columns is loaded with ``COPY``. The product's own command (a fresh
``thread-browser import --from-db URL --query SQL --no-verify --json`` process, its
output to a file) imports ``--small`` rows, then all of them, into fresh registries.
Baseline, in the same run: the driver alone reading the same rows the same way (psycopg,
a server-side cursor, batches of the same size) in a fresh process. Figures: the time of
the million, against the driver's time and the target (under 60 s); the peak RSS of the
million against the peak RSS of ``--small`` rows (flat: at most 1.25x). Never asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.bench import report
from tests.kit.postgres import Postgres, running
from tui.store.sources import BATCH

QUERY = "SELECT id, user_id, plan FROM chats ORDER BY n LIMIT {rows}"
DRIVER = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn:
    conn.read_only = True
    with conn.cursor(name="plain") as cur:
        cur.execute(sys.argv[2])
        rows = 0
        while batch := cur.fetchmany(int(sys.argv[3])):
            rows += len(batch)
print(rows)
"""


def load(server: Postgres, rows: int) -> None:
    """A table of ``rows`` thread IDs, each with a user and a plan."""
    with psycopg.connect(server.socket_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE chats (n int PRIMARY KEY, id text, user_id text, plan text)")
        with conn.cursor().copy("COPY chats FROM STDIN") as copy:
            for n in range(rows):
                copy.write_row((n, f"thread_{n:024d}", f"user{n % 1000}", "pro"))
        conn.execute("VACUUM ANALYZE chats")


def measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, float]:
    """Seconds, peak RSS (MB), the tail of standard error and CPU seconds of a process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-400:]
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed ({process.returncode}): {tail}")
    return seconds, usage.ru_maxrss / 1024, tail, usage.ru_utime + usage.ru_stime


def ours(server: Postgres, rows: int, work: Path) -> tuple[float, float, str, float]:
    """The product's command over ``rows`` rows, into a fresh registry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREAD_"))}
    env.update(
        THREAD_BROWSER_DB=str(work / f"registry-{rows}.db"),
        XDG_CONFIG_HOME=str(work / "config"),
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        OPENAI_API_KEY="bench-key-not-used",
    )
    query = QUERY.format(rows=rows)
    argv = [sys.executable, "-m", "tui", "import", "--from-db", server.url()]
    return measured([*argv, "--query", query, "--no-verify", "--json"], env)


def driver(server: Postgres, rows: int) -> tuple[float, float, float]:
    """The driver alone reading the same rows, the same way: seconds, peak RSS, CPU."""
    query = QUERY.format(rows=rows)
    argv = [sys.executable, "-c", DRIVER, server.url(), query, str(BATCH)]
    seconds, rss, _, cpu = measured(argv)
    return seconds, rss, cpu


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    args = parser.parse_args()
    with running() as server, tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        load(server, args.rows)
        print(f"loaded {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        base_s, base_rss, base_cpu = driver(server, args.rows)
        small_s, small_rss, _, _ = ours(server, args.small, Path(work))
        big_s, big_rss, said, big_cpu = ours(server, args.rows, Path(work))
    print(said.strip().splitlines()[-1])
    report.header()
    report.line("from_db", f"driver alone, {args.rows:,} rows", base_s, unit="s")
    report.line("from_db", f"import, {args.small:,} rows", small_s, base_s, unit="s")
    report.line(
        "from_db",
        f"import, {args.rows:,} rows",
        big_s,
        base_s,
        "under 60 s",
        big_s < 60,
        unit="s",
    )
    # CPU time says what the wall time would be on an idle machine (the server apart)
    report.line("from_db", f"import CPU time, {args.rows:,} rows", big_cpu, base_cpu, unit="s")
    report.line("from_db", f"driver alone peak RSS, {args.rows:,} rows", base_rss, unit="MB")
    report.line(
        "from_db",
        f"import peak RSS, {args.rows:,} vs {args.small:,}",
        big_rss,
        small_rss,
        "flat: at most 1.25x",
        big_rss <= 1.25 * small_rss,
        unit="MB",
    )


if __name__ == "__main__":
    main()
