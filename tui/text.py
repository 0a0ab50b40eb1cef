"""Message content is data: keep terminal control sequences out of it."""

from __future__ import annotations

import re

# ESC sequences (CSI, OSC, DCS, SOS/PM/APC and two-byte ones), then any other control
# character except newline and tab: C0, DEL and C1.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
    r"|[\x9b\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Text with escape sequences and control characters (but newline and tab) removed."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))
