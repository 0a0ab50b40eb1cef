"""The misbehaving-server kit itself: each switch does on the wire what it says."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from tests.conftest import TEST_KEY
from tests.kit.fixtures import Served
from tests.kit.misbehave import DETAIL, SIZE
from tests.kit.switches import RETRY_AFTER


@pytest.fixture
def http(served: Served) -> Iterator[httpx2.Client]:
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    with httpx2.Client(base_url=served.base_url + "/", headers=headers, timeout=10) as client:
        yield client


def items(served: Served, http: httpx2.Client, **params: object) -> dict:
    reply = http.get(f"conversations/{served.kit.conversation.id}/items", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_well_behaved_kit_pages_honestly_and_counts_requests(served, http) -> None:
    first = items(served, http, limit=100)
    rest = items(served, http, limit=100, after=first["last_id"])
    assert (len(first["data"]), first["has_more"]) == (100, True)
    assert (len(rest["data"]), rest["has_more"]) == (SIZE - 100, False)
    assert served.kit.requests("GET /v1/conversations/{conv}/items") == 2
    assert served.kit.total == 2


def test_paging_switches(served, http) -> None:
    faults = served.kit.faults
    faults.set("cursor_ignored")
    first = items(served, http, limit=100)
    again = items(served, http, limit=100, after=first["last_id"])
    assert again["data"] == first["data"] and not again["has_more"]
    faults.clear()
    faults.set("paging_ignored")
    every = items(served, http, limit=5, order="desc")
    assert len(every["data"]) == SIZE and every["has_more"]
    assert every["data"][0]["id"] == served.kit.conversation.entries[0].id
    faults.clear()
    faults.set("has_more_false")
    assert not items(served, http, limit=100)["has_more"]
    faults.clear()
    faults.set("has_more_true")
    assert items(served, http, limit=100, after=first["data"][-1]["id"] + "x")["has_more"]
    faults.clear()
    faults.set("same_last_id")
    assert items(served, http, limit=10, after="msg_whatever")["last_id"] == first["data"][9]["id"]


def test_shape_switches(served, http) -> None:
    faults = served.kit.faults
    thread = served.kit.thread.id
    faults.set("string_content")
    faults.set("iso_times")
    faults.set("dash_ids")
    faults.set("wrong_shape")
    data = http.get(f"threads/{thread}/messages", params={"order": "asc"}).json()["data"]
    assert isinstance(data[0]["content"], str) and data[3]["content"] == 42
    assert data[0]["created_at"].startswith("2024-01-01T")
    assert "-" in data[0]["id"] and "-" in data[1]["run_id"]
    faults.clear()
    faults.set("ms_times")
    assert http.get(f"threads/{thread}").json()["created_at"] > 10**12
    faults.clear()
    faults.set("huge_parts", 1000)
    newest = http.get(f"threads/{thread}/messages", params={"limit": 1}).json()["data"][0]
    assert len(newest["content"]) == 1000
    faults.clear()
    faults.set("truncated_json")
    with pytest.raises(ValueError):
        http.get(f"threads/{thread}").json()


def test_error_switches(served, http) -> None:
    faults = served.kit.faults
    thread = f"threads/{served.kit.thread.id}"
    faults.set("retry_after")
    limited = http.delete(thread)
    assert limited.status_code == 429 and limited.headers["retry-after"] == RETRY_AFTER
    faults.clear()
    faults.set("not_allowed")
    assert http.get(f"{thread}/runs").status_code == 405
    assert http.get(f"{thread}/messages").status_code == 200
    faults.clear()
    faults.set("detail_errors")
    assert http.get(thread).json() == {"detail": DETAIL}
    faults.clear()
    faults.set("html_502")
    page = http.get(thread)
    assert page.status_code == 502 and "<title>502 Bad Gateway</title>" in page.text
    faults.clear()
    served.switch("redirect_to")
    moved = http.get(thread)
    assert moved.status_code == 307
    assert moved.headers["location"].startswith(served.other_url + "/threads/")
    faults.clear()
    faults.set("metadata_dropped")
    assert http.post(thread, json={"metadata": {"a": "b"}}).json()["metadata"] == {
        "title": "Kit thread"
    }


def stream_lines(http: httpx2.Client, served: Served) -> list[str]:
    body = {"model": "kit-model", "input": "hi", "stream": True}
    body["conversation"] = served.kit.conversation.id
    with http.stream("POST", "responses", json=body) as reply:
        return list(reply.iter_lines())


def test_stream_switches(served, http) -> None:
    faults = served.kit.faults
    honest = stream_lines(http, served)
    assert "event: response.completed" in honest
    faults.set("sse_no_event")
    faults.set("unknown_events")
    odd = stream_lines(http, served)
    assert not [line for line in odd if line.startswith("event:")]
    assert any("kit_surprise" in line for line in odd)
    faults.clear()
    faults.set("huge_event")
    assert max(map(len, stream_lines(http, served))) > 10 * 1024 * 1024
