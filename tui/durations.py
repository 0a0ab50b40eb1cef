"""Ages on the command line: ``90m``, ``12h``, ``30d``, ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """A duration like ``30d``; ``ValueError`` says the accepted forms."""
    match = _AGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an age: use a number and m, h, d or w, like 30d.")
    return timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})


def describe(delta: timedelta) -> str:
    """A short age for tables: ``5m``, ``3h``, ``12d``, ``2y``."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"
