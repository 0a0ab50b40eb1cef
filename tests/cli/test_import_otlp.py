"""``thread-browser import --from-otlp``: traces in, tracked items with span metadata out."""

from __future__ import annotations

import json

from tests.conftest import strict_client
from tests.ops.test_traces import request, span


def rows(stdout: str) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, stdout.splitlines())}


def test_jsonl_traces_import_with_metadata(server, cli, tmp_path) -> None:
    client = strict_client(server.base_url)
    conv = client.conversations.create(metadata={"title": "From a trace"})
    reply = client.responses.create(model="gpt-4o-mini", input="hi", conversation=conv.id)
    gone = "conv_" + "0" * 48
    traces = tmp_path / "traces.jsonl"
    lines = [
        request(
            span(
                5,
                gen_ai__conversation__id=conv.id,
                gen_ai__response__id=reply.id,
                gen_ai__request__model="gpt-4o-mini",
                gen_ai__usage__output_tokens=7,
                note="\x1b[31m[red]x[/red]",
            )
        ),
        request(span(9, gen_ai__conversation__id=gone)),
    ]
    traces.write_text("\n".join(json.dumps(r) for r in lines) + "\n{oops\n")
    run = cli(server.base_url)
    done = run("import", "--from-otlp", str(traces), "--json")
    assert done.returncode == 1, done.stderr
    got = rows(done.stdout)
    assert list(got) == [conv.id, reply.id, gone]
    assert got[conv.id]["result"] == "added" and got[conv.id]["title"] == "From a trace"
    # a resp_ ID goes through the recognition text does: a wrong kind until response
    # chains are a kind, then added like any other
    assert got[reply.id]["result"] in ("wrong kind", "added")
    assert got[gone]["result"] == "not found"
    assert "line 3: not JSON: skipped" in done.stderr and "Traceback" not in done.stderr
    listed = rows(run("list", "--json").stdout)
    meta = listed[conv.id]["metadata"]
    assert meta["title"] == "From a trace"  # the server's own metadata first
    assert meta["gen_ai.request.model"] == "gpt-4o-mini"
    assert meta["gen_ai.usage.output_tokens"] == "7"
    assert meta["note"] == "[red]x[/red]"  # the escape dropped, the markup kept as text
    assert "gen_ai.conversation.id" not in meta


def test_single_document_without_verifying(cli, tmp_path) -> None:
    conv = "conv_" + "b" * 48
    doc = tmp_path / "collector.json"
    doc.write_text(json.dumps(request(span(1, gen_ai__conversation__id=conv, k="v")), indent=2))
    run = cli("http://127.0.0.1:9/v1")
    done = run("import", "--from-otlp", str(doc), "--no-verify", "--json")
    assert done.returncode == 0, done.stderr
    assert rows(done.stdout)[conv]["result"] == "added"
    assert rows(run("list", "--json").stdout)[conv]["metadata"] == {"k": "v"}
    again = run("import", "--from-otlp", "-", "--no-verify", "--json", input=doc.read_text())
    assert rows(again.stdout)[conv]["result"] == "already tracked"


def test_usage_errors(cli, tmp_path) -> None:
    run = cli("http://127.0.0.1:9/v1")
    both = run("import", "x.txt", "--from-otlp", "y.json")
    assert both.returncode == 2 and "not more" in both.stderr
    missing = run("import", "--from-otlp", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps(request(span(1, k="v"))) + "\n")
    none = run("import", "--from-otlp", str(empty))
    assert none.returncode == 1 and "spans read: 1" in none.stderr
    assert "No IDs found" in none.stderr
