"""Every command x every fault of the misbehaving-server kit ends clearly, losing nothing.

Each cell runs the real ``thread-browser`` entry point in a child process against a kit
with one fault switched on, then checks what every cell must hold: it ended within its
timeout, no traceback reached the user, the requests were bounded, the registry lists and
``doctor`` passes, and no item was deleted unless its archive holds what the server held.
Then what the issue expects of that fault. Each cell prints one line
``MATRIX <operation> <fault> <outcome> <requests>`` (run with ``-s`` for the table).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.conftest import TEST_KEY
from tests.kit.fixtures import (
    Cli,
    Served,
    lost_messages,
    no_traceback,
    registry_sound,
)
from tests.kit.misbehave import DETAIL, SIZE
from tests.kit.switches import FAULT_NAMES, RETRY_AFTER, Faults
from tests.kit.wire import dashed
from tests.kit.zygote import Finished

STREAM_FAULTS = ("sse_no_event", "sse_endless", "huge_event", "unknown_events")
FAULTS = ("none", *(f for f in FAULT_NAMES if f not in STREAM_FAULTS))
PAGING = ("cursor_ignored", "paging_ignored", "has_more_false", "has_more_true", "same_last_id")
PER_ITEM = 60  # requests one item may take: pages, one probe, run details, the delete
# ...and a deep delete of the conversation deletes then checks each of its items too
DEEP = 2 * SIZE + 2
MAX_RSS_MB = 1024.0  # memory a command may reach, even on a 1,000,000-part message


@dataclass
class Cell:
    """What one command did: its runs, an outcome word, and what it produced."""

    runs: list[Finished]
    outcome: str
    exported: dict | None = None  # ``export --format json``'s document
    counts: dict[str, int | None] = field(default_factory=dict)  # messages each export holds
    summary: dict = field(default_factory=dict)  # ``delete``/``prune --json``'s summary
    faults: Faults = field(default_factory=Faults)  # the switches the command met

    @property
    def output(self) -> str:
        """Everything every run printed."""
        return "".join(r.output for r in self.runs)

    @property
    def last(self) -> Finished:
        """The operation's own run (after any setup run)."""
        return self.runs[-1]


def _words(done: Finished) -> list[str]:
    """Words of the output that tell outcomes apart."""
    text = done.output.lower()
    return [word for word in ("incomplete", "archive", "resum") if word in text]


def _tags(done: Finished) -> str:
    return "+".join([f"exit{done.returncode}", *_words(done)])


def _summary(done: Finished) -> dict:
    try:
        found = json.loads(done.stdout)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _summary_word(done: Finished, summary: dict) -> str:
    counts = [f"{k}={len(v)}" for k, v in summary.items() if isinstance(v, list) and v]
    return f"exit{done.returncode}:" + (",".join(counts) or "nothing")


def op_import(cli: Cli) -> Cell:
    kit = cli.served.kit
    done = cli("import", "--json", "-", input=f"{kit.thread.id}\n{kit.conversation.id}\n")
    return Cell([done], _tags(done))


def op_list(cli: Cli) -> Cell:
    kit = cli.served.kit
    imported = cli("import", "-", input=f"{kit.thread.id}\n{kit.conversation.id}\n")
    listed = cli("list")
    searched = cli("list", "--search", "says")
    outcome = f"exit{listed.returncode}/{searched.returncode}"
    return Cell([imported, searched, listed], outcome)


def export(kind: str) -> Callable[[Cli], Cell]:
    def run(cli: Cli) -> Cell:
        asyncio.run(cli.track_seeded())
        kit = cli.served.kit
        item_id = kit.thread.id if kind == "thread" else kit.conversation.id
        cell = Cell([], "")
        for fmt in ("md", "json"):
            done = cli("export", item_id, "--format", fmt)
            cell.runs.append(done)
            count = None
            if done.returncode == 0 and fmt == "json":
                cell.exported = json.loads(done.stdout)
                count = len(cell.exported["turns"])
            elif done.returncode == 0:
                count = len(re.findall(r"^### ", done.stdout, re.M))
            cell.counts[fmt] = count
            shown = f"{fmt}={_tags(done)}" + ("" if count is None else f":{count}")
            cell.outcome = ",".join(filter(None, (cell.outcome, shown)))
        return cell

    return run


def deleting(*args: str) -> Callable[[Cli], Cell]:
    def run(cli: Cli) -> Cell:
        asyncio.run(cli.track_seeded())
        kit = cli.served.kit
        ids = (kit.thread.id, kit.conversation.id) if args[0] == "delete" else ()
        done = cli(*args, *ids, "--yes", "--json")
        summary = _summary(done)
        cell = Cell([done], "+".join([_summary_word(done, summary), *_words(done)]))
        cell.summary = summary
        return cell

    return run


def op_migrate(cli: Cli) -> Cell:
    asyncio.run(cli.track_seeded())
    done = cli("migrate", cli.served.kit.thread.id)
    return Cell([done], _tags(done))


OPERATIONS: dict[str, Callable[[Cli], Cell]] = {
    "import": op_import,
    "list": op_list,
    "export:thread": export("thread"),
    "export:conv": export("conversation"),
    "delete": deleting("delete"),
    "prune": deleting("prune", "--older-than", "30d"),
    "migrate": op_migrate,
}


ONLY = {"retry_after": ("delete", "prune"), "metadata_dropped": ("migrate",)}
# Deletions retry a 5xx with backoff (0.5 s, doubling, four times): these cells wait ~8 s.
WAITING = {("delete", "html_502"), ("prune", "html_502")}
CELLS = [
    pytest.param(
        operation, fault, marks=[pytest.mark.long] if (operation, fault) in WAITING else []
    )
    for operation in OPERATIONS
    for fault in FAULTS
    if operation in ONLY.get(fault, (operation,))
]


@pytest.mark.parametrize(("operation", "fault"), CELLS)
def test_command_ends_clearly_and_loses_nothing(
    operation: str, fault: str, kit_cli: Cli, served: Served
) -> None:
    cli = kit_cli
    if fault != "none":
        served.switch(fault)
    served.reset_counts()
    cell = OPERATIONS[operation](cli)
    cell.faults = served.kit.faults.copy()
    requests = served.requests
    served.kit.faults.clear()
    print(f"MATRIX {operation} {fault} {cell.outcome} {requests}")
    for run in cell.runs:
        assert not run.timed_out, f"{run.args} did not end within its timeout"
        no_traceback(run.output)
        assert run.max_rss_mb < MAX_RSS_MB, f"{run.args} reached {run.max_rss_mb:.0f} MB"
    deep = DEEP if operation in ("delete", "prune") else 0
    assert requests <= 2 * PER_ITEM + deep, f"{requests} requests"
    rows = registry_sound(cli)
    assert lost_messages(served, cli.db) == {}, "deleted with an archive that lacks messages"
    EXPECT.get(fault, _nothing)(operation, cell, served, rows)


def _nothing(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """No more than what every cell holds."""


def _complete_or_said(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """A history the server would not page through whole is exported whole or said partial."""
    said = "incomplete" in cell.output.lower()
    for fmt, count in cell.counts.items():
        assert count == SIZE or said, f"{fmt}: {count} of {SIZE}, and not said"
    if operation in ("delete", "prune"):
        kept = [h for h in (served.kit.thread, served.kit.conversation) if served.kit.exists(h.id)]
        assert not kept or said, "an item was kept and the reason does not say incomplete"
    if operation == "migrate":
        added = [h for h in served.kit.holders.values() if h.id not in _seeded(served)]
        got = max((len(h.entries) for h in added), default=0)
        assert got == SIZE or said, f"the conversation got {got} of {SIZE}, and not said"


def _seeded(served: Served) -> set[str]:
    return {served.kit.thread.id, served.kit.conversation.id}


def _says_server_words(*words: str) -> Callable[..., None]:
    def check(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
        """What the server said reaches the user."""
        for word in words:
            assert word in cell.output, f"{word!r} not said: {cell.output[-600:]}"

    return check


def _not_supported(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """405: "does not support", never "try again"; messages still export; nothing missing."""
    text = cell.output.lower()
    if operation in ("delete", "prune"):
        assert "not support" in text and "try again" not in text, cell.output[-600:]
    for fmt, count in cell.counts.items():
        assert count == SIZE, f"{fmt}: {count} of {SIZE} exported"
    assert all(r["state"] != "missing" for r in rows), "a 405 marked an item missing"


def _long_wait(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """A 999999 s retry-after ends the run as interrupted and resumable, naming the wait."""
    if operation not in ("delete", "prune"):
        return
    text = cell.output.lower()
    assert "resum" in text, cell.output[-600:]
    assert re.search(rf"{RETRY_AFTER}|11 days|277 h|11\.6 days", text), cell.output[-600:]
    assert served.kit.exists(served.kit.thread.id) and served.kit.exists(served.kit.conversation.id)


def _read_as_sent(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """Lenient reading: every message exported, IDs whole, text as the server had it."""
    if operation in ("import", "list"):
        assert cell.last.returncode == 0, cell.output[-600:]
        assert len(rows) == 2 and all(r["created_at"].startswith("2024") for r in rows), rows
        return
    if not operation.startswith("export"):
        return
    for fmt, count in cell.counts.items():
        assert count == SIZE, f"{fmt}: {count} of {SIZE}: {cell.output[-600:]}"
    if cell.exported is None:
        return
    kit = served.kit
    holder = kit.thread if operation.endswith("thread") else kit.conversation
    shown = [dashed(e.id, cell.faults) for e in holder.entries]
    turns = cell.exported["turns"]
    assert [t["id"] for t in turns] == shown
    texts = ["\n\n".join(p.get("text") or "" for p in t["parts"]) for t in turns]
    assert texts == [e.text for e in holder.entries]
    stamps = [t["created_at"] for t in turns if t.get("created_at")]
    assert all(s.startswith("2024") for s in stamps), stamps[:3]


def _said_for_the_item(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """A field of the wrong type: read around it, or one clear error naming the field."""
    if any(count != SIZE for count in cell.counts.values()):
        assert "content" in cell.output, cell.output[-600:]


def _dropped_metadata_said(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """A server that kept none of the metadata sent: the migration says so."""
    if operation == "migrate":
        assert "metadata" in cell.output.lower(), cell.output[-600:]


def _key_stays_home(operation: str, cell: Cell, served: Served, rows: list[dict]) -> None:
    """A redirect to another host never carries the API key there."""
    assert TEST_KEY not in served.other().keys_seen


EXPECT: dict[str, Callable[[str, Cell, Served, list[dict]], None]] = {
    **dict.fromkeys(PAGING, _complete_or_said),
    "html_502": _says_server_words("502", "Bad Gateway"),
    "detail_errors": _says_server_words(DETAIL),
    "not_allowed": _not_supported,
    "retry_after": _long_wait,
    **dict.fromkeys(("string_content", "iso_times", "ms_times", "dash_ids"), _read_as_sent),
    "tool_choice_null": _read_as_sent,
    "none": _read_as_sent,
    "wrong_shape": _said_for_the_item,
    "metadata_dropped": _dropped_metadata_said,
    "redirect_to": _key_stays_home,
}
