"""``thread-browser import``: track every ID found in a file or pasted text."""

from __future__ import annotations

import sys
from collections import Counter
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
    """One result as JSON, its message without any secret in use."""
    return result.to_json() | {"message": redact(result.message)}


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
    no_verify: bool,
    as_lines: bool,
    concurrency: int,
) -> None:
    """Find thread and conversation IDs in any text (logs, JSON, CSV) and track them.

    At most 64 MiB of input are read and 10,000 IDs taken; what was left is said.
    """
    if sum(x is not None for x in (source, otlp, session_file)) > 1:
        raise click.UsageError(
            "Give one of a FILE, --from-otlp and --from-agents-session, not more."
        )
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


def _report(
    results: list[ImportResult], as_lines: bool, cut: str, problems: tuple[str, ...], what: str
) -> None:
    """A line (or JSON object) per result, a summary, and exit 1 when anything was not taken."""
    said: set[str] = set()
    for result in results:
        row = json_text(_json(result)) if as_lines else _line(result, said)
        click.echo(row)
    counts = Counter(r.outcome for r in results)
    if cut:
        click.echo(clean(cut), err=True)
    if not results:
        where = " read" if cut else ""
        click.echo(f"No {what} found in the input{where}.", err=True)
    else:
        summary = ", ".join(f"{n} {o.value}" for o, n in counts.items())
        click.echo(f"{len(results)} {what}: {summary}", err=True)
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
                metadata=metadata,
            )
    finally:
        if progress is not None:
            progress.clear()


class _Progress(ProgressLine):
    """Counts the IDs checked."""

    def __call__(self, checked: int, total: int) -> None:
        self.show(f"checking IDs with the API: {checked:,}/{total:,}")


__all__ = ["Outcome", "import_ids"]
