"""The compiled check and the explaining validator agree on what the spec accepts.

``spec.errors`` asks the compiled validator (jsonschema-rs) first and lists errors only for
what it refuses; if it accepted what ``jsonschema`` refuses, violations would go unseen. Real
replies of the emulator, and each of them broken one field at a time, are judged by both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai import OpenAI

from tui.emulator import spec

SCHEMAS = "/components/schemas"
WRONG_VALUES: tuple[Any, ...] = (None, "text", 7, 1.5, True, [], {}, [1], {"x": 1})


def agree(pointer: str, instance: Any, *, request: bool = False) -> bool:
    """Whether both validators give the same verdict; the verdict itself is returned too."""
    fast = spec._fast(pointer, request=request).is_valid(instance)
    full = not any(True for _ in spec.validator(pointer, request=request).iter_errors(instance))
    assert fast == full, f"{pointer}: compiled says {fast}, jsonschema says {full}: {instance!r}"
    return full


def paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*here, key)
            yield from paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*here, index)
            yield from paths(value, (*here, index))


def replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``node`` with the value at ``path`` replaced (or removed for ``...``)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        copy = dict(node)
        if value is ... and not rest:
            copy.pop(head)
        else:
            copy[head] = replaced(node[head], rest, value)
        return copy
    copy_list = list(node)
    if value is ... and not rest:
        copy_list.pop(head)
    else:
        copy_list[head] = replaced(node[head], rest, value)
    return copy_list


@pytest.fixture
def samples(client: OpenAI) -> list[tuple[str, Any]]:
    """Replies the emulator really sent, each with the pointer of its schema."""
    model = "gpt-4o-mini"
    hi = [{"type": "message", "role": "user", "content": "hi"}]
    conv = client.conversations.with_raw_response.create(items=hi).http_response.json()
    raw = client.responses.with_raw_response
    resp = raw.create(model=model, input="hello", conversation=conv["id"]).http_response.json()
    threads = client.beta.threads.with_raw_response
    thread = threads.create(messages=[{"role": "user", "content": "hi"}]).http_response.json()
    chats = client.chat.completions.with_raw_response
    messages = [{"role": "user", "content": "hi"}]
    chat = chats.create(model=model, store=True, messages=messages).http_response.json()
    listed = client.conversations.items.with_raw_response.list(conv["id"]).http_response.json()
    return [
        (f"{SCHEMAS}/ConversationResource", conv),
        (f"{SCHEMAS}/Response", resp),
        (f"{SCHEMAS}/ThreadObject", thread),
        (f"{SCHEMAS}/CreateChatCompletionResponse", chat),
        (f"{SCHEMAS}/ConversationItemList", listed),
    ]


def test_real_replies_are_valid_to_both(samples: list[tuple[str, Any]]) -> None:
    for pointer, instance in samples:
        assert agree(pointer, instance), pointer


def test_each_field_broken_gets_the_same_verdict(samples: list[tuple[str, Any]]) -> None:
    refused = 0
    for pointer, instance in samples:
        for path in paths(instance):
            for value in (..., *WRONG_VALUES):
                refused += not agree(pointer, replaced(instance, path, value))
    assert refused > 100  # the breaks are real: many of them are refused


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["model", "input", "temperature", "metadata", "store", "tools", "x"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=5,
        ),
    )
)
def test_random_requests_get_the_same_verdict(body: dict[str, Any]) -> None:
    agree(f"{SCHEMAS}/CreateResponse", body, request=True)
