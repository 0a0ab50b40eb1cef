"""``thread-browser migrate`` and the sunset, in subprocesses against the emulator."""

from __future__ import annotations

import json

from tests.bench.server import emulator_process
from tests.conftest import TEST_KEY, strict_client


def test_migrate_dry_run_then_for_real_then_a_no_op(server, cli):
    sdk = strict_client(server.base_url)
    thread = sdk.beta.threads.create(metadata={"title": "Keep me"})
    for n in range(45):
        sdk.beta.threads.messages.create(thread.id, role="user", content=f"line {n}")
    run = cli(server.base_url)
    before = set(server.emulator.namespace(TEST_KEY).conversations)

    dry = run("migrate", "--dry-run", "--json", thread.id)
    assert dry.returncode == 0, dry.stderr
    row = json.loads(dry.stdout)
    assert row["result"] == "would migrate" and row["items"] == 45
    assert set(server.emulator.namespace(TEST_KEY).conversations) == before

    done = run("migrate", "--json", thread.id)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["result"] == "migrated" and row["items"] == row["added"] == 45
    conv = server.emulator.namespace(TEST_KEY).conversations[row["conversation"]]
    meta = dict(conv.obj["metadata"])
    assert len(meta.pop("migration_attempt")) == 16
    assert meta == {"title": "Keep me", "migrated_from": thread.id}
    texts = [i["content"][0]["text"] for i in conv.items]
    assert texts == [f"line {n}" for n in range(45)]

    again = run("migrate", thread.id)
    assert again.returncode == 0
    assert f"-> {row['conversation']}: already migrated" in again.stdout
    assert len(conv.items) == 45

    listed = {r["id"]: r for r in map(json.loads, run("list", "--json").stdout.splitlines())}
    assert row["conversation"] in listed

    wrong = run("migrate", row["conversation"])
    assert wrong.returncode == 2 and "is a conversation; migrate carries" in wrong.stderr


def test_a_response_chain_with_a_tool_call_migrates_into_a_conversation(server, cli):
    sdk = strict_client(server.base_url)
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    first = sdk.responses.create(model="gpt-4.1", input="Weather in Lisbon?", tools=[tool])
    [call] = [o for o in first.output if o.type == "function_call"]
    answer = {"type": "function_call_output", "call_id": call.call_id, "output": "21 C, clear"}
    second = sdk.responses.create(
        model="gpt-4.1", input=[answer], previous_response_id=first.id, tools=[tool]
    )
    third = sdk.responses.create(
        model="gpt-4.1", input="And tomorrow?", previous_response_id=second.id
    )
    run = cli(server.base_url)
    assert run("import", "-", input=third.id).returncode == 0
    done = run("migrate", "--json", third.id)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    conv = server.emulator.namespace(TEST_KEY).conversations[row["conversation"]]
    kinds = [i["type"] for i in conv.items]
    assert kinds == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "message",
        "message",
    ]
    assert conv.obj["metadata"]["migrated_from"] == third.id
    said = [i["content"][0]["text"] for i in conv.items if i["type"] == "message"]
    assert said[0] == "Weather in Lisbon?" and said[2] == "And tomorrow?"


def test_a_sunset_server_is_named_once_and_points_to_migrate(cli, tmp_path):
    ids = ["thread_" + c * 24 for c in "ABC"]
    with emulator_process("--sunset") as base_url:
        run = cli(base_url)
        done = run("import", "-", input=" ".join(ids))
        assert done.returncode == 1
        assert done.stdout.count("no longer serves the Assistants API") == 1
        assert done.stdout.count("the same reason as above") == 2
        assert "thread-browser migrate" in done.stdout
        assert "not found" not in done.stdout.lower()
        nothing = run("migrate", ids[0])
        assert nothing.returncode in (1, 2)
        assert "Traceback" not in nothing.stderr
