"""The headers the real API puts on every answer: version, processing time, rate limits."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.emulator.config import EmulatorConfig

OPENAI_VERSION = "2020-10-01"
DEFAULT_REQUESTS_PER_MINUTE = 10_000
TOKENS_PER_MINUTE = 30_000_000
_WINDOW = 60.0


@dataclass
class _Window:
    """Requests and tokens one API key used in the current minute."""

    start: float = field(default_factory=time.monotonic)
    requests: int = 0
    tokens: int = 0


def _duration(seconds: float) -> str:
    """A reset time the way the API writes it: ``6ms``, ``1.5s``, ``1m0s``."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    return f"{int(seconds // 60)}m{int(seconds % 60)}s"


class RateLimits:
    """Per-key use within a one-minute window, written as ``x-ratelimit-*`` headers."""

    def __init__(self, config: EmulatorConfig) -> None:
        per_second = config.rate_limit
        self.requests_limit = (
            max(1, round(per_second * 60)) if per_second else DEFAULT_REQUESTS_PER_MINUTE
        )
        self.tokens_limit = TOKENS_PER_MINUTE
        self._windows: dict[str, _Window] = {}

    def use(self, key: str, tokens: int) -> list[tuple[bytes, bytes]]:
        """Count one request of about ``tokens`` tokens; the headers that report it."""
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None or now - window.start >= _WINDOW:
            window = self._windows[key] = _Window(start=now)
        window.requests += 1
        window.tokens += tokens
        left_requests = max(0, self.requests_limit - window.requests)
        left_tokens = max(0, self.tokens_limit - window.tokens)
        refill = _WINDOW / self.requests_limit * window.requests
        refill_tokens = _WINDOW / self.tokens_limit * window.tokens
        values = {
            "x-ratelimit-limit-requests": str(self.requests_limit),
            "x-ratelimit-limit-tokens": str(self.tokens_limit),
            "x-ratelimit-remaining-requests": str(left_requests),
            "x-ratelimit-remaining-tokens": str(left_tokens),
            "x-ratelimit-reset-requests": _duration(refill),
            "x-ratelimit-reset-tokens": _duration(refill_tokens),
        }
        return [(k.encode(), v.encode()) for k, v in values.items()]


def _api_key(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return value.decode("latin-1").partition(" ")[2].strip()
    return ""


def _content_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


class ApiHeaders:
    """ASGI middleware: ``openai-version``, ``openai-processing-ms`` and rate-limit headers.

    Headers a handler set itself (a 429's own ``x-ratelimit-*``) are kept as they are.
    """

    def __init__(self, app: ASGIApp, config: EmulatorConfig) -> None:
        self.app = app
        self.limits = RateLimits(config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stamp the headers on the start of every HTTP answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        key = _api_key(scope)
        tokens = max(1, _content_length(scope) // 4)

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                elapsed = max(1, round((time.monotonic() - started) * 1000))
                extra = [
                    (b"openai-version", OPENAI_VERSION.encode()),
                    (b"openai-processing-ms", str(elapsed).encode()),
                    *self.limits.use(key, tokens),
                ]
                headers.extend((k, v) for k, v in extra if k not in present)
            await send(message)

        await self.app(scope, receive, stamped)
