"""Traces: the conversation and response IDs of OpenTelemetry spans (OTLP JSON).

The GenAI semantic conventions name the IDs a span worked on: ``gen_ai.conversation.id``
(a ``conv_…`` or ``thread_…``) and ``gen_ai.response.id`` (a ``resp_…``, or a
``chatcmpl-…`` for a chat completion). Each value goes through the same recognition as
text (:mod:`tui.ids`), so its verdict (usable, wrong kind, malformed) is the one any other
import gives it. The other attributes of the span become the item's metadata.

Two shapes are read: the file exporter's (one ``ExportTraceServiceRequest`` JSON object per
line) and a single document (a collector's output, pretty-printed or not; a list of
requests too). Lines are read one at a time, so a big file is never held whole; a single
document is, within the import's byte bound. Nothing in a span is trusted: a line that is
not JSON, a span of the wrong shape and a value of the wrong type are each a problem
reported by line number, never a failure of the whole import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tui.ids import MAX_BODY, OPENED, FoundId, Verdict, extract, shown
from tui.metadata import MAX_KEY, MAX_KEYS, MAX_VALUE
from tui.ops.importing import MAX_IDS, MAX_INPUT, _too_long, _too_many
from tui.text import clean

ID_KEYS = ("gen_ai.conversation.id", "gen_ai.response.id")
MAX_PROBLEMS = 20  # problems named one by one; the rest are counted
MAX_REMEMBERED = 20_000  # attribute keys and ID values remembered as read
MAX_ID_VALUE = 4096  # characters of an ID attribute searched for IDs
_SCALARS = ("stringValue", "boolValue", "intValue", "doubleValue")


def _value(text: str) -> str:
    """A metadata value as shown: no control sequence, at most 512 characters."""
    return clean(text[: MAX_VALUE * 4])[:MAX_VALUE]


@dataclass
class _Meta:
    """The metadata of one ID: the attributes of its earliest spans, at most 16 keys.

    Each key keeps the value of the earliest span that carried it; when 16 keys are held,
    a key of an earlier span replaces the key that came from the latest one. So the result
    does not depend on the order spans come in, and it holds at most 16 entries at any time.
    """

    values: dict[str, tuple[tuple[int, int], str]] = field(default_factory=dict)

    def add(self, when: tuple[int, int], attributes: dict[str, str]) -> None:
        """Hold what this span says, where it comes earlier (values cleaned when kept)."""
        for key, value in attributes.items():
            held = self.values.get(key)
            if held is not None:
                if when < held[0]:
                    self.values[key] = (when, _value(value))
                continue
            if len(self.values) < MAX_KEYS:
                self.values[key] = (when, _value(value))
                continue
            latest = max(self.values, key=lambda k: (self.values[k][0], k))
            if (when, key) < (self.values[latest][0], latest):
                del self.values[latest]
                self.values[key] = (when, _value(value))

    def result(self) -> dict[str, str]:
        order = sorted(self.values.items(), key=lambda kv: (kv[1][0], kv[0]))
        return {key: value for key, (_, value) in order}


@dataclass(frozen=True, slots=True)
class Traced:
    """The IDs of a traces file, each one's metadata, and what could not be used."""

    ids: list[FoundId]
    metadata: dict[str, dict[str, str]]
    spans: int
    read: int
    cut: str = ""
    problems: tuple[str, ...] = ()


class _Reader:
    def __init__(self, name: str, max_ids: int) -> None:
        self.name = name
        self.max_ids = max_ids
        self.found: dict[str, FoundId] = {}
        self.meta: dict[str, _Meta] = {}
        self.spans = 0
        self.seq = 0
        self.full = False
        self.problems: list[str] = []
        self.more_problems = 0
        self.keys: dict[str, str] = {}  # attribute keys as kept (they repeat in every span)
        self.recognised: dict[str, list[FoundId]] = {}  # ID values read (they repeat too)

    def problem(self, where: str, what: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{self.name}, {where}: {what}")
        else:
            self.more_problems += 1

    def document(self, value: object, where: str) -> None:
        """Every span of one request (or of a list of requests)."""
        requests = value if isinstance(value, list) else [value]
        for request in requests:
            if not isinstance(request, dict) or "resourceSpans" not in request:
                self.problem(where, "not an OTLP trace request (no resourceSpans)")
                continue
            for span in _spans(request):
                self.span(span, where)
                if self.full:
                    return

    def span(self, span: object, where: str) -> None:
        if not isinstance(span, dict):
            self.problem(where, "a span that is not a JSON object was skipped")
            return
        self.spans += 1
        self.seq += 1
        attributes = span.get("attributes")
        if not isinstance(attributes, list):
            return
        ids: list[FoundId] = []
        meta: dict[str, str] = {}
        for entry in attributes:
            key, value = _attribute(entry)
            if key is None:
                continue
            if key in ID_KEYS:
                ids += self.ids_of(key, value, where)
            elif value is not None:
                meta.setdefault(self.key(key), value)
        when = (_start(span), self.seq)
        for found in ids:
            if found.text not in self.found:
                if len(self.found) >= self.max_ids:
                    self.full = True
                    return
                self.found[found.text] = found
            if found.verdict is Verdict.OK and meta:
                self.meta.setdefault(found.text, _Meta()).add(when, meta)

    def key(self, key: str) -> str:
        kept = self.keys.get(key)
        if kept is None:
            kept = clean(key[: MAX_KEY * 4])[:MAX_KEY]
            if len(self.keys) < MAX_REMEMBERED:
                self.keys[key] = kept
        return kept

    def ids_of(self, key: str, value: str | None, where: str) -> list[FoundId]:
        if value is None:
            self.problem(where, f"{key} is not a string: skipped")
            return []
        known = self.recognised.get(value)
        if known is not None:
            return known
        found = extract(value[:MAX_ID_VALUE]) or self.not_an_id(key, value)
        if len(self.recognised) < MAX_REMEMBERED and len(value) <= MAX_BODY:
            self.recognised[value] = found
        return found

    def not_an_id(self, key: str, value: str) -> list[FoundId]:
        text = shown(value)
        return [
            FoundId(
                text,
                "",
                Verdict.MALFORMED,
                f"{text} (in {key}) is not an ID the app opens: those start with {OPENED}.",
            )
        ]

    def result(self, read: int, cut: str) -> Traced:
        problems = list(self.problems)
        if self.more_problems:
            problems.append(f"{self.name}: {self.more_problems:,} more problems like these")
        if self.full and not cut:
            cut = _too_many(self.name, self.max_ids, read)
        metadata = {key: meta.result() for key, meta in self.meta.items()}
        return Traced(list(self.found.values()), metadata, self.spans, read, cut, tuple(problems))


def _spans(request: dict[str, Any]) -> Iterator[object]:
    for resource in _list(request.get("resourceSpans")):
        for scope in _list(resource.get("scopeSpans") if isinstance(resource, dict) else None):
            yield from _list(scope.get("spans") if isinstance(scope, dict) else None)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _attribute(entry: object) -> tuple[str | None, str | None]:
    """The key and scalar value (as text) of one OTLP attribute; ``None`` where it has none.

    Arrays, key-value lists and bytes are not kept: metadata holds text, and a list shown
    as JSON would be cut at 512 characters mid-way.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return None, None
    value = entry.get("value")
    if not isinstance(value, dict):
        return entry["key"], None
    for name in _SCALARS:
        if name not in value:
            continue
        raw = value[name]
        if name == "boolValue" and isinstance(raw, bool):
            return entry["key"], "true" if raw else "false"
        if name == "stringValue" and isinstance(raw, str):
            return entry["key"], raw
        if name != "stringValue" and isinstance(raw, (int, float, str)):
            return entry["key"], str(raw)  # int64 as a JSON string, as protobuf writes it
    return entry["key"], None


def _start(span: dict[str, Any]) -> int:
    """The span's start time in nanoseconds (a later one sorts after), or the latest."""
    raw = span.get("startTimeUnixNano")
    try:
        return int(raw)  # type: ignore[arg-type]  # str or int in OTLP JSON; else refused below
    except (TypeError, ValueError):
        return 1 << 63


def read_traces(
    stream: BinaryIO,
    *,
    name: str = "the input",
    max_bytes: int = MAX_INPUT,
    max_ids: int = MAX_IDS,
) -> Traced:
    """The IDs and metadata of OTLP JSON traces: JSON Lines or one document.

    The first line decides: a whole JSON value means JSON Lines, read a line at a time;
    anything else means one document, read whole (at most ``max_bytes``). A document that
    does not parse is then read as lines, so each broken line is named.
    """
    reader = _Reader(name, max_ids)
    read = 0
    number = 0
    first = True
    while read < max_bytes and not reader.full:
        line = stream.readline(max_bytes - read)
        if not line:
            return reader.result(read, "")
        read += len(line)
        if not line.endswith(b"\n") and read >= max_bytes and stream.read(1):
            return reader.result(read, _too_long(name, max_bytes))
        number += 1
        if not line.strip():
            continue
        value = _json(line)
        if value is _BAD and first:
            return _document(reader, line, stream, read, max_bytes)
        first = False
        if value is _BAD:
            reader.problem(f"line {number}", "not JSON: skipped")
            continue
        reader.document(value, f"line {number}")
    cut = "" if reader.full or not stream.read(1) else _too_long(name, max_bytes)
    return reader.result(read, cut)


_BAD = object()


def _json(data: bytes) -> object:
    try:
        return json.loads(data)
    except ValueError:  # a UnicodeDecodeError is one too
        return _BAD


def _document(reader: _Reader, start: bytes, stream: BinaryIO, read: int, limit: int) -> Traced:
    """The rest of a single document (within ``limit`` bytes in all), read whole."""
    rest = stream.read(limit - read)
    read += len(rest)
    if read >= limit and stream.read(1):
        return reader.result(read, _too_long(reader.name, limit))
    whole = start + rest
    value = _json(whole)
    if value is not _BAD:
        reader.document(value, "the document")
        return reader.result(read, "")
    for number, line in enumerate(whole.split(b"\n"), 1):
        if not line.strip():
            continue
        parsed = _json(line)
        if parsed is _BAD:
            reader.problem(f"line {number}", "not JSON: skipped")
        else:
            reader.document(parsed, f"line {number}")
        if reader.full:
            break
    return reader.result(read, "")
