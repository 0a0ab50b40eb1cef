"""Headers and keys as the real API: rate-limit headers, version, timing; unknown keys 401."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import openai
import pytest

from tests.conftest import ServerFactory, strict_client

RATE_HEADERS = [
    f"x-ratelimit-{what}-{unit}"
    for what in ("limit", "remaining", "reset")
    for unit in ("requests", "tokens")
]


def answers(base_url: str) -> dict[str, httpx2.Response]:
    """A success, a refusal, a 404 and a 401 (no key) from one emulator, as raw responses."""
    client = strict_client(base_url, max_retries=0)
    raw = client.with_raw_response
    found: dict[str, httpx2.Response] = {"200": raw.models.list().http_response}
    calls: dict[str, Callable[[], object]] = {
        "400": lambda: client.responses.create(model="gpt-4.1", input="hi", temperature=5),
        "404": lambda: client.get("/no/such/route", cast_to=object),
    }
    for status, call in calls.items():
        with pytest.raises(openai.APIStatusError) as caught:
            call()
        found[status] = caught.value.response
    client.close()
    found["401"] = httpx2.get(base_url + "/models")
    return found


def test_every_answer_has_the_real_headers(make_server: ServerFactory) -> None:
    server = make_server()
    for status, response in answers(server.base_url).items():
        headers = response.headers
        assert str(response.status_code) == status
        missing = [h for h in RATE_HEADERS if h not in headers]
        assert not missing, f"{status}: no {missing}"
        assert headers["openai-version"] == "2020-10-01"
        assert headers["openai-processing-ms"].isdigit()
        assert headers["x-request-id"].startswith("req_")


def test_remaining_requests_go_down(make_server: ServerFactory) -> None:
    server = make_server()
    client = strict_client(server.base_url)
    first = client.with_raw_response.models.list().headers
    second = client.with_raw_response.models.list().headers
    assert int(first["x-ratelimit-limit-requests"]) > 0
    left = int(first["x-ratelimit-remaining-requests"])
    assert int(second["x-ratelimit-remaining-requests"]) == left - 1
    assert first["x-ratelimit-reset-requests"].endswith(("ms", "s"))


def test_a_429_keeps_its_own_rate_headers(make_server: ServerFactory) -> None:
    server = make_server(rate_limit=1)
    client = strict_client(server.base_url, max_retries=0)
    client.models.list()
    with pytest.raises(openai.RateLimitError) as caught:
        client.models.list()
    headers = caught.value.response.headers
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert len(headers.get_list("x-ratelimit-limit-requests")) == 1
    assert "x-ratelimit-remaining-tokens" in headers


def test_only_the_configured_keys_are_accepted(make_server: ServerFactory) -> None:
    server = make_server(api_keys=frozenset({"test-key-one", "test-key-two"}))
    for key in ("test-key-one", "test-key-two"):
        assert strict_client(server.base_url, key=key).models.list().data
    with pytest.raises(openai.AuthenticationError) as caught:
        strict_client(server.base_url, key="test-key-alpha", max_retries=0).models.list()
    error = caught.value
    assert error.status_code == 401 and error.code == "invalid_api_key"
    body = error.body
    assert isinstance(body, dict) and body["message"].startswith("Incorrect API key provided")
    assert "test-key-alpha" not in body["message"]
