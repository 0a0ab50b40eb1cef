"""Import from an application's own database: ``import --from-db URL --query SQL``.

The query's rows are read in batches (``store.sources``: read-only, bounded memory) and
each batch goes through the import of IDs found in text (:class:`Importer`): the same
outcomes, checks with the API and records. The first column that holds IDs is the ID;
every other column becomes metadata of the row's item (``user_id = 42``), within the
API's limits. An ID met again is the same item: its rows of one batch merge their metadata
(a key's first value wins); a row of a later batch adds nothing (the IDs met are kept in
a temporary file, so that a million of them take no memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from tui.ids import OPENED, FoundId, Verdict, shown, whole
from tui.metadata import MAX_KEY, MAX_KEYS, MAX_VALUE
from tui.model import Connection
from tui.ops.importing import (
    DEFAULT_CONCURRENCY,
    ApiFor,
    Checked,
    Importer,
    ImportResult,
    merged,
)
from tui.store import Registry
from tui.store.sources import BATCH, Batch, Seen, SourceError, read
from tui.text import clean

__all__ = ["Columns", "SourceError", "id_column", "import_query"]


@dataclass(frozen=True, slots=True)
class Columns:
    """Which column of the result holds the IDs, and which become metadata."""

    id: str
    metadata: tuple[str, ...]


Chosen = Callable[[Columns], None]
_Read = tuple[list[FoundId], dict[str, dict[str, str]]]
AHEAD = 2  # batches read ahead of the one being recorded


def text(value: Any) -> str:
    """A cell as metadata text: numbers and times as written, JSON as JSON, bytes decoded."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _verdict(value: Any) -> FoundId | None:
    return whole(value) if isinstance(value, str) else None


def id_column(batch: Batch) -> int:
    """The first column of ``batch`` holding an ID the app opens, else one of wrong kinds.

    A column of wrong kinds only (``run_…``) is still the ID column, so that each row is
    reported with what it holds and where the wanted ID lives.
    """
    fallback: int | None = None
    for index in range(len(batch.columns)):
        verdicts = [_verdict(row[index]) for row in batch.rows]
        if any(v is not None and v.verdict is Verdict.OK for v in verdicts):
            return index
        if fallback is None and any(v is not None for v in verdicts):
            fallback = index
    if fallback is not None:
        return fallback
    names = ", ".join(batch.columns) or "none"
    raise SourceError(
        f"No column of the query's first {len(batch.rows):,} rows holds IDs that start with "
        f"{OPENED} (columns: {names}). Select the column that holds them."
    )


def _cell(value: Any, row: int, column: str) -> FoundId:
    """The verdict on the ID cell of row number ``row`` (not an ID: malformed)."""
    found = _verdict(value)
    if found is not None:
        return found
    if value is None:
        return FoundId(
            "", "", Verdict.MALFORMED, f"row {row:,}: {column} is empty (NULL), not an ID."
        )
    cell = clean(text(value))
    return FoundId(
        cell[:80],
        "",
        Verdict.MALFORMED,
        f"row {row:,}: {shown(cell)} in {column} is not an ID (those start with {OPENED}).",
    )


def _keys(columns: Sequence[str], skip: int) -> list[tuple[int, str]]:
    """The metadata columns (all but ``skip``): index and key, cleaned and cut as by intake."""
    return [(i, clean(c)[:MAX_KEY]) for i, c in enumerate(columns) if i != skip]


def _metadata(keys: Sequence[tuple[int, str]], row: Sequence[Any]) -> dict[str, str]:
    """A row's metadata: its non-NULL cells as text, within the API's limits (as by intake)."""
    pairs: dict[str, str] = {}
    for index, key in keys:
        value = row[index]
        if value is None or key in pairs:
            continue
        pairs[key] = clean(text(value))[:MAX_VALUE]
        if len(pairs) >= MAX_KEYS:
            break
    return pairs


def _found(
    batch: Batch, column: int, seen: Seen
) -> tuple[list[FoundId], dict[str, dict[str, str]]]:
    """The IDs of a batch met for the first time, and the metadata of each (merged)."""
    found: dict[str, FoundId] = {}
    extra: dict[str, dict[str, str]] = {}
    name = batch.columns[column]
    keys = _keys(batch.columns, column)
    for number, row in enumerate(batch.rows, start=batch.first):
        cell = _cell(row[column], number, name)
        meta = _metadata(keys, row) if cell.verdict is Verdict.OK else {}
        if cell.text in found:
            extra[cell.text] = merged(extra[cell.text], meta)
        else:
            found[cell.text] = cell
            extra[cell.text] = meta
    new = seen.new(list(found))
    return [f for f in found.values() if f.text in new], {
        k: v for k, v in extra.items() if v and k in new
    }


async def import_query(
    url: str,
    query: str,
    registry: Registry,
    connection: Connection,
    *,
    api_for: ApiFor | None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_checked: Checked | None = None,
    on_columns: Chosen | None = None,
    batch: int = BATCH,
) -> AsyncGenerator[list[ImportResult], None]:
    """The results of importing the rows of ``query``, one list per batch of rows read.

    Nothing is yielded for an empty result. ``on_columns`` hears which column was taken
    for the IDs (decided on the first batch). Raises :class:`SourceError` when the
    database cannot be read as asked, or no column holds IDs.
    """
    importer = Importer(registry, connection, api_for, concurrency, on_checked)
    # Reading and sorting out the next rows overlaps the registry's writing of these
    # (SQLite writes on a thread of its own); at most ``AHEAD`` batches wait, read.
    ahead: asyncio.Queue[_Read | BaseException | None] = asyncio.Queue(maxsize=AHEAD)

    async def reader() -> None:
        seen = Seen()
        column: int | None = None
        try:
            async with aclosing(read(url, query, batch=batch)) as batches:
                async for part in batches:
                    if not part.rows:
                        continue
                    if column is None:
                        column = id_column(part)
                        others = tuple(c for i, c in enumerate(part.columns) if i != column)
                        if on_columns is not None:
                            on_columns(Columns(part.columns[column], others))
                    # On a thread, so that the loop keeps handing the registry its work.
                    found, extra = await asyncio.to_thread(_found, part, column, seen)
                    if found:
                        await ahead.put((found, extra))
            await ahead.put(None)
        except Exception as exc:  # handed to the importer, which raises it
            await ahead.put(exc)
        finally:
            seen.close()

    # And the registry records these while the caller prints the last ones.
    done: asyncio.Queue[list[ImportResult] | BaseException | None] = asyncio.Queue(maxsize=1)

    async def recorder() -> None:
        # Two batches at once: the next one's rows are made while this one is written
        # (the registry writes one at a time); results go out in the order read.
        running: deque[asyncio.Task[list[ImportResult]]] = deque()
        try:
            while (next_ := await ahead.get()) is not None:
                if isinstance(next_, BaseException):
                    raise next_
                running.append(asyncio.create_task(importer.run(*next_)))
                if len(running) > 1:
                    await done.put(await running.popleft())
            while running:
                await done.put(await running.popleft())
            await done.put(None)
        except Exception as exc:  # handed to the caller, who raises it
            await done.put(exc)
        finally:
            for task in running:
                task.cancel()

    tasks = [asyncio.create_task(reader()), asyncio.create_task(recorder())]
    try:
        while (results := await done.get()) is not None:
            if isinstance(results, BaseException):
                raise results
            yield results
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
