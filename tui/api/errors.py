"""Domain errors of the API layer, and the one mapper from SDK errors to them.

Every error carries a message a person can act on: what happened, and what to do.

The SDK is not imported here until an SDK error is mapped (by then the SDK is in use), so a
command that only reads the registry can name these errors without loading it.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.model import Connection, Kind
from tui.redact import redact
from tui.text import clean

SUNSET_DATE = "2026-08-26"
_RUN_ID = re.compile(r"\b(run_[A-Za-z0-9]+)")
_ASSISTANTS_PATH = re.compile(r"/(assistants|threads)(/|$)")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_GENERIC_404 = re.compile(r"^(404\s*[:\-]?\s*)?(page\s+|route\s+)?not\s*found\.?$", re.I)
SAID_LIMIT = 300  # characters of a server's own words quoted in a message
# The core routes of an API family (a collection, one object, its messages or items): a
# generic 404 there means the server lacks the whole API. The API and what it holds:
_CORE_ROUTE = re.compile(
    r"/(threads|assistants|conversations|responses)(/[^/]+)?(/messages|/items)?/?$"
)
_FAMILIES = {
    "threads": ("Assistants API", "threads"),
    "assistants": ("Assistants API", "threads"),
    "conversations": ("Conversations API", "conversations"),
    "responses": ("Responses API", "conversations"),
}
# What a route does, for "this server does not support …" (the most specific first).
_FEATURES = (
    ("/steps", "run steps"),
    ("/submit_tool_outputs", "tool outputs"),
    ("/cancel", "cancelling"),
    ("/runs", "runs"),
    ("/messages", "thread messages"),
    ("/items", "conversation items"),
    ("/input_items", "response input items"),
    ("/threads", "threads"),
    ("/assistants", "assistants"),
    ("/conversations", "conversations"),
    ("/responses", "responses"),
    ("/models", "listing models"),
)


class ApiError(Exception):
    """Base of every error the API layer raises; ``str()`` is the user message.

    The message is cleaned (:func:`tui.text.clean`) and redacted as it is made: whatever
    part of it a server wrote, no terminal control sequence or secret is in it.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(clean(redact(message)))
        self.status = status

    @property
    def message(self) -> str:
        """The message to show the user."""
        return str(self)


_REFUSED_DOC = """The server redirected a request to another host; it was not followed.

    Following it would either send the key to that host or (as HTTP clients do) drop
    the key there and have the other host answer 401, which looks like a bad key. It is an
    SDK error, so the SDK passes it on unwrapped and without retrying.
    """

_MAKING = threading.Lock()

if TYPE_CHECKING:
    import httpx2
    import openai

    class RedirectRefused(openai.OpenAIError):
        """The server redirected a request to another host; it was not followed."""


def _redirect_refused() -> type[Exception]:
    """:class:`RedirectRefused`, made (once) on first use: it subclasses the SDK's error."""
    with _MAKING:
        made = globals().get("RedirectRefused")
        if made is None:
            import openai

            made = type("RedirectRefused", (openai.OpenAIError,), {"__doc__": _REFUSED_DOC})
            made.__module__ = __name__
            globals()["RedirectRefused"] = made
        return made


def __getattr__(name: str) -> Any:
    """``RedirectRefused`` is made when first asked for (PEP 562)."""
    if name == "RedirectRefused":
        return _redirect_refused()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Moved(ApiError):
    """The server sent the request to another host; the message names where to point."""


class NotFound(ApiError):
    """The item does not exist on this connection (404)."""

    def __init__(self, message: str, *, item_id: str | None = None) -> None:
        super().__init__(message, status=404)
        self.item_id = item_id


class ApiGone(ApiError):
    """The server no longer serves this API (the Assistants sunset 404)."""


class AuthFailed(ApiError):
    """The key is missing, wrong, revoked, or lacks permission (401/403)."""


class RouteMissing(ApiGone):
    """A whole route family answers a generic 404: the server has no such API at all.

    Like the sunset, it concerns every item of its kind on the connection, so it is
    named once per connection rather than once per item.
    """


class Unsupported(ApiError):
    """The server does not offer this operation (405, 501); retrying will not help."""


class RateLimited(ApiError):
    """Too many requests (429); ``retry_after`` is in seconds when the server said.

    The server's figure is kept as it is, however large (``retry-after: 999999`` is
    999999.0): deciding how long to wait, and when to give up, is the caller's job.
    """

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


class BadShape(ValueError):
    """A field of a server's reply that cannot be read (the adapter names the route)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Unreadable(ServerError):
    """One reply (one item) the server sent in a shape that cannot be read."""

    def __init__(self, server: str, route: str, field: str, problem: str) -> None:
        super().__init__(self.explain(server, route, field, problem))
        self.server = server
        self.route = route
        self.field = field

    @staticmethod
    def explain(server: str, route: str, field: str, problem: str) -> str:
        """The message: what the server sent, and what to do."""
        return (
            f"{server} sent a reply that cannot be read ({route}, field {field}: {problem}). "
            "Only this item is affected; check that the server is OpenAI-compatible, or "
            "report the reply to its maintainers."
        )


class BadId(BadShape):
    """An ID field of a server's reply that is not an ID of the kind expected there."""


class UnusableId(Unreadable):
    """A reply whose ID is not one the app may store, or is not the one asked for."""

    @staticmethod
    def explain(server: str, route: str, field: str, problem: str) -> str:
        """The message: which server sent which ID, and what to do."""
        return (
            f"{server} answered {route} with an unusable ID in field {field}: {problem}. "
            "Nothing from this reply was stored. The server does not behave as an "
            "OpenAI-compatible one here: report the reply to its maintainers, or use "
            "another server."
        )


@contextmanager
def readable(connection: Connection, route: str) -> Iterator[None]:
    """Re-raise a :class:`BadShape` found inside the block as :class:`Unreadable`.

    A :class:`BadId` becomes :class:`UnusableId`, which names the ID refused.
    """
    try:
        yield
    except BadId as exc:
        raise UnusableId(connection.base_url, route, exc.field, exc.problem) from exc
    except BadShape as exc:
        raise Unreadable(connection.base_url, route, exc.field, exc.problem) from exc


def _said(text: str) -> str:
    """A server's own words on one line, safe to show and not too long."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= SAID_LIMIT else flat[: SAID_LIMIT - 1] + "…"


def _sentence(said: str) -> str:
    """``said`` ending as a sentence does, so advice can follow it."""
    return said if said.endswith((".", "!", "?", "…")) else f"{said}."


def _detail(detail: object) -> str | None:
    """FastAPI's ``detail``: a string, a list of ``{"msg", "loc"}``, or an object."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        return _body_message(detail)
    if isinstance(detail, list):
        said = []
        for entry in detail[:5]:
            if isinstance(entry, dict) and isinstance(entry.get("msg"), str):
                loc = entry.get("loc")
                where = ".".join(str(p) for p in loc) if isinstance(loc, list) else ""
                said.append(f"{where}: {entry['msg']}" if where else entry["msg"])
            elif isinstance(entry, str):
                said.append(entry)
        return "; ".join(said) or None
    return None


def _body_message(body: object) -> str | None:
    """The message of a JSON error body: the OpenAI envelope, ``detail``, or ``message``."""
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return None
    for key in ("error", "message", "detail", "msg"):
        value = body.get(key)
        found = _detail(value) if key in ("detail", "error") else value
        if isinstance(found, str) and found.strip():
            return found
    return None


def _text_message(text: str) -> str | None:
    """The words of a non-JSON error body: an HTML page's title, or the plain text."""
    if "<" in text and re.search(r"<(!doctype|html|head|body|title)", text, re.I):
        match = _TITLE.search(text)
        found = match.group(1) if match else _TAGS.sub(" ", text)
        return html.unescape(found).strip() or None
    return text.strip() or None


def said_in(body: object) -> str:
    """What a JSON error body (an envelope, ``detail``, ``message``) says, on one line."""
    return _said(_body_message(body) or "no message given")


def _server_message(exc: openai.APIStatusError) -> str:
    """What the server said, in its own words (one line), whatever the body's format."""
    body = exc.body
    found = _body_message(body) if isinstance(body, dict) else None
    if found is None and isinstance(body, str):
        found = _text_message(body)
    if found is None:
        reason = exc.response.reason_phrase if exc.response is not None else ""
        found = f"HTTP {exc.status_code} {reason}".strip()
    return _said(found)


def retry_after(
    headers: httpx2.Headers | dict[str, str], now: datetime | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``retry-after`` (seconds or an HTTP date).

    Never negative; never capped (a caller decides what wait is too long).
    """
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        seconds: float | None
        try:
            seconds = float(value) / scale
        except ValueError:
            seconds = _date_wait(value, now) if scale == 1.0 else None
        if seconds is not None and seconds == seconds and seconds != float("inf"):
            return max(0.0, seconds)
    return None


def _date_wait(value: str, now: datetime | None) -> float | None:
    from email.utils import parsedate_to_datetime  # rare: loaded when a date is sent

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (when - (now or datetime.now(UTC))).total_seconds()


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def _route(exc: openai.APIStatusError) -> tuple[str, str]:
    """The method and path of the request that failed."""
    request = exc.response.request if exc.response is not None else None
    return (request.method, request.url.path) if request is not None else ("", "")


def is_generic_404(exc: openai.APIStatusError) -> bool:
    """True when a 404 says "no such route" (a framework's page), not "no such object"."""
    if exc.status_code != 404 or is_sunset(exc):
        return False
    body = exc.body
    if isinstance(body, dict) and set(body) - {"detail"}:
        return False  # an API's own envelope: the route exists, the object does not
    if body is None or (isinstance(body, str) and not body.strip()):
        return True
    text = _server_message(exc)
    return bool(_GENERIC_404.match(text)) or text.lower().startswith("404 ")


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


def _route_missing(exc: openai.APIStatusError, where: str) -> ApiError | None:
    """A route that does not exist on this server (a generic 404), if it is one.

    On a family's core route the whole API is missing (:class:`RouteMissing`); on a
    sub-resource (runs, steps) only that feature is (:class:`Unsupported`).
    """
    if not is_generic_404(exc):
        return None
    method, path = _route(exc)
    core = _CORE_ROUTE.search(path)
    if core is None:
        return _unsupported(exc, where, "404 Not Found")
    api, things = _FAMILIES[core.group(1)]
    return RouteMissing(
        f"{where} has no {api}: {method} {path} answered a generic 404 Not Found. "
        f"Its {things} cannot be opened or changed there; archived {things} stay "
        "readable. Check OPENAI_BASE_URL, or use a server that offers this API.",
        status=404,
    )


def _not_found(
    exc: openai.APIStatusError, where: str, kind: Kind | None, item_id: str | None
) -> ApiError:
    missing = _route_missing(exc, where)
    if missing is not None:
        return missing
    if is_sunset(exc):
        return ApiGone(
            f"{where} no longer serves the Assistants API (api.openai.com shut it down on "
            f"{SUNSET_DATE}). Archived threads stay readable; to keep chatting, migrate "
            "them to conversations (M in the app, or `thread-browser migrate ID`).",
            status=404,
        )
    noun = f"{kind.noun} {item_id}" if kind and item_id else (item_id or "The object")
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
    sentence = _sentence(said)
    if status == 404:
        return _not_found(exc, where, kind, item_id)
    if status == 401:
        return AuthFailed(
            f"{where} rejected the API key (401): {sentence} Set a valid key in OPENAI_API_KEY "
            "(or the profile's key variable); it may be revoked or belong to another "
            "organization.",
            status=401,
        )
    if status == 403:
        return AuthFailed(
            f"{where} refused access (403): {sentence} The key may lack permission for this "
            "project or organization.",
            status=403,
        )
    if status in (405, 501):
        return _unsupported(exc, where, said)
    if status == 429:
        wait = retry_after(exc.response.headers)
        hint = f"retry in {_duration(wait)}" if wait is not None else "wait a little and retry"
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
            f"{where} rejected the request ({status}): {sentence} Check what was sent (the "
            "model or assistant, metadata, tools) and try again.",
            param=param if isinstance(param, str) else None,
            status=status,
        )
    return ServerError(
        f"{where} failed ({status}): {sentence} This is on the server's side; try again shortly.",
        status=status,
    )


def _unsupported(exc: openai.APIStatusError, where: str, said: str) -> Unsupported:
    method, path = _route(exc)
    feature = next((name for marker, name in _FEATURES if marker in path), None)
    what = feature or f"{method} {path}".strip() or "this request"
    return Unsupported(
        f"{where} does not support {what} ({said}; {method} {path}). "
        "This server does not offer it; use another server for this, or carry on without it.",
        status=exc.status_code,
    )


def map_error(
    exc: openai.OpenAIError,
    connection: Connection,
    kind: Kind | None = None,
    item_id: str | None = None,
) -> ApiError:
    """Turn any SDK error into the domain error that says what to do."""
    import openai

    where = connection.base_url
    if isinstance(exc, _redirect_refused()):
        return Moved(str(exc))
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
    import httpx2
    import openai

    try:
        yield
    except openai.OpenAIError as exc:
        if midstream and isinstance(exc, openai.APIConnectionError):
            raise dropped(connection, timed_out=isinstance(exc, openai.APITimeoutError)) from exc
        raise map_error(exc, connection, kind, item_id) from exc
    except httpx2.DecodingError as exc:  # a body whose encoding (gzip…) is broken
        raise ServerError(
            f"{connection.base_url} sent a reply whose encoding cannot be decoded ({exc}). "
            "Try again; if it persists, the server or a proxy in between is at fault."
        ) from exc
    except httpx2.TransportError as exc:  # a stream cut off after its response began
        raise dropped(connection) from exc
