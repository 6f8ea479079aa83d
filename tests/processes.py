"""Real API and worker processes for tests that cross process boundaries."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # A queue of their own: the test process's in-process worker must not take their jobs.
    env["ARQ_QUEUE"] = f"arq:queue:processes-{os.getpid()}"
    env.update(extra)
    return env


def start_api(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.asgi:app", "--host", "127.0.0.1", "--port", str(port),
                             "--no-access-log", "--ws", "websockets-sansio", "--log-level", "warning"],
                            cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("API did not start")


def start_worker(**env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jobs.worker"], cwd=ROOT, env=_env(**env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running(*procs: subprocess.Popen):
    try:
        yield procs
    finally:
        for p in procs:
            stop(p)
