"""Faults under traffic (issue 12): Redis down for six seconds and PostgreSQL restarted while
imports run and a client keeps asking, all through `python3 dev.py serve`'s launcher on servers
these tests own (tests/faults.py). Afterwards nothing is lost or half-written, every answer the
client got was a JSON answer with a code from errors.md, and the service recovered by itself:
the same worker goes on, /readyz said what was missing and then that all is well. Live
subscriptions come through the outage too: what they missed is re-read from the database."""

import asyncio
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import httpx
from redis.asyncio import Redis as RedisClient
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.db import get_sessionmaker
from core.errors import AppError
from core.outage import OUTAGE_MESSAGE
from core.ids import decode_id, encode_id
from models import ApplicationHouse, Building, House, Job
from models.enums import JobKind, JobStatus
from services import events, jobs
from tests.api import gql
from tests.appflow import make_world
from tests.factories import login, make_bank, make_org
from tests.faults import Postgres, Redis
from tests.processes import children, launched
from tests.sheets import grid
from tests.test_multiprocess import _queue_import, login_http
from tests.ws import subscribe, ws_client

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


JOB_UPDATED = "subscription($id: ID!) { jobUpdated(id: $id) { status processed message } }"


async def _running_job(session, organization_id: int) -> int:
    job = Job(kind=JobKind.HOUSE_IMPORT, status=JobStatus.RUNNING, organization_id=organization_id, progress=0.0,
              processed=0, total=20, errors=[], params={}, attempts=1, started_at=datetime.now(timezone.utc))
    session.add(job)
    await session.commit()
    return job.id


async def _succeed(job_id: int) -> None:
    """What a worker's import does at its end: SUCCEEDED committed, then the event."""
    async with get_sessionmaker()() as session:
        job = await session.get_one(Job, job_id, with_for_update=True)
        jobs.succeed(job, message="已导入 20 户")
        await session.commit()
    await jobs.publish(job)


async def _answers(redis) -> bool:
    try:
        return await redis.ping()
    except (RedisError, OSError):  # the pool's connection that died with Redis is dropped with it
        return False


async def test_a_job_that_ended_while_redis_was_away_reaches_its_subscribers(session, monkeypatch):
    """The worker wrote FAILED or SUCCEEDED to the database while Redis was down, so its event was
    lost. When the process's listener is back, each jobUpdated subscriber gets the job's final state
    from the database and its subscription completes; a job that did not change meanwhile is not
    sent again, and its next progress arrives as before."""
    org = await make_org(session)
    failing, finishing, running = [await _running_job(session, org.org_id) for _ in range(3)]
    async with _events_redis(monkeypatch) as (server, redis):
        async with ws_client() as client:
            token = await login(client, org.admin_username)
            gid = lambda pk: {"id": encode_id("Job", pk)}  # noqa: E731
            async with subscribe(client, JOB_UPDATED, gid(failing), token=token) as failed_sub, \
                    subscribe(client, JOB_UPDATED, gid(finishing), token=token) as finished_sub, \
                    subscribe(client, JOB_UPDATED, gid(running), token=token) as running_sub:
                for sub in (failed_sub, finished_sub, running_sub):
                    first = await sub.next()
                    assert first["payload"]["data"]["jobUpdated"]["status"] == "RUNNING", first
                server.stop()
                await jobs.fail(failing, message="第 3 行：房号必填")
                await _succeed(finishing)
                server.start()
                for sub, status, message in ((failed_sub, "FAILED", "第 3 行：房号必填"),
                                             (finished_sub, "SUCCEEDED", "已导入 20 户")):
                    ended = await sub.next(timeout=60)
                    assert ended["type"] == "next", ended
                    processed = 20 if status == "SUCCEEDED" else 0
                    assert ended["payload"]["data"]["jobUpdated"] == {"status": status, "processed": processed,
                                                                      "message": message}, ended
                    assert (await sub.next())["type"] == "complete"
                await _until(lambda: _answers(redis))
                await _until(lambda: _subscribed(redis, events.job_channel(running)))
                await jobs.report(running, processed=5, total=20)
                step = await running_sub.next()
                assert step["payload"]["data"]["jobUpdated"] == {"status": "RUNNING", "processed": 5,
                                                                 "message": None}, step


@asynccontextmanager
async def _events_redis(monkeypatch):
    """A Redis server for the process's events (services/events.py) that the test stops and starts;
    the rest (token cache, queue) keeps the session's. The listener retries quickly."""
    server = Redis()
    redis = RedisClient.from_url(server.url, decode_responses=True)
    monkeypatch.setattr(events, "get_redis", lambda: redis)
    monkeypatch.setattr(events, "RETRY_SECONDS", (0.05,))
    try:
        yield server, redis
    finally:
        await redis.aclose()
        server.close()


async def _subscribed(redis, channel: str) -> bool:
    return dict(await redis.pubsub_numsub(channel)).get(channel, 0) > 0


APPLICATION_CHANGED = """subscription($id: ID) { applicationStatusChanged(applicationId: $id) {
    application { number status } from event { status } } }"""


async def test_after_redis_was_away_an_application_subscriber_hears_the_missed_change_or_is_told_to_reread(
        session, monkeypatch):
    """Withdrawn while Redis was down (its event lost): a subscription watching that application is
    sent the withdrawal read from the database; one watching all applications cannot know what it
    missed, so it ends with RATE_LIMITED and retryAfter, as a subscriber that fell behind does, and
    the client subscribes again and re-reads its list (docs/decisions.md, resub)."""
    async with _events_redis(monkeypatch) as (server, redis), ws_client() as client:
        world = await make_world(client, session)
        create = """mutation { createEstateCollection(input: {name: "断线花园", district: "蓬江区",
                    address: "江门市蓬江区 3 号", depositTiming: BEFORE_HANDOVER}) { id number } }"""
        app = (await gql(client, create, token=world.dev)).ok()["createEstateCollection"]
        async with subscribe(client, APPLICATION_CHANGED, {"id": app["id"]}, token=world.dev) as watching, \
                subscribe(client, APPLICATION_CHANGED, {}, token=world.dev) as everything:
            await _until(lambda: _listening(events.APPLICATIONS, 2))
            server.stop()
            withdrawn = await gql(client, "mutation($id: ID!) { withdrawApplication(id: $id) { status } }",
                                  {"id": app["id"]}, token=world.dev)
            assert withdrawn.ok()["withdrawApplication"]["status"] == "WITHDRAWN"
            server.start()
            missed = await watching.next(timeout=60)
            assert missed["type"] == "next", missed
            assert missed["payload"]["data"]["applicationStatusChanged"] == {
                "application": {"number": app["number"], "status": "WITHDRAWN"}, "from": "DRAFT",
                "event": {"status": "WITHDRAWN"}}, missed
            ended = await everything.next(timeout=60)
            errors = ended["payload"]["errors"] if ended["type"] == "next" else ended["payload"]
            assert errors[0]["extensions"]["code"] == "RATE_LIMITED", errors
            assert errors[0]["extensions"]["retryAfter"] == 1 and "重新订阅" in errors[0]["message"], errors


async def _listening(channel: str, count: int) -> bool:
    return events.hub.listeners(channel) == count



async def test_a_subscription_started_while_redis_is_away_gets_the_outage_answer(session, monkeypatch):
    """Redis down is an outage, not bad input: the first subscription of the process cannot
    subscribe at all, a later one waits for the reconnecting listener in vain; both get the
    outage answer (docs/decisions.md, Outages: 「服务暂时不可用，请稍后再试」 with a request id),
    never the bug's INTERNAL, and the client subscribes again later."""
    org = await make_org(session)
    watched, first, later = [await _running_job(session, org.org_id) for _ in range(3)]
    monkeypatch.setattr(events, "SUBSCRIBE_TIMEOUT_SECONDS", 0.5)
    async with _events_redis(monkeypatch) as (server, redis), ws_client() as client:
        token = await login(client, org.admin_username)
        server.stop()
        async with subscribe(client, JOB_UPDATED, {"id": encode_id("Job", first)}, token=token) as refused:
            await _ends_with_the_outage_answer(refused)
        server.start()
        async with subscribe(client, JOB_UPDATED, {"id": encode_id("Job", watched)}, token=token) as open_sub:
            assert (await open_sub.next())["payload"]["data"]["jobUpdated"]["status"] == "RUNNING"
            server.stop()  # the listener now reconnects in vain
            async with subscribe(client, JOB_UPDATED, {"id": encode_id("Job", later)}, token=token) as waiting:
                await _ends_with_the_outage_answer(waiting)


async def _ends_with_the_outage_answer(sub) -> None:
    message = await sub.next(timeout=60)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [(e["extensions"]["code"], e["message"]) for e in errors] == [("INTERNAL", OUTAGE_MESSAGE)], errors
    assert errors[0]["extensions"].get("requestId"), errors
