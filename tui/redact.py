"""Keep API keys out of everything the app writes or shows."""

from __future__ import annotations

import re

_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{3,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"']+")


def redact(text: str) -> str:
    """Replace anything shaped like an API key (``sk-…``, ``Bearer …``) with a marker."""
    text = _KEY.sub("sk-…[redacted]", text)
    return _BEARER.sub(r"\1[redacted]", text)
