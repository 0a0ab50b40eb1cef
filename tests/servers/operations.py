"""Every operation of the product, run against a real server; each records a tally row.

Commands the CLI has run through it in a subprocess; the rest (open, older pages, chat,
create, rename, metadata, ``track()``) go through the same adapters and registry calls the
app makes. The assertions are what a user is owed on any server: no traceback, no message
lost, an item deleted only when its archive holds what the server held.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

from openai import OpenAI

from tests.conftest import TEST_KEY
from tests.servers.conftest import Target, api_on
from tests.servers.tally import TALLY
from tui.api.paging import Walk
from tui.model import HistoryPage, Kind, TextDelta, Tracked, Turn, TurnCompleted
from tui.store import Registry

Runner = Callable[..., subprocess.CompletedProcess[str]]
PAGE_BUDGET = 20  # older pages a history of 140 entries may take at most
LONG = 140  # entries of the long history (over one page of 100)


def direct(target: Target) -> OpenAI:
    """An SDK client straight to the server (not counted): for seeding and checking."""
    return OpenAI(api_key=TEST_KEY, base_url=target.direct_url, max_retries=0)


def seed(target: Target, count: int, word: str = "note") -> str:
    """An item on the server holding ``count`` user messages ``"{word} 0"``, ``"{word} 1"``…"""
    texts = [f"{word} {i}" for i in range(count)]
    with direct(target) as client:
        if target.kind is Kind.THREAD:
            thread = client.beta.threads.create(metadata={"seeded": word})
            for text in texts:
                client.beta.threads.messages.create(thread.id, role="user", content=text)
            return thread.id
        conversation = client.conversations.create(metadata={"seeded": word})
        for start in range(0, count, 20):
            items: Any = [
                {"type": "message", "role": "user", "content": text}
                for text in texts[start : start + 20]
            ]
            client.conversations.items.create(conversation.id, items=items)
        return conversation.id


def exists(target: Target, item_id: str) -> bool:
    """True when the server still has the item."""
    import openai

    with direct(target) as client:
        try:
            if target.kind is Kind.THREAD:
                client.beta.threads.retrieve(item_id)
            else:
                client.conversations.retrieve(item_id)
        except openai.NotFoundError:
            return False
    return True


def remote_metadata(target: Target, item_id: str) -> dict[str, str]:
    """The item's metadata as the server holds it."""
    with direct(target) as client:
        if target.kind is Kind.THREAD:
            return dict(client.beta.threads.retrieve(item_id).metadata or {})
        return dict(client.conversations.retrieve(item_id).metadata or {})


def clean(done: subprocess.CompletedProcess[str]) -> str:
    """The command's output; asserts no traceback reached the user."""
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.stdout + done.stderr


def cli_import(target: Target, run: Runner, item_id: str) -> None:
    """``import`` an ID found in free text; it is listed afterwards."""
    with TALLY.operation(target.name, "import", target.counter) as row:
        done = run("import", input=f"log line: created {item_id} today\n")
        out = clean(done)
        assert done.returncode == 0, out
        row.outcome = "imported"
    listed = run("list", "--json")
    assert item_id in clean(listed), listed.stdout


def cli_list(target: Target, run: Runner, item_id: str) -> None:
    """``list`` (all, JSON, search) shows the imported item."""
    with TALLY.operation(target.name, "list", target.counter) as row:
        for args in (("list",), ("list", "--search", item_id)):
            done = run(*args)
            out = clean(done)
            assert done.returncode == 0 and item_id in done.stdout, out
        row.outcome = "listed"


async def tracked(registry: Registry, target: Target, item_id: str) -> Tracked:
    """The item recorded in the registry as the app records an opened one."""
    async with api_on(target) as api:
        remote = await api.retrieve(item_id)
    item, _ = await registry.track_remote(remote, target.connection, source="app")
    return item


async def open_newest(target: Target, registry: Registry, item_id: str, count: int) -> None:
    """Open: the newest page of history, archived as the app archives it."""
    item = await tracked(registry, target, item_id)
    with TALLY.operation(target.name, "open (newest page)", target.counter) as row:
        async with api_on(target) as api:
            page = await api.history(item_id, limit=50)
        await registry.archive.store(item, page.turns, complete=not page.has_older)
        row.outcome = f"{len(page.turns)} entries, older: {page.has_older}"
    assert page.turns, "the newest page is empty"
    assert page.turns[-1].text.endswith(str(count - 1)), page.turns[-1]
    assert page.has_older == (count > 50)


async def older_pages(target: Target, registry: Registry, item_id: str) -> None:
    """Older pages back to the first entry, as the app reads them (a verified walk by 50s):
    all ``LONG`` entries, none twice, bounded, and the end verified."""
    seen: list[str] = []
    with TALLY.operation(target.name, f"older pages ({LONG} entries)", target.counter) as row:
        async with api_on(target) as api:

            async def fetch(cursor: str | None, limit: int) -> HistoryPage:
                return await api.history(item_id, before=cursor, limit=limit)

            async def oldest(limit: int) -> tuple[Turn, ...]:
                return await api.oldest(item_id, limit=limit)

            walk = Walk(fetch, limit=50, oldest=oldest, max_pages=PAGE_BUDGET)
            async for step in walk:
                seen += [t.id for t in step.turns]
        verdict = "verified" if walk.complete else f"in doubt: {walk.doubt}"
        row.outcome = f"{len(seen)} entries read, {len(set(seen))} distinct, {verdict}"
    assert walk.requests <= PAGE_BUDGET
    assert len(seen) == len(set(seen)) == LONG and walk.complete, row.outcome


def cli_export(target: Target, run: Runner, item_id: str, count: int, fmt: str, word: str) -> None:
    """``export``: every message, or a clear "possibly incomplete" note."""
    with TALLY.operation(target.name, f"export {fmt} ({count} entries)", target.counter) as row:
        done = run("export", item_id, "--format", fmt)
        out = clean(done)
        assert done.returncode == 0, out
        if fmt == "json":
            doc = json.loads(done.stdout)
            held, note = len(doc["turns"]), doc.get("note") or ""
        else:
            held = len(set(re.findall(rf"\b{word} (\d+)\b", done.stdout)))
            note = out
        warned = "possibly incomplete" in note.lower()
        said = ", says possibly incomplete" if warned else ""
        row.outcome = f"{held} of {count} messages{said}"
    assert held == count or warned, row.outcome


async def chat(target: Target, registry: Registry, item_id: str, *, background: bool) -> None:
    """Send a message and get the reply (streamed, or a background response polled)."""
    name = "chat (background)" if background else "chat (stream)"
    with TALLY.operation(target.name, name, target.counter) as row:
        async with api_on(target) as api:
            sent = api.send(item_id, "hello there", choice=target.choice, background=background)
            events = [e async for e in sent]
        done = [e.turn for e in events if isinstance(e, TurnCompleted)]
        replies = [turn.text for turn in done if turn.role == "assistant"]
        streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
        row.outcome = f"reply {replies[-1]!r}" if replies else f"no reply ({len(events)} events)"
    assert replies and "Echo: hello there" in replies[-1], events
    assert background or streamed, "nothing was streamed"
    async with api_on(target) as api:
        page = await api.history(item_id, limit=10)
    assert any("Echo: hello there" in t.text for t in page.turns), page.turns


async def create(target: Target, registry: Registry) -> str:
    """Create an item with metadata and a first message; the registry records it."""
    with TALLY.operation(target.name, "create", target.counter) as row:
        async with api_on(target) as api:
            remote = await api.create(metadata={"team": "qa"}, first_message="first words")
        item, added = await registry.track_remote(remote, target.connection, source="app")
        row.outcome = f"created {remote.kind.value}"
    assert added and item.id == remote.id
    assert remote_metadata(target, remote.id).get("team") == "qa"
    async with api_on(target) as api:
        page = await api.history(remote.id, limit=10)
    assert [t.text for t in page.turns] == ["first words"], page.turns
    return remote.id


async def rename(target: Target, registry: Registry, item_id: str) -> None:
    """Rename locally and as ``metadata.title`` on the server, as the app does."""
    item = await tracked(registry, target, item_id)
    with TALLY.operation(target.name, "rename", target.counter) as row:
        async with api_on(target) as api:
            remote = await api.update_metadata(item_id, {**item.metadata, "title": "Renamed"})
        item = await registry.set_metadata(item, remote.metadata, source="app")
        item = await registry.rename(item, "Renamed", source="app")
        row.outcome = f"server title {remote_metadata(target, item_id).get('title')!r}"
    assert item.title == "Renamed"
    assert remote_metadata(target, item_id).get("title") == "Renamed", row.outcome


async def metadata(target: Target, registry: Registry, item_id: str) -> None:
    """Replace the metadata; the server keeps it and the registry shows it."""
    item = await tracked(registry, target, item_id)
    wanted = {"team": "qa", "ticket": "T-14"}
    with TALLY.operation(target.name, "metadata", target.counter) as row:
        async with api_on(target) as api:
            remote = await api.update_metadata(item_id, wanted)
        item = await registry.set_metadata(item, remote.metadata, source="app")
        kept = remote_metadata(target, item_id)
        row.outcome = "kept" if kept == wanted else f"server holds {kept}"
    assert kept == wanted and item.metadata == wanted, row.outcome


def cli_delete(target: Target, run: Runner, item_id: str, count: int) -> None:
    """``delete --yes``: gone from the server only once its archive holds every message."""
    with TALLY.operation(target.name, f"delete --yes ({count} entries)", target.counter) as row:
        done = run("delete", "--yes", item_id)
        out = clean(done)
        gone = not exists(target, item_id)
        row.outcome = f"{'deleted' if gone else 'kept on server'}, exit {done.returncode}"
    archived = run("export", item_id, "--format", "json")
    held = len(json.loads(archived.stdout)["turns"]) if archived.returncode == 0 else 0
    if gone:
        assert held == count, f"deleted with {held} of {count} messages archived: {out}"
    else:
        assert done.returncode != 0 and "incomplete" in out.lower(), out


def track_hook(target: Target, run: Runner, db: str) -> str:
    """``track(client)``: what the user's own code creates is in the registry, readable."""
    from tui.tracking import track

    with TALLY.operation(target.name, "track()", target.counter) as row:
        with track(OpenAI(api_key=TEST_KEY, base_url=target.proxy_url), db=db) as client:
            if target.kind is Kind.THREAD:
                item_id = client.beta.threads.create(
                    messages=[{"role": "user", "content": "from my code"}]
                ).id
            else:
                item_id = client.conversations.create(
                    items=[{"type": "message", "role": "user", "content": "from my code"}]
                ).id
        row.outcome = "tracked"
    listed = run("list", "--json")
    assert item_id in clean(listed) and listed.returncode == 0, listed.stdout
    doctor = run("doctor", "--json")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["healthy"], doctor.stdout
    return item_id
