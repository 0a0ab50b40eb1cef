"""The emulator in its own process for benchmarks: its CPU and its GIL are not ours."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

from tests.kit.ports import spare_port


def start_emulator(*options: str) -> tuple[subprocess.Popen[bytes], str]:
    """``thread-browser emulator OPTIONS`` on a free loopback port; (process, base URL).

    The port is open before the emulator has seeded its data (and seeding 100,000 items
    takes seconds): it is ready when it answers a request, not when it takes a connection.
    """
    port = spare_port()
    command = [sys.executable, "-c", "from tui.cli import main; main()", "emulator"]
    command += ["--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while not _answers(base_url):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the emulator did not start")
        time.sleep(0.05)
    return process, base_url


def _answers(base_url: str) -> bool:
    """Whether the server sends an HTTP reply (any status) to ``GET /models``."""
    try:
        httpx2.get(f"{base_url}/models", timeout=httpx2.Timeout(5.0, connect=0.2))
    except httpx2.TransportError:
        return False
    return True


@contextmanager
def emulator_process(*options: str) -> Iterator[str]:
    """The base URL of an emulator process that stops when the block ends."""
    process, base_url = start_emulator(*options)
    try:
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
