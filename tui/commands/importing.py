"""``thread-browser import``: track every ID found in a file or pasted text."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from tui.commands.context import Options, api_for_profile, common, run
from tui.commands.progress import ProgressLine
from tui.ids import FoundId
from tui.ops.importing import Found, ImportResult, Outcome, import_found, read_ids
from tui.redact import redact
from tui.text import clean, json_text

if TYPE_CHECKING:
    from tui.ops.sessions import SessionsFound
    from tui.ops.traces import Traced


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


def _read_traces(path: str) -> Traced:
    """The IDs and span metadata of an OTLP JSON file (or ``-``: standard input)."""
    from tui.ops.traces import read_traces

    if path == "-":
        return read_traces(sys.stdin.buffer, name="Standard input")
    try:
        with open(path, "rb") as handle:
            return read_traces(handle, name=path)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc.strerror or exc}", param_hint="--from-otlp"
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
    "--from-otlp",
    "otlp",
    default=None,
    metavar="FILE",
    help="Read OpenTelemetry traces (OTLP JSON: JSON Lines or one document); the "
    "gen_ai.conversation.id and gen_ai.response.id of each span are imported, with the "
    "span's other attributes as metadata.",
)
@click.option(
    "--from-agents-session",
    "session_file",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Track every session of an Agents SDK SQLiteSession file (read, never written).",
)
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
    otlp: str | None,
    session_file: str | None,
    from_db: str | None,
    query: str | None,
    no_verify: bool,
    as_lines: bool,
    concurrency: int,
) -> None:
    """Track the IDs in any text (logs, JSON, CSV), traces, session files or a database.

    At most 64 MiB of input are read and 10,000 IDs taken; what was left is said.

    With --from-db URL --query SQL the IDs come from your application's database (read
    only): the first column holding IDs is the ID, the other columns become metadata.
    """
    if sum(x is not None for x in (source, otlp, session_file, from_db)) > 1:
        raise click.UsageError(
            "Give one of a FILE, --from-otlp, --from-agents-session and --from-db, not more."
        )
    if from_db is not None or query is not None:
        from tui.commands.from_db import import_from_db

        import_from_db(options, from_db, query, no_verify, as_lines, concurrency)
        return
    if session_file is not None:
        _import_sessions(options, session_file, as_lines)
        return
    metadata: dict[str, dict[str, str]] = {}
    problems: tuple[str, ...] = ()
    if otlp is not None:
        traced = _read_traces(otlp)
        found = Found(traced.ids, traced.read, traced.cut)
        metadata, problems = traced.metadata, traced.problems
        if not traced.ids and not traced.cut:
            click.echo(f"spans read: {traced.spans:,}", err=True)
    else:
        found = _read(source)
    for problem in problems:
        click.echo(clean(problem), err=True)
    results = run(_import(options, found.ids, no_verify, concurrency, metadata))
    _report(results, as_lines, found.cut, problems, "IDs")


def report(
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


def summary(counts: Counter[Outcome], what: str = "IDs") -> None:
    """The count of each outcome, on standard error."""
    said = ", ".join(f"{n} {o.value}" for o, n in counts.items())
    click.echo(f"{sum(counts.values())} {what}: {said}", err=True)


def _report(
    results: list[ImportResult], as_lines: bool, cut: str, problems: tuple[str, ...], what: str
) -> None:
    """A line (or JSON object) per result, a summary, and exit 1 when anything was not taken."""
    counts = report(results, as_lines, Counter(), set())
    if cut:
        click.echo(clean(cut), err=True)
    if not results:
        where = " read" if cut else ""
        click.echo(f"No {what} found in the input{where}.", err=True)
    else:
        summary(counts, what)
    if any(not r.ok for r in results) or not results or cut or problems:
        sys.exit(1)


def _import_sessions(options: Options, path: str, as_lines: bool) -> None:
    """Track every session of an Agents SDK session file."""
    from tui.ops.sessions import import_sessions

    async def go() -> SessionsFound:
        async with await options.registry() as registry:
            return await import_sessions(path, registry)

    found = run(go())
    _report(found.results, as_lines, found.cut, (), "sessions")


async def _import(
    options: Options,
    found: list[FoundId],
    no_verify: bool,
    concurrency: int,
    metadata: dict[str, dict[str, str]] | None = None,
) -> list[ImportResult]:
    profile = options.chosen_profile()
    api_for = None if no_verify else api_for_profile(profile, max_retries=3)
    progress = Progress() if sys.stderr.isatty() else None
    try:
        async with await options.registry() as registry:
            return await import_found(
                found,
                registry,
                profile.connection,
                api_for=api_for,
                concurrency=concurrency,
                on_checked=progress,
                metadata=metadata,
            )
    finally:
        if progress is not None:
            progress.clear()


class Progress(ProgressLine):
    """Counts the IDs checked."""

    def __call__(self, checked: int, total: int) -> None:
        """Show how many IDs were checked so far."""
        self.show(f"checking IDs with the API: {checked:,}/{total:,}")


__all__ = ["Outcome", "Progress", "import_ids", "report", "summary"]
