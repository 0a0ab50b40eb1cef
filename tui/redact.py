"""Keep API keys out of everything the app writes or shows."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

MIN_SECRET = 8
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET")
_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{3,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"']+")
_MASKED = re.compile(r"[A-Za-z0-9_\-]*\*{4,}[A-Za-z0-9_\-]*")  # echoed masked: abc****wxyz


def _secrets(environ: Mapping[str, str]) -> list[str]:
    """Values of variables named like secrets (``…KEY…``, ``…TOKEN…``), longest first."""
    values = {
        value.strip()
        for name, value in environ.items()
        if any(word in name.upper() for word in _SECRET_NAMES) and len(value.strip()) >= MIN_SECRET
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace anything that is or looks like an API key with a marker.

    That is the value (8 characters or more) of any environment variable whose name holds
    KEY, TOKEN or SECRET (``OPENAI_API_KEY``, a profile's ``LOCAL_KEY``), anything shaped
    like ``sk-…`` or ``Bearer …``, and a key a server echoed masked with asterisks.
    """
    for secret in _secrets(os.environ if environ is None else environ):
        text = text.replace(secret, "[redacted]")
    text = _KEY.sub("sk-…[redacted]", text)
    text = _MASKED.sub("[redacted]", text)
    return _BEARER.sub(r"\1[redacted]", text)
