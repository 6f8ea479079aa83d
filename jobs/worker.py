"""The arq worker: `python -m jobs.worker` (the launcher starts it). arq's own worker ends its
process when Redis goes away; this one waits for Redis and goes on (`Worker`)."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os

from arq import cron
from arq import worker as arq_worker
from arq.connections import RedisSettings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError
from sqlalchemy import text

from core import gc_policy, tracing
from core.config import get_settings
from core.storage import close_storage
from core.db import dispose_engine, get_engine, use_pre_ping
from core.logs import configure_logging
from jobs.housekeeping import purge_expired_sessions, sweep_document_orphans
from services.houses import import_process
from jobs.tasks import (
    export_amounts, export_houses, import_amounts, import_houses, recalculate_deposits, render_pdf,
)
from services.jobs import sweep_forever


async def startup(ctx) -> None:
    """Logging, then what the first job would otherwise pay for: the workbook and PDF libraries
    (imported lazily by the jobs) and a pooled database connection; then the sweeper that
    queues again the jobs of workers that died (services/jobs.py)."""
    configure_logging(get_settings().log_level)
    tracing.configure("wxfund-worker")
    use_pre_ping()

    for module in ("python_calamine", "openpyxl", "sheets.house_reader", "sheets.house_writer", "documents.application_form",
                   "documents.payment_notice", "documents.refund_form", "weasyprint"):
        importlib.import_module(module)
    async with get_engine().connect() as connection:
        await connection.execute(text("SELECT 1"))
    import_process.start()  # big imports' reading process, ready before the first one
    gc_policy.settle()  # what start-up loaded stays out of every later collection
    ctx["sweeper"] = asyncio.create_task(sweep_forever())


async def shutdown(ctx) -> None:
    if sweeper := ctx.get("sweeper"):
        sweeper.cancel()
    await dispose_engine()
    await close_storage()
    import_process.stop()


class WorkerSettings:
    functions = [import_houses, export_houses, render_pdf, recalculate_deposits, export_amounts, import_amounts,
                 purge_expired_sessions, sweep_document_orphans]
    cron_jobs = [cron(purge_expired_sessions, minute={7}, run_at_startup=False),
                 cron(sweep_document_orphans, minute={37}, run_at_startup=False)]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = tracing.job_started
    on_job_end = tracing.job_ended
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url) if get_settings().redis_url else RedisSettings()
    queue_name = get_settings().queue_name
    # A queued job waits for the next poll: 10 ms keeps an upload-to-SUCCEEDED prompt (the wait was
    # a tenth of a 10 000-row import) for 1.75 % of a core an idle worker spends polling (1.1 % at 50 ms).
    poll_delay = float(os.environ.get("JOB_POLL_SECONDS", "0.01"))
    max_jobs = 10
    job_timeout = int(os.environ.get("JOB_TIMEOUT_SECONDS", "600"))
    # A job whose worker died is queued again by the sweeper once its heartbeat stops (seconds,
    # services/jobs.py), or by arq once its in-progress key expires; the job row makes the
    # second run harmless.
    health_check_interval = 10  # the key /readyz reads to say whether a worker is alive
    # Outcomes live in the jobs table; with no result kept, a job row can be queued again under
    # its arq id once that run is over (the sweeper does, for a row Redis or a failed start lost).
    keep_result = 0


log = logging.getLogger("wxfund.worker")
# What a lost Redis raises (redis-py turns a connection lost under WATCH into a WatchError; arq
# itself handles the WatchError of a key that changed).
REDIS_LOST = (RedisConnectionError, RedisTimeoutError, WatchError, ConnectionError)


class Worker(arq_worker.Worker):
    """arq's worker, kept alive through a Redis outage: a poll that fails on the connection is
    logged and tried again with backoff (up to 5 s) instead of ending the process. The jobs
    already running go on meanwhile (their truth is in PostgreSQL; their events are best
    effort)."""

    _redis_away_since: float | None = None

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_LOST as exc:
            now = asyncio.get_running_loop().time()
            if self._redis_away_since is None:
                self._redis_away_since = now
                log.warning("worker.redis_lost", extra={"error": type(exc).__name__})
            await asyncio.sleep(min(5.0, 0.5 + (now - self._redis_away_since) / 2))
            return
        if self._redis_away_since is not None:
            log.warning("worker.redis_back", extra={"after_s": round(asyncio.get_running_loop().time() - self._redis_away_since, 1)})
            self._redis_away_since = None

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """One job at a time, so that a job whose start Redis cut off gives back the slot arq
        took for it (arq would keep it, and after enough outages take no jobs at all)."""
        for job_id in job_ids:
            if self.job_counter >= self.max_jobs:
                return
            before = self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except REDIS_LOST:
                if self.tasks.get(job_id.decode()) is before:  # no task took the slot
                    self._release_sem_dec_counter_on_complete()
                raise


def main() -> None:
    # Jobs yield the CPU to requests where both share a machine (`python3 dev.py serve`, a small
    # deployment): when both want a core, the kernel gives a process at nice 10 about a tenth of
    # the share of one at 0, so pages and mutations stay quick and PDFs wait (docs/decisions.md).
    # Before any thread starts: on Linux a thread takes its nice value from the thread creating it.
    if nice := get_settings().worker_nice:
        os.nice(nice)
    Worker(**arq_worker.get_kwargs(WorkerSettings)).run()


if __name__ == "__main__":
    main()
