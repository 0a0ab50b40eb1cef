"""A filter's cost is bounded: repeated words count once, words and pairs are capped, and
what was left out is said (on the query, for the CLI and the app to show)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli.conftest import cli  # noqa: F401  (the fixture)
from tui.model import Connection, Kind
from tui.store import Query, Registry
from tui.store.search import MAX_FILTER, MAX_PAIRS, MAX_TERM, MAX_TERMS, fts_query

CONN = Connection("http://127.0.0.1:1/v1")
BASE = datetime(2026, 10, 1, tzinfo=UTC)
WORDS = [f"w{n}x" for n in range(1_400)]


def test_a_word_repeated_1400_times_is_searched_for_once() -> None:
    query = Query.parse(" ".join(["thread"] * 1_400))
    assert query.terms.words == ("thread",) and query.match == '"thread"*'
    assert query.notice == ""  # nothing that changes the result was left out
    assert fts_query("Thread THREAD thread") == '"thread"*'


def test_a_word_that_starts_another_adds_nothing() -> None:
    assert Query(text="ref refund re").terms.words == ("refund",)
    assert Query(text="refund ref").terms.words == ("refund",)


def test_distinct_words_past_the_cap_are_left_out_and_said() -> None:
    query = Query.parse(" ".join(WORDS))
    assert query.terms.words == tuple(WORDS[:MAX_TERMS])
    assert query.match is not None and query.match.count("*") == MAX_TERMS
    assert query.terms.left_out > 0
    assert f"first {MAX_TERMS} words only" in query.notice
    assert "more words left out" in query.notice


def test_a_long_word_is_searched_for_by_its_start() -> None:
    query = Query(text="a" * 10_000)
    assert query.terms.words == ("a" * MAX_TERM,)
    assert f"longer than {MAX_TERM} characters" in query.notice


def test_a_pasted_page_is_read_up_to_the_limit() -> None:
    text = "lorem ipsum dolor " * 600_000  # 10 MB
    for query in (Query.parse(text), Query(text=text)):
        assert query.unread_text == len(text) - MAX_FILTER
        assert replace(query, kind=Kind.THREAD).notice == query.notice
        assert len(query.terms.words) == 3
        assert f"first {MAX_FILTER:,} characters" in query.notice


def test_metadata_pairs_are_deduplicated_and_capped() -> None:
    same = Query.parse("team=a " * 500)
    assert same.meta == (("team", "a"),) and same.notice == ""
    many = Query.parse(" ".join(f"k{n}=v" for n in range(40)))
    assert len(many.meta) == MAX_PAIRS and many.pairs_left_out == 40 - MAX_PAIRS
    assert f"first {MAX_PAIRS} key=value pairs" in many.notice
    # Pairs given one by one (``list --meta``, ``prune --meta``) are never dropped: a
    # dropped pair would widen what a deletion matches.
    given = Query(meta=tuple((f"k{n}", "v") for n in range(40)) * 2)
    assert len(given.meta) == 40 and given.notice == ""


@pytest.fixture
async def reg(tmp_path):
    registry = await Registry.open(tmp_path / "r.db")
    for n in range(40):
        await registry.track(
            f"thread_{n:024d}",
            Kind.THREAD,
            CONN,
            source="t",
            metadata={"title": f"refund case {n}" if n % 2 else f"other case {n}"},
            created_at=BASE + timedelta(hours=n),
        )
    yield registry
    await registry.close()


async def test_a_bounded_filter_finds_what_the_plain_one_does(reg) -> None:
    plain = (await reg.search.page(Query(text="refund case"))).items
    repeated = Query.parse(" ".join(["refund", "case", "ref", "cas"] * 350))
    assert (await reg.search.page(repeated)).items == plain and len(plain) == 20
    assert await reg.search.count(repeated) == 20


def test_list_says_what_of_the_filter_was_left_out(cli) -> None:  # noqa: F811
    run = cli(None)
    assert run("import", "--no-verify", "-", input="thread_" + "A1" * 12).returncode == 0
    done = run("list", "--json", "--search", " ".join(["thread", *WORDS]))
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert f"first {MAX_TERMS} words only" in done.stderr
    assert "Narrow the filter" in done.stderr
    quiet = run("list", "--json", "--search", " ".join(["thread"] * 1_400))
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert [json.loads(r)["id"] for r in quiet.stdout.splitlines()] == ["thread_" + "A1" * 12]
