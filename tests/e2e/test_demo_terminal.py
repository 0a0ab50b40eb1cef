"""The real ``thread-browser --demo`` in a pseudo-terminal, read off a terminal screen."""

from __future__ import annotations

import os
import sys

from tests.e2e.terminal import COLS, ROWS, Terminal


def test_demo_opens_a_thread_and_shows_its_text(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREAD_"))}
    env.update(
        TERM="xterm-256color",
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        COLUMNS=str(COLS),
        LINES=str(ROWS),
    )
    term = Terminal([sys.executable, "-m", "tui", "--demo", "--db", str(tmp_path / "r.db")], env)
    try:
        term.wait_for("61 tracked")
        term.wait_for("Order status with a tool call")
        term.send("jjj")
        term.pump(0.5)
        term.send("\r")
        screen = term.wait_for("What's the weather in Lisbon?")
        screen = term.wait_for('{"temp_c": 21, "sky": "clear"}')
        assert "thread_" in screen and "Weather lookups with a tool" in screen
        term.send("q")
        term.pump(2)
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()
    assert "Traceback" not in term.text()
