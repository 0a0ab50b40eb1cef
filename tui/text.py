"""Message content is data: keep terminal control sequences out of it."""

from __future__ import annotations

import json
import re
from typing import Any

# ESC sequences (CSI, OSC, DCS, SOS/PM/APC and two-byte ones), then any other control
# character except newline and tab: C0, DEL and C1. A string sequence left unterminated
# ends at the line's end, so the text after it stays readable.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible format characters: bidi marks, embeddings, overrides and isolates (which
# reorder what a terminal shows), zero-width spaces and joiners, word joiners, the BOM,
# interlinear annotation and tag characters. Terminals disagree with each other, and with
# the layout, on how wide they and the sequences they join are, so rows would shift.
_INVISIBLE = re.compile(
    "[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]"
)
_SEPARATORS = re.compile(r"[\u2028\u2029]")


def clean(text: str) -> str:
    """Text a terminal shows as it is: no escape sequence, control or format character.

    Newline and tab stay; Unicode line and paragraph separators become newlines.
    """
    if text.isascii() and text.isprintable():  # the common case, nothing to take out
        return text
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return _SEPARATORS.sub("\n", _INVISIBLE.sub("", text))


# Left raw by ``json.dumps(ensure_ascii=False)`` but unsafe on a terminal: DEL and C1, the
# line and paragraph separators, bidi embeddings, overrides and isolates, lone surrogates.
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(value: object, **options: Any) -> str:
    """``value`` as JSON that keeps every character and is safe to print on a terminal.

    Non-ASCII text stays readable; the characters above are written as JSON escapes
    (they can only occur inside strings, so the document means the same).
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    if text.isascii() and "\x7f" not in text:  # DEL: the one of them ASCII holds
        return text
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def scrub(text: str) -> str:
    """``text`` with lone surrogates (invalid JSON escapes a server may send) as U+FFFD.

    Python keeps such an escape from JSON as a character that UTF-8, SQLite and the
    terminal all refuse; everything else is left exactly as it was.
    """
    if not _LONE_SURROGATE.search(text):
        return text  # the same object: a ``str`` subclass (an enum) stays what it is
    return _LONE_SURROGATE.sub("\ufffd", text)
