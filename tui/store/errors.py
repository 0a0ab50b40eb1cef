"""Registry errors, each with a message that says what happened and what to do."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RegistryError(Exception):
    """Base of registry errors; ``str()`` is the user message."""


class RegistryTooNew(RegistryError):
    """The file was written by a newer Thread Browser; it is left untouched."""


class RegistryCorrupt(RegistryError):
    """The file is not a readable SQLite registry."""


class RegistryReadOnly(RegistryError):
    """The file or its folder cannot be written."""


class RegistryFull(RegistryError):
    """The disk (or the registry's size limit) is full."""


class RegistryBusy(RegistryError):
    """Another program held the registry locked for too long."""


def from_sqlite(exc: sqlite3.Error, path: Path | str) -> RegistryError:
    """The registry error a SQLite error stands for."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return RegistryCorrupt(
            f"The registry {path} is damaged or not a registry ({exc}). Move it aside and "
            "start again, or point --db at another file; nothing was written to it."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return RegistryReadOnly(
            f"The registry {path} cannot be written ({exc}). Check the permissions of the "
            "file and its folder, or point --db at a writable file."
        )
    if "full" in text:
        return RegistryFull(
            f"The disk holding the registry {path} is full ({exc}). Free some space and "
            "retry; nothing was half-written."
        )
    if "locked" in text or "busy" in text:
        return RegistryBusy(
            f"The registry {path} stayed locked by another program ({exc}). Retry in a moment."
        )
    return RegistryError(f"The registry {path} failed: {exc}")


@contextmanager
def translated(path: Path | str) -> Iterator[None]:
    """Re-raise SQLite errors inside the block as registry errors."""
    try:
        yield
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from exc
