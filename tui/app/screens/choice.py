"""Pick what replies come from: an assistant (threads) or a model (conversations)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.app.failures import describe, record
from tui.model import Choice, Kind
from tui.text import clean

Loader = Callable[[], Awaitable[list[Choice]]]


class ChoiceDialog(ModalScreen[str | None]):
    """A searchable list of assistants or models; a typed ID or name is accepted too.

    For threads, ctrl+n creates an assistant (name, model, instructions).
    """

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical { width: 80; height: 24; border: thick $primary;
        background: $surface; padding: 1 2; }
    ChoiceDialog Label.title { text-style: bold; }
    ChoiceDialog Label.hint { color: $text-muted; }
    ChoiceDialog OptionList { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+n", "create", "New assistant"),
        Binding("down", "list", "List", show=False),
    ]

    def __init__(self, kind: Kind, load: Loader, current: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.load = load
        self.current = current
        self.choices: list[Choice] = []

    @property
    def noun(self) -> str:
        """What is chosen."""
        return "assistant" if self.kind is Kind.THREAD else "model"

    def compose(self) -> ComposeResult:
        """Title, search box, list."""
        with Vertical():
            yield Label(f"Reply with which {self.noun}?", classes="title")
            hint = "type to search, or type an ID or name and press enter"
            if self.kind is Kind.THREAD:
                hint += " · ctrl+n new assistant"
            yield Label(hint, classes="hint")
            yield Input(self.current or "", placeholder=f"{self.noun}…", id="search")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        """Load the list."""
        self._load()

    @work(exclusive=True, group="choices", exit_on_error=False, description="listing choices")
    async def _load(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_option(Option(f"loading {self.noun}s…", disabled=True))
        try:
            self.choices = await self.load()
        except Exception as exc:
            record(f"listing {self.noun}s", exc)
            options.clear_options()
            cannot = f"Cannot list: {describe(exc)} Type one instead."
            options.add_option(Option(Text(cannot), disabled=True))
            return
        self._fill(self.query_one("#search", Input).value)

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        needle = text.strip().lower()
        for choice in self.choices:
            label = clean(choice.name)
            if choice.id != choice.name:
                label += f"  {choice.id}"
            if choice.model and choice.model != choice.name:
                label += f"  ({clean(choice.model)})"
            if needle and needle not in label.lower():
                continue
            options.add_option(Option(Text(label), id=choice.id))
        if not options.option_count:
            what = f"no {self.noun} matches; enter uses what you typed"
            options.add_option(Option(what, disabled=True))

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        if self.choices:
            self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        exact = [c.id for c in self.choices if text in (c.id, c.name)]
        options = self.query_one(OptionList)
        first = options.get_option_at_index(0) if options.option_count else None
        if exact:
            self.dismiss(exact[0])
        elif first is not None and first.id is not None and text:
            self.dismiss(first.id)
        elif text:
            self.dismiss(text)
        elif first is not None and first.id is not None:
            self.dismiss(first.id)  # enter on an empty box takes the first in the list

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)

    def action_list(self) -> None:
        """Move into the list, on its first entry."""
        options = self.query_one(OptionList)
        options.focus()
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    def action_cancel(self) -> None:
        """Choose nothing."""
        self.dismiss(None)

    def action_create(self) -> None:
        """Create an assistant (threads only)."""
        if self.kind is Kind.THREAD:
            self.dismiss("+new")
