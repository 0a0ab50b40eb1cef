"""Failures in background work: logged without secrets, shown with what to do.

Every worker of the app ends in a reason the user can read. An error of the API or the
registry says what happened in its own words; anything else is an unexpected failure,
named by its type and message, with the traceback in the log (keys redacted).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import platformdirs

from tui.api.errors import ApiError
from tui.redact import redact
from tui.store.errors import RegistryError
from tui.text import clean

log = logging.getLogger("tui.app")
MAX_DETAIL = 300  # characters of an unexpected exception's message shown to the user
SHOWN_FIELDS = 3  # fields named of a failed validation
NOTICE_SECONDS = 15  # a failure stays on screen long enough to be read
RETRY = "Press r to reload the item, then try again."
REPORT = (
    "If it happens again, the server sent something Thread Browser cannot read, or this "
    "is a bug: please report it with the server you use and the traceback from {where}."
)
LOG_BYTES = 1_000_000
P = ParamSpec("P")


class Notifier(Protocol):
    """What can show a notification: the app, a screen or a widget."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show ``message`` as a toast."""


N = TypeVar("N", bound=Notifier)


def expected(exc: BaseException) -> bool:
    """True for errors whose message was written for the user (API and registry errors)."""
    return isinstance(exc, (ApiError, RegistryError))


def describe(exc: BaseException) -> str:
    """One paragraph for the user: an expected error's own message, or what failed."""
    if expected(exc):
        return clean(redact(str(exc)))
    detail = clean(redact(" ".join(_detail(exc).split())))
    if len(detail) > MAX_DETAIL:
        detail = detail[: MAX_DETAIL - 1] + "…"
    name = type(exc).__name__
    return f"Unexpected failure: {name}: {detail}." if detail else f"Unexpected failure: {name}."


def _detail(exc: BaseException) -> str:
    """The exception's message; for a failed validation, the fields and what was wrong."""
    pydantic = sys.modules.get("pydantic")  # not loaded: exc cannot be one of its errors
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return str(exc)
    errors = exc.errors(include_url=False)
    fields = [
        f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']} (got {e.get('input')!r:.40})"
        for e in errors[:SHOWN_FIELDS]
    ]
    more = f"; {len(errors) - SHOWN_FIELDS} more" if len(errors) > SHOWN_FIELDS else ""
    return f"{exc.title} " + "; ".join(fields) + more


def advice(exc: BaseException, todo: str) -> str:
    """What to do next: ``todo``, and for an unexpected failure how to report it."""
    if expected(exc):
        return todo
    files = [h.baseFilename for h in log.handlers if isinstance(h, logging.FileHandler)]
    where = files[0] if files else "the tui.app log"
    return f"{todo} {REPORT.format(where=where)}"


def default_log_file() -> Path:
    """``thread-browser.log`` in the user's log folder."""
    return platformdirs.user_log_path("thread-browser", appauthor=False) / "thread-browser.log"


def log_to_file(path: Path | None = None) -> Path:
    """Write the app's failures to ``path`` (only the user can read it; kept under 2 MB)."""
    path = path or default_log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=1, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return path


def record(what: str, exc: BaseException) -> None:
    """Log the failure with its traceback, secrets redacted (expected errors in one line)."""
    if expected(exc):
        log.warning("%s failed: %s", what, redact(str(exc)))
        return
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("%s failed: %s", what, redact(trace))


def report(node: Notifier, what: str, exc: BaseException, todo: str = RETRY) -> str:
    """Log the failure and show it; returns the message shown."""
    record(what, exc)
    message = f"{describe(exc)} {advice(exc, todo)}"
    node.notify(
        message,
        title=f"{what[:1].upper()}{what[1:]} failed",
        severity="error",
        timeout=NOTICE_SECONDS,
        markup=False,
    )
    return message


def guarded(
    what: str, todo: str = RETRY
) -> Callable[
    [Callable[Concatenate[N, P], Awaitable[None]]],
    Callable[Concatenate[N, P], Coroutine[Any, Any, None]],
]:
    """Make a worker body end in a shown, logged reason instead of dying with its error.

    Put it under ``@work``; cancellation still propagates.
    """

    def decorate(
        method: Callable[Concatenate[N, P], Awaitable[None]],
    ) -> Callable[Concatenate[N, P], Coroutine[Any, Any, None]]:
        @functools.wraps(method)
        async def body(self: N, *args: P.args, **kwargs: P.kwargs) -> None:
            try:
                await method(self, *args, **kwargs)
            except Exception as exc:
                report(self, what, exc, todo)

        return body

    return decorate
