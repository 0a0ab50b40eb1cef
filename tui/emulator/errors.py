"""The OpenAI error envelope, raised from handlers and rendered as JSON."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator.http import JSONResponse

_log = logging.getLogger(__name__)


class HttpError(Exception):
    """An HTTP error with the ``{"error": {...}}`` body the real API sends."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        """The JSON body of the error."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def not_found(noun: str, object_id: str) -> HttpError:
    """The Assistants-style 404: ``No thread found with id '…'.``."""
    return HttpError(404, f"No {noun} found with id '{object_id}'.")


def invalid(message: str, param: str | None = None, code: str | None = None) -> HttpError:
    """A 400 ``invalid_request_error``."""
    return HttpError(400, message, param=param, code=code)


def invalid_url(method: str, path: str) -> HttpError:
    """The 404 the real API answers for a route it does not serve."""
    return HttpError(404, f"Invalid URL ({method} {path})")


async def render(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette exception handler for :class:`HttpError`."""
    assert isinstance(exc, HttpError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def shielded(reply: Awaitable[Response]) -> Response:
    """Await a handler; an unexpected exception still answers the API's JSON 500."""
    try:
        return await reply
    except HttpError:
        raise
    except Exception:
        _log.exception("emulator handler failed")
        return JSONResponse(
            {
                "error": {
                    "message": "The server had an error while processing your request. "
                    "Sorry about that! Retry the request; the emulator's log has the details.",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            },
            status_code=500,
        )
