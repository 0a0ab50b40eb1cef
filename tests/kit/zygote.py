"""Run the real ``thread-browser`` entry point in child processes, without paying its imports.

A zygote process imports :mod:`tui.cli` once (about two seconds) and then forks one child
per command; each child sets its environment and standard streams, calls
:func:`tui.cli.main` exactly as ``python -m tui`` does, and exits. The zygote starts no
thread, so forking it is safe. A child that outlives its timeout is killed. A child can
run a Python script instead (:meth:`Zygote.run_script`), as ``python SCRIPT`` would.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import resource
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

BOOT = "import sys, tests.kit.zygote as z; z.serve(sys.stdin, sys.stdout)"
# What commands import on first use: loaded once here, so no child pays for it.
PRELOAD = (
    "tui.cli",
    "tui.api.client",
    "tui.commands.deleting",
    "tui.commands.doctor",
    "tui.commands.exporting",
    "tui.commands.importing",
    "tui.commands.listing",
    "tui.commands.migrating",
    "tui.ops.exporting",
    "tui.ops.deleting",
    "tui.ops.migrating",
    "tui.ops.importing",
    "tui.store.archive",
    "tui.store.migrations",
    "anyio._backends._asyncio",
    "difflib",
    "tomllib",
    "httpcore2",
    "markdown_it",
    "openai.pagination",
    "openai.resources.beta",
    "openai.resources.conversations",
    "openai.resources.responses",
    "openai.resources.chat",
)


@dataclass(frozen=True)
class Finished:
    """One command's end: exit status, output, time taken, peak memory, and a timeout flag."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    timed_out: bool

    @property
    def output(self) -> str:
        """Standard output and standard error together."""
        return self.stdout + self.stderr


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the command, then exit with its status."""
    os.setpgid(0, 0)
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(request["stdin"], os.O_RDONLY), 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC), 2)
    sys.stdin = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    script = request.get("script")
    sys.argv = [script] if script else ["thread-browser", *request["args"]]
    code = 0
    try:
        if script:  # as ``python SCRIPT`` runs it: its folder first on the path, as __main__
            os.chdir(request["cwd"])
            sys.path.insert(0, os.path.dirname(script))
            runpy.run_path(script, run_name="__main__")
        else:
            from tui.cli import main

            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # as the interpreter ends on an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[int, float, bool]:
    """Wait for the child: (exit status, peak RSS in MB, timed out)."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    timed_out = not ready
    if timed_out:
        os.killpg(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return code, usage.ru_maxrss / 1024, timed_out


async def _exercise() -> None:
    """Use each adapter once on an in-process kit, so the SDK builds its parsers here."""
    import httpx2
    from openai import AsyncOpenAI

    from tests.kit.misbehave import Kit
    from tui.api import adapter_for
    from tui.model import Connection, Kind

    kit = Kit(size=4)
    transport = httpx2.ASGITransport(app=kit)  # type: ignore[arg-type]
    http = httpx2.AsyncClient(transport=transport, base_url="http://kit/v1")
    client = AsyncOpenAI(api_key="warm-up", base_url="http://kit/v1", http_client=http)
    connection = Connection("http://kit/v1")
    for kind, holder in ((Kind.THREAD, kit.thread), (Kind.CONVERSATION, kit.conversation)):
        api = adapter_for(kind, client, connection)
        await api.retrieve(holder.id)
        await api.first_turn(holder.id)
        page = await api.history(holder.id, limit=2)
        await api.enrich(holder.id, page.turns)
        await api.update_metadata(holder.id, {"a": "b"})
        await api.delete(holder.id)
    await client.close()


def serve(commands: IO[str], replies: IO[str]) -> None:
    """The zygote's loop: one JSON request per line in, one JSON reply per line out."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    asyncio.run(_exercise())
    gc.collect()
    gc.freeze()  # children inherit these objects: neither scanned nor copied by the collector
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    replies.write("ready\n")
    replies.flush()
    for line in commands:
        request = json.loads(line)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(request)
        code, rss, timed_out = _wait(pid, request["timeout"])
        reply = {"code": code, "rss": rss, "timed_out": timed_out}
        reply["seconds"] = time.monotonic() - started
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _finished(args: list[str], done: dict[str, Any], out: bytes, err: bytes) -> Finished:
    """A child's end, its output read as text (undecodable bytes replaced)."""
    text = (out.decode(errors="replace"), err.decode(errors="replace"))
    return Finished(args, done["code"], *text, done["seconds"], done["rss"], done["timed_out"])


class Zygote:
    """A client of one zygote process; :meth:`run` runs one command in a fresh child."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, tests.kit.zygote as z; z.serve(sys.stdin, sys.stdout)",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        assert self._proc.stdout is not None
        if self._proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the CLI zygote did not start")

    def run(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        input: str | bytes = "",
        timeout: float = 60.0,
    ) -> Finished:
        """Run ``thread-browser ARGS`` with ``env`` and ``input``; killed after ``timeout``.

        Output is read as text (undecodable bytes replaced); :meth:`run_raw` keeps bytes.
        """
        return _finished(args, *self.run_raw(args, env, input=input, timeout=timeout))

    def run_script(self, script: Path, env: dict[str, str], cwd: Path, timeout: float) -> Finished:
        """Run a Python script unchanged, as ``python SCRIPT`` would, in ``cwd``."""
        extra = {"script": str(script), "cwd": str(cwd)}
        done, out, err = self.run_raw([], env, timeout=timeout, extra=extra)
        text = (out.decode(errors="replace"), err.decode(errors="replace"))
        return Finished(
            [str(script)], done["code"], *text, done["seconds"], done["rss"], done["timed_out"]
        )

    def run_raw(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        input: str | bytes = "",
        timeout: float = 60.0,
        extra: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], bytes, bytes]:
        """Run one command; its reply (code, seconds, rss, timed_out) and raw output."""
        paths = {name: self._file(name) for name in ("stdin", "stdout", "stderr")}
        raw = input.encode("utf-8") if isinstance(input, str) else input
        paths["stdin"].write_bytes(raw)
        request = {"args": args, "env": env, "timeout": timeout, **(extra or {})}
        request.update({name: str(path) for name, path in paths.items()})
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline())
        out, err = (paths[n].read_bytes() for n in ("stdout", "stderr"))
        for path in paths.values():
            path.unlink()
        return reply, out, err

    def _file(self, name: str) -> Path:
        handle, path = tempfile.mkstemp(dir=self.workdir, suffix=f".{name}")
        os.close(handle)
        return Path(path)

    def close(self) -> None:
        """End the zygote."""
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=10)
