"""Import: find IDs in any text, check each against the API, record what is real."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tui.api.errors import ApiError, ApiGone, AuthFailed, NotFound, Offline
from tui.api.protocol import ConversationApi
from tui.ids import FoundId, Verdict, extract
from tui.model import Connection, Kind
from tui.store import Registry

DEFAULT_CONCURRENCY = 8
SOURCE = "import"


class Outcome(StrEnum):
    """What became of one ID."""

    ADDED = "added"
    ALREADY = "already tracked"
    NOT_FOUND = "not found"
    WRONG_KIND = "wrong kind"
    MALFORMED = "malformed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The outcome for one ID, with a message for anything but success."""

    id: str
    outcome: Outcome
    message: str = ""
    kind: Kind | None = None
    title: str | None = None

    @property
    def ok(self) -> bool:
        """True when the ID is now tracked."""
        return self.outcome in (Outcome.ADDED, Outcome.ALREADY)

    def to_json(self) -> dict[str, object]:
        """One JSON object per ID."""
        return {
            "id": self.id,
            "result": self.outcome.value,
            "ok": self.ok,
            "kind": self.kind.value if self.kind else None,
            "title": self.title,
            "message": self.message,
        }


ApiFor = Callable[[Kind], ConversationApi]
Checked = Callable[[int, int], None]  # (IDs checked with the API so far, IDs to check)


class _Importer:
    def __init__(
        self,
        registry: Registry,
        connection: Connection,
        api_for: ApiFor | None,
        concurrency: int,
        on_checked: Checked | None = None,
    ) -> None:
        self.registry = registry
        self.connection = connection
        self.api_for = api_for
        self.gate = asyncio.Semaphore(max(1, concurrency))
        self.fatal: dict[Kind, ApiError] = {}
        self.on_checked = on_checked
        self.checked = self.to_check = 0

    def classified(self, found: FoundId) -> ImportResult | None:
        """The result of an ID that needs no registry or API: wrong kind or malformed."""
        if found.verdict is Verdict.WRONG_KIND:
            return ImportResult(found.text, Outcome.WRONG_KIND, found.message)
        if found.verdict is Verdict.MALFORMED:
            return ImportResult(found.text, Outcome.MALFORMED, found.message)
        return None

    async def run(self, found: list[FoundId]) -> list[ImportResult]:
        results: dict[str, ImportResult] = {}
        usable: list[FoundId] = []
        for f in found:
            done = self.classified(f)
            if done is None:
                usable.append(f)
            else:
                results[f.text] = done
        known = await self.registry.known_ids(self.connection, [f.text for f in usable])
        for f in usable:
            if f.text in known:
                results[f.text] = ImportResult(f.text, Outcome.ALREADY, kind=f.kind)
        todo = [f for f in usable if f.text not in known]
        if self.api_for is None:
            entries = [(f.text, f.kind) for f in todo if f.kind is not None]
            added = await self.registry.track_many(
                entries, self.connection, source=SOURCE, event="imported"
            )
            for f in todo:
                outcome = Outcome.ADDED if f.text in added else Outcome.ALREADY
                results[f.text] = ImportResult(f.text, outcome, kind=f.kind, title=f.text)
        else:
            self.to_check = len(todo)
            checked = await asyncio.gather(*(self.gated(f.text, f.kind) for f in todo))
            results.update((r.id, r) for r in checked)
        return [results[f.text] for f in found]

    async def gated(self, item_id: str, kind: Kind | None) -> ImportResult:
        assert kind is not None
        async with self.gate:
            result = await self.verified(item_id, kind)
        self.checked += 1
        if self.on_checked is not None:
            self.on_checked(self.checked, self.to_check)
        return result

    async def verified(self, item_id: str, kind: Kind) -> ImportResult:
        stop = self.fatal.get(kind)
        if stop is not None:
            return ImportResult(item_id, Outcome.ERROR, f"not checked: {stop}", kind=kind)
        api = self.api_for(kind)  # type: ignore[misc]
        try:
            remote = await api.retrieve(item_id)
            first = await api.first_turn(item_id)
        except NotFound:
            return ImportResult(
                item_id,
                Outcome.NOT_FOUND,
                f"{item_id} was not found on {self.connection.label}: it may belong to another "
                "project or organization, have expired, or have been deleted.",
                kind=kind,
            )
        except (AuthFailed, Offline, ApiGone) as exc:
            self.fatal.setdefault(kind, exc)
            return ImportResult(item_id, Outcome.ERROR, str(exc), kind=kind)
        except ApiError as exc:
            return ImportResult(item_id, Outcome.ERROR, str(exc), kind=kind)
        first_user = first.text if first is not None and first.role == "user" else None
        item, added = await self.registry.track_remote(
            remote, self.connection, source=SOURCE, first_user_text=first_user, event="imported"
        )
        return ImportResult(
            item_id, Outcome.ADDED if added else Outcome.ALREADY, kind=kind, title=item.title
        )


async def import_text(
    text: str,
    registry: Registry,
    connection: Connection,
    *,
    api_for: ApiFor | None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_checked: Checked | None = None,
) -> list[ImportResult]:
    """Import every ID in ``text`` into the registry, in the order they appear.

    ``api_for`` gives the adapter that verifies IDs of a kind; ``None`` records them
    without calling the API. ``on_checked`` hears of each ID checked with the API.
    """
    importer = _Importer(registry, connection, api_for, concurrency, on_checked)
    return await importer.run(extract(text))
