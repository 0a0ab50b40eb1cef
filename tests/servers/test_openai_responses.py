"""Every operation against openai-responses' Assistants state, served by the relay."""

from __future__ import annotations

import pytest

from tests.servers import operations as op
from tests.servers.conftest import Target
from tests.servers.counting import Counter
from tests.servers.tally import TALLY

# One worker runs every server test: one of each server per session, started first.
pytestmark = [pytest.mark.xdist_group("servers"), pytest.mark.long]


@pytest.fixture(scope="module")
def target(openai_responses: Target) -> Target:
    """The relay, with an assistant to reply from."""
    with op.direct(openai_responses) as client:
        assistant = client.beta.assistants.create(model="fake-model", name="Echo")
    openai_responses.choice = assistant.id
    return openai_responses


@pytest.fixture
def run(cli, target: Target):
    return cli(target.proxy_url)


def test_import_and_list(target, run) -> None:
    item_id = op.seed(target, 3, "import")
    op.cli_import(target, run, item_id)
    op.cli_list(target, run, item_id)


async def test_open_newest_page(target, registry) -> None:
    item_id = op.seed(target, 5, "open")
    await op.open_newest(target, registry, item_id, 5)


async def test_older_pages_reach_the_first_entry(target, registry) -> None:
    item_id = op.seed(target, op.LONG, "older")
    await op.older_pages(target, registry, item_id)


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_long(target, run, fmt) -> None:
    item_id = op.seed(target, op.LONG, "long")
    op.cli_import(target, run, item_id)
    op.cli_export(target, run, item_id, op.LONG, fmt, "long")


async def test_chat_stream(target, registry) -> None:
    item_id = op.seed(target, 1, "chat")
    await op.chat(target, registry, item_id, background=False)


async def test_create(target, registry) -> None:
    await op.create(target, registry)


async def test_rename(target, registry) -> None:
    await op.rename(target, registry, op.seed(target, 1, "rename"))


async def test_metadata(target, registry) -> None:
    await op.metadata(target, registry, op.seed(target, 1, "metadata"))


def test_delete_long(target, run) -> None:
    item_id = op.seed(target, op.LONG, "delete")
    op.cli_import(target, run, item_id)
    op.cli_delete(target, run, item_id, op.LONG)


def test_track_hook(target, run, db) -> None:
    op.track_hook(target, run, str(db))


def test_migrate_into_llama_stack(target, llama_stack, cli, tmp_path) -> None:
    """Threads here become conversations on llama-stack, every message carried."""
    thread_id = op.seed(target, 12, "migrate")
    config = tmp_path / "config.toml"
    config.write_text(
        f'default = "relay"\n[profiles.relay]\nbase_url = "{target.proxy_url}"\n'
        f'kind = "thread"\n[profiles.llama]\nbase_url = "{llama_stack.proxy_url}"\n'
        'kind = "conversation"\n',
        encoding="utf-8",
    )
    run = cli(target.proxy_url)
    op.cli_import(target, run, thread_id)
    both = Counter()
    name = "openai-responses -> llama-stack"
    with TALLY.operation(name, "migrate", both) as row:
        before = target.counter.count + llama_stack.counter.count
        args = ("--config", str(config), "migrate", "--to-connection", "llama", "--json")
        done = run(*args, thread_id)
        both.seen.extend(["request"] * (target.counter.count + llama_stack.counter.count - before))
        out = op.clean(done)
        row.outcome = f"exit {done.returncode}"
    assert done.returncode == 0, out
    conversation_id = next(
        w.strip('",') for w in done.stdout.split() if w.strip('",').startswith("conv_")
    )
    with op.direct(llama_stack) as client:
        items = client.conversations.items.list(conversation_id, limit=100, order="asc")
    texts = [c.text for i in items.data for c in (i.content or []) if hasattr(c, "text")]
    assert texts == [f"migrate {i}" for i in range(12)], texts
