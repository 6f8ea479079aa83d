"""Background jobs: the `jobs` row is the truth (status, progress, errors, result); arq carries
only the job id. Every change is published on `job:{id}`. Jobs are idempotent: `start` refuses
a job that already finished, and a job's work commits together with its SUCCEEDED state.

Liveness: a running job's worker writes `heartbeat_at` every few seconds (`heartbeat`); a
sweeper in every worker (`sweep`) queues again a RUNNING job whose heartbeat stopped (its worker
died), or fails it once its attempts are used up, and queues again a QUEUED job that Redis lost.
The heartbeat is a lease: a run whose job was taken back (its worker paused, not dead) finds at
its end that the row names another attempt, and rolls back instead of ending the job again
(`Superseded`)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import tracing
from core.config import get_settings
from core.db import get_reader, get_sessionmaker, retrying_deadlocks
from models import Job
from models.enums import JobKind, JobStatus
from services import documents, events
from services.access import Viewer
from services.records import JobRecord, from_model

log = logging.getLogger("wxfund.jobs")

FUNCTIONS = {
    JobKind.HOUSE_IMPORT: "import_houses",
    JobKind.HOUSE_EXPORT: "export_houses",
    JobKind.PDF_RENDER: "render_pdf",
    JobKind.DEPOSIT_RECALCULATION: "recalculate_deposits",
    JobKind.AMOUNT_EXPORT: "export_amounts",
    JobKind.AMOUNT_IMPORT: "import_amounts",
}
PROGRESS_EVERY = 1000
# Jobs a user waits for on screen. arq takes the queue in score order (the enqueue time): these are
# queued as if asked for AHEAD earlier, so a small import starts at the next free slot instead of
# after every receipt and 申请表 already queued; a PDF queued more than AHEAD ago still goes first,
# so renders are delayed, never starved (docs/decisions.md, fanout).
INTERACTIVE = frozenset({JobKind.HOUSE_IMPORT, JobKind.HOUSE_EXPORT, JobKind.AMOUNT_IMPORT, JobKind.AMOUNT_EXPORT})
AHEAD = timedelta(minutes=10)

_pool: ArqRedis | None = None


async def get_pool() -> ArqRedis:
    global _pool
    if _pool is None:
        _pool = await create_pool(RedisSettings.from_dsn(get_settings().redis_url))
    return _pool


async def close_pool() -> None:
    global _pool
    if _pool is not None:
        await _pool.aclose()
    _pool = None


def new_job(session: AsyncSession, *, kind: JobKind, viewer: Viewer | None, organization_id: int | None,
            application_id: int | None = None, params: dict[str, Any] | None = None,
            input_document_id: int | None = None) -> Job:
    job = Job(kind=kind, status=JobStatus.QUEUED, progress=0.0, processed=0, errors=[], params=params or {},
              organization_id=organization_id, application_id=application_id, input_document_id=input_document_id,
              created_by_id=viewer.user_id if viewer else None, attempts=0)
    session.add(job)
    return job


@dataclass(frozen=True)
class Liveness:
    """JOB_HEARTBEAT_SECONDS (5): between a running job's heartbeats; JOB_STALE_SECONDS (30): a
    RUNNING job silent this long has lost its worker (a QUEUED one this long may have been lost
    by Redis); JOB_SWEEP_SECONDS (10): between a worker's sweeps, so a dead worker's job is
    noticed within stale + sweep (40 s); JOB_MAX_ATTEMPTS (3): runs before it is failed."""

    heartbeat: float
    stale: float
    sweep: float
    max_attempts: int


def liveness() -> Liveness:
    env = os.environ.get
    return Liveness(heartbeat=float(env("JOB_HEARTBEAT_SECONDS", "5")), stale=float(env("JOB_STALE_SECONDS", "30")),
                    sweep=float(env("JOB_SWEEP_SECONDS", "10")), max_attempts=int(env("JOB_MAX_ATTEMPTS", "3")))


async def enqueue(job_id: int, kind: JobKind, *, sweeping: bool = False) -> None:
    """After the job row is committed. arq's job id makes a second enqueue of the same row a
    no-op; it names the row's creation time too, so a database recreated or restored beside an
    old Redis (ids starting again at 1) never finds its new jobs refused as duplicates, and the
    attempt, so a job queued again after its worker died is a new arq job. Redis being away is
    not the caller's failure: the row stays QUEUED and the sweeper queues it when Redis is back.

    From the sweeper (`sweeping`, a row QUEUED for the stale time): if a worker holds that
    delivery in progress, it took the job and died before starting it (a live worker starts a
    job at once), and arq keeps the delivery from every other worker until its timeout
    (JOB_TIMEOUT_SECONDS): the job is delivered again under a new id. Should the old delivery
    ever run, `start` finds the job taken or finished and does nothing."""
    async with get_sessionmaker()() as session:
        row = (await session.execute(select(Job.created_at, Job.attempts).where(Job.id == job_id))).first()
    stamp = int(row.created_at.timestamp() * 1_000_000) if row else 0
    suffix = f"-{row.attempts}" if row and row.attempts else ""
    arq_id = f"job-{job_id}-{stamp}{suffix}"
    try:
        pool = await get_pool()
        if sweeping and await pool.exists(in_progress_key_prefix + arq_id):
            log.warning("job %s was taken by a worker that died before starting it; delivered again", job_id)
            arq_id += f"-r{time.time_ns() // 1_000_000}"
        await tracing.remember_context(pool, arq_id)
        ahead = datetime.now(timezone.utc) - AHEAD if kind in INTERACTIVE else None
        await pool.enqueue_job(FUNCTIONS[kind], job_id, _job_id=arq_id, _queue_name=get_settings().queue_name,
                               _defer_until=ahead)
    except (RedisError, OSError) as exc:
        log.warning("job %s not queued now (%s); the sweeper queues it when Redis answers", job_id, type(exc).__name__)


async def publish(job: Job) -> None:
    """Each event carries the job's progress at that moment, so subscribers see every step."""
    await events.publish(events.job_channel(job.id), {
        "id": job.id, "status": job.status.value, "progress": job.progress, "processed": job.processed,
        "total": job.total, "message": job.message})


_beating: dict[int, int] = {}  # job id → the attempt this process runs (for `heartbeat`)
# (job id, attempt) of the run in this task (each arq job runs in a task of its own): what its
# end checks the job row against.
_this_run: ContextVar[tuple[int, int] | None] = ContextVar("job_run", default=None)


class Superseded(Exception):
    """This run's job was taken back by the sweeper (its heartbeat was silent for the stale time)
    and is queued or run again elsewhere: nothing of this run may commit."""

    def __init__(self, job_id: int, attempt: int):
        super().__init__(f"job {job_id}: attempt {attempt} was superseded")
        self.job_id, self.attempt = job_id, attempt


def still_ours(job: Job) -> None:
    """Raises Superseded unless `job` (a row locked FOR UPDATE in the transaction about to end
    the run) is RUNNING the attempt this task started. Outside a run (no `start` in this task)
    there is nothing to compare."""
    run = _this_run.get()
    if run is None or run[0] != job.id:
        return
    if job.status != JobStatus.RUNNING or job.attempts != run[1]:
        raise Superseded(job.id, run[1])


async def start(job_id: int) -> Job | None:
    """Marks the job RUNNING, or returns None if it already finished or another live worker
    runs it (a repeated delivery). A deadlock with the transaction that made the job (approval
    locks the application, then its refunds take key-share locks on their form's job) is tried
    again: PostgreSQL chose this side, and nothing was written."""
    job = await retrying_deadlocks(lambda: _start(job_id))
    if job is not None:
        _this_run.set((job.id, job.attempts))
    return job


async def _start(job_id: int) -> Job | None:
    async with get_sessionmaker()() as session:
        job = await session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return None
        if job.status == JobStatus.RUNNING and not await _stale(session, job_id):
            return None
        job.status = JobStatus.RUNNING
        job.started_at = datetime.now(timezone.utc)
        job.attempts += 1
        job.processed = 0
        job.progress = 0.0
        await session.flush()
        await session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=func.now()))
        await session.commit()
    _beating[job_id] = job.attempts
    await publish(job)
    return job


def _silent_for(seconds: float):
    """Every row has a heartbeat (its queueing time until a worker beats): the partial index
    over live rows answers this."""
    return Job.heartbeat_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def _stale(session: AsyncSession, job_id: int) -> bool:
    return bool(await session.scalar(select(_silent_for(liveness().stale)).where(Job.id == job_id)))


@asynccontextmanager
async def heartbeat(job_id: int) -> AsyncIterator[None]:
    """While the body runs, the job's heartbeat is written every `liveness().heartbeat` seconds
    once `start` has taken the job in this process (and only for that attempt). A beat that
    fails (the database restarting) is skipped: the next one tries again."""

    async def beat() -> None:
        every = liveness().heartbeat
        while True:
            await asyncio.sleep(every)
            attempt = _beating.get(job_id)
            if attempt is None:
                continue
            try:
                async with get_reader().connect() as connection:
                    await connection.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING,
                                                               Job.attempts == attempt).values(heartbeat_at=func.now()))
            except Exception as exc:  # the next beat tries again; the sweeper judges silence
                log.warning("job %s heartbeat skipped (%s)", job_id, type(exc).__name__)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        _beating.pop(job_id, None)


def _lost_worker(job: Job, timing: "Liveness", why: str) -> None:
    """The job's run ended without an outcome (its worker died, or its database connection):
    QUEUED again while attempts remain, FAILED with a message after."""
    if job.attempts >= timing.max_attempts:
        job.status = JobStatus.FAILED
        job.message = f"{why}，已尝试 {job.attempts} 次仍未完成，请重新提交"
        job.errors = []
        job.finished_at = datetime.now(timezone.utc)
    else:
        job.status = JobStatus.QUEUED
        job.message = f"{why}，已重新排队"


async def requeue(job_id: int, *, why: str) -> bool:
    """A run that lost its database connection goes back in the queue at once (or fails, its
    attempts used up); False if the job was not running (its start never got through). If the
    database is still away this raises, and the sweeper does it once the heartbeat has been
    silent long enough."""
    async with get_sessionmaker()() as session:
        job = await session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        if job is None or job.status != JobStatus.RUNNING:
            return False
        try:
            still_ours(job)
        except Superseded:
            return True  # another run owns the job now: nothing of this one's to undo
        _lost_worker(job, liveness(), why)
        await session.commit()
    await publish(job)
    if job.status == JobStatus.QUEUED:
        await enqueue(job.id, job.kind)
    return True


async def sweep() -> int:
    """RUNNING jobs silent for `stale` seconds lost their worker: each is queued again, or, its
    attempts used up, failed with a message; subscribers hear either. QUEUED jobs waiting that
    long are queued again (a no-op for those arq still holds: Redis may have lost the others),
    each at most once per `stale` seconds. Rows another sweeper holds are skipped. Returns how
    many RUNNING jobs changed."""
    timing = liveness()
    async with get_sessionmaker()() as session:
        found = (await session.scalars(
            select(Job).where(Job.status.in_([JobStatus.RUNNING, JobStatus.QUEUED]), _silent_for(timing.stale))
            .order_by(Job.id).limit(100).with_for_update(skip_locked=True))).all()
        dead = [job for job in found if job.status == JobStatus.RUNNING]
        for job in dead:
            _lost_worker(job, timing, "后台处理中断")
        if found:
            await session.flush()
            await session.execute(update(Job).where(Job.id.in_([j.id for j in found])).values(heartbeat_at=func.now()))
        await session.commit()
    for job in dead:
        log.warning("job %s lost its worker: %s", job.id, job.status.value)
        await publish(job)
    for job in found:
        if job.status == JobStatus.QUEUED:
            await enqueue(job.id, job.kind, sweeping=True)
    return len(dead)


async def sweep_forever() -> None:
    """The worker's sweeper loop (jobs/worker.py); a failed sweep is logged and tried again."""
    while True:
        await asyncio.sleep(liveness().sweep)
        try:
            await sweep()
        except Exception as exc:
            log.warning("job sweep failed (%s); trying again", type(exc).__name__)


async def report(job_id: int, *, processed: int, total: int | None, message: str | None = None) -> None:
    """One progress step: a single UPDATE (autocommit), then the event."""
    progress = min(processed / total, 1.0) if total else 0.0
    mine = [Job.attempts == run[1]] if (run := _this_run.get()) and run[0] == job_id else []  # not a superseded run's
    async with get_reader().connect() as connection:
        updated = await connection.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING, *mine)
            .values(processed=processed, total=total, progress=progress, message=message or Job.message)
            .returning(Job.message))
        row = updated.first()
    if row is not None:
        await events.publish(events.job_channel(job_id), {
            "id": job_id, "status": JobStatus.RUNNING.value, "progress": progress, "processed": processed,
            "total": total, "message": row.message})


def succeed(job: Job, *, message: str | None = None, result_document_id: int | None = None) -> None:
    """Sets the job SUCCEEDED inside the caller's transaction (commit with the work, then publish).
    `job` is the row locked FOR UPDATE; a superseded run raises (`still_ours`), so its work rolls
    back with it."""
    still_ours(job)
    job.status = JobStatus.SUCCEEDED
    job.progress = 1.0
    if job.total is not None:
        job.processed = job.total
    job.message = message
    job.result_document_id = result_document_id
    job.errors = []
    job.finished_at = datetime.now(timezone.utc)


async def succeed_with_file(job_id: int, *, kind, filename: str, content_type: str, data: bytes, total: int,
                            message: str) -> None:
    """Ends a job whose result is one file: the document and SUCCEEDED commit together (a
    repeated delivery that finds the job already finished writes nothing), then the event."""
    async with get_sessionmaker()() as session:
        running = await session.get_one(Job, job_id, with_for_update=True)
        if running.status != JobStatus.RUNNING:
            return
        still_ours(running)
        suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
        doc = await documents.store(session, kind=kind, filename=filename, content_type=content_type, data=data,
                                    organization_id=running.organization_id, created_by_id=running.created_by_id, suffix=suffix)
        await session.flush()
        running.total = total
        succeed(running, message=message, result_document_id=doc.id)
        await session.commit()
    await publish(running)


async def fail(job_id: int, *, message: str, errors: list[dict[str, Any]] | None = None) -> None:
    """Ends the job FAILED, unless it SUCCEEDED already or this task's run of it was superseded
    (the run now under way decides)."""
    async with get_sessionmaker()() as session:
        job = await session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        if job is None or job.status == JobStatus.SUCCEEDED:
            return
        try:
            still_ours(job)
        except Superseded:
            log.warning("job %s: a superseded run's failure is dropped (%s)", job_id, message)
            return
        job.status = JobStatus.FAILED
        job.message = message
        job.errors = errors or []
        job.finished_at = datetime.now(timezone.utc)
        await session.commit()
    await publish(job)


async def get_record(session: AsyncSession, job_id: int) -> Any:
    job = await session.get(Job, job_id)
    return None if job is None else from_model(JobRecord, job)


def can_see(viewer: Viewer, job: Any) -> bool:
    return viewer.is_staff or (job.organization_id is not None and job.organization_id == viewer.organization_id)
