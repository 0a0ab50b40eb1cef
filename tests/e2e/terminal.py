"""A program on a pseudo-terminal, its output read off a pyte screen (and kept raw)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable

import pyte

COLS, ROWS = 120, 36


class Terminal:
    """A child process on a pty, its output fed to a pyte screen."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()  # every byte the program wrote
        master, slave = pty.openpty()
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
        """Read the program's output for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                self.raw += chunk
                self.stream.feed(chunk)

    def text(self) -> str:
        """The screen's text."""
        return "\n".join(self.screen.display)

    def wait_until(self, check: Callable[[], bool], failure: str, timeout: float = 30) -> str:
        """The screen once ``check()`` holds, the output read meanwhile (a full pty blocks)."""
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                raise AssertionError(f"{failure}:\n{self.text()}")
            self.pump(0.05)
        return self.text()

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        """The screen once ``needle`` shows on it."""
        return self.wait_until(
            lambda: needle in self.text(), f"{needle!r} never appeared on screen", timeout
        )

    def wait_gone(self, needle: str, timeout: float = 30) -> str:
        """The screen once ``needle`` no longer shows on it."""
        return self.wait_until(
            lambda: needle not in self.text(), f"{needle!r} stayed on screen", timeout
        )

    def wait_exit(self, timeout: float = 30) -> int:
        """The program's exit code."""
        self.wait_until(lambda: self.proc.poll() is not None, "the program did not exit", timeout)
        return self.proc.returncode

    def send(self, keys: str) -> None:
        """Type ``keys``."""
        os.write(self.master, keys.encode())

    def close(self) -> None:
        """Stop the program."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.master)
