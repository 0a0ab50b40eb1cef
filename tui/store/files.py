"""Where the registry lives, and opening it safely (mode 0600, WAL, migrations)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from tui.store import schema
from tui.store.errors import RegistryReadOnly, translated

APP_NAME = "thread-browser"
DB_ENV = "THREAD_BROWSER_DB"
BUSY_TIMEOUT_MS = 10_000
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
)


def default_path() -> Path:
    """The registry file in the user data directory."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "registry.sqlite3"


def resolve_path(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """``--db`` wins, then ``THREAD_BROWSER_DB``, then the user data directory."""
    env = environ if environ is not None else os.environ
    chosen = explicit or env.get(DB_ENV) or default_path()
    return Path(chosen).expanduser()


def _create_private(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite touches them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise RegistryReadOnly(
            f"Cannot create the registry {path} ({exc.strerror}). Check the folder's "
            "permissions, or point --db / THREAD_BROWSER_DB at a writable place."
        ) from exc


def configure(conn: sqlite3.Connection) -> None:
    """Per-connection settings: busy timeout, foreign keys, WAL."""
    for pragma in PRAGMAS:
        conn.execute(pragma)
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")


def connect(path: Path) -> sqlite3.Connection:
    """A configured sqlite3 connection in autocommit mode (explicit transactions).

    The schema version is checked before anything is written, so a registry from a
    newer version is left exactly as it was.
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        schema.check(conn, str(path))
        configure(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def prepare(path: Path) -> Path:
    """Create the registry if needed, private to the user, at the latest schema."""
    _create_private(path)
    with translated(path):
        conn = connect(path)
        try:
            schema.migrate(conn, str(path))
        finally:
            conn.close()
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.chmod(sidecar, 0o600)
    return path
