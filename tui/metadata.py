r"""Metadata as the user edits it (``key = value`` lines), checked against the API's limits.

A key or value that would not read back as written (an ``=`` or a leading ``#`` in a key,
surrounding spaces, a line break, a leading double quote, characters that do not print) is
written as a JSON string: ``"two\nlines" = " padded "``.
"""

from __future__ import annotations

import json

MAX_KEYS = 16
MAX_KEY = 64
MAX_VALUE = 512

_DECODER = json.JSONDecoder()


def _needs_quotes(text: str, *, key: bool) -> bool:
    if text != text.strip() or text.startswith('"') or not text.isprintable():
        return True
    return key and (not text or "=" in text or text.startswith("#"))


def _escape(char: str) -> str:
    r"""A JSON ``\u`` escape of one character (a surrogate pair above U+FFFF)."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _quote(text: str) -> str:
    """A JSON string literal of ``text`` that shows every character it holds."""
    body = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else _escape(c) for c in body)


def _token(text: str, *, key: bool) -> str:
    return _quote(text) if _needs_quotes(text, key=key) else text


def _unquote(text: str) -> str | None:
    """The string a whole JSON string literal stands for, or ``None`` when it is not one."""
    try:
        value, end = _DECODER.raw_decode(text)
    except ValueError:
        return None
    return value if isinstance(value, str) and end == len(text) else None


def _split(line: str) -> tuple[str, str] | None:
    """The key and value of one stripped ``key = value`` line, or ``None``."""
    if line.startswith('"'):
        try:
            key, end = _DECODER.raw_decode(line)
        except ValueError:
            key, end = None, 0
        rest = line[end:].lstrip()
        if isinstance(key, str) and rest.startswith("="):
            return key, _value(rest[1:].strip())
    key, sep, value = line.partition("=")
    key = key.strip()
    if not sep or not key:
        return None
    return key, _value(value.strip())


def _value(text: str) -> str:
    if text.startswith('"'):
        unquoted = _unquote(text)
        if unquoted is not None:
            return unquoted
    return text


def parse(text: str) -> tuple[dict[str, str], list[str]]:
    r"""Metadata from ``key = value`` lines, and every problem found (empty when valid).

    Blank lines and lines starting with ``#`` are skipped. A key or value may be written
    as a JSON string (``"a = b" = "line one\nline two"``), as :func:`format_lines` does
    for those that would not read back otherwise.
    """
    data: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pair = _split(line)
        if pair is None:
            problems.append(f"line {number}: write key = value")
            continue
        key, value = pair
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
    """Metadata as ``key = value`` lines that :func:`parse` reads back as the same dict."""
    return "\n".join(f"{_token(k, key=True)} = {_token(v, key=False)}" for k, v in data.items())
