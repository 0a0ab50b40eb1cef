"""What a deletion will do, for a person to confirm: counts, connections, samples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tui.api.protocol import ConversationApi
from tui.model import Kind, Tracked
from tui.store import Registry
from tui.text import clean

TYPE_THE_NUMBER_ABOVE = 20  # more items than this: confirming means typing their number
SAMPLES = 5


@dataclass(frozen=True, slots=True)
class Policy:
    """What the user chose: archive first, delete even an archive in doubt, how deep.

    ``deep`` (the default) deletes what an item is made of on the server with it (a
    conversation's items and the responses known to have written into it); ``files``
    also deletes a thread's files and vector stores that nothing else uses.
    """

    archive: bool = True
    allow_incomplete: bool = False
    deep: bool = True
    files: bool = False


@dataclass(frozen=True, slots=True)
class Responses:
    """What the registry knows of the responses that wrote into one conversation."""

    known: int  # recorded by the app's chat or the tracking hook: deleted with it
    asked: int  # user messages in its archive: about one response each


@dataclass(frozen=True, slots=True)
class DeletionPlan:
    """The items a deletion will send, and those it must skip (no credentials here)."""

    items: tuple[Tracked, ...]
    skipped: tuple[tuple[Tracked, str], ...]
    policy: Policy
    # Items whose server time could not be trusted as an age (before 2023, or ahead of
    # this machine's clock), planned or kept: each with when the registry first saw it,
    # the time its age came from instead.
    untrusted_ages: tuple[tuple[Tracked, datetime], ...] = ()
    responses: Mapping[int, Responses] = field(default_factory=dict)  # by item row key

    def planned(self, item: Tracked) -> bool:
        """Whether ``item`` is among those this plan deletes."""
        return any(i.pk == item.pk for i in self.items)

    @property
    def archive(self) -> bool:
        """True when each history is archived before its delete request."""
        return self.policy.archive

    @property
    def in_doubt(self) -> list[Tracked]:
        """Items whose archive is known to be possibly incomplete (a walk said why)."""
        return [i for i in self.items if i.history_doubt]

    @property
    def connections(self) -> list[tuple[str, int]]:
        """Each connection the deletion goes to, with its number of items."""
        return Counter(i.connection.label for i in self.items).most_common()

    @property
    def typed(self) -> bool:
        """True when confirming needs the number of items typed (not a single key)."""
        return len(self.items) > TYPE_THE_NUMBER_ABOVE

    def accepts(self, answer: str) -> bool:
        """Whether ``answer`` confirms this plan."""
        answer = answer.strip().lower()
        if self.typed:
            return answer.replace(",", "") == str(len(self.items))
        return answer in ("y", "yes")

    def question(self) -> str:
        """What to ask."""
        if self.typed:
            return f"Type {len(self.items)} to delete them"
        return "Delete? [y/N]"

    def summary(self) -> list[str]:
        """How many, where, and the first IDs and titles (no markup; titles cleaned)."""
        count = len(self.items)
        noun = "item" if count == 1 else "items"
        out = [f"Delete {count:,} {noun} on the server:"]
        out += [f"  {n:,} on {label}" for label, n in self.connections]
        for item in self.items[:SAMPLES]:
            out.append(f"  - {item.id}  {clean(item.title)[:60]}")
        if count > SAMPLES:
            out.append(f"  … and {count - SAMPLES:,} more")
        return out

    def warning(self) -> str | None:
        """What will be skipped, and why, if anything."""
        if not self.skipped:
            return None
        return (
            f"{len(self.skipped):,} skipped: no credentials here for their connection "
            f"({self.skipped[0][0].connection.label})."
        )

    def lines(self) -> list[str]:
        """The whole plan in plain sentences."""
        out = self.summary()
        if self.archive:
            out.append("Each history is fetched and archived first (readable here afterwards).")
        else:
            out.append("Histories are NOT archived first: what is not archived yet is lost.")
        out += self.coverage()
        out += self.doubts()
        out += self.ages()
        warning = self.warning()
        return out + ([warning] if warning else [])

    def coverage(self) -> list[str]:
        """What the deletion covers on the server besides each item, and how it is checked."""
        if not self.items:
            return []
        if not self.policy.deep:
            return [
                "Only the items themselves are deleted: a conversation's items and the "
                "responses that wrote into it stay on the server, readable by their IDs."
            ]
        out = self._conversations() + self.chains() + self._threads()
        out.append("Each object is fetched again after its delete: only a 404 counts as gone.")
        return out

    def _conversations(self) -> list[str]:
        conversations = [i for i in self.items if i.kind is Kind.CONVERSATION]
        if not conversations:
            return []
        counts = [self.responses.get(i.pk, Responses(0, 0)) for i in conversations]
        known = sum(c.known for c in counts)
        unknown = sum(max(0, c.asked - c.known) for c in counts)
        one = len(conversations) == 1
        noun, its, it = ("conversation", "its", "it") if one else ("conversations", "their", "them")
        if known:
            said = f"and the {known:,} stored responses this registry knows wrote into {it}"
        else:
            said = f"(this registry knows no stored response that wrote into {it})"
        out = [f"{len(conversations):,} {noun}: with {its} items {said}."]
        if unknown:
            out.append(
                f"About {unknown:,} more responses were made where this registry could not "
                "see them: they stay on the server, under its retention."
            )
        return out

    def _threads(self) -> list[str]:
        if not any(i.kind is Kind.THREAD for i in self.items):
            return []
        if self.policy.files:
            return ["Threads: with their files and vector stores that no assistant uses."]
        return ["Threads: their files and vector stores stay (--with-files deletes them)."]

    def chains(self) -> list[str]:
        """What deleting a response chain covers."""
        count = sum(1 for i in self.items if i.kind is Kind.RESPONSE)
        if not count:
            return []
        noun = "response chain" if count == 1 else "response chains"
        return [
            f"{count:,} {noun}: deleted response by response, newest first; one another "
            "tracked chain continues stays, with all before it."
        ]

    def doubts(self) -> list[str]:
        """The items whose archive may be incomplete, why, and what will become of them."""
        doubted = self.in_doubt
        if not doubted or not self.archive:
            return []
        if self.policy.allow_incomplete:
            head = f"{len(doubted):,} may have incomplete archives; deleted anyway (allowed):"
        else:
            head = (
                f"{len(doubted):,} will be kept on the server: their archives may be "
                "incomplete (add --allow-incomplete-archive to delete them anyway):"
            )
        lines = [head]
        lines += [f"  - {i.id}: {clean(i.history_doubt or '')[:160]}" for i in doubted[:SAMPLES]]
        if len(doubted) > SAMPLES:
            lines.append(f"  … and {len(doubted) - SAMPLES:,} more")
        return lines

    def ages(self) -> list[str]:
        """The items whose age the server's time could not give, and what was used."""
        untrusted = self.untrusted_ages
        if not untrusted:
            return []
        noun = "item" if len(untrusted) == 1 else "items"
        lines = [
            f"Could not trust the server's time as the age of {len(untrusted):,} {noun} "
            "(before 2023 or in the future); used when this registry first saw each instead:"
        ]
        lines += [
            f"  - {i.id}: server said {_day(i.last_activity)}, used {_day(seen)}: "
            + ("deleted" if self.planned(i) else "kept (not old enough by that time)")
            for i, seen in untrusted[:SAMPLES]
        ]
        if len(untrusted) > SAMPLES:
            lines.append(f"  … and {len(untrusted) - SAMPLES:,} more")
        return lines


def _day(moment: datetime) -> str:
    """A time as ``YYYY-MM-DD HH:MM UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def responses_of(registry: Registry, items: Sequence[Tracked]) -> dict[int, Responses]:
    """For each conversation of ``items``: the responses known, and its archived asks."""
    pks = [i.pk for i in items if i.kind is Kind.CONVERSATION]
    counts = await registry.deletions.response_counts(pks)
    return {pk: Responses(known, asked) for pk, (known, asked) in counts.items()}


def make_plan(
    items: Sequence[Tracked],
    api_for: Callable[[Tracked], tuple[ConversationApi | None, str]],
    policy: Policy,
    untrusted_ages: Sequence[tuple[Tracked, datetime]] = (),
    responses: Mapping[int, Responses] | None = None,
) -> DeletionPlan:
    """Split ``items`` into those that can be deleted from here and those that cannot.

    ``untrusted_ages`` are the items whose age was not the server's time, with the time
    used instead (see :meth:`tui.store.search.Search.untrusted_ages`).
    """
    ready: list[Tracked] = []
    skipped: list[tuple[Tracked, str]] = []
    for item in items:
        api, why = api_for(item)
        if api is None:
            skipped.append((item, why))
        else:
            ready.append(item)
    return DeletionPlan(
        tuple(ready), tuple(skipped), policy, tuple(untrusted_ages), dict(responses or {})
    )
