"""Export a whole history as Markdown or JSON, from the API or else from the archive."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from tui.api.convert import CUT, carry_runs
from tui.api.errors import ApiError, NotFound
from tui.api.paging import Fetch, Oldest, Walk
from tui.api.protocol import ConversationApi
from tui.model import HistoryPage, ItemState, Tracked, Turn, TurnKind
from tui.ops.capabilities import remember
from tui.store import Registry
from tui.text import clean, json_text


@cache
def _turns_adapter() -> Any:
    """Pydantic's adapter for a list of turns (pydantic loads on the first JSON export)."""
    from pydantic import TypeAdapter

    return TypeAdapter(list[Turn])


@dataclass(frozen=True, slots=True)
class History:
    """A full history and where it came from (``api`` or ``archive``)."""

    item: Tracked
    turns: list[Turn]
    source: str
    note: str = ""


def runs_to_fetch(turns: Sequence[Turn], known: Mapping[str, Turn]) -> tuple[list[Turn], set[str]]:
    """A page with the run details already archived, and the runs still without them."""
    carried = list(carry_runs(turns, known))
    return carried, {t.run_id for t in carried if t.run_id and t.usage is None}


RunsFiller = Callable[[Sequence[Turn], Mapping[str, Turn]], Awaitable[list[Turn]]]


Progress = Callable[[int], None]
"""Told the number of messages read so far, after each page."""


async def archive_history(
    registry: Registry,
    item: Tracked,
    fetch: Fetch,
    fill_runs: RunsFiller,
    *,
    source: str,
    oldest: Oldest | None = None,
    on_page: Progress | None = None,
) -> Tracked:
    """Walk the whole history (verified paging), archiving every page on the way.

    ``fetch`` reads one page, ``oldest`` the oldest turns (used only when the server
    ignores the paging cursor); ``fill_runs`` completes a page with what its list call leaves
    out, given the turns archived so far. The walk's verdict is recorded: the history is
    *complete* only when its end was verified, else the archive says why it may not be.
    """
    known = {t.id: t for t in await registry.archive.all(item)}
    walk = Walk(fetch, oldest=oldest)
    cut: list[str] = []
    async for step in walk:
        turns = await fill_runs(step.turns, known)
        cut += [t.id for t in turns if any(p.type == CUT for p in t.parts)]
        item = await registry.archive.store(item, turns, older_than=step.older_than)
        if on_page is not None:
            on_page(len(walk.seen))
    doubt = walk.doubt
    if cut and doubt is None:
        doubt = (
            f"{len(cut):,} message{'s were' if len(cut) > 1 else ' was'} cut to fit the "
            f"archive (the first: {cut[0]}): more parts or text than the app keeps per "
            "message, and the server holds the rest"
        )
    return await registry.archive.settle(item, complete=walk.complete, doubt=doubt, source=source)


async def fetch_all(
    registry: Registry,
    item: Tracked,
    api: ConversationApi,
    *,
    source: str = "export",
    on_page: Progress | None = None,
) -> Tracked:
    """Archive the whole history from ``api`` (see :func:`archive_history`).

    A thread's pages are completed with their runs' usage and tool calls (kept only in
    run steps, which go when the thread goes); runs archived with them are not asked again.
    """

    async def fetch(cursor: str | None, limit: int) -> HistoryPage:
        return await api.history(item.id, before=cursor, limit=limit)

    async def oldest(limit: int) -> tuple[Turn, ...]:
        return await api.oldest(item.id, limit=limit)

    async def fill_runs(page_turns: Sequence[Turn], known: Mapping[str, Turn]) -> list[Turn]:
        turns, runs = runs_to_fetch(page_turns, known)
        return await api.enrich(item.id, turns) if runs else turns

    return await archive_history(
        registry, item, fetch, fill_runs, source=source, oldest=oldest, on_page=on_page
    )


async def load_history(
    registry: Registry,
    item: Tracked,
    api: ConversationApi | None,
    *,
    why_no_api: str = "",
    on_page: Progress | None = None,
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
            item = await fetch_all(registry, item, api, on_page=on_page)
            turns = await registry.archive.all(item)
            return History(item, turns, "api", doubt_note(item, len(turns)))
        except NotFound as exc:
            item = await registry.set_state(item, ItemState.MISSING, source="export", detail="404")
            reason = str(exc)
        except ApiError as exc:
            reason = str(exc)
        finally:
            await remember(registry, api)
    turns = await registry.archive.all(item)
    because = reason if reason.endswith((".", "!", "?", "…")) else f"{reason}."
    note = f"Exported from the local archive ({len(turns)} messages), because: {because}"
    doubt = doubt_note(item, len(turns))
    return History(item, turns, "archive", f"{note} {doubt}" if doubt else note)


def doubt_note(item: Tracked, count: int) -> str:
    """What to say of a history whose end was not verified (empty when it was)."""
    if item.history_complete:
        return ""
    why = item.history_doubt or "its oldest messages were never read from the server"
    return f"Possibly incomplete ({count} messages): {why}."


_BACKTICKS = re.compile(r"`+")
_UNPAIRED = re.compile(r"\\(?=[!-/:-@\[-`{-~])|[`<]")  # an escaping backslash, ` and <
_MAY_NOT_CLOSE = ("```", "~~~", "<")  # fenced code and HTML blocks can run past a message


def _line(text: str) -> str:
    """Text on one line: control characters dropped, line breaks as spaces."""
    return " ".join(clean(text).splitlines())


def _plain(text: str) -> str:
    """One line of text that opens no code span, HTML tag or autolink, and ends no escape."""
    return _UNPAIRED.sub(r"\\\g<0>", _line(text))


def _heading(text: str) -> str:
    """Plain text for a heading; a trailing ``#`` stays text, not a closing sequence."""
    value = _plain(text)
    return value[:-1] + "\\#" if value.endswith("#") else value


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def _code(text: str) -> str:
    """Text as one inline code span, whatever backticks it holds."""
    value = _line(text)
    if not value.strip(" "):
        return f"`{value or ' '}`"
    ticks = "`" * (_longest_backticks(value) + 1)
    if value[0] == "`" or value[-1] == "`" or (value[0] == " " and value[-1] == " "):
        value = f" {value} "  # CommonMark takes one space off each side
    return f"{ticks}{value}{ticks}"


def _fenced(text: str, info: str = "") -> list[str]:
    """Text as a fenced code block that no line of it can close."""
    fence = "`" * max(3, _longest_backticks(text) + 1)
    return [fence + info, text, fence]


@cache
def _block_parser() -> Any:
    """A CommonMark parser of blocks only (the inline pass is not needed here)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable(["inline", "text_join"])


def _contained(text: str) -> bool:
    """True when Markdown text leaves the document after it alone (no open fence or HTML)."""
    if not any(opener in text for opener in _MAY_NOT_CLOSE):
        return True
    tokens = _block_parser().parse(f"{text}\n\n### end\n")
    return [(t.type, t.tag, t.content) for t in tokens[-3:]] == [
        ("heading_open", "h3", ""),
        ("inline", "", "end"),
        ("heading_close", "h3", ""),
    ]


def _message(text: str) -> list[str]:
    """Message text as Markdown, or as a literal block when it would swallow what follows."""
    body = clean(text)
    return [body] if _contained(body) else _fenced(body)


def _turn_markdown(turn: Turn) -> str:
    """A turn: its heading, the tool calls that led to it, then its text and references."""
    when = turn.created_at.strftime("%Y-%m-%d %H:%M UTC") if turn.created_at else ""
    head = f"### {_plain(turn.role)}" + (f" · {when}" if when else "") + f" · {_code(turn.id)}"
    lines = [head, "", *_calls_markdown(turn)]
    if turn.text:
        lines += [*_message(turn.text), ""]
    for part in turn.parts:
        if part.ref:
            lines += [f"*{_plain(part.type)}: {_code(part.ref)}*", ""]
    return "\n".join(lines)


def _calls_markdown(turn: Turn) -> list[str]:
    lines: list[str] = []
    for call in turn.tool_calls:
        if turn.kind is TurnKind.TOOL_OUTPUT:
            lines += [f"Tool output for {_code(call.call_id)}:", ""]
            lines += [*_fenced(clean(call.output or "")), ""]
            continue
        lines += [f"Tool call {_code(call.name)} ({_code(call.call_id)}):", ""]
        lines += [*_fenced(clean(call.arguments), "json"), ""]
        if call.output is not None:  # a run step's call carries its output
            lines += ["Output:", "", *_fenced(clean(call.output)), ""]
    return lines


def markdown(history: History) -> str:
    """The history as a Markdown document.

    Message text stays Markdown unless it would run past its message (an unclosed fence or
    HTML block): then it is a literal code block. Tool arguments and outputs are code
    blocks, identifiers code spans, and every other field one line of plain text.
    """
    item = history.item
    meta = "".join(f"- {_code(k)}: {_plain(v)}\n" for k, v in sorted(item.metadata.items()))
    header = [
        f"# {_heading(item.title)}",
        "",
        f"- ID: {_code(item.id)} ({item.kind.value})",
        f"- Connection: {_plain(item.connection.label)}",
        f"- Created: {item.created_at.isoformat() if item.created_at else 'unknown'}",
        f"- Messages: {len(history.turns)}",
        f"- Exported: {datetime.now(UTC).isoformat(timespec='seconds')} from {history.source}",
        "",
    ]
    if history.note:
        header += [f"> {_plain(history.note)}", ""]
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
        "turns": _turns_adapter().dump_python(history.turns, mode="json"),
    }
    return json_text(doc, indent=2)
