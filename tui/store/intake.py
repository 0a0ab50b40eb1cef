"""Intake: what comes from outside (a server's answer, a user's program) made fit to store.

The tracking hook and ``import`` pass every record through here before they write it, so
the registry only ever holds IDs of their kind's shape, whole seconds it can index, and
metadata within the API's limits. A record that cannot be made fit raises :class:`Unfit`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tui.ids import server_id_problem, session_id_problem
from tui.metadata import MAX_KEY, MAX_KEYS, MAX_VALUE
from tui.model import Kind
from tui.store.search import ACTIVITY_SHIFT
from tui.text import clean
from tui.timestamps import epoch

# The search index keys an item by ``last_activity * ACTIVITY_SHIFT + pk`` in a signed
# 64-bit rowid: seconds up to 2**34 - 1 (the year 2514) fit, milliseconds never do.
LATEST = (1 << 63) // ACTIVITY_SHIFT - 1
# Enough of a first message to find its first line for a title.
MAX_TEXT = 4096


class Unfit(ValueError):
    """A record that cannot be stored; the message says why, in words for the user."""


def item_id(value: object, kind: Kind) -> str:
    """``value`` as an ID of ``kind``, or :class:`Unfit` naming what is wrong with it.

    The grammar is the one of IDs found in text (:func:`tui.ids.server_id_problem`): a
    server's ID with path characters, spaces or control sequences is never stored.
    """
    noun = kind.noun
    if not isinstance(value, str):
        raise Unfit(f"the server gave a {noun} ID that is not text ({type(value).__name__})")
    if kind is Kind.SESSION:
        problem = session_id_problem(value)
    else:
        problem = server_id_problem(value, kind.stem)
    if problem is not None:
        raise Unfit(f"the server gave a {noun} ID that cannot be used: {problem}")
    return value


def seconds(value: object) -> int | None:
    """Whole seconds since the epoch the registry can index, or ``None`` for no usable time.

    Seconds, milliseconds and ISO-8601 text are read by :func:`tui.timestamps.epoch`.
    """
    found = epoch(value)
    if found is None or not 0 <= found <= LATEST:
        return None
    return found


def moment(value: object) -> datetime | None:
    """:func:`seconds` as an aware UTC datetime."""
    found = seconds(value)
    return None if found is None else datetime.fromtimestamp(found, tz=UTC)


def _text(value: object) -> str:
    found = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clean(found)


def metadata(value: object) -> dict[str, str]:
    """Metadata as cleaned text keys and values, within the API's limits (16, 64 and 512).

    Metadata is shown (titles, Details), never message content: no terminal control
    sequence a program or server put in it is stored.
    """
    if not isinstance(value, dict):
        return {}
    fit: dict[str, str] = {}
    for key, item in value.items():
        if len(fit) >= MAX_KEYS:
            break
        fit.setdefault(_text(key)[:MAX_KEY], _text(item)[:MAX_VALUE])
    return fit


def first_text(value: object) -> str | None:
    """The start of a first message, enough for a title; ``None`` when it is not text."""
    return value[:MAX_TEXT] if isinstance(value, str) else None
