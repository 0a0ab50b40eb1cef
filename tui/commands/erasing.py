"""``thread-browser erase``: delete everything of a user (by metadata), and erase it here."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from tui.commands.context import ConnectionApis, Options, common, run
from tui.commands.deleting import _pairs, _progress_line
from tui.model import Connection
from tui.ops.deleting import Progress, Result
from tui.ops.erasing import Erase, Erased, ErasePlan, plan_erase
from tui.text import json_text

SOURCE = "cli"
REFUSE = (
    "Refusing to delete and erase without confirmation: standard input is not a terminal. "
    "Check the list above, then add --yes."
)


@click.command("erase")
@click.option(
    "--meta",
    multiple=True,
    required=True,
    metavar="KEY=VALUE",
    help="Only items with this metadata (repeat: items with every pair).",
)
@click.option(
    "--dry-run", is_flag=True, help="List what would be deleted and erased; touch nothing."
)
@click.option("--yes", is_flag=True, help="Do not ask (required when input is not a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@common
def erase(options: Options, meta: tuple[str, ...], dry_run: bool, yes: bool, as_json: bool) -> None:
    """Delete every item with this metadata on its server and erase its content here.

    Every tracked item (any kind, any state) whose metadata holds all the pairs is deleted
    on its server, without archiving it first; then its archived messages, their older
    versions, their search entries, a title taken from a message or of your own, and your
    notes are erased from the registry, leaving no copy in its file. The item's row, its
    journal and a receipt stay (they hold no content). An item whose deletion fails keeps
    everything.

    Exit status: 0 when every matching item was deleted and erased, 1 when some kept their
    content (or the registry's log could not be emptied yet), 2 when nothing was done for
    want of confirmation.
    """
    pairs = _pairs(meta)
    connection = options.chosen_profile().connection if options.profile else None
    plan = run(_plan(options, pairs, connection))
    if dry_run:
        _show(plan, as_json)
        return
    if not plan.items:
        for line in plan.lines() if plan.skipped else []:
            click.echo(line, err=True)
        click.echo("Nothing to erase.", err=True)
        if as_json:
            click.echo(json_text(Erased(job="").as_json(Progress(0))))
        if plan.skipped:
            sys.exit(1)
        return
    for line in plan.lines():
        click.echo(line, err=True)
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError(REFUSE)
        answer = click.prompt(plan.question(), default="", show_default=False, err=True)
        if not plan.accepts(answer):
            click.echo("Nothing deleted or erased.", err=True)
            sys.exit(2)
    progress, erased = run(_erase(options, plan))
    _report(progress, erased, as_json)
    if not erased.complete:
        sys.exit(1)


async def _plan(
    options: Options, pairs: tuple[tuple[str, str], ...], connection: Connection | None
) -> ErasePlan:
    apis = ConnectionApis(options.settings(), max_retries=0)
    try:
        async with await options.registry() as registry:
            return await plan_erase(registry, pairs, apis, connection=connection)
    finally:
        await apis.close()


async def _erase(options: Options, plan: ErasePlan) -> tuple[Progress, Erased]:
    apis = ConnectionApis(options.settings(), max_retries=0)
    async with await options.registry() as registry:
        eraser = Erase(registry, apis, plan, source=SOURCE)
        loop = asyncio.get_running_loop()

        def stop() -> None:
            click.echo(
                "\nStopping: no new delete requests; those in flight finish, and what was "
                "deleted is still erased here.",
                err=True,
            )
            eraser.stop()
            loop.remove_signal_handler(signal.SIGINT)

        loop.add_signal_handler(signal.SIGINT, stop)
        try:
            progress = await eraser.run(on_progress=_progress_line())
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            await apis.close()
        assert eraser.result is not None
        return progress, eraser.result


def _report(progress: Progress, erased: Erased, as_json: bool) -> None:
    if as_json:
        click.echo(json_text(erased.as_json(progress)))
        for line in erased.lines()[1:-1]:  # what was kept, and why, on stderr
            click.echo(line, err=True)
        return
    for line in erased.lines():
        click.echo(line, err=True)
    deleted = progress.count(Result.DELETED, Result.GONE)
    click.echo(
        f"{deleted:,} deleted on their servers, {len(erased.erased):,} erased here, "
        f"{len(erased.kept):,} kept."
    )


def _show(plan: ErasePlan, as_json: bool) -> None:
    """A dry run: what would be deleted and erased, nothing sent, nothing written."""
    if as_json:
        click.echo(json_text(plan.as_json()))
        return
    for line in plan.lines():
        click.echo(line)
    click.echo("Dry run: nothing was deleted or erased.")


__all__ = ["erase"]
