"""Settings: the connection and key from the standard OpenAI environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tui.model import Connection

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


@dataclass(frozen=True)
class Profile:
    """A named connection and the name of the variable that holds its key.

    The key itself is read from the environment when needed and never stored.
    """

    name: str
    connection: Connection
    key_env: str = DEFAULT_KEY_ENV

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The key from the environment, or ``None`` when it is not set."""
        value = (environ if environ is not None else os.environ).get(self.key_env, "")
        return value.strip() or None


def env_profile(environ: Mapping[str, str] | None = None) -> Profile:
    """The default profile from ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``."""
    env = environ if environ is not None else os.environ
    connection = Connection(
        base_url=env.get("OPENAI_BASE_URL", "").strip() or DEFAULT_BASE_URL,
        organization=env.get("OPENAI_ORG_ID", "").strip() or None,
        project=env.get("OPENAI_PROJECT_ID", "").strip() or None,
    )
    return Profile("default", connection)
