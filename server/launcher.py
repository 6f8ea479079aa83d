"""`python3 dev.py serve` ends here: servers (embedded unless DATABASE_URL / REDIS_URL are
set), migrations, demo data once, then the API (uvicorn) and arq workers as child processes,
each started again (with backoff, logged) if it dies, until the launcher is told to stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request

from core.config import get_settings
from core.db import dispose_engine, get_sessionmaker
from core.embedded import ensure_servers
from core.logs import configure_logging
from core.migrate import upgrade
from services.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data

log = logging.getLogger("wxfund.launcher")


class Child:
    """One supervised child process. One that exits is started again after a delay that starts
    at LAUNCHER_BACKOFF_SECONDS (1), doubles with each quick death up to 30 s, and starts over
    once the child has run for a minute: a crash loop does not spin, a rare crash costs a second."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], backoff: float):
        self.name, self.argv, self.env = name, argv, env
        self.first_delay = self.delay = backoff
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.due: float | None = None  # when a dead child is started again

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=self.env)
        self.started = time.monotonic()
        log.info("child.start", extra={"child": self.name, "pid": self.proc.pid})

    def tend(self, now: float) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            return
        if self.due is None:
            if now - self.started > 60:
                self.delay = self.first_delay
            self.due = now + self.delay
            log.warning("child.restart", extra={"child": self.name, "pid": self.proc.pid,
                                                "exitCode": self.proc.returncode, "inSeconds": self.delay})
            self.delay = min(self.delay * 2, 30.0)
        elif now >= self.due:
            self.due = None
            self.start()

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def wait(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _print_logins(host: str, port: int) -> None:
    lines = [
        "",
        "维修资金 developer platform is running",
        f"  portal         : http://{host}:{port}/   (built from web/ when Node is installed)",
        f"  GraphiQL / API : http://{host}:{port}/graphql",
        f"  health         : http://{host}:{port}/healthz   ready: /readyz   metrics: /metrics",
        f"  demo logins (password {DEMO_PASSWORD}):",
        *[f"    {username:<16} {role}" for role, username in DEMO_LOGINS],
        '  log in with: mutation { login(username: "demo-developer", password: "%s") { token } }' % DEMO_PASSWORD,
        "  then send the header  Authorization: Bearer <token>",
        "",
    ]
    print("\n".join(lines), flush=True)


def _wait_until_up(host: str, port: int, api: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and api.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.3)


async def _load_demo() -> None:
    async with get_sessionmaker()() as session:
        await load_demo_data(session)
    await dispose_engine()


def serve() -> int:
    configure_logging(get_settings().log_level)
    ensure_servers(get_settings().data_dir)
    get_settings.cache_clear()
    upgrade()
    if os.environ.get("DEMO_DATA", "1") != "0":
        asyncio.run(_load_demo())
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    web = int(os.environ.get("WEB_CONCURRENCY", "1"))
    workers = int(os.environ.get("WORKERS", "1"))
    env = dict(os.environ)
    backoff = float(os.environ.get("LAUNCHER_BACKOFF_SECONDS", "1"))
    api = Child("api", [sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", host, "--port", str(port),
                        "--workers", str(web), "--no-access-log", "--ws", "websockets-sansio",
                        # events are a few hundred bytes: deflating each, for each subscriber, cost more CPU
                        # than it saved bytes (docs/decisions.md, load)
                        "--ws-per-message-deflate", "false"], env, backoff)
    children = [api, *[Child("worker", [sys.executable, "-m", "jobs.worker"], env, backoff) for _ in range(workers)]]
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for child in children:
            child.start()
        _wait_until_up(host, port, api.proc)
        _print_logins(host, port)
        while not stop["now"]:
            now = time.monotonic()
            for child in children:
                child.tend(now)
            time.sleep(0.5)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
