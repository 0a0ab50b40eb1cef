"""A pytest plugin: every body and event the emulator sends during a session, checked.

Each process that runs tests registers a recorder with the emulator
(``tui.emulator.recording``) that appends each exchange to its own JSON-lines file in a
session directory. At the end of the session each xdist worker checks its own records
against OpenAI's spec (``tests.contract.check``); the process that started the session (the
controller, or the only process with ``-n0``) adds those tallies up, prints the figures and
the distinct violations, and fails the session when there is any. Load it with
``-p tests.contract.recorder``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

import pytest

from tests.contract.check import Tally, record_of
from tui.emulator.recording import Exchange, add_recorder, remove_recorder

DIR_KEY = "contract_dir"


class FileRecorder:
    """Appends each exchange, as one JSON line, to a file (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        """Write one exchange."""
        line = json.dumps(record_of(exchange), ensure_ascii=False)
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        """Stop writing."""
        with self._lock:
            self._file.close()


def tally_file(path: Path) -> Tally:
    """Every record of one file, checked."""
    result = Tally()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            result.add(json.loads(line))
    return result


def tally(directory: Path) -> Tally:
    """Every record of every file in ``directory``, checked.

    A file a worker checked itself has its tally beside it (``NAME.tally.json``); the
    others are checked here.
    """
    result = Tally()
    for path in sorted(directory.glob("*.jsonl")):
        done = path.with_suffix(".tally.json")
        if done.exists():
            result.merge(Tally.from_json(json.loads(done.read_text(encoding="utf-8"))))
        else:
            result.merge(tally_file(path))
    return result


def summary(result: Tally) -> list[str]:
    """The figures, then each distinct violation with its count and one example."""
    lines = [
        f"bodies and events valid: {result.answers_valid} / {result.answers}",
        f"our requests valid: {result.ours_valid} / {result.ours}",
    ]
    for count, v in result.kinds():
        lines.append(f"[{v.side}] {v.what} {v.route} ({count}x): {v.problem}")
        lines.append(f"    e.g. in {v.test or 'no test'}")
    return lines


class ContractPlugin:
    """Records in every test process; checks and reports in the process that started."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        worker = getattr(config, "workerinput", None)
        self.owner = worker is None
        self.dir = Path(worker[DIR_KEY] if worker else tempfile.mkdtemp(prefix="contract-"))
        self.recorder: FileRecorder | None = None
        self.result: Tally | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Tell each xdist worker where to write."""
        node.workerinput[DIR_KEY] = str(self.dir)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Record here unless xdist workers run the tests."""
        if self.owner and self.config.pluginmanager.has_plugin("dsession"):
            return
        name = getattr(self.config, "workerinput", {}).get("workerid", "main")
        self.recorder = FileRecorder(self.dir / f"{name}.jsonl")
        add_recorder(self.recorder)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Stop recording; where the session started, check everything recorded."""
        if self.recorder is not None:
            remove_recorder(self.recorder)
            self.recorder.close()
        if not self.owner:
            if self.recorder is not None:  # checked here, beside the other workers' checks
                checked = tally_file(self.recorder.path).to_json()
                done = self.recorder.path.with_suffix(".tally.json")
                done.write_text(json.dumps(checked), encoding="utf-8")
            return
        self.result = tally(self.dir)
        if self.result.failed:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the figures and the violations."""
        if not self.owner or self.result is None:
            return
        failed = bool(self.result.failed)
        terminalreporter.section(
            "contract: bodies, events and our requests vs the spec", red=failed, green=not failed
        )
        for line in summary(self.result):
            terminalreporter.write_line(line)
        if failed:
            terminalreporter.write_line(
                f"{len(self.result.failed)} violations: the records are kept in {self.dir}. "
                "Fix the emulator or our client where they differ from the spec, or add a "
                "real-API deviation to KNOWN in tests/contract/check.py with its reason."
            )


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin object."""
    config.pluginmanager.register(ContractPlugin(config), "contract-recorder")
