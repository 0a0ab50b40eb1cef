"""A real PostgreSQL server for tests and benchmarks: initdb in a temporary directory.

The server binaries (``initdb``, ``postgres``) are found in ``THREAD_BROWSER_PG_BIN``, then
on ``PATH``, then in Debian's ``/usr/lib/postgresql/<version>/bin`` (``.ci/servers/install``
installs them there). The server listens on 127.0.0.1 only (and a unix socket in its own
directory); TCP connections need the password, the socket trusts. PostgreSQL refuses to
run as root: under root it runs as the ``postgres`` user (or ``nobody``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.kit.ports import spare_port

BIN_ENV = "THREAD_BROWSER_PG_BIN"
DEBIAN = Path("/usr/lib/postgresql")
USER = "tb_owner"
PASSWORD = "pg-Secret-9f3Kq2Lx7Zw"
DATABASE = "app"
START_TIMEOUT = 60.0
BIND_ATTEMPTS = 3


class NoPostgres(RuntimeError):
    """The PostgreSQL server binaries are not on this machine."""


def find_bin() -> Path:
    """The directory holding ``initdb`` and ``postgres``; :class:`NoPostgres` if none does."""
    candidates: list[Path] = []
    if os.environ.get(BIN_ENV):
        candidates.append(Path(os.environ[BIN_ENV]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    if DEBIAN.is_dir():
        versions = [p for p in DEBIAN.iterdir() if p.name.split(".")[0].isdigit()]
        versions.sort(key=lambda p: int(p.name.split(".")[0]), reverse=True)
        candidates += [p / "bin" for p in versions]
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "postgres").exists():
            return directory
    raise NoPostgres(
        f"no PostgreSQL server binaries (initdb, postgres) in ${BIN_ENV}, on PATH or in "
        f"{DEBIAN}/*/bin: run .ci/servers/install or set {BIN_ENV}"
    )


def _runner() -> tuple[int, int] | None:
    """The (uid, gid) to run the server as when this process is root, else ``None``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise NoPostgres("running as root, and no postgres or nobody user to run the server as")


@dataclass
class Postgres:
    """A running server: its URL (with the password), and its socket for trusted setup."""

    process: subprocess.Popen[bytes]
    home: Path
    port: int
    log: Path

    def url(self, password: str = PASSWORD, database: str = DATABASE) -> str:
        """A ``postgresql://`` URL over TCP with ``password``."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    @property
    def socket_url(self) -> str:
        """A URL through the unix socket (trusted: no password)."""
        return f"postgresql://{USER}@/{DATABASE}?host={self.home / 'socket'}&port={self.port}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


def _ready(server: Postgres) -> bool:
    import psycopg

    try:
        with psycopg.connect(server.socket_url, dbname="postgres", connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _start_once(bindir: Path, home: Path, owner: tuple[int, int] | None) -> Postgres:
    port = spare_port()
    log = home / "postgres.log"
    out = log.open("ab")
    user = {"user": owner[0], "group": owner[1]} if owner else {}
    process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(home / "data"),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(home / "socket"),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        **user,  # type: ignore[arg-type]
    )
    out.close()
    server = Postgres(process, home, port, log)
    began = time.monotonic()
    while time.monotonic() - began < START_TIMEOUT:
        if process.poll() is not None:
            break
        if _ready(server):
            return server
        time.sleep(0.05)
    text = log.read_text(errors="replace")[-3000:]
    if process.poll() is None:
        process.kill()
        process.wait()
    raise RuntimeError(f"postgres did not start on port {port}:\n{text}")


def start(bindir: Path | None = None) -> Postgres:
    """initdb a fresh cluster in a temporary directory and start it; a database ``app``."""
    import psycopg

    bindir = bindir or find_bin()
    owner = _runner()
    home = Path(tempfile.mkdtemp(prefix="tb-pg-"))
    (home / "socket").mkdir()
    pwfile = home / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if owner:
        for path in (home, home / "socket", pwfile):
            os.chown(path, *owner)
    user = {"user": owner[0], "group": owner[1]} if owner else {}
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(home / "data"),
            "-U",
            USER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ],
        check=True,
        capture_output=True,
        **user,  # type: ignore[arg-type]
    )
    for attempt in range(1, BIND_ATTEMPTS + 1):
        try:
            server = _start_once(bindir, home, owner)
            break
        except RuntimeError as error:
            if attempt == BIND_ATTEMPTS or "already in use" not in str(error):
                shutil.rmtree(home, ignore_errors=True)
                raise
    with psycopg.connect(server.socket_url, dbname="postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return server


@contextlib.contextmanager
def running() -> Iterator[Postgres]:
    """A server for the duration of the block."""
    server = start()
    try:
        yield server
    finally:
        server.stop()
