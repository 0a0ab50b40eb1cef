"""SDK errors become domain errors whose messages say what happened and what to do."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_KEY
from tests.kit.ports import spare_port
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import (
    ApiGone,
    AuthFailed,
    Conflict,
    Invalid,
    NotFound,
    Offline,
    RateLimited,
    ServerError,
)
from tui.model import Connection, Kind


def adapter(base_url: str, kind: Kind = Kind.THREAD, key: str = TEST_KEY, **kw):
    connection = Connection(base_url)
    return adapter_for(kind, make_client(connection, key, strict=True, **kw), connection)


def closed_port() -> int:
    """A loopback port nothing listens on (nor will: outside the ephemeral range)."""
    return spare_port()


async def test_not_found_names_the_item_and_the_likely_causes(server) -> None:
    api = adapter(server.base_url, max_retries=0)
    with pytest.raises(NotFound) as caught:
        await api.retrieve("thread_doesnotexist0000000000")
    message = str(caught.value)
    assert "thread thread_doesnotexist0000000000 was not found" in message
    assert "another project" in message and server.base_url in message
    assert caught.value.item_id == "thread_doesnotexist0000000000"


async def test_other_keys_items_are_not_found(server) -> None:
    mine = adapter(server.base_url, Kind.CONVERSATION, max_retries=0)
    item = await mine.create()
    theirs = adapter(server.base_url, Kind.CONVERSATION, key="someone-else", max_retries=0)
    with pytest.raises(NotFound):
        await theirs.history(item.id)


async def test_sunset_is_api_gone_not_not_found(make_server) -> None:
    server = make_server(sunset=True)
    api = adapter(server.base_url, max_retries=0)
    with pytest.raises(ApiGone) as caught:
        await api.retrieve("thread_abc")
    assert "2026-08-26" in str(caught.value) and "migrate" in str(caught.value)
    assert not isinstance(caught.value, NotFound)
    conversations = adapter(server.base_url, Kind.CONVERSATION, max_retries=0)
    assert (await conversations.create()).id.startswith("conv_")


async def test_rejected_key_is_auth_failed_and_redacted(make_server) -> None:
    server = make_server(api_keys=frozenset({"good-key"}))
    bad = "sk-proj-" + "Z" * 40
    api = adapter(server.base_url, key=bad, max_retries=0)
    with pytest.raises(AuthFailed) as caught:
        await api.retrieve("thread_abc")
    message = str(caught.value)
    assert "401" in message and "OPENAI_API_KEY" in message
    assert "Z" * 10 not in message and "sk-proj-Z" not in message


def test_missing_key_is_auth_failed_before_any_call() -> None:
    with pytest.raises(AuthFailed, match="OPENAI_API_KEY"):
        make_client(Connection("http://127.0.0.1:9/v1"), None)


async def test_unreachable_server_is_offline() -> None:
    api = adapter(f"http://127.0.0.1:{closed_port()}/v1", max_retries=0)
    with pytest.raises(Offline, match="Cannot reach"):
        await api.retrieve("thread_abc")


async def test_slow_server_times_out_as_offline(make_server) -> None:
    server = make_server(latency_ms=600)
    api = adapter(server.base_url, max_retries=0, timeout=0.2)
    with pytest.raises(Offline, match="did not answer in time"):
        await api.retrieve("thread_abc")


async def test_rate_limit_carries_retry_after(make_server) -> None:
    server = make_server(rate_limit=1)
    api = adapter(server.base_url, Kind.CONVERSATION, max_retries=0)
    with pytest.raises(RateLimited) as caught:
        for _ in range(5):
            await api.create()
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 1.0
    assert "429" in str(caught.value) and "retry in" in str(caught.value)


async def test_active_run_is_a_conflict_with_the_run_id(make_server) -> None:
    server = make_server(token_delay_ms=200)
    api = adapter(server.base_url, max_retries=0)
    thread = await api.create(first_message="hi")
    asst = await api.client.beta.assistants.create(model="gpt-4.1")
    run = await api.client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    with pytest.raises(Conflict) as caught:
        async for _ in api.send(thread.id, "again", choice=asst.id):
            pass
    assert caught.value.run_id == run.id
    assert "cancel" in str(caught.value)


async def test_metadata_over_limits_is_invalid_with_param(server) -> None:
    api = adapter(server.base_url, Kind.CONVERSATION, max_retries=0)
    with pytest.raises(Invalid) as caught:
        await api.create(metadata={f"k{n}": "v" for n in range(17)})
    assert caught.value.param == "metadata"
    assert "16" in str(caught.value)


async def test_server_errors_say_it_is_the_servers_side(make_server) -> None:
    server = make_server(error_rate=1.0)
    api = adapter(server.base_url, max_retries=0)
    with pytest.raises(ServerError) as caught:
        await api.retrieve("thread_abc")
    assert caught.value.status == 500 and "try again" in str(caught.value)


async def test_sdk_retries_absorb_occasional_500s_on_reads_only(make_server) -> None:
    """A read is retried through a 500; a create is sent once (it may have been done)."""
    server = make_server(error_rate=0.0, seed=3)
    api = adapter(server.base_url, Kind.CONVERSATION, max_retries=4)
    created = [await api.create() for _ in range(5)]
    server.emulator.config.error_rate = 0.3
    before = server.emulator.request_count
    read = [await api.retrieve(c.id) for c in created]
    assert [r.id for r in read] == [c.id for c in created]
    assert server.emulator.request_count - before > 5  # some reads failed and were retried
    server.emulator.config.error_rate = 1.0
    before = server.emulator.request_count
    with pytest.raises(ServerError):
        await api.create()
    assert server.emulator.request_count - before == 1
