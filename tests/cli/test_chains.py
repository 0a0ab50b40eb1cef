"""Response chains through the real CLI: import, list, export, and deletion that leaves forks."""

from __future__ import annotations

import json

from tests.conftest import strict_client

MODEL = "gpt-4o-mini"


def chain(client, length: int, start: str | None = None) -> list[str]:
    made: list[str] = []
    for n in range(length):
        previous = made[-1] if made else start
        extra = {"previous_response_id": previous} if previous else {}
        made.append(client.responses.create(model=MODEL, input=f"step {n}", **extra).id)
    return made


def gone(client, response_id: str) -> bool:
    try:
        client.responses.retrieve(response_id)
    except Exception as exc:
        return "404" in str(exc) or "not found" in str(exc).lower()
    return False


def test_a_chain_imports_lists_and_exports_oldest_first(server, cli, tmp_path) -> None:
    client = strict_client(server.base_url)
    ids = chain(client, 3)
    run = cli(server.base_url)
    done = run("import", "--json", "-", input=f"log: finished {ids[-1]}, earlier {ids[0]}\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["id"], r["result"], r["kind"]) for r in rows] == [
        (ids[-1], "added", "response"),
        (ids[0], "added", "response"),
    ]
    out = tmp_path / "chain.json"
    assert run("export", ids[-1], "--format", "json", "-o", str(out)).returncode == 0
    exported = json.loads(out.read_text())
    text = json.dumps(exported)
    assert text.index("step 0") < text.index("step 1") < text.index("step 2")


def test_deleting_a_chain_leaves_the_part_a_tracked_fork_stands_on(server, cli) -> None:
    client = strict_client(server.base_url)
    ids = chain(client, 4)
    fork = chain(client, 1, start=ids[1])
    run = cli(server.base_url)
    assert run("import", "-", input=f"{ids[-1]} {fork[0]}").returncode == 0
    # the fork stands on ids[1]: the registry learnt it when the import read the fork
    done = run("delete", "--yes", ids[-1])
    assert done.returncode == 0, done.stderr + done.stdout
    assert "deleted response by response" in done.stdout + done.stderr
    assert gone(client, ids[3]) and gone(client, ids[2])
    assert not gone(client, ids[1]) and not gone(client, ids[0])
    listed = {
        r["id"]: r["state"]
        for r in map(json.loads, run("list", "--json", "--state", "all").stdout.splitlines())
    }
    assert listed[ids[-1]] == "deleted" and listed[fork[0]] == "active"


def test_an_older_response_of_a_tracked_chain_is_named_as_part_of_it(server, cli, tmp_path):
    from tui import track

    client = track(strict_client(server.base_url), db=tmp_path / "registry.sqlite3")
    ids = chain(client, 3)
    done = cli(server.base_url)("import", "--json", "-", input=f"{ids[0]} {ids[1]}")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["result"] for r in rows] == ["already tracked", "already tracked"]
    assert all(r["message"] == f"part of the response chain tracked as {ids[2]}" for r in rows)
