"""A bounded property-based fuzz of every route the emulator serves, generated from the spec.

schemathesis draws requests from OpenAI's OpenAPI description (bodies and query parameters
the spec accepts, and ones it refuses); each goes over HTTP to an emulator on 127.0.0.1.
No answer may be a 5xx, and every JSON answer must fit the spec's response schema.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from starlette.applications import Starlette
from starlette.routing import Match

from tests.conftest import TEST_KEY, strict_client
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer, spec

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode, openapi  # noqa: E402

EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
HEADERS = {"Authorization": f"Bearer {TEST_KEY}", "OpenAI-Beta": "assistants=v2"}


@dataclass
class Tally:
    """What the fuzz sent and what came back wrong."""

    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    off_spec: list[str] = field(default_factory=list)


def _starlette(app: Any) -> Starlette:
    """The Starlette app inside the emulator's middleware."""
    for _ in range(10):
        if isinstance(app, Starlette):
            return app
        app = app.app
    raise LookupError("no Starlette app inside the emulator's middleware")


def served(emulator: Emulator) -> list[spec.Operation]:
    """The spec's operations that the emulator routes (its catch-all 404 aside)."""
    routes = [r for r in _starlette(emulator.asgi()).routes if "{path:path}" not in r.path]
    found = []
    for op in spec.operations():
        path = "/v1" + op.template.replace("{", "").replace("}", "")
        scope = {"type": "http", "path": path, "method": op.method}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            found.append(op)
    return found


def _schema(operations: list[spec.Operation]) -> Any:
    """A schemathesis schema of only these operations (loads in well under a second)."""
    doc = spec.document()
    paths: dict[str, Any] = {}
    for op in operations:
        item = doc["paths"][op.template]
        shared = {k: v for k, v in item.items() if k not in ("get", "post", "delete", "put")}
        paths.setdefault(op.template, shared)[op.method.lower()] = item[op.method.lower()]
    kept = {"openapi": doc["openapi"], "info": doc["info"], "components": doc["components"]}
    return openapi.from_dict({**kept, "paths": paths})


def seed_objects(base_url: str) -> dict[str, str]:
    """Real objects, so some fuzzed paths reach a handler instead of a 404."""
    client = strict_client(base_url)
    assistant = client.beta.assistants.create(model="gpt-4.1", name="fuzz")
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(thread.id, role="user", content="hi")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    conversation = client.conversations.create(items=[{"role": "user", "content": "hi"}])
    item = client.conversations.items.list(conversation.id).data[0]
    response = client.responses.create(model="gpt-4.1", input="hi")
    client.close()
    ids = {
        "assistant_id": assistant.id,
        "thread_id": thread.id,
        "message_id": message.id,
        "run_id": run.id,
        "conversation_id": conversation.id,
        "item_id": item.id,
        "response_id": response.id,
        "model": "gpt-4.1",
    }
    if steps:
        ids["step_id"] = steps[0].id
    return ids


def _text(value: Any) -> str | list[str]:
    """A query value as text, the way a client puts it in a URL."""
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    return value if isinstance(value, str) else json.dumps(value)


def send(http: httpx2.Client, case: Any, real_ids: dict[str, str] | None, tally: Tally) -> None:
    """Send one generated case; count a 5xx or an answer that breaks the spec."""
    params = dict(case.path_parameters or {})
    if real_ids:
        params.update({k: v for k, v in real_ids.items() if k in params})
    path = "/v1" + case.operation.path.format(**{k: str(v) for k, v in params.items()})
    body = case.body
    content = None
    if isinstance(body, bytes):
        content = body
    elif not isinstance(body, type(schemathesis.core.NOT_SET)):
        content = json.dumps(body).encode()
    query = {k: _text(v) for k, v in (case.query or {}).items()}
    method = case.operation.method.upper()
    headers = {**HEADERS, "Content-Type": "application/json"}
    with http.stream(method, path, params=query, content=content, headers=headers) as answer:
        raw = answer.read()
    tally.sent += 1
    label = f"{method} {path} -> {answer.status_code}"
    if answer.status_code >= 500:
        tally.server_errors.append(f"{label}: {raw[:200]!r} (body {content!r:.300})")
        return
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return
    problems = spec.response_problems(method, path, answer.status_code, json.loads(raw))
    if problems:
        tally.off_spec.append(f"{label}: {problems[:2]}")


def fuzz(
    op: Any, mode: GenerationMode, http: httpx2.Client, ids: dict[str, str], tally: Tally
) -> None:
    """Draw a bounded, reproducible number of cases of one operation and send each."""

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode), real=st.booleans())
    def run(case: Any, real: bool) -> None:
        send(http, case, ids if real else None, tally)

    try:
        run()
    except Unsatisfiable:  # nothing to negate: no body or parameter with a schema
        assert mode is GenerationMode.NEGATIVE


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """An emulator that streams without pauses."""
    with EmulatorServer(Emulator(EmulatorConfig(token_delay_ms=0))) as server:
        yield server


@pytest.mark.long
def test_fuzz_finds_no_5xx_and_no_off_spec_answer(
    emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    operations = served(emulator.emulator)
    assert len(operations) >= 25, [f"{o.method} {o.template}" for o in operations]
    ids = seed_objects(emulator.base_url)
    tally = Tally()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = _schema(operations)
        base = emulator.base_url.removesuffix("/v1")
        with httpx2.Client(base_url=base, timeout=30) as http:
            for result in schema.get_all_operations():
                for mode in EXAMPLES:
                    fuzz(result.ok(), mode, http, ids, tally)
    with capsys.disabled():
        print(
            f"\nfuzz: {len(operations)} routes, {tally.sent} requests sent, "
            f"{len(tally.server_errors)} 5xx seen, {len(tally.off_spec)} off-spec answers"
        )
    assert not tally.server_errors, "\n".join(tally.server_errors[:10])
    assert not tally.off_spec, "\n".join(tally.off_spec[:10])
