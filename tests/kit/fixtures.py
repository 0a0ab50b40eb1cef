"""Fixtures and checks the misbehaving-server matrix shares.

Import the fixtures into a test module (``from tests.kit.fixtures import kit, ...``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY
from tests.kit.misbehave import Kit
from tests.kit.switches import MATRIX_PARTS
from tests.kit.wire import EPOCH, undashed
from tests.kit.zygote import Finished, Zygote
from tui.api.client import TIMEOUT_ENV
from tui.emulator import EmulatorServer
from tui.model import Connection, Kind
from tui.store import Registry

CLIENT_TIMEOUT = 2.0  # seconds the app's client waits for one reply
CELL_TIMEOUT = 15.0  # seconds one command of the matrix may take
TRACEBACKS = ("Traceback", "unexpected failure")
SEEDED_AT = datetime.fromtimestamp(EPOCH, UTC)  # old enough for ``prune --older-than 30d``


@dataclass
class Served:
    """A kit, its server, and a second kit a redirect can point to (started on demand)."""

    kit: Kit
    server: EmulatorServer
    _other: tuple[Kit, EmulatorServer] | None = None

    @property
    def base_url(self) -> str:
        """The base URL of the kit."""
        return self.server.base_url

    @property
    def connection(self) -> Connection:
        """The connection items of the kit are tracked on."""
        return Connection(self.server.base_url)

    def other(self) -> Kit:
        """The second kit (on another port), started the first time it is asked for."""
        if self._other is None:
            other = Kit(seed=41)
            self._other = (other, other.serve())
        return self._other[0]

    @property
    def other_url(self) -> str:
        """The base URL of the second kit."""
        self.other()
        assert self._other is not None
        return self._other[1].base_url

    def switch(self, fault: str) -> None:
        """Turn on one fault (its matrix value: a count, a URL, or on)."""
        if fault == "huge_parts":
            self.kit.faults.set(fault, MATRIX_PARTS)
        elif fault == "redirect_to":
            self.kit.faults.set(fault, self.other_url)
        else:
            self.kit.faults.set(fault)

    @property
    def requests(self) -> int:
        """Requests both kits served since the counts were last reset."""
        return self.kit.total + (self._other[0].total if self._other else 0)

    def reset_counts(self) -> None:
        """Start counting from zero on both kits."""
        self.kit.reset_counts()
        if self._other:
            self._other[0].reset_counts()

    def stop(self) -> None:
        """Stop both servers."""
        self.server.stop()
        if self._other:
            self._other[1].stop()


@pytest.fixture
def served() -> Iterator[Served]:
    """A kit served on 127.0.0.1 with every switch off; stopped at the end of the test."""
    kit = Kit()
    found = Served(kit, kit.serve())
    yield found
    found.stop()


@pytest.fixture(scope="session")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    """One process that has imported the CLI and forks a child per command."""
    runner = Zygote(tmp_path_factory.mktemp("zygote"))
    yield runner
    runner.close()


class Cli:
    """``thread-browser`` against a kit, with a private registry, in forked children."""

    def __init__(self, zygote: Zygote, served: Served, db: Path) -> None:
        self.zygote = zygote
        self.served = served
        self.db = db
        self.env = cli_env(served.base_url, db, TEST_KEY, **{TIMEOUT_ENV: str(CLIENT_TIMEOUT)})

    def __call__(self, *args: str, input: str = "", timeout: float = CELL_TIMEOUT) -> Finished:
        """Run one command."""
        return self.zygote.run(list(args), self.env, input=input, timeout=timeout)

    async def track_seeded(self) -> None:
        """Track the kit's thread and conversation (old enough to prune), asking no server."""
        kit = self.served.kit
        async with await Registry.open(self.db) as reg:
            for holder, kind in ((kit.thread, Kind.THREAD), (kit.conversation, Kind.CONVERSATION)):
                connection = self.served.connection
                await reg.track(holder.id, kind, connection, source="t", created_at=SEEDED_AT)


@pytest.fixture
def kit_cli(zygote: Zygote, served: Served, tmp_path: Path) -> Cli:
    """The command line on the kit, with a registry of its own."""
    return Cli(zygote, served, tmp_path / "registry.sqlite3")


def no_traceback(*texts: str) -> None:
    """Assert no traceback and no "unexpected failure" reached the user."""
    for text in texts:
        for word in TRACEBACKS:
            where = text.find(word)
            assert where < 0, text[max(0, where - 200) : where + 400]


def registry_sound(cli: Cli) -> list[dict]:
    """``list --json`` and ``doctor --json`` both succeed; the list's rows."""
    listed = cli("list", "--json")
    no_traceback(listed.output)
    assert listed.returncode == 0, f"list failed: {listed.stderr[-1000:]}"
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    doctor = cli("doctor", "--json")
    no_traceback(doctor.output)
    report = json.loads(doctor.stdout)
    problems = [f.get("problem") for f in report.get("findings", [])]
    assert doctor.returncode == 0 and report.get("healthy"), problems
    return rows


async def archived(db: Path, connection: Connection, item_id: str) -> set[str]:
    """The IDs of the entries the registry's archive holds for an item (as stored)."""
    async with await Registry.open(db) as reg:
        item = await reg.get(connection, item_id)
        if item is None:
            return set()
        return {undashed(t.id) or "" for t in await reg.archive.all(item)}


def lost_messages(served: Served, db: Path) -> dict[str, int]:
    """Per seeded item deleted on the kit: how many of its entries the archive lacks."""
    kit = served.kit
    lost: dict[str, int] = {}
    for holder in (kit.thread, kit.conversation):
        if kit.exists(holder.id):
            continue
        have = asyncio.run(archived(db, served.connection, holder.id))
        missing = [i for i in kit.held(holder.id) if i not in have]
        if missing:
            lost[holder.id] = len(missing)
    return lost


__all__ = [
    "CELL_TIMEOUT",
    "CLIENT_TIMEOUT",
    "Cli",
    "Served",
    "archived",
    "kit_cli",
    "lost_messages",
    "no_traceback",
    "registry_sound",
    "served",
    "zygote",
]
