"""The real OpenAI Agents SDK against the emulator, through a tracked client.

``Runner.run`` with an ``OpenAIConversationsSession`` (which makes its conversation lazily,
with no metadata) and with ``previous_response_id`` (a response chain): every conversation
and chain it made is in the registry afterwards, each chain under its newest response.
"""

from __future__ import annotations

import json

from agents import Agent, OpenAIConversationsSession, OpenAIResponsesModel, RunConfig, Runner
from openai import AsyncOpenAI

from tests.conftest import TEST_KEY
from tui import track
from tui.model import Connection
from tui.store import Registry

QUIET = RunConfig(tracing_disabled=True)  # the SDK's traces would go to the internet


def listed(cli, base_url) -> dict[str, dict]:
    done = cli(base_url)("list", "--json", "--state", "all")
    assert done.returncode == 0, done.stderr
    return {row["id"]: row for row in map(json.loads, done.stdout.splitlines())}


async def test_sessions_and_chains_of_agent_runs_are_all_tracked(server, cli, tmp_path) -> None:
    db = tmp_path / "registry.sqlite3"
    client = track(AsyncOpenAI(api_key=TEST_KEY, base_url=server.base_url, max_retries=0), db=db)
    model = OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client)
    agent = Agent(name="Guide", instructions="Answer briefly.", model=model)

    session = OpenAIConversationsSession(openai_client=client)
    kyoto = await Runner.run(agent, "Where is Kyoto?", session=session, run_config=QUIET)
    osaka = await Runner.run(agent, "And how far is Osaka?", session=session, run_config=QUIET)
    conversation = await session._get_session_id()

    first = await Runner.run(agent, "Plan a day in Nara.", run_config=QUIET)
    second = await Runner.run(
        agent,
        "Add a deer park.",
        previous_response_id=first.last_response_id,
        run_config=QUIET,
    )
    alone = await Runner.run(agent, "Name a temple.", run_config=QUIET)

    rows = listed(cli, server.base_url)
    assert rows[conversation]["kind"] == "conversation"
    chains = {i for i, r in rows.items() if r["kind"] == "response"}
    # a session's turns are stored responses of their own too (the SDK sends the session's
    # items as their input): two more chains, each holding the session so far
    assert len(chains) == 4 and {second.last_response_id, alone.last_response_id} <= chains
    assert first.last_response_id not in rows  # the chain moved on to its newest response
    assert rows[second.last_response_id]["title"] == "Plan a day in Nara."
    exported = cli(server.base_url)("export", second.last_response_id, "--format", "json")
    said = [t for t in json.loads(exported.stdout)["turns"] if t["role"] == "user"]
    assert len(said) == 2
    # the session's responses (made outside the conversation, their output then added to
    # it) are noted under its conversation: deleting it alone would leave them readable
    async with await Registry.open(db) as registry:
        item = await registry.get(Connection(server.base_url), conversation)
        assert item is not None
        made = [kyoto.last_response_id, osaka.last_response_id]
        assert await registry.responses.of(item) == made
