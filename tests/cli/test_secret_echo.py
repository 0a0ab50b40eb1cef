"""Secrets the command line must never print or keep, whatever form they take.

The real ``thread-browser`` runs (forked from the zygote) against servers on 127.0.0.1
that echo what they are sent: a key given as a profile name, a key in a variable whose
name says nothing (``AZURE_OPENAI_CRED``), credentials in the base URL, and a key a
server says back without its prefix, elided, or in part.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from openai import OpenAI
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY
from tests.kit.zygote import Finished, Zygote
from tui.emulator import Emulator, EmulatorConfig
from tui.emulator.server import LoopbackServer

THREAD = "thread_" + "Ab3" * 8
QUERY_VERSION = "api-version=2024-10-21"


def fake_key(prefix: str = "sk-proj-testsecret") -> str:
    """An obviously fake key, new for each test."""
    return f"{prefix}{secrets.token_hex(16)}"


def credential(request: Request) -> str:
    """The secret a request carried: its Bearer key, its Basic password, or both."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        return base64.b64decode(value).decode().partition(":")[2]
    return value


class Echo:
    """Answers every request 401, saying back what it was sent in the form chosen."""

    def __init__(self, form: Callable[[str], str] = str) -> None:
        self.form = form

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The 401 with the credentials said back."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        said = [self.form(credential(request))]
        said += [v for values in parse_qs(request.url.query).values() for v in values]
        message = f"Incorrect API key provided: {' and '.join(said)}."
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
        await JSONResponse(body, 401)(scope, receive, send)


class Gate:
    """A proxy's gate in front of the emulator: Basic password and ``?api-key=`` checked."""

    def __init__(self, app: ASGIApp, password: str, query_key: str) -> None:
        self.app = app
        self.password = password
        self.query_key = query_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a request without both credentials; pass the others on with the key."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if (
            credential(request) != self.password
            or request.query_params.get("api-key") != self.query_key
        ):
            body = {"error": {"message": "Proxy authentication failed.", "type": "auth"}}
            await JSONResponse(body, 401)(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
        headers.append((b"authorization", f"Bearer {TEST_KEY}".encode()))
        await self.app(scope | {"headers": headers}, receive, send)


class Run:
    """``thread-browser`` with a private registry and config; every output kept."""

    def __init__(self, zygote: Zygote, tmp_path: Path, base_url: str, **env: str) -> None:
        self.zygote = zygote
        self.db = tmp_path / "registry.sqlite3"
        self.config = tmp_path / "config.toml"
        self.env = cli_env(base_url, self.db, env.pop("key", TEST_KEY), **env)
        self.env["THREAD_BROWSER_CONFIG"] = str(self.config)
        self.config.write_text("")
        self.texts: list[str] = []

    def profile(self, name: str, base_url: str, key_env: str) -> None:
        """Add a profile to the config file."""
        with self.config.open("a") as handle:
            handle.write(f'[profiles.{name}]\nbase_url = "{base_url}"\nkey_env = "{key_env}"\n')

    def __call__(self, *args: str, input: str = "") -> Finished:
        """Run one command."""
        done = self.zygote.run(list(args), self.env, input=input, timeout=60)
        assert not done.timed_out, args
        self.texts.append(done.output)
        return done

    def stored(self) -> bytes:
        """Every byte of the registry and its -wal and -shm files."""
        return b"".join(p.read_bytes() for p in self.db.parent.glob("registry.sqlite3*"))


def leaked(secret: str, texts: list[str], blobs: tuple[bytes, ...] = ()) -> list[str]:
    """The texts (by index) and blobs that hold ``secret`` or a 12-character piece of it."""
    pieces = {secret} | {secret[i : i + 12] for i in range(0, max(1, len(secret) - 11), 4)}
    found = [f"text {n}" for n, text in enumerate(texts) if any(p in text for p in pieces)]
    found += [
        f"blob {n}" for n, blob in enumerate(blobs) if any(p.encode() in blob for p in pieces)
    ]
    return found


# a. A key given as the profile name


COMMANDS = {
    "import": ("import", "--no-verify", "-"),
    "export": ("export", THREAD),
    "delete": ("delete", THREAD, "--yes"),
}


@pytest.mark.parametrize("where", ["OPENAI_API_KEY", "AZURE_OPENAI_CRED", "nowhere"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_key_given_as_the_profile_name_is_never_printed(
    zygote: Zygote, tmp_path: Path, command: str, where: str
) -> None:
    key = fake_key("local-testsecret")
    env = {"key": key} if where == "OPENAI_API_KEY" else {}
    if where == "AZURE_OPENAI_CRED":
        env["AZURE_OPENAI_CRED"] = key
    run = Run(zygote, tmp_path, "http://127.0.0.1:9/v1", **env)
    if where == "AZURE_OPENAI_CRED":
        run.profile("azure", "http://127.0.0.1:9/v1", "AZURE_OPENAI_CRED")
    done = run(*COMMANDS[command], "--profile", key, input=f"{THREAD}\n")
    assert done.returncode != 0 and "No profile" in done.output, done.output
    assert "known profiles" in done.output
    assert not leaked(key, run.texts), done.output


# b. A key in a variable whose name says nothing, and URL credentials, said back


def test_a_key_in_any_variable_said_back_by_the_server_is_redacted(
    zygote: Zygote, tmp_path: Path, serve_asgi: Callable[[ASGIApp], LoopbackServer]
) -> None:
    key = fake_key("azure-testsecret")
    server = serve_asgi(Echo())
    run = Run(zygote, tmp_path, server.base_url, AZURE_OPENAI_CRED=key)
    run.profile("azure", server.base_url, "AZURE_OPENAI_CRED")
    done = run("import", "--profile", "azure", "-", input=f"{THREAD}\n")
    assert done.returncode != 0 and "401" in done.output, done.output
    assert "Incorrect API key provided: [redacted]" in done.output
    assert not leaked(key, run.texts), done.output


def test_url_credentials_said_back_by_the_server_are_redacted(
    zygote: Zygote, tmp_path: Path, serve_asgi: Callable[[ASGIApp], LoopbackServer]
) -> None:
    password, query_key = fake_key("pw-testsecret"), fake_key("qs-testsecret")
    server = serve_asgi(Echo())
    host = server.base_url.removeprefix("http://")
    url = f"http://proxyuser:{password}@{host}?api-key={query_key}&{QUERY_VERSION}"
    run = Run(zygote, tmp_path, url)
    done = run("import", "-", input=f"{THREAD}\n")
    assert done.returncode != 0 and "401" in done.output, done.output
    assert f"{server.base_url}?{QUERY_VERSION}" in done.output
    for secret in (password, query_key):
        assert not leaked(secret, run.texts), done.output


# c, d. Connections are stored and shown without credentials; the client still uses them


@pytest.fixture
def gated(serve_asgi: Callable[[ASGIApp], LoopbackServer]) -> tuple[str, str, str, str]:
    """A gate in front of an emulator holding one thread: URL with credentials, the thread."""
    password, query_key = fake_key("pw-testsecret"), fake_key("qs-testsecret")
    server = serve_asgi(
        Gate(Emulator(EmulatorConfig(token_delay_ms=1)).asgi(), password, query_key)
    )
    host = server.base_url.removeprefix("http://")
    url = f"http://proxyuser:{password}@{host}?api-key={query_key}&{QUERY_VERSION}"
    sdk = OpenAI(
        api_key="unused",
        base_url=f"http://proxyuser:{password}@{host}",
        default_query={"api-key": query_key},
        max_retries=0,
    )
    thread = sdk.beta.threads.create(metadata={"title": "Behind a gate"})
    return url, thread.id, password, query_key


def test_connections_are_stored_and_listed_without_credentials(
    zygote: Zygote, tmp_path: Path, gated: tuple[str, str, str, str]
) -> None:
    url, thread_id, password, query_key = gated
    run = Run(zygote, tmp_path, url)
    done = run("import", "-", input=f"{thread_id}\n")
    assert done.returncode == 0 and "added" in done.stdout, done.output
    assert "Behind a gate" in done.stdout  # verified through the gate: the client had both
    listed = run("list", "--json")
    [row] = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    clean = url.replace(f"proxyuser:{password}@", "").replace(f"api-key={query_key}&", "")
    assert row["connection"]["base_url"] == clean
    exported = run("export", thread_id, "--format", "json")
    assert exported.returncode == 0, exported.output
    for secret in (password, query_key, "proxyuser"):
        assert not leaked(secret, run.texts, (run.stored(),)), run.texts


def test_imports_not_found_line_never_prints_a_query_secret(
    zygote: Zygote, tmp_path: Path, gated: tuple[str, str, str, str]
) -> None:
    url, _, password, query_key = gated
    run = Run(zygote, tmp_path, url)
    done = run("import", "-", input=f"{THREAD}\n")
    assert "not found" in done.stdout, done.output
    for secret in (password, query_key):
        assert not leaked(secret, run.texts, (run.stored(),)), done.output


# e. A key said back without its prefix, elided, or in part


FORMS: dict[str, Callable[[str], str]] = {
    "without sk-": lambda key: key.removeprefix("sk-"),
    "bare": lambda key: key.removeprefix("sk-proj-"),
    "elided": lambda key: f"{key[3:12]}...{key[-4:]}",
    "elided, sk- kept": lambda key: f"sk-{key[8:14]}…{key[-4:]}",
    "a fragment": lambda key: key[12:34],
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_key_said_back_in_any_form_reaches_neither_journal_nor_export(
    zygote: Zygote, tmp_path: Path, serve_asgi: Callable[[ASGIApp], LoopbackServer], form: str
) -> None:
    key = fake_key()
    said = FORMS[form](key)
    server = serve_asgi(Echo(FORMS[form]))
    run = Run(zygote, tmp_path, server.base_url, key=key)
    assert run("import", "--no-verify", "-", input=f"{THREAD}\n").returncode == 0
    out = tmp_path / "export.md"
    exported = run("export", THREAD, "-o", str(out))
    assert "401" in exported.stderr, exported.output
    deleted = run("delete", THREAD, "--yes", "--no-archive", "--json")
    assert deleted.returncode != 0 and "[redacted]" in deleted.stdout, deleted.output
    texts = [*run.texts, out.read_text()]
    assert "rejected the API key" in texts[-1]
    assert said not in "".join(texts), texts
    assert said.encode() not in run.stored()
    assert not leaked(key.removeprefix("sk-proj-"), texts, (run.stored(),)), texts


# g. An unset key variable is named


def test_an_unset_key_variable_is_named(zygote: Zygote, tmp_path: Path) -> None:
    run = Run(zygote, tmp_path, "http://127.0.0.1:9/v1")
    run.profile("work", "http://127.0.0.1:9/v1", "WORK_CRED")
    done = run("import", "--profile", "work", "-", input=f"{THREAD}\n")
    assert done.returncode != 0, done.output
    assert "WORK_CRED is not set" in done.output and "Set WORK_CRED" in done.output
