"""Start the app: on the user's registry and profile, or in demo mode."""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

from tui.app.app import ThreadBrowserApp
from tui.app.failures import log_to_file
from tui.app.list_source import ROW_PAGE, ListSource
from tui.app.services import Services, utc_now
from tui.config import Profile, Settings
from tui.store import Query, Registry, files
from tui.store.errors import translated
from tui.store.search import VISIBLE, read_page

if TYPE_CHECKING:
    from tui.app.demo import DemoSession


def make_app(
    db: str | None,
    settings: Settings,
    profile: Profile,
    *,
    demo: DemoSession | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ThreadBrowserApp:
    """The app, opening its registry once the event loop runs.

    The registry is checked (and migrated) here, and its first page read, so the app's
    first frame already shows rows; a damaged or newer registry stops before any UI. A
    registry the user cannot write opens read-only, and the app says so once it starts.
    """
    target = files.prepare(files.resolve_path(db))
    first = None if demo is not None else first_page(target)

    async def open_services() -> Services:
        registry = await Registry.open(target=target)
        if demo is not None:
            from tui.app.demo import track_demo

            try:
                await track_demo(demo, registry)
            except BaseException:
                await registry.close()  # its thread would keep the process alive
                raise
        return Services(
            registry,
            settings,
            profile,
            clock=clock,
            demo=demo is not None,
        )

    return ThreadBrowserApp(open_services, first)


def first_page(target: files.Target) -> ListSource:
    """The list's first page, read with plain sqlite3 before the event loop runs."""
    query = Query(states=VISIBLE)
    with translated(target.path):
        conn = files.reader(target)  # checked (and migrated) by files.prepare just before
        try:
            page = read_page(conn, query, ROW_PAGE)
        finally:
            conn.close()
    return ListSource.from_page(query, page)


def run(db: str | None, settings: Settings, profile_name: str | None, demo: bool) -> None:
    """Run the app in the terminal until the user quits (failures logged to a file)."""
    gc.freeze()
    session = None
    with contextlib.suppress(OSError):  # without a log folder failures are still shown
        log_to_file()
    if demo:
        from tui.app.demo import demo_settings, start_demo

        session = start_demo(db)
        settings = demo_settings(session, settings)
        db = str(session.db_path)
    profile = settings.profile("demo" if demo else profile_name)
    try:
        app = make_app(db, settings, profile, demo=session)
        app.run()
    finally:
        if session is not None:
            session.stop()
    end_process(app.return_code or 0)


def end_process(code: int) -> NoReturn:
    """End the process now that the app has closed its registry and clients.

    What the interpreter would still do is free memory module by module (a fifth of a
    second after the app has quit); the system frees it at once. Exit handlers run, logs
    and standard streams are flushed first, so nothing written is lost.
    """
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


__all__ = ["datetime", "make_app", "run"]
