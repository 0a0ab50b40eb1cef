"""``thread-browser export``: a whole history as Markdown or JSON."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace

import click

from tui.commands.context import Options, api_for_connection, common, locate_item, run
from tui.ids import OPENED, parse_item_id, session_id_problem
from tui.model import Kind, Tracked
from tui.ops.exporting import History, as_json, load_history, markdown
from tui.redact import redact
from tui.store import Registry


@click.command()
@click.argument("item_id", metavar="ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default=None,
    help="md or json (default: from the output file's name, else md).",
)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write to this file (default: standard output).",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@common
def export(
    options: Options, item_id: str, fmt: str | None, output: str | None, force: bool
) -> None:
    """Export a thread or conversation (from the API, else from the local archive)."""
    fmt = fmt or _format_of(output)
    if output is not None and os.path.exists(output) and not force:
        _may_replace(output)
    why = ""
    try:
        kind, clean_id = parse_item_id(item_id)
    except ValueError as exc:
        if session_id_problem(item_id) is not None:
            raise click.BadParameter(str(exc), param_hint="ID") from None
        kind, clean_id, why = Kind.SESSION, item_id, str(exc)  # a session's ID has no shape
    history = run(_history(options, kind, clean_id, why))
    history = replace(history, note=redact(history.note))  # a server's words, never a key
    text = markdown(history) if fmt == "md" else as_json(history)
    if history.note:
        click.echo(history.note, err=True)
    if output is None:
        click.echo(text)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror}.") from None
    click.echo(f"wrote {len(history.turns)} messages to {output}", err=True)


def _format_of(output: str | None) -> str:
    """The format a file's name asks for: ``json`` for ``.json``, else Markdown."""
    return "json" if output is not None and output.lower().endswith(".json") else "md"


def _may_replace(output: str) -> None:
    """Ask before replacing a file (a terminal); without one, refuse (exit 2)."""
    if not sys.stdin.isatty():
        raise click.UsageError(f"{output} exists: add --force to replace it (nothing written).")
    if not click.confirm(f"{output} exists. Replace it?", default=False, err=True):
        click.echo("Nothing written.", err=True)
        sys.exit(2)


async def _history(options: Options, kind: Kind, item_id: str, why: str = "") -> History:
    async with await options.registry() as registry:
        if kind is Kind.SESSION:
            item = await _session(registry, item_id, why)
        else:
            item = await locate_item(options, registry, kind, item_id, source="export")
        api, reason = api_for_connection(options.settings(), item.connection, kind)
        try:
            return await load_history(
                registry, item, api, why_no_api=reason, on_page=_progress_line()
            )
        finally:
            if sys.stderr.isatty():
                sys.stderr.write("\r\x1b[K")


async def _session(registry: Registry, item_id: str, why: str) -> Tracked:
    """The one tracked Agents session of this ID (sessions are found by import only).

    ``why`` is what is wrong with it as an API ID: said as it is when it names another
    kind (a run ID), with a word about sessions when it names none.
    """
    found = [i for i in await registry.find(item_id) if i.kind is Kind.SESSION]
    if len(found) == 1:
        return found[0]
    if not found:
        if "is not an ID the app opens" not in why:
            raise click.BadParameter(why, param_hint="ID")
        raise click.BadParameter(
            f"{item_id!r} is neither an ID the app opens (those start with {OPENED}) nor a "
            "tracked Agents session: import its file with `thread-browser import "
            "--from-agents-session FILE`.",
            param_hint="ID",
        )
    files = ", ".join(i.connection.base_url for i in found)
    raise click.BadParameter(
        f"{item_id!r} names a session in several files ({files}); it is ambiguous here.",
        param_hint="ID",
    )


def _progress_line() -> Callable[[int], None] | None:
    """On a terminal, one line on stderr counting the messages read so far."""
    if not sys.stderr.isatty():
        return None

    def show(count: int) -> None:
        sys.stderr.write(f"\rreading the history: {count:,} messages")
        sys.stderr.flush()

    return show
