"""The sidebar's filter box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding
from textual.widgets import Input


class FilterBox(Input):
    """An Input that hands every new value to ``on_change`` as it is set.

    The callback runs inside the keystroke's own handler, before the frame that echoes the
    key, so rows found within that time are painted in the same frame as the key.
    """

    BINDINGS = [Binding("escape", "leave", "Back to the list", show=False)]

    def __init__(self, on_change: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_change = on_change

    def watch_value(self, value: str) -> None:
        """Filter now (``Input.Changed`` still follows for anyone listening)."""
        self._on_change(value)

    def action_leave(self) -> None:
        """Escape: the filter stays as typed, and the keyboard goes back to the list."""
        from tui.app.widgets.thread_list import ThreadList

        found = self.screen.query(ThreadList)
        if found:
            found.first().focus()
        else:
            self.screen.focus_next()
