"""Screenshots of the real app in demo mode: ``python -m tui.screenshots [DIR]``.

Writes SVG (and PNG, when ``rsvg-convert`` is installed) of the main screen, a long
thread, the import dialog, a chat turn, a deletion confirmation, a thread migrated to a
conversation, a stored chat completion, a response chain, discovery and the help screen.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.app.demo import demo_settings, start_demo
from tui.app.launch import make_app
from tui.config import Settings
from tui.emulator import EmulatorConfig
from tui.model import Kind

SIZE = (120, 36)
EPOCH = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
Step = Callable[[Any], Awaitable[None]]


async def _settle(pilot: Any) -> None:
    for _ in range(8):
        await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def _long_thread(pilot: Any) -> None:
    app = pilot.app
    listing = app.query_one("#list")
    for index in range(listing.count):
        item = listing.source.get(index)
        if item is not None and item.title == "A very long support thread":
            listing.cursor = index
            app.main.open_item(item)
            break
    await _settle(pilot)


async def _import(pilot: Any) -> None:
    await pilot.press("i")
    pilot.app.screen.query_one("#paste").text = (
        "2026-11-02 12:01:07 ERROR worker: run run_zdE51vuY4FlBpEy2dYb3870E failed\n"
        "  thread=thread_abc123… retrying\n"
    )
    await pilot.press("ctrl+s")
    await _settle(pilot)


async def _chat(pilot: Any) -> None:
    app = pilot.app
    app.main.chat.opened = await app.svc.registry.set_choice(
        app.main.opened, "gpt-4.1", source="demo"
    )
    await pilot.press("c")
    composer = app.query_one("#composer")
    composer.insert("How do I find a thread ID I lost?")
    composer.action_send()
    for _ in range(400):
        await asyncio.sleep(0.025)
        if not app.main.chat._runs and app.query_one("#run-status").status is not None:
            break
    await _settle(pilot)
    composer.insert("And how do I delete the old test threads?")
    await pilot.pause(0.2)


async def _delete(pilot: Any) -> None:
    await pilot.press("j", "space", "space", "space", "d")
    await pilot.pause(0.5)


async def _migrate(pilot: Any) -> None:
    app = pilot.app
    listing = app.query_one("#list")
    thread = next(
        item
        for item in map(listing.source.get, range(listing.count))
        if item is not None and item.title == "Weather lookups with a tool"
    )
    listing.cursor = listing.source.index_of(thread.pk)
    await _settle(pilot)
    await pilot.press("M")
    for _ in range(200):
        await asyncio.sleep(0.025)
        if app.main.opened is not None and app.main.opened.kind is Kind.CONVERSATION:
            break
    await _settle(pilot)


async def _completion(pilot: Any) -> None:
    await pilot.press("slash", *"Kyoto", "enter")
    await _settle(pilot)
    await pilot.press("enter")
    await _settle(pilot)


async def _chain(pilot: Any) -> None:
    await pilot.press("slash", *"Tokyo", "enter")
    await _settle(pilot)
    await pilot.press("enter")
    await _settle(pilot)


async def _discover(pilot: Any) -> None:
    await pilot.press("I")
    for _ in range(400):
        await asyncio.sleep(0.025)
        if str(pilot.app.screen.query_one("#status").render()).startswith("done"):
            break
    await _settle(pilot)


async def _help(pilot: Any) -> None:
    await pilot.press("question_mark")
    await pilot.pause(0.2)


SHOTS: dict[str, Step | None] = {
    "main": None,
    "long-thread": _long_thread,
    "import": _import,
    "chat": _chat,
    "delete": _delete,
    "migrate": _migrate,
    "completion": _completion,
    "chain": _chain,
    "discover": _discover,
    "help": _help,
}


async def _shoot(name: str, step: Step | None, out: Path, work: Path) -> Path:
    config = EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp())
    session = start_demo(work / f"{name}.db", config=config)
    try:
        settings = demo_settings(session, Settings())
        app = make_app(
            str(session.db_path),
            settings,
            settings.profile("demo"),
            demo=session,
            clock=lambda: NOW,
        )
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await _settle(pilot)
            if step is not None:
                await step(pilot)
            path = out / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
        return path
    finally:
        session.stop()


def _png(svg: Path) -> Path | None:
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    png = svg.with_suffix(".png")
    subprocess.run([tool, "-w", "1600", str(svg), "-o", str(png)], check=True)
    return png


def main(argv: list[str]) -> None:
    """Write every screenshot into the folder given (default: screenshots/)."""
    out = Path(argv[0] if argv else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="thread-browser-shots-"))
    for name, step in SHOTS.items():
        svg = asyncio.run(_shoot(name, step, out, work))
        png = _png(svg)
        print(f"{svg}" + (f"  {png}" if png else "  (install rsvg-convert for PNG)"))


if __name__ == "__main__":
    main(sys.argv[1:])
