"""The one client factory every remote call goes through."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from urllib.parse import parse_qsl

import httpx2
from openai import AsyncOpenAI, DefaultAsyncHttpxClient

from tui import __version__
from tui.api.errors import AuthFailed, RedirectRefused
from tui.config import DEFAULT_KEY_ENV, Profile, environment
from tui.config import TIMEOUT_ENV as TIMEOUT_ENV  # re-exported: tests name it from here
from tui.model import Connection
from tui.redact import remember, url_secrets

DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
USER_AGENT = f"thread-browser/{__version__}"


def default_timeout(environ: Mapping[str, str] | None = None) -> httpx2.Timeout:
    """30 s for a reply (``THREAD_BROWSER_TIMEOUT`` seconds when set), 5 s to connect."""
    seconds = environment(environ).timeout
    if seconds is None:
        return DEFAULT_TIMEOUT
    return httpx2.Timeout(seconds, connect=min(5.0, seconds))


def _origin(url: httpx2.URL) -> str:
    """``scheme://host:port`` of a URL (never its user-info, path or query)."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


def _same_host(source: httpx2.URL, target: httpx2.URL) -> bool:
    """True when ``target`` is on the origin of ``source``, or its upgrade to HTTPS."""
    if source.origin == target.origin:
        return True
    return (
        source.host == target.host
        and (source.scheme, source.port or 80) == ("http", 80)
        and (target.scheme, target.port or 443) == ("https", 443)
    )


def _final_base(base: httpx2.URL, source: httpx2.URL, target: httpx2.URL) -> str:
    """The base URL the redirect points at: the target without the route that was asked."""
    prefix = base.path.rstrip("/")
    route = source.path[len(prefix) :] if source.path.startswith(prefix) else ""
    path = target.path
    if route and path.endswith(route):
        path = path[: -len(route)]
    return f"{_origin(target)}{path.rstrip('/')}" if route else _origin(target)


def refuse_other_hosts(base: httpx2.URL) -> Callable[[httpx2.Response], Awaitable[None]]:
    """A response hook that stops a redirect to another host before it is followed."""

    async def check(response: httpx2.Response) -> None:
        if not response.has_redirect_location:
            return
        source = response.request.url
        try:
            target = source.join(response.headers["location"])
        except httpx2.InvalidURL:
            return  # the client reports a malformed location itself
        if not _same_host(source, target):
            raise RedirectRefused(_refused(source, target, _final_base(base, source, target)))

    return check


def _refused(source: httpx2.URL, target: httpx2.URL, final: str) -> str:
    """What to say of a redirect to another host that was not followed."""
    return (
        f"{_origin(source)} redirected the request to another host, {_origin(target)}. "
        "The redirect was not followed, so the key was not sent there. If the API now "
        f"lives at {final}, point base_url at that final address (OPENAI_BASE_URL, or "
        "the profile's base_url in the config file) and try again."
    )


@cache
def tls_context() -> ssl.SSLContext:
    """The HTTP library's default TLS context, made once and shared by every client.

    Making one reads the whole CA bundle: tens of milliseconds for each client.
    """
    return httpx2.create_ssl_context()


def _http_client(url: httpx2.URL) -> httpx2.AsyncClient:
    """The SDK's HTTP client, refusing cross-host redirects; URL user-info as Basic auth."""
    auth = httpx2.BasicAuth(url.username, url.password) if url.userinfo else None
    return DefaultAsyncHttpxClient(
        auth=auth, verify=tls_context(), event_hooks={"response": [refuse_other_hosts(url)]}
    )


def _missing_key(connection: Connection, key_env: str) -> AuthFailed:
    return AuthFailed(
        f"No API key for {connection.label}: {key_env} is not set. Set {key_env} to the key "
        "for this connection (or name another variable with key_env in the profile) and "
        "try again.",
        status=None,
    )


def make_client(
    connection: Connection,
    api_key: str | None,
    *,
    url: str | None = None,
    key_env: str = DEFAULT_KEY_ENV,
    max_retries: int = 2,
    timeout: httpx2.Timeout | float | None = None,
    strict: bool = False,
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` client for this connection (``strict`` validates every shape).

    ``url`` is the base URL with its credentials (the connection's holds none): user-info
    is sent as Basic auth and query parameters on every request, as the URL asks. Every
    credential becomes a secret in use, redacted wherever it appears; a redirect to
    another host is refused (:class:`RedirectRefused`). ``key_env`` is named when the key
    is missing.
    """
    full = url or connection.base_url
    remember(api_key, *url_secrets(full))
    if not api_key:
        raise _missing_key(connection, key_env)
    parsed = httpx2.URL(full)
    return AsyncOpenAI(
        api_key=api_key,
        base_url=str(parsed.copy_with(userinfo=b"", query=None)),
        organization=connection.organization,
        project=connection.project,
        max_retries=max_retries,
        timeout=default_timeout() if timeout is None else timeout,
        default_headers={"User-Agent": USER_AGENT},
        default_query=dict(parse_qsl(parsed.query.decode(), keep_blank_values=True)) or None,
        http_client=_http_client(parsed),
        _strict_response_validation=strict,
    )


def client_for(profile: Profile, *, max_retries: int = 2, strict: bool = False) -> AsyncOpenAI:
    """The client of a profile: its full base URL, and its key (its ``key_env`` named if unset)."""
    return make_client(
        profile.connection,
        profile.api_key(),
        url=profile.client_url,
        key_env=profile.key_env,
        max_retries=max_retries,
        strict=strict,
    )
