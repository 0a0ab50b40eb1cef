"""Textual's Linux driver with an input thread that stops the moment the app exits.

Textual's own input thread polls the terminal every 0.1 s and, once told to stop, polls
once more for 0.1 s; the app's exit waits for both. Here the thread also watches a pipe
that :meth:`QuickExitDriver.disable_input` writes to, so it wakes and ends at once and
``q`` closes the app without that fixed wait. Keys are still parsed by Textual's own
parser, so what reaches the app is unchanged.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._xterm_parser import XTermParser  # the parser Textual's own driver uses
from textual.drivers.linux_driver import LinuxDriver

TICK_S = 0.1  # how often a lone escape key is resolved (as Textual's driver does)
READ_SIZE = 4096


class QuickExitDriver(LinuxDriver):
    """A :class:`LinuxDriver` whose input thread can be woken to stop."""

    def start_application_mode(self) -> None:
        """Open the wake pipe, then start as Textual does (which starts the thread)."""
        self._wake_read, self._wake_write = os.pipe()
        super().start_application_mode()

    def disable_input(self) -> None:
        """Wake the input thread so it ends now, then stop input as Textual does."""
        wake = getattr(self, "_wake_write", None)
        if wake is not None and not self.exit_event.is_set():
            os.write(wake, b"x")
        super().disable_input()

    def close(self) -> None:
        """Close the wake pipe, then clean up as Textual does."""
        for name in ("_wake_read", "_wake_write"):
            fd = getattr(self, name, None)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        super().close()

    def run_input_thread(self) -> None:
        """Read the terminal and post each key, until told to stop."""
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        with selectors.SelectSelector() as selector:  # epoll refuses /dev/null and files
            selector.register(self.fileno, selectors.EVENT_READ, "keys")
            selector.register(self._wake_read, selectors.EVENT_READ, "wake")
            while not self.exit_event.is_set():
                for key, _mask in selector.select(TICK_S):
                    if key.data == "wake":
                        os.read(self._wake_read, READ_SIZE)  # ready for a later start
                        return
                    text = decode(os.read(self.fileno, READ_SIZE))
                    if not text:  # standard input closed
                        return
                    for event in parser.feed(text):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
