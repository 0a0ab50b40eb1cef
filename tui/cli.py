"""The ``thread-browser`` command line."""

from __future__ import annotations

import sys

import click

from tui import __version__
from tui.commands.lazy import Lazy, LazyGroup
from tui.redact import redact

# Each subcommand is imported when it runs; ``--help`` shows the summary stated here (a
# test holds it equal to the command's own).
COMMANDS = {
    "delete": Lazy(
        "tui.commands.deleting:delete",
        "Delete tracked items on their servers, deep and verified (archived first, after asking).",
    ),
    "discover": Lazy(
        "tui.commands.discovering:discover_items",
        "Track what the server lists: stored completions, threads, conversations, responses.",
    ),
    "doctor": Lazy(
        "tui.commands.doctor:doctor",
        "Check the registry: its file, its schema, and that its tables agree.",
    ),
    "emulator": Lazy(
        "tui.commands.emulator:emulator",
        "Serve an OpenAI-compatible emulator of threads and conversations.",
    ),
    "erase": Lazy(
        "tui.commands.erasing:erase",
        "Delete every item with this metadata on its server and erase its content here.",
    ),
    "export": Lazy(
        "tui.commands.exporting:export",
        "Export a thread or conversation (from the API, else from the local archive).",
    ),
    "import": Lazy(
        "tui.commands.importing:import_ids",
        "Track the IDs in any text (logs, JSON, CSV), traces, session files or a database.",
    ),
    "list": Lazy(
        "tui.commands.listing:list_items",
        "List tracked threads and conversations, most recently active first.",
    ),
    "migrate": Lazy(
        "tui.commands.migrating:migrate_threads",
        "Carry threads into new conversations (history from the API, else the archive).",
    ),
    "prune": Lazy(
        "tui.commands.deleting:prune",
        "Delete tracked items whose last activity is older than an age (after asking).",
    ),
    "receipts": Lazy(
        "tui.commands.receipts:receipts",
        "Show the receipts of deletions: each object, when asked, when verified gone.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
@click.version_option(__version__, prog_name="thread-browser")
@click.option(
    "--db",
    default=None,
    type=click.Path(dir_okay=False),
    help="Registry file (default: THREAD_BROWSER_DB or the user data dir).",
)
@click.option(
    "--config", default=None, type=click.Path(dir_okay=False), help="Config file of profiles."
)
@click.option("--profile", default=None, help="Connection profile to use.")
@click.option(
    "--demo",
    is_flag=True,
    help="Open the app on the built-in emulator with demo data (no key, no network).",
)
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, config: str | None, profile: str | None, demo: bool
) -> None:
    """Browse, search, continue and clean up OpenAI-style threads and conversations.

    Without a command, opens the app.
    """
    from tui.commands.context import Options

    ctx.obj = Options(db, config, profile)
    if ctx.invoked_subcommand is not None:
        return
    from tui.app.launch import run
    from tui.commands.context import USER_ERRORS

    try:
        run(db, ctx.obj.settings(), profile, demo)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    """Entry point: no traceback reaches the user unless THREAD_BROWSER_DEBUG is set."""
    try:
        cli.main(prog_name="thread-browser")
    except Exception as exc:
        from tui.config import DEBUG_ENV, environment  # on failure only: a light start

        if environment().debug:
            raise
        message = redact(f"{type(exc).__name__}: {exc}")
        click.echo(
            f"Error: unexpected failure ({message}). Set {DEBUG_ENV}=1 "
            "for details and please report it.",
            err=True,
        )
        sys.exit(1)
