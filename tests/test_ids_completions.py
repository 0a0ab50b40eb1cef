"""Stored completion IDs (``chatcmpl-…``): found in text, told apart, refused when cut."""

from __future__ import annotations

import json

import pytest

from tui.ids import IdError, Scan, Verdict, extract, parse_item_id, server_id_problem
from tui.model import Kind

COMPLETION = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"  # the shape api.openai.com gives
UUID_STYLE = "chatcmpl-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"  # as OGX and LiteLLM write them


def test_found_in_a_log_line_and_in_json() -> None:
    text = f"INFO stored {COMPLETION} for user 7\n" + json.dumps({"id": UUID_STYLE})
    found = extract(text)
    assert [f.text for f in found] == [COMPLETION, UUID_STYLE]
    assert all(f.verdict is Verdict.OK and f.kind is Kind.COMPLETION for f in found)


def test_a_cut_id_is_named_with_its_shape() -> None:
    [cut] = extract("chatcmpl-B9MBs8Cjc")
    assert cut.verdict is Verdict.MALFORMED
    assert cut.message == (
        "chatcmpl-B9MBs8Cjc looks truncated: stored completion IDs have 29 letters and digits "
        "after chatcmpl-, this one has 9."
    )
    [ellipsis] = extract("id chatcmpl-B9MBs8CjcvOU2jLn4n570…")
    assert ellipsis.verdict is Verdict.MALFORMED and "cut short" in ellipsis.message


def test_the_word_in_code_is_not_an_id() -> None:
    assert extract("completion = client.chat.completions.create(...)  # chatcmpl-id") == []


def test_a_command_line_argument_names_its_kind() -> None:
    assert parse_item_id(f"  {COMPLETION} ") == (Kind.COMPLETION, COMPLETION)
    with pytest.raises(IdError, match="thread_, conv_, resp_ or chatcmpl-"):
        parse_item_id("cmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")


def test_an_id_split_between_pieces_is_found_whole() -> None:
    scan = Scan()
    text = f"first line\nthen {COMPLETION} and more"
    cut = text.index(COMPLETION) + 12
    scan.feed(text[:cut])
    scan.feed(text[cut:], final=True)
    assert [f.text for f in scan.found] == [COMPLETION]


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (COMPLETION, False),
        (UUID_STYLE, False),
        ("chatcmpl-tool-abc123", False),  # servers write their bodies in many ways
        ("chatcmpl_B9MBs8Cjcv", True),
        ("chatcmpl-abc/../../etc", True),
        ("chatcmpl-abc\x1b[31m", True),
        ("thread_B9MBs8CjcvOU2jLn4n570S5q", True),
    ],
)
def test_a_server_id_is_checked_at_the_edge(value: str, refused: bool) -> None:
    assert (server_id_problem(value, Kind.COMPLETION.stem) is not None) is refused
