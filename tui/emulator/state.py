"""The emulator's in-memory state, isolated per API key like projects are."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tui.emulator.events import EventLog
from tui.emulator.paging import OrderedStore

Obj = dict[str, Any]


@dataclass
class RunRec:
    """A run and what drives it."""

    obj: Obj
    steps: OrderedStore = field(default_factory=OrderedStore)
    log: EventLog = field(default_factory=EventLog)
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    tool_outputs: list[Obj] | None = None
    resumed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class ThreadRec:
    """A thread with its messages and runs."""

    obj: Obj
    messages: OrderedStore = field(default_factory=OrderedStore)
    runs: dict[str, RunRec] = field(default_factory=dict)
    run_order: OrderedStore = field(default_factory=OrderedStore)

    def active_run(self) -> RunRec | None:
        """The run that still blocks this thread, if any."""
        for rec in reversed(list(self.runs.values())):
            if rec.obj["status"] in ("queued", "in_progress", "requires_action", "cancelling"):
                return rec
        return None


@dataclass
class ConversationRec:
    """A conversation with its items."""

    obj: Obj
    items: OrderedStore = field(default_factory=OrderedStore)


@dataclass
class ResponseRec:
    """A response and what drives it.

    ``input_items`` is everything the model reads: the items of the response chain it
    continues (``inherited`` of them, from ``previous_response_id``) and then its own input.
    """

    obj: Obj
    log: EventLog = field(default_factory=EventLog)
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    sequence: int = 0
    input_items: list[Obj] = field(default_factory=list)
    inherited: int = 0

    @property
    def new_input(self) -> list[Obj]:
        """The items this response's own request sent (after those its chain carried)."""
        return self.input_items[self.inherited :]

    def context(self) -> list[Obj]:
        """What a response chained to this one starts from: its input, then its output."""
        return [*self.input_items, *self.obj["output"]]


@dataclass
class Namespace:
    """Everything one API key can see."""

    assistants: OrderedStore = field(default_factory=OrderedStore)
    threads: dict[str, ThreadRec] = field(default_factory=dict)
    conversations: dict[str, ConversationRec] = field(default_factory=dict)
    responses: dict[str, ResponseRec] = field(default_factory=dict)
    files: OrderedStore = field(default_factory=OrderedStore)
    file_data: dict[str, bytes] = field(default_factory=dict)
    vector_stores: OrderedStore = field(default_factory=OrderedStore)
    vector_store_files: dict[str, OrderedStore] = field(default_factory=dict)
