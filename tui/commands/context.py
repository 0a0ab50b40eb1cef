"""What every command shares: ``--db``, ``--config``, ``--profile``, and error handling.

The SDK and the adapters are imported only when a command makes a client, so a command
that only reads the registry (``list``, ``doctor``) never loads them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tui.api.errors import ApiError
from tui.config import ConfigError, Profile, Settings, load
from tui.ids import IdError
from tui.model import Connection, Kind, Tracked
from tui.redact import redact
from tui.store import Registry, RegistryError

if TYPE_CHECKING:
    from tui.api.protocol import ConversationApi

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

USER_ERRORS = (ApiError, RegistryError, ConfigError, IdError)


@dataclass
class Options:
    """The global options, as given on the group or on the command."""

    db: str | None = None
    config: str | None = None
    profile: str | None = None

    def settings(self) -> Settings:
        """The loaded config (a config that cannot be used is the user's message, no trace)."""
        try:
            return load(self.config)
        except ConfigError as exc:
            raise click.ClickException(redact(str(exc))) from None

    def chosen_profile(self) -> Profile:
        """The profile named by ``--profile``, or the default one."""
        settings = self.settings()
        try:
            return settings.profile(self.profile)
        except ConfigError as exc:
            raise click.ClickException(redact(str(exc))) from None

    async def registry(self, *, upgrade: bool = True) -> Registry:
        """The registry file, opened (``upgrade=False``: a reader, which never migrates)."""
        return await Registry.open(self.db, upgrade=upgrade)


def common(command: F) -> F:
    """Add ``--db``, ``--config`` and ``--profile`` to a command (they also work on the group)."""

    @click.option("--profile", "profile", default=None, help="Connection profile to use.")
    @click.option(
        "--config",
        "config",
        default=None,
        type=click.Path(dir_okay=False),
        help="Config file of profiles.",
    )
    @click.option(
        "--db",
        "db",
        default=None,
        type=click.Path(dir_okay=False),
        help="Registry file (default: THREAD_BROWSER_DB or the user data dir).",
    )
    @click.pass_context
    @wraps(command)
    def wrapper(
        ctx: click.Context, db: str | None, config: str | None, profile: str | None, **kwargs: Any
    ) -> Any:
        base = ctx.find_object(Options) or Options()
        ctx.obj = Options(db or base.db, config or base.config, profile or base.profile)
        return command(ctx.obj, **kwargs)

    return wrapper  # type: ignore[return-value]  # click keeps the command's own signature


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; user-caused failures become one clear message (no key)."""
    try:
        return asyncio.run(coro)
    except USER_ERRORS as exc:
        raise click.ClickException(redact(str(exc))) from None


def api_for_profile(profile: Profile, *, max_retries: int = 2) -> Callable[[Kind], ConversationApi]:
    """Adapters on the profile's connection (fails at once if its key is not set)."""
    from tui.api import adapter_for
    from tui.api.client import client_for

    client = client_for(profile, max_retries=max_retries)

    def api_for(kind: Kind) -> ConversationApi:
        return adapter_for(kind, client, profile.connection)

    return api_for


def api_for_connection(
    settings: Settings, connection: Connection, kind: Kind
) -> tuple[ConversationApi | None, str]:
    """The adapter for an item's own connection, or ``None`` and the reason there is none."""
    from tui.ops.sessions import is_session_file, session_api

    try:
        if is_session_file(connection):
            return session_api(connection), ""
        profile = settings.for_connection(connection)
        return api_for_profile(profile)(kind), ""
    except (ConfigError, ApiError) as exc:
        return None, str(exc)


class ConnectionApis:
    """Adapters on each item's own connection: one client per connection and key."""

    def __init__(self, settings: Settings, *, max_retries: int = 2) -> None:
        self.settings = settings
        self.max_retries = max_retries
        self._clients: dict[str, Any] = {}

    def __call__(self, item: Tracked) -> tuple[ConversationApi | None, str]:
        """The adapter for ``item``, or ``None`` and why there is none here."""
        return self.on(item.connection, item.kind)

    def on(self, connection: Connection, kind: Kind) -> tuple[ConversationApi | None, str]:
        """The adapter of ``kind`` on ``connection``, or ``None`` and why there is none."""
        from tui.api import adapter_for
        from tui.api.client import client_for
        from tui.ops.sessions import is_session_file, session_api

        try:
            if is_session_file(connection):
                return session_api(connection), ""
            profile = self.settings.for_connection(connection)
            cache_key = f"{profile.name}|{profile.connection.key}|{profile.key_env}"
            if cache_key not in self._clients:
                self._clients[cache_key] = client_for(profile, max_retries=self.max_retries)
            return adapter_for(kind, self._clients[cache_key], profile.connection), ""
        except (ConfigError, ApiError) as exc:
            return None, str(exc)

    async def close(self) -> None:
        """Close every client made."""
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


async def locate_item(
    options: Options, registry: Registry, kind: Kind, item_id: str, *, source: str
) -> Tracked:
    """The tracked item; an untracked one is checked on the chosen profile and tracked."""
    profile = options.chosen_profile()
    item = await registry.get(profile.connection, item_id)
    if item is not None:
        return item
    others = await registry.find(item_id)
    if len(others) == 1 and not options.profile:
        return others[0]
    api = api_for_profile(profile)(kind)
    remote = await api.retrieve(item_id)
    first = await api.first_turn(item_id)
    text = first.text if first is not None and first.role == "user" else None
    item, _ = await registry.track_remote(
        remote, profile.connection, source=source, first_user_text=text
    )
    return item
