"""A real sync server (backend/ on uvicorn) on 127.0.0.1 for tests and benchmarks, in a thread.

SQLite by default; PostgreSQL when given a `database_url` (see `postgres` below for a throwaway
PostgreSQL server made with initdb and pg_ctl in a temporary folder).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from backend.app import create_app
from backend.store import Store


@dataclass
class RunningServer:
    url: str
    store: Store
    data: Path | None
    app: Any

    def requests(self, route: str) -> int:
        """How many requests of `route` (push, pull, …) the server has answered so far."""
        return self.app.state.metrics.requests(route)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def sync_server(
    data: Path,
    *,
    database_url: str | None = None,
    catalog_dir: Path | None = None,
    rate_per_s: float = 10_000.0,
    burst: int = 10_000,
    max_body: int | None = None,
    port: int | None = None,
) -> Iterator[RunningServer]:
    """Start the server, yield its URL and store, stop it (bounded waits both ways)."""
    store = Store(database_url or str(data / "sync.db"), pool_size=8)
    kwargs = {} if max_body is None else {"max_body": max_body}
    app = create_app(store, catalog_dir=catalog_dir, rate_per_s=rate_per_s, burst=burst, **kwargs)
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sync server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", store, None if database_url else data, app)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        store.close()


def postgres_binaries() -> Path | None:
    """The folder of initdb/pg_ctl/postgres, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


@contextlib.contextmanager
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server on 127.0.0.1 in a fresh temporary folder, removed afterwards.

    As root it runs as the `postgres` user (PostgreSQL refuses to run as root); the folder is made
    under the system temporary directory, which that user can reach.
    """
    bins = postgres_binaries()
    if bins is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package: postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="lifeos-pg-"))
    data = folder / "pgdata"
    port = free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run(
            [*prefix, str(bins / "initdb"), "-D", str(data), "-U", "lifeos", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"
        )
        subprocess.run(
            [
                *prefix,
                str(bins / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=90,
        )
        try:
            subprocess.run(
                [str(bins / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lifeos", "sync"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            yield PostgresServer(f"postgresql://lifeos@127.0.0.1:{port}/sync", data, bins, port)
        finally:
            subprocess.run(
                [*prefix, str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
                capture_output=True,
                env=env,
                timeout=60,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class PostgresServer:
    url: str
    data: Path
    bins: Path
    port: int

    def dump(self) -> bytes:
        """`pg_dump` of the sync database: everything a stolen backup would hold."""
        return subprocess.run(
            [str(self.bins / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "lifeos", "sync"],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout

    def files(self) -> bytes:
        """Every byte of the server's data folder (tables, WAL): what a stolen disk would hold."""
        return b"".join(p.read_bytes() for p in sorted(self.data.rglob("*")) if p.is_file())
