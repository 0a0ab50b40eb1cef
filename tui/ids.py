"""IDs: find them in any text, tell their kind, and explain the wrong ones.

``thread_…``, ``conv_…``, ``chatcmpl-…`` and ``resp_…`` IDs name something the app can open. Every
other OpenAI ID kind gets a message that says what it is and where the wanted ID lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from tui.model import Kind
from tui.text import clean

MIN_BODY = 16


class Verdict(StrEnum):
    """What an ID found in text is good for."""

    OK = "ok"
    WRONG_KIND = "wrong_kind"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class FoundId:
    """One ID found in text, with its kind and, when not usable, why."""

    text: str
    prefix: str
    verdict: Verdict
    message: str = ""

    @property
    def kind(self) -> Kind | None:
        """The item kind for a usable ID."""
        if self.verdict is not Verdict.OK:
            return None
        return _KINDS[self.prefix]


_WRONG: dict[str, tuple[str, str]] = {
    "run": (
        "a run ID",
        "a run belongs to a thread: look for the thread_… ID in the run object (run.thread_id)",
    ),
    "msg": (
        "a message ID",
        "a message belongs to a thread or conversation: look for message.thread_id, or the "
        "conv_… ID the message was added to",
    ),
    "asst": (
        "an assistant ID",
        "assistants hold no messages: a thread names its assistant in each run "
        "(run.assistant_id), so look for the thread_… ID you ran it on",
    ),
    "step": (
        "a run step ID",
        "a step belongs to a run of a thread: look for step.thread_id",
    ),
    "file": (
        "a file ID",
        "files are attached to messages, not the other way round: look for the thread_… or "
        "conv_… ID of the message that used it",
    ),
    "vs": (
        "a vector store ID",
        "threads point to vector stores (thread.tool_resources), not the reverse: look for "
        "the thread_… ID",
    ),
    "call": (
        "a tool call ID",
        "a tool call belongs to a run or a response: look for run.thread_id or "
        "response.conversation.id",
    ),
    "fc": (
        "a function call item ID",
        "it is an item of a conversation: look for the conv_… ID it was listed under",
    ),
}

_KINDS = {kind.stem: kind for kind in Kind if kind.stem}  # a session's ID has no shape
_PREFIXES = (*_KINDS, *_WRONG)
OPENED = "thread_, conv_, resp_ or chatcmpl-"  # how the IDs the app opens start
# An ID starts after anything but a letter, digit or underscore, or right after an
# escape that text gets in JSON (``\n``, ``\t``, ``\r``), in a URL (``%22``) or both
# (``%5Cn``). The start is checked apart from the shape: a pattern that opens with these
# look-behinds is tried at every character, ten times slower on text with no IDs.
_START = re.compile(r"(?:(?<![A-Za-z0-9_])|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2})|(?<=%5[Cc][nrt]))")
# A body is letters and digits, or a UUID (``resp_0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d``, as
# llama-stack writes its response, message and function call IDs). Longer runs than
# MAX_BODY are data (base64, hashes), not IDs.
MAX_BODY = 256
_UUID = r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![A-Za-z0-9])"
_BODY = rf"(?:{_UUID}|[A-Za-z0-9]{{1,{MAX_BODY}}}(?![A-Za-z0-9]))"
_SHAPE = re.compile(
    r"(?:(" + "|".join(p for p in _PREFIXES if p != "chatcmpl") + r")_|(chatcmpl)-)"
    r"(" + _BODY + r")(…|\.\.\.)?"
)
# The longest text a match can span, and the characters before it that decide where one
# may start: what a reader of text in pieces must keep from one piece to the next.
MAX_MATCH = max(map(len, _PREFIXES)) + 1 + MAX_BODY + 3
LOOKBEHIND = 5
_SHAPES = {
    "thread": (24, "24 letters and digits"),
    "conv": (48, "48 hexadecimal digits"),
    "chatcmpl": (29, "29 letters and digits"),
    "resp": (50, "50 hexadecimal digits"),
}


def _parts(match: re.Match[str]) -> tuple[str, str, bool]:
    """The prefix, body and whether an ellipsis followed, of a match of ``_SHAPE``."""
    return match.group(1) or match.group(2), match.group(3), bool(match.group(4))


def joined(prefix: str, body: str) -> str:
    """The ID of ``prefix`` and ``body``, with the separator of its kind."""
    return f"{prefix}{'-' if prefix == 'chatcmpl' else '_'}{body}"


def _looks_like_id(body: str) -> bool:
    """Tell an ID body from a word in code (``thread_id``, ``run_in_executor``)."""
    if len(body) >= MIN_BODY:
        return True
    return any(c.isdigit() or c.isupper() for c in body)


def classify(prefix: str, body: str, ellipsis: bool = False) -> FoundId:
    """The verdict on one ``prefix_body`` ID."""
    text = joined(prefix, body)
    if prefix in _WRONG:
        what, where = _WRONG[prefix]
        return FoundId(
            text,
            prefix,
            Verdict.WRONG_KIND,
            f"{text} is {what}, not an ID Thread Browser opens ({OPENED}); {where}.",
        )
    kind = _KINDS[prefix]
    noun = kind.noun
    length, shape = _SHAPES[prefix]
    if ellipsis:
        return FoundId(
            text,
            prefix,
            Verdict.MALFORMED,
            f"{text}… is cut short (it ends in an ellipsis): copy the whole {noun} ID.",
        )
    if len(body) < MIN_BODY:
        return FoundId(
            text,
            prefix,
            Verdict.MALFORMED,
            f"{text} looks truncated: {noun} IDs have {shape} after {kind.prefix}, "
            f"this one has {len(body)}.",
        )
    if prefix == "conv" and len(body) == length and not re.fullmatch(r"[0-9a-f]+", body):
        return FoundId(
            text,
            prefix,
            Verdict.MALFORMED,
            f"{text} looks mangled: conversation IDs have {shape} after conv_.",
        )
    return FoundId(text, prefix, Verdict.OK)


def _candidates(text: str, pos: int = 0) -> Iterator[re.Match[str]]:
    """Matches of the ID shape in ``text`` (from ``pos``) that start where an ID may.

    A match whose start is refused hides no other: inside it every character follows a
    letter, digit, underscore, dash or dot.
    """
    for match in _SHAPE.finditer(text, pos):
        if _START.match(text, match.start()):
            yield match


def _found(match: re.Match[str]) -> FoundId | None:
    """The ID a candidate match stands for, or ``None`` for a word in code."""
    prefix, body, ellipsis = _parts(match)
    if not _looks_like_id(body):
        return None
    return classify(prefix, body, ellipsis)


def extract(text: str) -> list[FoundId]:
    """Every distinct ID in ``text``, in order of first appearance."""
    seen: dict[str, FoundId] = {}
    for match in _candidates(text):
        found = _found(match)
        if found is not None:
            seen.setdefault(found.text, found)
    return list(seen.values())


class Scan:
    """The distinct IDs of a text read in pieces, holding only a small window of it.

    An ID cut between two pieces is found whole. Once ``limit`` distinct IDs are found,
    the next new one sets :attr:`full` and everything after it is ignored.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.full = False
        self._seen: dict[str, FoundId] = {}
        self._tail = ""
        self._skip = 0

    @property
    def found(self) -> list[FoundId]:
        """The IDs found so far, in order of first appearance."""
        return list(self._seen.values())

    def feed(self, text: str, *, final: bool = False) -> None:
        """Read the next piece; ``final`` when no more text follows it."""
        if self.full:
            return
        window = self._tail + text
        # A match starting before ``stop`` ends inside the window, so it is whole.
        stop = len(window) if final else max(self._skip, len(window) - MAX_MATCH)
        resume = stop
        for match in _candidates(window, self._skip):
            if match.start() >= stop:
                break
            resume = max(resume, match.end())
            if not self._add(match):
                return
        keep = max(0, stop - LOOKBEHIND)
        self._tail, self._skip = window[keep:], resume - keep

    def _add(self, match: re.Match[str]) -> bool:
        """Record one match; ``False`` once the limit is passed."""
        found = _found(match)
        if found is None or found.text in self._seen:
            return True
        if self.limit is not None and len(self._seen) >= self.limit:
            self.full = True
            self._tail = ""
            return False
        self._seen[found.text] = found
        return True


class IdError(ValueError):
    """A command-line argument is not the ID of an item the app opens."""


def parse_item_id(text: str) -> tuple[Kind, str]:
    """The kind and ID of one argument, or :class:`IdError` saying what is wrong."""
    value = text.strip()
    match = _SHAPE.fullmatch(value)
    if match is None:
        raise IdError(f"{value!r} is not an ID the app opens: those start with {OPENED}.")
    found = classify(*_parts(match))
    if found.kind is None:
        raise IdError(found.message)
    return found.kind, found.text


# An ID a server sends for anything but a thread or conversation: letters, digits, ``_``
# and ``-`` (UUIDs, llama-stack's dashes, ``chatcmpl-tool-…``), starting with a letter or
# digit. Nothing a path, a terminal or a line of output would read as more than a name.
_SERVER_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_SERVER_ID = MAX_BODY + 16
SHOWN_ID = 80  # characters of a refused ID shown in a message


def shown(value: str) -> str:
    """A refused ID as a message shows it: cleaned, escaped (``repr``) and cut short."""
    cut = clean(value)
    return repr(cut[:SHOWN_ID]) + ("…" if len(cut) > SHOWN_ID else "")


def server_id_problem(value: object, prefix: str | None = None) -> str | None:
    """Why ``value`` is not an ID a server may send (of ``prefix`` when given), or ``None``.

    ``thread`` and ``conv`` IDs follow the grammar of IDs found in text (:func:`classify`);
    other kinds are one token of letters, digits, ``_`` and ``-`` starting ``prefix_``
    (``chatcmpl-`` for stored completions: servers write their bodies in many ways).
    """
    if not isinstance(value, str):
        return f"{type(value).__name__} instead of an ID"
    if prefix in ("thread", "conv"):
        return _item_problem(value, prefix)
    if len(value) > MAX_SERVER_ID or not _SERVER_TOKEN.fullmatch(value):
        return f"{shown(value)} is not an ID (letters, digits, _ and - only)"
    start = joined(prefix, "") if prefix is not None else ""
    if not value.startswith(start):
        return f"{shown(value)} is not a {start}… ID"
    return None


# The ID of an Agents SDK session is whatever its program named it ("user_123", an email,
# a UUID). It is kept when it is one token a terminal, a path and a line of output read as
# a name; a session named otherwise is not tracked (its import says why).
_SESSION_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@+=-]*")


def session_id_problem(value: object) -> str | None:
    """Why ``value`` is not a session ID the registry keeps, or ``None``."""
    if not isinstance(value, str):
        return f"{type(value).__name__} instead of a session ID"
    if len(value) > MAX_SERVER_ID or not _SESSION_TOKEN.fullmatch(value):
        return (
            f"{shown(value)} is not a session ID this registry keeps (letters, digits and "
            "_ . : @ + = - only, at most 272 characters)"
        )
    return None


def other_than_asked(found: str, asked: str, noun: str) -> str:
    """The problem of a reply about another item than the ``noun`` ``asked`` for."""
    return f"{shown(found)}, not the {noun} {asked} that was asked for"


def _item_problem(value: str, prefix: str) -> str | None:
    """Why ``value`` is not a ``thread_…`` or ``conv_…`` ID, or ``None``.

    The shape is the one of IDs found in text; how long a body is is the server's own
    business (the length checks of :func:`classify` catch IDs cut short in copying).
    """
    noun = "thread" if prefix == "thread" else "conversation"
    match = _SHAPE.fullmatch(value)
    if match is None or match.group(1) != prefix or match.group(4):
        return f"{shown(value)} is not a {noun} ID ({prefix}_ then letters and digits)"
    return None


def whole(text: str) -> FoundId | None:
    """The verdict on ``text`` read as one ID (a database cell), or ``None`` when it is none.

    Surrounding spaces are dropped; anything else around an ID makes it no ID.
    """
    match = _SHAPE.fullmatch(text.strip())
    return None if match is None else classify(*_parts(match))
