"""Check recorded exchanges against OpenAI's spec: each body, each event, our own requests.

A record is one exchange as the recorder wrote it (a JSON object, see :func:`record_of`).
:func:`check` returns one :class:`Checked` per body, event or request of it; :class:`Tally`
sums them over a session. What the spec itself gets wrong is patched in
``tui.emulator.spec`` (``KNOWN_DEFECTS``); anything else the spec refuses that is known to be
right lives in :data:`KNOWN` here, each entry with its reason, and is not a violation.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tui.emulator import spec
from tui.emulator.recording import Exchange

# The project's client factory (tui/api/client.py) sends this user agent on every request.
OUR_AGENT = "thread-browser/"

EMULATOR = "emulator wrong"
CLIENT = "our client wrong"
DEFECT = "spec defect"


@dataclass(frozen=True)
class Known:
    """A deviation from the spec that is right: where it is, and why."""

    route: str  # glob on "METHOD /template", e.g. "GET /threads/{thread_id}/runs"
    where: str  # regex searched in the problem line ("where: what")
    reason: str


# Short on purpose: each entry is a place where the real API and the spec disagree and
# ``tui.emulator.spec`` does not patch it, or a list other servers add (``--list``).
KNOWN: tuple[Known, ...] = (
    Known(
        "GET /v1/threads",
        r"^the spec has no operation",
        "Azure AI Foundry's agents list threads; the emulator does when told to (--list)",
    ),
    Known(
        "GET /v1/conversations",
        r"^the spec has no operation",
        "OGX lists conversations; the emulator does when told to (--list)",
    ),
    Known(
        "GET /v1/responses",
        r"^the spec has no operation",
        "OGX lists stored responses; the emulator does when told to (--list)",
    ),
    Known(
        "GET /files/{file_id}/content",
        r"^<body> \(application/octet-stream\)",
        "the file's bytes come as they were uploaded (the spec says a JSON string)",
    ),
    Known(
        "GET /chat/completions/{completion_id}/messages",
        r"^data\[\d+\]\.role: '(user|developer|system|tool)' is not one of \['assistant'\]",
        "the stored input messages keep their roles (the spec's own example shows a user "
        "message; its schema types every message as an assistant reply)",
    ),
)


@dataclass(frozen=True)
class Violation:
    """One thing the spec refuses in a body, an event or a request."""

    side: str  # EMULATOR, CLIENT or DEFECT (a KNOWN deviation)
    what: str  # "body", "event" or "request"
    route: str  # "METHOD /template"
    problem: str  # "where: what"
    test: str  # the test during which it was sent

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Violations that differ only in list indices and values are one kind."""
        where = self.problem.split(":", 1)[0]
        return self.side, self.what, self.route, re.sub(r"\[\d+\]", "[n]", where)


@dataclass(frozen=True)
class Checked:
    """One body, event or request that was checked, and what the spec refuses in it."""

    what: str
    problems: tuple[Violation, ...] = ()

    @property
    def valid(self) -> bool:
        """True when nothing but known deviations was found."""
        return all(v.side == DEFECT for v in self.problems)


@dataclass
class Tally:
    """Figures and violations over many records."""

    answers: int = 0  # bodies and events checked
    answers_valid: int = 0
    ours: int = 0  # requests our own client sent
    ours_valid: int = 0
    violations: list[Violation] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        """Check one record and count what was found."""
        for item in check(record):
            mine = item.what == "request"
            if mine:
                self.ours += 1
                self.ours_valid += item.valid
            else:
                self.answers += 1
                self.answers_valid += item.valid
            self.violations += item.problems

    def merge(self, other: Tally) -> None:
        """Count what ``other`` counted too."""
        self.answers += other.answers
        self.answers_valid += other.answers_valid
        self.ours += other.ours
        self.ours_valid += other.ours_valid
        self.violations += other.violations

    def to_json(self) -> dict[str, Any]:
        """The figures and violations as JSON-able values."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        """A tally :meth:`to_json` wrote."""
        violations = [Violation(**v) for v in data.pop("violations")]
        return cls(**data, violations=violations)

    @property
    def failed(self) -> list[Violation]:
        """The violations that are not known deviations."""
        return [v for v in self.violations if v.side != DEFECT]

    def kinds(self) -> list[tuple[int, Violation]]:
        """Each distinct kind of violation: how often it was seen, and its first example."""
        counts = Counter(v.key for v in self.violations)
        first: dict[tuple[str, str, str, str], Violation] = {}
        for v in self.violations:
            first.setdefault(v.key, v)
        return [(counts[key], first[key]) for key in sorted(first)]


def record_of(exchange: Exchange) -> dict[str, Any]:
    """An exchange as a JSON-able record (request bodies only for our own requests)."""
    ours = exchange.user_agent.startswith(OUR_AGENT)
    record: dict[str, Any] = {
        "test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
        "method": exchange.method,
        "path": exchange.path,
        "query": exchange.query,
        "ours": ours,
        "status": exchange.status,
        "type": exchange.response_type,
        "complete": exchange.complete,
    }
    if ours and "json" in exchange.request_type:
        record["request"] = exchange.request_body.decode("utf-8", errors="replace")
    if exchange.streamed:
        record["events"] = [[e.event, e.data] for e in exchange.events()]
    else:
        record["body"] = exchange.response_body.decode("utf-8", errors="replace")
    return record


def check(record: dict[str, Any]) -> list[Checked]:
    """Every body, event and (our own) request of one record, checked."""
    op = spec.operation(record["method"], record["path"])
    route = f"{record['method']} {op.template if op else record['path']}"
    judge = _Judge(route, record.get("test", ""))
    found = []
    if record.get("ours"):
        found.append(judge.request(record))
    if "events" in record:
        found += [judge.event(record["path"], name, data) for name, data in record["events"]]
    elif record.get("body"):
        found.append(judge.body(record, op is not None))
    return found


@dataclass(frozen=True)
class _Judge:
    route: str
    test: str

    def _items(self, what: str, problems: list[str], side: str) -> Checked:
        made = tuple(
            Violation(_known(self.route, p) or side, what, self.route, p, self.test)
            for p in problems
        )
        return Checked(what, made)

    def request(self, record: dict[str, Any]) -> Checked:
        method, path = record["method"], record["path"]
        query = parse_qs(record.get("query", ""), keep_blank_values=True)
        problems = [
            f"query {p.param}: {p.message}" for p in spec.query_problems(method, path, query)
        ]
        text = record.get("request")
        if text:
            body, bad = _json(text)
            if bad:
                problems.append(f"<body>: {bad}")
            else:
                found = spec.request_problems(method, path, body)
                problems += [f"{p.param or '<root>'}: {p.message}" for p in found]
        return self._items("request", problems, CLIENT)

    def body(self, record: dict[str, Any], routed: bool) -> Checked:
        body, bad = _json(record["body"])
        if bad or "json" not in record["type"]:
            bad = bad or "not declared as JSON"
            return self._items("body", [f"<body> ({record['type'] or 'no type'}): {bad}"], EMULATOR)
        if not routed and record["status"] >= 400:
            pointer = "/components/schemas/ErrorResponse"
            return self._items("body", spec.describe(spec.errors(pointer, body)), EMULATOR)
        problems = spec.response_problems(record["method"], record["path"], record["status"], body)
        return self._items("body", problems, EMULATOR)

    def event(self, path: str, name: str, data: str) -> Checked:
        if "/chat/completions" in path:
            return self._items("event", _chunk_problems(data), EMULATOR)
        if "/threads" in path:
            parsed, bad = _json(data) if data != "[DONE]" else (data, "")
            problems = (
                [f"<data>: {bad}"]
                if bad
                else spec.event_problems(path, {"event": name, "data": parsed})
            )
            return self._items("event", [f"{name} {p}" for p in problems], EMULATOR)
        parsed, bad = _json(data)
        if bad or not isinstance(parsed, dict):
            return self._items("event", [f"{name} <data>: {bad or 'not an object'}"], EMULATOR)
        problems = spec.event_problems(path, parsed)
        if parsed.get("type") != name:
            problems.append(f"type: {parsed.get('type')!r} differs from the event name")
        return self._items("event", [f"{name} {p}" for p in problems], EMULATOR)


def _chunk_problems(data: str) -> list[str]:
    """A chat completion stream's chunk (``[DONE]`` ends the stream)."""
    if data == "[DONE]":
        return []
    parsed, bad = _json(data)
    if bad:
        return [f"<data>: {bad}"]
    pointer = "/components/schemas/CreateChatCompletionStreamResponse"
    return spec.describe(spec.errors(pointer, parsed))


def _json(text: str) -> tuple[Any, str]:
    """The parsed JSON, or ``(None, why not)``."""
    try:
        return json.loads(text), ""
    except ValueError as error:
        return None, f"not JSON ({error}): {text[:60]!r}"


def _known(route: str, problem: str) -> str | None:
    for known in KNOWN:
        if fnmatch.fnmatchcase(route, known.route) and re.search(known.where, problem):
            return DEFECT
    return None
