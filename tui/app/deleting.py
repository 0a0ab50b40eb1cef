"""Marking items and deleting them: confirmation, progress, summary, and resuming."""

from __future__ import annotations

from textual import work
from textual.app import App

from tui.app.failures import guarded
from tui.app.list_source import ListSource
from tui.app.screens.confirm_delete import ConfirmDelete
from tui.app.screens.delete_progress import DeleteProgress
from tui.app.screens.interrupted import InterruptedDeletions
from tui.app.services import Services
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.thread_list import ThreadList
from tui.model import ItemState, Tracked
from tui.ops.bulk import BulkDelete, Progress, Result
from tui.ops.items import unbroken
from tui.ops.plan import Policy, make_plan
from tui.ops.resume import Pending, interrupted, put_back, resumed
from tui.store import Query


class DeleteMixin(App[None]):
    """The app's deletion side; the app provides ``svc``, ``current_query`` and the list."""

    services: Services | None

    @property
    def svc(self) -> Services:
        """The services (open once mounted)."""
        assert self.services is not None
        return self.services

    def current_query(self) -> Query:
        """The list's query (the app's filter box and toggles)."""
        raise NotImplementedError

    async def reload_list(self, select_pk: int | None = None) -> None:
        """Re-run the list's query (the app's)."""
        raise NotImplementedError

    def open_item(self, item: Tracked) -> None:
        """Show an item in the pane (the app's)."""
        raise NotImplementedError

    @property
    def marked(self) -> set[int]:
        """Row keys of the items marked for deletion."""
        return self.query_one(ThreadList).marked

    def marks_label(self) -> str:
        """`` · N marked`` for the list's title, when any are."""
        return f" · {len(self.marked):,} marked" if self.marked else ""

    def _show_count(self, source: ListSource) -> None:
        """Show the list's count (the app's), with :meth:`marks_label`."""
        raise NotImplementedError

    def _marks_changed(self) -> None:
        thread_list = self.query_one(ThreadList)
        thread_list.refresh()
        if thread_list.source is not None:
            self._show_count(thread_list.source)

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted item, and move down."""
        thread_list = self.query_one(ThreadList)
        item = thread_list.current
        if item is None:
            return
        self.marked.symmetric_difference_update({item.pk})
        thread_list.action_move(1)
        self._marks_changed()

    async def action_mark_all(self) -> None:
        """Mark every item the filter matches (refused when the filter had to be shortened)."""
        query = self.current_query()
        if query.notice:
            self.notify(
                "Not marked: the filter was shortened, so it matches more than it says "
                f"({query.notice}). Narrow it to fewer words first.",
                severity="warning",
                markup=False,
            )
            return
        keys = await self.svc.registry.search.keys(query)
        self.marked.update(keys)
        self._marks_changed()
        self.notify(f"{len(keys):,} items marked: every one the filter matches.")

    def action_clear_marks(self) -> None:
        """Unmark everything."""
        self.marked.clear()
        self._marks_changed()

    @work(group="delete", exclusive=True, exit_on_error=False)
    @guarded("deleting", "Items not deleted stay as they were; press d to try again.")
    async def action_delete(self) -> None:
        """Delete the marked items (or the highlighted one), after confirmation."""
        current = self.query_one(ThreadList).current
        keys = sorted(self.marked) or ([current.pk] if current else [])
        found = await self.svc.registry.get_many(keys)
        items = [i for i in found if i.state is not ItemState.DELETED]
        if not items:
            self.notify("Nothing to delete: mark items with space, or highlight one.")
            return
        plan = make_plan(items, self.svc.bulk_api_for, Policy())
        policy = await self.push_screen_wait(ConfirmDelete(plan))
        if policy is None:
            self.notify("Nothing deleted.")
            return
        engine = BulkDelete(
            self.svc.registry,
            self.svc.bulk_api_for,
            archive=policy.archive,
            allow_incomplete=policy.allow_incomplete,
        )
        everything = list(plan.items) + [item for item, _ in plan.skipped]
        progress = await self.push_screen_wait(DeleteProgress(engine, everything))
        await self._after_delete(progress)

    async def offer_resume(self) -> None:
        """On start: offer to finish deletions an earlier run left unfinished."""
        pending = await interrupted(self.svc.registry)
        if pending:
            self._resume(pending)

    @work(group="delete", exclusive=True, exit_on_error=False)
    @guarded("resuming deletions", "They are offered again the next time the app starts.")
    async def _resume(self, pending: list[Pending]) -> None:
        choice = await self.push_screen_wait(InterruptedDeletions(pending))
        registry = self.svc.registry
        if choice == "put back":
            count = await unbroken(put_back(registry, pending, source="app"))
            self.notify(f"{count:,} interrupted deletions put back.")
            await self.reload_list()
        elif choice == "resume":
            engine = resumed(registry, self.svc.bulk_api_for, pending)
            items = [p.item for p in pending]
            progress = await self.push_screen_wait(DeleteProgress(engine, items, resumed=True))
            await self._after_delete(progress)

    async def _after_delete(self, progress: Progress) -> None:
        """Unmark what is gone, redraw the list, show a deleted item as read-only."""
        gone = {o.item.pk for o in progress.outcomes if o.result in (Result.DELETED, Result.GONE)}
        self.marked.difference_update(gone)
        await self.reload_list()
        opened: Tracked | None = self.query_one(MessagePane).item
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
