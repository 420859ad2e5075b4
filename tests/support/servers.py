"""Real servers the tests start themselves: redis-server and PostgreSQL on free ports."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_binary(name: str, package: str, required: bool = False) -> str:
    """The path of a server binary; a missing one fails the run in CI (or when `required`)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/usr/local/bin")
    if path is None:
        message = (
            f"{name} is not installed (Debian package {package}); the test command installs it"
        )
        if required or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


class RedisServer:
    """A throwaway redis-server; stop() and start() again keep the same port."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        self.binary = require_binary("redis-server", "redis-server")
        self.directory = directory
        self.persistent = persistent  # an append-only file, as in production: data survives
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.persistent else "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(b"FLUSHALL\r\n")
            conn.recv(16)


def _postgres_binary(name: str) -> str:
    """A PostgreSQL server program: on PATH, or in Debian's versioned directory."""
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)),
        None,
    )
    if found is None:  # asked for by name, PostgreSQL must be there
        asked = os.environ.get("LINKAGE_TEST_DATABASE") == "postgresql"
        found = require_binary(name, "postgresql", required=asked)
    return found


CLUSTER_PREFIX = "linkage-pg-"
ABANDONED_AFTER = 600  # seconds: far longer than initdb and a start take


def remove_abandoned_clusters() -> None:
    """Remove clusters a killed run left behind: no live postmaster, and not just being made.

    A running server dies with its test process (parent-death signal); its directory stays until
    this sweep at the next run. Clusters of other runs still going are left alone.
    """
    for directory in Path(tempfile.gettempdir()).glob(f"{CLUSTER_PREFIX}*"):
        try:
            if time.time() - directory.stat().st_mtime < ABANDONED_AFTER:
                continue
            if _postmaster_alive(directory / "data" / "postmaster.pid"):
                continue
        except OSError:
            continue
        shutil.rmtree(directory, ignore_errors=True)


def _postmaster_alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PostgresServer:
    """A throwaway PostgreSQL cluster: initdb in a temporary directory, a free port, removed after.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user that
    Debian's package creates. setpriv switches user and then becomes the server itself (runuser
    would stay in between and ignore the SIGINT that stops it), and it arms a parent-death
    signal: if the test process is killed outright, PostgreSQL shuts down instead of living on.
    """

    def __init__(self) -> None:
        self.initdb = _postgres_binary("initdb")
        self.postgres = _postgres_binary("postgres")
        self.pg_isready = _postgres_binary("pg_isready")
        remove_abandoned_clusters()
        self.directory = Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as = ["setpriv", "--pdeathsig=INT"]
        if os.geteuid() == 0:
            self._run_as += ["--reuid=postgres", "--regid=postgres", "--init-groups"]
            shutil.chown(self.directory, user="postgres")
        self._run_as.append("--")
        self._databases = itertools.count(1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://linkage@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        data = self.directory / "data"
        if not data.exists():
            subprocess.run(
                [
                    *self._run_as,
                    self.initdb,
                    "-D",
                    str(data),
                    "-U",
                    "linkage",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        self.process = subprocess.Popen(
            [
                *self._run_as,
                self.postgres,
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.directory),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "postgres.log", "ab"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "postgres.log").read_text(errors="replace")
                raise RuntimeError(f"postgres stopped at start:\n{log[-2000:]}")
            if self._accepts_queries():
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not start on port {self.port}")

    def _accepts_queries(self) -> bool:
        ready = subprocess.run(
            [self.pg_isready, "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "linkage"],
            check=False,
        )
        return ready.returncode == 0

    async def _execute(self, statement: str) -> None:
        connection = await asyncpg.connect(
            user="linkage", host="127.0.0.1", port=self.port, database="postgres", timeout=2
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def create_database(self, template: str = "template1") -> str:
        """A new database, a copy of `template` (empty by default); returns its URL."""
        name = f"test_{next(self._databases)}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
