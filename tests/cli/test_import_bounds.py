"""``thread-browser import`` reads any input as a bounded stream: endless or binary input
ends in a clear message, within a small memory, and what was cut is said."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from tests.cli.conftest import cli_env
from tui.ops.importing import MAX_IDS

# The command gets this much address space: reading all of /dev/zero would need far more.
ADDRESS_SPACE = 1024 * 1024 * 1024
PEAK_RSS_KB = 256 * 1024
DEADLINE = 120.0


# A small Python starts the CLI and reports its peak memory: Linux counts a parent's
# memory at the fork as its child's peak, so the test process (hundreds of MB in a full
# run) must not be the CLI's parent.
MEASURED = (
    "import os, resource, subprocess, sys\n"
    "def limit():\n"
    f"    resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))\n"
    "cli = subprocess.Popen([sys.executable, '-m', 'tui', *sys.argv[2:]], preexec_fn=limit)\n"
    "_, status, usage = os.wait4(cli.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_bounded(
    db: Path, *args: str, stdin: int | IO[bytes] | None = None
) -> tuple[int, str, str, int]:
    """Run the CLI; its exit status, stdout, stderr and peak resident memory (KB)."""
    out, err = db.with_suffix(".out"), db.with_suffix(".err")
    peak = db.with_suffix(".peak")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", MEASURED, str(peak), *args],
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=cli_env(None, db),
            start_new_session=True,
        )
        try:
            child.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            pytest.fail(f"import {args} did not end within {DEADLINE:.0f} s")
    return child.returncode, out.read_text(), err.read_text(), int(peak.read_text())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "registry.sqlite3"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_ends_with_what_was_read(db: Path, device: str) -> None:
    code, out, err, peak = run_bounded(db, "import", "--no-verify", device)
    assert code == 1, err
    assert "Traceback" not in out + err and "MemoryError" not in err
    assert f"{device} is larger than 64 MiB: only its first 64 MiB were searched" in err
    assert "the rest was not read" in err
    assert peak < PEAK_RSS_KB, f"peak memory {peak / 1024:.0f} MB"


def test_an_endless_pipe_ends_with_what_was_read(db: Path) -> None:
    line = b"2026-11-01 INFO worker thread_" + b"A1b2" * 6 + b" done\n"
    producer = subprocess.Popen(
        [sys.executable, "-c", f"import sys\nwhile True: sys.stdout.buffer.write({line!r} * 512)"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert producer.stdout is not None
        code, out, err, peak = run_bounded(db, "import", "--no-verify", "-", stdin=producer.stdout)
    finally:
        producer.kill()
        producer.wait()
    assert code == 1 and "Traceback" not in err
    assert out.split() == ["added", "thread_" + "A1b2" * 6, "thread_" + "A1b2" * 6]
    assert "Standard input is larger than 64 MiB" in err
    assert peak < PEAK_RSS_KB


def paste(count: int, size: int) -> tuple[bytes, list[str]]:
    """Log text of about ``size`` bytes holding ``count`` distinct thread IDs."""
    ids = [f"thread_{n:024d}" for n in range(count)]
    filler = "x" * max(0, size // count - 40)
    text = "".join(f"{filler} {item_id}\n" for item_id in ids)
    return text.encode(), ids


def test_a_ten_megabyte_paste_is_read_whole(db: Path, tmp_path: Path) -> None:
    data, ids = paste(9_000, 10 * 1024 * 1024)
    source = tmp_path / "paste.txt"
    source.write_bytes(data)
    with source.open("rb") as stdin:
        code, out, err, _ = run_bounded(db, "import", "--no-verify", "--json", "-", stdin=stdin)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ids  # IDs cut between pieces of the read are whole
    assert all(r["result"] == "added" for r in rows)
    assert "9000 IDs: 9000 added" in err and "not read" not in err


def test_ids_past_the_limit_are_left_and_said(db: Path, tmp_path: Path) -> None:
    data, ids = paste(MAX_IDS + 500, 10 * 1024 * 1024)
    source = tmp_path / "paste.txt"
    source.write_bytes(data)
    code, out, err, _ = run_bounded(db, "import", "--no-verify", "--json", str(source))
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == ids[:MAX_IDS]
    assert f"holds more than {MAX_IDS:,} IDs: the first {MAX_IDS:,} were taken" in err
    assert "Split it into smaller parts" in err


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_traces_end_with_what_was_read(db: Path, device: str) -> None:
    code, out, err, peak = run_bounded(db, "import", "--from-otlp", device, "--no-verify")
    assert code == 1 and "Traceback" not in out + err and "MemoryError" not in err
    assert f"{device} is larger than 64 MiB" in err
    assert peak < PEAK_RSS_KB, f"peak memory {peak / 1024:.0f} MB"


def test_an_endless_trace_stream_is_read_a_line_at_a_time(db: Path) -> None:
    from tests.ops.test_traces import request, span

    line = (
        json.dumps(
            request(span(1, gen_ai__conversation__id="conv_" + "a" * 48, note="x" * 500))
        ).encode()
        + b"\n"
    )
    producer = subprocess.Popen(
        [sys.executable, "-c", f"import sys\nwhile True: sys.stdout.buffer.write({line!r} * 512)"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert producer.stdout is not None
        code, out, err, peak = run_bounded(
            db, "import", "--from-otlp", "-", "--no-verify", "--json", stdin=producer.stdout
        )
    finally:
        producer.kill()
        producer.wait()
    assert code == 1 and "Traceback" not in err
    assert [json.loads(row)["result"] for row in out.splitlines()] == ["added"]
    assert "Standard input is larger than 64 MiB" in err
    assert peak < PEAK_RSS_KB, f"peak memory {peak / 1024:.0f} MB"
