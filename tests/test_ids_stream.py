"""IDs found in text read in pieces, with a bounded window and a limit."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.ids import MAX_MATCH, Scan, extract

UUID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


ALNUM = string.ascii_letters + string.digits
ids = st.one_of(
    st.text(ALNUM, min_size=24, max_size=24).map(lambda b: f"thread_{b}"),
    st.just(f"resp_{UUID}"),
    st.just(f"conv_{'ab' * 24}"),
    st.text(ALNUM, min_size=16, max_size=30).map(lambda b: f"run_{b}"),
)
fragments = st.one_of(
    ids,
    st.text(max_size=8),
    st.sampled_from(["\\n", "%22", "…", "...", "_", "-", " ", "thread_id"]),
)


@PROPERTY
@given(st.lists(fragments, max_size=30).map("".join), st.lists(st.integers(0, 400), max_size=8))
def test_pieces_find_what_the_whole_text_holds(text: str, cuts: list[int]) -> None:
    scan = Scan()
    start = 0
    for cut in sorted(c % (len(text) + 1) for c in cuts):
        scan.feed(text[start:cut])
        start = cut
    scan.feed(text[start:], final=True)
    assert scan.found == extract(text)


def test_an_id_across_every_boundary_is_found_once() -> None:
    item_id = f"thread_{'Zx9' * 8}"
    filler = "x " * MAX_MATCH
    text = f"{filler}{item_id} {filler}{item_id}…"
    for cut in range(len(filler) - 3, len(filler) + len(item_id) + 3):
        scan = Scan()
        scan.feed(text[:cut])
        scan.feed(text[cut:], final=True)
        assert [f.text for f in scan.found] == [item_id], cut


def test_one_character_at_a_time() -> None:
    text = f'log: "\\nthread_{"Q1" * 12}" %22conv_{"cd" * 24}%22 resp_{UUID}...'
    scan = Scan()
    for char in text:
        scan.feed(char)
    scan.feed("", final=True)
    assert scan.found == extract(text) and len(scan.found) == 3


def test_the_limit_stops_at_the_first_id_past_it() -> None:
    text = " ".join(f"thread_{n:024d}" for n in range(12))
    scan = Scan(limit=10)
    scan.feed(text, final=True)
    assert scan.full and [f.text for f in scan.found] == [f"thread_{n:024d}" for n in range(10)]
    scan.feed(" thread_" + "9" * 24, final=True)
    assert len(scan.found) == 10
    exact = Scan(limit=12)
    exact.feed(text + " " + text, final=True)
    assert not exact.full and len(exact.found) == 12
