"""``thread-browser migrate``: carry threads into conversations."""

from __future__ import annotations

import sys
from typing import Any

import click

from tui.api.errors import ApiError
from tui.commands.context import ConnectionApis, Options, common, locate_item, run
from tui.config import ConfigError
from tui.ids import parse_item_id
from tui.model import Kind
from tui.ops.migrating import Migration, migrate
from tui.text import json_text


@click.command("migrate")
@click.argument("ids", nargs=-1, required=True, metavar="THREAD_ID...")
@click.option(
    "--to-connection",
    "to_profile",
    default=None,
    help="Profile whose connection gets the conversations (default: each thread's own).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be carried; create nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per thread.")
@common
def migrate_threads(
    options: Options, ids: tuple[str, ...], to_profile: str | None, dry_run: bool, as_json: bool
) -> None:
    """Carry threads into new conversations (history from the API, else the archive).

    Each conversation gets the thread's metadata plus migrated_from; a thread already
    migrated is not carried twice; a migration that failed midway resumes where it
    stopped. At the end the conversation's items are counted on the server. Exit status 1
    when some thread could not be migrated, or its conversation holds another number of
    items than were carried.
    """
    parsed = []
    for text in ids:
        try:
            kind, item_id = parse_item_id(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="THREAD_ID") from None
        if kind not in (Kind.THREAD, Kind.RESPONSE):
            raise click.BadParameter(
                f"{item_id} is a {kind.noun}; migrate carries threads and response chains "
                "into conversations.",
                param_hint="THREAD_ID",
            )
        parsed.append(item_id)
    failed = run(_migrate_all(options, parsed, to_profile, dry_run, as_json))
    if failed:
        sys.exit(1)


async def _migrate_all(
    options: Options, ids: list[str], to_profile: str | None, dry_run: bool, as_json: bool
) -> int:
    settings = options.settings()
    apis = ConnectionApis(settings)
    failed = 0
    async with await options.registry() as registry:
        for item_id in dict.fromkeys(ids):
            try:
                thread = await locate_item(options, registry, Kind.THREAD, item_id, source="cli")
                source, why = apis(thread)
                connection = (
                    settings.profile(to_profile).connection if to_profile else thread.connection
                )
                target, why_not = apis.on(connection, Kind.CONVERSATION)
                if target is None:
                    raise ConfigError(why_not or "No conversations API on that connection.")
                done = await migrate(
                    registry, thread, source, target, dry_run=dry_run, why_no_source=why
                )
            except (ApiError, ConfigError) as exc:
                failed += 1
                _say({"thread": item_id, "result": "failed", "message": str(exc)}, as_json)
                continue
            failed += done.mismatch
            _say(_summary(done), as_json)
    await apis.close()
    return failed


def _summary(done: Migration) -> dict[str, Any]:
    if done.dry_run:
        result = "would migrate"
    elif done.already:
        result = "already migrated"
    else:
        result = "migrated"
    return {
        "thread": done.thread.id,
        "result": result,
        "conversation": done.conversation.id if done.conversation else None,
        "items": done.items,
        "added": done.added,
        "from": done.source,
        "found": done.found,
        "mismatch": done.mismatch,
        "notes": done.notes,
    }


def _say(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json_text(row))
        return
    if row["result"] == "failed":
        click.echo(f"{row['thread']}: failed: {row['message']}", err=True)
        return
    target = f" -> {row['conversation']}" if row["conversation"] else ""
    items = f"{row['items']} items, from {row['from']}"
    if row["mismatch"]:
        items = f"{row['items']} items carried from {row['from']}, but it holds {row['found']}"
    click.echo(f"{row['thread']}{target}: {row['result']} ({items})")
    for note in row["notes"]:
        click.echo(f"  note: {note}", err=True)
