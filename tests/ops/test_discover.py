"""Discovery over real HTTP: each way a list can lie ends with a reason, and a stop resumes.

``Lists`` is a server of stored completions with switchable lies; the product's own lister
(the SDK, over loopback) reads it, and a real registry keeps what it lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import TEST_KEY
from tui.api.client import make_client
from tui.api.listing import list_page
from tui.model import Connection, Kind
from tui.ops.discovering import Outcome, discover
from tui.store import Registry

CREATED = 1_780_000_000


@dataclass
class Lists:
    """``GET /v1/chat/completions`` of ``size`` completions, oldest first, and its lies."""

    size: int
    fail_after: int | None = None  # pages answered before every request fails with a 500
    ignore_cursor: bool = False  # every page is the first one
    more_forever: bool = False  # an empty page that says there is more
    last_page_lies: bool = False  # ``has_more: false`` on every full page
    garbage_every: int = 0  # every Nth entry has a number for an ID and a list for metadata
    newest_first: bool = False  # order=asc ignored: listed newest first, ``after`` goes back
    requests: int = 0
    gone: set[str] = field(default_factory=set)  # deleted: a cursor naming one is refused

    def ids(self) -> list[str]:
        return [f"chatcmpl-{n:029d}" for n in range(self.size) if f"{n}" not in self.gone]

    def entry(self, n: int, item_id: str) -> dict:
        if self.garbage_every and n % self.garbage_every == self.garbage_every // 2:
            return {"id": 12345, "object": "chat.completion", "metadata": ["x"]}
        return {
            "id": item_id,
            "object": "chat.completion",
            "created": CREATED + n,
            "model": "gpt-4o-mini",
            "metadata": {"n": str(n)},
            "choices": [],
        }

    async def endpoint(self, request: Request) -> JSONResponse:
        self.requests += 1
        if self.fail_after is not None and self.requests > self.fail_after:
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, 500)
        if self.more_forever:
            return JSONResponse({"object": "list", "data": [], "has_more": True})
        ids = [f"chatcmpl-{n:029d}" for n in range(self.size)]
        order = list(range(self.size))[:: -1 if self.newest_first else 1]
        after = request.query_params.get("after")
        if after in self.gone:
            return JSONResponse({"error": {"message": "no such after", "param": "after"}}, 400)
        listed = [(n, ids[n]) for n in order]
        at = [i for _, i in listed]
        start = 0 if self.ignore_cursor or after is None else at.index(after) + 1
        limit = int(request.query_params.get("limit", "20"))
        window = [(n, i) for n, i in listed[start:] if i not in self.gone]
        page = window[:limit]
        more = len(window) > limit and not self.last_page_lies
        data = [self.entry(n, i) for n, i in page]
        return JSONResponse({"object": "list", "data": data, "has_more": more})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.endpoint)])


@pytest.fixture
def base_url(serve_asgi) -> callable:
    """Serve a ``Lists`` once per test (its URL is the connection the items belong to)."""
    served: dict[int, str] = {}

    def url(lists: Lists) -> str:
        if id(lists) not in served:
            served[id(lists)] = serve_asgi(lists.app()).base_url
        return served[id(lists)]

    return url


async def run(lists: Lists, base_url, db: Path, **kw):
    connection = Connection(base_url(lists))
    client = make_client(connection, TEST_KEY, max_retries=0)

    async def lister(kind: Kind, after: str | None):
        return await list_page(client, connection, kind, after)

    async with await Registry.open(db) as registry:
        [result] = await discover(registry, connection, lister, kinds=(Kind.COMPLETION,), **kw)
        tracked = await registry.fetchone("SELECT count(*) FROM items WHERE kind = 'completion'")
    await client.close()
    return result, tracked[0]


async def test_a_stop_resumes_after_the_last_page_kept(base_url, tmp_path) -> None:
    lists = Lists(size=450, fail_after=2)
    first, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (first.outcome, first.listed, tracked) == (Outcome.STOPPED, 200, 200)
    assert "Run discover again to resume" in first.line() and "500" in first.detail
    lists.fail_after, lists.requests = None, 0
    second, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (second.outcome, second.listed, second.added, tracked) == (Outcome.LISTED, 250, 250, 450)
    assert second.resumed and lists.requests == 3  # pages 3, 4 and 5: none read again
    lists.size, lists.requests = 460, 0
    third, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (third.listed, third.added, tracked, lists.requests) == (10, 10, 460, 1)


async def test_a_server_that_ignores_the_cursor_is_stopped_at_its_second_page(
    base_url, tmp_path
) -> None:
    lists = Lists(size=300, ignore_cursor=True)
    result, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert result.outcome is Outcome.STOPPED and "same items again" in result.detail
    assert (result.listed, tracked, lists.requests) == (100, 100, 2)


async def test_more_forever_with_nothing_in_it_ends_at_once(base_url, tmp_path) -> None:
    lists = Lists(size=0, more_forever=True)
    result, _ = await run(lists, base_url, tmp_path / "r.db")
    assert result.outcome is Outcome.STOPPED and "cursor does not move" in result.detail
    assert lists.requests == 1


async def test_a_full_page_that_says_it_is_the_last_is_looked_past(base_url, tmp_path) -> None:
    lists = Lists(size=250, last_page_lies=True)
    result, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (result.outcome, result.listed, tracked) == (Outcome.LISTED, 250, 250)
    assert lists.requests == 3


async def test_unreadable_entries_are_counted_and_skipped(base_url, tmp_path) -> None:
    lists = Lists(size=125, garbage_every=10)
    result, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (result.outcome, result.listed, result.unreadable) == (Outcome.LISTED, 113, 12)
    assert tracked == 113
    assert "12 unreadable entries skipped" in result.line()


async def test_a_page_budget_ends_an_endless_list(base_url, tmp_path) -> None:
    lists = Lists(size=1_000)
    result, tracked = await run(lists, base_url, tmp_path / "r.db", max_pages=3)
    assert result.outcome is Outcome.STOPPED and "3 pages" in result.detail
    assert (tracked, lists.requests) == (300, 3)


async def test_a_saved_cursor_deleted_since_lists_again_from_the_start(base_url, tmp_path) -> None:
    lists = Lists(size=150)
    await run(lists, base_url, tmp_path / "r.db")
    lists.gone.add(f"chatcmpl-{149:029d}")
    lists.size = 160
    result, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (result.outcome, result.added, tracked) == (Outcome.LISTED, 10, 160)
    assert not result.resumed


@pytest.mark.parametrize(
    ("status", "outcome"), [(404, Outcome.NOT_OFFERED), (401, Outcome.REFUSED)]
)
async def test_a_server_without_the_list_or_the_key_says_so(
    serve_asgi, tmp_path, status: int, outcome: Outcome
) -> None:
    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"error": {"message": "nope", "type": "invalid_request_error"}}, status)

    app = Starlette(routes=[Route("/v1/chat/completions", refuse)])
    server = serve_asgi(app)
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, max_retries=0)

    async def lister(kind: Kind, after: str | None):
        return await list_page(client, connection, kind, after)

    async with await Registry.open(tmp_path / "r.db") as registry:
        [result] = await discover(registry, connection, lister, kinds=(Kind.COMPLETION,))
    await client.close()
    assert result.outcome is outcome and result.listed == 0
    assert result.line().startswith("GET /chat/completions")
    assert str(status) in result.line() or outcome is Outcome.REFUSED


async def test_a_server_that_lists_newest_first_is_read_again_from_the_top(
    base_url, tmp_path
) -> None:
    lists = Lists(size=250, newest_first=True)
    first, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (first.outcome, first.listed, tracked) == (Outcome.LISTED, 250, 250)
    lists.size = 262
    second, tracked = await run(lists, base_url, tmp_path / "r.db")
    assert (second.outcome, second.added, tracked) == (Outcome.LISTED, 12, 262)
