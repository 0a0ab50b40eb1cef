"""Erasure by metadata, shared by the app and the CLI: delete on the servers, erase here.

Every tracked item whose metadata holds all the given ``key=value`` pairs, of every kind
and in every state, is deleted on its server by :class:`~tui.ops.deleting.BulkDelete`
(without archiving first: the point is to keep nothing), and then its local content is
erased from the registry (see :mod:`tui.store.erasure`). An item deleted on its server
before is erased here only. An item whose deletion fails, or that no profile here can
reach, keeps its content: nothing is lost, and the result says so.

The item rows stay, in state ``deleted``, so that the journal and the receipts still name
them; neither holds content. Each item covered gets a receipt line saying what was erased,
or why its content was kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.model import Connection, ItemState, ObjectState, ServerObject, Tracked
from tui.ops.deep import ITSELF
from tui.ops.deleting import CONCURRENCY, ApiFor, BulkDelete, Outcome, Progress, Result
from tui.ops.pacing import Pacer
from tui.ops.plan import SAMPLES, DeletionPlan, Policy, make_plan
from tui.store import Query, Registry
from tui.store.deletions import new_job
from tui.store.erasure import Held
from tui.store.receipts import Line
from tui.text import clean

PAGE = 500
KEPT_NOTHING = "nothing: local content erased"
KEPT_EVERYTHING = "everything: it was not deleted on its server, so its local content was kept"
# An erase never archives first (what it would archive, it erases next), so an archive in
# doubt is no reason to keep an item on its server.
POLICY = Policy(archive=False, allow_incomplete=True)
GONE = (Result.DELETED, Result.GONE)
NOT_SENT = (Result.STOPPED, Result.INTERRUPTED)


def pairs_text(pairs: Sequence[tuple[str, str]]) -> str:
    """``user_id=u42 team=a`` (values with spaces quoted, as the filter box takes them)."""
    return " ".join(f'{k}="{v}"' if (" " in v or not v) else f"{k}={v}" for k, v in pairs)


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


@dataclass(frozen=True, slots=True)
class ErasePlan:
    """What an erase will do, for a person to confirm.

    ``deletion`` holds the items to delete on their servers (and those no profile here
    reaches, which keep everything); ``local`` those deleted on their servers already,
    erased here only; ``held`` what the registry holds of each one's content.
    """

    pairs: tuple[tuple[str, str], ...]
    deletion: DeletionPlan
    local: tuple[Tracked, ...]
    held: Mapping[int, Held]
    ignored_words: str = ""  # words of a filter the erase does not use (it matches metadata)

    @property
    def items(self) -> tuple[Tracked, ...]:
        """Every item the erase covers: deleted on its server and erased, or erased only."""
        return self.deletion.items + self.local

    @property
    def skipped(self) -> tuple[tuple[Tracked, str], ...]:
        """Matching items no profile here reaches: neither deleted nor erased."""
        return self.deletion.skipped

    @property
    def confirmation(self) -> DeletionPlan:
        """What is confirmed, as a deletion's plan: every item covered, the same rules.

        More than ``TYPE_THE_NUMBER_ABOVE`` items (those erased here only included) need
        their number typed, as a deletion of that many does.
        """
        return DeletionPlan(self.items, self.skipped, POLICY)

    @property
    def typed(self) -> bool:
        """True when confirming needs the number of items typed (not a single key)."""
        return self.confirmation.typed

    def accepts(self, answer: str) -> bool:
        """Whether ``answer`` confirms this plan (as a deletion's confirmation takes it)."""
        return self.confirmation.accepts(answer)

    def question(self) -> str:
        """What to ask."""
        if self.typed:
            return f"Type {len(self.items)} to delete and erase them"
        return "Delete and erase? [y/N]"

    def total(self) -> Held:
        """What the registry holds of the content of every item covered, summed."""
        covered = [self.held.get(i.pk, Held()) for i in self.items]
        return Held(
            sum(h.messages for h in covered),
            sum(h.versions for h in covered),
            False,
            False,
        )

    def lines(self) -> list[str]:
        """The whole plan in plain sentences (titles cleaned, no markup)."""
        count = len(self.items) + len(self.skipped)
        out = [f"Erase by metadata {pairs_text(self.pairs)}: {_plural(count, 'item')} match."]
        if self.ignored_words:
            out.append(
                f"The filter's words ({clean(self.ignored_words)[:60]}) are not used: the "
                "erase takes every item with these metadata pairs, deleted ones too."
            )
        if self.deletion.items:
            out += self.deletion.summary()
            out += self.deletion.chains()
        if self.local:
            out.append(f"Deleted on their servers already, erased here only: {len(self.local):,}")
            out += [f"  - {i.id}  {clean(i.title)[:60]}" for i in self.local[:SAMPLES]]
            if len(self.local) > SAMPLES:
                out.append(f"  … and {len(self.local) - SAMPLES:,} more")
        if self.items:
            out += self.erased_here()
        warning = self.deletion.warning()
        if warning:
            out.append(warning + " They keep their content here.")
        return out

    def erased_here(self) -> list[str]:
        """What goes from this machine, and what stays."""
        total = self.total()
        titles = sum(1 for i in self.items if self.held.get(i.pk, Held()).title)
        notes = sum(1 for i in self.items if self.held.get(i.pk, Held()).notes)
        return [
            "Erased here once each is deleted: "
            f"{_plural(total.messages, 'archived message')}, "
            f"{_plural(total.versions, 'older version')}, their search entries, "
            f"{_plural(titles, 'title')} from messages or your own (back to the ID or "
            f"metadata.title) and {_plural(notes, 'note')} of yours. Nothing is archived "
            "first.",
            "Kept: each item's row (ID, kind, connection, state, metadata), its journal "
            "and a receipt, none holding content. An item whose deletion fails keeps "
            "everything.",
        ]

    def as_json(self) -> dict[str, Any]:
        """The plan as one JSON object (a dry run's output)."""
        total = self.total()
        return {
            "dry_run": True,
            "meta": dict(self.pairs),
            "would_delete": [i.id for i in self.deletion.items],
            "would_erase_only": [i.id for i in self.local],
            "skipped": [{"id": i.id, "reason": why} for i, why in self.skipped],
            "would_erase": {
                "messages": total.messages,
                "versions": total.versions,
                "titles": sum(1 for i in self.items if self.held.get(i.pk, Held()).title),
                "notes": sum(1 for i in self.items if self.held.get(i.pk, Held()).notes),
            },
        }


async def matching(
    registry: Registry, pairs: Sequence[tuple[str, str]], *, connection: Connection | None = None
) -> list[Tracked]:
    """Every tracked item whose metadata holds all ``pairs``, of every kind and state."""
    if not pairs:
        raise ValueError("An erase needs at least one key=value pair of metadata.")
    query = Query(meta=tuple(pairs), states=tuple(ItemState), connection=connection)
    items: list[Tracked] = []
    cursor = None
    while True:
        page = await registry.search.page(query, after=cursor, limit=PAGE)
        items += page.items
        cursor = page.next
        if cursor is None:
            return items


async def plan_erase(
    registry: Registry,
    pairs: Sequence[tuple[str, str]],
    api_for: ApiFor,
    *,
    connection: Connection | None = None,
    ignored_words: str = "",
) -> ErasePlan:
    """The plan of erasing every item with all ``pairs`` of metadata (see the module)."""
    items = await matching(registry, pairs, connection=connection)
    sent = [i for i in items if i.state is not ItemState.DELETED]
    local = tuple(i for i in items if i.state is ItemState.DELETED)
    held = await registry.erasure.held([i.pk for i in items])
    deletion = make_plan(sent, api_for, POLICY)
    return ErasePlan(tuple(dict.fromkeys(pairs)), deletion, local, held, ignored_words)


@dataclass(frozen=True, slots=True)
class ItemErased:
    """One item whose local content was erased, and what it held."""

    item: Tracked
    held: Held
    how: str  # "deleted", "already gone" (404), or "deleted before"


@dataclass
class Erased:
    """What an erase did: items erased, items that kept their content (and why)."""

    job: str
    erased: list[ItemErased] = field(default_factory=list)
    kept: list[Outcome] = field(default_factory=list)
    wal_emptied: bool = True
    left: int = 0  # archived messages and versions of erased items still here (always 0)

    @property
    def complete(self) -> bool:
        """True when every item covered was deleted and erased, leaving no copy."""
        return not self.kept and self.wal_emptied and not self.left

    def lines(self) -> list[str]:
        """What happened, in plain sentences (IDs and reasons, never content)."""
        messages = sum(e.held.messages for e in self.erased)
        versions = sum(e.held.versions for e in self.erased)
        out = [
            f"Erased here: {_plural(len(self.erased), 'item')} "
            f"({_plural(messages, 'archived message')}, {_plural(versions, 'older version')})."
        ]
        if self.kept:
            out.append(
                f"Kept, content and all: {_plural(len(self.kept), 'item')}, not deleted on "
                "their servers (erase again once they can be):"
            )
            out += [
                f"  {o.item.id}: {o.result.value}: {clean(o.reason)}" for o in self.kept[:SAMPLES]
            ]
            if len(self.kept) > SAMPLES:
                out.append(f"  … and {len(self.kept) - SAMPLES:,} more")
        if not self.wal_emptied:
            out.append(
                "The registry's write-ahead log could not be emptied yet: another program "
                "reads the registry. It is emptied once that program stops reading; run the "
                "erase again then to be sure."
            )
        if self.left:
            out.append(f"{self.left:,} archived messages were still found after the erase.")
        out.append(f"Receipt: job {self.job}.")
        return out

    def as_json(self, progress: Progress) -> dict[str, Any]:
        """The outcome as one JSON object."""
        return {
            "job": self.job,
            "deleted": [o.item.id for o in progress.outcomes if o.result is Result.DELETED],
            "already_gone": [o.item.id for o in progress.outcomes if o.result is Result.GONE],
            "erased": [
                {
                    "id": e.item.id,
                    "how": e.how,
                    "messages": e.held.messages,
                    "versions": e.held.versions,
                    "title": e.held.title,
                    "notes": e.held.notes,
                }
                for e in self.erased
            ],
            "kept": [
                {"id": o.item.id, "result": o.result.value, "reason": o.reason} for o in self.kept
            ],
            "wal_emptied": self.wal_emptied,
        }


class Erase:
    """Runs an :class:`ErasePlan`: the deletions, then the erase; :meth:`stop` as a deletion's.

    Shaped like :class:`BulkDelete` (``run``, ``stop``, ``stopped``, ``pacer``), so a
    deletion's progress view runs it; :attr:`result` holds what was erased once it ran.
    """

    def __init__(
        self,
        registry: Registry,
        api_for: ApiFor,
        plan: ErasePlan,
        *,
        source: str = "app",
        concurrency: int = CONCURRENCY,
        pacer: Pacer | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.registry = registry
        self.plan = plan
        self.source = source
        self.engine = BulkDelete(
            registry,
            api_for,
            archive=POLICY.archive,
            allow_incomplete=POLICY.allow_incomplete,
            job=new_job(),
            concurrency=concurrency,
            source=source,
            pacer=pacer,
            sleep=sleep,
        )
        self.result: Erased | None = None

    @property
    def pacer(self) -> Pacer:
        """The deletions' pacer (429 waits)."""
        return self.engine.pacer

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self.engine.stopped

    def stop(self) -> None:
        """Send no new delete request; what was deleted is still erased."""
        self.engine.stop()

    async def run(
        self,
        items: Sequence[Tracked] | None = None,
        *,
        confirmed: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Progress:
        """Delete the plan's items on their servers, then erase what is deleted.

        ``items`` are those to send (the plan's, and those it skips, by default); the
        plan's items deleted before are erased whatever ``items`` holds.
        """
        started = time.time()
        send = list(items) if items is not None else self._to_send()
        progress = await self.engine.run(send, confirmed=confirmed, on_progress=on_progress)
        self.result = await self._erase(progress, started)
        return progress

    def _to_send(self) -> list[Tracked]:
        return list(self.plan.deletion.items) + [i for i, _ in self.plan.skipped]

    async def _erase(self, progress: Progress, started: float) -> Erased:
        """Erase the items now deleted; receipts for every item covered."""
        erasure = self.registry.erasure
        result = Erased(job=self.engine.job or new_job())
        how = {o.item.pk: o.result.value for o in progress.outcomes if o.result in GONE}
        gone = [o.item for o in progress.outcomes if o.result in GONE]
        gone += [i for i in self.plan.local if i.pk not in how]
        result.kept = [o for o in progress.outcomes if o.result not in GONE]
        pks = [i.pk for i in gone]
        detail = f"erase by metadata {pairs_text(self.plan.pairs)}, job {result.job}"
        held = await erasure.erase(pks, source=self.source, detail=detail)
        cleared = await erasure.clear_log()
        result.wal_emptied = cleared.wal_emptied
        result.left = await erasure.remaining(pks)
        verified = cleared.at if not result.left else None
        fresh = {i.pk: i for i in await self.registry.get_many(pks)}
        for item in gone:
            item = fresh.get(item.pk, item)
            what = held.get(item.pk, Held())
            said = how.get(item.pk, "deleted before")
            result.erased.append(ItemErased(item, what, said))
            line = _line(
                item,
                ObjectState.DELETED,
                started,
                verified,
                f"on its server: {said}; local content erased: {what.describe()}",
            )
            await self.registry.receipts.kept(result.job, item, KEPT_NOTHING)
            if line is not None:
                await self.registry.receipts.add(
                    result.job, item, [line], kept_locally=KEPT_NOTHING
                )
        for outcome in result.kept:
            state = ObjectState.PLANNED if outcome.result in NOT_SENT else ObjectState.FAILED
            line = _line(
                outcome.item, state, started, None, f"{outcome.result.value}: {outcome.reason}"
            )
            if line is not None:
                await self.registry.receipts.add(
                    result.job, outcome.item, [line], kept_locally=KEPT_EVERYTHING
                )
        return result


def _line(
    item: Tracked, outcome: ObjectState, requested: float, verified: float | None, detail: str
) -> Line | None:
    """The receipt line of the item itself (``None`` for a kind no server holds)."""
    kind = ITSELF.get(item.kind)  # none for an Agents SDK session: a local file, no line
    if kind is None:
        return None
    return Line(ServerObject(kind, item.id), outcome, requested, verified, detail)
