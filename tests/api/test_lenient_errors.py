"""Errors say what the server said, and what a status means on a server nobody here wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from tests.api.test_lenient_shapes import OddServer, api_of, odd
from tests.conftest import CHATTING
from tui.api.errors import ApiError, ApiGone, Invalid, NotFound, RateLimited, ServerError
from tui.model import Kind, Turn, Usage

__all__ = ["odd"]  # the fixture, shared with the shapes tests

HTML_502 = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>"
)
HTML_404 = b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "media", "said", "error"),
    [
        (400, {"detail": "Model gpt-x is not served here"}, None, "Model gpt-x is not", Invalid),
        (
            422,
            {"detail": [{"loc": ["body", "metadata"], "msg": "Input should be a dict"}]},
            None,
            "body.metadata: Input should be a dict",
            Invalid,
        ),
        (
            400,
            {"error": {"message": "Bad metadata key", "type": "x"}},
            None,
            "Bad metadata",
            Invalid,
        ),
        (500, "upstream model crashed\n", "text/plain", "upstream model crashed", ServerError),
        (502, HTML_502, "text/html", "502 Bad Gateway", ServerError),
    ],
    ids=["fastapi-detail", "fastapi-validation", "openai-envelope", "plain-text", "html-page"],
)
async def test_errors_quote_what_the_server_said(
    odd: OddServer, status: int, body: Any, media: str | None, said: str, error: type
) -> None:
    kw: dict[str, Any] = {"status": status}
    if media:
        kw["media_type"] = media
    odd.on("POST", "/conversations/conv_a", body, **kw)
    with pytest.raises(error) as caught:
        await api_of(odd, Kind.CONVERSATION).update_metadata("conv_a", {"title": "x"})
    message = str(caught.value)
    assert said in message
    assert "<" not in message and "Error code:" not in message


@pytest.mark.parametrize("status", [405, 501])
async def test_405_and_501_say_the_server_does_not_support_it(odd: OddServer, status: int) -> None:
    from tui.api.errors import Unsupported

    odd.on("DELETE", "/conversations/conv_a", {"detail": "Method Not Allowed"}, status=status)
    with pytest.raises(Unsupported) as caught:
        await api_of(odd, Kind.CONVERSATION).delete("conv_a")
    message = str(caught.value)
    assert "does not support conversations" in message and odd.base_url in message
    assert "try again" not in message and "shortly" not in message
    assert caught.value.status == status


@pytest.mark.parametrize(
    ("body", "media"),
    [
        ({"detail": "Not Found"}, None),
        (HTML_404, "text/html"),
        ("404 page not found", "text/plain"),
    ],
    ids=["fastapi", "html", "plain"],
)
@pytest.mark.parametrize("kind", CHATTING)
async def test_a_generic_404_on_a_route_family_says_the_api_is_missing(
    odd: OddServer, kind: Kind, body: Any, media: str | None
) -> None:
    from tui.api.errors import RouteMissing

    odd.fallback.body = body
    if media:
        odd.fallback.media_type = media
    item_id = "thread_a" if kind is Kind.THREAD else "conv_a"
    with pytest.raises(RouteMissing) as caught:
        await api_of(odd, kind).retrieve(item_id)
    message = str(caught.value)
    api = "Assistants API" if kind is Kind.THREAD else "Conversations API"
    assert f"has no {api}" in message and "another project" not in message
    assert isinstance(caught.value, ApiGone)  # named once per connection, like the sunset


async def test_a_404_that_names_the_object_is_still_not_found(odd: OddServer) -> None:
    odd.on("GET", "/conversations/conv_a", {"detail": "Conversation conv_a not found"}, status=404)
    with pytest.raises(NotFound):
        await api_of(odd, Kind.CONVERSATION).retrieve("conv_a")


def _assistant_turns() -> list[Turn]:
    return [
        Turn("msg_1", "user"),
        Turn("msg_2", "assistant", run_id="run_1"),
        Turn("msg_3", "assistant", run_id="run_2"),
    ]


@pytest.mark.parametrize(
    ("status", "body"),
    [(404, {"detail": "Not Found"}), (404, {"error": {"message": "No run"}}), (405, None)],
    ids=["generic-404", "envelope-404", "405"],
)
async def test_enrich_without_runs_returns_the_turns_as_they_are(
    odd: OddServer, status: int, body: Any
) -> None:
    odd.fallback.status, odd.fallback.body = status, body
    turns = _assistant_turns()
    assert await api_of(odd, Kind.THREAD).enrich("thread_a", turns) == turns


async def test_enrich_without_run_steps_keeps_the_run_usage(odd: OddServer) -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    odd.on("GET", "/threads/thread_a/runs/run_1", {"id": "run_1", "usage": usage})
    odd.fallback.status = 405
    turns = await api_of(odd, Kind.THREAD).enrich("thread_a", _assistant_turns())
    assert turns[1].usage == Usage(5, 7) and turns[2].usage is None
    assert odd.count("GET", "/threads/thread_a/runs/run_1/steps") == 1


def _in(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"retry-after": "999999"}, 999999, 999999),
        ({"retry-after-ms": "1500"}, 1.5, 1.5),
        ({"retry-after": "7"}, 7, 7),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0, 0),
        ({"retry-after": "soon"}, None, None),
    ],
    ids=["huge-seconds", "milliseconds", "seconds", "date-past", "garbage"],
)
async def test_retry_after_is_read_in_seconds(
    odd: OddServer, headers: dict[str, str], low: float | None, high: float | None
) -> None:
    odd.on(
        "GET",
        "/conversations/conv_a",
        {"error": {"message": "slow down"}},
        status=429,
        headers=headers,
    )
    with pytest.raises(RateLimited) as caught:
        await api_of(odd, Kind.CONVERSATION).retrieve("conv_a")
    wait = caught.value.retry_after
    assert (wait is None) if low is None else (low <= wait <= high)  # type: ignore[operator]


async def test_retry_after_as_an_http_date_is_the_wait_until_then(odd: OddServer) -> None:
    odd.on(
        "GET",
        "/threads/thread_a",
        {"detail": "busy"},
        status=429,
        headers={"retry-after": _in(600)},
    )
    with pytest.raises(RateLimited) as caught:
        await api_of(odd, Kind.THREAD).retrieve("thread_a")
    assert caught.value.retry_after is not None and 580 <= caught.value.retry_after <= 601
    assert "busy" in str(caught.value) and "minutes" in str(caught.value)


def test_every_error_is_an_api_error() -> None:
    from tui.api.errors import RouteMissing, Unreadable, Unsupported

    assert issubclass(RouteMissing, ApiGone) and issubclass(Unsupported, ApiError)
    assert issubclass(Unreadable, ServerError)
