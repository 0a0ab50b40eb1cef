"""A recognisable API key goes through the app, the CLI and the tracking hook, and is then
looked for in every byte they left behind: registry (and its -wal/-shm), data and config
directories, exports, logs, screenshots, captured output, notifications and the clipboard.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import openai
import pyperclip
import pytest
import textual.constants
from openai import AsyncOpenAI, OpenAI

from tests.app.test_browse import settle
from tests.app.test_chat import finished, send, until
from tests.cli.conftest import cli_env
from tests.kit.ports import spare_port
from tui import track
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import AuthFailed, map_error
from tui.app.app import ThreadBrowserApp
from tui.app.launch import make_app
from tui.app.screens.import_dialog import ImportDialog
from tui.app.screens.metadata import MetadataDialog
from tui.app.screens.prompt import PromptDialog
from tui.app.widgets.banner import Banner
from tui.app.widgets.thread_list import ThreadList
from tui.config import load
from tui.model import Connection, Kind
from tui.redact import redact
from tui.store import Registry

SIZE = (110, 32)
SOMEONE_ELSE = "sk-proj-someone-else-entirely-0000000000000000"


def make_key() -> str:
    """A key shaped like a real project key, with a marker no other text holds."""
    return f"sk-proj-TBcanary{secrets.token_hex(16)}Qz7x"


@dataclass
class Canary:
    """A key and every form of it that must never be found."""

    key: str
    where: list[str] = field(default_factory=list)

    def patterns(self) -> dict[str, bytes]:
        """The key, its last 8 characters and its marker, as UTF-8, UTF-16 and base64."""
        forms = {"key": self.key, "last 8": self.key[-8:], "marker": self.key[8:30]}
        found: dict[str, bytes] = {}
        for name, text in forms.items():
            for codec in ("utf-8", "utf-16-le", "utf-16-be"):
                found[f"{name} as {codec}"] = text.encode(codec)
        for shift in range(3):
            encoded = base64.b64encode(b"\0" * shift + self.key.encode())
            found[f"key as base64 (+{shift})"] = encoded[8:-8]
        return found

    def find(self, data: bytes | str) -> list[str]:
        """The names of the forms of the key in ``data``."""
        blob = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        return [name for name, pattern in self.patterns().items() if pattern in blob]

    def scan_files(self, *roots: Path) -> dict[str, list[str]]:
        """Every file under ``roots`` that holds a form of the key, and which forms."""
        hits: dict[str, list[str]] = {}
        for root in roots:
            paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            for path in paths:
                self.where.append(str(path))
                found = self.find(path.read_bytes())
                if found:
                    hits[str(path)] = found
        return hits

    def scan_texts(self, texts: dict[str, Iterable[str]]) -> dict[str, list[str]]:
        """Every named text (notifications, clipboard, output) that holds a form of the key."""
        hits: dict[str, list[str]] = {}
        for name, items in texts.items():
            for n, text in enumerate(items):
                self.where.append(f"{name}[{n}]")
                found = self.find(text)
                if found:
                    hits[f"{name}[{n}]"] = found
        return hits


@dataclass
class Quarantine:
    """A private home for one test: the key in the environment, every log on disk."""

    root: Path
    canary: Canary

    @property
    def key(self) -> str:
        """The key under test."""
        return self.canary.key

    @property
    def db(self) -> Path:
        """The registry file."""
        return self.root / "data" / "registry.sqlite3"

    def dir(self, name: str) -> Path:
        """A subdirectory of the root, created."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def assert_clean(self, texts: dict[str, Iterable[str]] | None = None) -> None:
        """Nothing under the root nor any of ``texts`` holds the key in any form."""
        hits = self.canary.scan_files(self.root)
        hits |= self.canary.scan_texts(texts or {})
        assert not hits, f"the key leaked into: {hits}"
        assert str(self.db) in self.canary.where, "the registry was not scanned"


@pytest.fixture
def quarantine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Quarantine]:
    """The canary key as OPENAI_API_KEY, XDG dirs under tmp, Python and Textual logs on disk."""
    q = Quarantine(tmp_path / "q", Canary(make_key()))
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "THREAD_BROWSER")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_API_KEY", q.key)
    monkeypatch.setenv("THREAD_BROWSER_DB", str(q.db))
    for xdg in ("DATA", "CONFIG", "CACHE", "STATE"):
        monkeypatch.setenv(f"XDG_{xdg}_HOME", str(q.dir(f"xdg-{xdg.lower()}")))
    q.dir("data")
    logs = q.dir("logs")
    monkeypatch.setattr(textual.constants, "LOG_FILE", str(logs / "textual.log"))
    handler = logging.FileHandler(logs / "python.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    parser = logging.getLogger("markdown_it")
    parser_level = parser.level
    parser.setLevel(logging.INFO)  # one line per block rule tried: noise, and slow
    try:
        yield q
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        parser.setLevel(parser_level)
        handler.close()


def closed_port() -> int:
    """A loopback port nothing listens on (nor will: outside the ephemeral range)."""
    return spare_port()


# The scanner itself


def test_the_scanner_finds_a_planted_key(tmp_path: Path) -> None:
    canary = Canary(make_key())
    key = canary.key
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    planted = {
        "plain.txt": f"Authorization: Bearer {key}\n".encode(),
        "nested/tail.log": f"...{key[-8:]}".encode(),
        "nested/deeper/wide.bin": key.encode("utf-16-le"),
        "osc52.txt": b"\x1b]52;c;" + base64.b64encode(f"copied {key}".encode()) + b"\x07",
    }
    for name, data in planted.items():
        (tmp_path / name).write_bytes(data)
    db = tmp_path / "registry.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (f"key={key}",))
    conn.commit()
    (tmp_path / "clean.txt").write_text("sk-…[redacted] and sk-****" + key[-4:])
    hits = canary.scan_files(tmp_path)
    assert set(hits) >= {str(tmp_path / name) for name in planted}
    assert any(path.startswith(str(db)) for path in hits)  # the database or its -wal
    assert str(tmp_path / "clean.txt") not in hits
    conn.close()
    assert canary.scan_texts({"clipboard": ["nothing", f"x{key}x"]}) == {
        "clipboard[1]": ["key as utf-8", "last 8 as utf-8", "marker as utf-8"]
    }
    with pytest.raises(AssertionError, match="the key leaked"):
        Quarantine(tmp_path, canary).assert_clean()
    with pytest.raises(AssertionError, match="the key leaked"):
        Quarantine(tmp_path / "nested" / "deeper", canary).assert_clean()


# Errors that carry the key


async def test_a_key_of_any_shape_that_a_server_masks_is_redacted(make_server) -> None:
    key = "local-" + make_key()[8:]
    server = make_server(api_keys=(SOMEONE_ELSE,))
    connection = Connection(server.base_url)
    api = adapter_for(Kind.THREAD, make_client(connection, key, max_retries=0), connection)
    with pytest.raises(AuthFailed) as caught:
        await api.retrieve("thread_" + "Zy9" * 8)
    message = str(caught.value)
    assert "rejected the API key (401)" in message and "[redacted]" in message
    assert "***" not in message and key[-4:] not in message
    assert not Canary(key).find(message)


def test_a_key_a_server_echoes_whole_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "local-" + make_key()[8:]
    monkeypatch.setenv("OPENAI_API_KEY_WORK", key)
    request = httpx2.Request("GET", "http://127.0.0.1:9/v1/threads/thread_x")
    response = httpx2.Response(
        401, json={"error": {"message": f"Unknown key {key} for this org."}}, request=request
    )
    error = openai.AuthenticationError("401", response=response, body=response.json())
    message = str(map_error(error, Connection("http://127.0.0.1:9/v1")))
    assert "Unknown key [redacted] for this org." in message
    assert not Canary(key).find(message)
    assert (
        redact(f"{key} and Bearer {key}", {"LOCAL_KEY": key}) == "[redacted] and Bearer [redacted]"
    )
    assert redact("plain words stay", {"SOME_TOKEN": "short"}) == "plain words stay"


# The app


def no_clipboard(text: str) -> None:
    raise pyperclip.PyperclipException("no clipboard here")


class Recorder:
    """Notifications and clipboard text, as the app produced them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, system_clipboard: bool = True) -> None:
        self.notes: list[str] = []
        self.clipboard: list[str] = []
        original = ThreadBrowserApp.notify
        recorder = self

        def notify(app: ThreadBrowserApp, message: str, *args: object, **kw: object) -> None:
            recorder.notes.append(f"{kw.get('title', '')}: {message}")
            original(app, message, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(ThreadBrowserApp, "notify", notify)
        if system_clipboard:
            monkeypatch.setattr(pyperclip, "copy", self.clipboard.append)
        else:
            monkeypatch.setattr(pyperclip, "copy", no_clipboard)

    def osc52(self, app: ThreadBrowserApp, monkeypatch: pytest.MonkeyPatch) -> None:
        """Also record what the app would copy through the terminal."""
        monkeypatch.setattr(app, "copy_to_clipboard", self.clipboard.append)


async def open_by_id(pilot: object, item_id: str) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    listing = app.query_one(ThreadList)
    for index in range(listing.count):
        item = listing.source.get(index)
        if item is not None and item.id == item_id:
            listing.cursor = index
            app.main.open_item(item)
            break
    else:
        raise AssertionError(f"{item_id} is not in the list")
    await until(
        lambda: app.main.opened is not None and app.main.opened.id == item_id, "the item to open"
    )
    await settle(pilot)


async def export_to(pilot: object, path: Path) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    app.query_one(ThreadList).focus()
    await pilot.press("e")  # type: ignore[attr-defined]
    assert isinstance(app.screen, PromptDialog)
    app.screen.query_one("#value").value = str(path)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)
    assert path.exists(), f"no export at {path}"


async def paste_into_import(pilot: object, text: str) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press("i")  # type: ignore[attr-defined]
    await until(lambda: isinstance(app.screen, ImportDialog) and app.screen.query("#paste"), "i")
    app.screen.query_one("#paste").text = text
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("escape")  # type: ignore[attr-defined]
    await settle(pilot)


def banner_text(app: ThreadBrowserApp) -> str:
    banner = app.query_one(Banner)
    return str(banner.render()) if banner.has_class("-shown") else ""


def pasted_log(key: str, *ids: str) -> str:
    """Text a user might paste: IDs among lines that also hold the key."""
    return "\n".join(
        [
            f"OPENAI_API_KEY={key}",
            *(f"2026-11-02 INFO created {item_id}" for item_id in ids),
            f"curl -H 'Authorization: Bearer {key}' https://api.openai.com/v1/threads",
        ]
    )


@pytest.mark.long
async def test_the_app_never_writes_or_shows_the_key(
    quarantine: Quarantine, make_server, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    key = quarantine.key
    server = make_server(api_keys=(key,), token_delay_ms=1)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    sdk = track(OpenAI(api_key=key, base_url=server.base_url, max_retries=0), db=quarantine.db)
    thread = sdk.beta.threads.create(
        metadata={"title": "Canary thread"},
        messages=[{"role": "user", "content": "Hello from user code"}],
    )
    assistant = sdk.beta.assistants.create(model="gpt-4.1", name="Helper")
    conv = sdk.conversations.create(metadata={"title": "Canary conversation"})
    loose = OpenAI(api_key=key, base_url=server.base_url, max_retries=0)
    untracked = loose.conversations.create(metadata={"title": "Pasted in"})
    async with await Registry.open(quarantine.db) as reg:
        [item] = await reg.find(thread.id)
        await reg.set_choice(item, assistant.id, source="test")
        [item] = await reg.find(conv.id)
        await reg.set_choice(item, "gpt-4.1", source="test")

    record = Recorder(monkeypatch)
    settings = load()
    app = make_app(str(quarantine.db), settings, settings.profile())
    exports = quarantine.dir("exports")
    shots = quarantine.dir("screenshots")
    async with app.run_test(size=SIZE) as pilot:
        record.osc52(app, monkeypatch)
        await settle(pilot)
        assert banner_text(app) == ""
        for item_id in (thread.id, conv.id):
            await open_by_id(pilot, item_id)
            await send(pilot, f"Hello from the app about {item_id}")
            await until(lambda: finished(app), "the reply", timeout=30)
            await settle(pilot)
            await export_to(pilot, exports / f"{item_id}.md")
            await export_to(pilot, exports / f"{item_id}.json")
            app.query_one(ThreadList).focus()
            await pilot.press("Y")
            await settle(pilot)
            await pilot.press("y")
            app.save_screenshot(filename=f"{item_id}.svg", path=str(shots))
        await pilot.press("m")
        await until(lambda: isinstance(app.screen, MetadataDialog), "the metadata dialog")
        app.screen.query_one("#editor").text = "title = Canary conversation\nuser_id = u-1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await paste_into_import(pilot, pasted_log(key, untracked.id, "run_" + "Ab1" * 8))
        app.save_screenshot(filename="after-import.svg", path=str(shots))
        banner = banner_text(app)
        assert app.query_one(ThreadList).count == 3
    out, err = capfd.readouterr()

    exported = (exports / f"{thread.id}.md").read_text()
    assert thread.id in exported and "Hello from the app" in exported
    assert any(thread.id in text for text in record.clipboard)
    assert any("Exported" in note for note in record.notes)
    stored = b"".join(p.read_bytes() for p in quarantine.db.parent.glob("registry.sqlite3*"))
    assert thread.id.encode() in stored and untracked.id.encode() in stored
    assert "Canary" in (shots / f"{thread.id}.svg").read_text()
    assert (quarantine.root / "logs" / "textual.log").stat().st_size > 0
    assert "HTTP Request" in (quarantine.root / "logs" / "python.log").read_text()
    quarantine.assert_clean(
        {
            "notification": record.notes,
            "clipboard": record.clipboard,
            "banner": [banner],
            "stdout": [out],
            "stderr": [err],
        }
    )


async def test_a_rejected_key_is_named_but_never_shown(
    quarantine: Quarantine, make_server, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    server = make_server(api_keys=(SOMEONE_ELSE,))
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    thread_id = "thread_" + "Zy9" * 8
    async with await Registry.open(quarantine.db) as reg:
        await reg.track(thread_id, Kind.THREAD, Connection(server.base_url), source="test")

    record = Recorder(monkeypatch, system_clipboard=False)
    settings = load()
    app = make_app(str(quarantine.db), settings, settings.profile())
    exports = quarantine.dir("exports")
    async with app.run_test(size=SIZE) as pilot:
        record.osc52(app, monkeypatch)
        await settle(pilot)
        await until(lambda: banner_text(app), "the banner")
        banner = banner_text(app)
        await export_to(pilot, exports / "rejected.md")
        await pilot.press("Y")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await paste_into_import(pilot, pasted_log(quarantine.key, "conv_" + "ab12" * 12))
        app.save_screenshot(filename="rejected.svg", path=str(quarantine.dir("screenshots")))
    out, err = capfd.readouterr()

    assert "rejected the API key (401)" in banner and "[redacted]" in banner
    assert "*" * 8 not in banner
    note = (exports / "rejected.md").read_text()
    assert "rejected the API key (401)" in note and "[redacted]" in note
    assert any("401" in note for note in record.notes)
    assert any("terminal clipboard" in note for note in record.notes)
    assert any(thread_id in text and "[redacted]" in text for text in record.clipboard)
    quarantine.assert_clean(
        {
            "notification": record.notes,
            "clipboard": record.clipboard,
            "banner": [banner],
            "stdout": [out],
            "stderr": [err],
        }
    )


# The command line


@dataclass
class Cli:
    """Runs ``thread-browser`` in a subprocess and keeps everything it printed."""

    quarantine: Quarantine
    outputs: dict[str, list[str]] = field(default_factory=lambda: {"stdout": [], "stderr": []})

    def __call__(
        self, base_url: str, *args: str, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        q = self.quarantine
        env = cli_env(base_url, q.db, q.key, OPENAI_LOG="debug")
        for xdg in ("DATA", "CONFIG", "CACHE", "STATE"):
            env[f"XDG_{xdg}_HOME"] = str(q.dir(f"xdg-{xdg.lower()}"))
        done = subprocess.run(
            [sys.executable, "-m", "tui", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=q.dir("cwd"),
        )
        self.outputs["stdout"].append(done.stdout)
        self.outputs["stderr"].append(done.stderr)
        return done


@pytest.mark.long
def test_the_cli_never_writes_or_prints_the_key(quarantine: Quarantine, make_server) -> None:
    key = quarantine.key
    server = make_server(api_keys=(key,))
    sdk = OpenAI(api_key=key, base_url=server.base_url, max_retries=0)
    thread = sdk.beta.threads.create(
        metadata={"title": "Canary thread"},
        messages=[{"role": "user", "content": "Hello from user code"}],
    )
    sdk.beta.threads.messages.create(thread.id, role="user", content="and once more")
    conv = sdk.conversations.create(metadata={"title": "Canary conversation"})
    run = Cli(quarantine)
    url = server.base_url
    exports = quarantine.dir("exports")

    imported = run(
        url, "import", "-", input=pasted_log(key, thread.id, conv.id, "run_" + "x1" * 12)
    )
    assert "added" in imported.stdout and "wrong kind" in imported.stdout
    assert thread.id in run(url, "list", "--json").stdout
    md = run(url, "export", thread.id)
    assert md.returncode == 0 and "and once more" in md.stdout
    out = exports / "thread.json"
    assert run(url, "export", thread.id, "--format", "json", "-o", str(out)).returncode == 0
    migrated = run(url, "migrate", thread.id, "--json")
    assert migrated.returncode == 0, migrated.stderr
    deleted = run(url, "delete", conv.id, "--yes")
    assert deleted.returncode == 0, deleted.stderr

    rejecting = make_server(api_keys=(SOMEONE_ELSE,)).base_url
    refused = run(rejecting, "import", "-", input=f"{thread.id}\n")
    assert refused.returncode != 0 and "401" in refused.stdout + refused.stderr
    assert "[redacted]" in refused.stdout + refused.stderr
    run(rejecting, "import", "--no-verify", "-", input=f"{thread.id}\n")
    fallback = run(rejecting, "export", thread.id, "-o", str(exports / "archived.md"))
    assert "401" in fallback.stderr and "[redacted]" in fallback.stderr
    assert "rejected the API key" in (exports / "archived.md").read_text()

    offline = f"http://127.0.0.1:{closed_port()}/v1"
    unreachable = run(offline, "import", "-", input=f"{conv.id}\n")
    assert "Cannot reach" in unreachable.stdout + unreachable.stderr
    run(offline, "export", thread.id, "--format", "json")

    assert any("HTTP Request" in err for err in run.outputs["stderr"])  # OPENAI_LOG=debug
    stored = b"".join(p.read_bytes() for p in quarantine.db.parent.glob("registry.sqlite3*"))
    assert thread.id.encode() in stored
    quarantine.assert_clean(run.outputs)


# The tracking hook


def test_the_tracking_hook_never_records_or_logs_the_key(
    quarantine: Quarantine, make_server, capfd
) -> None:
    key = quarantine.key
    server = make_server(api_keys=(key,))
    client = track(OpenAI(api_key=key, base_url=server.base_url, max_retries=0), db=quarantine.db)
    thread = client.beta.threads.create(
        metadata={"title": "tracked"}, messages=[{"role": "user", "content": "first words"}]
    )
    client.beta.threads.messages.create(thread.id, role="user", content="more words")
    assistant = client.beta.assistants.create(model="gpt-4.1", name="Helper")
    with client.beta.threads.create_and_run(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "streamed"}]},
        stream=True,
    ) as events:
        for _ in events:
            pass
    conv = client.conversations.create(items=[{"role": "user", "content": "conv words"}])
    for _ in client.responses.create(
        model="gpt-4.1", conversation=conv.id, input="hello", stream=True
    ):
        pass
    client.conversations.delete(conv.id)

    async def async_calls() -> None:
        aclient = track(
            AsyncOpenAI(api_key=key, base_url=server.base_url, max_retries=0), db=quarantine.db
        )
        aconv = await aclient.conversations.create(metadata={"title": "async"})
        await aclient.responses.create(model="gpt-4.1", conversation=aconv.id, input="hi")
        await aclient.close()

    asyncio.run(async_calls())

    rejecting = make_server(api_keys=(SOMEONE_ELSE,))
    refused = track(
        OpenAI(api_key=key, base_url=rejecting.base_url, max_retries=0), db=quarantine.db
    )
    with pytest.raises(openai.AuthenticationError):
        refused.conversations.create()

    unwritable = quarantine.dir("not-a-file.sqlite3")
    broken = track(OpenAI(api_key=key, base_url=server.base_url, max_retries=0), db=unwritable)
    broken.conversations.create(metadata={"title": "not recorded"})
    out, err = capfd.readouterr()

    log = (quarantine.root / "logs" / "python.log").read_text()
    assert "tracking skipped" in log
    stored = b"".join(p.read_bytes() for p in quarantine.db.parent.glob("registry.sqlite3*"))
    assert thread.id.encode() in stored and conv.id.encode() in stored
    quarantine.assert_clean({"stdout": [out], "stderr": [err]})


# Secrets in use: every configured key and URL credential, in any form


def test_every_configured_key_is_redacted_whatever_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    azure, work = "azure-testsecret" + secrets.token_hex(12), "wk" + secrets.token_hex(12)
    monkeypatch.setenv("AZURE_OPENAI_CRED", azure)
    monkeypatch.setenv("WORK_PASSPHRASE", work)
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.azure]\nkey_env = "AZURE_OPENAI_CRED"\n'
        '[profiles.work]\nkey_env = "WORK_PASSPHRASE"\n'
    )
    load(config)
    said = redact(f"Unknown key {azure}; also {work}.")
    assert said == "Unknown key [redacted]; also [redacted].", said


def test_a_key_in_use_is_redacted_in_any_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-proj-testsecret" + secrets.token_hex(16)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setattr("tui.config.default_config_path", lambda: tmp_path / "none.toml")
    load()
    forms = {
        "whole": key,
        "without sk-": key.removeprefix("sk-"),
        "bare": key.removeprefix("sk-proj-"),
        "elided": f"{key[3:12]}...{key[-4:]}",
        "elided with …": f"sk-{key[8:14]}…{key[-4:]}",
        "elided, ends only": f"…{key[-5:]}",
        "a fragment": key[14:30],
        "inside a word": f"x{key[20:40]}y",
        "masked": f"{key[:5]}********{key[-4:]}",
    }
    for name, form in forms.items():
        said = redact(f"Incorrect API key provided: {form}.")
        assert said == "Incorrect API key provided: [redacted].", (name, said)
    for plain in ("thread_Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3", "wait... 1234 more", "etc...and so on"):
        assert redact(plain) == plain


def test_url_credentials_are_secrets_in_use() -> None:
    password, query = "pw-testsecret" + secrets.token_hex(8), "qs-" + secrets.token_hex(8)
    url = f"https://proxyuser:{password}@host.test/v1?api-key={query}&api-version=2024-10-21"
    assert Connection(url).base_url == "https://host.test/v1?api-version=2024-10-21"
    said = redact(f"bad password {password} and key {query}")
    assert said == "bad password [redacted] and key [redacted]", said
    assert (
        redact("GET http://u:p@h.test/v1/threads?sig=abc&x=1&token=t")
        == "GET http://[redacted]@h.test/v1/threads?sig=[redacted]&x=1&token=[redacted]"
    )
