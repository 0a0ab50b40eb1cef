"""The real ``thread-browser --demo`` in a pseudo-terminal, read off a terminal screen."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pyte

COLS, ROWS = 120, 36


class Terminal:
    """A child process on a pty, its output fed to a pyte screen."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.stream.feed(os.read(self.master, 65536))
                except OSError:
                    return

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.2)
            if needle in self.text():
                return self.text()
        raise AssertionError(f"{needle!r} never appeared on screen:\n{self.text()}")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.master)


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
        term.wait_for("55 tracked")
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
