"""arq job functions: each takes a job id and calls the service that does the work. A failure
that escapes a service marks the job FAILED (with no internal detail) and is logged; a run that
lost its lease (`jobs.Superseded`) ends quietly, having written nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from arq.worker import Retry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError

from core.db import get_sessionmaker
from models import Job
from services import jobs
from services.payments import jobs as payment_jobs
from services.payments import receipts, renewal
from services.applications import files, refund_form

log = logging.getLogger("wxfund.jobs")


async def _guarded(job_id: int, work: Callable[[int], Awaitable[None]]) -> None:
    """Runs the work with its heartbeat. A run that lost its database or Redis connection is
    not the job's failure (its transaction rolled back, nothing half-written): a running job
    goes back in the queue, and a job whose start did not get through is tried again by arq in
    a moment (or, the database still away, by the sweeper later). A cancelled run (the worker
    stopping) hands its job back to the queue. Anything else marks the job FAILED."""
    try:
        async with jobs.heartbeat(job_id):
            await work(job_id)
    except jobs.Superseded as exc:
        # Paused past its lease (not dead): another run owns the job; this one's work rolled back.
        log.warning("job %s: attempt %s was taken over by another run; its work is discarded", job_id, exc.attempt)
    except asyncio.CancelledError:
        # The worker is stopping (SIGTERM) or arq's timeout cut the run: its transaction rolls
        # back, and the job goes back in the queue now rather than once the sweeper finds its
        # heartbeat silent. arq waits for this before the worker exits.
        try:
            await jobs.requeue(job_id, why="后台处理被中止")
        except Exception as exc:  # the sweeper does it later
            log.warning("job %s not handed back (%s)", job_id, type(exc).__name__)
        raise
    except Exception as exc:
        if lost_connection(exc):
            log.warning("job %s lost its connection (%s); tried again", job_id, type(exc).__name__)
            try:
                if await jobs.requeue(job_id, why="数据库或缓存连接中断"):
                    return
            except Exception as again:  # still away: the sweeper will see the silent heartbeat
                if not lost_connection(again):
                    raise
            raise Retry(defer=2) from exc
        log.exception("job %s failed", job_id)
        await jobs.fail(job_id, message="处理失败（系统内部错误），请稍后重试",
                        errors=[{"row": None, "column": None, "code": "INTERNAL", "message": "系统内部错误"}])


def lost_connection(exc: BaseException) -> bool:
    """Whether the exception (or one it came from) is a lost or refused connection to
    PostgreSQL or Redis, rather than a fault of the job."""
    lost = (ConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.AdminShutdownError, RedisConnectionError, RedisTimeoutError)
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, lost) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            return True
        if isinstance(exc, OSError) and exc.filename is None:  # a socket's (a file's names the file)
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def import_houses(ctx, job_id: int) -> None:
    await _guarded(job_id, files.run_import)


async def export_houses(ctx, job_id: int) -> None:
    await _guarded(job_id, files.run_export)


async def _render(job_id: int) -> None:
    async with get_sessionmaker()() as session:
        job = await session.get(Job, job_id)
        document = job.params.get("document") if job else None
    if document == "PAYMENT_NOTICES":
        await payment_jobs.run_notice_pdfs(job_id)
    elif document == "REFUND_FORMS":
        await payment_jobs.run_refund_forms(job_id)
    elif document == "RECEIPT":
        await receipts.run(job_id)
    elif document == refund_form.DOCUMENT:
        await refund_form.run(job_id)
    else:
        await files.run_form(job_id)


async def render_pdf(ctx, job_id: int) -> None:
    await _guarded(job_id, _render)


async def recalculate_deposits(ctx, job_id: int) -> None:
    await _guarded(job_id, payment_jobs.run_recalculation)


async def export_amounts(ctx, job_id: int) -> None:
    await _guarded(job_id, renewal.run_renewal_export)


async def import_amounts(ctx, job_id: int) -> None:
    await _guarded(job_id, renewal.run_amount_import)
