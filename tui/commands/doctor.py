"""``thread-browser doctor``: check that the registry is sound, and say what to do if not."""

from __future__ import annotations

import sys
import textwrap

import click

from tui.commands.context import Options, common, run
from tui.ops.capabilities import describe
from tui.store import Registry
from tui.store.doctor import Checkup, Finding, examine
from tui.store.repair import rebuild_derived
from tui.text import clean, json_text

WIDTH = 100
REPAIRED = "Rebuilt the search indexes, the metadata index and the message counts."


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checkup as one JSON object.")
@click.option(
    "--repair",
    is_flag=True,
    help="Rebuild what is derived (search indexes, metadata index, message counts), "
    "then check again.",
)
@common
def doctor(options: Options, as_json: bool, repair: bool) -> None:
    """Check the registry: its file, its schema, and that its tables agree.

    Exit status: 0 when it is healthy, 1 when a problem was found, 2 on a usage error.
    """
    checkup = run(_checkup(options.db, repair))
    if as_json:
        click.echo(json_text(checkup.to_json()))
    else:
        _show(checkup)
    if not checkup.healthy:
        sys.exit(1)


async def _checkup(db: str | None, repair: bool) -> Checkup:
    checkup = await examine(db)
    if not repair or any(checkup.failed(c) for c in ("file", "schema", "integrity")):
        return checkup
    async with await Registry.open(checkup.path) as registry:
        repaired = await rebuild_derived(registry)
    again = await examine(db)
    # A repair cannot undo the time the file was open to others: that finding stays.
    again.findings[:0] = [f for f in checkup.findings if f.check == "file mode"]
    again.notes[:0] = [*checkup.notes, REPAIRED]
    if repaired.times or repaired.ids:
        again.notes.insert(
            len(checkup.notes) + 1,
            f"Fixed {repaired.times:,} stored times and {repaired.ids:,} item IDs "
            "(the journal records the repair).",
        )
    return again


def _show(checkup: Checkup) -> None:
    schema = f" (schema {checkup.version})" if checkup.version is not None else ""
    click.echo(f"Registry {checkup.path}{schema}")
    for name in checkup.checks:
        click.echo(f"  {'PROBLEM' if checkup.failed(name) else 'ok':<8} {name}")
    for note in checkup.notes:
        click.echo(_wrap(f"Note: {note}", ""))
    for finding in checkup.findings:
        _show_finding(finding)
    _show_servers(checkup)
    click.echo("")
    if checkup.healthy:
        click.echo(f"Healthy: {len(checkup.checks)} checks passed.")
    else:
        count = len(checkup.findings)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found.")


def _show_servers(checkup: Checkup) -> None:
    """What each connection's server was found to offer (learnt as it was used)."""
    if not checkup.servers:
        return
    click.echo("")
    click.echo("What the servers were found to offer:")
    shown = ""
    for label, capability in checkup.servers:
        if label != shown:
            click.echo(_wrap(f"{label}", "  "))
            shown = label
        said = describe(capability.offered, capability.detail)
        click.echo(_wrap(f"{capability.name}: {said}", "    "))


def _show_finding(finding: Finding) -> None:
    click.echo("")
    click.echo(_wrap(f"Problem ({finding.check}): {finding.problem}", ""))
    click.echo(_wrap(f"What it means: {finding.meaning}", "  "))
    click.echo(_wrap(f"What to do: {finding.action}", "  "))


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        clean(text),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
        break_long_words=False,
    )


__all__ = ["doctor"]
