"""Agents SDK session files (``SQLiteSession``), read and never written.

A session file is the user's program's own database: tables ``agent_sessions``
(``session_id``, ``created_at``, ``updated_at``) and ``agent_messages`` (``id``,
``session_id``, ``message_data`` JSON, ``created_at``), or the same shapes under the table
names the program chose. It is opened read-only on every read: ``immutable=1`` when no
write-ahead log is beside it (nothing is created or locked, and no program is writing),
else ``mode=ro`` (its program has it open: the log and shared memory are already there
and are read, so what it wrote last is seen). Nothing here ever opens it for writing.

What is read stays raw (text and numbers); turning a message into a turn is the API
layer's business (:mod:`tui.api.sessions`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote, urlsplit

T = TypeVar("T")
SCHEME = "file"
BUSY_MS = 2000  # a program in the middle of a write holds the file at most this long for us
MAX_SESSIONS = 10_000  # sessions one import takes (as many as IDs from text)


class SessionFileError(Exception):
    """A session file that cannot be read; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session of a file."""

    session_id: object
    created_at: object
    updated_at: object
    messages: int


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One stored item of a session: its row number, JSON text and time."""

    id: int
    data: object
    created_at: object


@dataclass(frozen=True, slots=True)
class Tables:
    """The table names a file uses (the defaults, or those its program chose)."""

    sessions: str
    messages: str


def file_url(path: str | Path) -> str:
    """The connection URL of a session file: ``file://`` and its absolute path."""
    return Path(path).expanduser().resolve().as_uri()


def is_file_url(url: str) -> bool:
    """True for a connection that names a local file rather than a server."""
    return url.startswith(f"{SCHEME}:")


def path_of(url: str) -> Path:
    """The file a ``file://`` connection URL names."""
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise SessionFileError(f"{url} does not name a session file.")
    return Path(unquote(parts.path))


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise SessionFileError(
            f"The session file {path} is not there (moved or deleted?). What was archived "
            "from it stays readable here; import it again from where it is now."
        )
    wal = path.with_name(path.name + "-wal").exists()
    flags = "mode=ro" if wal else "mode=ro&immutable=1"
    conn = sqlite3.connect(
        f"file:{quote(str(path))}?{flags}", uri=True, timeout=BUSY_MS / 1000, isolation_level=None
    )
    conn.execute("PRAGMA query_only = ON")
    return conn


def _said(path: Path, exc: sqlite3.Error) -> SessionFileError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return SessionFileError(
            f"The session file {path} is busy: its program is writing to it. Try again in a "
            "moment; nothing was changed."
        )
    if "not a database" in text or "malformed" in text or "file is" in text:
        return SessionFileError(
            f"The session file {path} is damaged or not a SQLite database ({text}). It was "
            "only read, never changed; what was archived from it stays readable here."
        )
    return SessionFileError(f"The session file {path} cannot be read: {text}.")


def _tables(conn: sqlite3.Connection, path: Path) -> Tables:
    """The sessions and messages tables, by their default names or by their columns."""
    names = [str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    columns = {name: _columns(conn, name) for name in names}
    if {"agent_sessions", "agent_messages"} <= set(names):
        return Tables("agent_sessions", "agent_messages")
    messages = [n for n, c in columns.items() if {"id", "session_id", "message_data"} <= c]
    sessions = [
        n
        for n, c in columns.items()
        if {"session_id", "updated_at"} <= c and "message_data" not in c
    ]
    if len(messages) == 1 and len(sessions) == 1:
        return Tables(sessions[0], messages[0])
    raise SessionFileError(
        f"{path} is a SQLite database but not an Agents SDK session file: it has no "
        "agent_sessions and agent_messages tables (nor one pair of tables of their shape)."
    )


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({_ident(table)})")}


def _ident(name: str) -> str:
    """A table name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _read(path: Path, work: Callable[[sqlite3.Connection, Tables], T]) -> T:
    try:
        with closing(_open(path)) as conn:
            tables = _tables(conn, path)
            return work(conn, tables)
    except sqlite3.Error as exc:
        raise _said(path, exc) from None
    except OSError as exc:
        raise SessionFileError(
            f"The session file {path} cannot be read: {exc.strerror or exc}."
        ) from None


def _sessions(conn: sqlite3.Connection, tables: Tables) -> list[SessionRow]:
    s, m = _ident(tables.sessions), _ident(tables.messages)
    rows = conn.execute(
        f"SELECT s.session_id, s.created_at, s.updated_at, "
        f"(SELECT count(*) FROM {m} WHERE {m}.session_id = s.session_id) "
        f"FROM {s} AS s ORDER BY s.rowid LIMIT ?",
        (MAX_SESSIONS + 1,),
    ).fetchall()
    return [SessionRow(r[0], r[1], r[2], int(r[3])) for r in rows]


def _session(session_id: str) -> Callable[[sqlite3.Connection, Tables], SessionRow | None]:
    def read(conn: sqlite3.Connection, tables: Tables) -> SessionRow | None:
        s, m = _ident(tables.sessions), _ident(tables.messages)
        row = conn.execute(
            f"SELECT session_id, created_at, updated_at, "
            f"(SELECT count(*) FROM {m} WHERE session_id = ?) FROM {s} WHERE session_id = ?",
            (session_id, session_id),
        ).fetchone()
        return SessionRow(row[0], row[1], row[2], int(row[3])) if row else None

    return read


def _messages(
    session_id: str, before: int | None, limit: int, newest: bool
) -> Callable[[sqlite3.Connection, Tables], list[MessageRow]]:
    def read(conn: sqlite3.Connection, tables: Tables) -> list[MessageRow]:
        m = _ident(tables.messages)
        where = "session_id = ?"
        params: list[object] = [session_id]
        if before is not None:
            where += " AND id < ?"
            params.append(before)
        order = "DESC" if newest else "ASC"
        rows = conn.execute(
            f"SELECT id, message_data, created_at FROM {m} WHERE {where} "
            f"ORDER BY id {order} LIMIT ?",
            (*params, limit),
        ).fetchall()
        found = [MessageRow(int(r[0]), r[1], r[2]) for r in rows]
        return found[::-1] if newest else found

    return read


async def sessions(path: Path) -> list[SessionRow]:
    """Every session of the file (at most :data:`MAX_SESSIONS` + 1), in the order made."""
    return await asyncio.to_thread(_read, path, _sessions)


async def session(path: Path, session_id: str) -> SessionRow | None:
    """One session of the file, or ``None`` when the file has no such session."""
    return await asyncio.to_thread(_read, path, _session(session_id))


async def messages(
    path: Path, session_id: str, *, before: int | None = None, limit: int, newest: bool = True
) -> list[MessageRow]:
    """Up to ``limit`` stored items of a session, oldest first.

    The newest ones (older than the row ``before``, when given), or with ``newest=False``
    the oldest ones.
    """
    read = _messages(session_id, before, limit, newest)
    return await asyncio.to_thread(_read, path, read)
