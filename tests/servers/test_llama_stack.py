"""Every operation against llama-stack (Responses + Conversations on SQLite, real server)."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from tests.conftest import PATIENCE, TEST_KEY, strict_client
from tests.servers import operations as op
from tests.servers.conftest import Target, api_on
from tui.api.errors import NotFound
from tui.model import ObjectKind, ServerObject

# One worker runs every server test: one of each server per session, started first.
pytestmark = [pytest.mark.xdist_group("servers"), pytest.mark.long]


@pytest.fixture
def target(llama_stack: Target) -> Target:
    return llama_stack


@pytest.fixture
def run(cli, target: Target):
    return cli(target.proxy_url)


def test_import_and_list(target, run) -> None:
    item_id = op.seed(target, 3, "import")
    op.cli_import(target, run, item_id)
    op.cli_list(target, run, item_id)


async def test_open_newest_page(target, registry) -> None:
    item_id = op.seed(target, 5, "open")
    await op.open_newest(target, registry, item_id, 5)


async def test_older_pages_reach_the_first_entry(target, registry) -> None:
    item_id = op.seed(target, op.LONG, "older")
    await op.older_pages(target, registry, item_id)


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_short(target, run, fmt) -> None:
    item_id = op.seed(target, 4, "short")
    op.cli_import(target, run, item_id)
    op.cli_export(target, run, item_id, 4, fmt, "short")


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_long_holds_every_message_or_says_incomplete(target, run, fmt) -> None:
    item_id = op.seed(target, op.LONG, "long")
    op.cli_import(target, run, item_id)
    op.cli_export(target, run, item_id, op.LONG, fmt, "long")


async def test_chat_stream(target, registry) -> None:
    item_id = op.seed(target, 1, "chat")
    await op.chat(target, registry, item_id, background=False)


async def test_chat_background(target, registry) -> None:
    item_id = op.seed(target, 1, "background")
    await op.chat(target, registry, item_id, background=True)


async def test_create(target, registry) -> None:
    await op.create(target, registry)


async def test_rename(target, registry) -> None:
    await op.rename(target, registry, op.seed(target, 1, "rename"))


async def test_metadata(target, registry) -> None:
    await op.metadata(target, registry, op.seed(target, 1, "metadata"))


def test_delete_short(target, run) -> None:
    item_id = op.seed(target, 3, "delete")
    op.cli_import(target, run, item_id)
    op.cli_delete(target, run, item_id, 3)


def test_delete_long_never_loses_a_message(target, run) -> None:
    item_id = op.seed(target, op.LONG, "deletelong")
    op.cli_import(target, run, item_id)
    op.cli_delete(target, run, item_id, op.LONG)


def test_track_hook(target, run, db) -> None:
    op.track_hook(target, run, str(db))


def listing(target: Target) -> set[str] | None:
    """The IDs llama-stack lists as stored completions; ``None`` while it cannot list."""
    try:
        page = httpx2.get(f"{target.direct_url}/chat/completions", params={"limit": 100})
    except httpx2.TransportError:
        return None
    return {c["id"] for c in page.json()["data"]} if page.status_code == 200 else None


def test_discover_lists_its_stored_chat_completions(target, run) -> None:
    # llama-stack makes its completion store on first use, and loses what it is asked to
    # store before that (its log: "no such table: inference_store"): it is listed first.
    wait_until(lambda: listing(target) is not None, "llama-stack's completion store")
    client = strict_client(target.direct_url)
    made = {
        client.chat.completions.create(
            model=target.choice,
            messages=[{"role": "user", "content": f"discover me {n}"}],
            store=True,
        ).id
        for n in range(3)
    }

    # It writes the store in the background, a moment after it answers.
    wait_until(lambda: made <= (listing(target) or set()), "llama-stack to list them")
    found = run("discover")
    assert found.returncode == 0, found.stdout + found.stderr
    lines = dict(line.split(maxsplit=2)[1:] for line in found.stdout.splitlines())
    assert lines["/chat/completions"].startswith("listed")
    assert lines["/conversations"].startswith("not offered: the server has no such list")
    listed = run("list", "--kind", "completion", "--json", "--limit", "1000")
    assert made <= {json.loads(row)["id"] for row in listed.stdout.splitlines()}
    again = run("discover", "--only", "completions")
    assert again.returncode == 0 and "(0 new)" in again.stdout, again.stdout + again.stderr


def wait_until(check, what: str) -> None:
    """Return once ``check()`` holds; fail naming ``what`` after ``PATIENCE`` seconds."""
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def made_chain(client, model: str, length: int) -> list[str]:
    """A chain of ``length`` responses made with ``client``; their IDs, oldest first."""
    made: list[str] = []
    for n in range(length):
        extra = {"previous_response_id": made[-1]} if made else {}
        made.append(client.responses.create(model=model, input=f"link {n}", **extra).id)
    return made


async def test_a_response_chain_reads_continues_and_deletes(target, run, db) -> None:
    from openai import OpenAI

    from tui import track
    from tui.api import adapter_for
    from tui.api.client import make_client
    from tui.api.paging import Walk
    from tui.model import Continued, Kind

    # llama-stack's responses fail the SDK's strict types; it keeps no previous_response_id
    # (the registry knows the chain's older responses from the hook)
    tracked = track(OpenAI(api_key=TEST_KEY, base_url=target.proxy_url), db=db)
    ids = made_chain(tracked, target.choice, 3)
    async with make_client(target.connection, TEST_KEY) as client:
        api = adapter_for(Kind.RESPONSE, client, target.connection)
        walk = Walk(lambda cursor, size: api.history(ids[-1], before=cursor, limit=size), limit=2)
        turns = [t for step in reversed([s async for s in walk]) for t in step.turns]
        assert walk.complete, walk.doubt
        assert [t.text for t in turns if t.role == "user"] == ["link 0", "link 1", "link 2"]
        assert [t.text for t in turns if t.role == "assistant"] == [
            f"Echo: link {n}" for n in range(3)
        ]
        events = [e async for e in api.send(ids[-1], "link 3", choice=target.choice)]
        [moved] = [e for e in events if isinstance(e, Continued)]
        page = await api.history(moved.item.id)
    assert [t.text for t in page.turns if t.role == "user"][-2:] == ["link 2", "link 3"]
    done = run("delete", "--yes", ids[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    for response_id in ids:
        found = httpx2.get(f"{target.direct_url}/responses/{response_id}")
        assert found.status_code == 404, (response_id, found.status_code)
    assert httpx2.get(f"{target.direct_url}/responses/{moved.item.id}").status_code == 200


def test_discover_lists_its_stored_responses_as_chains(target, run) -> None:
    client = op.direct(target)
    made = {
        client.responses.create(model=target.choice, input=f"find response {n}").id
        for n in range(2)
    }
    found = run("discover", "--only", "responses")
    assert found.returncode == 0, found.stdout + found.stderr
    assert found.stdout.startswith("GET /responses           listed"), found.stdout
    listed = run("list", "--kind", "response", "--json", "--limit", "1000")
    assert made <= {json.loads(row)["id"] for row in listed.stdout.splitlines()}


async def test_a_conversation_with_a_response_in_it_deep_deletes(target) -> None:
    conv_id = op.seed(target, 3, "deep")
    with op.direct(target) as client:
        response_id = client.responses.create(
            model=target.choice, input="deep answer", conversation=conv_id
        ).id
        listed = [item.id for item in client.conversations.items.list(conv_id, order="asc")]
    conversation = ServerObject(ObjectKind.CONVERSATION, conv_id)
    response = ServerObject(ObjectKind.RESPONSE, response_id)
    async with api_on(target) as api:
        parts = await api.parts(conv_id)
        assert [p.id for p in parts] == listed and len(parts) == 3 + 2  # with its in and out
        whole = [*parts, response, conversation]
        assert [await api.exists(obj) for obj in whole] == [True] * len(whole)
        for obj in parts:
            await api.remove(obj)
        assert [await api.exists(obj) for obj in parts] == [False] * len(parts)
        assert await api.exists(conversation) and await api.exists(response)
        with pytest.raises(NotFound):
            await api.remove(parts[0])
        for obj in (response, conversation):
            await api.remove(obj)
        assert [await api.exists(obj) for obj in whole] == [False] * len(whole)
        with pytest.raises(NotFound):
            await api.parts(conv_id)


def test_a_deep_delete_leaves_nothing_of_the_conversation_fetchable(target, run, db) -> None:
    from openai import OpenAI

    from tui import track

    # the user's own code, tracked: the registry learns the conversation and its responses
    tracked = track(OpenAI(api_key=TEST_KEY, base_url=target.proxy_url), db=db)
    conv_id = tracked.conversations.create(
        items=[{"type": "message", "role": "user", "content": "erase me entirely"}]
    ).id
    said = [
        tracked.responses.create(model=target.choice, input=f"turn {n}", conversation=conv_id).id
        for n in range(2)
    ]
    with op.direct(target) as client:
        items = [item.id for item in client.conversations.items.list(conv_id, order="asc")]
    assert len(items) == 1 + 2 * 2  # the first message, and each response's in and out
    base = target.direct_url
    urls = [f"{base}/conversations/{conv_id}", *(f"{base}/responses/{r}" for r in said)]
    urls += [f"{base}/conversations/{conv_id}/items/{i}" for i in items]
    assert {url: httpx2.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)
    done = run("delete", "--yes", "--json", conv_id)
    assert done.returncode == 0, done.stdout + done.stderr
    objects = json.loads(done.stdout)["objects"]
    assert objects["verified"] == len(items) + len(said) + 1 and objects["still_there"] == 0
    assert {url: httpx2.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)
    receipts = json.loads(run("receipts", "--json").stdout)["receipts"]
    assert {r["object_id"] for r in receipts} == {conv_id, *said, *items}
