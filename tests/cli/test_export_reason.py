"""``thread-browser export`` from the archive says why the server was not used, in its words.

Each cause is the real one (the key unset, the profile's key variable unset, no profile for
the item's connection, the server's 404), never a generic "no API connection".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import strict_client

TURNS = 3
GENERIC = "no API connection for it"
UNSERVED = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there
WORK_KEY_ENV = "TB_TEST_WORK_KEY"


def make_conversation(base_url: str) -> str:
    """A conversation of ``TURNS`` user messages on the server."""
    client = strict_client(base_url)
    items = [{"type": "message", "role": "user", "content": f"line {n}"} for n in range(TURNS)]
    return client.conversations.create(metadata={"title": "Reason"}, items=items).id  # type: ignore[arg-type]


def profile_file(tmp_path: Path, base_url: str) -> Path:
    """A config file whose one profile serves ``base_url`` with a key in ``WORK_KEY_ENV``."""
    path = tmp_path / "profiles.toml"
    path.write_text(f'[profiles.work]\nbase_url = "{base_url}"\nkey_env = "{WORK_KEY_ENV}"\n')
    return path


@pytest.mark.parametrize("cause", ["key unset", "profile key unset", "no profile", "404"])
def test_export_from_the_archive_names_the_real_cause(
    cause: str, server, cli, tmp_path: Path
) -> None:
    """Archived once through the API, the export then falls back and says exactly why."""
    item_id = make_conversation(server.base_url)
    first = cli(server.base_url)("export", item_id, "--format", "json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["source"] == "api"

    args = ["export", item_id, "--format", "json"]
    if cause == "key unset":
        run = cli(server.base_url, key=None)
        said = [f"No API key for {server.base_url}", "OPENAI_API_KEY is not set"]
    elif cause == "profile key unset":
        run = cli(None)
        args[:0] = ["--config", str(profile_file(tmp_path, server.base_url))]
        said = [f"No API key for {server.base_url}", f"{WORK_KEY_ENV} is not set"]
    elif cause == "no profile":
        run = cli(UNSERVED)
        said = [f"No profile here connects to {server.base_url}, where this item lives"]
    else:
        strict_client(server.base_url).conversations.delete(item_id)
        run = cli(server.base_url)
        said = [f"{item_id} was not found on {server.base_url}"]

    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert f"Exported from the local archive ({TURNS} messages), because: " in done.stderr
    for words in said:
        assert words in done.stderr
    assert GENERIC not in done.stderr and "Traceback" not in done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"] == "archive" and len(doc["turns"]) == TURNS
    assert said[0] in doc["note"]
