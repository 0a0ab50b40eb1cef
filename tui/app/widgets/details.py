"""The details panel: everything the registry knows of the highlighted item."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.model import Tracked
from tui.text import clean

LABEL_WIDTH = 16


def details_table(item: Tracked, configured: bool, server: str = "") -> Table:
    """A two-column table of the item's fields (``server``: what its server offers)."""
    table = Table.grid(padding=(0, 1))
    # A long metadata key is cut (…), never the values: they keep the width they need.
    table.add_column(style="bold dim", no_wrap=True, max_width=LABEL_WIDTH, overflow="ellipsis")
    table.add_column(overflow="fold")
    count = f"{item.message_count}" + ("" if item.history_complete else "+ (more on the server)")
    if not item.message_count and not item.history_complete:
        count = "not loaded yet"
    rows = [
        ("ID", item.id),
        ("Kind", item.kind.value),
        ("Title", clean(item.title)),
        ("State", item.state.value),
        ("Connection", item.connection.label + ("" if configured else "  (no profile here)")),
        ("Created", item.created_at.strftime("%Y-%m-%d %H:%M UTC") if item.created_at else "?"),
        ("Active", item.last_activity.strftime("%Y-%m-%d %H:%M UTC")),
        ("Messages", count),
        ("Source", item.source),
    ]
    if item.history_doubt:
        rows.append(("History", f"possibly incomplete: {clean(item.history_doubt)}"))
    if server:
        rows.append(("Server", clean(server)))
    if item.migrated_to:
        rows.append(("Migrated to", item.migrated_to))
    for key, value in sorted(item.metadata.items()):
        rows.append((f"meta {clean(key)}", clean(value)))
    for name, value in rows:
        table.add_row(name, Text(value))
    return table


class Details(Static):
    """Shows :func:`details_table` of one item."""

    DEFAULT_CSS = """
    Details { height: auto; max-height: 12; padding: 0 1; border-top: solid $primary 50%; }
    """

    _shown: tuple[Tracked, bool, str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._servers: dict[str, str] = {}  # connection key -> what its server offers

    def show(self, item: Tracked, configured: bool) -> None:
        """Show this item (no repaint when it is already shown as it is)."""
        server = self._servers.get(item.connection.key, "")
        if self._shown == (item, configured, server):
            return
        self._shown = (item, configured, server)
        self.update(details_table(item, configured, server))

    def know_server(self, connection_key: str, text: str) -> None:
        """What a connection's server offers; the item shown is redrawn if it is there."""
        self._servers[connection_key] = text
        if self._shown is not None and self._shown[0].connection.key == connection_key:
            item, configured, _ = self._shown
            self.show(item, configured)

    def say(self, text: str) -> None:
        """Show a sentence instead of an item."""
        self._shown = None
        self.update(text)
