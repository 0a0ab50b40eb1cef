"""The Thread Browser app: it opens the main screen and keeps its services for everyone."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual import events
from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.app.failures import report
from tui.app.list_source import ListSource
from tui.app.screens.main import MainScreen, ServicesFactory
from tui.app.services import Services

PALETTE = (
    ("Filter", "Filter the list by words or key=value metadata", "filter"),
    ("New thread or conversation", "Create one, with metadata and a first message", "new"),
    ("Import IDs", "Paste any text; every ID in it is checked and tracked", "import"),
    ("Refresh item", "Reload the highlighted item from its server", "refresh"),
    ("Chat", "Write a message to the opened item (ctrl+s sends)", "chat"),
    ("Cancel run", "Cancel the reply running on the opened item", "cancel_run"),
    ("Choose assistant or model", "What replies on the opened item come from", "choose"),
    ("Tools", "Function tools offered with a conversation's messages", "tools"),
    ("Copy ID", "Copy the highlighted item's ID", "copy_id"),
    ("Copy as Markdown", "Copy the whole history as Markdown", "copy_markdown"),
    ("Export", "Write the history to a .md or .json file", "export"),
    ("Rename", "Local title, or metadata.title on the server", "rename"),
    ("Edit metadata", "Edit key = value metadata (limits checked)", "metadata"),
    ("Mark", "Mark or unmark the highlighted item for deletion", "toggle_mark"),
    ("Mark all matching", "Mark every item the filter matches", "mark_all"),
    ("Unmark all", "Clear every mark", "clear_marks"),
    ("Delete", "Delete the marked items (or the highlighted one), after asking", "delete"),
    (
        "Erase by metadata…",
        "Delete on the server and erase here every item with the filter's key=value pairs",
        "erase",
    ),
    ("Show or hide deleted", "Toggle deleted items in the list", "toggle_deleted"),
    (
        "Migrate to a conversation",
        "Carry the highlighted thread into a new conversation",
        "migrate",
    ),
    ("Keys", "Every key of the app", "help"),
)


# Input that acts on items; it waits while the registry opens (moving the mouse does not).
HELD = (events.Key, events.Paste, events.MouseDown, events.MouseUp, events.Click)
QUIT_KEYS = frozenset({"q", "ctrl+q", "ctrl+c"})


def quits(event: events.Event) -> bool:
    """Whether ``event`` is a key that quits."""
    return isinstance(event, events.Key) and event.key in QUIT_KEYS


class ThreadBrowserApp(App[None]):
    """Browse, search, continue and clean up threads and conversations."""

    CSS_PATH = "app.tcss"
    TITLE = "Thread Browser"

    def __init__(self, open_services: ServicesFactory, first: ListSource | None = None) -> None:
        super().__init__()
        self._open_services = open_services
        self._first = first
        self._held: list[events.Event] | None = []  # None once the registry is open

    async def on_event(self, event: events.Event) -> None:
        """Keys and clicks that come before the registry is open wait for it, in order.

        The first rows show before the registry opens; a key pressed then would act on an
        app without its services. Quitting never waits.
        """
        if self._held is not None and isinstance(event, HELD) and not quits(event):
            self._held.append(event)
            return
        await super().on_event(event)

    def on_main_screen_opened(self) -> None:
        """The registry is open: what was typed or clicked meanwhile is handled now."""
        held, self._held = self._held or [], None
        for event in held:
            self.post_message(event)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, except on a Unix terminal: one that exits without a wait."""
        from textual.drivers.linux_driver import LinuxDriver

        chosen = super().get_driver_class()
        if chosen is not LinuxDriver:
            return chosen  # Windows, or a driver named in TEXTUAL_DRIVER
        from tui.app.driver import QuickExitDriver

        return QuickExitDriver

    def get_default_screen(self) -> MainScreen:
        """The main screen: the sidebar beside the chat panel."""
        return MainScreen(self._open_services, self._first)

    @property
    def main(self) -> MainScreen:
        """The main screen (under any dialog)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def services(self) -> Services | None:
        """The registry, profiles and clients (``None`` until the main screen opened them)."""
        return self.main.services if self.screen_stack else None

    @property
    def svc(self) -> Services:
        """The services (open once mounted)."""
        return self.main.svc

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every action of the app beside Textual's own commands."""
        yield from super().get_system_commands(screen)
        for title, help_text, action in PALETTE:
            yield SystemCommand(title, help_text, partial(self.main.run_action, action))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background task that failed past its own guard: shown and logged, never a crash."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            report(self, "that", event.worker.error)
