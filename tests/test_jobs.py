"""Job queueing: one arq job per job row, whatever Redis remembers from an older database."""

from __future__ import annotations

from sqlalchemy import text

from dataclasses import replace

import pytest

from core.config import get_settings
from models.enums import JobKind
from services import jobs

QUEUE = "arq:test-no-worker"


@pytest.fixture
def quiet_queue(monkeypatch):
    """A queue no worker listens on (the session's test worker would take the jobs)."""
    settings = replace(get_settings(), queue_name=QUEUE)
    monkeypatch.setattr(jobs, "get_settings", lambda: settings)


async def queued(session) -> list[str]:
    pool = await jobs.get_pool()
    return [j.job_id for j in await pool.queued_jobs(queue_name=QUEUE)]


async def test_a_row_is_queued_once_and_a_reused_id_is_queued_again(session, quiet_queue):
    job = jobs.new_job(session, kind=JobKind.HOUSE_EXPORT, viewer=None, organization_id=None)
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    await jobs.enqueue(job.id, job.kind)  # a repeated enqueue of the same row is a no-op
    first = await queued(session)
    assert len(first) == 1 and first[0].startswith(f"job-{job.id}-")

    # The database starts again (restored, or recreated) while Redis keeps the old entry: the
    # new row with the same id is still queued, not refused as a duplicate.
    await session.execute(text("TRUNCATE jobs RESTART IDENTITY CASCADE"))
    await session.commit()
    session.expunge_all()
    again = jobs.new_job(session, kind=JobKind.HOUSE_EXPORT, viewer=None, organization_id=None)
    await session.commit()
    assert again.id == job.id
    await jobs.enqueue(again.id, again.kind)
    second = await queued(session)
    assert len(second) == 2 and set(first) < set(second)
