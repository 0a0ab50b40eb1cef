"""Properties of ID extraction, metadata editing and export, over generated inputs."""

from __future__ import annotations

import json
import re
import string
import urllib.parse
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import TypeAdapter

from tui.ids import IdError, Verdict, classify, extract, parse_item_id
from tui.metadata import MAX_KEY, MAX_KEYS, MAX_VALUE, check, format_lines, parse
from tui.model import (
    Connection,
    ItemState,
    Kind,
    Part,
    TitleSource,
    ToolCall,
    Tracked,
    Turn,
    TurnKind,
    Usage,
)
from tui.ops.exporting import History, as_json, markdown
from tui.text import clean

PROPERTY = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# IDs

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
WRONG_PREFIXES = ("run", "msg", "asst", "step", "file", "vs", "call", "fc")
ALL_PREFIXES = ("thread", "conv", "resp", *WRONG_PREFIXES)

thread_ids = st.text(ALNUM, min_size=24, max_size=24).map(lambda b: f"thread_{b}")
conv_ids = st.text(HEX, min_size=48, max_size=48).map(lambda b: f"conv_{b}")
usable_ids = st.one_of(thread_ids, conv_ids)
wrong_ids = st.builds(
    lambda prefix, body: f"{prefix}_{body}",
    st.sampled_from(WRONG_PREFIXES),
    st.text(ALNUM, min_size=16, max_size=40),
)
any_ids = st.one_of(usable_ids, wrong_ids)

# Text that is hard on the extractor: ID pieces, code words, ellipses, any Unicode.
fragments = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["thread_", "conv_", "run_", "_", "…", "...", ".", "thread_id", "run_in_executor", "\n"]
    ),
    any_ids,
    st.text(ALNUM, max_size=30),
)
noise = st.lists(fragments, max_size=6).map("".join)
# What may stand right before an ID (not a letter, digit or underscore of ASCII) and right
# after one (not an ASCII letter or digit, nor the start of an ellipsis).
before = st.characters(codec="utf-8").filter(lambda c: c not in ALNUM + "_")
after = st.characters(codec="utf-8").filter(lambda c: c not in ALNUM + ".…")
ID_SHAPE = re.compile(r"(" + "|".join(ALL_PREFIXES) + r")_[A-Za-z0-9]+")
ID_START = r"(?:(?<![A-Za-z0-9_])|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2})|(?<=%5[Cc][nrt]))"


def dedupe(found: list) -> list:
    seen: dict[str, object] = {}
    for f in found:
        seen.setdefault(f.text, f)
    return list(seen.values())


def expected_verdict(item_id: str) -> Verdict:
    return Verdict.WRONG_KIND if item_id.split("_", 1)[0] in WRONG_PREFIXES else Verdict.OK


@PROPERTY
@given(noise, before, any_ids, after, noise)
def test_an_id_in_any_text_is_found_exactly_and_in_place(
    left: str, sep1: str, item_id: str, sep2: str, right: str
) -> None:
    text = left + sep1 + item_id + sep2 + right
    prefix, body = item_id.split("_", 1)
    expected = dedupe([*extract(left + sep1), classify(prefix, body), *extract(sep2 + right)])
    found = extract(text)
    assert found == expected
    assert item_id in [f.text for f in found]
    assert classify(prefix, body).verdict is expected_verdict(item_id)


@PROPERTY
@given(st.lists(any_ids, min_size=1, max_size=8), st.lists(before, min_size=8, max_size=8))
def test_ids_come_back_in_order_of_first_appearance(ids: list[str], seps: list[str]) -> None:
    seps = [s if s not in ".…" else " " for s in seps]
    text = "".join(f"{sep}{item_id}" for sep, item_id in zip(seps, ids, strict=False))
    assert [f.text for f in extract(text)] == list(dict.fromkeys(ids))


@PROPERTY
@given(st.lists(any_ids, min_size=1, max_size=6), st.sampled_from(["\n", "\t", "\r\n", '"']))
def test_ids_in_json_and_url_encoded_text_are_found(ids: list[str], joiner: str) -> None:
    as_json_text = json.dumps({"ids": joiner.join(ids)})
    as_url = "https://example.test/?q=" + urllib.parse.quote(as_json_text, safe="")
    for text in (as_json_text, as_url):
        assert [f.text for f in extract(text)] == list(dict.fromkeys(ids))


@PROPERTY
@given(usable_ids, st.sampled_from(["", " ", "\t", "\n ", "  \n"]))
def test_a_usable_id_parses_to_its_kind(item_id: str, space: str) -> None:
    kind = Kind.THREAD if item_id.startswith("thread_") else Kind.CONVERSATION
    assert parse_item_id(f"{space}{item_id}{space}") == (kind, item_id)
    [found] = extract(f"id={item_id};")
    assert (found.verdict, found.kind, found.message) == (Verdict.OK, kind, "")


HINTS = {
    "run": "run.thread_id",
    "msg": "message.thread_id",
    "asst": "run.assistant_id",
    "step": "step.thread_id",
}


@PROPERTY
@given(wrong_ids, noise)
def test_other_ids_are_named_as_not_threads_with_a_hint(item_id: str, around: str) -> None:
    [found] = [f for f in extract(f"{around} {item_id} {around}") if f.text == item_id]
    assert found.verdict is Verdict.WRONG_KIND and found.kind is None
    assert found.message.startswith(f"{item_id} is ")
    assert "not an ID Thread Browser opens" in found.message
    assert "thread_" in found.message or "conv_" in found.message
    prefix = item_id.split("_", 1)[0]
    assert HINTS.get(prefix, "") in found.message
    with pytest.raises(IdError) as raised:
        parse_item_id(item_id)
    assert str(raised.value) == found.message


@PROPERTY
@given(st.text(st.characters(codec="utf-8", exclude_characters="_")))
def test_text_without_an_underscore_holds_no_ids(text: str) -> None:
    assert extract(text) == []


code_words = st.builds(
    lambda prefix, word: f"{prefix}_{word}",
    st.sampled_from(ALL_PREFIXES),
    st.text(string.ascii_lowercase, min_size=1, max_size=15),
)


@PROPERTY
@given(st.lists(code_words, max_size=8), st.sampled_from([" ", "(", ".", "\n", "=", ", "]))
def test_snake_case_code_words_are_not_ids(words: list[str], joiner: str) -> None:
    assert extract(joiner.join(words)) == []


@PROPERTY
@given(noise)
def test_what_is_found_is_really_there_and_extraction_is_idempotent(text: str) -> None:
    found = extract(text)
    texts = [f.text for f in found]
    assert len(set(texts)) == len(texts)
    for f in found:
        assert ID_SHAPE.fullmatch(f.text)
        assert re.search(rf"{ID_START}{re.escape(f.text)}(?![A-Za-z0-9])", text)
        assert (f.verdict is Verdict.OK) == (f.kind is not None) == (f.message == "")
        assert f.verdict is not Verdict.OK or f.kind.prefix == f.text[: len(f.kind.prefix)]
    assert [f.text for f in extract(" ".join(texts))] == texts
    assert extract(f"{text} {text}") == found


# Metadata

keys = st.text(max_size=MAX_KEY)
values = st.text(max_size=MAX_VALUE)
valid_metadata = st.dictionaries(keys, values, max_size=MAX_KEYS)
tricky = st.sampled_from(["", " ", "=", "#", '"', "\n", "\r\n", "\u2028", "\x85", "\\", "\t"])
tricky_text = st.lists(st.one_of(tricky, st.text(max_size=5)), max_size=8).map("".join)
tricky_metadata = st.dictionaries(
    tricky_text.filter(lambda s: len(s) <= MAX_KEY),
    tricky_text.filter(lambda s: len(s) <= MAX_VALUE),
    max_size=MAX_KEYS,
)


@PROPERTY
@given(st.one_of(valid_metadata, tricky_metadata))
def test_what_the_editor_shows_reads_back_as_the_same_metadata(data: dict[str, str]) -> None:
    assert check(data) == []
    text = format_lines(data)
    assert len(text.splitlines()) == len(data)
    assert parse(text) == (data, [])


plain_values = (
    st.text(max_size=MAX_VALUE)
    .map(str.strip)
    .filter(lambda v: v.isprintable() and not v.startswith('"'))
)


@PROPERTY
@given(st.text(ALNUM + "_-.", min_size=1, max_size=MAX_KEY), plain_values)
def test_plain_pairs_are_written_as_typed(key: str, value: str) -> None:
    assert format_lines({key: value}) == f"{key} = {value}"


@PROPERTY
@given(st.dictionaries(st.text(ALNUM, max_size=10), values, min_size=MAX_KEYS + 1, max_size=24))
def test_too_many_keys_are_refused(data: dict[str, str]) -> None:
    problems = check(data)
    assert any(f"{len(data)} keys" in p and f"at most {MAX_KEYS}" in p for p in problems)
    assert parse(format_lines(data))[1] == problems


@PROPERTY
@given(valid_metadata, st.text(min_size=MAX_KEY + 1, max_size=MAX_KEY + 40), values)
def test_a_long_key_is_refused_by_name(data: dict[str, str], key: str, value: str) -> None:
    data = dict(list(data.items())[: MAX_KEYS - 1])
    data[key] = value
    problems = check(data)
    [problem] = [p for p in problems if "key " in p and f"at most {MAX_KEY}" in p]
    assert repr(key[:20]) in problem and f"has {len(key)} characters" in problem
    assert parse(format_lines(data)) == (data, problems)


@PROPERTY
@given(valid_metadata, keys, st.text(min_size=MAX_VALUE + 1, max_size=MAX_VALUE + 60))
def test_a_long_value_is_refused_naming_its_key(data: dict[str, str], key: str, value: str) -> None:
    data = {k: v for k, v in list(data.items())[: MAX_KEYS - 1] if k != key}
    data[key] = value
    problems = check(data)
    assert problems == [
        f"value of {key!r} has {len(value)} characters; at most {MAX_VALUE}",
    ]
    assert parse(format_lines(data)) == (data, problems)


@PROPERTY
@given(tricky_text)
def test_any_typed_text_parses_without_error(text: str) -> None:
    data, problems = parse(text)
    if not problems:
        assert check(data) == []
        assert parse(format_lines(data)) == (data, [])


# Export

FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
hostile_pieces = st.sampled_from(
    [
        "```",
        "````python",
        "~~~",
        "`",
        "``",
        "<!--",
        "-->",
        "<pre>",
        "<script>",
        "<?php",
        "<![CDATA[",
        "<div>",
        "# ",
        "### user · `msg_1`",
        "> ",
        "- ",
        "1. ",
        "    ",
        "[bold red]",
        "[/]",
        "[link](javascript:x)",
        "*",
        "\\",
        "\n",
        "\n\n",
        "\r",
        "\t",
        "\x1b[31m",
        "\x1b]8;;http://x\x07",
        "\x1b]0;title\x1b\\",
        "\x9b2J",
        "\x85",
        "\x07",
        "\x00",
        "\u2028",
        "\u202e",
    ]
)
hostile_text = st.lists(st.one_of(hostile_pieces, st.text(max_size=8)), max_size=12).map("".join)
when = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
words = st.text(max_size=30)
parts = st.builds(
    Part,
    type=st.sampled_from(["text", "image_file", "input_image", "file"]),
    text=hostile_text,
    ref=st.one_of(st.none(), hostile_text),
    annotations=st.lists(words, max_size=2).map(tuple),
)
tool_calls = st.builds(
    ToolCall,
    call_id=st.text(ALNUM, min_size=1, max_size=12).map(lambda s: f"call_{s}"),
    name=st.one_of(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), hostile_text),
    arguments=hostile_text,
    type=st.just("function"),
    output=st.one_of(st.none(), hostile_text),
)
turns = st.builds(
    Turn,
    id=st.text(ALNUM, min_size=1, max_size=20).map(lambda s: f"msg_{s}"),
    role=st.sampled_from(["user", "assistant", "tool"]),
    kind=st.sampled_from(list(TurnKind)),
    created_at=when,
    parts=st.lists(parts, max_size=3).map(tuple),
    tool_calls=st.lists(tool_calls, max_size=2).map(tuple),
    run_id=st.one_of(st.none(), st.just("run_abc123DEF456ghi789")),
    status=st.one_of(st.none(), words),
    attachments=st.lists(words, max_size=2).map(tuple),
    metadata=st.dictionaries(words, words, max_size=3),
    usage=st.one_of(st.none(), st.builds(Usage, st.integers(0, 10**9), st.integers(0, 10**9))),
)
# Fields the server or the user fill: anything at all, controls included.
wild_turns = st.builds(
    Turn,
    id=hostile_text,
    role=hostile_text,
    kind=st.sampled_from(list(TurnKind)),
    created_at=when,
    parts=st.lists(parts, max_size=2).map(tuple),
    tool_calls=st.lists(
        st.builds(ToolCall, hostile_text, hostile_text, hostile_text, hostile_text, hostile_text),
        max_size=2,
    ).map(tuple),
)


def history(
    title: str = "A title",
    metadata: dict[str, str] | None = None,
    turns: list[Turn] | None = None,
    note: str = "",
    base_url: str = "http://127.0.0.1:8765/v1",
) -> History:
    item = Tracked(
        pk=1,
        id="thread_" + "aB3" * 8,
        kind=Kind.THREAD,
        connection=Connection(base_url, "org-x", "proj_y"),
        title=title,
        title_source=TitleSource.USER,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        last_activity=datetime(2026, 11, 2, tzinfo=UTC),
        metadata=metadata or {},
        message_count=len(turns or []),
        history_complete=True,
        state=ItemState.ACTIVE,
        tags=(),
        notes="",
        source="test",
    )
    return History(item, list(turns or []), "archive" if note else "api", note)


def one_line(text: str) -> str:
    return " ".join(clean(text).splitlines())


def heading_texts(tokens: list, tag: str) -> list[str]:
    return [
        tokens[i + 1].content
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == tag
    ]


def is_subsequence(small: list, big: list) -> bool:
    it = iter(big)
    return all(x in it for x in small)


@PROPERTY
@given(st.lists(turns, max_size=5), hostile_text, st.dictionaries(words, words, max_size=4))
def test_json_export_parses_back_to_the_same_history(
    turn_list: list[Turn], note: str, metadata: dict[str, str]
) -> None:
    h = history(title=note or "t", metadata=metadata, turns=turn_list, note=note)
    text = as_json(h)
    assert FORBIDDEN.search(text) is None
    text.encode("utf-8")
    doc = json.loads(text)
    assert TypeAdapter(list[Turn]).validate_python(doc["turns"]) == turn_list
    assert (doc["id"], doc["title"], doc["metadata"], doc["note"]) == (
        h.item.id,
        h.item.title,
        metadata,
        note,
    )
    assert doc["connection"] == {
        "base_url": "http://127.0.0.1:8765/v1",
        "organization": "org-x",
        "project": "proj_y",
    }


@PROPERTY
@given(st.lists(turns, min_size=1, max_size=5))
def test_markdown_export_keeps_every_turn_and_tool_payload_in_place(turn_list: list[Turn]) -> None:
    md = markdown(history(turns=turn_list))
    assert FORBIDDEN.search(md) is None
    tokens = MarkdownIt("commonmark").parse(md)
    expected_heads = []
    for turn in turn_list:
        stamp = f" · {turn.created_at:%Y-%m-%d %H:%M UTC}" if turn.created_at else ""
        expected_heads.append(f"{turn.role}{stamp} · `{turn.id}`")
    assert is_subsequence(expected_heads, heading_texts(tokens, "h3"))
    fences = [(t.info, t.content) for t in tokens if t.type == "fence"]
    payloads = []
    for turn in turn_list:
        if turn.text and clean(turn.text) not in md:
            pytest.fail(f"message text not kept: {turn.text!r}")
        for call in turn.tool_calls:
            if turn.kind is TurnKind.TOOL_OUTPUT:
                payloads.append(("", clean(call.output or "") + "\n"))
            else:
                payloads.append(("json", clean(call.arguments) + "\n"))
    assert is_subsequence(payloads, fences)


@PROPERTY
@given(hostile_text)
def test_any_message_text_stays_inside_its_message(text: str) -> None:
    turn_list = [
        Turn("msg_1", "user", parts=(Part("text", text),)),
        Turn("msg_2", "assistant", parts=(Part("text", "after"),)),
    ]
    md = markdown(history(turns=turn_list))
    tokens = MarkdownIt("commonmark").parse(md)
    heads = heading_texts(tokens, "h3")
    assert "user · `msg_1`" in heads and heads[-1] == "assistant · `msg_2`"
    assert tokens[-3].type == "paragraph_open" and tokens[-2].content == "after"
    assert clean(text) in md


@PROPERTY
@given(
    st.lists(wild_turns, max_size=3),
    hostile_text,
    st.dictionaries(hostile_text, hostile_text, max_size=3),
    hostile_text,
    hostile_text,
)
def test_markdown_export_of_wild_fields_has_no_controls_and_keeps_its_frame(
    turn_list: list[Turn], title: str, metadata: dict[str, str], note: str, base_url: str
) -> None:
    h = history(title, metadata, turn_list, note, base_url="http://h/" + base_url)
    md = markdown(h)
    assert FORBIDDEN.search(md) is None
    tokens = MarkdownIt("commonmark").parse(md)
    assert [t.type for t in tokens[:3]] == ["heading_open", "inline", "heading_close"]
    assert tokens[0].tag == "h1" and "\n" not in tokens[1].content
    assert len(heading_texts(tokens, "h3")) >= len(turn_list)
    codes = [
        c.content
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.type == "code_inline"
    ]
    wanted = [one_line(k) for k in sorted(metadata)] + [one_line(t.id) for t in turn_list]
    wanted = [w for w in wanted if w.strip(" ")]
    assert all(w in codes for w in wanted)
