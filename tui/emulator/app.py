"""The emulator: state, request guard (auth, faults, limits) and the ASGI app."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.emulator import errors
from tui.emulator.config import EmulatorConfig
from tui.emulator.errors import HttpError
from tui.emulator.faults import CutStreams, Faults, quiet_cuts, throttled
from tui.emulator.headers import ApiHeaders
from tui.emulator.ids import IdFactory
from tui.emulator.state import Namespace
from tui.emulator.validate import check_request, server_error

Handler = Callable[[Request, Namespace], Awaitable[Response]]
RouteSpec = tuple[str, list[str], Handler]

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_BETA_HINT = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try "
    "again by setting the header 'OpenAI-Beta: assistants=v2'."
)


class _Bucket:
    """A token bucket of ``rate`` requests per second, holding one second of burst."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> float:
        """Take a token; return 0, or the seconds to wait for the next one."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class _RequestId:
    """ASGI middleware that stamps every response with an ``x-request-id``."""

    def __init__(self, app: ASGIApp, ids: IdFactory) -> None:
        self.app = app
        self.ids = ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.ids.new("req").encode()

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id))
            await send(message)

        await self.app(scope, receive, stamped)


class Emulator:
    """An OpenAI-compatible server of Assistants v2 and Responses conversations."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.ids = IdFactory(self.config.seed)
        self.rng = random.Random(self.config.seed + 1)
        self.faults = Faults(self.config)
        self.namespaces: dict[str, Namespace] = {}
        self.request_count = 0
        self._buckets: dict[str, _Bucket] = {}
        self.background: set[asyncio.Task[None]] = set()

    def namespace(self, api_key: str) -> Namespace:
        """The state visible to ``api_key`` (created on first use)."""
        return self.namespaces.setdefault(api_key, Namespace())

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        """Run a coroutine in the background and keep a reference to it."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def guard(self, request: Request, *, assistants: bool) -> Namespace:
        """Apply latency, auth, rate limit, injected faults, the beta header and sunset."""
        self.request_count += 1
        cfg = self.config
        if cfg.latency_ms:
            await asyncio.sleep(cfg.latency_ms / 1000.0)
        key = self._api_key(request)
        self._rate_limit(key)
        if cfg.throttle_rate and self.rng.random() < cfg.throttle_rate:
            raise throttled(cfg.throttle_after)
        if cfg.error_rate and self.rng.random() < cfg.error_rate:
            raise server_error()
        if cfg.fault_rate:
            await self.faults.inject(request)
        if assistants:
            if cfg.sunset:
                raise errors.invalid_url(request.method, request.url.path)
            if request.headers.get("openai-beta", "").replace(" ", "") != "assistants=v2":
                raise HttpError(400, _BETA_HINT, code="invalid_beta")
        return self.namespace(key)

    def _api_key(self, request: Request) -> str:
        auth = request.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise HttpError(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        allowed = self.config.api_keys
        if allowed is not None and key not in allowed:
            masked = key[:3] + "*" * max(0, len(key) - 7) + key[-4:]
            raise HttpError(
                401,
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return key

    def _rate_limit(self, key: str) -> None:
        rate = self.config.rate_limit
        if not rate:
            return
        bucket = self._buckets.setdefault(key, _Bucket(rate))
        wait = bucket.take()
        if wait <= 0:
            return
        wait_ms = max(1, math.ceil(wait * 1000))
        raise HttpError(
            429,
            f"Rate limit reached for requests on this key: Limit {rate:g}/s. "
            f"Please try again in {wait_ms}ms.",
            type="requests",
            code="rate_limit_exceeded",
            headers={
                "retry-after-ms": str(wait_ms),
                "retry-after": str(max(1, math.ceil(wait))),
                "x-ratelimit-limit-requests": str(max(1, round(rate * 60))),  # per minute
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": f"{wait_ms}ms",
            },
        )

    def _route(self, path: str, methods: list[str], handler: Handler, *, assistants: bool) -> Route:
        async def checked(request: Request, namespace: Namespace) -> Response:
            await check_request(request)
            if self.config.hollow_deletes and request.method == "DELETE":
                return _hollow(request, namespace)
            return await handler(request, namespace)

        async def endpoint(request: Request) -> Response:
            namespace = await self.guard(request, assistants=assistants)
            return await errors.shielded(checked(request, namespace))

        return Route("/v1" + path, endpoint, methods=methods)

    def asgi(self) -> ASGIApp:
        """Build the ASGI application."""
        from tui.emulator.assistants import AssistantsApi
        from tui.emulator.listing import ListingApi
        from tui.emulator.recording import Recording
        from tui.emulator.responses import ResponsesApi
        from tui.emulator.runs import RunsApi

        routes: list[Route] = []
        listing = ListingApi(self)
        routes += [
            self._route(p, m, h, assistants=(p == "/threads")) for p, m, h in listing.routes()
        ]
        # RunsApi first: POST /threads/runs must win over POST /threads/{thread_id}.
        for api in (RunsApi(self), AssistantsApi(self)):
            routes += [self._route(p, m, h, assistants=True) for p, m, h in api.routes()]
        from tui.emulator.chat import ChatApi
        from tui.emulator.models import ModelsApi
        from tui.emulator.tokens import TokensApi

        # Before ResponsesApi: /models is served from one place, models.py.
        for more in (ModelsApi(self), TokensApi(self), ChatApi(self)):
            routes += [self._route(p, m, h, assistants=False) for p, m, h in more.routes()]
        for p, m, h in ResponsesApi(self).routes():
            routes.append(self._route(p, m, h, assistants=False))
        from tui.emulator.files import FilesApi
        from tui.emulator.vector_stores import VectorStoresApi

        for stored in (FilesApi(self), VectorStoresApi(self)):
            routes += [self._route(p, m, h, assistants=False) for p, m, h in stored.routes()]
        routes.append(Route("/{path:path}", _unknown_route, methods=_ALL_METHODS))
        app = Starlette(routes=routes, exception_handlers={HttpError: errors.render})
        quiet_cuts()
        # Request IDs get their own seeded generator: reads (polls, lists) must not
        # shift the IDs of objects created later, or a seed would not fix them.
        # Outermost, so a recorder sees each answer as the client gets it.
        headed = ApiHeaders(CutStreams(app, self.config), self.config)
        stamped = _RequestId(headed, IdFactory(self.config.seed + 2))
        return Recording(stamped)


def _hollow(request: Request, namespace: Namespace) -> Response:
    """A delete answered as done while nothing is deleted (some servers do just that).

    An item's delete answers with its conversation, as the API's does.
    """
    params = request.path_params
    if "item_id" in params and "conversation_id" in params:
        record = namespace.conversations.get(params["conversation_id"])
        if record is not None:
            return JSONResponse(record.obj)
    object_id = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    return JSONResponse({"id": object_id, "object": "deleted", "deleted": True})


async def _unknown_route(request: Request) -> Response:
    raise errors.invalid_url(request.method, request.url.path)
