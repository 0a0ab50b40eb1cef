"""Where the registry lives, and opening it safely (mode 0600, WAL, migrations).

Opening first looks at the file without SQLite: it is created private (0600, in a 0700
folder) when missing; an existing one is only ever made *more* private. What is not a
regular file (a pipe, a device), a file of another user and a file others may write are
refused before it is opened. Then it is identified: a registry is created only in an empty
file, and another program's database is refused untouched (no byte and no mode changed).
A file or folder the user cannot write is opened read-only (reads work, every write says
why it cannot), a registry from a newer Thread Browser is refused before anything is
written, and an older one is upgraded only for a command that may write.

Test and debug knob: ``THREAD_BROWSER_MAX_PAGES=N`` caps the registry at N database pages
(``PRAGMA max_page_count`` on every writing connection), so a write that needs more room
fails exactly as on a full disk. It is meant for tests; leave it unset.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiosqlite
import platformdirs

from tui.config import DB_ENV as DB_ENV  # re-exported: tests name the variables from here
from tui.config import MAX_PAGES_ENV as MAX_PAGES_ENV
from tui.config import environment
from tui.store import schema
from tui.store.errors import (
    SQLITE_BUSY,
    SQLITE_LOCKED,
    RegistryError,
    RegistryReadOnly,
    corrupt,
    error_code,
    foreign,
    outdated,
    read_only,
    translated,
    unsafe,
)
from tui.store.held import Held, held

T = TypeVar("T")
APP_NAME = "thread-browser"
BUSY_TIMEOUT_MS = 10_000
BEGIN_PATIENCE_S = 30.0  # how long a write waits in all for another program's write to end
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA cell_size_check = ON",
)
READER_PRAGMAS = (f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}", "PRAGMA cell_size_check = ON")
SIDECARS = ("-wal", "-shm")
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
# Every registry has held these tables since schema version 1: a database without them is
# another program's, whatever its user_version says.
OUR_TABLES = frozenset({"connections", "items", "item_meta", "messages", "journal"})
NOT_FILES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
PLAIN_NAME = re.compile(r"[\w.-]{1,40}", re.ASCII)


@dataclass(frozen=True)
class Target:
    """A registry file checked for use: where it is, and why it cannot be written if so."""

    path: Path
    read_only: str = ""

    @property
    def writable(self) -> bool:
        """True when changes can be saved."""
        return not self.read_only

    def sidecar(self, suffix: str) -> Path:
        """The ``-wal`` or ``-shm`` file SQLite keeps beside the registry."""
        return self.path.with_name(self.path.name + suffix)

    def uri(self, *, read_only: bool = False) -> str:
        """The SQLite URI: read-write, or read-only (always when ``read_only``).

        A read-only registry with no pending ``-wal`` is opened ``immutable``: SQLite then
        creates no ``-wal``/``-shm`` files (it could not delete them, and ones it made
        read-only would later stop the registry from being written). A read-only
        connection never checkpoints either, so looking changes no byte of the file.
        """
        base = "file:" + urllib.parse.quote(str(self.path))
        if self.writable:
            return base + ("?mode=ro" if read_only else "?mode=rw")
        wal = self.sidecar("-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        return base + ("?mode=ro" if pending else "?mode=ro&immutable=1")

    def refuse_writes(self) -> None:
        """Raise the cannot-write error when the registry is read-only."""
        if self.read_only:
            raise read_only(self.path, self.read_only)


def default_path() -> Path:
    """The registry file in the user data directory."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "registry.sqlite3"


def resolve_path(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """``--db`` wins, then ``THREAD_BROWSER_DB``, then the user data directory."""
    chosen = explicit or environment(environ).db or default_path()
    return Path(chosen).expanduser()


def _create_private(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite touches them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        except FileExistsError:
            return  # another process made it just now
        os.close(fd)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise RegistryReadOnly(
            f"Cannot create the registry {path} ({exc.strerror}). Nothing was written. Check "
            "that its folder exists or can be made, and that you may write there; or point "
            "--db / THREAD_BROWSER_DB at a writable place."
        ) from exc


def _tighten(path: Path) -> None:
    """Take group and other permissions away (never add any); skip files of others."""
    try:
        info = path.stat()
        loose = stat.S_IMODE(info.st_mode) & 0o077
        if loose and info.st_uid == os.geteuid():
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass


def why_read_only(path: Path) -> str:
    """Why the registry at ``path`` cannot be written, or ``""`` when it can.

    The file itself is not opened (see :mod:`tui.store.held`): its mode, owner and file
    system say it.
    """
    if path.is_dir():
        raise RegistryError(
            f"The registry {path} is a folder, not a file. Point --db / THREAD_BROWSER_DB at "
            "a file (it is created if missing)."
        )
    try:
        read_only_fs = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError as exc:
        raise RegistryReadOnly(
            f"The registry {path} cannot be opened ({exc.strerror}). Check the file and its "
            "folder, or point --db / THREAD_BROWSER_DB at another file."
        ) from exc
    if read_only_fs:
        return "it is on a read-only file system"
    if not os.access(path, os.R_OK | os.W_OK):
        mode = stat.S_IMODE(path.stat().st_mode)
        return f"the file is read-only for you (mode {mode:04o})"
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"its folder {folder} is read-only for you, and SQLite needs to create "
            f"{path.name}-wal and {path.name}-shm there"
        )
    for suffix in SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists() and not os.access(sidecar, os.R_OK | os.W_OK):
            try:
                if sidecar.stat().st_uid == os.geteuid():
                    os.chmod(sidecar, 0o600)  # left read-only by a reader: make it usable
                    continue
            except OSError:
                pass
            return f"its journal file {sidecar} is read-only for you"
    return ""


def _owner(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def refuse_unsafe(path: Path) -> None:
    """Refuse, before opening it, what is not a private regular file of the user's own.

    A pipe or a device would make SQLite wait forever (or read nonsense); a file of another
    user, or one others may write, holds what anyone could have put there, and using it
    would leave files of ours beside it.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise RegistryReadOnly(
            f"The registry {path} cannot be looked at ({exc.strerror}). Check the file and "
            "its folder, or point --db / THREAD_BROWSER_DB at another file."
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise RegistryError(
            f"The registry {path} is a folder, not a file. Point --db / THREAD_BROWSER_DB at "
            "a file (it is created if missing)."
        )
    if not stat.S_ISREG(info.st_mode):
        what = next((name for test, name in NOT_FILES if test(info.st_mode)), "a special file")
        raise foreign(path, f"{what}, not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.geteuid():
        raise unsafe(
            path,
            f"it belongs to another user, {_owner(info.st_uid)}, not to you "
            f"({_owner(os.geteuid())})",
            "If it is yours, its owner can give it to you (chown), or you can copy it.",
        )
    if mode & 0o022:
        raise unsafe(
            path,
            f"others may write to it (mode {mode:04o}), so anyone on this machine could have "
            "changed what it holds",
            f"If you trust what it holds, make it private with `chmod 600 {path}` and try again.",
        )


def _header(path: Path) -> bytes | None:
    """The file's first bytes; ``None`` while this process holds it open (not read then)."""
    if held(path):
        return None
    try:
        with path.open("rb") as handle:
            return handle.read(HEADER_SIZE)
    except OSError as exc:
        raise RegistryReadOnly(
            f"The registry {path} cannot be read ({exc.strerror}). Nothing was changed. Make "
            "it readable by you (chmod u+r), or point --db / THREAD_BROWSER_DB at another file."
        ) from exc


def _look_uri(path: Path, header: bytes | None) -> str:
    """A read-only URI that creates no file and changes no byte.

    A WAL database with no pending ``-wal`` is read ``immutable`` (no ``-wal``/``-shm``
    files are made); a rollback-journal one is read with its locks, which create nothing.
    One this process holds open (no header read) is read with its locks, as its other
    connections are.
    """
    base = "file:" + urllib.parse.quote(str(path)) + "?mode=ro"
    if header is None:
        return base
    wal = path.with_name(path.name + "-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    rollback_mode = len(header) > 18 and header[18] == 1
    return base if pending or rollback_mode else base + "&immutable=1"


def _describe(tables: list[str], version: int, app_id: int) -> str:
    names = [n if PLAIN_NAME.fullmatch(n) else ascii(n[:40]) for n in sorted(tables)[:5]]
    more = f" and {len(tables) - len(names)} more" if len(tables) > len(names) else ""
    held = f"tables {', '.join(names)}{more}" if names else "no tables"
    marks = f"user_version {version}" + (f", application_id {app_id}" if app_id else "")
    return f"a SQLite database of another program ({held}; {marks})"


def identify(path: Path) -> int:
    """The schema version of the registry at ``path``; 0 for an empty file (a new one).

    Raises :class:`RegistryForeign` for another program's database, :class:`RegistryTooNew`
    for a newer registry and :class:`RegistryCorrupt` for what is not SQLite; it writes
    nothing. Call it inside :func:`translated`.
    """
    header = _header(path)
    if header is not None and not header:
        return 0
    if header is not None and not header.startswith(SQLITE_MAGIC):
        raise corrupt(path, "file is not a database")
    looked = sqlite3.connect(_look_uri(path, header), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        # One read transaction, so one snapshot: another process may be making this
        # registry right now, and its version, id and tables must be read as of one moment.
        looked.execute("BEGIN")
        version = schema.version(looked)
        app_id = int(looked.execute("PRAGMA application_id").fetchone()[0])
        found = looked.execute("SELECT type, name FROM sqlite_master").fetchall()
        looked.execute("COMMIT")
    finally:
        looked.close()
    objects = [name for _, name in found if not str(name).startswith("sqlite_")]
    tables = [str(name) for kind, name in found if kind == "table" and name in objects]
    ours = OUR_TABLES.issubset(tables)
    if version > schema.LATEST and (ours or not objects) and not app_id:
        schema.check_version(version, str(path))
    if not objects and not version and not app_id:
        return 0  # an empty database: a new registry may be made in it
    if app_id or not ours or not 0 < version <= schema.LATEST:
        raise foreign(path, _describe(tables, version, app_id))
    return version


def prepare(path: Path, *, upgrade: bool = True) -> Target:
    """Check the registry and bring it to the latest schema when it can be written.

    Creates a missing registry (0600). Refuses, before anything is written: what is not a
    private regular file of the user (see :func:`refuse_unsafe`), another program's
    database (:class:`RegistryForeign`), a newer schema (:class:`RegistryTooNew`) and a
    file that is not SQLite (:class:`RegistryCorrupt`). A registry that cannot be written
    is returned read-only. ``upgrade=False`` (a command that only reads) refuses an older
    schema with :class:`RegistryOutdated` instead of migrating it; a new registry is still
    made in a missing or empty file.
    """
    if not os.path.lexists(path):
        _create_private(path)
    refuse_unsafe(path)
    reason = why_read_only(path)
    target = Target(path, reason)
    with translated(path):
        current = identify(path)
    if target.writable:
        _tighten(path)
        for suffix in SIDECARS:
            if target.sidecar(suffix).exists():
                _tighten(target.sidecar(suffix))
    if current < schema.LATEST:
        _upgrade(target, current, upgrade=upgrade)
    return target  # SQLite gives the -wal and -shm files it makes the registry's mode


def _upgrade(target: Target, current: int, *, upgrade: bool) -> None:
    """Migrate a registry of an older (or no) schema, when that is allowed."""
    if not target.writable:
        raise read_only(
            target.path,
            f"{target.read_only}, and it must first be upgraded from schema version "
            f"{current} to {schema.LATEST}",
            readable=False,
        )
    if current and not upgrade:
        raise outdated(target.path, current, schema.LATEST)
    with translated(target.path):
        conn = connect(target)
        try:
            schema.upgrade(conn, str(target.path))
        finally:
            conn.close()


def max_pages(environ: Mapping[str, str] | None = None) -> int | None:
    """The page cap of the ``THREAD_BROWSER_MAX_PAGES`` test knob, if set."""
    return environment(environ).max_pages


def writer_pragmas() -> tuple[str, ...]:
    """The settings of a connection that writes (with the page cap knob, when set)."""
    cap = max_pages()
    return PRAGMAS + ((f"PRAGMA max_page_count = {cap}",) if cap else ())


def configure(conn: sqlite3.Connection, target: Target) -> None:
    """Per-connection settings: busy timeout, foreign keys, WAL (when writable)."""
    if not target.writable:
        for pragma in READER_PRAGMAS:
            conn.execute(pragma)
        return
    for pragma in writer_pragmas():
        conn.execute(pragma)
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")


def connect(target: Target, *, any_thread: bool = False) -> sqlite3.Connection:
    """A configured sqlite3 connection in autocommit mode (explicit transactions).

    ``target`` comes from :func:`prepare`, which refused a registry of a newer version
    before anything could be written to it. ``any_thread`` lets threads other than this
    one use it (the caller then lets one at a time).
    """
    conn = sqlite3.connect(
        target.uri(),
        uri=True,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=not any_thread,
        factory=Held,
    )
    conn.hold(target.path)
    try:
        configure(conn, target)
    except BaseException:
        conn.close()
        raise
    return conn


def reader(target: Target) -> sqlite3.Connection:
    """A plain sqlite3 connection for reads (the list pager, the first page)."""
    conn = sqlite3.connect(
        target.uri(),
        uri=True,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
        factory=Held,
    )
    conn.hold(target.path)
    try:
        for pragma in READER_PRAGMAS:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


async def aconnect(target: Target, *, writer: bool = True) -> aiosqlite.Connection:
    """An aiosqlite connection: configured for writing, or for reads only."""
    db = await aiosqlite.connect(
        target.uri(), uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, factory=Held
    )
    held_conn = db._conn  # the sqlite3 connection aiosqlite made (its own thread's)
    if isinstance(held_conn, Held):
        held_conn.hold(target.path)
    try:
        pragmas = writer_pragmas() if writer and target.writable else READER_PRAGMAS
        for pragma in pragmas:
            await db.execute(pragma)
    except BaseException:
        await db.close()
        raise
    return db


def busy(exc: sqlite3.Error) -> bool:
    """True when SQLite answered that another connection holds the registry."""
    return error_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED)


def begin_immediate(
    conn: sqlite3.Connection, path: Path | str, patience: float = BEGIN_PATIENCE_S
) -> None:
    """Start a write transaction, waiting up to ``patience`` seconds for other writers.

    Each attempt already waits the busy timeout; a busy answer after that is retried
    until ``patience`` runs out, then raised (as :class:`RegistryBusy` once translated).
    A registry a newer Thread Browser migrated meanwhile is refused (nothing written).
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if not busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.05)
    try:
        schema.check(conn, str(path))  # a newer Thread Browser may have migrated it
    except BaseException:
        rollback(conn)
        raise


async def patiently(
    attempt: Callable[[], Awaitable[T]],
    patience: float = BEGIN_PATIENCE_S,
    on_busy: Callable[[], None] | None = None,
) -> T:
    """``attempt()``, tried again while SQLite answers busy, up to ``patience`` seconds.

    Each attempt already waits the busy timeout; ``on_busy`` is told of each retry.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            return await attempt()
        except sqlite3.OperationalError as exc:
            if not busy(exc) or time.monotonic() >= deadline:
                raise
        if on_busy is not None:
            on_busy()
        await asyncio.sleep(0.05)


async def abegin_immediate(
    db: aiosqlite.Connection, path: Path | str, patience: float = BEGIN_PATIENCE_S
) -> None:
    """:func:`begin_immediate` on an aiosqlite connection."""
    await patiently(lambda: db.execute("BEGIN IMMEDIATE"), patience)
    try:
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        schema.check_version(int(row[0]) if row else 0, str(path))
    except BaseException:
        await arollback(db)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back, unless SQLite already did (it does on some errors, e.g. a full disk)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
            conn.execute("ROLLBACK")


async def arollback(db: aiosqlite.Connection) -> None:
    """:func:`rollback` on an aiosqlite connection."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            await db.execute("ROLLBACK")
