"""Chat benchmark: a 2,000-delta reply streamed into the real app, next to a bare stream.

Run: ``python -m tests.bench.chat [--deltas 2000] [--delay-ms 2]``. The real app sends a
message to a conversation and a thread on the emulator (loopback), which answers with a
Markdown reply of exactly ``--deltas`` stream tokens, one every ``--delay-ms``. Measured:

- the latency of the last delta: from the moment the app received it to the first frame
  composited after the Markdown widget took it in (target: under 100 ms);
- CPU per delta (this process's time over the stream / deltas; the emulator runs in its
  own process), next to the baseline measured in
  the same run: a bare Textual app with one ``Markdown`` widget fed the same tokens at the
  same pace through ``Markdown.get_stream()``.

Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai import OpenAI
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from tests.bench import report
from tests.bench.app import PROBE, until
from tests.bench.server import start_emulator
from tui.app.launch import make_app
from tui.app.widgets.live_reply import LiveReply
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.run_status import RunStatusLine
from tui.config import Profile, Settings
from tui.emulator.replies import long_reply, tokens
from tui.model import Connection, Kind
from tui.store import Registry

SIZE = (120, 40)
KEY = "bench-chat-key"
KEY_ENV = "THREAD_BROWSER_BENCH_CHAT_KEY"

warnings.filterwarnings("ignore", category=DeprecationWarning)


@dataclass
class Streamed:
    """One reply streamed into an app."""

    deltas: int
    cpu_per_delta_us: float
    last_delta_ms: float  # the last delta's arrival to the frame after the widget took it


class MarkdownProbe:
    """When the Markdown widget of the reply last took in text (patched on the class)."""

    def __init__(self) -> None:
        self.appended: list[float] = []
        self._original = Markdown.append

    def __enter__(self) -> MarkdownProbe:
        original = self._original
        appended = self.appended

        def append(widget: Markdown, markdown: str) -> Any:
            result = original(widget, markdown)

            async def timed() -> None:
                await result
                appended.append(time.perf_counter())

            return timed()

        Markdown.append = append  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Markdown.append = self._original  # type: ignore[method-assign]


# the baseline


class BareMarkdown(App[None]):
    """One Markdown widget in a scroll anchored to its end (the reply stays in view)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown("")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).anchor()


async def bare(pieces: list[str], delay: float) -> Streamed:
    """Feed ``pieces`` to a bare Markdown through get_stream at the emulator's pace."""
    app = BareMarkdown()
    PROBE.attach(app)
    with MarkdownProbe() as probe:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            stream = Markdown.get_stream(app.query_one(Markdown))
            cpu = time.process_time()
            last = 0.0
            for piece in pieces:
                await asyncio.sleep(delay)
                last = time.perf_counter()
                await stream.write(piece)
            await until(lambda: probe.appended and probe.appended[-1] >= last, "the last piece")
            taken = probe.appended[-1]
            end = await until(lambda: PROBE.frame_after(taken), "its frame")
            used = time.process_time() - cpu
            await stream.stop()
    return Streamed(len(pieces), used / len(pieces) * 1e6, (end - last) * 1000)


# the app


async def tracked(db: Path, base_url: str, kind: Kind) -> str:
    """Create an item (and an assistant for a thread) and track it with its choice."""
    sdk = OpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    if kind is Kind.THREAD:
        item_id = sdk.beta.threads.create().id
        choice = sdk.beta.assistants.create(model="gpt-4.1", name="bench").id
    else:
        item_id = sdk.conversations.create().id
        choice = "gpt-4.1"
    sdk.close()
    async with await Registry.open(db) as reg:
        item, _ = await reg.track(item_id, kind, Connection(base_url), source="bench")
        await reg.set_choice(item, choice, source="bench")
    return item_id


async def ours(db: Path, base_url: str, deltas: int) -> Streamed:
    """Send ``#long N`` from the real app's composer and follow the reply."""
    profile = Profile("bench", Connection(base_url), key_env=KEY_ENV)
    app = make_app(str(db), Settings({"bench": profile}, "bench"), profile)
    PROBE.attach(app)
    arrivals: list[float] = []
    original = LiveReply.write

    async def write(self: LiveReply, delta: str) -> None:
        arrivals.append(time.perf_counter())
        await original(self, delta)

    LiveReply.write = write  # type: ignore[method-assign]
    try:
        with MarkdownProbe() as probe:
            async with app.run_test(size=SIZE) as pilot:
                await until(lambda: app.main.opened is not None, "the item to open")
                await until(lambda: not app.query_one(MessagePane)._mounting, "the pane")
                await pilot.pause()
                await pilot.press("c")
                app.query_one("#composer").insert(f"Write at length. #long {deltas}")
                cpu = time.process_time()
                await pilot.press("ctrl+s")
                await until(lambda: len(arrivals) >= deltas, "every delta", timeout=300)
                last = arrivals[-1]
                await until(lambda: probe.appended and probe.appended[-1] >= last, "the last")
                taken = probe.appended[-1]
                end = await until(lambda: PROBE.frame_after(taken), "its frame")
                used = time.process_time() - cpu
                await until(lambda: not app.query_one(RunStatusLine).active, "the run's end")
                await until(lambda: not app.main.chat._runs, "the archive")
    finally:
        LiveReply.write = original  # type: ignore[method-assign]
    return Streamed(len(arrivals), used / len(arrivals) * 1e6, (end - last) * 1000)


def line(name: str, ours_value: float, base: float | None, target: str = "", ok: Any = None):
    """One figure of this benchmark (its unit in parentheses at the end of the name)."""
    unit = "ms"
    if name.endswith(")"):
        name, _, unit = name[:-1].rpartition(" (")
    report.line("chat", name, ours_value, base, target, ok, unit=unit, width=44, target_width=18)


async def main(deltas: int, delay_ms: float, runs: int) -> None:
    os.environ[KEY_ENV] = KEY
    work = Path(tempfile.mkdtemp(prefix="tb-bench-chat-"))
    emulator, base_url = start_emulator("--token-delay-ms", str(delay_ms))
    pieces = tokens(long_reply(deltas))
    print(f"Chat benchmark: {deltas:,}-delta replies, one every {delay_ms} ms, {runs} runs\n")
    results: dict[str, list[Streamed]] = {"bare": [], "conversation": [], "thread": []}
    try:
        await bare(pieces[:50], delay_ms / 1000)  # warm-up
        for n in range(runs):
            results["bare"].append(await bare(pieces, delay_ms / 1000))
            for kind in (Kind.CONVERSATION, Kind.THREAD):
                db = work / f"{kind.value}-{n}.sqlite3"
                await tracked(db, base_url, kind)
                results[kind.value].append(await ours(db, base_url, deltas))
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    def median(name: str, field: str) -> float:
        return statistics.median(getattr(r, field) for r in results[name])

    report.header(44, 18)
    for kind in ("conversation", "thread"):
        last = median(kind, "last_delta_ms")
        line(
            f"last delta to screen, {kind} (ms)",
            last,
            median("bare", "last_delta_ms"),
            "under 100 ms",
            last < 100,
        )
        line(
            f"  CPU per delta, {kind} (µs)",
            median(kind, "cpu_per_delta_us"),
            median("bare", "cpu_per_delta_us"),
        )
    print(
        "\nbaseline: a bare App with one Markdown widget, fed the same tokens at the same pace "
        "through\nMarkdown.get_stream(). Ours: the real app, its composer, the SDK over loopback "
        "HTTP to the\nemulator, the run-status line and the live reply. Medians of "
        f"{runs} runs; deltas received: {results['thread'][-1].deltas:,}."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--delay-ms", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.deltas, args.delay_ms, args.runs))
    except BaseException:
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
