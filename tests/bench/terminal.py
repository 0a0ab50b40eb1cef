"""Start and quit on a real pseudo-terminal, imports included, beside a bare Textual app.

Run: ``python -m tests.bench.terminal [--items 1000000] [--runs 5]``. Each run starts a new
process on a pty (110x32) and reads its output onto a pyte screen:

- *start to first rows*: from ``exec`` until the frame holding the newest item's title
  (the app) or the bare app's text (a ``Static`` and a ``Footer``, the baseline) has
  reached the terminal: its bytes are searched as they arrive, and parsed onto the screen
  afterwards (pyte takes longer on a fuller frame; a real terminal does not);
- *quit*: from typing ``q`` (the bare app: ``ctrl+q``) until the process has exited.

Runs alternate between the two programs; min and median are printed, as ratios against
the baseline measured in the same run. Targets are reported, never asserted. The
package's modules are compiled first, as installing it compiles them (an editable
checkout run with ``PYTHONDONTWRITEBYTECODE`` would compile them on every start).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import os
import select
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import tui
from tests.bench import report
from tests.bench.app import build
from tests.bench.registry import rows
from tests.e2e.terminal import Terminal

BENCH = "terminal"
TIMEOUT = 120.0
BARE = """
from textual.app import App
from textual.widgets import Footer, Static

class Bare(App):
    def compose(self):
        yield Static("Bare app ready")
        yield Footer()

Bare().run()
"""


@dataclass(frozen=True, slots=True)
class Run:
    """One process: milliseconds to its first rows, and from the quit key to its exit."""

    start_ms: float
    quit_ms: float


def newest_title(db: Path) -> str:
    """The title the list shows first (the most recently active item)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT title FROM items ORDER BY last_activity DESC LIMIT 1").fetchone()
    return str(row[0])[:24]


def environment(db: Path) -> dict[str, str]:
    """A clean environment: the registry named, no key, a known terminal."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "PYTHONPATH")}
    return {
        **keep,
        "TERM": "xterm-256color",
        "HOME": str(db.parent),  # no config file of the user's
        "XDG_CONFIG_HOME": str(db.parent / "config"),
        "THREAD_BROWSER_DB": str(db),
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }


def arrive(term: Terminal, needle: bytes, deadline: float) -> None:
    """Read the program's output until ``needle`` has reached the terminal.

    The bytes are searched as they come: the screen emulator parses them afterwards, so
    its own speed (slower on a fuller frame) is not counted against the program.
    """
    seen = bytearray()
    while True:
        if time.perf_counter() > deadline:
            term.stream.feed(bytes(seen))
            raise AssertionError(f"{needle!r} never showed:\n{term.text()}")
        ready, _, _ = select.select([term.master], [], [], 0.002)
        if not ready:
            continue
        with contextlib.suppress(OSError):
            chunk = os.read(term.master, 65536)
            seen += chunk
            if needle in seen[-(len(chunk) + len(needle)) :]:
                break
    term.stream.feed(bytes(seen))


def timed(argv: list[str], env: dict[str, str], needle: str, quit_key: str) -> Run:
    """Start ``argv`` on a pty, wait for ``needle``, type ``quit_key``, wait for the exit."""
    start = time.perf_counter()
    term = Terminal(argv, env)
    try:
        arrive(term, needle.encode(), start + TIMEOUT)
        shown = time.perf_counter()
        term.send(quit_key)
        pressed = time.perf_counter()
        while term.proc.poll() is None:
            if time.perf_counter() > pressed + TIMEOUT:
                raise AssertionError("the program did not exit")
            ready, _, _ = select.select([term.master], [], [], 0.002)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(term.master, 65536)
        exited = time.perf_counter()
    finally:
        term.close()
    return Run((shown - start) * 1000, (exited - pressed) * 1000)


def both(db: Path, runs: int) -> tuple[list[Run], list[Run]]:
    """Alternating runs of the app on ``db`` and of the bare app."""
    compileall.compile_dir(Path(tui.__file__).parent, quiet=1)
    env = environment(db)
    ours_argv = [sys.executable, "-m", "tui"]
    bare_argv = [sys.executable, "-c", BARE]
    title = newest_title(db)
    ours: list[Run] = []
    bare: list[Run] = []
    timed(bare_argv, env, "Bare app ready", "\x11")  # warm the file cache, not counted
    timed(ours_argv, env, title, "q")
    for _ in range(runs):
        bare.append(timed(bare_argv, env, "Bare app ready", "\x11"))
        ours.append(timed(ours_argv, env, title, "q"))
    return ours, bare


def show(ours: list[Run], bare: list[Run], items: int) -> None:
    """Min and median of each figure, with its baseline and target."""
    report.header()
    for stat, pick in (("min", min), ("median", statistics.median)):
        mine = pick(r.start_ms for r in ours)
        base = pick(r.start_ms for r in bare)
        report.line(
            BENCH,
            f"start to first rows, {items:,} items ({stat})",
            mine,
            base,
            "<= 1.5x bare Textual",
            mine <= 1.5 * base,
        )
    for stat, pick in (("min", min), ("median", statistics.median)):
        mine = pick(r.quit_ms for r in ours)
        base = pick(r.quit_ms for r in bare)
        report.line(BENCH, f"q to process exit ({stat})", mine, base, "< 200 ms", mine < 200)


def main(items: int, runs: int) -> None:
    """Build the registry, then time both programs."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "registry.sqlite3"
        built = asyncio.run(build(db, rows(items)))
        print(f"{items:,} items built in {built:.1f} s; {runs} runs each on a pty")
        ours, bare = both(db, runs)
        show(ours, bare, items)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    main(args.items, max(5, args.runs))
