"""``thread-browser migrate`` against a server that does the work but answers too late.

The real CLI (forked from the kit's zygote) against the emulator over HTTP on 127.0.0.1,
wrapped in small ASGI faults: a create or an items add done at once and answered after the
client's timeout, a server that lists conversations (as llama-stack does), and an add that
is done only after its answer was given up on. Nothing is created twice; what cannot be
known is said, and looked up where it can be; a count that does not match reaches the
output and ``doctor``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY, strict_client
from tests.kit.fixtures import no_traceback
from tests.kit.zygote import Finished, Zygote
from tui.api.client import TIMEOUT_ENV
from tui.emulator import Emulator, EmulatorConfig
from tui.emulator.faults import LateReplies
from tui.emulator.server import LoopbackServer

CLIENT_TIMEOUT = 1.0  # seconds the CLI's client waits for a reply
LATE = CLIENT_TIMEOUT + 1.5  # seconds a late answer comes after the work was done
MESSAGES = 45  # a create of 20, then adds of 20 and 5
COMMAND_TIMEOUT = 60.0


@dataclass
class Pick:
    """Picks requests of ``method`` whose path ends with ``suffix``: the ``which``-th ones."""

    method: str
    suffix: str
    which: tuple[int, ...] = (1,)
    seen: int = 0

    def __call__(self, method: str, path: str) -> bool:
        """True for the picked requests (counted from 1) of the route."""
        if method != self.method or not path.endswith(self.suffix):
            return False
        self.seen += 1
        return self.seen in self.which


@dataclass
class Listing:
    """ASGI middleware: ``GET /v1/conversations`` lists the emulator's conversations."""

    app: ASGIApp
    emulator: Emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the list route; pass everything else on."""
        listing = scope["type"] == "http" and scope["method"] == "GET"
        if not listing or scope["path"].rstrip("/") != "/v1/conversations":
            await self.app(scope, receive, send)
            return
        held = self.emulator.namespace(TEST_KEY).conversations.values()
        data = sorted((rec.obj for rec in held), key=lambda c: c["created_at"], reverse=True)
        body = {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
        await JSONResponse(body)(scope, receive, send)


@dataclass
class Belated:
    """ASGI middleware: the first picked request is done only when the next one arrives.

    Its client has given up by then (the answer goes nowhere); the next one is done after it.
    """

    app: ASGIApp
    pick: Pick
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the first picked request until the second; pass everything else on."""
        if scope["type"] != "http" or not self.pick(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.pick.seen == 1:
            body = await _body(receive)
            await self.arrived.wait()
            await self.app(scope, _replay(body), _discard)
            self.done.set()
            return
        if self.pick.seen == 2:
            self.arrived.set()
            await self.done.wait()
        await self.app(scope, receive, send)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _discard(message: Message) -> None:
    return None


@dataclass
class Setup:
    """A served emulator holding one 45-message thread, and the CLI on a private registry."""

    emulator: Emulator
    server: LoopbackServer
    thread_id: str
    zygote: Zygote
    db: Path

    def cli(self, *args: str) -> Finished:
        """Run ``thread-browser ARGS``; no traceback may reach the user."""
        env = cli_env(self.server.base_url, self.db, TEST_KEY, **{TIMEOUT_ENV: str(CLIENT_TIMEOUT)})
        done = self.zygote.run(list(args), env, timeout=COMMAND_TIMEOUT)
        assert not done.timed_out, f"{args} did not end"
        no_traceback(done.output)
        return done

    def migrate(self) -> tuple[Finished, dict]:
        """``migrate --json THREAD``: the run and its row."""
        done = self.cli("migrate", "--json", self.thread_id)
        return done, json.loads(done.stdout.splitlines()[-1])

    def conversations(self) -> list:
        """The emulator's conversations made for the thread."""
        held = self.emulator.namespace(TEST_KEY).conversations.values()
        return [rec for rec in held if rec.obj["metadata"].get("migrated_from") == self.thread_id]

    def texts(self, rec: object) -> list[str]:
        """The texts of a conversation's items, in order."""
        return [item["content"][0]["text"] for item in rec.items]  # type: ignore[attr-defined]

    def doctor(self) -> tuple[Finished, dict]:
        """``doctor --json``: the run and its report."""
        done = self.cli("doctor", "--json")
        return done, json.loads(done.stdout)


@pytest.fixture
def setup(request: pytest.FixtureRequest, zygote: Zygote, tmp_path: Path) -> Iterator[Setup]:
    """The emulator behind the test's wrap (``@pytest.mark.parametrize`` gives it)."""
    emulator = Emulator(EmulatorConfig(token_delay_ms=0))
    wrap = request.param
    server = LoopbackServer(wrap(emulator, emulator.asgi()), name="late").start()
    try:
        sdk = strict_client(server.base_url)
        thread = sdk.beta.threads.create(metadata={"title": "Carried once"})
        for n in range(MESSAGES):
            sdk.beta.threads.messages.create(thread.id, role="user", content=f"line {n}")
        yield Setup(emulator, server, thread.id, zygote, tmp_path / "registry.sqlite3")
    finally:
        server.stop()


def late_create(emulator: Emulator, app: ASGIApp) -> ASGIApp:
    """The first conversation create is done at once and answered late."""
    return LateReplies(app, LATE, Pick("POST", "/v1/conversations"))


def late_create_listed(emulator: Emulator, app: ASGIApp) -> ASGIApp:
    """As :func:`late_create`, on a server that lists conversations."""
    return Listing(late_create(emulator, app), emulator)


def late_adds(emulator: Emulator, app: ASGIApp) -> ASGIApp:
    """The first and third items adds are done at once and answered late."""
    return LateReplies(app, LATE, Pick("POST", "/items", which=(1, 3)))


def belated_add(emulator: Emulator, app: ASGIApp) -> ASGIApp:
    """The first items add is done only when the next one arrives."""
    return Belated(app, Pick("POST", "/items", which=(1, 2)))


@pytest.mark.parametrize("setup", [late_create], indirect=True)
def test_a_late_create_is_not_sent_again_and_its_orphan_is_reported(setup: Setup) -> None:
    done, row = setup.migrate()
    made = setup.conversations()
    assert len(made) == 1, f"{len(made)} conversations made for one thread"
    token = made[0].obj["metadata"]["migration_attempt"]
    assert done.returncode == 1 and row["result"] == "failed"
    assert f"migration_attempt={token}" in row["message"]
    assert "may have made it anyway" in row["message"]

    checked, report = setup.doctor()
    assert checked.returncode == 1 and not report["healthy"]
    said = [f for f in report["findings"] if f["check"] == "migrations"]
    assert len(said) == 1 and token in said[0]["problem"], report["findings"]
    assert "answer never came" in said[0]["problem"] and said[0]["action"]

    again, row = setup.migrate()  # the user was told: a new one is made, the old one named
    assert again.returncode == 0 and row["result"] == "migrated", again.stderr
    assert any(f"migration_attempt={token}" in note for note in row["notes"])
    assert row["found"] == MESSAGES and len(setup.conversations()) == 2
    checked, report = setup.doctor()
    assert checked.returncode == 0 and report["healthy"], report["findings"]


@pytest.mark.parametrize("setup", [late_create_listed], indirect=True)
def test_a_late_create_is_found_by_its_marker_and_carried_into(setup: Setup) -> None:
    done, row = setup.migrate()
    made = setup.conversations()
    assert len(made) == 1, f"{len(made)} conversations made for one thread"
    assert done.returncode == 0, done.stderr
    assert row["result"] == "migrated" and row["conversation"] == made[0].obj["id"]
    assert row["items"] == row["found"] == MESSAGES and not row["mismatch"]
    assert any("found by its marker" in note for note in row["notes"])
    assert setup.texts(made[0]) == [f"line {n}" for n in range(MESSAGES)]
    listed = [json.loads(line)["id"] for line in setup.cli("list", "--json").stdout.splitlines()]
    assert made[0].obj["id"] in listed
    checked, report = setup.doctor()
    assert checked.returncode == 0 and report["healthy"], report["findings"]


@pytest.mark.parametrize("setup", [late_adds], indirect=True)
def test_late_item_adds_go_on_from_what_the_server_holds(setup: Setup) -> None:
    done, row = setup.migrate()
    made = setup.conversations()
    assert len(made) == 1
    assert setup.texts(made[0]) == [f"line {n}" for n in range(MESSAGES)]  # none twice
    assert done.returncode == 0, done.stderr
    assert row["result"] == "migrated" and row["items"] == row["added"] == MESSAGES
    assert row["found"] == MESSAGES and not row["mismatch"]
    checked, report = setup.doctor()
    assert checked.returncode == 0 and report["healthy"], report["findings"]


@pytest.mark.parametrize("setup", [belated_add], indirect=True)
def test_an_add_done_after_its_answer_is_a_mismatch_for_migrate_and_doctor(setup: Setup) -> None:
    done, row = setup.migrate()
    made = setup.conversations()
    held = len(made[0].items)
    assert held == MESSAGES + 20  # the server did the first add late: a batch is there twice
    assert row["result"] == "migrated" and row.get("found") == held and row.get("mismatch")
    assert done.returncode == 1
    assert any(f"holds {held} items where {MESSAGES} were carried" in n for n in row["notes"])

    human = setup.cli("migrate", setup.thread_id)
    assert human.returncode == 1
    assert f"{MESSAGES} items carried from registry, but it holds {held}" in human.stdout

    checked = setup.cli("doctor")
    flat = " ".join(checked.stdout.split())
    assert checked.returncode == 1
    assert "Problem (migrations): Migrated threads whose conversation holds another" in flat
    assert f"{held} held, {MESSAGES} carried" in flat and "What to do:" in flat
