"""IDs with dashes in their body: llama-stack's UUID-style response, message and item IDs."""

from __future__ import annotations

import pytest

from tui.ids import Verdict, extract, parse_item_id
from tui.model import Kind

UUID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
MAX_BODY = 256


@pytest.mark.parametrize("prefix", ["msg", "fc"])
def test_a_uuid_body_is_taken_whole(prefix: str) -> None:
    item_id = f"{prefix}_{UUID}"
    [found] = extract(f'{{"id": "{item_id}", "object": "response"}}')
    assert found.text == item_id
    assert found.verdict is Verdict.WRONG_KIND and found.message.startswith(item_id + " is ")


def test_thread_and_conversation_ids_with_a_uuid_body_are_usable() -> None:
    assert parse_item_id(f"thread_{UUID}") == (Kind.THREAD, f"thread_{UUID}")
    conv, resp = extract(f"created conv_{UUID}, then resp_{UUID.upper()}.")
    assert (conv.text, conv.kind) == (f"conv_{UUID}", Kind.CONVERSATION)
    assert resp.text == f"resp_{UUID.upper()}" and resp.kind is Kind.RESPONSE


def test_a_dash_outside_a_uuid_still_ends_an_id() -> None:
    body = "A1" * 12
    assert [f.text for f in extract(f"thread_{body}-based flow")] == [f"thread_{body}"]
    cut = extract("see resp_0a1b2c3d-4e5f and more")
    assert [f.text for f in cut] == ["resp_0a1b2c3d"]


def test_a_run_longer_than_an_id_body_is_data_not_an_id() -> None:
    assert extract("thread_" + "A" * (MAX_BODY + 1)) == []
    assert [f.text for f in extract("thread_" + "A" * MAX_BODY)] == ["thread_" + "A" * MAX_BODY]
