"""``thread-browser export``: from the API, archived on the way; else from the archive."""

from __future__ import annotations

import json
import os
import stat

from tests.conftest import strict_client


def make_thread(base_url: str, turns: int) -> str:
    client = strict_client(base_url)
    thread = client.beta.threads.create(metadata={"title": "Export me"})
    for n in range(turns):
        client.beta.threads.messages.create(thread.id, role="user", content=f"line {n} `x`")
    return thread.id


def test_export_markdown_and_json_then_offline_from_archive(make_server, cli, tmp_path) -> None:
    server = make_server()
    thread_id = make_thread(server.base_url, 130)
    run = cli(server.base_url)

    md = run("export", thread_id)
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Export me")
    assert md.stdout.count("### user") == 130
    assert md.stdout.index("line 0 ") < md.stdout.index("line 129 ")

    out = tmp_path / "t.json"
    js = run("export", thread_id, "--format", "json", "-o", str(out))
    assert js.returncode == 0, js.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    doc = json.loads(out.read_text())
    assert doc["source"] == "api" and len(doc["turns"]) == 130
    assert doc["turns"][0]["parts"][0]["text"] == "line 0 `x`"

    server.stop()
    offline = run("export", thread_id, "--format", "json")
    assert offline.returncode == 0, offline.stderr
    assert "from the local archive (130 messages)" in offline.stderr
    assert "Cannot reach" in offline.stderr
    assert json.loads(offline.stdout)["source"] == "archive"


def test_export_of_a_deleted_item_marks_it_missing(server, cli) -> None:
    thread_id = make_thread(server.base_url, 3)
    run = cli(server.base_url)
    assert run("export", thread_id).returncode == 0
    strict_client(server.base_url).beta.threads.delete(thread_id)
    gone = run("export", thread_id)
    assert gone.returncode == 0
    assert "from the local archive (3 messages)" in gone.stderr and "not found" in gone.stderr
    [row] = map(json.loads, run("list", "--json").stdout.splitlines())
    assert row["state"] == "missing"


def test_export_errors_are_clear(server, cli) -> None:
    run = cli(server.base_url)
    wrong = run("export", "run_zdE51vuY4FlBpEy2dYb3870E")
    assert wrong.returncode == 2 and "run.thread_id" in wrong.stderr
    unknown = run("export", "thread_" + "Z" * 24)
    assert unknown.returncode == 1 and "was not found" in unknown.stderr
    assert "Traceback" not in wrong.stderr + unknown.stderr


def test_the_file_name_chooses_the_format_and_a_file_is_never_replaced_unasked(
    server, cli, tmp_path
) -> None:
    thread_id = make_thread(server.base_url, 2)
    run = cli(server.base_url)
    out = tmp_path / "x.json"
    done = run("export", thread_id, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["turns"][1]["parts"][0]["text"] == "line 1 `x`"
    out.write_text("mine")
    again = run("export", thread_id, "-o", str(out))  # no terminal to ask on: refused
    assert again.returncode == 2 and "--force" in again.stderr
    assert out.read_text() == "mine"
    forced = run("export", thread_id, "-o", str(out), "--force")
    assert forced.returncode == 0 and json.loads(out.read_text())["turns"]
    markdown = tmp_path / "x.md"
    assert run("export", thread_id, "-o", str(markdown)).returncode == 0
    assert markdown.read_text().startswith("# Export me")
