"""``M``: carry the highlighted thread into a conversation and open it."""

from __future__ import annotations

from textual import work
from textual.app import App

from tui.api.errors import ApiError
from tui.app.failures import guarded
from tui.app.services import Services
from tui.app.widgets.thread_list import ThreadList
from tui.model import Kind, Tracked
from tui.ops.migrate import migrate


class MigrateMixin(App[None]):
    """The app's migration action; the app provides ``svc``, the list and ``open_item``."""

    services: Services | None

    @property
    def svc(self) -> Services:
        """The services (open once mounted)."""
        raise NotImplementedError

    async def reload_list(self, select_pk: int | None = None) -> None:
        """Re-run the list's query (the app's)."""
        raise NotImplementedError

    def open_item(self, item: Tracked) -> None:
        """Show an item in the pane (the app's)."""
        raise NotImplementedError

    @work(group="migrate", exclusive=True, exit_on_error=False)
    @guarded(
        "migrating",
        "Press M to try again: a migration goes on from what the conversation already holds.",
    )
    async def action_migrate(self) -> None:
        """Migrate the highlighted thread (or open the conversation it went to)."""
        thread = self.query_one(ThreadList).current
        if thread is None or thread.kind is not Kind.THREAD:
            self.notify("Highlight a thread: only threads are migrated to conversations.")
            return
        source, why = self.svc.api_for(thread)
        target, why_not = self.svc.api_on(thread.connection, Kind.CONVERSATION)
        if target is None:
            self.notify(why_not, title="Cannot migrate", severity="error", markup=False)
            return
        self.notify(f"Migrating {thread.id} to a conversation…", markup=False)
        try:
            done = await migrate(
                self.svc.registry,
                thread,
                source,
                target,
                why_no_source=why,
            )
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
