"""Settings: named connection profiles from a TOML file, or one from the environment.

A profile names a base URL, organization, project and the *name* of the environment
variable that holds its key. Keys are read from the environment when needed and never
stored anywhere.

```toml
default = "work"

[profiles.work]
base_url = "https://api.openai.com/v1"
key_env = "OPENAI_API_KEY_WORK"
organization = "org-…"
project = "proj_…"
kind = "conversation"
```

Every ``THREAD_BROWSER_*`` variable is read here, into :class:`Environment`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from tui.model import Connection, Kind
from tui.redact import looks_like_key, redact, remember

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
ENV_PROFILE = "default"
CONFIG_ENV = "THREAD_BROWSER_CONFIG"
DB_ENV = "THREAD_BROWSER_DB"
DEBUG_ENV = "THREAD_BROWSER_DEBUG"
DEMO_KEY_ENV = "THREAD_BROWSER_DEMO_KEY"
MAX_PAGES_ENV = "THREAD_BROWSER_MAX_PAGES"
TIMEOUT_ENV = "THREAD_BROWSER_TIMEOUT"
OFF = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Environment:
    """The ``THREAD_BROWSER_*`` variables; a value that cannot be used counts as unset.

    ``db`` and ``config`` are the registry and config files; ``max_pages`` caps the
    registry at that many database pages (a test knob); ``debug`` lets an unexpected error
    show its traceback; ``demo_key`` is the key of the demo profile (demo mode sets it);
    ``timeout`` is how many seconds a client waits for a reply.
    """

    db: Path | None = None
    config: Path | None = None
    max_pages: int | None = None
    debug: bool = False
    demo_key: str | None = None
    timeout: float | None = None


def environment(environ: Mapping[str, str] | None = None) -> Environment:
    """The ``THREAD_BROWSER_*`` variables of ``environ`` (the process's when ``None``), now."""
    env = os.environ if environ is None else environ

    def text(name: str) -> str:
        return env.get(name, "").strip()

    return Environment(
        db=_path(text(DB_ENV)),
        config=_path(text(CONFIG_ENV)),
        max_pages=_count(text(MAX_PAGES_ENV)),
        debug=text(DEBUG_ENV).lower() not in OFF,
        demo_key=text(DEMO_KEY_ENV) or None,
        timeout=_seconds(text(TIMEOUT_ENV)),
    )


def _path(value: str) -> Path | None:
    return Path(value).expanduser() if value else None


def _count(value: str) -> int | None:
    """A positive whole number, else ``None``."""
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


def _seconds(value: str) -> float | None:
    """A positive, finite number of seconds, else ``None``."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 < seconds < float("inf") else None


class ConfigError(Exception):
    """The config file cannot be used; the message says where and why (never a key)."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


@dataclass(frozen=True)
class Profile:
    """A named connection and the name of the variable that holds its key.

    ``url`` is the base URL as configured, credentials and all, for the client that talks
    to the server; ``connection`` holds it without them.
    """

    name: str
    connection: Connection
    key_env: str = DEFAULT_KEY_ENV
    kind: Kind | None = None
    url: str | None = field(default=None, repr=False, compare=False)

    @property
    def client_url(self) -> str:
        """The base URL the client uses (with any credentials the configured URL holds)."""
        return self.url or self.connection.base_url

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The key from the environment, or ``None`` when it is not set.

        A key read is a secret in use: redaction removes it wherever it appears.
        """
        value = (environ if environ is not None else os.environ).get(self.key_env, "")
        remember(value)
        return value.strip() or None


def env_profile(environ: Mapping[str, str] | None = None) -> Profile:
    """The profile from ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``."""
    env = environ if environ is not None else os.environ
    url = env.get("OPENAI_BASE_URL", "").strip() or DEFAULT_BASE_URL
    connection = Connection(
        base_url=url,
        organization=env.get("OPENAI_ORG_ID", "").strip() or None,
        project=env.get("OPENAI_PROJECT_ID", "").strip() or None,
    )
    return Profile(ENV_PROFILE, connection, url=url)


@dataclass(frozen=True)
class Settings:
    """Every profile, and which one is used when none is named."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    default: str = ENV_PROFILE
    path: Path | None = None

    def profile(self, name: str | None = None) -> Profile:
        """The profile called ``name`` (or the default)."""
        wanted = name or self.default
        try:
            return self.profiles[wanted]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none"
            where = f" in {self.path}" if self.path else ""
            named = (
                "by the name given (not shown: it looks like a key, not a profile name)"
                if looks_like_key(wanted)
                else f"named {wanted!r}"
            )
            raise ConfigError(f"No profile {named}{where}; known profiles: {known}.") from None

    def for_connection(self, connection: Connection) -> Profile:
        """The profile of this connection, or an error naming the connection needed."""
        for profile in self.profiles.values():
            if profile.connection == connection:
                return profile
        raise ConfigError(
            f"No profile here connects to {connection.label}, where this item lives. Add "
            "one to the config file with that base_url, organization and project (and the "
            "variable that holds its key); another project's key would not find it."
        )


def default_config_path() -> Path:
    """The config file in the user config directory."""
    return Path(platformdirs.user_config_dir("thread-browser", appauthor=False)) / "config.toml"


def _profile(name: str, table: object, path: Path) -> Profile:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles.{name}] must be a table.")
    if "api_key" in table or "key" in table:
        raise ConfigError(
            f"{path}: [profiles.{name}] holds a key; keys do not belong in files. Put the key "
            "in an environment variable and name it with key_env."
        )
    unknown = set(table) - {"base_url", "key_env", "organization", "project", "kind"}
    if unknown:
        raise ConfigError(f"{path}: [profiles.{name}] has unknown keys: {sorted(unknown)}.")
    kind = table.get("kind")
    if kind is not None and kind not in (Kind.THREAD.value, Kind.CONVERSATION.value):
        raise ConfigError(f"{path}: [profiles.{name}] kind must be 'thread' or 'conversation'.")
    url = str(table.get("base_url") or DEFAULT_BASE_URL)
    return Profile(
        name=name,
        connection=Connection(
            url,
            str(table["organization"]) if table.get("organization") else None,
            str(table["project"]) if table.get("project") else None,
        ),
        key_env=str(table.get("key_env") or DEFAULT_KEY_ENV),
        kind=Kind(kind) if kind else None,
        url=url,
    )


def load(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from ``path`` (``--config``), ``THREAD_BROWSER_CONFIG``, or the default file.

    The environment's profile is always there as ``default`` unless the file defines one.
    Every profile's key (whatever its variable is called) becomes a secret in use, so it
    is redacted wherever it appears.
    """
    env = environ if environ is not None else os.environ
    explicit = path or environment(env).config
    chosen = Path(explicit).expanduser() if explicit else default_config_path()
    profiles = {ENV_PROFILE: env_profile(env)}
    if not chosen.exists():
        if explicit:
            raise ConfigError(f"The config file {chosen} does not exist.")
        return _keys_known(Settings(profiles), env)
    import tomllib  # only with a config file to read

    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read the config file {chosen}: {exc}") from exc
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{chosen}: 'profiles' must be a table of tables.")
    for name, table in tables.items():
        profiles[name] = _profile(name, table, chosen)
    default = str(data.get("default", ENV_PROFILE))
    settings = _keys_known(Settings(profiles, default, chosen), env)
    settings.profile()  # the default must exist
    return settings


def _keys_known(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """``settings``, once redaction knows the key of each of its profiles."""
    for profile in settings.profiles.values():
        profile.api_key(environ)
    return settings
