"""Hostile content through the real commands on a real pseudo-terminal: nothing escapes.

The emulator (its own process) serves a conversation per corpus entry; the real CLI
imports and lists them; the real app opens each one on a pty. The bytes the programs
wrote are searched for the corpus's sequences and controls.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from openai import OpenAI

from tests.bench.server import emulator_process
from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY
from tests.e2e.terminal import COLS, ROWS, Terminal
from tests.hostile import FORBIDDEN, INVALID_UTF8, corpus

# Pieces of the corpus's sequences: any of them in the output means content escaped.
PAYLOADS = (
    b"ZXZpbCBwYXlsb2Fk",  # the OSC 52 clipboard payload
    b"ZXZpbA==",
    b"pwned",  # the window titles
    b"\x1b[5n",  # a status report request
    b"\x1b[?1049h alt",  # the alternate screen, with the corpus's words after it
    b"\x1bP1$r",  # DCS
    b"\x1b_G",  # APC
    b"\x1b]8;;https://evil",  # a hyperlink
    b"\xc2\x9b",  # C1 CSI, UTF-8 encoded
    b"\xc2\x9d",  # C1 OSC
    b"\xe2\x80\xae",  # RIGHT-TO-LEFT OVERRIDE
    b"\xe2\x81\xa6",  # LEFT-TO-RIGHT ISOLATE
    b"\x00",
)


def leaked(output: bytes) -> list[bytes]:
    """The corpus payloads found in ``output``."""
    return [p for p in PAYLOADS if p in output]


def seed(base_url: str) -> list[str]:
    """A conversation per small corpus entry, its title the entry's text."""
    ids = []
    with OpenAI(api_key=TEST_KEY, base_url=base_url, max_retries=0) as sdk:
        for entry in corpus():
            if entry.large:
                continue
            conv = sdk.conversations.create(
                metadata={"title": entry.text[:500]},
                items=[{"type": "message", "role": "user", "content": entry.text}],
            )
            ids.append(conv.id)
    return ids


@pytest.mark.long
def test_cli_and_app_on_a_pty_show_the_corpus_without_its_sequences(tmp_path) -> None:
    with emulator_process("--token-delay-ms", "0") as base_url:
        ids = seed(base_url)
        # a table wide enough for whole titles, whatever an earlier test left in COLUMNS
        env = cli_env(base_url, tmp_path / "registry.sqlite3", TEST_KEY, COLUMNS="200")

        def run(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
            command = [sys.executable, "-m", "tui", *args]
            return subprocess.run(command, input=data, capture_output=True, env=env, timeout=120)

        imported = run("import", "-", data=" ".join(ids).encode())
        assert imported.returncode == 0, imported.stderr
        listed = run("list")
        as_json = run("list", "--json")
        broken = run("import", str(INVALID_UTF8))
        for done in (imported, listed, as_json):
            assert not FORBIDDEN.search((done.stdout + done.stderr).decode())
        for done in (imported, listed, as_json):
            assert not leaked(done.stdout + done.stderr)
        # A title is cleaned where it enters: not even JSON escapes of the sequence remain.
        assert "\x1b]52" not in as_json.stdout.decode("unicode_escape")
        assert json.loads(as_json.stdout.splitlines()[0])["id"] in ids
        assert b"[bold red]not bold[/]" in listed.stdout  # markup shows literally
        assert broken.returncode == 1  # its IDs are not on this server: said per ID
        assert b"Traceback" not in broken.stderr and not leaked(broken.stdout + broken.stderr)
        assert b"thread_abcdefghijklmnopqrstuvwx" in broken.stdout
        assert b"conv_0123456789abcdef0123456789abcdef0123456789abcdef" in broken.stdout
        assert b"run_abcdefghijklmnopqrstuvwx" in broken.stdout  # named as a run ID

        env.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        term = Terminal([sys.executable, "-m", "tui"], env)
        try:
            term.wait_for(f"{len(ids)} tracked", timeout=60)
            for _ in ids:
                term.send("\r")
                term.pump(0.6)
                term.send("j")
            term.wait_for("[bold red]not bold[/]")  # a title, literally
            term.send("q")
            term.pump(2)
        finally:
            term.close()
    raw = bytes(term.raw)
    assert not leaked(raw), leaked(raw)
    ours = re.sub(rb"\x1b\]22;[\w-]*\x07", b"", raw)  # Textual's own: the pointer's shape
    bells = [ours[max(0, m.start() - 40) : m.start() + 1] for m in re.finditer(b"\x07", ours)]
    assert not bells, bells
    assert "Traceback" not in term.text()
