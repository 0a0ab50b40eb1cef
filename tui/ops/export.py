"""Export a whole history as Markdown or JSON, from the API or else from the archive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from tui.api.errors import ApiError, NotFound
from tui.api.protocol import ConversationApi
from tui.model import ItemState, Tracked, Turn, TurnKind
from tui.store import Registry
from tui.text import clean

PAGE = 100
_TURNS = TypeAdapter(list[Turn])


@dataclass(frozen=True, slots=True)
class History:
    """A full history and where it came from (``api`` or ``archive``)."""

    item: Tracked
    turns: list[Turn]
    source: str
    note: str = ""


async def fetch_all(registry: Registry, item: Tracked, api: ConversationApi) -> Tracked:
    """Page through the whole history, archiving every page on the way.

    A thread's pages are completed with their runs' usage and tool calls (kept only in
    run steps, which go when the thread goes).
    """
    page = await api.history(item.id, limit=PAGE)
    turns = await api.enrich(item.id, page.turns)
    item = await registry.archive.store(item, turns, complete=not page.has_older)
    while page.older_cursor is not None:
        cursor = page.older_cursor
        page = await api.history(item.id, before=cursor, limit=PAGE)
        turns = await api.enrich(item.id, page.turns)
        item = await registry.archive.store(
            item, turns, older_than=cursor, complete=not page.has_older
        )
    return item


async def load_history(
    registry: Registry, item: Tracked, api: ConversationApi | None, *, why_no_api: str = ""
) -> History:
    """The full history from the API; when the API cannot serve it, from the archive.

    A 404 marks the item ``missing``; ``why_no_api`` says why ``api`` is ``None``. A
    deleted item is read from the archive only.
    """
    reason = why_no_api or "no API connection for it"
    if item.state is ItemState.DELETED:
        api, reason = None, "it was deleted on its server"
    if api is not None:
        try:
            item = await fetch_all(registry, item, api)
            return History(item, await registry.archive.all(item), "api")
        except NotFound as exc:
            item = await registry.set_state(item, ItemState.MISSING, source="export", detail="404")
            reason = str(exc)
        except ApiError as exc:
            reason = str(exc)
    turns = await registry.archive.all(item)
    note = f"Exported from the local archive ({len(turns)} messages), because: {reason}"
    return History(item, turns, "archive", note)


def _turn_markdown(turn: Turn) -> str:
    when = turn.created_at.strftime("%Y-%m-%d %H:%M UTC") if turn.created_at else ""
    head = f"### {turn.role}" + (f" · {when}" if when else "") + f" · `{turn.id}`"
    lines = [head, ""]
    if turn.text:
        lines += [clean(turn.text), ""]
    for part in turn.parts:
        if part.ref:
            lines += [f"*{part.type}: `{clean(part.ref)}`*", ""]
    for call in turn.tool_calls:
        if turn.kind is TurnKind.TOOL_OUTPUT:
            lines += [
                f"Tool output for `{call.call_id}`:",
                "",
                "```",
                clean(call.output or ""),
                "```",
                "",
            ]
        else:
            lines += [
                f"Tool call `{clean(call.name)}` (`{call.call_id}`):",
                "",
                "```json",
                clean(call.arguments),
                "```",
                "",
            ]
    return "\n".join(lines)


def markdown(history: History) -> str:
    """The history as a Markdown document."""
    item = history.item
    meta = "".join(f"- `{clean(k)}`: {clean(v)}\n" for k, v in sorted(item.metadata.items()))
    header = [
        f"# {clean(item.title)}",
        "",
        f"- ID: `{item.id}` ({item.kind.value})",
        f"- Connection: {item.connection.label}",
        f"- Created: {item.created_at.isoformat() if item.created_at else 'unknown'}",
        f"- Messages: {len(history.turns)}",
        f"- Exported: {datetime.now(UTC).isoformat(timespec='seconds')} from {history.source}",
        "",
    ]
    if history.note:
        header += [f"> {clean(history.note)}", ""]
    if meta:
        header += ["Metadata:", "", meta]
    return "\n".join(header) + "\n" + "\n".join(_turn_markdown(t) for t in history.turns)


def as_json(history: History) -> str:
    """The history as one JSON document."""
    item = history.item
    doc: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind.value,
        "title": item.title,
        "connection": {
            "base_url": item.connection.base_url,
            "organization": item.connection.organization,
            "project": item.connection.project,
        },
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "metadata": item.metadata,
        "state": item.state.value,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": history.source,
        "note": history.note,
        "turns": _TURNS.dump_python(history.turns, mode="json"),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
