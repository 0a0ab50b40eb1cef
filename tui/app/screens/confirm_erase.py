"""The confirmation before an erase by metadata: a deletion's, saying what goes from here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from tui.app.screens.confirm_delete import ConfirmDelete
from tui.ops.erasing import POLICY, ErasePlan
from tui.ops.plan import Policy


class ConfirmErase(ConfirmDelete):
    """Shows an :class:`ErasePlan`; returns the erase's :class:`Policy`, or ``None``.

    The keys are a deletion's (``y``, or the number typed for more than
    ``TYPE_THE_NUMBER_ABOVE`` items, ``n`` or ``escape`` cancels); there is nothing to
    choose: an erase never archives first.
    """

    DEFAULT_CSS = """
    ConfirmErase { align: center middle; }
    ConfirmErase > Vertical { width: 84; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 1 2; overflow-y: auto; }
    ConfirmErase .title { text-style: bold; color: $error; margin-bottom: 1; }
    ConfirmErase .hint { color: $text-muted; margin-top: 1; }
    ConfirmErase .refused { color: $error; }
    """

    def __init__(self, plan: ErasePlan) -> None:
        super().__init__(plan.confirmation)
        self.erase = plan

    def compose(self) -> ComposeResult:
        """The plan in sentences, and the question."""
        with Vertical():
            yield Label("Delete on the server and erase here?", classes="title")
            yield Static("\n".join(self.erase.lines()), markup=False, id="plan")
            yield from self.question("delete and erase", "y deletes and erases")

    def _policy(self) -> Policy:
        return POLICY
