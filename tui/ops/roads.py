"""The roads an import takes, in one call for the app: pasted text, traces, sessions, a database.

The CLI's ``import`` reads each road with its own options; the app's import dialog names
a road and what it reads (the paste, a file's path, a database's URL and query) and gets
back the results to show, counted, with what was left out or could not be used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tui.api.errors import ApiError
from tui.model import Connection
from tui.ops.importing import ApiFor, ImportResult, Outcome, import_found, scan_text
from tui.store import Registry
from tui.store.sources import SourceError

SHOWN = 2_000  # results kept to show; the rest are counted


class SourceUnreadable(ApiError):
    """The file or database an import was pointed at cannot be read (the message says why)."""


class Road(StrEnum):
    """Where an import reads its IDs from."""

    TEXT = "text"  # pasted text: logs, JSON, CSV, a traceback
    TRACES = "traces"  # an OTLP JSON file of OpenTelemetry spans
    SESSIONS = "sessions"  # an Agents SDK SQLiteSession file
    DATABASE = "database"  # a SQLite file or PostgreSQL, and a query


@dataclass
class RoadResult:
    """What an import did: the results to show, every outcome counted, and notes."""

    shown: list[ImportResult] = field(default_factory=list)
    counts: Counter[Outcome] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def take(self, results: list[ImportResult]) -> None:
        """Count ``results``; keep them to show while there is room."""
        room = SHOWN - len(self.shown)
        self.shown += results[: max(0, room)]
        self.counts.update(r.outcome for r in results)

    @property
    def total(self) -> int:
        """How many IDs were met."""
        return sum(self.counts.values())

    @property
    def added(self) -> int:
        """How many items are new in the registry."""
        return self.counts[Outcome.ADDED]


async def import_road(
    road: Road,
    source: str,
    registry: Registry,
    connection: Connection,
    *,
    api_for: ApiFor | None,
    query: str = "",
) -> RoadResult:
    """Import from ``road``: ``source`` is the paste, a file's path or a database URL.

    A file or database that cannot be read raises :class:`SourceUnreadable` (or the
    session reader's ``FileUnreadable``), whose message says why; what was imported
    before stays imported.
    """
    try:
        return await _import(road, source, registry, connection, api_for, query)
    except OSError as exc:
        raise SourceUnreadable(f"Cannot read {source}: {exc.strerror or exc}.") from None
    except SourceError as exc:
        raise SourceUnreadable(str(exc)) from None


async def _import(
    road: Road,
    source: str,
    registry: Registry,
    connection: Connection,
    api_for: ApiFor | None,
    query: str,
) -> RoadResult:
    done = RoadResult()
    if road is Road.TEXT:
        found = scan_text(source)
        done.notes += [found.cut] if found.cut else []
        done.take(await import_found(found.ids, registry, connection, api_for=api_for))
    elif road is Road.TRACES:
        await _traces(done, Path(source).expanduser(), registry, connection, api_for)
    elif road is Road.SESSIONS:
        from tui.ops.sessions import import_sessions

        sessions = await import_sessions(source, registry)
        done.take(sessions.results)
        done.notes += [sessions.cut] if sessions.cut else []
    else:
        await _database(done, source, query, registry, connection, api_for)
    return done


async def _traces(
    done: RoadResult, path: Path, registry: Registry, connection: Connection, api: ApiFor | None
) -> None:
    from tui.ops.traces import read_traces

    with path.open("rb") as stream:
        traced = read_traces(stream, name=str(path))
    done.notes += [*traced.problems, *([traced.cut] if traced.cut else [])]
    results = await import_found(
        traced.ids, registry, connection, api_for=api, metadata=traced.metadata
    )
    done.take(results)


async def _database(
    done: RoadResult,
    url: str,
    query: str,
    registry: Registry,
    connection: Connection,
    api_for: ApiFor | None,
) -> None:
    from tui.ops.from_db import Columns, import_query
    from tui.redact import remember, url_secrets

    def chosen(columns: Columns) -> None:
        others = ", ".join(columns.metadata) or "none"
        done.notes.append(f"IDs from column {columns.id}; metadata from: {others}")

    remember(*url_secrets(url))
    batches = import_query(url, query, registry, connection, api_for=api_for, on_columns=chosen)
    async for results in batches:
        done.take(results)
    if not done.total:
        done.notes.append("The query returned no rows.")
