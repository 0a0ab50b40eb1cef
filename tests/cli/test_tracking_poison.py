"""``track(client)`` cannot poison the registry, whatever shapes the server answers with.

A real SDK client talks over real HTTP to the real emulator behind a filter that rewrites
its times (ISO-8601 text, milliseconds), and to a tiny server that answers bad IDs and
oversized metadata. The registry stays readable, searchable and healthy.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import count

import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.conftest import TEST_KEY
from tui import track
from tui.emulator.app import Emulator
from tui.emulator.config import EmulatorConfig
from tui.emulator.server import EmulatorServer

THREAD = "thread_" + "Q7" * 12
CREATED = re.compile(rb'"created_at": ?(\d+(?:\.\d+)?)')


def as_iso(match: re.Match[bytes]) -> bytes:
    moment = datetime.fromtimestamp(int(float(match.group(1))), tz=UTC)
    return b'"created_at": "' + moment.isoformat().encode() + b'"'


def as_millis(match: re.Match[bytes]) -> bytes:
    return b'"created_at": ' + str(int(float(match.group(1)) * 1000) + 123).encode()


class RewrittenTimes:
    """The real emulator, its ``created_at`` times rewritten in every answer and event."""

    def __init__(self, rewrite: Callable[[re.Match[bytes]], bytes]) -> None:
        self.emulator = Emulator(EmulatorConfig(token_delay_ms=1))
        self.rewrite = rewrite

    def asgi(self) -> ASGIApp:
        inner = self.emulator.asgi()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            async def rewritten(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [h for h in message["headers"] if h[0] != b"content-length"]
                    message = {**message, "headers": headers}
                elif message["type"] == "http.response.body":
                    body = CREATED.sub(self.rewrite, message.get("body", b""))
                    message = {**message, "body": body}
                await send(message)

            await inner(scope, receive, rewritten)

        return app


class Scripted:
    """A server whose ``POST /threads`` answers the next scripted thread object."""

    def __init__(self, answers: list[dict[str, object]]) -> None:
        self.answers = answers
        self.numbers = count()

    def asgi(self) -> ASGIApp:
        async def create(request: Request) -> Response:
            answer = self.answers[next(self.numbers) % len(self.answers)]
            thread = {"object": "thread", "created_at": 1_790_000_000, "metadata": {}}
            body = json.dumps({**thread, "tool_resources": None, **answer})  # NaN too
            return Response(body, media_type="application/json")

        return Starlette(routes=[Route("/v1/threads", create, methods=["POST"])])


@pytest.fixture
def serve() -> Iterator[Callable[[object], EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(app: object) -> EmulatorServer:
        server = EmulatorServer(app).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def user_client(base_url: str) -> OpenAI:
    """A client as users make them (lenient about shapes, as the SDK is by default)."""
    return OpenAI(api_key=TEST_KEY, base_url=base_url, max_retries=0)


def listed(cli, base_url: str, *args: str) -> dict[str, dict]:
    done = cli(base_url)("list", "--json", "--state", "all", *args)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return {row["id"]: row for row in map(json.loads, done.stdout.splitlines())}


def assert_healthy(cli) -> None:
    done = cli(None)("doctor", "--json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["healthy"]


def use_every_route(client: OpenAI) -> dict[str, str]:
    """Create what the hook records, the way a user's program does; the IDs made."""
    thread = client.beta.threads.create(metadata={"team": "billing"})
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="hello")
    asst = client.beta.assistants.create(model="gpt-4.1")
    run = client.beta.threads.create_and_run(
        assistant_id=asst.id, thread={"metadata": {"title": "made by a run"}}
    )
    with client.beta.threads.create_and_run(
        assistant_id=asst.id,
        thread={"messages": [{"role": "user", "content": "streamed hello"}]},
        stream=True,
    ) as stream:
        streamed = next(e.data.id for e in stream if e.event == "thread.created")
        for _ in stream:
            pass
    conv = client.conversations.create(metadata={"team": "support"})
    client.responses.create(model="gpt-4.1", input="hi", conversation=conv.id)
    return {"thread": thread.id, "run": run.thread_id, "stream": streamed, "conv": conv.id}


@pytest.mark.parametrize("rewrite", [as_iso, as_millis], ids=["iso-8601", "milliseconds"])
def test_times_in_any_form_are_stored_as_seconds(serve, cli, tmp_path, rewrite, caplog) -> None:
    server = serve(RewrittenTimes(rewrite))
    before = int(time.time())
    client = track(user_client(server.base_url), db=tmp_path / "registry.sqlite3")
    made = use_every_route(client)
    assert "tracking skipped" not in caplog.text

    rows = listed(cli, server.base_url)
    assert set(made.values()) <= set(rows)
    for item_id in made.values():
        created = datetime.fromisoformat(rows[item_id]["created_at"]).timestamp()
        assert before - 5 <= created <= time.time() + 5
    assert rows[made["run"]]["title"] == "made by a run"
    assert rows[made["stream"]]["title"] == "streamed hello"
    found = listed(cli, server.base_url, "--search", "billing")
    assert list(found) == [made["thread"]]  # the search index holds it
    assert_healthy(cli)


def test_the_real_emulator_still_records_everything(make_server, cli, tmp_path) -> None:
    server = make_server()
    client = track(user_client(server.base_url), db=tmp_path / "registry.sqlite3")
    made = use_every_route(client)
    assert set(made.values()) <= set(listed(cli, server.base_url))
    assert_healthy(cli)


BAD_IDS: list[object] = [
    12345,
    None,
    "thread-0123456789abcdefghij",
    "conv_" + "ab" * 24,
    "thread_" + "x" * 5000,
    " ",
    {"id": THREAD},
]


def test_records_that_cannot_be_stored_are_skipped_with_one_warning(
    serve, cli, tmp_path, caplog
) -> None:
    answers: list[dict[str, object]] = [{"id": bad} for bad in BAD_IDS]
    server = serve(Scripted([*answers, {"id": THREAD}]))
    client = track(user_client(server.base_url), db=tmp_path / "registry.sqlite3")
    with caplog.at_level(logging.WARNING, logger="tui.tracking"):
        made = [client.beta.threads.create() for _ in range(len(BAD_IDS) + 1)]
    assert [t.id for t in made] == [*BAD_IDS, THREAD]  # the user's code got every answer
    warnings = [r for r in caplog.records if r.name == "tui.tracking"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "tracking skipped a record" in warnings[0].getMessage()
    assert "12345" in warnings[0].getMessage() or "not text" in warnings[0].getMessage()
    assert list(listed(cli, server.base_url)) == [THREAD]
    assert_healthy(cli)


NO_TIMES: list[object] = ["yesterday", -5, 1e30, float("nan"), "9999-12-31T23:59:59", True, [1]]


def test_a_time_that_is_no_usable_time_is_left_out(serve, cli, tmp_path) -> None:
    ids = [f"thread_{n:024d}" for n in range(len(NO_TIMES))]
    server = serve(
        Scripted([{"id": i, "created_at": t} for i, t in zip(ids, NO_TIMES, strict=True)])
    )
    client = track(user_client(server.base_url), db=tmp_path / "registry.sqlite3")
    before = time.time()
    for _ in ids:
        client.beta.threads.create()
    rows = listed(cli, server.base_url)
    assert sorted(rows) == ids
    for row in rows.values():
        assert row["created_at"] is None
        assert datetime.fromisoformat(row["last_activity"]).timestamp() >= int(before)
    assert_healthy(cli)


def test_oversized_metadata_is_kept_within_the_api_limits(serve, cli, tmp_path) -> None:
    metadata: dict[str, object] = {f"key{n:02d}": "v" * 10_000 for n in range(40)}
    metadata = {"title": "Quarterly plan", "nested": {"a": [1, 2]}, "k" * 100: 7, **metadata}
    server = serve(Scripted([{"id": THREAD, "metadata": metadata}]))
    track(user_client(server.base_url), db=tmp_path / "registry.sqlite3").beta.threads.create()
    row = listed(cli, server.base_url)[THREAD]
    assert row["title"] == "Quarterly plan"
    assert len(row["metadata"]) == 16
    assert row["metadata"]["nested"] == '{"a": [1, 2]}' and row["metadata"]["k" * 64] == "7"
    assert all(len(k) <= 64 and len(v) <= 512 for k, v in row["metadata"].items())
    assert_healthy(cli)


class Described:
    """A server that describes any thread asked for with the given fields (no messages)."""

    def __init__(self, fields: dict[str, object]) -> None:
        self.fields = fields

    def asgi(self) -> ASGIApp:
        async def thread(request: Request) -> Response:
            body = {"id": request.path_params["thread_id"], "object": "thread"}
            body |= {"created_at": 1_790_000_000, "metadata": {}, "tool_resources": None}
            return Response(json.dumps(body | self.fields), media_type="application/json")

        async def messages(request: Request) -> Response:
            empty = {"object": "list", "data": [], "first_id": None, "last_id": None}
            return Response(json.dumps(empty | {"has_more": False}), media_type="application/json")

        return Starlette(
            routes=[
                Route("/v1/threads/{thread_id}", thread, methods=["GET"]),
                Route("/v1/threads/{thread_id}/messages", messages, methods=["GET"]),
            ]
        )


def test_import_stores_what_the_server_describes_made_fit(serve, cli) -> None:
    metadata = {f"key{n:02d}": "v" * 10_000 for n in range(40)}
    far = 50_000_000_000  # seconds: the year 3554, past what the search index can key
    server = serve(Described({"created_at": far, "metadata": {"title": "Plan", **metadata}}))
    done = cli(server.base_url)("import", "-", input=f"see {THREAD} and thread_{'R8' * 12}")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    rows = listed(cli, server.base_url)
    assert sorted(rows) == [THREAD, f"thread_{'R8' * 12}"]
    row = rows[THREAD]
    assert row["title"] == "Plan" and row["created_at"] is None
    assert len(row["metadata"]) == 16 and all(len(v) <= 512 for v in row["metadata"].values())
    assert_healthy(cli)
