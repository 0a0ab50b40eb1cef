"""What a failure says, what is logged, and how a kept message is recognised."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta

import pytest

from tests.app.failure_kit import validation_error
from tests.conftest import TEST_KEY
from tui.api.errors import Conflict, Invalid, Offline, RateLimited, ServerError
from tui.app import failures
from tui.app.sent_check import Before, kept_turn, may_have_arrived
from tui.model import Part, Turn

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def turn(id: str, text: str, role: str = "user", at: datetime | None = T0) -> Turn:
    return Turn(id, role, created_at=at, parts=(Part("text", text),))


def test_an_expected_error_says_its_own_words() -> None:
    error = Offline("Cannot reach http://x. Check the network, then retry.")
    assert failures.describe(error) == str(error)
    assert failures.advice(error, "Press r.") == "Press r."


def test_an_unexpected_error_is_named_short_and_without_secrets(monkeypatch) -> None:
    monkeypatch.setenv("SOME_API_KEY", TEST_KEY)
    text = failures.describe(RuntimeError(f"key {TEST_KEY}\n\x1b[31m" + "x" * 1000))
    assert text.startswith("Unexpected failure: RuntimeError: key [redacted] ")
    assert TEST_KEY not in text and "\x1b" not in text and "\n" not in text
    assert len(text) < failures.MAX_DETAIL + 60
    assert failures.describe(KeyError()) == "Unexpected failure: KeyError."
    assert "report it" in failures.advice(RuntimeError(), "Press r.")


def test_a_failed_validation_names_the_field() -> None:
    text = failures.describe(validation_error())
    assert "tool_choice: Input should be a valid string (got None)" in text
    assert "errors.pydantic.dev" not in text


def test_the_log_file_is_private_and_redacted(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOME_API_KEY", TEST_KEY)
    path = failures.log_to_file(tmp_path / "logs" / "thread-browser.log")
    handler = failures.log.handlers[-1]
    try:
        try:
            raise RuntimeError(f"with {TEST_KEY}")
        except RuntimeError as exc:
            failures.record("sending a message", exc)
        assert str(path) in failures.advice(RuntimeError(), "Press r.")
    finally:
        failures.log.removeHandler(handler)
        handler.close()
    written = path.read_text()
    assert "Traceback" in written and "RuntimeError: with [redacted]" in written
    assert TEST_KEY not in written
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_report_shows_and_logs(caplog) -> None:
    shown: list[dict] = []

    class Node:
        def notify(self, message: str, **kw: object) -> None:
            shown.append({"message": message, **kw})

    caplog.set_level(logging.ERROR, logger="tui.app")
    message = failures.report(Node(), "loading the history", ValueError("bad"), "Press r.")
    assert shown[0]["title"] == "Loading the history failed"
    assert shown[0]["severity"] == "error" and shown[0]["markup"] is False
    assert message.startswith("Unexpected failure: ValueError: bad. Press r.")
    assert "ValueError: bad" in caplog.text


@pytest.mark.parametrize(
    ("error", "arrived"),
    [
        (RuntimeError("x"), True),
        (Offline("timed out"), True),
        (ServerError("502", status=502), True),
        (ServerError("unreadable shape", status=200), True),
        (Invalid("bad", status=408), True),
        (Invalid("bad"), False),
        (RateLimited("slow down"), False),
        (Conflict("run active"), False),
    ],
)
def test_which_failures_may_have_reached_the_server(error: Exception, arrived: bool) -> None:
    assert may_have_arrived(error) is arrived


def test_a_kept_message_is_new_and_not_older_than_what_was_known() -> None:
    before = Before.of([turn("m1", "yes", at=T0), turn("m2", "ok", "assistant", T0)])
    later = T0 + timedelta(seconds=3)
    assert kept_turn([turn("m1", "yes")], "yes", before) is None  # the earlier one
    assert kept_turn([turn("m0", "yes", at=T0 - timedelta(1))], "yes", before) is None
    assert kept_turn([turn("m3", "yes", "assistant", later)], "yes", before) is None
    found = turn("m3", " yes\n", at=later)
    assert kept_turn([turn("m1", "yes"), found], "yes", before) is found
    assert kept_turn([turn("m3", "no", at=later)], "yes", before) is None
    assert kept_turn([turn("m4", "yes", at=None)], "yes", Before()) is not None
    naive = turn("m5", "yes", at=datetime(2020, 1, 1))  # not comparable: the ID decides
    assert kept_turn([naive], "yes", before) is naive
