"""Domain errors of the API layer, and the one mapper from SDK errors to them.

Every error carries a message a person can act on: what happened, and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import openai

from tui.model import Connection, Kind
from tui.redact import redact

SUNSET_DATE = "2026-08-26"
_RUN_ID = re.compile(r"\b(run_[A-Za-z0-9]+)")
_ASSISTANTS_PATH = re.compile(r"/(assistants|threads)(/|$)")


class ApiError(Exception):
    """Base of every error the API layer raises; ``str()`` is the user message."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(redact(message))
        self.status = status

    @property
    def message(self) -> str:
        """The message to show the user."""
        return str(self)


class NotFound(ApiError):
    """The item does not exist on this connection (404)."""

    def __init__(self, message: str, *, item_id: str | None = None) -> None:
        super().__init__(message, status=404)
        self.item_id = item_id


class ApiGone(ApiError):
    """The server no longer serves this API (the Assistants sunset 404)."""


class AuthFailed(ApiError):
    """The key is missing, wrong, revoked, or lacks permission (401/403)."""


class RateLimited(ApiError):
    """Too many requests (429); ``retry_after`` is in seconds when the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class Offline(ApiError):
    """The server could not be reached, or did not answer in time."""


class Conflict(ApiError):
    """A run is already active on the thread (400)."""

    def __init__(self, message: str, *, run_id: str | None = None) -> None:
        super().__init__(message, status=400)
        self.run_id = run_id


class Invalid(ApiError):
    """The server rejected the request as invalid (400/409/422)."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400) -> None:
        super().__init__(message, status=status)
        self.param = param


class ServerError(ApiError):
    """The server failed (5xx) or answered with something unreadable."""


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(body.get("message"), str):
            return body["message"]
    return exc.message


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            continue
    return None


def is_sunset(exc: openai.APIStatusError) -> bool:
    """True when a 404 says the Assistants API itself is gone, not one object."""
    if exc.status_code != 404:
        return False
    text = _server_message(exc)
    lowered = text.lower()
    if "assistants api" in lowered and any(
        w in lowered for w in ("shut down", "shutdown", "sunset", "no longer", "deprecated")
    ):
        return True
    path = exc.response.request.url.path if exc.response is not None else ""
    return text.startswith("Invalid URL") and bool(_ASSISTANTS_PATH.search(path))


def _not_found(
    exc: openai.APIStatusError, where: str, kind: Kind | None, item_id: str | None
) -> ApiError:
    if is_sunset(exc):
        return ApiGone(
            f"{where} no longer serves the Assistants API (api.openai.com shut it down on "
            f"{SUNSET_DATE}). Archived threads stay readable; to keep chatting, migrate "
            "them to conversations (M in the app, or `thread-browser migrate ID`).",
            status=404,
        )
    noun = f"{kind.value} {item_id}" if kind and item_id else (item_id or "The object")
    return NotFound(
        f"{noun} was not found on {where}. It may belong to another project or "
        "organization (check the key and OPENAI_PROJECT_ID), have expired, or have been "
        "deleted elsewhere.",
        item_id=item_id,
    )


def _status_error(
    exc: openai.APIStatusError, where: str, kind: Kind | None, item_id: str | None
) -> ApiError:
    status = exc.status_code
    said = _server_message(exc)
    if status == 404:
        return _not_found(exc, where, kind, item_id)
    if status == 401:
        return AuthFailed(
            f"{where} rejected the API key (401): {said} Set a valid key in OPENAI_API_KEY "
            "(or the profile's key variable); it may be revoked or belong to another "
            "organization.",
            status=401,
        )
    if status == 403:
        return AuthFailed(
            f"{where} refused access (403): {said} The key may lack permission for this "
            "project or organization.",
            status=403,
        )
    if status == 429:
        wait = _retry_after(exc)
        hint = f"retry in {wait:.1f} s" if wait is not None else "wait a little and retry"
        return RateLimited(
            f"{where} is rate limiting requests (429): {hint}. {said}", retry_after=wait
        )
    if status == 400 and ("active run" in said or "while a run" in said):
        match = _RUN_ID.search(said)
        return Conflict(
            f"{said} Wait for the run to finish, or cancel it.",
            run_id=match.group(1) if match else None,
        )
    if status in (400, 409, 413, 422):
        param = exc.body.get("param") if isinstance(exc.body, dict) else None
        if isinstance(exc.body, dict) and isinstance(exc.body.get("error"), dict):
            param = exc.body["error"].get("param")
        return Invalid(
            f"{where} rejected the request ({status}): {said}",
            param=param if isinstance(param, str) else None,
            status=status,
        )
    return ServerError(
        f"{where} failed ({status}): {said} This is on the server's side; try again shortly.",
        status=status,
    )


def map_error(
    exc: openai.OpenAIError,
    connection: Connection,
    kind: Kind | None = None,
    item_id: str | None = None,
) -> ApiError:
    """Turn any SDK error into the domain error that says what to do."""
    where = connection.base_url
    if isinstance(exc, openai.APITimeoutError):
        return Offline(f"{where} did not answer in time. Check the network, then retry.")
    if isinstance(exc, openai.APIConnectionError):
        return Offline(
            f"Cannot reach {where}. Check the network connection and OPENAI_BASE_URL, then retry."
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return ServerError(
            f"{where} answered in a shape this app does not understand. Is it an "
            "OpenAI-compatible server?",
            status=exc.status_code,
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, where, kind, item_id)
    if isinstance(exc, openai.APIError):
        return ServerError(f"{where} reported an error: {exc.message}")
    return ApiError(f"The request to {where} failed: {exc}")


def dropped(connection: Connection, *, timed_out: bool = False) -> Offline:
    """The error of a reply whose stream broke off after it began."""
    what = "stopped sending" if timed_out else "dropped the connection"
    return Offline(
        f"{connection.base_url} {what} in the middle of a reply. What arrived is kept; "
        "check the network, then press r to load the rest."
    )


@contextmanager
def translate(
    connection: Connection,
    kind: Kind | None = None,
    item_id: str | None = None,
    *,
    midstream: bool = False,
) -> Iterator[None]:
    """Re-raise SDK errors raised inside the block as domain errors.

    ``midstream`` marks a block that reads a reply's event stream: a connection lost
    there broke off a reply that had begun, which says more than "cannot reach".
    """
    try:
        yield
    except openai.OpenAIError as exc:
        if midstream and isinstance(exc, openai.APIConnectionError):
            raise dropped(connection, timed_out=isinstance(exc, openai.APITimeoutError)) from exc
        raise map_error(exc, connection, kind, item_id) from exc
    except httpx2.TransportError as exc:  # a stream cut off after its response began
        raise dropped(connection) from exc
