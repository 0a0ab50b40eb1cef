"""After a failed send: may the message have reached the server, and did it keep it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tui.api.errors import ApiError
from tui.model import Turn

REQUEST_TIMEOUT = 408


@dataclass(frozen=True, slots=True)
class Before:
    """What was known of the history when a send began: its IDs and its newest time."""

    ids: frozenset[str] = frozenset()
    newest: datetime | None = None

    @classmethod
    def of(cls, turns: Iterable[Turn]) -> Before:
        """The IDs and the newest server time of ``turns``."""
        turns = list(turns)
        times = [t.created_at for t in turns if t.created_at is not None]
        return cls(frozenset(t.id for t in turns), max(times, default=None))


def may_have_arrived(exc: BaseException) -> bool:
    """False only when the server answered that it refused the request (a 4xx but 408)."""
    if not isinstance(exc, ApiError) or exc.status is None:
        return True
    return not 400 <= exc.status < 500 or exc.status == REQUEST_TIMEOUT


def kept_turn(turns: Iterable[Turn], text: str, before: Before) -> Turn | None:
    """The user message holding ``text`` that the server added after the send began.

    A message known before the send, or older than the newest one then known (by the
    server's own clock), is an earlier message with the same words, not this one.
    """
    wanted = text.strip()
    for turn in reversed(list(turns)):
        if turn.role != "user" or turn.id in before.ids:
            continue
        if _earlier(turn.created_at, before.newest):
            continue
        if turn.text.strip() == wanted:
            return turn
    return None


def _earlier(when: datetime | None, than: datetime | None) -> bool:
    """True when both times are known, comparable, and ``when`` comes first."""
    if when is None or than is None or (when.tzinfo is None) != (than.tzinfo is None):
        return False
    return when < than
