"""ID extraction and classification, on tidy and hostile text."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.ids import IdError, Verdict, classify, extract, parse_item_id
from tui.model import Kind

THREAD = "thread_" + "aB3" * 8
CONV = "conv_" + "0123456789abcdef" * 3
RUN = "run_zdE51vuY4FlBpEy2dYb3870E"


def test_run_id_message_points_to_the_thread() -> None:
    [found] = extract(RUN)
    assert found.verdict is Verdict.WRONG_KIND
    assert found.message == (
        "run_zdE51vuY4FlBpEy2dYb3870E is a run ID, not an ID Thread Browser opens "
        "(thread_, conv_, resp_ or chatcmpl-); "
        "a run belongs to a thread: look for the thread_… ID in the run object (run.thread_id)."
    )


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("msg", "message ID"),
        ("asst", "assistant ID"),
        ("step", "run step ID"),
        ("file", "file ID"),
        ("vs", "vector store ID"),
        ("call", "tool call ID"),
        ("fc", "function call item ID"),
    ],
)
def test_every_wrong_kind_is_named(prefix: str, words: str) -> None:
    [found] = extract(f"see {prefix}_Abc123def456ghi789jkl0 here")
    assert found.verdict is Verdict.WRONG_KIND
    assert words in found.message
    assert "thread_" in found.message or "conv_" in found.message


def test_ids_from_logs_json_csv_and_tracebacks() -> None:
    text = "\n".join(
        [
            f"2026-11-01 INFO created {THREAD} for user 7",
            json.dumps({"id": CONV, "object": "conversation"}),
            f"{THREAD},{RUN},done",
            f'  File "app.py", line 3, in <module>\nopenai.NotFoundError: No thread found '
            f"with id '{THREAD}'.",
            "thread_id = client.beta.threads.create().id  # code, not an ID",
        ]
    )
    found = extract(text)
    assert [f.text for f in found] == [THREAD, CONV, RUN]
    assert [f.kind for f in found] == [Kind.THREAD, Kind.CONVERSATION, None]


def test_truncated_and_ellipsised_ids_say_so() -> None:
    short, cut = extract("thread_abc123 and thread_Abcdefghijklmnopq…")
    assert short.verdict is Verdict.MALFORMED and "truncated" in short.message
    assert "has 6" in short.message
    assert cut.verdict is Verdict.MALFORMED and "cut short" in cut.message


def test_mangled_conversation_id() -> None:
    found = classify("conv", "Z" * 48)
    assert found.verdict is Verdict.MALFORMED and "mangled" in found.message


def test_code_words_are_not_ids() -> None:
    assert extract("thread_id run_in_executor msg_count conv_items file_path vs_code") == []


def test_parse_item_id() -> None:
    assert parse_item_id(f"  {THREAD} ") == (Kind.THREAD, THREAD)
    assert parse_item_id(CONV) == (Kind.CONVERSATION, CONV)
    with pytest.raises(IdError, match="is a run ID"):
        parse_item_id(RUN)
    resp = "resp_" + "0a" * 25
    assert parse_item_id(resp) == (Kind.RESPONSE, resp)
    with pytest.raises(IdError, match="start with thread_, conv_, resp_ or chatcmpl-"):
        parse_item_id("hello")


def test_ten_megabytes_of_text() -> None:
    filler = "lorem ipsum dolor sit amet " * 40
    chunks = [f"{filler}thread_{n:024d}\n" for n in range(10_000)]
    text = "".join(chunks)
    assert len(text) > 10_000_000
    found = extract(text)
    assert len(found) == 10_000
    assert all(f.verdict is Verdict.OK for f in found)


ALNUM = string.ascii_letters + string.digits
bodies = st.text(alphabet=ALNUM, min_size=24, max_size=24)
noise = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).map(
    lambda s: " " + s + " "
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(noise, bodies), min_size=1, max_size=10), noise)
def test_every_embedded_thread_id_is_found(pairs, tail) -> None:
    text = "".join(f"{pre}thread_{body}" for pre, body in pairs) + " " + tail
    found = {f.text for f in extract(text) if f.verdict is Verdict.OK}
    for _, body in pairs:
        assert f"thread_{body}" in found


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_extraction_never_fails_and_only_reports_what_is_there(text: str) -> None:
    found = extract(text)
    assert len({f.text for f in found}) == len(found)
    for f in found:
        assert f.text in text
        assert (f.verdict is Verdict.OK) == (f.kind is not None)
        assert (f.message == "") == (f.verdict is Verdict.OK)
