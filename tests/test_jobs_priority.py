"""Imports do not wait behind PDFs: jobs a user waits for (imports, exports) go ahead of the
receipts and 申请表 renders already queued (services/jobs.INTERACTIVE)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from core.config import get_settings
from core.ids import decode_id, encode_id
from models import Application, Job
from models.enums import JobKind, JobStatus
from services import jobs
from tests.api import gql
from tests.appflow import make_world, wait_job
from tests.sheets import XLSX, grid, workbook
from tests.ws import ws_client

IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id status } }"
CREATE = """mutation($name: String!) { createEstateCollection(input: {name: $name, district: "蓬江区",
            address: "江门市蓬江区 3 号", depositTiming: BEFORE_HANDOVER}) { id } }"""
RENDERS = 40


async def test_an_import_is_queued_ahead_of_renders_queued_before_it(session, monkeypatch):
    queue = "arq:test-priority"
    settings = replace(get_settings(), queue_name=queue)
    monkeypatch.setattr(jobs, "get_settings", lambda: settings)
    pdfs = [jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=None, organization_id=None) for _ in range(3)]
    export = jobs.new_job(session, kind=JobKind.HOUSE_EXPORT, viewer=None, organization_id=None)
    await session.commit()
    for job in (*pdfs, export):
        await jobs.enqueue(job.id, job.kind)
    order = await (await jobs.get_pool()).zrange(queue, 0, -1)
    assert [int(arq_id.split(b"-")[1]) for arq_id in order] == [export.id] + [job.id for job in pdfs]


async def test_a_small_import_succeeds_while_many_renders_queued_before_it_still_wait(session, worker):
    async with ws_client() as client:
        world = await make_world(client, session)
        rendered = (await gql(client, CREATE, {"name": "排队花园"}, token=world.dev)).ok()["createEstateCollection"]["id"]
        app_id = decode_id(rendered, "Application")
        org_id = await session.scalar(select(Application.organization_id).where(Application.id == app_id))
        renders = [jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=None, organization_id=org_id,
                                application_id=app_id, params={"document": "APPLICATION_FORM"}) for _ in range(RENDERS)]
        await session.commit()
        render_ids = [job.id for job in renders]
        for job_id in render_ids:
            await jobs.enqueue(job_id, JobKind.PDF_RENDER)

        target = (await gql(client, CREATE, {"name": "导入花园"}, token=world.dev)).ok()["createEstateCollection"]["id"]
        uploaded = await gql(client, IMPORT, {"id": target, "file": None}, token=world.dev,
                             files={"variables.file": ("houses.xlsx", workbook(grid("1栋", 2, 2)), XLSX)})
        job_gid = uploaded.ok()["importHouses"]["id"]
        assert (await wait_job(client, world.dev, job_gid, timeout=120))["status"] == "SUCCEEDED"
        session.expire_all()
        states = (await session.scalars(select(Job.status).where(Job.id.in_(render_ids)))).all()
        # The worker takes 4 jobs at a time: the import took the first free slot, so most renders
        # queued before it had not even started when it was done.
        assert states.count(JobStatus.QUEUED) >= RENDERS // 2, states
        for job_id in render_ids:  # and every render is done in its turn
            assert (await wait_job(client, world.dev, encode_id("Job", job_id), timeout=300))["status"] == "SUCCEEDED"
