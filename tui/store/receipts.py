"""Receipts: what each deletion run asked of a server, and what it verified gone.

A line per server object: the item it belonged to, the object's kind and ID, the
connection (base URL, organization, project: never a key), when its delete was requested,
when it was verified gone, the outcome, and what stayed on this machine. Never content:
a receipt is kept after the content it speaks of is erased.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.model import Connection, Kind, ObjectKind, ObjectState, ServerObject, Tracked
from tui.store import sql

if TYPE_CHECKING:
    from tui.store.registry import Registry

INSERT = (
    "INSERT INTO receipts (job, item_id, item_kind, object_kind, object_id, base_url, "
    "organization, project, requested_at, verified_at, outcome, detail, kept_locally, "
    "written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
COLUMNS = (
    "pk, job, item_id, item_kind, object_kind, object_id, base_url, organization, project, "
    "requested_at, verified_at, outcome, detail, kept_locally"
)


@dataclass(frozen=True, slots=True)
class Line:
    """One object of a deletion run, as it ended."""

    object: ServerObject
    outcome: ObjectState
    requested_at: float | None
    verified_at: float | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt line as kept in the registry."""

    pk: int
    job: str
    item_id: str
    item_kind: Kind
    object_kind: ObjectKind
    object_id: str
    connection: Connection
    requested_at: datetime | None
    verified_at: datetime | None
    outcome: ObjectState
    detail: str
    kept_locally: str

    def as_json(self) -> dict[str, object]:
        """The receipt as plain JSON values (times in ISO 8601, UTC)."""
        return {
            "job": self.job,
            "item_id": self.item_id,
            "item_kind": self.item_kind.value,
            "object_kind": self.object_kind.value,
            "object_id": self.object_id,
            "connection": self.connection.label,
            "base_url": self.connection.base_url,
            "organization": self.connection.organization or "",
            "project": self.connection.project or "",
            "requested_at": _iso(self.requested_at),
            "verified_at": _iso(self.verified_at),
            "outcome": self.outcome.value,
            "detail": self.detail,
            "kept_locally": self.kept_locally,
        }


def rows(
    job: str, item: Tracked, lines: Sequence[Line], kept_locally: str
) -> list[tuple[object, ...]]:
    """The :data:`INSERT` parameters of an item's receipt lines, written now."""
    base, org, project = sql.connection_params(item.connection)
    now = time.time()
    return [
        (
            job,
            item.id,
            item.kind.value,
            line.object.kind.value,
            line.object.id,
            base,
            org,
            project,
            line.requested_at,
            line.verified_at,
            line.outcome.value,
            line.detail,
            kept_locally,
            now,
        )
        for line in lines
    ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class Receipts:
    """Writes a run's receipt lines and reads them back, oldest first."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def add(
        self, job: str, item: Tracked, lines: Sequence[Line], *, kept_locally: str
    ) -> None:
        """Keep the lines of one item of run ``job`` (``kept_locally``: what stays here)."""
        values = rows(job, item, lines, kept_locally)
        async with self.registry.writing() as db:
            await db.executemany(INSERT, values)

    async def kept(self, job: str, item: Tracked, kept_locally: str) -> None:
        """Say again what stays here of an item of run ``job`` (after its content is erased)."""
        base, org, project = sql.connection_params(item.connection)
        async with self.registry.writing() as db:
            await db.execute(
                "UPDATE receipts SET kept_locally = ? WHERE job = ? AND item_id = ? "
                "AND base_url = ? AND organization = ? AND project = ?",
                (kept_locally, job, item.id, base, org, project),
            )

    async def since(self, moment: datetime | None = None, *, limit: int = 100_000) -> list[Receipt]:
        """The receipt lines written at or after ``moment`` (all: ``None``), in order."""
        start = 0.0 if moment is None else moment.timestamp()
        found = await self.registry.fetchall(
            f"SELECT {COLUMNS} FROM receipts WHERE written_at >= ? ORDER BY written_at, pk LIMIT ?",
            (start, limit),
        )
        return [_receipt(tuple(row)) for row in found]


def _receipt(row: tuple[object, ...]) -> Receipt:
    (pk, job, item_id, item_kind, object_kind, object_id, base, org, project) = row[:9]
    requested, verified, outcome, detail, kept = row[9:]
    connection = Connection(str(base), str(org) or None, str(project) or None)
    return Receipt(
        int(str(pk)),
        str(job),
        str(item_id),
        Kind(str(item_kind)),
        ObjectKind(str(object_kind)),
        str(object_id),
        connection,
        _moment(None if requested is None else float(str(requested))),
        _moment(None if verified is None else float(str(verified))),
        ObjectState(str(outcome)),
        str(detail),
        str(kept),
    )
