"""Function tools typed by the user: names per line or a JSON list, checked with reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.tools_spec import EMPTY_PARAMETERS, ToolsError, describe_tools, parse_tools


def test_one_name_per_line_becomes_function_tools() -> None:
    assert parse_tools("get_weather\n\n lookup-order \n") == [
        {"type": "function", "name": "get_weather", "parameters": EMPTY_PARAMETERS},
        {"type": "function", "name": "lookup-order", "parameters": EMPTY_PARAMETERS},
    ]
    assert parse_tools("   ") == []


def test_a_json_list_keeps_parameters_and_descriptions() -> None:
    text = (
        '[{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}]'
    )
    assert parse_tools(text) == [
        {"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2]", "not an object"),
        ('[{"name": "a b"}]', "needs a name"),
        ('[{"type": "web_search", "name": "x"}]', "only function tools"),
        ('[{"name": "f", "parameters": []}]', "parameters must be"),
        ('[{"name": "f"}, {"name": "f"}]', "same name"),
        ("[{", "Not valid JSON"),
        ("has space", "not a function name"),
        ("\n".join(f"f{n}" for n in range(129)), "at most 128"),
    ],
)
def test_wrong_tools_say_what_to_fix(text: str, reason: str) -> None:
    with pytest.raises(ToolsError, match=reason):
        parse_tools(text)


names = st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), unique=True, max_size=20)


@given(names)
def test_what_the_dialog_shows_parses_back_to_the_same_tools(tool_names: list[str]) -> None:
    tools = parse_tools("\n".join(tool_names))
    assert parse_tools(describe_tools(tools)) == tools
    assert [t["name"] for t in tools] == tool_names
