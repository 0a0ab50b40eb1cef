"""How requests that create are sent: once, and again only when the server refused them.

A request that creates something (a thread, conversation, message, items, run, response,
tool outputs) is sent once: the SDK's automatic retries are off for it, because a server
that did the work but answered after the timeout would get it twice. It is sent again
only when the server stated it did not process it (a 429, ``x-should-retry: true``) or
the connection was never made. After any other failure the work may have been done:
:func:`may_have_been_done` says so, and the caller reads the state back before anything
is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import httpx2

from tui.api.errors import ApiError, retry_after

if TYPE_CHECKING:
    from openai import AsyncOpenAI

T = TypeVar("T")
MAX_RESEND_WAIT = 20.0  # seconds a server may ask to wait before a request is sent again
FIRST_BACKOFF = 0.5  # seconds before the first resend the server did not time
REQUEST_TIMEOUT = 408
NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout)


def sending_once(client: AsyncOpenAI) -> AsyncOpenAI:
    """The client for requests that create: the same connection pool, no SDK retries."""
    strict = {"_strict_response_validation": client._strict_response_validation}
    return client.with_options(max_retries=0, _extra_kwargs=strict)


def _never_sent(exc: BaseException) -> bool:
    """True when the connection was never made (the request cannot have arrived)."""
    seen: BaseException | None = exc
    for _ in range(8):  # the cause chain: domain error, SDK error, transport error
        if seen is None:
            return False
        if isinstance(seen, NEVER_SENT):
            return True
        seen = seen.__cause__
    return False


def _refused_wait(exc: Exception, tries: int) -> float | None:
    """Seconds to wait before sending again, or ``None`` when it must not be sent again."""
    import openai  # loaded already: only adapters send

    if _never_sent(exc):
        return FIRST_BACKOFF * 2**tries
    if not isinstance(exc, openai.APIStatusError):
        return None
    said = exc.response.headers.get("x-should-retry")
    if said == "false" or (exc.status_code != 429 and said != "true"):
        return None
    wait = retry_after(exc.response.headers)
    if wait is None:
        return FIRST_BACKOFF * 2**tries
    return wait if wait <= MAX_RESEND_WAIT else None


async def send_refused_again(call: Callable[[], Awaitable[T]], resends: int) -> T:
    """Make a creating SDK call; send it again (at most ``resends`` times) only when refused.

    Refused means the server cannot have done it: a 429 (whose wait is short enough), a
    reply marked ``x-should-retry: true``, or a connection that was never made. Timeouts,
    dropped connections and 5xx are raised as they are: the work may have been done.
    """
    import openai  # loaded already: only adapters send

    tries = 0
    while True:
        try:
            return await call()
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            wait = _refused_wait(exc, tries) if tries < resends else None
            if wait is None:
                raise
        tries += 1
        await asyncio.sleep(wait)


def may_have_been_done(exc: BaseException) -> bool:
    """False only when a failed creating request cannot have been carried out.

    That is: the server answered that it refused it (a 4xx but 408), or the connection
    was never made. A timeout, a dropped connection, a 5xx or an unreadable reply may
    follow work that was done: read the state back before sending it again.
    """
    if _never_sent(exc):
        return False
    if not isinstance(exc, ApiError) or exc.status is None:
        return True
    return not 400 <= exc.status < 500 or exc.status == REQUEST_TIMEOUT
