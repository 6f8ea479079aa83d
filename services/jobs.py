"""Background jobs: the `jobs` row is the truth (status, progress, errors, result); arq carries
only the job id. Every change is published on `job:{id}`. Jobs are idempotent: `start` refuses
a job that already finished, and a job's work commits together with its SUCCEEDED state."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import tracing
from core.config import get_settings
from core.db import get_sessionmaker
from models import Job
from models.enums import JobKind, JobStatus
from services import events
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


async def enqueue(job_id: int, kind: JobKind) -> None:
    """After the job row is committed. arq's job id makes a second enqueue of the same row a
    no-op; it names the row's creation time too, so a database recreated or restored beside an
    old Redis (ids starting again at 1) never finds its new jobs refused as duplicates."""
    async with get_sessionmaker()() as session:
        created = await session.scalar(select(Job.created_at).where(Job.id == job_id))
    stamp = int(created.timestamp() * 1_000_000) if created else 0
    pool = await get_pool()
    arq_id = f"job-{job_id}-{stamp}"
    await tracing.remember_context(pool, arq_id)
    await pool.enqueue_job(FUNCTIONS[kind], job_id, _job_id=arq_id, _queue_name=get_settings().queue_name)


async def publish(job: Job) -> None:
    """Each event carries the job's progress at that moment, so subscribers see every step."""
    await events.publish(events.job_channel(job.id), {
        "id": job.id, "status": job.status.value, "progress": job.progress, "processed": job.processed,
        "total": job.total, "message": job.message})


async def start(job_id: int) -> Job | None:
    """Marks the job RUNNING, or returns None if it already finished (a repeated delivery)."""
    async with get_sessionmaker()() as session:
        job = await session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return None
        job.status = JobStatus.RUNNING
        job.started_at = datetime.now(timezone.utc)
        job.attempts += 1
        job.processed = 0
        job.progress = 0.0
        await session.commit()
    await publish(job)
    return job


async def report(job_id: int, *, processed: int, total: int | None, message: str | None = None) -> None:
    """One progress step: a single UPDATE (autocommit), then the event."""
    from sqlalchemy import update

    from core.db import get_reader

    progress = min(processed / total, 1.0) if total else 0.0
    async with get_reader().connect() as connection:
        updated = await connection.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
            .values(processed=processed, total=total, progress=progress, message=message or Job.message)
            .returning(Job.message))
        row = updated.first()
    if row is not None:
        await events.publish(events.job_channel(job_id), {
            "id": job_id, "status": JobStatus.RUNNING.value, "progress": progress, "processed": processed,
            "total": total, "message": row.message})


def succeed(job: Job, *, message: str | None = None, result_document_id: int | None = None) -> None:
    """Sets the job SUCCEEDED inside the caller's transaction (commit with the work, then publish)."""
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
    from services import documents

    async with get_sessionmaker()() as session:
        running = await session.get_one(Job, job_id, with_for_update=True)
        if running.status != JobStatus.RUNNING:
            return
        suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
        doc = await documents.store(session, kind=kind, filename=filename, content_type=content_type, data=data,
                                    organization_id=running.organization_id, created_by_id=running.created_by_id, suffix=suffix)
        await session.flush()
        running.total = total
        succeed(running, message=message, result_document_id=doc.id)
        await session.commit()
    await publish(running)


async def fail(job_id: int, *, message: str, errors: list[dict[str, Any]] | None = None) -> None:
    async with get_sessionmaker()() as session:
        job = await session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        if job is None or job.status == JobStatus.SUCCEEDED:
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
