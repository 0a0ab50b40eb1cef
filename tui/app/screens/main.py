"""The main screen: the sidebar beside the chat panel, and every action on an item.

The sidebar owns the list (its query, marks and count) and the chat panel owns the opened
item's history and its runs; this screen wires them, opens the registry, and runs the
actions that ask something first (create, rename, metadata, export, import, delete,
migrate). Each action that touches the registry or a server is one ``tui.ops`` call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input

from tui.api.errors import ApiError, ApiGone, AuthFailed, Offline
from tui.app.failures import guarded
from tui.app.list_source import ListSource
from tui.app.services import Services
from tui.app.widgets.banner import Banner
from tui.app.widgets.chat_panel import ChatPanel
from tui.app.widgets.details import Details
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.sidebar import Sidebar
from tui.model import ItemState, Kind, Tracked
from tui.ops.items import create_item, refresh_item, rename_item, unbroken

# Dialogs, the deletion engine, export and import load on first use (``from … import``
# inside the action): the first frame needs none of them.
if TYPE_CHECKING:
    from tui.app.screens.new_item import NewItem
    from tui.app.screens.prompt import PromptResult
    from tui.app.widgets.thread_list import ThreadList
    from tui.ops.deleting import Progress
    from tui.ops.discovering import Heard, Listing
    from tui.ops.resume import Pending
    from tui.ops.roads import Road, RoadResult

ServicesFactory = Callable[[], Awaitable[Services]]
NO_PAIRS = (
    "Erase acts on the metadata of the filter: press / and type key=value pairs (for "
    "example user_id=u42), check the list, then choose Erase by metadata again."
)
DELETED_READ_ONLY = (
    "This item was deleted on its server: its archive is read-only here (copy and export "
    "still work)."
)


class MainScreen(Screen[None]):
    """Browse, search, continue and clean up threads and conversations."""

    class Opened(Message):
        """The registry is open (or failed to open): input may act now."""

    AUTO_FOCUS = ""  # the list takes focus once the registry is open; keys wait till then
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("n", "new", "New"),
        Binding("i", "import", "Import"),
        Binding("I", "discover", "Discover", show=False),
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
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, open_services: ServicesFactory, first: ListSource | None = None) -> None:
        super().__init__()
        self._open_services = open_services
        self._first = first
        self.services: Services | None = None
        self._unmounted = False

    def compose(self) -> ComposeResult:
        """Banner, sidebar (count, filter, list, details), chat panel, footer."""
        yield Banner(id="banner")
        with Horizontal():
            yield Sidebar(id="sidebar")
            yield ChatPanel(id="right")
        yield Footer()

    @property
    def svc(self) -> Services:
        """The services (open once mounted)."""
        assert self.services is not None, "the registry is not open yet"
        return self.services

    @property
    def sidebar(self) -> Sidebar:
        """The sidebar."""
        return self.query_one(Sidebar)

    @property
    def chat(self) -> ChatPanel:
        """The chat panel."""
        return self.query_one(ChatPanel)

    @property
    def items(self) -> ThreadList:
        """The list of tracked items."""
        return self.sidebar.items

    @property
    def opened(self) -> Tracked | None:
        """The item shown in the pane."""
        return self.chat.opened

    @property
    def marked(self) -> set[int]:
        """Row keys of the items marked for deletion."""
        return self.sidebar.marked

    def on_mount(self) -> None:
        """Show the rows read before start, then open the registry and the first item.

        The registry opens once those rows are on screen: opening uses a thread, which
        would compete with painting them. Keys typed meanwhile wait (see the app's
        ``on_event``).
        """
        if self._first is not None:
            self.sidebar.show_first(self._first)
        self.call_after_refresh(self._start)

    async def _start(self) -> None:
        """Open the registry and the services; input waits for them (the app holds it)."""
        try:
            await self._open()
        finally:
            self.post_message(self.Opened())
        if self.services is not None:  # not when the app quit while the registry opened
            await self.offer_resume()

    async def _open(self) -> None:
        sidebar = self.sidebar
        services = await self._open_services()
        if self._unmounted:  # quit while the registry was opening
            await services.close()
            return
        self.services = services
        sidebar.services = self.chat.services = services
        self.query_one(MessagePane).services = services
        self.items.now = services.clock()
        self.query_one(Banner).say(services.no_key_banner())
        read_only = services.read_only_notice()
        if read_only:
            self.notify(
                read_only, title="Read-only registry", severity="warning", timeout=30, markup=False
            )
        first = self._first
        if first is None or services.demo or sidebar.filter_text:
            await sidebar.reload()
        else:
            sidebar.adopt_first(first)
        self.items.focus()
        self.call_after_refresh(self._open_current)

    def _open_current(self) -> None:
        current = self.items.current
        if current is not None and self.opened is None:
            self.open_item(current)

    async def on_unmount(self) -> None:
        """Close clients and the registry (or have them closed once they are open)."""
        self._unmounted = True
        if self.services is not None:
            await self.services.close()

    # opening an item

    async def reload_list(self, select_pk: int | None = None) -> None:
        """Re-run the list's query (keeping or moving the cursor)."""
        await self.sidebar.reload(select_pk)

    def on_thread_list_opened(self, event: ThreadList.Opened) -> None:
        """Open the chosen item in the message pane."""
        self.open_item(event.item)

    def open_item(self, item: Tracked) -> None:
        """Show an item's history; the chat keys act on it from now on."""
        self.chat.opened = item
        self.query_one(MessagePane).show(item)
        self.sidebar.show_details(item)

    def on_message_pane_loaded(self, event: MessagePane.Loaded) -> None:
        """Update the list row; say in the banner what stopped the API, if anything."""
        self.sidebar.refresh_item(event.item)
        self.sidebar.show_details(event.item)
        self.explain(event.error)
        self._learn_server(event.item)

    async def on_chat_panel_changed(self, event: ChatPanel.Changed) -> None:
        """A run changed an item: it moves up the list, still highlighted.

        A stored completion continued as a new one: the new one is highlighted, and opened
        in place of the one it continues.
        """
        await self.reload_list(select_pk=event.item.pk)
        opened = self.chat.opened
        if event.previous is not None and opened is not None and opened.pk == event.previous.pk:
            self.open_item(event.item)

    @work(group="server", exit_on_error=False, description="reading what the server offers")
    @guarded("reading what the server offers", "Details shows it after the next open.")
    async def _learn_server(self, item: Tracked) -> None:
        """Tell Details what the item's server was found to lack (nothing when it lacks nothing)."""
        from tui.ops.capabilities import lacking

        text = await lacking(self.svc.registry, item.connection)
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

    def _current(self) -> Tracked | None:
        item = self.items.current
        if item is None:
            self.notify("Nothing selected.", severity="warning")
        return item

    def _live(self) -> Tracked | None:
        """The highlighted item, unless it was deleted (its archive is read-only)."""
        item = self._current()
        if item is not None and item.state is ItemState.DELETED:
            self.notify(DELETED_READ_ONLY, severity="warning")
            return None
        return item

    # the list

    def action_filter(self) -> None:
        """Focus the filter box."""
        self.query_one("#filter", Input).focus()

    def action_help(self) -> None:
        """Show the keys."""
        from tui.app.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    async def action_toggle_deleted(self) -> None:
        """Show or hide deleted items."""
        await self.sidebar.toggle_deleted()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted item, and move down."""
        self.sidebar.toggle_mark()

    async def action_mark_all(self) -> None:
        """Mark every item the filter matches."""
        await self.sidebar.mark_all()

    def action_clear_marks(self) -> None:
        """Unmark everything."""
        self.sidebar.clear_marks()

    # chat

    async def action_chat(self) -> None:
        """Open the composer under the opened item's history."""
        await self.chat.start_chat()

    async def action_cancel_run(self) -> None:
        """Cancel the reply running on the opened item."""
        await self.chat.cancel_run()

    def action_choose(self) -> None:
        """Choose the assistant or model replies on the opened item come from."""
        self.chat.choose()

    def action_tools(self) -> None:
        """Edit the function tools offered with the opened conversation's messages."""
        self.chat.edit_tools()

    # copy and export

    def copy_text(self, text: str, what: str) -> None:
        """Copy with the system clipboard, or OSC 52 where there is none (SSH, headless)."""
        import pyperclip

        try:
            pyperclip.copy(text)
            how = "clipboard"
        except pyperclip.PyperclipException:
            self.app.copy_to_clipboard(text)
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
        from tui.ops.exporting import load_history, markdown

        item = self._current()
        if item is None:
            return
        api, why = self.svc.api_for(item)
        history = await load_history(self.svc.registry, item, api, why_no_api=why)
        self.copy_text(markdown(history), f"{len(history.turns)} messages as Markdown")

    def action_export(self) -> None:
        """Export the highlighted item to a file (.md or .json)."""
        from tui.app.screens.prompt import PromptDialog

        item = self._current()
        if item is None:
            return
        dialog = PromptDialog("Export", "File (.md or .json):", f"{item.id}.md")

        def export(result: PromptResult | None) -> None:
            self._export(item, result)

        self.app.push_screen(dialog, export)

    @work(exclusive=True, group="export", exit_on_error=False, description="exporting")
    @guarded("exporting", "Press e to try again.")
    async def _export(self, item: Tracked, result: PromptResult | None) -> None:
        from tui.ops.exporting import as_json, load_history, markdown

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

    # rename, metadata, create, import, refresh

    def action_rename(self) -> None:
        """Rename the highlighted item (locally, or also as metadata.title)."""
        from tui.app.screens.prompt import PromptDialog

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

        self.app.push_screen(dialog, rename)

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
        self.sidebar.refresh_item(renamed.item)
        self.sidebar.show_details(renamed.item)

    def action_metadata(self) -> None:
        """Edit the highlighted item's metadata."""
        from tui.app.screens.metadata import MetadataDialog

        item = self._live()
        if item is None:
            return
        dialog = MetadataDialog(item.id, item.metadata)

        def save(result: dict[str, str] | None) -> None:
            self._metadata(item, result)

        self.app.push_screen(dialog, save)

    @work(exclusive=True, group="metadata", exit_on_error=False, description="saving metadata")
    @guarded(
        "saving metadata",
        "Nothing was saved here; the server may have applied it: press r to reload the item.",
    )
    async def _metadata(self, item: Tracked, result: dict[str, str] | None) -> None:
        from tui.ops.metadata import save_metadata

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
        self.sidebar.refresh_item(saved.item)
        self.sidebar.show_details(saved.item)
        severity: SeverityLevel = "information" if saved.applied else "warning"
        self.notify(saved.message(), severity=severity, markup=False)

    def action_new(self) -> None:
        """Create a thread or conversation."""
        from tui.app.screens.new_item import NewItemDialog

        kind = self.svc.profile.kind or Kind.CONVERSATION

        def create(wanted: NewItem | None) -> None:
            self._create(wanted)

        self.app.push_screen(NewItemDialog(kind), create)

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
            self.chat.send(item, new.first_message)

    def action_import(self) -> None:
        """Track the IDs of a paste, a traces or session file, or a database."""
        from tui.app.screens.import_dialog import ImportDialog  # its log widget loads on use

        self.app.push_screen(ImportDialog(self._import_text), self._imported)

    async def _import_text(self, road: Road, source: str, query: str) -> RoadResult:
        from tui.ops.roads import import_road

        api_for = self.svc.api_for_kind if self.svc.has_key else None
        done = await import_road(
            road,
            source,
            self.svc.registry,
            self.svc.profile.connection,
            api_for=api_for,
            query=query,
        )
        if api_for is None and done.total:
            self.notify("No API key: IDs were recorded without checking them.", severity="warning")
        return done

    def action_discover(self) -> None:
        """Track what the chosen profile's server lists (a line per list)."""
        from tui.app.screens.discover_dialog import DiscoverDialog
        from tui.ops.discovering import discover

        if not self.svc.has_key:
            self.notify(self.svc.no_key_banner() or "", severity="warning", markup=False)
            return

        async def discoverer(heard: Heard) -> list[Listing]:
            lister = self.svc.lister()
            return await discover(
                self.svc.registry, self.svc.profile.connection, lister, heard=heard
            )

        self.app.push_screen(DiscoverDialog(discoverer), self._imported)

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
        self.sidebar.refresh_item(refreshed.item)
        self.open_item(refreshed.item)

    # deletion

    @work(group="delete", exclusive=True, exit_on_error=False, description="deleting")
    @guarded("deleting", "Items not deleted stay as they were; press d to try again.")
    async def action_delete(self) -> None:
        """Delete the marked items (or the highlighted one), after confirmation."""
        from tui.app.screens.confirm_delete import ConfirmDelete
        from tui.app.screens.delete_progress import DeleteProgress
        from tui.ops.deleting import BulkDelete
        from tui.ops.plan import Policy, make_plan, responses_of

        current = self.items.current
        keys = sorted(self.marked) or ([current.pk] if current else [])
        found = await self.svc.registry.get_many(keys)
        items = [i for i in found if i.state is not ItemState.DELETED]
        if not items:
            self.notify("Nothing to delete: mark items with space, or highlight one.")
            return
        counts = await responses_of(self.svc.registry, items)
        plan = make_plan(items, self.svc.bulk_api_for, Policy(), responses=counts)
        policy = await self.app.push_screen_wait(ConfirmDelete(plan))
        if policy is None:
            self.notify("Nothing deleted.")
            return
        engine = BulkDelete(
            self.svc.registry,
            self.svc.bulk_api_for,
            archive=policy.archive,
            allow_incomplete=policy.allow_incomplete,
            deep=policy.deep,
            files=policy.files,
        )
        everything = list(plan.items) + [item for item, _ in plan.skipped]
        progress = await self.app.push_screen_wait(DeleteProgress(engine, everything))
        await self._after_delete(progress)

    @work(group="erase", exclusive=True, exit_on_error=False, description="erasing")
    @guarded("erasing", "Items not deleted keep their content here; erase again to retry.")
    async def action_erase(self) -> None:
        """Delete and erase every item with the filter's ``key=value`` pairs, after asking."""
        from tui.app.screens.confirm_erase import ConfirmErase
        from tui.app.screens.delete_progress import DeleteProgress
        from tui.ops.erasing import Erase, pairs_text, plan_erase

        query = self.sidebar.current_query()
        if not query.meta:
            self.notify(NO_PAIRS, title="Erase by metadata", severity="warning", timeout=15)
            return
        if query.pairs_left_out:
            self.notify(f"Not erased: {query.notice}", severity="warning", timeout=15, markup=False)
            return
        plan = await plan_erase(
            self.svc.registry, query.meta, self.svc.bulk_api_for, ignored_words=query.text
        )
        if not plan.items and not plan.skipped:
            self.notify(f"No tracked item has {pairs_text(query.meta)}.", markup=False)
            return
        if await self.app.push_screen_wait(ConfirmErase(plan)) is None:
            self.notify("Nothing deleted or erased.")
            return
        eraser = Erase(self.svc.registry, self.svc.bulk_api_for, plan)

        def erased() -> list[str]:
            return eraser.result.lines() if eraser.result is not None else []

        sent = list(plan.deletion.items) + [item for item, _ in plan.skipped]
        screen = DeleteProgress(eraser, sent, title="Deleting and erasing", after=erased)
        progress = await self.app.push_screen_wait(screen)
        gone = {e.item.pk for e in eraser.result.erased} if eraser.result else set()
        self.marked.difference_update(gone)
        await self.reload_list()
        opened = self.query_one(MessagePane).item
        if opened is not None and opened.pk in gone:
            fresh = await self.svc.registry.get_pk(opened.pk)
            if fresh is not None:
                self.open_item(fresh)  # its history is gone from here too
        kept = len(eraser.result.kept) if eraser.result else len(progress.outcomes)
        self.notify(
            f"Erased {len(gone):,}"
            + (f"; {kept:,} kept their content (see the summary)" if kept else "")
            + ".",
            severity="warning" if kept else "information",
        )

    async def offer_resume(self) -> None:
        """On start: offer to finish deletions an earlier run left unfinished."""
        from tui.ops.resume import interrupted

        pending = await interrupted(self.svc.registry)
        if pending:
            self._resume(pending)

    @work(group="delete", exclusive=True, exit_on_error=False, description="resuming deletions")
    @guarded("resuming deletions", "They are offered again the next time the app starts.")
    async def _resume(self, pending: list[Pending]) -> None:
        from tui.app.screens.delete_progress import DeleteProgress
        from tui.app.screens.interrupted import InterruptedDeletions
        from tui.ops.resume import put_back, resumed

        choice = await self.app.push_screen_wait(InterruptedDeletions(pending))
        registry = self.svc.registry
        if choice == "put back":
            count = await unbroken(put_back(registry, pending, source="app"))
            self.notify(f"{count:,} interrupted deletions put back.")
            await self.reload_list()
        elif choice == "resume":
            engine = resumed(registry, self.svc.bulk_api_for, pending)
            items = [p.item for p in pending]
            progress = await self.app.push_screen_wait(DeleteProgress(engine, items, resumed=True))
            await self._after_delete(progress)

    async def _after_delete(self, progress: Progress) -> None:
        """Unmark what is gone, redraw the list, show a deleted item as read-only."""
        from tui.ops.deleting import Result

        gone = {o.item.pk for o in progress.outcomes if o.result in (Result.DELETED, Result.GONE)}
        self.marked.difference_update(gone)
        await self.reload_list()
        opened = self.query_one(MessagePane).item
        if opened is not None and opened.pk in gone:
            fresh = await self.svc.registry.get_pk(opened.pk)
            if fresh is not None:
                self.open_item(fresh)  # read-only now: chat and edits are refused
        deleted = progress.count(Result.DELETED, Result.GONE)
        failed = progress.count(Result.FAILED)
        self.notify(
            f"Deleted {deleted:,}"
            + (f"; {failed:,} failed (see the summary)" if failed else "")
            + ". Deleted items stay readable: press A to show them.",
            severity="warning" if failed else "information",
        )

    # migration

    @work(group="migrate", exclusive=True, exit_on_error=False, description="migrating")
    @guarded(
        "migrating",
        "Press M to try again: a migration goes on from what the conversation already holds.",
    )
    async def action_migrate(self) -> None:
        """Migrate the highlighted thread or chain (or open the conversation it went to)."""
        thread = self.items.current
        if thread is None or thread.kind not in (Kind.THREAD, Kind.RESPONSE):
            self.notify(
                "Highlight a thread or a response chain: only those are migrated to conversations."
            )
            return
        source, why = self.svc.api_for(thread)
        target, why_not = self.svc.api_on(thread.connection, Kind.CONVERSATION)
        if target is None:
            self.notify(why_not, title="Cannot migrate", severity="error", markup=False)
            return
        self.notify(f"Migrating {thread.id} to a conversation…", markup=False)
        from tui.ops.migrating import migrate  # with the sending rules it needs, on first use

        try:
            done = await migrate(self.svc.registry, thread, source, target, why_no_source=why)
        except ApiError as exc:
            self.notify(str(exc), title="Migration stopped", severity="error", markup=False)
            return
        assert done.conversation is not None
        if done.already:
            message = f"{thread.id} was migrated already, to {done.conversation.id}."
        else:
            message = (
                f"{thread.id} → {done.conversation.id}: {done.items} items from the {done.source}."
            )
        notes = "".join(f"\n{note}" for note in done.notes)
        self.notify(message + notes, title="Migrated", markup=False, timeout=10)
        await self.reload_list(select_pk=done.conversation.pk)
        fresh = await self.svc.registry.get_pk(done.conversation.pk)
        if fresh is not None:
            self.open_item(fresh)
