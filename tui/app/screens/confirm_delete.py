"""The confirmation before any deletion: what, where, and whether to archive first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from tui.model import Kind
from tui.ops.plan import DeletionPlan, Policy

ALLOW_INCOMPLETE = "Delete even if the archive may be incomplete (may lose messages)"
DEEP = "Deep: with a conversation's items and known responses"
FILES = "Threads: with their files and vector stores nothing else uses"


class ConfirmDelete(ModalScreen[Policy | None]):
    """Shows a :class:`DeletionPlan`; returns the user's :class:`Policy`, or ``None``.

    Up to ``TYPE_THE_NUMBER_ABOVE`` items confirm with ``y``; more need their number
    typed. ``n`` or ``escape`` cancels and nothing happens.
    """

    DEFAULT_CSS = """
    ConfirmDelete { align: center middle; }
    ConfirmDelete > VerticalScroll { width: 84; height: auto; max-height: 90%;
        scrollbar-size-vertical: 1;
        border: thick $error; background: $surface; padding: 1 2; }
    ConfirmDelete .title { text-style: bold; color: $error; margin-bottom: 1; }
    ConfirmDelete .warning { color: $warning; margin-top: 1; }
    ConfirmDelete .hint { color: $text-muted; margin-top: 1; }
    ConfirmDelete .refused { color: $error; }
    ConfirmDelete Checkbox { border: none; padding: 0 1; height: 1; margin-top: 0; }
    ConfirmDelete Checkbox:focus { background: $boost; }
    ConfirmDelete #archive { margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "cancel", "No", show=False),
        Binding("y", "confirm", "Yes", show=False),
    ]

    def __init__(self, plan: DeletionPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        """The plan, the archive switch, and the question."""
        plan = self.plan
        with VerticalScroll():
            yield Label("Delete on the server?", classes="title")
            yield Static("\n".join(plan.summary()), markup=False)
            warning = plan.warning()
            if warning:
                yield Static(warning, classes="warning", markup=False)
            coverage = plan.coverage()
            if coverage:
                yield Static("\n".join(coverage), classes="hint", markup=False)
            doubts = plan.doubts()
            if doubts:
                yield Static("\n".join(doubts), classes="warning", markup=False)
            yield Checkbox(
                "Archive each history first (keeps it readable here)", plan.archive, id="archive"
            )
            yield Checkbox(ALLOW_INCOMPLETE, plan.policy.allow_incomplete, id="incomplete")
            yield Checkbox(DEEP, plan.policy.deep, id="deep")
            if any(i.kind is Kind.THREAD for i in plan.items):
                yield Checkbox(FILES, plan.policy.files, id="files")
            yield from self.question()

    def question(self, verb: str = "delete", keys: str = "y deletes") -> ComposeResult:
        """The question: ``y``, or the number typed for more than a few items."""
        plan = self.plan
        if not plan.items:
            yield Static("Nothing can be deleted from here. Press escape.", classes="hint")
        elif plan.typed:
            yield Static(
                f"{len(plan.items):,} items: type {len(plan.items)} and press enter to "
                f"{verb} them, or escape to cancel.",
                classes="hint",
            )
            yield Input(placeholder=f"type {len(plan.items)}", id="count")
            yield Static("", classes="refused", id="refused")
        else:
            yield Static(f"{keys} · n or escape cancels", classes="hint")

    def on_mount(self) -> None:
        """Focus the box where the number is typed, if there is one."""
        if self.plan.typed and self.plan.items:
            self.query_one("#count", Input).focus()

    def _policy(self) -> Policy:
        files = self.query("#files").results(Checkbox)
        return Policy(
            archive=self.query_one("#archive", Checkbox).value,
            allow_incomplete=self.query_one("#incomplete", Checkbox).value,
            deep=self.query_one("#deep", Checkbox).value,
            files=any(box.value for box in files),
        )

    def action_confirm(self) -> None:
        """``y`` confirms a small deletion (a large one needs its number typed)."""
        if self.plan.items and not self.plan.typed:
            self.dismiss(self._policy())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the number box: the right number confirms; anything else is refused."""
        event.stop()
        if self.plan.accepts(event.value):
            self.dismiss(self._policy())
            return
        self.query_one("#refused", Static).update(
            f"That is not {len(self.plan.items)}: nothing was deleted. Type the number, "
            "or press escape."
        )
        event.input.value = ""

    def action_cancel(self) -> None:
        """Nothing happens."""
        self.dismiss(None)
