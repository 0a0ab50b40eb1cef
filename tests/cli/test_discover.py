"""``thread-browser discover`` in a subprocess, against the emulator listing like other servers."""

from __future__ import annotations

import json

from tests.conftest import strict_client

MODEL = "gpt-4o-mini"


def make_completions(client, count: int, start: int = 0) -> list[str]:
    return [
        client.chat.completions.create(
            model=MODEL,
            store=True,
            messages=[{"role": "user", "content": f"question {n}"}],
            metadata={"user_id": f"u{n % 3}"},
        ).id
        for n in range(start, start + count)
    ]


def listed(cli_run, kind: str) -> list[dict]:
    out = cli_run("list", "--kind", kind, "--json", "--limit", "1000")
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_each_list_gets_its_line_and_a_second_run_lists_only_what_is_new(make_server, cli) -> None:
    server = make_server(listing=frozenset({"threads"}))
    client = strict_client(server.base_url)
    made = make_completions(client, 130)
    threads = [client.beta.threads.create(metadata={"title": f"t{n}"}).id for n in range(3)]
    run = cli(server.base_url)

    first = run("discover")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].split() == ["GET", "/chat/completions", "listed", "130", "(130", "new)"]
    assert lines[1].split() == ["GET", "/threads", "listed", "3", "(3", "new)"]
    assert (
        lines[2] == "GET /conversations       not offered: the server has no such list (HTTP 404)"
    )
    assert {i["id"] for i in listed(run, "completion")} == set(made)
    assert {i["id"] for i in listed(run, "thread")} == set(threads)
    assert {i["metadata"]["user_id"] for i in listed(run, "completion")} == {"u0", "u1", "u2"}

    newer = make_completions(client, 2, start=130)
    again = run("discover", "--only", "completions")
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == [
        *("GET", "/chat/completions", "listed", "2", "(2", "new),"),
        *("resumed", "where", "the", "last", "run", "stopped"),
    ]
    assert {i["id"] for i in listed(run, "completion")} == {*made, *newer}


def test_a_rejected_key_is_refused_and_the_exit_status_says_so(make_server, cli) -> None:
    server = make_server(api_keys=frozenset({"only-this-key"}))
    result = cli(server.base_url)("discover", "--only", "completions")
    assert result.returncode == 1
    assert result.stdout.startswith("GET /chat/completions    refused:")
    assert "Traceback" not in result.stderr


def test_a_discovered_completion_opens_exports_and_deletes(make_server, cli) -> None:
    server = make_server()
    client = strict_client(server.base_url)
    [made] = make_completions(client, 1)
    run = cli(server.base_url)
    assert run("discover", "--only", "completions").returncode == 0
    exported = run("export", made, "--format", "json")
    assert exported.returncode == 0, exported.stderr
    body = json.loads(exported.stdout)
    assert body["kind"] == "completion"
    assert [t["role"] for t in body["turns"]] == ["user", "assistant"]
    deleted = run("delete", made, "--yes")
    assert deleted.returncode == 0, deleted.stderr + deleted.stdout
    assert client.chat.completions.list().data == []


def test_listed_responses_are_tracked_as_chains_one_per_newest_response(make_server, cli) -> None:
    server = make_server(listing=frozenset({"responses"}))
    client = strict_client(server.base_url)
    ids: list[str] = []
    for n in range(4):
        extra = {"previous_response_id": ids[-1]} if ids else {}
        ids.append(client.responses.create(model=MODEL, input=f"step {n}", **extra).id)
    fork = client.responses.create(model=MODEL, input="aside", previous_response_id=ids[1]).id
    alone = client.responses.create(model=MODEL, input="alone", metadata={"user_id": "u9"}).id
    run = cli(server.base_url)
    found = run("discover", "--only", "responses")
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["GET", "/responses", "listed", "6", "(3", "new)"]
    chains = {row["id"]: row for row in listed(run, "response")}
    assert set(chains) == {ids[-1], fork, alone}
    assert chains[alone]["metadata"] == {"user_id": "u9"}
    exported = json.loads(run("export", ids[-1], "--format", "json").stdout)
    said = [t for t in exported["turns"] if t["role"] == "user"]
    assert len(said) == 4


def test_an_unreachable_server_stops_the_first_list_and_names_it_once(cli) -> None:
    from tests.kit.ports import spare_port

    result = cli(f"http://127.0.0.1:{spare_port()}/v1")("discover")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("GET /chat/completions    stopped: ")
    assert "reach" in lines[0].lower()
    assert lines[1:] == [
        f"{route:<24} stopped: (the same reason as above)"
        for route in ("GET /threads", "GET /conversations", "GET /responses")
    ]
    assert "Traceback" not in result.stderr
