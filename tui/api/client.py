"""The one client factory every remote call goes through."""

from __future__ import annotations

import httpx2
from openai import AsyncOpenAI

from tui import __version__
from tui.api.errors import AuthFailed
from tui.model import Connection

DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
USER_AGENT = f"thread-browser/{__version__}"


def make_client(
    connection: Connection,
    api_key: str | None,
    *,
    max_retries: int = 2,
    timeout: httpx2.Timeout | float = DEFAULT_TIMEOUT,
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
        timeout=timeout,
        default_headers={"User-Agent": USER_AGENT},
        _strict_response_validation=strict,
    )
