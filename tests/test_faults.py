"""Faults under traffic (issue 12): Redis down for six seconds and PostgreSQL restarted while
imports run and a client keeps asking, all through `python3 dev.py serve`'s launcher on servers
these tests own (tests/faults.py). Afterwards nothing is lost or half-written, every answer the
client got was a JSON answer with a code from errors.md, and the service recovered by itself:
the same worker goes on, /readyz said what was missing and then that all is well."""

import asyncio
import json
import time

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.errors import AppError
from core.ids import decode_id
from models import ApplicationHouse, Building, House, Job
from tests.factories import make_bank, make_org
from tests.faults import Postgres, Redis
from tests.processes import children, launched
from tests.sheets import grid
from tests.test_multiprocess import _queue_import, login_http

# Fast liveness, so a lost job is noticed in seconds (services/jobs.py Liveness).
FAST = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_STALE_SECONDS": "3", "JOB_SWEEP_SECONDS": "1"}


def _codes(cls=AppError) -> set[str]:
    """The codes of errors.md, as core/errors.py states them (one exception type a code)."""
    return {cls.code}.union(*(_codes(sub) for sub in cls.__subclasses__()))


CODES = _codes()
JOB = "query($id: ID!) { job(id: $id) { status message } }"


class Traffic:
    """A client asking every 50 ms until stopped; each answer is recorded as "ok", the codes of
    its errors, or what went wrong with it (no answer, not JSON, an error without a code)."""

    def __init__(self, client: httpx.AsyncClient, base: str, token: str):
        self.client, self.base, self.token = client, base, token
        self.outcomes: list[str] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            try:
                r = await self.client.post(f"{self.base}/graphql", json={"query": "query Traffic { me { username } }"},
                                           headers={"Authorization": f"Bearer {self.token}"}, timeout=15)
                body = r.json()
                if body.get("errors"):
                    self.outcomes.append(",".join(e.get("extensions", {}).get("code") or "UNCODED" for e in body["errors"]))
                else:
                    self.outcomes.append("ok" if body["data"]["me"] else "no user")
            except Exception as exc:  # what a client must never see
                self.outcomes.append(f"broken: {type(exc).__name__}")
            await asyncio.sleep(0.05)

    def __enter__(self):
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc):
        self._task.cancel()

    def check(self) -> None:
        from collections import Counter

        print("traffic:", dict(Counter(self.outcomes)))  # shown with -s (docs/reliability.md)
        bad = [o for o in self.outcomes if o != "ok" and not set(o.split(",")) <= CODES]
        assert not bad, bad
        assert self.outcomes[-1] == "ok", self.outcomes[-20:]


async def _wait_jobs(client, base, token, jobs: list[str], seconds: float = 150) -> dict[str, dict]:
    """Each job's last state once all have ended (answers with errors, during a fault, are skipped)."""
    done: dict[str, dict] = {}
    deadline = time.monotonic() + seconds
    while len(done) < len(jobs):
        assert time.monotonic() < deadline, done
        for job in jobs:
            if job in done:
                continue
            try:
                r = await client.post(f"{base}/graphql", json={"query": JOB, "variables": {"id": job}},
                                      headers={"Authorization": f"Bearer {token}"}, timeout=15)
                state = (r.json().get("data") or {}).get("job")
            except (httpx.HTTPError, json.JSONDecodeError):
                state = None
            if state and state["status"] in ("SUCCEEDED", "FAILED"):
                done[job] = state
        await asyncio.sleep(0.2)
    return done


async def _ready(client, base) -> tuple[int, dict]:
    r = await client.get(f"{base}/readyz", timeout=15)
    return r.status_code, r.json()


async def _until(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not (value := await check()):
        assert time.monotonic() < deadline, check
        await asyncio.sleep(0.1)
    return value


async def _houses(session, app_gid: str) -> tuple[int, int, int]:
    """The draft's houses, its house rows and its buildings."""
    app_id = decode_id(app_gid, "Application")
    count = lambda model: select(func.count()).select_from(model).where(model.application_id == app_id)  # noqa: E731
    return (await session.scalar(count(House)), await session.scalar(count(ApplicationHouse)),
            await session.scalar(count(Building)))


async def test_redis_down_six_seconds_under_traffic(session, tmp_path):
    await make_bank(session)
    org = await make_org(session)
    redis = Redis()
    try:
        with launched(tmp_path / "launcher.log", REDIS_URL=redis.url, **FAST) as (proc, base):
            worker = children(proc, "jobs.worker")[0]
            async with httpx.AsyncClient(timeout=30) as client:
                token = await login_http(client, base, org.admin_username)
                imports = [await _queue_import(client, base, token, grid(f"{i + 1}栋", 40, 30)) for i in range(3)]
                with Traffic(client, base, token) as traffic:
                    await asyncio.sleep(0.5)
                    redis.stop()
                    down = time.monotonic()
                    status, body = await _until(lambda: _ready_when(client, base, lambda s, b: s == 503))
                    assert body["redis"].startswith("error") and body["database"] == "ok", body
                    # Asked for while Redis is away: the job is kept (QUEUED) and queued once it is back.
                    imports.append(await _queue_import(client, base, token, grid("4栋", 20, 30)))
                    await asyncio.sleep(max(0.0, 6 - (time.monotonic() - down)))
                    redis.start()
                    await _until(lambda: _ready_when(client, base, lambda s, b: s == 200))
                    done = await _wait_jobs(client, base, token, [job for _, job in imports])
                    await asyncio.sleep(0.5)
                traffic.check()
            assert children(proc, "jobs.worker")[0].pid == worker.pid  # the worker waited for Redis: no restart
            assert proc.poll() is None
    finally:
        redis.close()
    assert [done[job]["status"] for _, job in imports] == ["SUCCEEDED"] * 4, done
    for (app, _), rows in zip(imports, (1200, 1200, 1200, 600)):
        assert await _houses(session, app) == (rows, rows, 1)
    assert len(traffic.outcomes) > 20  # the client kept asking through the outage


async def _ready_when(client, base, test):
    try:
        status, body = await _ready(client, base)
    except (httpx.HTTPError, json.JSONDecodeError):
        return None
    return (status, body) if test(status, body) else None


PROGRESS = "query($id: ID!) { job(id: $id) { status processed } }"


async def _writing(client, base, token, job):
    r = await client.post(f"{base}/graphql", json={"query": PROGRESS, "variables": {"id": job}},
                          headers={"Authorization": f"Bearer {token}"})
    state = r.json()["data"]["job"]
    assert state["status"] in ("QUEUED", "RUNNING"), state
    return state["status"] == "RUNNING" and state["processed"] > 0


def _sessions(pg: Postgres):
    engine = create_async_engine(pg.url.replace("postgresql://", "postgresql+asyncpg://"), pool_pre_ping=True)
    return engine, async_sessionmaker(engine, expire_on_commit=False)


async def test_postgres_restarted_under_traffic(tmp_path):
    pg = Postgres()
    engine, sessions = _sessions(pg)
    try:
        with launched(tmp_path / "launcher.log", DATABASE_URL=pg.url, **FAST) as (proc, base):
            async with sessions() as s:
                await make_bank(s)
                org = await make_org(s)
            worker = children(proc, "jobs.worker")[0]
            async with httpx.AsyncClient(timeout=30) as client:
                token = await login_http(client, base, org.admin_username)
                sizes = (3000, 6000)  # the second starts while the client already watches it
                imports = [await _queue_import(client, base, token, grid(f"{i + 1}栋", 100, n // 100)) for i, n in enumerate(sizes)]
                with Traffic(client, base, token) as traffic:
                    await _until(lambda: _writing(client, base, token, imports[1][1]), seconds=90)
                    pg.stop()  # while the larger import is being written
                    status, body = await _until(lambda: _ready_when(client, base, lambda s, b: s == 503))
                    assert body["database"].startswith("error") and body["redis"] == "ok", body
                    await asyncio.sleep(3)
                    pg.start()
                    await _until(lambda: _ready_when(client, base, lambda s, b: s == 200))
                    done = await _wait_jobs(client, base, token, [job for _, job in imports])
                    await asyncio.sleep(0.5)
                traffic.check()
            assert children(proc, "jobs.worker")[0].pid == worker.pid and proc.poll() is None
        assert [done[job]["status"] for _, job in imports] == ["SUCCEEDED"] * 2, done
        async with sessions() as s:
            for (app, _), n in zip(imports, sizes):
                assert await _houses(s, app) == (n, n, 1)
            cut = await s.get(Job, decode_id(imports[1][1], "Job"))
            assert cut.attempts == 2  # the run the restart cut off, then the whole import again
    finally:
        await engine.dispose()
        pg.close()


async def test_the_job_after_a_postgres_restart_runs(tmp_path):
    """Issue 12, line 8: the worker's pooled connections die with the restart; its next job
    still runs, at its first attempt. (The sweeper is slowed so that nothing else touches the
    pool first.)"""
    from core.migrate import upgrade
    from tests.processes import free_port, running, start_api, start_worker

    pg = Postgres()
    engine, sessions = _sessions(pg)
    try:
        await asyncio.to_thread(upgrade, pg.url.replace("postgresql://", "postgresql+asyncpg://"))
        async with sessions() as s:
            await make_bank(s)
            org = await make_org(s)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        quiet = {"DATABASE_URL": pg.url, "JOB_SWEEP_SECONDS": "600"}
        with running(start_api(port, **quiet), start_worker(**quiet)):
            async with httpx.AsyncClient(timeout=30) as client:
                token = await login_http(client, base, org.admin_username)
                _, before = await _queue_import(client, base, token, grid("1栋", 5, 4))
                assert (await _wait_jobs(client, base, token, [before]))[before]["status"] == "SUCCEEDED"
                pg.stop()
                pg.start()
                await _until(lambda: _ready_when(client, base, lambda s, b: s == 200))
                app, after = await _queue_import(client, base, token, grid("2栋", 5, 4))
                state = (await _wait_jobs(client, base, token, [after], seconds=60))[after]
        assert state["status"] == "SUCCEEDED", state
        async with sessions() as s:
            assert (await s.get(Job, decode_id(after, "Job"))).attempts == 1
            assert await _houses(s, app) == (20, 20, 1)
    finally:
        await engine.dispose()
        pg.close()
