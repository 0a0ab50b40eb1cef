"""The emulator's fault mix: seeded, each kind shaped like the real thing, and its CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import openai
import pytest

from tests.conftest import TEST_KEY, strict_client
from tui.emulator import EmulatorConfig
from tui.emulator.faults import Fault

MODEL = "gpt-4.1"
EMULATOR = [sys.executable, "-m", "tui", "emulator"]


def outcomes(server, n: int = 40) -> list[str]:
    """What each of ``n`` plain requests got: ok, 500 or 429."""
    seen = []
    with strict_client(server.base_url) as client:
        for _ in range(n):
            try:
                client.models.list()
                seen.append("ok")
            except openai.APIStatusError as exc:
                seen.append(str(exc.status_code))
    return seen


def test_the_mix_is_seeded_and_deterministic(make_server) -> None:
    knobs = {"fault_rate": 0.3, "fault_kinds": ("500", "429"), "fault_retry_after": 1.0}
    first = outcomes(make_server(seed=11, **knobs))
    again = outcomes(make_server(seed=11, **knobs))
    other = outcomes(make_server(seed=12, **knobs))
    assert first == again
    assert other != first
    assert {"ok", "500", "429"} <= set(first)
    assert 4 <= len(first) - first.count("ok") <= 24


def test_no_fault_without_a_rate(make_server) -> None:
    server = make_server(fault_kinds=("500",))
    assert set(outcomes(server, 20)) == {"ok"}
    assert server.emulator.faults.total == 0


def test_a_500_has_the_real_error_envelope(make_server) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("500",))
    with strict_client(server.base_url) as client, pytest.raises(openai.InternalServerError) as e:
        client.conversations.create()
    assert e.value.type == "server_error"
    assert server.emulator.faults.counts[Fault.ERROR] == 1


def test_a_429_asks_for_a_long_wait_that_the_sdk_does_not_wait_out(make_server) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("429",), fault_retry_after=300)
    started = time.monotonic()
    with (
        strict_client(server.base_url, max_retries=2) as client,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        client.conversations.create()
    assert time.monotonic() - started < 2
    headers = caught.value.response.headers
    assert headers["retry-after"] == "300" and headers["retry-after-ms"] == "300000"
    assert server.emulator.request_count == 1  # over two minutes: the SDK gives up at once


def test_a_stall_outlasts_the_client_and_is_never_processed(make_server) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("timeout",), fault_stall=1.0)
    ns = server.emulator.namespace(TEST_KEY)
    with (
        strict_client(server.base_url, timeout=0.3) as hasty,
        pytest.raises(openai.APITimeoutError),
    ):
        hasty.conversations.create()
    time.sleep(1.2)  # the stall ends after the client left
    assert ns.conversations == {}
    started = time.monotonic()
    with strict_client(server.base_url, timeout=5) as patient:
        conv = patient.conversations.create()
    assert time.monotonic() - started >= 1.0  # a client that waits gets the answer, late
    assert conv.id in ns.conversations
    assert server.emulator.faults.counts[Fault.TIMEOUT] == 2


def test_a_drop_cuts_streams_midway_and_spares_plain_requests(make_server) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("drop",), fault_cut_after=3)
    with strict_client(server.base_url) as client:
        conv = client.conversations.create()  # not a stream: served whole
        events: list[str] = []
        with pytest.raises(openai.APIConnectionError):
            for event in client.responses.create(
                model=MODEL, input="Tell me a long story", conversation=conv.id, stream=True
            ):
                events.append(event.type)
        assert events.count("response.output_text.delta") == 3
        assert "response.completed" not in events
        asst = client.beta.assistants.create(model=MODEL)
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "A story"}])
        run_events: list[str] = []
        with pytest.raises(openai.APIConnectionError):
            for event in client.beta.threads.runs.create(
                thread.id, assistant_id=asst.id, stream=True
            ):
                run_events.append(event.event)
        assert run_events.count("thread.message.delta") == 3
        assert "thread.run.completed" not in run_events
        assert client.models.list().data  # the server goes on serving
    assert server.emulator.faults.counts == {Fault.DROP: 2}


@pytest.mark.parametrize(
    "knobs",
    [{"fault_rate": 1.5}, {"fault_kinds": ("503",)}, {"fault_stall": -1}],
)
def test_bad_fault_knobs_are_refused(knobs: dict) -> None:
    with pytest.raises(ValueError):
        EmulatorConfig(**knobs)


KNOBS = ["--port", "0", "--seed", "3", "--fault-rate", "1", "--fault-kinds", "429"]
KNOBS += ["--fault-retry-after", "90"]


def test_the_cli_serves_the_fault_mix() -> None:
    proc = subprocess.Popen(
        [*EMULATOR, *KNOBS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with strict_client(base_url, max_retries=0) as client:
            for _ in range(100):
                try:
                    client.models.list()
                except openai.RateLimitError as exc:
                    assert exc.response.headers["retry-after"] == "90"
                    break
                except openai.APIConnectionError:
                    time.sleep(0.05)  # not listening yet
            else:
                pytest.fail("the emulator never answered")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_the_cli_refuses_an_unknown_fault_kind() -> None:
    done = subprocess.run(
        [*EMULATOR, "--fault-kinds", "500,flood"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "flood is not a fault kind" in done.stderr and "Traceback" not in done.stderr
