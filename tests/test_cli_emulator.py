"""The real ``thread-browser emulator`` command, run in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import strict_client

CLI = [sys.executable, "-m", "tui", "emulator"]


def start(*extra: str) -> tuple[str, subprocess.Popen[str]]:
    """``thread-browser emulator`` on a free port with ``extra``; its URL once it listens."""
    proc = subprocess.Popen(
        [*CLI, "--port", "0", "--seed-demo", "--token-delay-ms", "1", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    base_url = proc.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
    deadline = time.monotonic() + 20
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return base_url, proc


def stop(proc: subprocess.Popen[str]) -> None:
    """Interrupt the emulator as Ctrl+C would and wait for it."""
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)


@pytest.fixture
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    base_url, proc = start()
    yield base_url, proc
    stop(proc)


def test_keys_accept_only_the_named_ones_and_the_demo_key() -> None:
    base_url, proc = start("--keys", "key-one, key-two")
    try:
        for key in ("key-one", "key-two", "demo-key"):
            with strict_client(base_url, key) as client:
                assert client.models.list().data
        with (
            strict_client(base_url, "key-three") as client,
            pytest.raises(openai.AuthenticationError) as refused,
        ):
            client.models.list()
        assert refused.value.code == "invalid_api_key"
        assert "Incorrect API key provided" in refused.value.message
        assert "key-three" not in refused.value.message  # masked, as the real API does
    finally:
        stop(proc)


def test_tutorial_flow_against_the_cli_emulator(served) -> None:
    base_url, _ = served
    client = strict_client(base_url)
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content="Solve 3x + 11 = 14."
    )
    assistant = client.beta.assistants.create(
        name="Math Tutor", instructions="You are a math tutor.", model="gpt-4.1"
    )
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    for _ in range(400):
        run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
        if run.status == "completed":
            break
        time.sleep(0.05)
    assert run.status == "completed"
    messages = client.beta.threads.messages.list(thread_id=thread.id)
    roles = [m.role for m in messages.data]
    assert roles == ["assistant", "user"]
    assert messages.data[0].content[0].text.value


def test_demo_data_is_under_the_demo_key(served) -> None:
    base_url, _ = served
    demo = strict_client(base_url, key="demo-key")
    names = sorted(a.name or "" for a in demo.beta.assistants.list())
    assert names == ["Demo helper", "Weather assistant"]
    other = strict_client(base_url, key="another-key")
    assert other.beta.assistants.list().data == []


def test_busy_port_is_a_clear_error_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*CLI, "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_knob() -> None:
    result = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for flag in ("--seed-demo", "--latency-ms", "--rate-limit", "--error-rate", "--sunset"):
        assert flag in result.stdout


def test_console_script_is_installed() -> None:
    bindir = os.path.dirname(sys.executable)
    script = os.path.join(bindir, "thread-browser")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "thread-browser" in result.stdout
