"""Import: find IDs in any text, check each against the API, record what is real."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import BinaryIO

from tui.api.errors import ApiError, ApiGone, AuthFailed, NotFound, Offline, UnusableId
from tui.api.protocol import ConversationApi
from tui.ids import FoundId, Scan, Verdict, other_than_asked
from tui.metadata import MAX_KEYS
from tui.model import Connection, Kind, RemoteItem
from tui.store import Registry, intake

DEFAULT_CONCURRENCY = 8
SOURCE = "import"
# What one import reads and takes: 64 MiB of input is a log of a busy month, read in under
# two seconds; 10,000 IDs take about a minute to check with the API.
MAX_INPUT = 64 * 1024 * 1024
MAX_IDS = 10_000
PIECE = 1024 * 1024


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


@dataclass(frozen=True, slots=True)
class Found:
    """The IDs of an input, and what of it was not used (``cut`` is empty when all was)."""

    ids: list[FoundId] = field(default_factory=list)
    read: int = 0
    cut: str = ""


def _size(count: int) -> str:
    return f"{count // (1024 * 1024):,} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


def read_ids(
    stream: BinaryIO,
    *,
    name: str = "the input",
    max_bytes: int = MAX_INPUT,
    max_ids: int = MAX_IDS,
    piece: int = PIECE,
) -> Found:
    """The IDs in a file or pipe, read ``piece`` bytes at a time (never all at once).

    Reading stops after ``max_bytes`` bytes or at the first new ID past ``max_ids``;
    :attr:`Found.cut` then says so, in words for the user.
    """
    scan = Scan(limit=max_ids)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    read = 0
    while read < max_bytes and not scan.full:
        data = stream.read(min(piece, max_bytes - read))
        if not data:
            scan.feed(decoder.decode(b"", final=True), final=True)
            return Found(scan.found, read)
        read += len(data)
        scan.feed(decoder.decode(data))
    if scan.full:
        return Found(scan.found, read, _too_many(name, max_ids, read))
    scan.feed(decoder.decode(b"", final=True), final=True)
    if not stream.read(1):
        return Found(scan.found, read)
    return Found(scan.found, read, _too_long(name, max_bytes))


def _too_many(name: str, max_ids: int, read: int | None = None) -> str:
    where = f" (after about {_size(read)})" if read is not None else ""
    return (
        f"{name} holds more than {max_ids:,} IDs: the first {max_ids:,} were taken and the "
        f"rest{where} was not read. Split it into smaller parts and import each (IDs "
        "already tracked are reported as such)."
    )


def _too_long(name: str, max_bytes: int) -> str:
    return (
        f"{name} is larger than {_size(max_bytes)}: only its first {_size(max_bytes)} were "
        "searched for IDs, the rest was not read. If it is text, split it into smaller parts "
        "(for example `split -b 60m FILE part.`) and import each."
    )


def scan_text(text: str, *, max_ids: int = MAX_IDS) -> Found:
    """The IDs in text already in memory (a paste), at most ``max_ids`` of them."""
    scan = Scan(limit=max_ids)
    scan.feed(text, final=True)
    cut = _too_many("The text", max_ids) if scan.full else ""
    return Found(scan.found, len(text), cut)


def merged(first: Mapping[str, str], then: Mapping[str, str]) -> dict[str, str]:
    """``first``, then the keys of ``then`` it lacks, while there is room (16 pairs)."""
    meta = dict(first)
    for key, value in then.items():
        if len(meta) >= MAX_KEYS:
            break
        meta.setdefault(key, value)
    return meta


ApiFor = Callable[[Kind], ConversationApi]
Checked = Callable[[int, int], None]  # (IDs checked with the API so far, IDs to check)


class Importer:
    """Records IDs, checked with the API or not; one per import, called once per batch."""

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
        self.wrote: list[tuple[str, str]] = []  # (conversation, response) the server named

    def classified(self, found: FoundId) -> ImportResult | None:
        """The result of an ID that needs no registry or API: wrong kind or malformed."""
        if found.verdict is Verdict.WRONG_KIND:
            return ImportResult(found.text, Outcome.WRONG_KIND, found.message)
        if found.verdict is Verdict.MALFORMED:
            return ImportResult(found.text, Outcome.MALFORMED, found.message)
        return None

    async def run(
        self, found: list[FoundId], extra: Mapping[str, dict[str, str]] | None = None
    ) -> list[ImportResult]:
        """The result of each ID of ``found``, in order; ``extra`` is metadata of some.

        An ID newly tracked gets its ``extra`` metadata; one the API checks gets the
        server's metadata first, then keys of ``extra`` it does not have (see
        :func:`merged`). An ID tracked already, recorded without a check, is left as it is.
        """
        extra = extra or {}
        results: dict[str, ImportResult] = {}
        usable: list[FoundId] = []
        for f in found:
            done = self.classified(f)
            if done is None:
                usable.append(f)
            else:
                results[f.text] = done
        results |= await self._in_chains(usable)
        usable = [f for f in usable if f.text not in results]
        if self.api_for is None and not self.registry.read_only:
            # One write: the insert itself tells new IDs from those tracked already.
            entries = [(f.text, f.kind) for f in usable if f.kind is not None]
            added = await self.registry.track_many(
                entries, self.connection, source=SOURCE, event="imported", metadata=extra
            )
            for f in usable:
                title = f.text if f.text in added else None
                outcome = Outcome.ADDED if title else Outcome.ALREADY
                results[f.text] = ImportResult(f.text, outcome, kind=f.kind, title=title)
            return [results[f.text] for f in found]
        known = await self.registry.known_ids(self.connection, [f.text for f in usable])
        for f in usable:
            if f.text in known:
                results[f.text] = ImportResult(f.text, Outcome.ALREADY, kind=f.kind)
        todo = [f for f in usable if f.text not in known]
        if self.api_for is None:
            entries = [(f.text, f.kind) for f in todo if f.kind is not None]
            added = await self.registry.track_many(
                entries, self.connection, source=SOURCE, event="imported", metadata=extra
            )
            for f in todo:
                outcome = Outcome.ADDED if f.text in added else Outcome.ALREADY
                results[f.text] = ImportResult(f.text, outcome, kind=f.kind, title=f.text)
        else:
            self.to_check += len(todo)
            checked = await asyncio.gather(
                *(self.gated(f.text, f.kind, extra.get(f.text)) for f in todo)
            )
            results.update((r.id, r) for r in checked)
            await self._note_responses()
        return [results[f.text] for f in found]

    async def _note_responses(self) -> None:
        """Note each response checked under the conversation it wrote into, if tracked.

        After the whole batch, so a conversation imported beside its responses has them.
        """
        wrote, self.wrote = self.wrote, []
        for conversation, response_id in wrote:
            await self.registry.responses.wrote_into(
                self.connection, conversation, response_id, source=SOURCE
            )

    async def _in_chains(self, usable: list[FoundId]) -> dict[str, ImportResult]:
        """Older responses of tracked chains: already tracked, as part of their chain."""
        responses = [f.text for f in usable if f.kind is Kind.RESPONSE]
        if not responses:
            return {}
        held = await self.registry.chains.holders(self.connection, responses)
        return {
            rid: ImportResult(
                rid,
                Outcome.ALREADY,
                f"part of the response chain tracked as {chain.id}",
                Kind.RESPONSE,
                chain.title,
            )
            for rid, chain in held.items()
        }

    async def gated(
        self, item_id: str, kind: Kind | None, extra: dict[str, str] | None = None
    ) -> ImportResult:
        """:meth:`verified`, at most ``concurrency`` at once, each one counted as checked."""
        assert kind is not None
        async with self.gate:
            result = await self.verified(item_id, kind, extra)
        self.checked += 1
        if self.on_checked is not None:
            self.on_checked(self.checked, self.to_check)
        return result

    async def verified(
        self, item_id: str, kind: Kind, extra: dict[str, str] | None = None
    ) -> ImportResult:
        """Ask the API about one ID and record it if it is there (see :meth:`record`)."""
        stop = self.fatal.get(kind)
        if stop is not None:
            return ImportResult(item_id, Outcome.ERROR, f"not checked: {stop}", kind=kind)
        assert self.api_for is not None  # without one, nothing is checked (see above)
        api = self.api_for(kind)
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
        if remote.id != item_id:
            return self.other_item(item_id, kind, remote.id)
        first_user = first.text if first is not None and first.role == "user" else None
        return await self.record(item_id, kind, remote, first_user, extra)

    def other_item(self, item_id: str, kind: Kind, found: str) -> ImportResult:
        """The result of a server that answered for another item than the one asked for."""
        error = UnusableId(
            self.connection.base_url,
            f"the request for {item_id}",
            "id",
            other_than_asked(found, item_id, kind.noun),
        )
        return ImportResult(item_id, Outcome.ERROR, str(error), kind=kind)

    async def record(
        self,
        item_id: str,
        kind: Kind,
        remote: RemoteItem,
        first_user: str | None,
        extra: dict[str, str] | None = None,
    ) -> ImportResult:
        """Store what the server said of ``item_id``, made fit first (see ``store.intake``).

        The ID asked for is the one stored (the server's answer only describes it); a time
        the registry cannot index is left out, and metadata is kept within the API's limits.
        """
        meta = merged(intake.metadata(remote.metadata), extra or {})
        item, added = await self.registry.track(
            item_id,
            kind,
            self.connection,
            source=SOURCE,
            metadata=meta,
            created_at=intake.moment(remote.created_at),
            first_user_text=intake.first_text(first_user),
            event="imported",
        )
        if not added:
            item = await self.registry.set_metadata(item, meta, source=SOURCE)
        if remote.previous:
            await self.registry.chains.stands_on(item, remote.previous)
        if remote.conversation:
            self.wrote.append((remote.conversation, item_id))
        return ImportResult(
            item_id, Outcome.ADDED if added else Outcome.ALREADY, kind=kind, title=item.title
        )


async def import_found(
    found: list[FoundId],
    registry: Registry,
    connection: Connection,
    *,
    api_for: ApiFor | None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_checked: Checked | None = None,
    metadata: Mapping[str, dict[str, str]] | None = None,
) -> list[ImportResult]:
    """Import IDs found in text into the registry, in the order given.

    ``api_for`` gives the adapter that verifies IDs of a kind; ``None`` records them
    without calling the API. ``on_checked`` hears of each ID checked with the API.
    ``metadata`` is what the input said of some IDs (a trace's span attributes): it joins
    the item's metadata, after the server's own, within the API's limits.
    """
    importer = Importer(registry, connection, api_for, concurrency, on_checked)
    return await importer.run(found, metadata)


async def import_text(
    text: str,
    registry: Registry,
    connection: Connection,
    *,
    api_for: ApiFor | None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_checked: Checked | None = None,
) -> list[ImportResult]:
    """Import the first :data:`MAX_IDS` IDs of ``text`` (see :func:`import_found`).

    :func:`scan_text` and :func:`import_found` say, in addition, what was left out.
    """
    return await import_found(
        scan_text(text).ids,
        registry,
        connection,
        api_for=api_for,
        concurrency=concurrency,
        on_checked=on_checked,
    )
