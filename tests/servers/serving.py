"""Start servers on 127.0.0.1: ASGI apps in a thread, real servers in a subprocess."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx2

from tests.kit.ports import spare_port

BIND_ATTEMPTS = 3
PORT_TAKEN = "address already in use"


class ServerProcess:
    """A real server in a subprocess on a loopback port, its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            list(argv), env=env, stdout=self._out, stderr=subprocess.STDOUT, cwd=log.parent
        )
        self.started_in = 0.0

    def wait_ready(self, url: str, timeout: float) -> ServerProcess:
        """Return once ``url`` answers 200; raise with the log's tail if it never does."""
        began = time.monotonic()
        with httpx2.Client(timeout=2.0) as client:
            while time.monotonic() - began < timeout:
                if self.process.poll() is not None:
                    break
                try:
                    if client.get(url).status_code == 200:
                        self.started_in = time.monotonic() - began
                        return self
                except httpx2.TransportError:
                    pass
                time.sleep(0.1)
        tail = self.tail()
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s:\n{tail}")

    def tail(self) -> str:
        """The end of the server's log."""
        self._out.flush()
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._out.close()


def start_server(
    name: str,
    argv: Callable[[int], Sequence[str]],
    env: dict[str, str],
    log: Path,
    ready_path: str,
    timeout: float,
) -> tuple[ServerProcess, str]:
    """Start a server on a spare port and wait for ``ready_path``; its process and ``/v1`` URL.

    A server that finds its port taken (another test picked the same one) is started again
    on another port, at most ``BIND_ATTEMPTS`` times.
    """
    for attempt in range(1, BIND_ATTEMPTS + 1):
        port = spare_port()
        base = f"http://127.0.0.1:{port}/v1"
        server = ServerProcess(name, argv(port), env, log)
        try:
            return server.wait_ready(f"{base}{ready_path}", timeout), base
        except RuntimeError as error:
            if attempt == BIND_ATTEMPTS or PORT_TAKEN not in str(error).lower():
                raise
    raise AssertionError("unreachable")


def offline_env(**extra: str) -> dict[str, str]:
    """The environment for a server: this one, without keys, and told to stay offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREAD_BROWSER"))}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        DO_NOT_TRACK="1",
        TELEMETRY_DISABLED="1",
        OTEL_SDK_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env.update(extra)
    return env
