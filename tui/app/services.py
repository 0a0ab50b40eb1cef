"""What the app's widgets use instead of the SDK and the database: one object, no UI."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.api.errors import ApiError
from tui.api.protocol import ConversationApi
from tui.config import ConfigError, Profile, Settings
from tui.model import Connection, Kind, Tracked
from tui.store import Registry

if TYPE_CHECKING:
    from tui.api.listing import ListPage
    from tui.ops.discovering import Lister

Clock = Callable[[], datetime]
# What the first API client needs: the SDK, its types and the adapters (most of a second).
SDK_MODULES = (
    "tui.api.client",
    "tui.api.threads",
    "tui.api.conversations",
    "tui.api.completions",
)


def utc_now() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


def imported_in_thread(modules: Iterable[str]) -> asyncio.Future[None]:
    """Import ``modules`` in a daemon thread; the future ends when they are loaded.

    A daemon thread, so quitting never waits for it; the loop is told through
    ``call_soon_threadsafe``, which a loop closed meanwhile refuses (then nobody waits).
    """
    loop = asyncio.get_running_loop()
    loaded: asyncio.Future[None] = loop.create_future()

    def settle(failure: BaseException | None) -> None:
        if loaded.done():
            return
        if failure is None:
            loaded.set_result(None)
        else:
            loaded.set_exception(failure)

    def load() -> None:
        failure: BaseException | None = None
        try:
            for name in modules:
                importlib.import_module(name)
        except BaseException as exc:  # said where the client is first made, as before
            failure = exc
        with contextlib.suppress(RuntimeError):  # the loop closed: the app has quit
            loop.call_soon_threadsafe(settle, failure)

    threading.Thread(target=load, name="sdk-import", daemon=True).start()
    return loaded


@dataclass
class Services:
    """The registry, the profiles and API clients, shared by every screen."""

    registry: Registry
    settings: Settings
    profile: Profile
    clock: Clock = utc_now
    demo: bool = False
    _clients: dict[str, object] = field(default_factory=dict)
    _sdk: asyncio.Future[None] | None = field(default=None, init=False, repr=False)

    async def sdk_ready(self) -> None:
        """Load the SDK in a thread (once), so the first client does not freeze the screen.

        A failure to load is not raised here: making the client raises it where the caller
        already reports it.
        """
        if self._sdk is None:
            self._sdk = imported_in_thread(SDK_MODULES)
        with contextlib.suppress(Exception):
            await asyncio.shield(self._sdk)

    @property
    def has_key(self) -> bool:
        """True when the chosen profile's key is set."""
        return self.profile.api_key() is not None

    def no_key_banner(self) -> str | None:
        """What to say when the chosen profile has no key."""
        if self.has_key:
            return None
        return (
            f"No API key: set {self.profile.key_env} to load and continue conversations on "
            f"{self.profile.connection.base_url}. The registry and archived history are "
            "readable without one."
        )

    def read_only_notice(self) -> str | None:
        """What to say when changes to the registry cannot be saved."""
        registry = self.registry
        if not registry.read_only:
            return None
        return (
            f"{registry.path} cannot be written: {registry.read_only}. You can browse and read "
            "(history opened now is not archived); creating, importing and renaming will fail "
            "until the file and its folder are writable by you."
        )

    def _client(self, profile: Profile, retries: int) -> object:
        cache_key = f"{profile.name}|{profile.connection.key}|{profile.key_env}|{retries}"
        client = self._clients.get(cache_key)
        if client is None:
            from tui.api.client import client_for  # the SDK loads with the first client

            client = client_for(profile, max_retries=retries)
            self._clients[cache_key] = client
        return client

    def _api(self, profile: Profile, kind: Kind, retries: int = 2) -> ConversationApi:
        client = self._client(profile, retries)
        from tui.api import adapter_for

        return adapter_for(kind, client, profile.connection)  # type: ignore[arg-type]  # held as object: the app names no SDK type

    def lister(self) -> Lister:
        """Reads the chosen profile's server lists, a page at a time (for discovery)."""
        profile = self.profile
        client = self._client(profile, 4)
        from tui.api.listing import list_page

        async def read(kind: Kind, after: str | None) -> ListPage:
            return await list_page(client, profile.connection, kind, after)  # type: ignore[arg-type]  # held as object: the app names no SDK type

        return read

    def api_for_kind(self, kind: Kind) -> ConversationApi:
        """An adapter on the chosen profile (raises ``AuthFailed`` without a key)."""
        return self._api(self.profile, kind)

    def api_for(self, item: Tracked) -> tuple[ConversationApi | None, str]:
        """The adapter on the item's own connection, or ``None`` and why not."""
        return self.api_on(item.connection, item.kind)

    def api_on(
        self, connection: Connection, kind: Kind, retries: int = 2
    ) -> tuple[ConversationApi | None, str]:
        """An adapter of ``kind`` on ``connection``, or ``None`` and why not.

        A session file's items are read from the file: no profile, key or client.
        """
        from tui.ops.sessions import is_session_file, session_api

        try:
            if is_session_file(connection):
                return session_api(connection), ""
            return self._api(self.profile_for(connection), kind, retries), ""
        except (ConfigError, ApiError) as exc:
            return None, str(exc)

    def bulk_api_for(self, item: Tracked) -> tuple[ConversationApi | None, str]:
        """Like :meth:`api_for`, on clients that leave retries (and 429 waits) to the caller."""
        return self.api_on(item.connection, item.kind, retries=0)

    def profile_for(self, connection: Connection) -> Profile:
        """The profile of a connection (the chosen one first)."""
        if self.profile.connection == connection:
            return self.profile
        return self.settings.for_connection(connection)

    def configured(self, item: Tracked) -> bool:
        """True when some profile here connects to the item's connection (or its file)."""
        if item.kind.local:
            return True
        try:
            self.profile_for(item.connection)
        except ConfigError:
            return False
        return True

    async def close(self) -> None:
        """Let actions already sent end, then close API clients and the registry."""
        from tui.ops.items import finish_unbroken

        await finish_unbroken()
        for client in self._clients.values():
            await client.close()  # type: ignore[attr-defined]  # an AsyncOpenAI, held as object
        await self.registry.close()
