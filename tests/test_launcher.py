"""`python3 dev.py serve`'s launcher (issue 12, line 2): a child that dies is started again,
with backoff, and logged; the API keeps answering while the worker is down, and the launcher
keeps running until it is told to stop."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from tests.processes import ROOT, free_port


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except OSError:  # not listening (yet, or again)
        return 0, {}


def _children(launcher: subprocess.Popen, what: str) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(launcher.pid).children():
        try:
            if what in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def _wait_for(check, seconds: float = 60, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    raise AssertionError(f"not within {seconds} s: {check}")


@pytest.fixture
def launcher(tmp_path):
    port = free_port()
    env = dict(os.environ, PORT=str(port), DEMO_DATA="0", ARQ_QUEUE=f"arq:queue:launcher-{os.getpid()}",
               LAUNCHER_BACKOFF_SECONDS="0.5", LOG_LEVEL="INFO")
    log = open(tmp_path / "launcher.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "core.launcher"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc, f"http://127.0.0.1:{port}", log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    child.kill()
                proc.kill()
        log.close()


def test_a_dead_child_is_started_again_and_the_api_keeps_answering(launcher):
    proc, base, log = launcher
    _wait_for(lambda: _get(f"{base}/healthz")[0] == 200 if _children(proc, "uvicorn") else False, 90)
    worker = _wait_for(lambda: _children(proc, "jobs.worker"))[0]

    worker.kill()  # kill -9
    replacement = _wait_for(lambda: [w for w in _children(proc, "jobs.worker") if w.pid != worker.pid])
    assert proc.poll() is None and replacement
    assert _get(f"{base}/healthz")[0] == 200  # the API was never stopped

    api = _children(proc, "uvicorn")[0]
    api.kill()
    _wait_for(lambda: [a for a in _children(proc, "uvicorn") if a.pid != api.pid])
    _wait_for(lambda: _get(f"{base}/healthz")[0] == 200, 60)
    assert proc.poll() is None
    status, body = _get(f"{base}/readyz")
    assert (status, body["database"], body["redis"]) == (200, "ok", "ok"), body
    _wait_for(lambda: _get(f"{base}/readyz")[1].get("worker") == "ok", 60)

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    log.seek(0)
    restarts = [json.loads(line) for line in log if '"child.restart"' in line]
    assert {r["child"] for r in restarts} == {"worker", "api"}, restarts
