"""The run-status line: spinner, live status, elapsed time, time to first token, tokens."""

from __future__ import annotations

import time

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from tui.model import RunStatus, Usage
from tui.text import clean

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
WORDS = {
    RunStatus.QUEUED: "queued",
    RunStatus.IN_PROGRESS: "in progress",
    RunStatus.REQUIRES_ACTION: "waiting for tool outputs",
    RunStatus.CANCELLING: "cancelling",
    RunStatus.CANCELLED: "cancelled",
    RunStatus.FAILED: "failed",
    RunStatus.COMPLETED: "completed",
    RunStatus.INCOMPLETE: "incomplete",
    RunStatus.EXPIRED: "expired",
}
BAD = {RunStatus.FAILED, RunStatus.EXPIRED, RunStatus.INCOMPLETE, RunStatus.CANCELLED}


class RunStatusLine(Static):
    """One line under the pane while a reply runs; it stays after the end with the outcome."""

    DEFAULT_CSS = """
    RunStatusLine { height: auto; padding: 0 1; background: $boost; display: none; }
    RunStatusLine.-shown { display: block; }
    RunStatusLine.-bad { color: $warning; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.status: RunStatus | None = None
        self.detail = ""
        self.started = 0.0
        self.ended: float | None = None
        self.first_token: float | None = None
        self.usage: Usage | None = None
        self.run_id: str | None = None
        self.note = ""
        self._frame = 0
        self._timer: Timer | None = None

    def begin(self, note: str = "sending") -> None:
        """A send started: show the spinner."""
        self.status, self.detail, self.usage, self.first_token = None, "", None, None
        self.run_id = None
        self.started, self.ended, self.note = time.monotonic(), None, note
        self.set_class(True, "-shown")
        self.set_class(False, "-bad")
        if self._timer is None:
            self._timer = self.set_interval(0.1, self._tick)
        self._draw()

    def set_status(
        self, status: RunStatus, detail: str | None = None, run_id: str | None = None
    ) -> None:
        """The run's status changed."""
        self.status = status
        self.run_id = run_id or self.run_id
        self.detail = clean(detail or "")
        self.note = ""
        if status.is_terminal:
            self.ended = time.monotonic()
            self._stop_timer()
        self.set_class(status in BAD, "-bad")
        self._draw()

    def token(self) -> None:
        """A piece of the reply arrived (the first one sets the time to first token)."""
        if self.first_token is None:
            self.first_token = time.monotonic()

    def set_usage(self, usage: Usage) -> None:
        """Tokens the run used."""
        self.usage = usage
        self._draw()

    def fail(self, message: str) -> None:
        """The send stopped on an error (nothing more will come)."""
        self.ended = time.monotonic()
        self.note = clean(message)
        self._stop_timer()
        self.set_class(True, "-bad")
        self._draw()

    @property
    def active(self) -> bool:
        """True while the spinner turns."""
        return self._timer is not None

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._frame += 1
        self._draw()

    def describe(self) -> str:
        """The line's text."""
        now = self.ended or time.monotonic()
        if self.active:
            mark = SPINNER[self._frame % len(SPINNER)]
        else:
            mark = "✗" if self.has_class("-bad") else "✓"
        words = WORDS.get(self.status, "") if self.status else ""
        parts = [f"{mark} {words or self.note}".rstrip()]
        if self.detail:
            parts.append(self.detail)
        parts.append(f"{now - self.started:.1f} s")
        if self.first_token is not None:
            parts.append(f"first token {self.first_token - self.started:.2f} s")
        if self.usage is not None:
            parts.append(f"{self.usage.input_tokens} in / {self.usage.output_tokens} out tokens")
        if words and self.note:
            parts.append(self.note)
        if self.active:
            parts.append("x cancels")
        return " · ".join(parts)

    def _draw(self) -> None:
        self.update(Text(self.describe()))
