"""Registry errors, each with a message that says what happened and what to do."""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Primary SQLite result codes (the low byte of an extended code).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class RegistryError(Exception):
    """Base of registry errors; ``str()`` is the user message."""


class RegistryTooNew(RegistryError):
    """The file was written by a newer Thread Browser; it is left untouched."""


class RegistryCorrupt(RegistryError):
    """The file is not a readable SQLite registry."""


class RegistryForeign(RegistryCorrupt):
    """The file is not a registry at all (another program's database, a pipe, a device).

    It is left untouched: nothing is written to it, its mode is not changed.
    """


class RegistryUnsafe(RegistryError):
    """The file belongs to another user, or others may write it; it is left untouched."""


class RegistryOutdated(RegistryError):
    """A registry of an older schema met by a command that only reads; it is left as it is."""


class RegistryReadOnly(RegistryError):
    """The file or its folder cannot be written."""


class RegistryFull(RegistryError):
    """The disk (or the registry's size limit) is full."""


class RegistryBusy(RegistryError):
    """Another program held the registry locked for too long."""


def corrupt(path: Path | str, detail: object) -> RegistryCorrupt:
    """The damaged-file error: what happened, and how to keep and recover what it holds."""
    quoted = shlex.quote(str(path))
    recovered = shlex.quote(f"{path}.recovered")
    return RegistryCorrupt(
        f"The registry {path} is damaged or not a registry ({detail}). Thread Browser did not "
        "write to it, and will not. Keep a copy of it, then either recover what it holds with "
        f"`sqlite3 {quoted} .recover | sqlite3 {recovered}` and point --db (or "
        "THREAD_BROWSER_DB) at the recovered file, or move it aside to start a new registry."
    )


ELSEWHERE = (
    "Point --db (or THREAD_BROWSER_DB) at your registry, or at a new file: it is created "
    "if missing."
)


def foreign(path: Path | str, what: str) -> RegistryForeign:
    """The not-a-registry error: what the file is, that it was left alone, where to go."""
    return RegistryForeign(
        f"The file {path} is not a Thread Browser registry: it is {what}. Thread Browser left "
        f"it untouched (nothing written, its mode unchanged). {ELSEWHERE}"
    )


def unsafe(path: Path | str, reason: str, fix: str) -> RegistryUnsafe:
    """The unsafe-file error: why the file cannot be trusted, and the two ways out."""
    return RegistryUnsafe(
        f"The registry {path} is not safe to use: {reason}. Thread Browser left it untouched "
        f"(nothing read, nothing written, its mode unchanged). {fix} Or point --db (or "
        "THREAD_BROWSER_DB) at a file of your own: it is created if missing."
    )


def outdated(path: Path | str, current: int, latest: int) -> RegistryOutdated:
    """The older-schema error of a command that only reads."""
    return RegistryOutdated(
        f"The registry {path} has schema version {current}, older than the version {latest} "
        "this Thread Browser reads, and this command only reads: it does not upgrade it. "
        "Nothing was changed. Run a writing command to upgrade it: start the app once "
        "(`thread-browser`), or run a command that changes the registry, such as "
        "`thread-browser import`. Upgrading keeps everything the registry holds."
    )


def read_only(path: Path | str, reason: str, *, readable: bool = True) -> RegistryReadOnly:
    """The cannot-write error, saying why and what to do."""
    still = " Reading it still works." if readable else ""
    return RegistryReadOnly(
        f"The registry {path} cannot be written: {reason}. Nothing was changed.{still} To "
        "save changes, make the file and its folder writable by you (chmod u+w), or point "
        "--db / THREAD_BROWSER_DB at a writable file."
    )


def error_code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error, when Python reports it."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def from_sqlite(exc: sqlite3.Error, path: Path | str) -> RegistryError:
    """The registry error a SQLite error stands for."""
    code = error_code(exc)
    text = str(exc).lower()
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or (
        code is None and ("not a database" in text or "malformed" in text or "corrupt" in text)
    ):
        return corrupt(path, exc)
    if code == SQLITE_READONLY or (code is None and ("readonly" in text or "read-only" in text)):
        return read_only(
            path,
            f"{exc} (the file, its folder or its -wal/-shm files are read-only)",
            readable=False,
        )
    if code == SQLITE_CANTOPEN or (code is None and "unable to open" in text):
        return RegistryReadOnly(
            f"The registry {path} cannot be opened ({exc}). Check that it is a file, that its "
            "folder exists and that you may read and write both, or point --db / "
            "THREAD_BROWSER_DB at another file."
        )
    if code == SQLITE_FULL or (code is None and "full" in text):
        return RegistryFull(
            f"The disk holding the registry {path} is full ({exc}). That change was not saved; "
            "everything saved before is intact and nothing was lost. Free some space, then "
            "try again."
        )
    if code in (SQLITE_BUSY, SQLITE_LOCKED) or (
        code is None and ("locked" in text or "busy" in text)
    ):
        return RegistryBusy(
            f"The registry {path} stayed locked by another program ({exc}). Nothing was "
            "changed; try again in a moment."
        )
    if code == SQLITE_IOERR:
        return RegistryError(
            f"The registry {path} could not be read or written ({exc}): the disk may be full, "
            "failing or gone. That change was not saved. Check the disk, then try again."
        )
    return RegistryError(f"The registry {path} failed ({exc}).")


@contextmanager
def translated(path: Path | str) -> Iterator[None]:
    """Re-raise SQLite errors inside the block as registry errors."""
    try:
        yield
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from exc
