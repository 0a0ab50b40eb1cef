"""``thread-browser discover``: track everything the server lists for this key."""

from __future__ import annotations

import sys

import click

from tui.commands.context import Options, common, run
from tui.commands.progress import ProgressLine
from tui.model import Kind
from tui.ops.discovering import ORDER, Listing, Outcome, discover
from tui.redact import redact
from tui.text import clean

KINDS = {
    "completions": Kind.COMPLETION,
    "threads": Kind.THREAD,
    "conversations": Kind.CONVERSATION,
    "responses": Kind.RESPONSE,
}


@click.command("discover")
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(list(KINDS)),
    help="Walk only these lists (repeatable); default: all four.",
)
@common
def discover_items(options: Options, only: tuple[str, ...]) -> None:
    """Track what the server lists: stored completions, threads, conversations, responses.

    The API lists stored completions; Azure's agents list threads, OGX conversations and
    responses.
    Each list is read oldest first; an interrupted run resumes where it stopped, and the
    next run lists only what was made since. One line per list: listed N, not offered or
    refused, with the reason.
    """
    kinds = tuple(KINDS[name] for name in only) or ORDER
    results = run(_discover(options, kinds))
    for result in results:
        click.echo(clean(redact(result.line())))
    if any(r.outcome in (Outcome.STOPPED, Outcome.REFUSED) for r in results):
        sys.exit(1)


async def _discover(options: Options, kinds: tuple[Kind, ...]) -> list[Listing]:
    from tui.api.client import client_for
    from tui.api.listing import list_page

    profile = options.chosen_profile()
    client = client_for(profile, max_retries=4)
    progress = _Progress() if sys.stderr.isatty() else None

    async def lister(kind: Kind, after: str | None):  # noqa: ANN202  # ListPage, imported lazily
        return await list_page(client, profile.connection, kind, after)

    try:
        async with await options.registry() as registry:
            return await discover(registry, profile.connection, lister, kinds=kinds, heard=progress)
    finally:
        await client.close()
        if progress is not None:
            progress.clear()


class _Progress(ProgressLine):
    """Counts the items listed."""

    def __call__(self, kind: Kind, listed: int) -> None:
        self.show(f"listing {kind.noun}s: {listed:,}")
