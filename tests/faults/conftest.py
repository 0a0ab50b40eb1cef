"""Faults at 20% from the emulator: shared knobs, and the registry check after each test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import cli, cli_env
from tui.api.client import TIMEOUT_ENV
from tui.emulator import EmulatorServer

SEED = 7
CLIENT_TIMEOUT = 1.0  # seconds the app's client waits for a reply (THREAD_BROWSER_TIMEOUT)
FAULTS: dict[str, object] = {
    "fault_rate": 0.2,
    "seed": SEED,
    "fault_retry_after": 300.0,  # over the SDK's cap: a 429 reaches the app as it is
    "fault_stall": CLIENT_TIMEOUT + 0.3,  # a stall outlasts the client's timeout
}


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients made in this process give up after ``CLIENT_TIMEOUT`` seconds."""
    monkeypatch.setenv(TIMEOUT_ENV, str(CLIENT_TIMEOUT))


def assert_healthy(db: Path) -> dict:
    """``thread-browser doctor --json`` on ``db``: asserts it exits 0 and says healthy."""
    env = cli_env(None, db, None, **{TIMEOUT_ENV: str(CLIENT_TIMEOUT)})
    done = subprocess.run(
        [sys.executable, "-m", "tui", "doctor", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    report = json.loads(done.stdout)
    problems = [f["problem"] for f in report["findings"]]
    assert done.returncode == 0 and report["healthy"], problems
    assert "Traceback" not in done.stderr
    return report


def fault_summary(server: EmulatorServer) -> dict[str, int]:
    """Faults injected so far, by kind."""
    return {str(kind): n for kind, n in server.emulator.faults.counts.items()}


__all__ = ["CLIENT_TIMEOUT", "FAULTS", "SEED", "assert_healthy", "cli", "fault_summary"]
