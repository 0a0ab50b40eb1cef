"""A message of 1,000,000 content parts: export and archive-then-delete stay bounded.

The matrix uses a smaller huge message to stay quick; this is the size the issue measured
(export and archive-then-delete reached 1.3-1.8 GB). Each command must end within its
timeout, stay under a memory bound, lose nothing, and say what it cut.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.kit.fixtures import (
    Cli,
    Served,
    lost_messages,
    no_traceback,
    registry_sound,
)
from tests.kit.switches import HUGE_PARTS

TIMEOUT = 120.0  # seconds one command may take on a 50 MB page
MAX_RSS_MB = 1024.0
REQUESTS = 120


@pytest.mark.parametrize(
    "args",
    [("export", "--format", "json", "{conv}"), ("delete", "--yes", "--json", "{thread}", "{conv}")],
    ids=["export-json", "delete"],
)
@pytest.mark.long
def test_a_million_parts_end_bounded_and_say_what_was_cut(
    args: tuple[str, ...], kit_cli: Cli, served: Served
) -> None:
    cli = kit_cli
    kit = served.kit
    asyncio.run(cli.track_seeded())
    kit.faults.set("huge_parts", HUGE_PARTS)
    served.reset_counts()
    ids = {"conv": kit.conversation.id, "thread": kit.thread.id}
    done = cli(*(a.format(**ids) for a in args), timeout=TIMEOUT)
    requests = served.requests
    kit.faults.clear()
    word = f"exit{done.returncode}:{done.max_rss_mb:.0f}MB:{done.seconds:.0f}s"
    print(f"MATRIX {args[0]} huge_parts_1000000 {word} {requests}")
    assert not done.timed_out, f"{args[0]} did not end within {TIMEOUT:.0f} s"
    no_traceback(done.output)
    assert requests <= REQUESTS
    assert done.max_rss_mb < MAX_RSS_MB, f"{done.max_rss_mb:.0f} MB"
    registry_sound(cli)
    assert lost_messages(served, cli.db) == {}
    text = done.output.lower()
    assert any(word in text for word in ("cut", "truncat", "parts")), done.stderr[-600:]
