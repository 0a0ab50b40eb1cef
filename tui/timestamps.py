"""Times as servers send them (seconds, milliseconds, ISO-8601 text), read into one form.

Every layer that takes a time from outside (adapters, the tracking hook, imports) reads it
here, so the registry only ever holds whole seconds since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Past these, a number is read in a finer unit: 1e11 s is the year 5138, 1e14 ms the year
# 5138 too, and so on down to nanoseconds.
_SCALES = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))
_LATEST = datetime(9999, 12, 31, tzinfo=UTC).timestamp()


def _seconds(value: float) -> float | None:
    """A number as seconds (scaled down from a finer unit), ``None`` when out of range."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    for limit, scale in _SCALES:
        if abs(value) >= limit:
            value /= scale
            break
    if not 0 <= value <= _LATEST:
        return None
    return value


def _from_number(value: float) -> datetime | None:
    seconds = _seconds(value)
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def _from_text(text: str) -> datetime | None:
    text = text.strip()
    if not text or len(text) > 64:
        return None
    try:
        return _from_number(float(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def moment(value: object) -> datetime | None:
    """An aware UTC datetime from whatever a server sent, or ``None`` when it is no time.

    Numbers are seconds, or milliseconds, microseconds or nanoseconds when they are too
    large to be seconds; text is a number or ISO-8601 (without a zone it is UTC).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_number(float(value))
    if isinstance(value, str):
        return _from_text(value)
    return None


def epoch(value: object) -> int | None:
    """Whole seconds since the epoch from whatever a server sent (see :func:`moment`)."""
    if type(value) is int or type(value) is float:  # the common case, without a datetime
        seconds = _seconds(value)
        return None if seconds is None else int(seconds)
    found = moment(value)
    return None if found is None else int(found.timestamp())
