"""``track(client)`` records what the user's own code creates."""

from __future__ import annotations

import json
import time

import pytest
from openai import OpenAI

from tests.conftest import TEST_KEY, strict_async_client, strict_client
from tui import track


def listed(cli, base_url) -> dict[str, dict]:
    done = cli(base_url)("list", "--json", "--state", "all")
    assert done.returncode == 0, done.stderr
    return {row["id"]: row for row in map(json.loads, done.stdout.splitlines())}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "registry.sqlite3"


def test_tutorial_flow_with_track_shows_up_in_list(server, cli, db) -> None:
    client = track(strict_client(server.base_url), db=db)
    thread = client.beta.threads.create(metadata={"user_id": "u-42", "session_id": "s-1"})
    client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content="I need to solve 3x + 11 = 14."
    )
    assistant = client.beta.assistants.create(name="Math Tutor", model="gpt-4.1")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    while run.status in ("queued", "in_progress"):
        time.sleep(0.02)
        run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    assert run.status == "completed"

    rows = listed(cli, server.base_url)
    row = rows[thread.id]
    assert row["metadata"] == {"user_id": "u-42", "session_id": "s-1"}
    assert row["title"] == thread.id
    assert row["connection"]["base_url"] == server.base_url
    assert row["source"] == "track"
    assert TEST_KEY not in db.read_bytes().decode("latin-1")


def test_every_creating_call_is_recorded(server, cli, db) -> None:
    client = track(strict_client(server.base_url), db=db)
    titled = client.beta.threads.create(
        messages=[{"role": "user", "content": "Refund for order 7?\nThanks"}]
    )
    asst = client.beta.assistants.create(model="gpt-4.1")
    run = client.beta.threads.create_and_run(
        assistant_id=asst.id, thread={"metadata": {"title": "Made by create_and_run"}}
    )
    with client.beta.threads.create_and_run(
        assistant_id=asst.id,
        thread={"messages": [{"role": "user", "content": "streamed"}]},
        stream=True,
    ) as stream:
        streamed_id = next(e.data.id for e in stream if e.event == "thread.created")
        for _ in stream:
            pass
    conv = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "Plan the offsite"}]
    )
    client.responses.create(model="gpt-4.1", input="hello", conversation=conv.id)
    client.beta.threads.delete(titled.id)

    rows = listed(cli, server.base_url)
    assert rows[titled.id]["title"] == "Refund for order 7?"
    assert rows[titled.id]["state"] == "deleted"
    assert rows[run.thread_id]["title"] == "Made by create_and_run"
    assert rows[streamed_id]["title"] == "streamed"
    assert rows[conv.id]["title"] == "Plan the offsite"
    assert rows[conv.id]["last_activity"] >= rows[conv.id]["created_at"]


async def test_async_client_is_tracked(server, cli, db) -> None:
    client = track(strict_async_client(server.base_url), db=db)
    conv = await client.conversations.create(metadata={"title": "async"})
    await client.close()
    assert listed(cli, server.base_url)[conv.id]["title"] == "async"


def test_tracking_never_raises_into_user_code(server, tmp_path, caplog) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    client = track(strict_client(server.base_url), db=blocker / "registry.sqlite3")
    thread = client.beta.threads.create()
    assert thread.id.startswith("thread_")
    assert "tracking skipped" in caplog.text


def test_tracking_twice_records_once(server, db) -> None:
    client = track(track(OpenAI(api_key=TEST_KEY, base_url=server.base_url), db=db), db=db)
    assert len(client._client.event_hooks["response"]) == 1


async def test_stored_chat_completions_are_recorded_plain_streamed_and_deleted(
    server, cli, db
) -> None:
    client = track(strict_client(server.base_url), db=db)
    said = [{"role": "user", "content": "Where is 京都?"}]
    plain = client.chat.completions.create(
        model="gpt-4o-mini", store=True, messages=said, metadata={"user_id": "u7"}
    )
    with client.chat.completions.create(
        model="gpt-4o-mini", store=True, messages=said, stream=True
    ) as stream:
        streamed_id = next(iter(stream)).id
        for _ in stream:
            pass
    unstored = client.chat.completions.create(model="gpt-4o-mini", messages=said)
    aclient = track(strict_async_client(server.base_url), db=db)
    awaited = await aclient.chat.completions.create(model="gpt-4o-mini", store=True, messages=said)
    rows = listed(cli, server.base_url)
    assert {plain.id, streamed_id, awaited.id} <= set(rows) and unstored.id not in rows
    assert rows[plain.id]["kind"] == "completion" and rows[plain.id]["title"] == "Where is 京都?"
    assert rows[plain.id]["metadata"] == {"user_id": "u7"}
    client.chat.completions.delete(plain.id)
    assert listed(cli, server.base_url)[plain.id]["state"] == "deleted"


async def test_stored_responses_are_recorded_as_chains_that_move_on(server, cli, db) -> None:
    client = track(strict_client(server.base_url), db=db)
    model = "gpt-4o-mini"
    first = client.responses.create(model=model, input="Plan a trip to 京都", metadata={"u": "7"})
    second = client.responses.create(model=model, input="and Osaka?", previous_response_id=first.id)
    with client.responses.create(
        model=model, input="by train?", previous_response_id=second.id, stream=True
    ) as stream:
        third_id = next(e.response.id for e in stream if e.type == "response.created")
        for _ in stream:
            pass
    fork = client.responses.create(model=model, input="or Nara?", previous_response_id=first.id)
    unstored = client.responses.create(model=model, input="forget it", store=False)
    conv = client.conversations.create()
    in_conv = client.responses.create(model=model, input="hi", conversation=conv.id)
    aclient = track(strict_async_client(server.base_url), db=db)
    awaited = await aclient.responses.create(
        model=model, input="again", previous_response_id=third_id
    )
    rows = listed(cli, server.base_url)
    chains = {i: r for i, r in rows.items() if r["kind"] == "response"}
    assert set(chains) == {awaited.id, fork.id}  # one chain moved on four times, one fork
    assert chains[awaited.id]["title"] == "Plan a trip to 京都"
    assert chains[awaited.id]["metadata"] == {"u": "7"}
    assert chains[fork.id]["title"] == "or Nara?"
    assert unstored.id not in rows and in_conv.id not in rows and conv.id in rows
    client.responses.delete(fork.id)
    assert listed(cli, server.base_url)[fork.id]["state"] == "deleted"
