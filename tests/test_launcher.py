"""`python3 dev.py serve`'s launcher (issue 12, line 2): a child that dies is started again,
with backoff, and logged; the API keeps answering while the worker is down, and the launcher
keeps running until it is told to stop."""

import json
import signal
import time
import urllib.error
import urllib.request

from tests.processes import children, launched


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except OSError:  # not listening (yet, or again)
        return 0, {}


def wait_for(check, seconds: float = 60, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    raise AssertionError(f"not within {seconds} s: {check}")


def test_a_dead_child_is_started_again_and_the_api_keeps_answering(tmp_path):
    with launched(tmp_path / "launcher.log") as (proc, base):
        worker = wait_for(lambda: children(proc, "jobs.worker"))[0]
        # jobs yield the CPU to requests (WORKER_NICE, 10 by default); the API keeps its priority
        wait_for(lambda: worker.nice() == 10)
        assert children(proc, "uvicorn")[0].nice() == 0

        worker.kill()  # kill -9
        wait_for(lambda: [w for w in children(proc, "jobs.worker") if w.pid != worker.pid])
        assert proc.poll() is None
        assert get(f"{base}/healthz")[0] == 200  # the API was never stopped

        api = children(proc, "uvicorn")[0]
        api.kill()
        wait_for(lambda: [a for a in children(proc, "uvicorn") if a.pid != api.pid])
        wait_for(lambda: get(f"{base}/healthz")[0] == 200)
        assert proc.poll() is None
        status, body = get(f"{base}/readyz")
        assert (status, body["database"], body["redis"]) == (200, "ok", "ok"), body
        wait_for(lambda: get(f"{base}/readyz")[1].get("worker") == "ok")

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    restarts = [json.loads(line) for line in (tmp_path / "launcher.log").read_text().splitlines() if '"child.restart"' in line]
    assert {r["child"] for r in restarts} == {"worker", "api"}, restarts
