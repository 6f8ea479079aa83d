"""arq worker settings: `arq jobs.worker.WorkerSettings` (the launcher starts it)."""

from __future__ import annotations

import os

from arq import cron
from arq.connections import RedisSettings

from core import gc_policy, tracing
from core.config import get_settings
from core.db import dispose_engine
from core.logs import configure_logging
from jobs.housekeeping import purge_expired_sessions
from jobs.tasks import (
    export_amounts, export_houses, import_amounts, import_houses, recalculate_deposits, render_pdf,
)


async def startup(ctx) -> None:
    """Logging, then what the first job would otherwise pay for: the workbook and PDF libraries
    (imported lazily by the jobs) and a pooled database connection."""
    configure_logging(get_settings().log_level)
    tracing.configure("wxfund-worker")
    import importlib

    for module in ("python_calamine", "openpyxl", "services.workbook", "services.pdf", "weasyprint"):
        importlib.import_module(module)
    from sqlalchemy import text

    from core.db import get_engine

    async with get_engine().connect() as connection:
        await connection.execute(text("SELECT 1"))
    gc_policy.settle()  # what start-up loaded stays out of every later collection


async def shutdown(ctx) -> None:
    await dispose_engine()


class WorkerSettings:
    functions = [import_houses, export_houses, render_pdf, recalculate_deposits, export_amounts, import_amounts,
                 purge_expired_sessions]
    cron_jobs = [cron(purge_expired_sessions, minute={7}, run_at_startup=False)]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = tracing.job_started
    on_job_end = tracing.job_ended
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url) if get_settings().redis_url else RedisSettings()
    queue_name = get_settings().queue_name
    poll_delay = 0.05  # a queued job waits for the next poll: keep imports and PDFs prompt
    max_jobs = 10
    job_timeout = int(os.environ.get("JOB_TIMEOUT_SECONDS", "600"))
    # A job whose worker died is picked up again once its in-progress key expires; the job
    # row (services/jobs.py) makes the second run harmless.
