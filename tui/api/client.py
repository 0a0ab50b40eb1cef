"""The one client factory every remote call goes through."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx2
from openai import AsyncOpenAI

from tui import __version__
from tui.api.errors import AuthFailed
from tui.model import Connection

DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
TIMEOUT_ENV = "THREAD_BROWSER_TIMEOUT"
USER_AGENT = f"thread-browser/{__version__}"


def default_timeout(environ: Mapping[str, str] | None = None) -> httpx2.Timeout:
    """30 s for a reply (``THREAD_BROWSER_TIMEOUT`` seconds when set), 5 s to connect."""
    raw = (environ if environ is not None else os.environ).get(TIMEOUT_ENV, "")
    try:
        seconds = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT
    if not 0 < seconds < float("inf"):
        return DEFAULT_TIMEOUT
    return httpx2.Timeout(seconds, connect=min(5.0, seconds))


def make_client(
    connection: Connection,
    api_key: str | None,
    *,
    max_retries: int = 2,
    timeout: httpx2.Timeout | float | None = None,
    strict: bool = False,
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` client for this connection (``strict`` validates every shape)."""
    if not api_key:
        raise AuthFailed(
            f"No API key for {connection.label}: set OPENAI_API_KEY (or the profile's key "
            "variable) and try again.",
            status=None,
        )
    return AsyncOpenAI(
        api_key=api_key,
        base_url=connection.base_url,
        organization=connection.organization,
        project=connection.project,
        max_retries=max_retries,
        timeout=default_timeout() if timeout is None else timeout,
        default_headers={"User-Agent": USER_AGENT},
        _strict_response_validation=strict,
    )
