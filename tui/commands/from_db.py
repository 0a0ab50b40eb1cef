"""``thread-browser import --from-db URL --query SQL``: IDs from your application's database."""

from __future__ import annotations

import sys
from collections import Counter

import click

from tui.commands.context import Options, api_for_profile, run
from tui.commands.importing import Progress, report, summary
from tui.ops.importing import Outcome
from tui.redact import redact, remember, url_secrets


def import_from_db(
    options: Options,
    url: str | None,
    query: str | None,
    no_verify: bool,
    as_lines: bool,
    concurrency: int,
) -> None:
    """The rows of a query, imported as they are read; exit 1 unless every row was taken."""
    if not url or not query or not query.strip():
        raise click.UsageError("--from-db URL and --query SQL go together: give both.")
    remember(*url_secrets(url))
    counts = run(_import_query(options, url, query, no_verify, as_lines, concurrency))
    if not counts:
        click.echo("The query returned no rows.", err=True)
        sys.exit(1)
    summary(counts)
    if any(n for o, n in counts.items() if o not in (Outcome.ADDED, Outcome.ALREADY)):
        sys.exit(1)


async def _import_query(
    options: Options, url: str, query: str, no_verify: bool, as_lines: bool, concurrency: int
) -> Counter[Outcome]:
    from tui.ops.from_db import Columns, SourceError, import_query

    def chosen(columns: Columns) -> None:
        others = ", ".join(columns.metadata) or "none"
        click.echo(f"IDs from column {columns.id}; metadata from: {others}", err=True)

    profile = options.chosen_profile()
    api_for = None if no_verify else api_for_profile(profile, max_retries=3)
    progress = Progress() if sys.stderr.isatty() else None
    counts: Counter[Outcome] = Counter()
    said: set[str] = set()
    try:
        async with await options.registry() as registry:
            batches = import_query(
                url,
                query,
                registry,
                profile.connection,
                api_for=api_for,
                concurrency=concurrency,
                on_checked=progress,
                on_columns=chosen,
            )
            async for results in batches:
                if progress is not None:
                    progress.clear()
                report(results, as_lines, counts, said)
    except SourceError as exc:
        raise click.ClickException(redact(str(exc))) from None
    finally:
        if progress is not None:
            progress.clear()
    return counts
