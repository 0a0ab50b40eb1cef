"""Tracking overhead: ``conversations.create`` with and without ``track(client)``.

Run: ``python -m tests.bench.tracking [--calls 300]``. Both loops hit the same emulator
on loopback in the same run; the difference per call is what the hook costs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from openai import OpenAI

from tests.bench import report
from tui import track
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer

KEY = "bench-key"


def per_call_ms(client: OpenAI, calls: int) -> float:
    """Median milliseconds of one create call."""
    samples = []
    for n in range(calls):
        start = time.perf_counter()
        client.conversations.create(metadata={"n": str(n)})
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(calls: int) -> None:
    db = Path(tempfile.mkdtemp(prefix="tb-track-")) / "registry.sqlite3"
    with EmulatorServer(Emulator(EmulatorConfig(token_delay_ms=0))) as server:
        bare = OpenAI(api_key=KEY, base_url=server.base_url)
        tracked = track(OpenAI(api_key=KEY, base_url=server.base_url), db=db)
        per_call_ms(bare, 20)
        per_call_ms(tracked, 20)
        plain = per_call_ms(bare, calls)
        hooked = per_call_ms(tracked, calls)
    print(f"Tracking overhead over {calls} conversations.create calls (median per call)\n")
    report.header()
    report.line("tracking", "conversations.create through track(client)", hooked, plain)
    report.line("tracking", "  added by the hook", hooked - plain, None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    main(parser.parse_args().calls)
