"""Agents SDK sessions: the adapter of a session file, and importing every session of one.

An Agents SDK ``SQLiteSession`` lives in a local file, not on a server. Its item's
connection is the file's ``file:///…`` URL, so items of two files (or of a server) never
mix, and no request is ever made for one: there is no client, no key and no profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.api.errors import ApiError
from tui.api.sessions import FileUnreadable, SessionInfo, SessionsAdapter, StoredItem
from tui.ids import session_id_problem, shown
from tui.model import Connection, Kind
from tui.ops.importing import ImportResult, Outcome
from tui.store import Registry, intake
from tui.store import sessions as files

SOURCE = "import"


def is_session_file(connection: Connection) -> bool:
    """True when the connection names a local session file, not a server."""
    return files.is_file_url(connection.base_url)


def file_connection(path: str | Path) -> Connection:
    """The connection of a session file: its absolute path as a ``file://`` URL."""
    return Connection(files.file_url(path))


@dataclass(frozen=True, slots=True)
class _FileReader:
    """Reads one session file through the registry layer's read-only reader."""

    path: Path

    async def session(self, session_id: str) -> SessionInfo | None:
        try:
            return await files.session(self.path, session_id)
        except files.SessionFileError as exc:
            raise FileUnreadable(str(exc)) from None

    async def messages(
        self, session_id: str, *, before: int | None, limit: int, newest: bool
    ) -> Sequence[StoredItem]:
        try:
            return await files.messages(
                self.path, session_id, before=before, limit=limit, newest=newest
            )
        except files.SessionFileError as exc:
            raise FileUnreadable(str(exc)) from None


def session_api(connection: Connection) -> SessionsAdapter:
    """The adapter of the session file a connection names."""
    try:
        path = files.path_of(connection.base_url)
    except files.SessionFileError as exc:
        raise FileUnreadable(str(exc)) from None
    return SessionsAdapter(_FileReader(path), connection)


@dataclass(frozen=True, slots=True)
class SessionsFound:
    """What importing a session file did: a result per session, and what was left out."""

    results: list[ImportResult]
    cut: str = ""


async def import_sessions(path: str | Path, registry: Registry) -> SessionsFound:
    """Track every session of an Agents SDK ``SQLiteSession`` file (read, never written).

    Each session is one item titled by its first user message; a session already tracked
    is reported as such, and one whose ID the registry cannot keep is named with why.
    Raises :class:`FileUnreadable` when the file cannot be read at all.
    """
    resolved = Path(path).expanduser().resolve()
    if registry.path and Path(registry.path).resolve() == resolved:
        raise FileUnreadable(f"{resolved} is this registry, not an Agents SDK session file.")
    try:
        rows = await files.sessions(resolved)
    except files.SessionFileError as exc:
        raise FileUnreadable(str(exc)) from None
    cut = ""
    if len(rows) > files.MAX_SESSIONS:
        rows = rows[: files.MAX_SESSIONS]
        cut = (
            f"{resolved} holds more than {files.MAX_SESSIONS:,} sessions: the first "
            f"{files.MAX_SESSIONS:,} were taken."
        )
    connection = file_connection(resolved)
    api = session_api(connection)
    results = [await _one(row, api, registry, connection) for row in rows]
    return SessionsFound(results, cut)


async def _one(
    row: SessionInfo, api: SessionsAdapter, registry: Registry, connection: Connection
) -> ImportResult:
    problem = session_id_problem(row.session_id)
    if problem is not None:
        named = shown(row.session_id) if isinstance(row.session_id, str) else "(a session)"
        return ImportResult(named, Outcome.MALFORMED, f"not tracked: {problem}.")
    item_id = str(row.session_id)
    known = await registry.get(connection, item_id)
    if known is not None:
        return ImportResult(item_id, Outcome.ALREADY, kind=Kind.SESSION, title=known.title)
    try:
        first = await api.first_user_text(item_id)
    except ApiError as exc:
        return ImportResult(item_id, Outcome.ERROR, str(exc), kind=Kind.SESSION)
    item, added = await registry.track(
        item_id,
        Kind.SESSION,
        connection,
        source=SOURCE,
        created_at=intake.moment(row.created_at),
        first_user_text=intake.first_text(first),
        event="imported",
    )
    updated = intake.moment(row.updated_at)
    if added and updated is not None:
        await registry.touch(connection, item_id, updated)  # its last activity is the file's
    outcome = Outcome.ADDED if added else Outcome.ALREADY
    return ImportResult(item_id, outcome, kind=Kind.SESSION, title=item.title)
