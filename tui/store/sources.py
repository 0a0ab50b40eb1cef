"""Sources: another program's database, read (never written) for ``import --from-db``.

A SQLite file is opened read-only (``mode=ro``: never created, never written, and
``query_only`` besides); PostgreSQL is read in a ``READ ONLY`` transaction through a
server-side cursor. Either way the rows come in bounded batches, so a query of millions
of rows takes as little memory as one of a thousand. What a user can get wrong (the URL,
the server, the password, the SQL) raises :class:`SourceError` with the reason in words.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from tui.redact import without_credentials

BATCH = 10_000
POSTGRES_SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 10
_DRIVER_HINT = "pip install 'thread-browser[postgres]'"
_WRITE_ACTIONS_DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


class SourceError(Exception):
    """A database that cannot be read as asked; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive rows of a query's result, with the result's column names."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    first: int  # the number (from 1) of the batch's first row in the whole result


def label(url: str) -> str:
    """The URL as messages show it: without a password or any other credential.

    A URL too broken to parse still loses what stands before its ``@``.
    """
    scheme, sep, rest = without_credentials(url).partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else scheme


def _hidden(url: str, message: str) -> str:
    """``message`` without the password of ``url``, as written or decoded (parse errors)."""
    password = url.partition("://")[2].rpartition("@")[0].partition(":")[2]
    for form in {password, unquote(password)}:
        if form:
            message = message.replace(form, "[redacted]")
    return message


def is_postgres(url: str) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` URL."""
    return url.partition("://")[0].lower() in POSTGRES_SCHEMES


def sqlite_path(url: str) -> Path:
    """The file a SQLite URL names: a plain path, or ``sqlite:///path`` (three slashes).

    As in SQLAlchemy, ``sqlite:///data.db`` is relative and ``sqlite:////srv/data.db``
    absolute.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return Path(url).expanduser()
    if scheme.lower() != "sqlite":
        raise SourceError(
            f"{label(url)!r} is not a database URL the import reads: give a SQLite file "
            "(a path or sqlite:///path) or a postgresql://HOST/DATABASE URL."
        )
    if not rest.startswith("/") or not rest[1:]:
        raise SourceError(f"{label(url)!r}: write a SQLite URL as sqlite:///path/to/file.db.")
    return Path(unquote(urlsplit(url).path[1:] or rest[1:])).expanduser()


async def read(url: str, query: str, *, batch: int = BATCH) -> AsyncGenerator[Batch, None]:
    """The rows of ``query`` on the database at ``url``, ``batch`` rows at a time.

    The first batch comes even when the result is empty (its ``rows`` are), so the
    columns are always known.
    """
    reader = _postgres(url, query, batch) if is_postgres(url) else _sqlite(url, query, batch)
    async with aclosing(reader) as batches:
        async for found in batches:
            yield found


# SQLite


def _deny_attach(action: int, *_: object) -> int:
    """The authorizer: no other database is attached (``ATTACH`` creates a missing file)."""
    return sqlite3.SQLITE_DENY if action in _WRITE_ACTIONS_DENIED else sqlite3.SQLITE_OK


def _sqlite_open(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise SourceError(f"No SQLite database at {path}: the file does not exist.")
    if not path.is_file():
        raise SourceError(f"{path} is not a file: give the SQLite database file.")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise SourceError(f"Cannot open {path} as a SQLite database: {exc}.") from None
    try:
        db.execute("PRAGMA query_only = ON")
        db.set_authorizer(_deny_attach)
        db.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # is it a database?
    except sqlite3.Error as exc:
        db.close()
        if "not a database" in str(exc):
            raise SourceError(f"{path} is not a SQLite database ({exc}).") from None
        raise SourceError(f"Cannot open {path} as a SQLite database: {exc}.") from None
    return db


def _sqlite_refused(path: Path, exc: sqlite3.Error | sqlite3.Warning) -> SourceError:
    text = str(exc)
    if "readonly" in text or "read-only" in text or "not authorized" in text:
        return SourceError(
            f"The query was refused: {text}. {path} is opened read-only; the import only "
            "reads (write a SELECT)."
        )
    if "not a database" in text:
        return SourceError(f"{path} is not a SQLite database ({text}).")
    return SourceError(f"SQLite refused the query on {path}: {text}.")


async def _sqlite(url: str, query: str, batch: int) -> AsyncGenerator[Batch, None]:
    path = sqlite_path(url)
    db = _sqlite_open(path)
    try:
        try:
            cursor = await asyncio.to_thread(db.execute, query)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise _sqlite_refused(path, exc) from None
        if cursor.description is None:
            raise SourceError("The query returns no rows (no columns): write a SELECT.")
        columns = tuple(str(d[0]) for d in cursor.description)
        first = 1
        while True:
            try:
                rows = await asyncio.to_thread(cursor.fetchmany, batch)
            except sqlite3.Error as exc:
                raise _sqlite_refused(path, exc) from None
            if rows or first == 1:
                yield Batch(columns, rows, first)
            if len(rows) < batch:
                return
            first += len(rows)
    finally:
        db.close()


# PostgreSQL


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


async def _postgres(url: str, query: str, batch: int) -> AsyncGenerator[Batch, None]:
    try:
        import psycopg
    except ImportError:
        raise SourceError(
            f"Reading PostgreSQL needs the psycopg driver, which is not installed: {_DRIVER_HINT}"
        ) from None
    where = label(url)
    try:
        conn = await psycopg.AsyncConnection.connect(
            url, connect_timeout=CONNECT_TIMEOUT_S, application_name="thread-browser import"
        )
    except psycopg.ProgrammingError as exc:
        problem = _hidden(url, _first_line(exc))
        raise SourceError(f"{where!r} is not a usable PostgreSQL URL: {problem}") from None
    except psycopg.Error as exc:
        problem = _hidden(url, _first_line(exc))
        raise SourceError(f"Cannot connect to PostgreSQL at {where}: {problem}") from None
    try:
        await conn.set_read_only(True)
        async with conn.transaction(), conn.cursor(name="thread_browser_import") as cursor:
            try:
                await cursor.execute(query)
                columns = tuple(c.name for c in cursor.description or ())
                first = 1
                while True:
                    rows = await cursor.fetchmany(batch)
                    if rows or first == 1:
                        yield Batch(columns, rows, first)
                    if len(rows) < batch:
                        break
                    first += len(rows)
            except psycopg.Error as exc:
                raise _postgres_refused(where, exc) from None
    except psycopg.Error as exc:
        raise _postgres_refused(where, exc) from None
    finally:
        await conn.close()


def _postgres_refused(where: str, exc: Any) -> SourceError:
    diag = getattr(exc, "diag", None)
    message = (diag.message_primary if diag is not None else None) or _first_line(exc)
    state = getattr(exc, "sqlstate", None)
    if state == "25006":  # read_only_sql_transaction
        return SourceError(
            f"PostgreSQL refused the query: {message}. The import reads in a read-only "
            "transaction and never writes (write a SELECT)."
        )
    return SourceError(f"PostgreSQL at {where} refused the query: {message}")


class Seen:
    """The IDs an import has met, in a temporary file: a set of millions in little memory."""

    CHUNK = 500

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="thread-browser-seen-")
        self._db = sqlite3.connect(Path(self._dir.name) / "seen.db", check_same_thread=False)
        self._db.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -8192;"
            "CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID;"
        )

    def new(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` not met before (each now remembered)."""
        fresh: set[str] = set()
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), self.CHUNK):
            chunk = unique[start : start + self.CHUNK]
            marks = ",".join(["(?)"] * len(chunk))
            found = self._db.execute(
                f"INSERT INTO seen (id) VALUES {marks} ON CONFLICT DO NOTHING RETURNING id", chunk
            ).fetchall()
            fresh.update(row[0] for row in found)
        return fresh

    def close(self) -> None:
        """Forget them all (the file is removed)."""
        self._db.close()
        self._dir.cleanup()
