"""Helpers to run the real ``thread-browser`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import TEST_KEY
from tests.kit.postgres import NoPostgres, Postgres, start
from tests.kit.zygote import Zygote

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
def cli(tmp_path, zygote: Zygote) -> Callable[..., Runner]:
    """``cli(base_url)(*args, input=...)`` runs the command with a private registry.

    Each call is the real entry point in a child process, forked from a process that has
    imported the CLI once (``tests/kit/zygote.py``); the start-up cost itself is measured
    by ``tests/cli/test_lazy_commands.py`` and the benchmarks, in fresh interpreters.
    Output is text, or bytes when ``input`` is bytes (as ``subprocess.run`` gives).
    """

    def bind(base_url: str | None, key: str | None = TEST_KEY, **extra: str) -> Runner:
        env = cli_env(base_url, tmp_path / "registry.sqlite3", key, **extra)

        def run(*args: str, input: str | bytes | None = None) -> subprocess.CompletedProcess:
            argv = ["thread-browser", *args]
            reply, out, err = zygote.run_raw(list(args), env, input=input or "", timeout=120)
            if reply["timed_out"]:
                raise subprocess.TimeoutExpired(argv, 120, out, err)
            if isinstance(input, bytes):
                return subprocess.CompletedProcess(argv, reply["code"], out, err)
            text = out.decode(errors="replace"), err.decode(errors="replace")
            return subprocess.CompletedProcess(argv, reply["code"], *text)

        return run

    return bind


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL server for the session (tests using it share an ``xdist_group``).

    Without the server binaries a test skips, saying so, unless ``CI`` is set: then it fails.
    """
    try:
        server = start()
    except NoPostgres as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    yield server
    server.stop()
