"""Terminal injection through the command line: what a hostile server sends never reaches it.

A server that answers with IDs holding path characters and escape codes, titles and error
messages holding window-title (OSC 0/2) and clipboard (OSC 52) writes, a DCS query and a
bidi override, against the real ``thread-browser`` in a child process. The raw output may
hold none of it, and an ID that is not one of its kind is never stored.
"""

from __future__ import annotations

import asyncio
import json

from tests.hostile import leaked
from tests.kit.fixtures import Cli, Served, kit_cli, no_traceback, served, zygote
from tests.kit.misbehave import BUSY
from tests.kit.zygote import Finished
from tui.store import Registry

__all__ = ["kit_cli", "served", "zygote"]


def clean_output(*runs: Finished) -> str:
    """Everything the runs printed, asserted free of terminal control; that text."""
    text = "".join(run.output for run in runs)
    no_traceback(text)
    assert not leaked(text), f"{leaked(text)} reached the terminal: {text[-800:]!r}"
    return text


async def _stored(cli: Cli) -> list[str]:
    async with await Registry.open(cli.db) as reg:
        return [row[0] for row in await reg.fetchall("SELECT id FROM items ORDER BY id")]


def stored(cli: Cli) -> list[str]:
    """The IDs the registry holds."""
    return asyncio.run(_stored(cli))


def refused(text: str, served: Served) -> None:
    """The output names the server and the refused ID, escaped, and says what to do."""
    assert served.base_url in text, text[-800:]
    assert "unusable ID" in text and "/../../etc\\n" in text, text[-800:]
    assert "report the reply" in text, text[-800:]


def test_an_export_never_stores_or_prints_a_hostile_id(kit_cli: Cli, served: Served) -> None:
    served.switch("hostile_ids")
    thread = served.kit.thread.id
    exported = kit_cli("export", thread, "--format", "md")
    listed = kit_cli("list")
    as_json = kit_cli("list", "--json")
    dry = kit_cli("prune", "--older-than", "0d", "--dry-run")
    clean_output(exported, listed, as_json, dry)
    assert exported.returncode != 0
    refused(exported.output, served)
    assert stored(kit_cli) == []


def test_a_delete_never_stores_or_prints_a_hostile_id(kit_cli: Cli, served: Served) -> None:
    served.switch("hostile_ids")
    conversation = served.kit.conversation.id
    deleted = kit_cli("delete", conversation, "--yes")
    listed = kit_cli("list")
    clean_output(deleted, listed)
    assert deleted.returncode != 0
    refused(deleted.output, served)
    assert stored(kit_cli) == [] and served.kit.exists(conversation)


def test_a_migration_never_stores_or_prints_a_hostile_id(kit_cli: Cli, served: Served) -> None:
    asyncio.run(kit_cli.track_seeded())
    before = stored(kit_cli)
    served.kit.hostile_creates = True
    migrated = kit_cli("migrate", served.kit.thread.id)
    listed = kit_cli("list")
    clean_output(migrated, listed)
    assert migrated.returncode != 0
    refused(migrated.output, served)
    assert stored(kit_cli) == before


def test_titles_and_errors_from_the_server_are_clean(kit_cli: Cli, served: Served) -> None:
    served.switch("hostile_text")
    kit = served.kit
    imported = kit_cli("import", "-", input=f"{kit.thread.id}\n{kit.conversation.id}\n")
    listed = kit_cli("list")
    as_json = kit_cli("list", "--json")
    dry = kit_cli("prune", "--older-than", "0d", "--dry-run")
    exported = kit_cli("export", kit.thread.id, "--format", "json")
    exported_md = kit_cli("export", kit.conversation.id, "--format", "md")
    deleted = kit_cli("delete", kit.thread.id, "--yes")
    text = clean_output(imported, listed, as_json, dry, exported, exported_md, deleted)
    assert "kit-title" not in text  # a sequence is dropped whole, not defused
    assert imported.returncode == 0 and sorted(stored(kit_cli)) == sorted(
        [kit.thread.id, kit.conversation.id]
    )
    assert BUSY in deleted.output  # the server's words still reach the user
    turns = json.loads(exported.stdout)["turns"]
    assert turns[0]["role"].startswith("user") and turns[1]["role"].startswith("assistant")


def test_an_import_refuses_an_answer_about_another_item(kit_cli: Cli, served: Served) -> None:
    served.switch("other_id")
    thread = served.kit.thread.id
    imported = kit_cli("import", "--json", "-", input=f"{thread}\n")
    text = clean_output(imported)
    [row] = [json.loads(line) for line in imported.stdout.splitlines() if line.strip()]
    assert row["result"] == "error" and not row["ok"], row
    assert served.base_url in row["message"] and thread in row["message"], row
    assert "asked for" in row["message"] and "report the reply" in text
    assert stored(kit_cli) == []


def test_an_export_refuses_an_answer_about_another_item(kit_cli: Cli, served: Served) -> None:
    served.switch("other_id")
    thread = served.kit.thread.id
    exported = kit_cli("export", thread, "--format", "md")
    clean_output(exported)
    assert exported.returncode != 0
    assert "asked for" in exported.output and thread in exported.output, exported.output
    assert stored(kit_cli) == []
