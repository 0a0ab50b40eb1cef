"""The Thread Browser app: sidebar of tracked items beside the message pane."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path

import pyperclip
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from tui.api.errors import ApiError, ApiGone, AuthFailed, Offline
from tui.app.chat import ActiveRun, ChatMixin
from tui.app.deleting import DeleteMixin
from tui.app.failures import guarded, report
from tui.app.list_source import ROW_PAGE, ListSource
from tui.app.migrating import MigrateMixin
from tui.app.screens.help import HelpScreen
from tui.app.screens.import_dialog import ImportDialog
from tui.app.screens.metadata import MetadataDialog
from tui.app.screens.new_item import NewItem, NewItemDialog
from tui.app.screens.prompt import PromptDialog, PromptResult
from tui.app.services import Services
from tui.app.widgets.banner import Banner
from tui.app.widgets.composer import Composer
from tui.app.widgets.details import Details
from tui.app.widgets.filter_box import FilterBox
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.run_status import RunStatusLine
from tui.app.widgets.thread_list import ThreadList
from tui.model import ItemState, Kind, Tracked
from tui.ops.capabilities import describe
from tui.ops.export import as_json, load_history, markdown
from tui.ops.importing import ImportResult, import_found, scan_text
from tui.ops.items import create_item, refresh_item, rename_item, unbroken
from tui.ops.metadata import save_metadata
from tui.store import Query, ResultPage
from tui.store.errors import RegistryError
from tui.store.search import VISIBLE

ServicesFactory = Callable[[], Awaitable[Services]]
QUICK_PAGE_BUDGET = 0.025  # seconds a keystroke's first page may take on the event loop
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
    ("Show or hide deleted", "Toggle deleted items in the list", "toggle_deleted"),
    (
        "Migrate to a conversation",
        "Carry the highlighted thread into a new conversation",
        "migrate",
    ),
    ("Keys", "Every key of the app", "help"),
)


class ThreadBrowserApp(ChatMixin, DeleteMixin, MigrateMixin):
    """Browse, search, continue and clean up threads and conversations."""

    CSS_PATH = "app.tcss"
    TITLE = "Thread Browser"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("n", "new", "New"),
        Binding("i", "import", "Import"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "chat", "Chat"),
        Binding("x", "cancel_run", "Cancel run", show=False),
        Binding("a", "choose", "Assistant/model", show=False),
        Binding("o", "tools", "Tools", show=False),
        Binding("y", "copy_id", "Copy ID"),
        Binding("Y", "copy_markdown", "Copy MD", show=False),
        Binding("e", "export", "Export"),
        Binding("t", "rename", "Rename"),
        Binding("m", "metadata", "Metadata"),
        Binding("d", "delete", "Delete"),
        Binding("space", "toggle_mark", "Mark", show=False),
        Binding("asterisk", "mark_all", "Mark all", show=False),
        Binding("u", "clear_marks", "Unmark", show=False),
        Binding("A", "toggle_deleted", "Deleted", show=False),
        Binding("M", "migrate", "Migrate", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, open_services: ServicesFactory, first: ListSource | None = None) -> None:
        super().__init__()
        self._open_services = open_services
        self._first = first
        self._runs: dict[int, ActiveRun] = {}
        self._conflicts: dict[int, str] = {}
        self.services: Services | None = None
        self.filter_text = ""
        self._filter_notice = ""
        self.show_deleted = False
        self.opened: Tracked | None = None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every action of the app beside Textual's own commands."""
        yield from super().get_system_commands(screen)
        for title, help_text, action in PALETTE:
            yield SystemCommand(title, help_text, partial(self.run_action, action))

    # layout

    def compose(self) -> ComposeResult:
        """Banner, sidebar (filter, list, details), message pane, footer."""
        yield Banner(id="banner")
        with Horizontal():
            with Vertical(id="sidebar"):
                yield Static("", id="count", markup=False)
                yield FilterBox(
                    self.filter_now, placeholder="/ filter: words, or key=value", id="filter"
                )
                yield ThreadList(id="list")
                yield Details(id="details")
            with Vertical(id="right"):
                yield MessagePane(id="messages")
                yield RunStatusLine(id="run-status")
                yield Composer(id="composer")
        yield Footer()

    async def on_mount(self) -> None:
        """Show the rows read before start, then open the registry and the first item.

        The registry opens once those rows are on screen: opening uses a thread, which
        would compete with painting them. Keys typed meanwhile wait, as messages do.
        """
        thread_list = self.query_one(ThreadList)
        if self._first is not None:
            thread_list.set_source(self._first)
            self._show_count(self._first)
            await self.screen.wait_for_refresh()
        self.services = await self._open_services()
        self.query_one(MessagePane).services = self.services
        thread_list.now = self.services.clock()
        self.query_one(Banner).say(self.services.no_key_banner())
        read_only = self.services.read_only_notice()
        if read_only:
            self.notify(
                read_only,
                title="Read-only registry",
                severity="warning",
                timeout=30,
                markup=False,
            )
        first = self._first
        if first is None or self.services.demo or self.filter_text:
            await self.reload_list()
        else:
            first.registry = self.services.registry
            thread_list.recount()
            if not first.exact:
                self._count(first)
        thread_list.focus()
        self.call_after_refresh(self._open_current)
        await self.offer_resume()

    def _open_current(self) -> None:
        current = self.query_one(ThreadList).current
        if current is not None and self.opened is None:
            self.open_item(current)

    async def on_unmount(self) -> None:
        """Close clients and the registry."""
        if self.services is not None:
            await self.services.close()

    @property
    def svc(self) -> Services:
        """The services (open once mounted)."""
        assert self.services is not None
        return self.services

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background task that failed past its own guard: shown and logged, never a crash."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            report(self, "that", event.worker.error)

    # the list

    def current_query(self) -> Query:
        """The query of the filter box and the deleted toggle."""
        states = (*VISIBLE, ItemState.DELETED) if self.show_deleted else VISIBLE
        return Query.parse(self.filter_text, states=states)

    async def reload_list(self, select_pk: int | None = None) -> None:
        """Re-run the query and redraw the list (keeping or moving the cursor).

        The first page shows at once; the count follows from a worker (a count over a
        million rows takes longer than a keystroke).
        """
        source = ListSource(self.svc.registry, self.current_query())
        await source.ensure(0, 50)
        self._show_source(source, select_pk)

    def _show_source(self, source: ListSource, select_pk: int | None = None) -> None:
        """Put a source with its first page loaded in the list; count it in a worker."""
        thread_list = self.query_one(ThreadList)
        thread_list.unconfigured = {
            item.connection.key
            for item in (source.get(i) for i in range(min(source.count or 0, 50)))
            if item is not None and not self.svc.configured(item)
        }
        thread_list.set_source(source)
        if select_pk is not None:
            index = source.index_of(select_pk)
            if index is not None:
                thread_list.cursor = index
        self._show_count(source)
        if not source.exact:
            self._count(source)

    @work(exclusive=True, group="count", exit_on_error=False)
    @guarded("counting the list", "The list still works; the count returns with the next filter.")
    async def _count(self, source: ListSource) -> None:
        await source.load_count()
        thread_list = self.query_one(ThreadList)
        if thread_list.source is source:
            thread_list.recount()
            self._show_count(source)

    def _show_count(self, source: ListSource) -> None:
        count = source.count or 0
        shown = f"{count:,}" if source.exact else f"{max(0, count - 1):,}+"
        title = f"{shown} tracked" + (" (with deleted)" if self.show_deleted else "")
        self.query_one("#count", Static).update(title + self.marks_label())
        if count == 0:
            self.query_one(Details).say(
                "Nothing tracked here yet. Press i to import IDs from any text, n to create "
                "a thread or conversation, or track your code's client with "
                "`from tui import track`."
            )

    def filter_now(self, text: str) -> None:
        """Filter as the user types, with no debounce.

        The first page is read on the registry's pager thread. A page read within
        QUICK_PAGE_BUDGET is shown in the frame that echoes the keystroke; a slower one is
        awaited in a worker, and the next keystroke interrupts it.
        """
        if text == self.filter_text:
            return
        self.filter_text = text
        if self.services is None:
            return
        self.workers.cancel_group(self, "filter")
        query = self.current_query()
        self._say_filter_notice(query.notice)
        future = self.svc.registry.pager.read(query, ROW_PAGE)
        try:
            page = future.result(timeout=QUICK_PAGE_BUDGET)
        except concurrent.futures.TimeoutError:
            self._refilter(query, future)
            return
        except (RegistryError, concurrent.futures.CancelledError):
            self._refilter(query, None)  # read again, in a worker that reports failures
            return
        self._show_page(query, page)

    def _say_filter_notice(self, notice: str) -> None:
        """Say once what of a long filter was left out (words past the cap, repeats)."""
        if notice and notice != self._filter_notice:
            self.notify(notice, title="Filter shortened", severity="warning", markup=False)
        self._filter_notice = notice

    @work(exclusive=True, group="filter", exit_on_error=False)
    @guarded("filtering", "Change the filter to try again.")
    async def _refilter(
        self, query: Query, future: concurrent.futures.Future[ResultPage] | None
    ) -> None:
        if future is None:
            await self.reload_list()
        else:
            self._show_page(query, await asyncio.wrap_future(future))

    def _show_page(self, query: Query, page: ResultPage) -> None:
        source = ListSource.from_page(query, page)
        source.registry = self.svc.registry
        self._show_source(source)

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        """Enter in the filter moves to the list."""
        self.query_one(ThreadList).focus()

    def on_thread_list_highlighted(self, event: ThreadList.Highlighted) -> None:
        """Show the highlighted item's details."""
        self.query_one(Details).show(event.item, self.svc.configured(event.item))

    def on_thread_list_opened(self, event: ThreadList.Opened) -> None:
        """Open the chosen item in the message pane."""
        self.open_item(event.item)

    def open_item(self, item: Tracked) -> None:
        """Show an item's history."""
        self.opened = item
        self.query_one(MessagePane).show(item)
        self.query_one(Details).show(item, self.svc.configured(item))

    def on_message_pane_loaded(self, event: MessagePane.Loaded) -> None:
        """Update the list row; say in the banner what stopped the API, if anything."""
        self.query_one(ThreadList).refresh_item(event.item)
        self.query_one(Details).show(event.item, self.svc.configured(event.item))
        self.explain(event.error)
        self._learn_server(event.item)

    @work(group="server", exit_on_error=False)
    @guarded("reading what the server offers", "Details shows it after the next open.")
    async def _learn_server(self, item: Tracked) -> None:
        """Tell Details what the item's server was found to lack (nothing when it lacks nothing)."""
        found = await self.svc.registry.capabilities.of(item.connection)
        refused = [f"{c.name} ({describe(False, c.detail)})" for c in found if not c.offered]
        text = f"lacks {'; '.join(refused)}" if refused else ""
        self.query_one(Details).know_server(item.connection.key, text)

    def explain(self, error: Exception | None) -> None:
        """Banner for connection-wide problems; a notification for the rest."""
        banner = self.query_one(Banner)
        if error is None:
            banner.say(self.svc.no_key_banner())
        elif isinstance(error, (ApiGone, AuthFailed)):
            banner.say(str(error), error=True)
        elif isinstance(error, Offline):
            banner.say(f"Offline: {error} Archived history stays readable.", error=True)
        elif isinstance(error, ApiError):
            self.notify(str(error), severity="warning", markup=False)

    # actions

    def action_filter(self) -> None:
        """Focus the filter box."""
        self.query_one("#filter", Input).focus()

    def action_help(self) -> None:
        """Show the keys."""
        self.push_screen(HelpScreen())

    async def action_toggle_deleted(self) -> None:
        """Show or hide deleted items."""
        self.show_deleted = not self.show_deleted
        await self.reload_list()

    def _current(self) -> Tracked | None:
        item = self.query_one(ThreadList).current
        if item is None:
            self.notify("Nothing selected.", severity="warning")
        return item

    def _live(self) -> Tracked | None:
        """The highlighted item, unless it was deleted (its archive is read-only)."""
        item = self._current()
        if item is not None and item.state is ItemState.DELETED:
            self.notify(
                "This item was deleted on its server: its archive is read-only here "
                "(copy and export still work).",
                severity="warning",
            )
            return None
        return item

    def copy_text(self, text: str, what: str) -> None:
        """Copy with the system clipboard, or OSC 52 where there is none (SSH, headless)."""
        try:
            pyperclip.copy(text)
            how = "clipboard"
        except pyperclip.PyperclipException:
            self.copy_to_clipboard(text)
            how = "terminal clipboard (OSC 52)"
        self.notify(f"Copied {what} to the {how}.", markup=False)

    def action_copy_id(self) -> None:
        """Copy the highlighted item's ID."""
        item = self._current()
        if item is not None:
            self.copy_text(item.id, item.id)

    @work(exclusive=True, group="copy", exit_on_error=False, description="copying as Markdown")
    @guarded("copying as Markdown", "Nothing was copied; press Y to try again.")
    async def action_copy_markdown(self) -> None:
        """Copy the whole history as Markdown."""
        item = self._current()
        if item is None:
            return
        api, why = self.svc.api_for(item)
        history = await load_history(self.svc.registry, item, api, why_no_api=why)
        self.copy_text(markdown(history), f"{len(history.turns)} messages as Markdown")

    def action_export(self) -> None:
        """Export the highlighted item to a file (.md or .json)."""
        item = self._current()
        if item is None:
            return
        dialog = PromptDialog("Export", "File (.md or .json):", f"{item.id}.md")

        def export(result: PromptResult | None) -> None:
            self._export(item, result)

        self.push_screen(dialog, export)

    @work(exclusive=True, group="export", exit_on_error=False, description="exporting")
    @guarded("exporting", "Press e to try again.")
    async def _export(self, item: Tracked, result: PromptResult | None) -> None:
        if result is None or not result.text.strip():
            return
        path = Path(result.text.strip()).expanduser()
        api, why = self.svc.api_for(item)
        history = await load_history(self.svc.registry, item, api, why_no_api=why)
        text = as_json(history) if path.suffix == ".json" else markdown(history)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror}.", severity="error", markup=False)
            return
        note = f" ({history.note})" if history.note else ""
        self.notify(f"Exported {len(history.turns)} messages to {path}{note}.", markup=False)

    def action_rename(self) -> None:
        """Rename the highlighted item (locally, or also as metadata.title)."""
        item = self._current()
        if item is None:
            return
        dialog = PromptDialog(
            "Rename",
            "Title (empty restores the automatic one):",
            item.title,
            flag_label="also set metadata.title on the server",
        )

        def rename(result: PromptResult | None) -> None:
            self._rename(item, result)

        self.push_screen(dialog, rename)

    @work(exclusive=True, group="rename", exit_on_error=False, description="renaming")
    @guarded(
        "renaming",
        "Nothing was saved here; the server may have applied it: press r to reload the item.",
    )
    async def _rename(self, item: Tracked, result: PromptResult | None) -> None:
        if result is None:
            return
        api, why = self.svc.api_for(item) if result.flag else (None, "")
        try:
            renamed = await unbroken(
                rename_item(
                    self.svc.registry,
                    item,
                    result.text,
                    api=api,
                    why_no_api=why,
                    on_server=result.flag,
                )
            )
        except ApiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if renamed.saved is not None and not renamed.saved.applied:
            self.notify(renamed.saved.message(), severity="warning", markup=False)
        self.query_one(ThreadList).refresh_item(renamed.item)
        self.query_one(Details).show(renamed.item, self.svc.configured(renamed.item))

    def action_metadata(self) -> None:
        """Edit the highlighted item's metadata."""
        item = self._live()
        if item is None:
            return
        dialog = MetadataDialog(item.id, item.metadata)

        def save(result: dict[str, str] | None) -> None:
            self._metadata(item, result)

        self.push_screen(dialog, save)

    @work(exclusive=True, group="metadata", exit_on_error=False, description="saving metadata")
    @guarded(
        "saving metadata",
        "Nothing was saved here; the server may have applied it: press r to reload the item.",
    )
    async def _metadata(self, item: Tracked, result: dict[str, str] | None) -> None:
        if result is None:
            return
        api, why = self.svc.api_for(item)
        if api is None:
            self.notify(why, severity="error", markup=False)
            return
        try:
            saved = await unbroken(
                save_metadata(self.svc.registry, item, api, result, source="app")
            )
        except ApiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.query_one(ThreadList).refresh_item(saved.item)
        self.query_one(Details).show(saved.item, self.svc.configured(saved.item))
        severity: SeverityLevel = "information" if saved.applied else "warning"
        self.notify(saved.message(), severity=severity, markup=False)

    def action_new(self) -> None:
        """Create a thread or conversation."""
        kind = self.svc.profile.kind or Kind.CONVERSATION

        def create(wanted: NewItem | None) -> None:
            self._create(wanted)

        self.push_screen(NewItemDialog(kind), create)

    @work(group="create", exit_on_error=False, description="creating an item")
    @guarded(
        "creating",
        "The server may have created it even so: check there before pressing n to try again.",
    )
    async def _create(self, new: NewItem | None) -> None:
        """Create the item and track it at once (never cut halfway), then send its first message."""
        if new is None:
            return
        try:
            api = self.svc.api_for_kind(new.kind)
            item = await unbroken(
                create_item(
                    self.svc.registry,
                    api,
                    self.svc.profile.connection,
                    metadata=new.metadata,
                    first_message=new.first_message,
                )
            )
        except ApiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        await self.reload_list(select_pk=item.pk)
        self.open_item(item)
        self.notify(f"Created {item.id}.", markup=False)
        if new.first_message:
            self._send(item, new.first_message, background=False)

    def action_import(self) -> None:
        """Paste text; track every ID in it."""
        self.push_screen(ImportDialog(self._import_text), self._imported)

    async def _import_text(self, text: str) -> list[ImportResult]:
        api_for = self.svc.api_for_kind if self.svc.has_key else None
        found = scan_text(text)
        if found.cut:
            self.notify(found.cut, title="Import shortened", severity="warning", markup=False)
        results = await import_found(
            found.ids, self.svc.registry, self.svc.profile.connection, api_for=api_for
        )
        if api_for is None and results:
            self.notify("No API key: IDs were recorded without checking them.", severity="warning")
        return results

    async def _imported(self, added: int | None) -> None:
        if added:
            await self.reload_list()

    @work(exclusive=True, group="refresh", exit_on_error=False, description="refreshing")
    @guarded("refreshing", "The archived history stays readable; press r to try again.")
    async def action_refresh(self) -> None:
        """Reload the item's metadata and history from the server."""
        item = self._live()
        if item is None:
            return
        api, why = self.svc.api_for(item)
        if api is None:
            self.notify(why, severity="warning", markup=False)
            return
        refreshed = await unbroken(refresh_item(self.svc.registry, item, api))
        if refreshed.error is not None:
            self.explain(refreshed.error)  # the pane still opens: the archive stays readable
        self.query_one(ThreadList).refresh_item(refreshed.item)
        self.open_item(refreshed.item)
