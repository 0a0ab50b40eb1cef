"""Helpers to run the real ``thread-browser`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.conftest import TEST_KEY

Runner = Callable[..., subprocess.CompletedProcess[str]]


def cli_env(base_url: str | None, db, key: str | None = TEST_KEY, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREAD_BROWSER"))}
    env["THREAD_BROWSER_DB"] = str(db)
    home = os.path.dirname(str(db))
    env["XDG_CONFIG_HOME"] = os.path.join(home, "config")
    env["XDG_DATA_HOME"] = os.path.join(home, "data")
    if base_url:
        env["OPENAI_BASE_URL"] = base_url
    if key:
        env["OPENAI_API_KEY"] = key
    env.update(extra)
    return env


@pytest.fixture
def cli(tmp_path) -> Callable[..., Runner]:
    """``cli(base_url)(*args, input=...)`` runs the command with a private registry."""

    def bind(base_url: str | None, key: str | None = TEST_KEY, **extra: str) -> Runner:
        env = cli_env(base_url, tmp_path / "registry.sqlite3", key, **extra)

        def run(*args: str, input: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "tui", *args],
                input=input,
                capture_output=True,
                text=not isinstance(input, bytes),
                env=env,
                timeout=120,
            )

        return run

    return bind
