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


@contextmanager
def _output(log: Path | None):
    """Where a process's output goes: `log` (a file the test reads), or nowhere."""
    if log is None:
        yield subprocess.DEVNULL
    else:
        with open(log, "w") as out:
            yield out


def start_api(port: int, *, log: Path | None = None, **env: str) -> subprocess.Popen:
    with _output(log) as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-access-log", "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
                                 "--log-level", "warning"],
                                cwd=ROOT, env=_env(**env), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("API did not start")


def start_worker(*, log: Path | None = None, **env: str) -> subprocess.Popen:
    """`python -m jobs.worker`; with `log`, its JSON log lines (LOG_LEVEL in `env`) go there."""
    with _output(log) as out:
        return subprocess.Popen([sys.executable, "-m", "jobs.worker"], cwd=ROOT, env=_env(**env),
                                stdout=out, stderr=subprocess.STDOUT)


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


def children(parent: subprocess.Popen, what: str) -> list:
    """The live child processes of `parent` whose command line contains `what`."""
    import psutil

    found = []
    for child in psutil.Process(parent.pid).children():
        try:
            if what in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


@contextmanager
def launched(log_path: Path, **env: str):
    """`python3 dev.py serve`'s launcher (server/launcher.py) on the test's servers (or those
    `env` names), without demo data, on a free port and a queue of its own; yields (process,
    base URL). Its JSON log goes to `log_path`."""
    import psutil

    port = free_port()
    settings = _env(PORT=str(port), DEMO_DATA="0", LAUNCHER_BACKOFF_SECONDS="0.5", LOG_LEVEL="INFO", **env)
    settings["ARQ_QUEUE"] = f"arq:queue:launcher-{os.getpid()}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "server.launcher"], cwd=ROOT, env=settings, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while not children(proc, "uvicorn") or not _answers(f"http://127.0.0.1:{port}/healthz"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("launcher did not start: " + log_path.read_text()[-2000:])
                time.sleep(0.2)
            yield proc, f"http://127.0.0.1:{port}"
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    for child in psutil.Process(proc.pid).children(recursive=True):
                        child.kill()
                    proc.kill()
                    proc.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False
