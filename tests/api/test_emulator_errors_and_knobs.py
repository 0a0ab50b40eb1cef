"""The emulator's error envelope, limits, auth, isolation, and every fault knob."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
import openai
import pytest

from tests.conftest import OTHER_KEY, TEST_KEY, strict_client

MODEL = "gpt-4.1"
BETA = {"OpenAI-Beta": "assistants=v2"}


def auth(key: str = TEST_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# the error envelope


def test_thread_404_text_and_envelope(client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.retrieve("thread_x")
    exc = caught.value
    assert exc.status_code == 404
    assert exc.body == {
        "message": "No thread found with id 'thread_x'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert "No thread found with id 'thread_x'." in exc.message
    assert exc.type == "invalid_request_error" and exc.param is None and exc.code is None
    assert exc.request_id is not None and exc.request_id.startswith("req_")


def test_raw_error_body_is_wrapped_in_error(server) -> None:
    reply = httpx2.get(f"{server.base_url}/threads/thread_x", headers={**auth(), **BETA})
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json() == {
        "error": {
            "message": "No thread found with id 'thread_x'.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_invalid_json_body_is_400(server) -> None:
    reply = httpx2.post(
        f"{server.base_url}/threads",
        content=b"{not json",
        headers={**auth(), **BETA, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert "could not parse the JSON body" in reply.json()["error"]["message"]


def test_missing_required_parameter(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(
            "/assistants", body={"name": "no model"}, cast_to=object, options={"headers": BETA}
        )
    assert caught.value.body == {
        "message": "Missing required parameter: 'model'.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "missing_required_parameter",
    }


# metadata limits


def _create_thread(client, meta):
    return client.beta.threads.create(metadata=meta).metadata


def _update_thread(client, meta):
    thread = client.beta.threads.create()
    return client.beta.threads.update(thread.id, metadata=meta).metadata


def _create_assistant(client, meta):
    return client.beta.assistants.create(model=MODEL, metadata=meta).metadata


def _create_message(client, meta):
    thread = client.beta.threads.create()
    return client.beta.threads.messages.create(
        thread.id, role="user", content="x", metadata=meta
    ).metadata


def _create_conversation(client, meta):
    return client.conversations.create(metadata=meta).metadata


def _create_response(client, meta):
    return client.responses.create(model=MODEL, input="x", metadata=meta).metadata


METADATA_TARGETS: dict[str, Callable] = {
    "thread.create": _create_thread,
    "thread.update": _update_thread,
    "assistant.create": _create_assistant,
    "message.create": _create_message,
    "conversation.create": _create_conversation,
    "response.create": _create_response,
}
TOO_MUCH = {
    "17 keys": {f"k{i}": "v" for i in range(17)},
    "65-char key": {"k" * 65: "v"},
    "513-char value": {"k": "v" * 513},
}


@pytest.mark.parametrize("target", list(METADATA_TARGETS))
@pytest.mark.parametrize("case", list(TOO_MUCH))
def test_metadata_over_the_limits_is_400(client, target, case) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        METADATA_TARGETS[target](client, TOO_MUCH[case])
    assert caught.value.status_code == 400
    assert caught.value.param is not None and caught.value.param.startswith("metadata")
    assert caught.value.body["type"] == "invalid_request_error"
    assert caught.value.body["code"] in ("object_above_max_properties", "string_above_max_length")


@pytest.mark.parametrize("target", list(METADATA_TARGETS))
def test_metadata_at_the_limits_is_accepted(client, target) -> None:
    meta = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    assert all(len(k) == 64 for k in meta)
    assert METADATA_TARGETS[target](client, meta) == meta


def test_metadata_value_must_be_a_string(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.create(metadata={"n": 3})  # type: ignore[dict-item]
    assert caught.value.param == "metadata.n"


def test_message_params_are_named_like_the_api(client) -> None:
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.messages.create(thread.id, role="system", content="x")  # type: ignore[arg-type]
    assert caught.value.param == "role"
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.create(
            messages=[{"role": "user", "content": "x", "metadata": {"k": "v" * 513}}]
        )
    assert caught.value.param == "messages[0].metadata.k"


# headers, keys, routes


def test_missing_beta_header_is_invalid_beta(server, client) -> None:
    thread = client.beta.threads.create()
    url = f"{server.base_url}/threads/{thread.id}"
    reply = httpx2.get(url, headers=auth())
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_beta"
    assert error["type"] == "invalid_request_error"
    assert "OpenAI-Beta" in error["message"]
    ok = httpx2.get(url, headers={**auth(), **BETA})
    assert ok.status_code == 200 and ok.json()["id"] == thread.id
    # the Responses routes do not need the header
    assert httpx2.get(f"{server.base_url}/models", headers=auth()).status_code == 200


def test_items_are_isolated_per_key(server, client) -> None:
    thread = client.beta.threads.create()
    conv = client.conversations.create()
    with strict_client(server.base_url, OTHER_KEY) as other:
        with pytest.raises(openai.NotFoundError) as caught:
            other.beta.threads.retrieve(thread.id)
        assert caught.value.body["message"] == f"No thread found with id '{thread.id}'."
        with pytest.raises(openai.NotFoundError):
            other.conversations.retrieve(conv.id)
        with pytest.raises(openai.NotFoundError):
            other.beta.threads.messages.create(thread.id, role="user", content="intrude")
        assert other.beta.assistants.list().data == []
    assert client.beta.threads.retrieve(thread.id).id == thread.id


def test_missing_authorization_is_401(server) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        reply = httpx2.get(f"{server.base_url}/models", headers=headers)
        assert reply.status_code == 401, headers
        error = reply.json()["error"]
        assert "didn't provide an API key" in error["message"]
        assert error["type"] == "invalid_request_error"


def test_api_keys_knob_rejects_other_keys(make_server) -> None:
    server = make_server(api_keys=frozenset({TEST_KEY}))
    bad_key = "sk-proj-" + "Q" * 40
    with (
        strict_client(server.base_url, bad_key) as bad,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        bad.models.list()
    exc = caught.value
    assert exc.status_code == 401 and exc.code == "invalid_api_key"
    assert bad_key not in exc.body["message"] and bad_key not in str(exc)
    assert "Q" * 10 not in exc.body["message"]
    assert exc.body["message"].startswith("Incorrect API key provided: sk-")
    assert exc.body["message"].rstrip(".").endswith("account/api-keys")
    with strict_client(server.base_url, TEST_KEY) as good:
        assert good.models.list().data


def test_unknown_route_is_invalid_url(server, client) -> None:
    reply = httpx2.get(f"{server.base_url}/nothing/here", headers=auth())
    assert reply.status_code == 404
    assert reply.json()["error"]["message"] == "Invalid URL (GET /v1/nothing/here)"
    reply = httpx2.post(f"{server.base_url}/nothing", headers=auth(), json={})
    assert reply.json()["error"]["message"] == "Invalid URL (POST /v1/nothing)"
    with pytest.raises(openai.NotFoundError) as caught:
        client.get("/nothing/here", cast_to=object)
    assert caught.value.body["message"] == "Invalid URL (GET /v1/nothing/here)"


def test_every_response_has_a_request_id(client) -> None:
    raw = client.models.with_raw_response.list()
    first = raw.headers["x-request-id"]
    second = client.models.with_raw_response.list().headers["x-request-id"]
    assert first.startswith("req_") and second.startswith("req_") and first != second


# knobs


def test_rate_limit_answers_429_with_retry_headers(make_server) -> None:
    server = make_server(rate_limit=5)
    limited: list[openai.RateLimitError] = []
    ok = 0
    with strict_client(server.base_url) as client:
        for _ in range(30):
            try:
                client.models.list()
                ok += 1
            except openai.RateLimitError as exc:
                limited.append(exc)
    assert limited, "a burst of 30 requests at 5/s must hit the limit"
    assert 1 <= ok < 30
    exc = limited[0]
    assert exc.status_code == 429
    assert exc.code == "rate_limit_exceeded" and exc.type == "requests"
    headers = exc.response.headers
    assert 0 < int(headers["retry-after-ms"]) <= 1000
    assert int(headers["retry-after"]) >= 1
    assert headers["x-ratelimit-limit-requests"] == "300"  # 5/s, written per minute as the API does
    assert headers["x-ratelimit-remaining-requests"] == "0"
    # the limit is per key: another key still gets through
    with strict_client(server.base_url, OTHER_KEY) as other:
        assert other.models.list().data


def test_rate_limited_burst_succeeds_with_sdk_retries(make_server) -> None:
    server = make_server(rate_limit=5)
    with strict_client(server.base_url, max_retries=2) as client:
        started = time.monotonic()
        results = [client.models.list() for _ in range(9)]
        elapsed = time.monotonic() - started
    assert all(r.data for r in results)
    # 9 requests at 5/s with a burst of 5 cannot all pass at once: the SDK waited
    assert elapsed >= 0.4
    assert server.emulator.request_count > 9


def test_error_rate_one_is_always_500(make_server) -> None:
    server = make_server(error_rate=1.0)
    with strict_client(server.base_url) as client:
        for call in (client.models.list, client.conversations.create, client.beta.threads.create):
            with pytest.raises(openai.InternalServerError) as caught:
                call()
            assert caught.value.status_code == 500
            assert caught.value.type == "server_error"
            assert caught.value.body["message"].startswith("The server had an error")


def _failure_pattern(make_server, seed: int, n: int = 30) -> list[bool]:
    server = make_server(error_rate=0.3, seed=seed)
    pattern = []
    with strict_client(server.base_url) as client:
        for _ in range(n):
            try:
                client.models.list()
                pattern.append(False)
            except openai.InternalServerError:
                pattern.append(True)
    return pattern


def test_error_rate_is_deterministic_per_seed(make_server) -> None:
    first = _failure_pattern(make_server, seed=42)
    second = _failure_pattern(make_server, seed=42)
    assert first == second
    assert any(first) and not all(first)
    assert 3 <= sum(first) <= 20
    assert _failure_pattern(make_server, seed=43) != first


def test_latency_knob_delays_every_call(make_server) -> None:
    server = make_server(latency_ms=100)
    with strict_client(server.base_url) as client:
        client.models.list()  # connect first
        started = time.monotonic()
        client.models.list()
        assert time.monotonic() - started >= 0.1


def _sunset_calls(client) -> dict[str, Callable]:
    t, r, m = "thread_gone", "run_gone", "msg_gone"
    beta = client.beta
    return {
        "assistants.create": lambda: beta.assistants.create(model=MODEL),
        "assistants.list": lambda: beta.assistants.list(),
        "assistants.retrieve": lambda: beta.assistants.retrieve("asst_gone"),
        "assistants.update": lambda: beta.assistants.update("asst_gone", name="x"),
        "assistants.delete": lambda: beta.assistants.delete("asst_gone"),
        "threads.create": lambda: beta.threads.create(),
        "threads.retrieve": lambda: beta.threads.retrieve(t),
        "threads.update": lambda: beta.threads.update(t, metadata={}),
        "threads.delete": lambda: beta.threads.delete(t),
        "threads.create_and_run": lambda: beta.threads.create_and_run(assistant_id="asst_gone"),
        "messages.create": lambda: beta.threads.messages.create(t, role="user", content="x"),
        "messages.list": lambda: beta.threads.messages.list(t),
        "messages.retrieve": lambda: beta.threads.messages.retrieve(m, thread_id=t),
        "messages.update": lambda: beta.threads.messages.update(m, thread_id=t, metadata={}),
        "messages.delete": lambda: beta.threads.messages.delete(m, thread_id=t),
        "runs.create": lambda: beta.threads.runs.create(t, assistant_id="asst_gone"),
        "runs.list": lambda: beta.threads.runs.list(t),
        "runs.retrieve": lambda: beta.threads.runs.retrieve(r, thread_id=t),
        "runs.update": lambda: beta.threads.runs.update(r, thread_id=t, metadata={}),
        "runs.cancel": lambda: beta.threads.runs.cancel(r, thread_id=t),
        "runs.submit_tool_outputs": lambda: beta.threads.runs.submit_tool_outputs(
            r, thread_id=t, tool_outputs=[]
        ),
        "steps.list": lambda: beta.threads.runs.steps.list(r, thread_id=t),
        "steps.retrieve": lambda: beta.threads.runs.steps.retrieve(
            "step_gone", thread_id=t, run_id=r
        ),
    }


def test_sunset_makes_every_assistants_route_invalid_url(make_server) -> None:
    server = make_server(sunset=True)
    with strict_client(server.base_url) as client:
        calls = _sunset_calls(client)
        for name, call in calls.items():
            with pytest.raises(openai.NotFoundError) as caught:
                call()
            message = caught.value.body["message"]
            assert message.startswith("Invalid URL ("), name
            assert "/v1/" in message, name
        assert len(calls) == 23
        # the Responses side still works
        conv = client.conversations.create(items=[{"role": "user", "content": "still here"}])
        resp = client.responses.create(model=MODEL, input="hello", conversation=conv.id)
        assert resp.status == "completed"
        roles = [i.role for i in client.conversations.items.list(conv.id, order="asc")]
        assert roles == ["user", "user", "assistant"]
        assert client.models.list().data


def test_no_stream_answers_json(make_server) -> None:
    server = make_server(no_stream=True)
    headers = {**auth(), **BETA}
    with strict_client(server.base_url) as client:
        asst = client.beta.assistants.create(model=MODEL)
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
        reply = httpx2.post(
            f"{server.base_url}/threads/{thread.id}/runs",
            json={"assistant_id": asst.id, "stream": True},
            headers=headers,
        )
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("application/json")
        run = reply.json()
        assert run["object"] == "thread.run" and run["thread_id"] == thread.id
        final = client.beta.threads.runs.poll(run["id"], thread_id=thread.id, poll_interval_ms=20)
        assert final.status == "completed"

        both = httpx2.post(
            f"{server.base_url}/threads/runs",
            json={"assistant_id": asst.id, "stream": True},
            headers=headers,
        )
        assert both.headers["content-type"].startswith("application/json")
        assert both.json()["object"] == "thread.run"

        resp = httpx2.post(
            f"{server.base_url}/responses",
            json={"model": MODEL, "input": "hi", "stream": True},
            headers=auth(),
        )
        assert resp.headers["content-type"].startswith("application/json")
        assert resp.json()["object"] == "response" and resp.json()["status"] == "completed"

        # The SDK reads a JSON answer to stream=True as an empty event stream, so a client
        # must fall back to polling when a stream yields nothing.
        client.beta.threads.messages.create(thread.id, role="user", content="again")
        assert (
            list(client.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True))
            == []
        )


def test_streaming_is_served_as_event_stream(server, client) -> None:
    asst = client.beta.assistants.create(model=MODEL)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    with httpx2.stream(
        "POST",
        f"{server.base_url}/threads/{thread.id}/runs",
        json={"assistant_id": asst.id, "stream": True},
        headers={**auth(), **BETA},
    ) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        body = reply.read().decode()
    assert body.startswith("event: thread.run.created\ndata: {")
    assert body.rstrip().endswith("event: done\ndata: [DONE]")


# determinism


def _scenario(client, extra_reads: bool) -> list[str]:
    """The same writes; ``extra_reads`` adds reads in between, which must not matter."""
    out: list[str] = []
    asst = client.beta.assistants.create(model=MODEL)
    if extra_reads:
        client.models.list()
        client.beta.assistants.list()
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Tell me more"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, poll_interval_ms=5 if extra_reads else 40
    )
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    out += [asst.id, thread.id, run.id, run.status, *[m.id for m in messages]]
    out += [m.content[0].text.value for m in messages]
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    out += [s.id for s in steps]
    conv = client.conversations.create(items=[{"role": "user", "content": "context"}])
    if extra_reads:
        client.conversations.items.list(conv.id)
    resp = client.responses.create(model=MODEL, input="And then?", conversation=conv.id)
    out += [conv.id, resp.id, resp.output[0].id, resp.output_text]
    out += [i.id for i in client.conversations.items.list(conv.id)]
    return out


def test_same_seed_same_ids_and_replies(make_server) -> None:
    a = make_server(seed=1234)
    b = make_server(seed=1234)
    with strict_client(a.base_url) as ca, strict_client(b.base_url) as cb:
        first = _scenario(ca, extra_reads=False)
        second = _scenario(cb, extra_reads=True)
    assert first == second
    assert first[3] == "completed"
    c = make_server(seed=4321)
    with strict_client(c.base_url) as cc:
        third = _scenario(cc, extra_reads=False)
    assert third[0] != first[0]
