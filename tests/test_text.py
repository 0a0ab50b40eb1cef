"""``clean`` and ``json_text``: content shown on a terminal, and JSON safe to print."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile import FORBIDDEN, INVISIBLE, corpus
from tui.text import clean, json_text, scrub

# Any character at all, escape sequences and the corpus's pieces made likely.
PIECES = st.sampled_from(
    ["\x1b[31m", "\x1b]0;t\x07", "\x1b]52;c;QQ==\x1b\\", "\x9b2J", "\x9d0;x\x9c", "\x1bP", "\n"]
)
TEXT = st.lists(st.one_of(st.text(max_size=20), PIECES), max_size=20).map("".join)


@settings(max_examples=300, derandomize=True)
@given(TEXT)
def test_clean_leaves_nothing_a_terminal_would_act_on(text: str) -> None:
    shown = clean(text)
    assert not FORBIDDEN.search(shown)
    assert not INVISIBLE.search(shown) and "\u2028" not in shown and "\u2029" not in shown
    assert clean(shown) == shown  # nothing left to remove


@settings(max_examples=200, derandomize=True)
@given(st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=60))
def test_clean_keeps_printable_text(text: str) -> None:
    assert clean(text) == text.replace("\u2028", "\n").replace("\u2029", "\n")


def test_an_unterminated_sequence_hides_only_the_rest_of_its_line() -> None:
    assert clean("title \x1b]0;unterminated\nnext line") == "title \nnext line"
    assert clean("a \x9b31mred\x9b0m b") == "a red b"


@settings(max_examples=300, derandomize=True)
@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_text_keeps_every_character_and_prints_safely(value: object) -> None:
    text = json_text(value)
    assert json.loads(text) == value
    assert not FORBIDDEN.search(text)


def test_the_corpus_survives_json_exactly() -> None:
    for entry in corpus():
        assert json.loads(json_text({"text": entry.text}))["text"] == entry.text


def test_scrub_replaces_only_lone_surrogates() -> None:
    assert scrub("a\ud800b\udfff") == "a\ufffdb\ufffd"
    text = "emoji 🚀 and CJK 你好"
    assert scrub(text) is text
