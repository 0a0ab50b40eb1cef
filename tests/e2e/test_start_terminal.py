"""The app on a pseudo-terminal, typed at before its registry is open."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.bench.app import build
from tests.bench.registry import rows
from tests.e2e.terminal import COLS, ROWS, Terminal


def test_keys_typed_before_the_registry_opens_act_once_it_is_open(tmp_path) -> None:
    """The first rows paint before the registry opens; a key typed then waits, in order."""
    db = tmp_path / "registry.sqlite3"
    asyncio.run(build(db, rows(2_000)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREAD_"))}
    env.update(
        TERM="xterm-256color",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        THREAD_BROWSER_DB=str(db),
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        COLUMNS=str(COLS),
        LINES=str(ROWS),
    )
    term = Terminal([sys.executable, "-m", "tui"], env)
    try:
        term.send("n")  # in the terminal's buffer before the app reads anything
        screen = term.wait_for("conversation (Responses)")
        assert "2,000 tracked" in screen
        term.send("\x1b")
        term.wait_gone("conversation (Responses)")
        term.send("q")
        assert term.wait_exit() == 0
    finally:
        term.close()
    assert "Traceback" not in term.text()
    assert "registry is not open" not in term.text()
