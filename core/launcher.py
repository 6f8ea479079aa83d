"""`python3 dev.py serve` ends here: servers (embedded unless DATABASE_URL / REDIS_URL are
set), migrations, demo data once, then the API (uvicorn) and an arq worker as child processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from core.config import get_settings


def _print_logins(host: str, port: int) -> None:
    from services.demo import DEMO_LOGINS, DEMO_PASSWORD

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
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and api.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.3)


async def _load_demo() -> None:
    from core.db import dispose_engine, get_sessionmaker
    from services.demo import load_demo_data

    async with get_sessionmaker()() as session:
        await load_demo_data(session)
    await dispose_engine()


def serve() -> int:
    from core.embedded import ensure_servers
    from core.migrate import upgrade

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
    children = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "core.asgi:app", "--host", host, "--port", str(port),
                          "--workers", str(web), "--no-access-log", "--ws", "websockets-sansio"], env=env),
        *[subprocess.Popen([sys.executable, "-m", "arq", "jobs.worker.WorkerSettings"], env=env) for _ in range(workers)],
    ]
    _wait_until_up(host, port, children[0])
    _print_logins(host, port)
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop["now"] and all(c.poll() is None for c in children):
            time.sleep(0.5)
    finally:
        for c in children:
            if c.poll() is None:
                c.terminate()
        for c in children:
            try:
                c.wait(timeout=10)
            except subprocess.TimeoutExpired:
                c.kill()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
