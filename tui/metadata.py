"""Metadata as the user edits it (``key = value`` lines), checked against the API's limits."""

from __future__ import annotations

MAX_KEYS = 16
MAX_KEY = 64
MAX_VALUE = 512


def parse(text: str) -> tuple[dict[str, str], list[str]]:
    """Metadata from ``key = value`` lines, and every problem found (empty when valid)."""
    data: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            problems.append(f"line {number}: write key = value")
            continue
        if key in data:
            problems.append(f"line {number}: {key!r} appears twice")
        data[key] = value
    problems += check(data)
    return data, problems


def check(data: dict[str, str]) -> list[str]:
    """Problems with metadata under the API's limits (16 keys, 64 and 512 characters)."""
    problems = []
    if len(data) > MAX_KEYS:
        problems.append(f"{len(data)} keys: the API allows at most {MAX_KEYS}")
    for key, value in data.items():
        if len(key) > MAX_KEY:
            problems.append(f"key {key[:20]!r}… has {len(key)} characters; at most {MAX_KEY}")
        if len(value) > MAX_VALUE:
            problems.append(f"value of {key!r} has {len(value)} characters; at most {MAX_VALUE}")
    return problems


def format_lines(data: dict[str, str]) -> str:
    """Metadata as ``key = value`` lines."""
    return "\n".join(f"{k} = {v}" for k, v in data.items())
