"""The emulator in its own process for benchmarks: its CPU and its GIL are not ours."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.kit.ports import spare_port


def start_emulator(*options: str) -> tuple[subprocess.Popen[bytes], str]:
    """``thread-browser emulator OPTIONS`` on a free loopback port; (process, base URL)."""
    port = spare_port()
    command = [sys.executable, "-c", "from tui.cli import main; main()", "emulator"]
    command += ["--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the emulator did not start") from None
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}/v1"


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
