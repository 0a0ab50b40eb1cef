"""IDs: find them in any text, tell their kind, and explain the wrong ones.

Only ``thread_…`` and ``conv_…`` IDs name something the app can open. Every other
OpenAI ID kind gets a message that says what it is and where the wanted ID lives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tui.model import Kind

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
        return Kind.THREAD if self.prefix == "thread" else Kind.CONVERSATION


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
    "resp": (
        "a response ID",
        "a response created in a conversation names it: look for response.conversation.id (conv_…)",
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

_PREFIXES = ("thread", "conv", *_WRONG)
# An ID starts after anything but a letter, digit or underscore, or right after an
# escape that text gets in JSON (``\n``, ``\t``, ``\r``), in a URL (``%22``) or both
# (``%5Cn``).
_START = r"(?:(?<![A-Za-z0-9_])|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2})|(?<=%5[Cc][nrt]))"
_CANDIDATE = re.compile(
    _START + r"(" + "|".join(_PREFIXES) + r")_([A-Za-z0-9]+)(…|\.\.\.)?",
)
_SHAPES = {"thread": (24, "24 letters and digits"), "conv": (48, "48 hexadecimal digits")}


def _looks_like_id(body: str) -> bool:
    """Tell an ID body from a word in code (``thread_id``, ``run_in_executor``)."""
    if len(body) >= MIN_BODY:
        return True
    return any(c.isdigit() or c.isupper() for c in body)


def classify(prefix: str, body: str, ellipsis: bool = False) -> FoundId:
    """The verdict on one ``prefix_body`` ID."""
    text = f"{prefix}_{body}"
    if prefix in _WRONG:
        what, where = _WRONG[prefix]
        return FoundId(
            text,
            prefix,
            Verdict.WRONG_KIND,
            f"{text} is {what}, not a thread or conversation ID; {where}.",
        )
    noun = "thread" if prefix == "thread" else "conversation"
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
            f"{text} looks truncated: {noun} IDs have {shape} after {prefix}_, "
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


def extract(text: str) -> list[FoundId]:
    """Every distinct ID in ``text``, in order of first appearance."""
    seen: dict[str, FoundId] = {}
    for match in _CANDIDATE.finditer(text):
        prefix, body, ellipsis = match.group(1), match.group(2), match.group(3)
        if not _looks_like_id(body):
            continue
        found = classify(prefix, body, bool(ellipsis))
        seen.setdefault(found.text, found)
    return list(seen.values())


class IdError(ValueError):
    """A command-line argument is not a usable thread or conversation ID."""


def parse_item_id(text: str) -> tuple[Kind, str]:
    """The kind and ID of one argument, or :class:`IdError` saying what is wrong."""
    value = text.strip()
    match = _CANDIDATE.fullmatch(value)
    if match is None:
        raise IdError(
            f"{value!r} is not a thread or conversation ID: those start with thread_ or conv_."
        )
    found = classify(match.group(1), match.group(2), bool(match.group(3)))
    if found.kind is None:
        raise IdError(found.message)
    return found.kind, found.text
