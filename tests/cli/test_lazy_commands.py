"""Subcommands are imported when they run: ``--help`` and ``--version`` import none."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from tui.cli import COMMANDS, cli


def imported_by(*args: str) -> set[str]:
    """The modules ``python -m tui ARGS`` imported, from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_stated_summary_is_the_commands_own(name: str) -> None:
    """What ``--help`` shows for a command not yet imported is what the command says."""
    group = cli
    assert isinstance(group, click.Group)
    command = group.load(name)  # type: ignore[attr-defined]
    assert command.name == name
    assert COMMANDS[name].summary == command.get_short_help_str(limit=1000)


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_top_level_imports_no_subcommand_sdk_or_app(args: tuple[str, ...]) -> None:
    """The SDK, Textual, the emulator and every subcommand stay unimported."""
    modules = imported_by(*args)
    assert "click" in modules  # the measurement works
    heavy = {m for m in modules if m.split(".")[0] in {"openai", "textual", "starlette"}}
    ours = {m for m in modules if m.startswith(("tui.commands.", "tui.api", "tui.emulator"))}
    assert heavy == set()
    assert ours <= {"tui.commands.lazy"}


def test_help_lists_every_command() -> None:
    """``--help`` names each subcommand with its summary."""
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f"  {name} " in done.stdout
    assert "Delete threads or conversations on their servers" in done.stdout


def test_a_subcommand_still_runs() -> None:
    """A lazily loaded subcommand parses its own options."""
    done = subprocess.run(
        [sys.executable, "-m", "tui", "list", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "List tracked threads and conversations" in done.stdout
