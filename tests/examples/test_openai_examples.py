"""openai-python's own example scripts, run unchanged against the emulator.

Each script in ``tests/data/openai-examples`` (copied byte for byte; see its PROVENANCE.md)
runs in a child process (forked from the zygote, which has imported the SDK) with
``OPENAI_BASE_URL`` at an emulator on 127.0.0.1 that accepts only
``OPENAI_API_KEY=test-key-alpha``, and must exit 0 (and, where it prints a sign that it got
through, print it). ``CATALOGUE`` names every example of the repository: "runs", or the reason
it cannot run against the emulator. Print the table with
``python -m tests.examples.test_openai_examples``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PATIENCE, TEST_KEY, ServerFactory
from tests.kit.zygote import Finished, Zygote

EXAMPLES = Path(__file__).parents[1] / "data" / "openai-examples"
RUNS = "runs"


@dataclass(frozen=True)
class Example:
    """One script of openai-python's ``examples/`` and how it fares against the emulator."""

    path: str  # under the repository's examples/
    verdict: str = RUNS  # "runs", or why it cannot run against the emulator
    shows: str = ""  # a pattern its output holds once it got through (beyond exit 0)


# Why the others cannot run against the emulator.
AUDIO = "the Audio API (speech, transcriptions, translations) is not served"
IMAGES = "the Images API is not served"
REALTIME = "the Realtime API (a WebSocket session) is not served"
WEBSOCKET = "Responses over a WebSocket (responses.connect) is not served: the emulator is HTTP"
AZURE = "talks to a hard-coded Azure OpenAI endpoint (AzureOpenAI ignores OPENAI_BASE_URL)"
BEDROCK = (
    "Amazon Bedrock, not OpenAI: openai.providers.bedrock takes its URL from the AWS region "
    "or AWS_BEDROCK_BASE_URL (never OPENAI_BASE_URL) and signs with AWS credentials "
    "(SigV4, the openai[bedrock] extras, not installed)"
)
MTLS = (
    "needs a client certificate for mutual TLS (OPENAI_MTLS_CERTIFICATE_CHAIN, "
    "OPENAI_MTLS_PRIVATE_KEY); the emulator serves plain HTTP, where the certificate "
    "would never be presented"
)

CATALOGUE: tuple[Example, ...] = (
    # Assistants (from the commit before upstream removed them; see PROVENANCE.md)
    Example("assistant.py", shows=r"Run completed with status: completed\nmessages:"),
    Example("assistant_stream.py", shows=r'"event": "thread\.run\.completed"'),
    Example("assistant_stream_helpers.py", shows=r"Response:"),
    # Responses
    Example("httpx2_client.py"),
    Example("x509_workload_identity.py"),  # OPENAI_AUTH_MODE unset: API-key mode
    Example("x509_workload_identity_async.py"),
    Example(
        "responses/background.py", shows=r"Continuing\.\.\.\n(?s:.*)response\.output_text\.done"
    ),
    Example(
        "responses/background_async.py",
        shows=r"Continuing\.\.\.\n(?s:.*)response\.output_text\.done",
    ),
    Example("responses/background_streaming.py"),
    Example("responses/background_streaming_async.py"),
    Example("responses/streaming.py"),
    Example("responses/structured_outputs.py", shows=r"answer: "),
    Example("responses/streaming_tools.py"),
    Example("responses/structured_outputs_tools.py", shows=r"table name:"),
    Example("responses/multi_agent_streaming.py", shows=r"Coordinator: /root"),
    Example("responses_input_tokens.py", shows=r"input tokens: \d+"),
    # Chat completions
    Example("demo.py", shows=r"headers test -----\nreq_\w+\n"),
    Example("async_demo.py"),
    Example("parsing.py", shows=r"answer: "),
    Example("parsing_stream.py", shows=r"answer: "),
    Example("parsing_tools.py"),
    Example("parsing_tools_stream.py", shows=r"tool_calls\.function\.arguments\.done"),
    # Cannot run against the emulator
    Example("streaming.py", "the legacy Completions API (POST /v1/completions) is not served"),
    Example(
        "module_client.py",
        'sets openai.api_key = "..." and openai.base_url = "https://..." in its code, over '
        "OPENAI_BASE_URL and OPENAI_API_KEY: it calls the placeholder host (UnicodeError: "
        "label empty), never the emulator",
    ),
    Example("audio.py", AUDIO),
    Example("speech_to_text.py", f"{AUDIO}; it also records from a microphone"),
    Example("text_to_speech.py", f"{AUDIO}; it also plays to a speaker"),
    Example("image_stream.py", IMAGES),
    Example("picture.py", IMAGES),
    Example("video.py", "the Videos API is not served"),
    Example(
        "uploads.py",
        "the Uploads API (POST /uploads, parts, complete) is not served; it also needs the "
        "fixture file of generate_file.sh",
    ),
    Example("generate_file.sh", "a shell helper that writes uploads.py's fixture, no API call"),
    Example("realtime/realtime.py", f"{REALTIME}; it also reads messages from stdin"),
    Example("realtime/azure_realtime.py", f"{REALTIME}; {AZURE}, with azure-identity"),
    Example("realtime/push_to_talk_app.py", f"{REALTIME}; a microphone and speaker app"),
    Example("realtime/audio_util.py", "a helper module of push_to_talk_app.py, not a script"),
    Example("responses/websocket.py", WEBSOCKET),
    Example("responses/multi_agent_websocket.py", WEBSOCKET),
    Example("azure.py", f"{AZURE}, with an Azure key"),
    Example("azure_ad.py", f"{AZURE}, with Microsoft Entra ID credentials (azure-identity)"),
    Example("bedrock.py", BEDROCK),
    Example("bedrock_runtime.py", BEDROCK),
    Example("mtls_httpx.py", MTLS),
    Example("mtls_httpx2.py", MTLS),
    Example("mtls_httpx_async.py", MTLS),
    Example("mtls_httpx2_async.py", MTLS),
)
RUNNABLE = [e for e in CATALOGUE if e.verdict == RUNS]


def table() -> str:
    """The catalogue as a Markdown table: each example, and "runs" or why it cannot."""
    rows = ["| example | runs / why not |", "|---|---|"]
    for e in CATALOGUE:
        rows.append(f"| `{e.path}` | {e.verdict} |")
    return "\n".join(rows)


def _env(base_url: str) -> dict[str, str]:
    """This environment without OpenAI settings or proxies, pointed at the emulator."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENAI_") and not k.lower().endswith("_proxy")
    }
    return env | {
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": TEST_KEY,
        "PYTHONIOENCODING": "utf-8",
    }


def run_example(zygote: Zygote, path: Path, base_url: str, cwd: Path) -> Finished:
    """Run one script unchanged, in a child of the zygote (its imports paid once)."""
    done = zygote.run_script(path, _env(base_url), cwd, PATIENCE)
    if done.timed_out:
        raise AssertionError(f"{path.name} still running after {PATIENCE:g} s: {done.output}")
    return done


@pytest.mark.parametrize("example", [pytest.param(e, id=e.path) for e in RUNNABLE])
def test_example_runs_unchanged(
    example: Example, make_server: ServerFactory, zygote: Zygote, tmp_path: Path
) -> None:
    server = make_server(api_keys=frozenset({TEST_KEY}))
    done = run_example(zygote, EXAMPLES / example.path, server.base_url, tmp_path)
    said = f"--- stderr ---\n{done.stderr[-4000:]}\n--- stdout ---\n{done.stdout[-2000:]}"
    assert done.returncode == 0, f"{example.path} exited {done.returncode}\n{said}"
    assert re.search(example.shows, done.stdout), f"{example.path}: no {example.shows!r}\n{said}"


def test_a_script_that_raises_fails_with_its_traceback(zygote: Zygote, tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text("print('before')\nraise RuntimeError('the script failed')\n")
    done = zygote.run_script(script, {}, tmp_path, PATIENCE)
    assert done.returncode == 1 and done.stdout == "before\n"
    assert "RuntimeError: the script failed" in done.stderr


def _git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_copies_are_unchanged_and_catalogued() -> None:
    """Every copied file is byte for byte upstream's, and the catalogue runs exactly those."""
    provenance = (EXAMPLES / "PROVENANCE.md").read_text(encoding="utf-8")
    blobs = dict(
        re.findall(
            r"^\| `([^`]+)` \| `[^`]+` \| `[0-9a-f]+` \| `([0-9a-f]{40})` \|$",
            provenance,
            re.MULTILINE,
        )
    )
    copied = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")}
    assert copied == {e.path for e in RUNNABLE}
    assert set(blobs) == copied | {"LICENSE"}
    changed = [name for name, blob in blobs.items() if _git_blob(EXAMPLES / name) != blob]
    assert not changed, f"differ from upstream: {changed}"
    assert len({e.path for e in CATALOGUE}) == len(CATALOGUE)
    print(table())


if __name__ == "__main__":
    print(table())
