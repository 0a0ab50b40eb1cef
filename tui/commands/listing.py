"""``thread-browser list``: the registry as a table or JSON lines."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import click

from tui.commands.context import Options, common, run
from tui.durations import describe, parse_age
from tui.model import ItemState, Kind, Tracked
from tui.store import Query
from tui.store.search import VISIBLE
from tui.text import clean, json_text

BADGES = {
    ItemState.ACTIVE: "",
    ItemState.MISSING: "missing",
    ItemState.DELETING: "deleting",
    ItemState.DELETED: "deleted",
}


def _meta(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE.", param_hint="--meta")
        pairs.append((key, val))
    return tuple(pairs)


def as_json(item: Tracked) -> dict[str, Any]:
    """One item as a JSON object (no key, ever: connections hold none)."""
    return {
        "id": item.id,
        "kind": item.kind.value,
        "title": item.title,
        "state": item.state.value,
        "connection": {
            "base_url": item.connection.base_url,
            "organization": item.connection.organization,
            "project": item.connection.project,
        },
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "last_activity": item.last_activity.isoformat(),
        "metadata": item.metadata,
        "message_count": item.message_count,
        "history_complete": item.history_complete,
        "tags": list(item.tags),
        "notes": item.notes,
        "source": item.source,
    }


HEADER = f"{'KIND':<12}  {'ID':<52}  {'MSGS':>6}  {'AGE':>4}  {'STATE':<8}  TITLE"


def table_row(item: Tracked, now: datetime, width: int) -> str:
    """One readable line: kind, ID, messages, age, state, title (as :data:`HEADER`)."""
    count = f"{item.message_count}{'' if item.history_complete else '+'}"
    if item.message_count == 0 and not item.history_complete:
        count = "?"
    head = (
        f"{item.kind.value:<12}  {item.id:<52}  {count:>6}  "
        f"{describe(now - item.last_activity):>4}  {BADGES[item.state]:<8}  "
    )
    room = max(10, width - len(head))
    title = clean(item.title).replace("\n", " ")
    return head + (title if len(title) <= room else title[: room - 1] + "…")


@click.command("list")
@click.option("--json", "as_lines", is_flag=True, help="One JSON object per line.")
@click.option("--search", default="", help="Text in titles, metadata, IDs or archived messages.")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="Metadata filter (repeatable).")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=None)
@click.option(
    "--state",
    type=click.Choice([*(s.value for s in ItemState), "all"]),
    default=None,
    help="Only items in this state (default: all but deleted).",
)
@click.option(
    "--older-than",
    default=None,
    metavar="AGE",
    help="Last activity older than AGE (90m, 12h, 30d, 2w).",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@common
def list_items(
    options: Options,
    as_lines: bool,
    search: str,
    meta: tuple[str, ...],
    kind: str | None,
    state: str | None,
    older_than: str | None,
    limit: int,
) -> None:
    """List tracked threads and conversations, most recently active first."""
    try:
        age = parse_age(older_than) if older_than else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    states = (
        VISIBLE if state is None else (tuple(ItemState) if state == "all" else (ItemState(state),))
    )
    query = Query.parse(
        search,
        kind=Kind(kind) if kind else None,
        states=states,
        older_than=datetime.now(UTC) - age if age else None,
        connection=options.chosen_profile().connection if options.profile else None,
    )
    query = replace(query, meta=query.meta + _meta(meta))
    if query.notice:
        click.echo(clean(query.notice), err=True)
    items, more = run(_fetch(options, query, limit))
    if as_lines:
        for item in items:
            click.echo(json_text(as_json(item)))
    elif not items:
        click.echo("No tracked items match. Import IDs with `thread-browser import`.", err=True)
    else:
        now = datetime.now(UTC)
        width = shutil.get_terminal_size((120, 24)).columns
        click.echo(HEADER)
        for item in items:
            click.echo(table_row(item, now, width))
    if more:
        click.echo(
            f"Showing the {limit:,} most recently active; more match (--limit N shows more).",
            err=True,
        )


async def _fetch(options: Options, query: Query, limit: int) -> tuple[list[Tracked], bool]:
    """The first ``limit`` items of ``query``, and whether more match."""
    async with await options.registry(upgrade=False) as registry:
        items: list[Tracked] = []
        cursor = None
        while len(items) <= limit:
            page = await registry.search.page(query, after=cursor, limit=min(500, limit + 1))
            items += page.items
            cursor = page.next
            if cursor is None:
                break
        return items[:limit], len(items) > limit
