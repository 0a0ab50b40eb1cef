"""Loopback ports for servers a test starts itself, outside the kernel's ephemeral range.

A port found free by binding port 0 is one the kernel may hand to the next socket anyone
opens (another worker's client, an emulator on port 0) before the server that was meant to
have it binds. Ports below the ephemeral range are never handed out that way, so a port
picked there stays free unless a test picks it too: rare, and the server start retries.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000
ATTEMPTS = 200


def _ephemeral_low() -> int:
    try:
        return int(RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def spare_port() -> int:
    """A loopback port nobody listens on, one the kernel will not give to another socket."""
    high = max(_ephemeral_low() - 1, LOWEST + 1)
    for _ in range(ATTEMPTS):
        port = random.randint(LOWEST, high)
        if _bindable(port):
            return port
    raise RuntimeError(f"no free loopback port between {LOWEST} and {high}")
