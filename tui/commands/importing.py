"""``thread-browser import``: track every ID found in a file or pasted text."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable

import click

from tui.commands.context import Options, api_for_profile, common, run
from tui.commands.progress import ProgressLine
from tui.ids import FoundId
from tui.ops.importing import Found, ImportResult, Outcome, import_found, read_ids
from tui.redact import redact, remember, url_secrets
from tui.text import clean, json_text


def _read(source: str | None) -> Found:
    """The IDs of a file or standard input, read as a stream within the import's bounds."""
    if source in (None, "-"):
        if source is None and sys.stdin.isatty():
            raise click.UsageError("Give a file to import, or - to read standard input.")
        return read_ids(sys.stdin.buffer, name="Standard input")
    try:
        with open(source, "rb") as handle:
            return read_ids(handle, name=source)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {source}: {exc.strerror or exc}", param_hint="FILE"
        ) from None


def _line(result: ImportResult, said: set[str]) -> str:
    """One result; a reason already given in full (a connection-wide one) is not repeated."""
    detail = (result.title if result.ok else redact(result.message)) or ""
    if not result.ok and detail in said:
        detail = "(the same reason as above)"
    elif not result.ok:
        said.add(detail)
    return f"{result.outcome.value:<15}  {result.id}  {clean(detail)}"


def _json(result: ImportResult) -> dict[str, object]:
    """One result as JSON, its message without any secret in use (most have none)."""
    return result.to_json() | {"message": redact(result.message) if result.message else ""}


@click.command("import")
@click.argument("source", required=False, metavar="[FILE|-]")
@click.option(
    "--from-db",
    "from_db",
    metavar="URL",
    help="Read IDs from a database: a SQLite file (or sqlite:///path) or postgresql://…",
)
@click.option("--query", metavar="SQL", help="With --from-db: the SELECT that gives the IDs.")
@click.option("--no-verify", is_flag=True, help="Record the IDs without asking the API.")
@click.option("--json", "as_lines", is_flag=True, help="One JSON object per ID.")
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="API checks at once.",
)
@common
def import_ids(
    options: Options,
    source: str | None,
    from_db: str | None,
    query: str | None,
    no_verify: bool,
    as_lines: bool,
    concurrency: int,
) -> None:
    """Track the thread and conversation IDs in any text (logs, JSON, CSV) or a database.

    At most 64 MiB of input are read and 10,000 IDs taken; what was left is said.

    With --from-db URL --query SQL the IDs come from your application's database (read
    only): the first column holding IDs is the ID, the other columns become metadata.
    """
    if from_db is not None or query is not None:
        _from_db(options, source, from_db, query, no_verify, as_lines, concurrency)
        return
    found = _read(source)
    results = run(_import(options, found.ids, no_verify, concurrency))
    counts = _report(results, as_lines, Counter(), set())
    if found.cut:
        click.echo(clean(found.cut), err=True)
    if not results:
        where = " read" if found.cut else ""
        click.echo(f"No IDs found in the input{where}.", err=True)
    else:
        _summary(counts)
    if any(not r.ok for r in results) or not results or found.cut:
        sys.exit(1)


def _report(
    results: Iterable[ImportResult], as_lines: bool, counts: Counter[Outcome], said: set[str]
) -> Counter[Outcome]:
    """Print each result (a line of text, or JSON) and count its outcome."""
    rows = []
    for result in results:
        rows.append(json_text(_json(result)) if as_lines else _line(result, said))
        counts[result.outcome] += 1
    if rows:
        click.echo("\n".join(rows))
    return counts


def _summary(counts: Counter[Outcome]) -> None:
    summary = ", ".join(f"{n} {o.value}" for o, n in counts.items())
    click.echo(f"{sum(counts.values())} IDs: {summary}", err=True)


def _from_db(
    options: Options,
    source: str | None,
    url: str | None,
    query: str | None,
    no_verify: bool,
    as_lines: bool,
    concurrency: int,
) -> None:
    """``import --from-db URL --query SQL``: the rows of a query, imported as they are read."""
    if source is not None:
        raise click.UsageError("Give either a FILE or --from-db, not both.")
    if not url or not query or not query.strip():
        raise click.UsageError("--from-db URL and --query SQL go together: give both.")
    remember(*url_secrets(url))
    counts = run(_import_query(options, url, query, no_verify, as_lines, concurrency))
    if not counts:
        click.echo("The query returned no rows.", err=True)
        sys.exit(1)
    _summary(counts)
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
    progress = _Progress() if sys.stderr.isatty() else None
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
                _report(results, as_lines, counts, said)
    except SourceError as exc:
        raise click.ClickException(redact(str(exc))) from None
    finally:
        if progress is not None:
            progress.clear()
    return counts


async def _import(
    options: Options, found: list[FoundId], no_verify: bool, concurrency: int
) -> list[ImportResult]:
    profile = options.chosen_profile()
    api_for = None if no_verify else api_for_profile(profile, max_retries=3)
    progress = _Progress() if sys.stderr.isatty() else None
    try:
        async with await options.registry() as registry:
            return await import_found(
                found,
                registry,
                profile.connection,
                api_for=api_for,
                concurrency=concurrency,
                on_checked=progress,
            )
    finally:
        if progress is not None:
            progress.clear()


class _Progress(ProgressLine):
    """Counts the IDs checked."""

    def __call__(self, checked: int, total: int) -> None:
        self.show(f"checking IDs with the API: {checked:,}/{total:,}")


__all__ = ["Outcome", "import_ids"]
