"""Subcommands are imported when they run: ``--help`` and ``--version`` import none.

A command that only reads the registry (``list``, ``doctor``) imports neither the SDK, its
HTTP client, Textual nor the emulator.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY
from tui.cli import COMMANDS, cli
from tui.model import Connection, Kind
from tui.store import Registry

HEAVY = {"openai", "httpx2", "textual", "starlette"}
ITEMS = 12
UNSERVED = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


def imports_and_output(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules ``python -m tui ARGS`` imported (from ``-X importtime``), and its output."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines}, done.stdout


def imported_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules ``python -m tui ARGS`` imported, from ``-X importtime``."""
    return imports_and_output(*args, env=env)[0]


def heavy_in(modules: set[str]) -> set[str]:
    """Which of the SDK, httpx2, Textual and Starlette ``modules`` holds (top-level names)."""
    return {m.split(".")[0] for m in modules} & HEAVY


async def _fill(db: Path) -> None:
    async with await Registry.open(db) as registry:
        connection = Connection(UNSERVED)
        for n in range(ITEMS):
            kind = Kind.THREAD if n % 2 else Kind.CONVERSATION
            item_id = f"thread_{n:024d}" if n % 2 else f"conv_{n:048x}"
            await registry.track(item_id, kind, connection, source="test")
        detail = "run steps: the server answered 404"  # doctor shows what servers offer
        await registry.capabilities.learn(connection, "run steps", offered=False, detail=detail)


@pytest.fixture
def registry_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a command on a registry of a few items (no key, no server)."""
    db = tmp_path / "registry.sqlite3"
    asyncio.run(_fill(db))
    return cli_env(None, db, key=None)


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
    assert "Delete tracked items on their servers, deep and verified" in done.stdout


def test_a_subcommand_still_runs() -> None:
    """A lazily loaded subcommand parses its own options."""
    done = subprocess.run(
        [sys.executable, "-m", "tui", "list", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "List tracked threads and conversations" in done.stdout


@pytest.mark.parametrize(
    ("args", "module", "said"),
    [
        (("list", "--limit", "10"), "listing", "thread_000000000000000000000011"),
        (("list", "--json"), "listing", '"kind": "conversation"'),
        (("doctor",), "doctor", "run steps: no: run steps: the server answered 404"),
        (("doctor", "--json"), "doctor", '"healthy": true'),
    ],
)
def test_registry_commands_import_no_sdk_or_app(
    args: tuple[str, ...], module: str, said: str, registry_env: dict[str, str]
) -> None:
    """Reading the registry loads neither the SDK, httpx2, Textual nor the emulator."""
    modules, output = imports_and_output(*args, env=registry_env)
    assert f"tui.commands.{module}" in modules  # the measurement sees the subcommand
    assert said in output  # and the command did its work
    assert heavy_in(modules) == set()
    assert not {m for m in modules if m.startswith(("tui.emulator", "tui.app", "tui.api.client"))}


def test_a_command_that_talks_to_a_server_still_finds_its_sdk(
    registry_env: dict[str, str],
) -> None:
    """``export`` of a tracked item builds its client (the SDK loads when it is needed)."""
    env = {**registry_env, "OPENAI_BASE_URL": UNSERVED, "OPENAI_API_KEY": TEST_KEY}
    modules, output = imports_and_output("export", "thread_" + "1".zfill(24), env=env)
    assert {"openai", "tui.api.client", "tui.api.threads"} <= modules
    assert output.startswith("# ")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_subcommand_loads_without_the_sdk(name: str) -> None:
    """Loading any subcommand (its ``--help``) imports neither the SDK nor Textual."""
    modules = imported_by(name, "--help")
    assert COMMANDS[name].target.split(":")[0] in modules  # the subcommand was loaded
    assert heavy_in(modules) & {"openai", "textual", "starlette"} == set()
