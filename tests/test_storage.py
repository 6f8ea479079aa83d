"""Documents in a local folder or an S3-compatible store (moto's server on loopback): the whole
application flow, signed links, a row and its object never disagreeing, and the orphan sweeper."""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from core.config import get_settings
from core.storage import S3Storage, close_storage, get_storage
from models import Document
from models.enums import DocumentKind
from services import documents
from services.document_sweep import sweep_orphans
from tests.api import gql
from tests.appflow import make_world, rendered_form, through_review, wait_job
from tests.s3server import s3_endpoint, s3_env  # noqa: F401 (a fixture)
from tests.sheets import XLSX, grid, workbook
from tests.test_registration import FILES, PDF, REGISTER, registration


@contextmanager
def environment(values: dict[str, str]):
    """The service's settings under these variables (settings are read once: cleared around)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


@pytest.fixture(params=["local", "s3"])
async def store(request, tmp_path):
    """The document store of the service during the test: a folder of its own, or a fresh bucket."""
    if request.param == "s3":
        env = s3_env(request.getfixturevalue("s3_endpoint"))
    else:
        env = {"STORAGE_URL": f"file://{tmp_path / 'files'}"}
    with environment(env):
        storage = get_storage()
        if isinstance(storage, S3Storage):
            await storage.create_bucket()
        yield storage
        await close_storage()


async def keys(storage) -> set[str]:
    return {item.key async for item in storage.objects()}


async def stored_keys(session) -> set[str]:
    return set(await session.scalars(select(Document.storage_key)))


async def test_s3_store_is_chosen_by_storage_url(s3_endpoint):
    with environment(s3_env(s3_endpoint, bucket="chosen", prefix="city/docs")):
        storage = get_storage()
        assert isinstance(storage, S3Storage) and (storage.bucket, storage.prefix) == ("chosen", "city/docs/")
        await storage.create_bucket()
        key = await storage.put(b"hello", suffix=".txt")
        assert await storage.read(key) == b"hello" and await storage.exists(key)
        assert [o.key for o in [o async for o in storage.objects()]] == [key]
        await storage.delete(key)
        assert not await storage.exists(key)
        await close_storage()
    assert not get_settings().storage_url  # the test's own settings are back


async def test_application_flow_keeps_its_documents_in_the_store(store, session, worker):
    """Collection with an imported workbook, submit, the 申请表 rendered by the worker into the
    store and downloaded through its signed link; everything the flow wrote is in the store."""
    import httpx

    from server.asgi import app as asgi_app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app), base_url="http://test") as client:
        world = await make_world(client, session)
        collect = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { id } }"
        app = (await gql(client, collect, {"input": {"name": "对象存储花园", "district": "江海区", "address": "江门市江海区 1 号",
                                                     "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
        sheet = workbook(grid("1栋", 2, 2))
        job = (await gql(client, "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }",
                         {"id": app["id"], "file": None}, token=world.dev,
                         files={"variables.file": ("houses.xlsx", sheet, XLSX)})).ok()["importHouses"]
        assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
        await through_review(client, world, app["id"])
        pages = await rendered_form(client, world.dev, app["id"])
        assert "对象存储花园" in "".join(pages)

        form = (await gql(client, "query($id: ID!) { application(id: $id) { form { url filename sizeBytes } } }",
                          {"id": app["id"]}, token=world.dev)).ok()["application"]["form"]
        download = await client.get(form["url"])
        assert download.status_code == 200 and download.headers["cache-control"] == "no-store"
        assert len(download.content) == form["sizeBytes"] and "filename*=utf-8''" in download.headers["content-disposition"]
        # The link's rules hold in either store: a changed signature or an expired link is refused.
        assert (await client.get(form["url"].replace("sig=", "sig=0"))).status_code == 404
        doc_id = form["url"].split("/files/")[1].split("?")[0]
        expired = documents.signed_url(int(doc_id), now=time.time() - 10 * get_settings().document_url_ttl_seconds)
        assert (await client.get(expired)).status_code == 404

    session.expire_all()
    rows = await stored_keys(session)
    assert rows and rows == await keys(store)
    uploaded = await session.scalar(select(Document).where(Document.filename == "houses.xlsx"))
    assert await store.read(uploaded.storage_key) == sheet
    if isinstance(store, S3Storage):  # nothing was written to the local folder
        assert not (get_settings().storage_dir / uploaded.storage_key).exists()


async def test_a_link_to_a_missing_object_is_not_found(store, client):
    from core.db import get_sessionmaker

    async with get_sessionmaker()() as s:
        doc = await documents.store(s, kind=DocumentKind.ATTACHMENT, filename="许可证.pdf", content_type="application/pdf",
                                    data=PDF, organization_id=None, created_by_id=None, suffix=".pdf")
        await s.commit()
    found = await client.get(documents.signed_url(doc.id))
    assert found.status_code == 200 and found.content == PDF
    assert found.headers["content-disposition"] == "attachment; filename*=utf-8''%E8%AE%B8%E5%8F%AF%E8%AF%81.pdf"
    await store.delete(doc.storage_key)
    missing = await client.get(documents.signed_url(doc.id))
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


async def test_an_object_of_a_rolled_back_transaction_is_removed(store, session):
    from core.db import get_sessionmaker

    async with get_sessionmaker()() as s:
        doc = await documents.store(s, kind=DocumentKind.ATTACHMENT, filename="a.pdf", content_type="application/pdf",
                                    data=PDF, organization_id=None, created_by_id=None, suffix=".pdf")
        await s.flush()
        assert await store.exists(doc.storage_key)
        await s.rollback()
    assert not await store.exists(doc.storage_key)

    async with get_sessionmaker()() as s:  # closed without a commit: the same
        doc = await documents.store(s, kind=DocumentKind.ATTACHMENT, filename="b.pdf", content_type="application/pdf",
                                    data=PDF, organization_id=None, created_by_id=None, suffix=".pdf")
    assert not await store.exists(doc.storage_key)

    async with get_sessionmaker()() as s:  # committed: kept, and a later rollback does not touch it
        doc = await documents.store(s, kind=DocumentKind.ATTACHMENT, filename="c.pdf", content_type="application/pdf",
                                    data=PDF, organization_id=None, created_by_id=None, suffix=".pdf")
        await s.commit()
        await s.rollback()
    assert await store.read(doc.storage_key) == PDF
    assert await keys(store) == await stored_keys(session) == {doc.storage_key}

    # A commit whose answer was lost (the row did commit) ends like a rollback for its session:
    # the object a committed row names is kept.
    from core.storage import track_written

    async with get_sessionmaker()() as s:
        await s.execute(select(1))
        track_written(s.sync_session, doc.storage_key)
        await s.rollback()
    assert await store.read(doc.storage_key) == PDF


async def test_racing_registrations_leave_only_the_winners_files(store, client, session):
    """Two registrations of one credit code at once: one wins; the loser's uploads, written
    before its commit failed, are gone, so every object has its row and every row its object."""
    racers = [registration(adminUsername="racer1"), registration(adminUsername="racer2")]
    results = await asyncio.gather(*(gql(client, REGISTER, {"input": r}, files=FILES) for r in racers))
    assert sorted(r.code or "OK" for r in results) == ["CONFLICT", "OK"], results
    rows = await stored_keys(session)
    assert len(rows) == 2 and await keys(store) == rows


async def test_the_sweeper_removes_old_orphans_only(store, session):
    from core.db import get_sessionmaker

    async with get_sessionmaker()() as s:
        kept = await documents.store(s, kind=DocumentKind.ATTACHMENT, filename="kept.pdf", content_type="application/pdf",
                                     data=PDF, organization_id=None, created_by_id=None, suffix=".pdf")
        await s.commit()
    orphan = await store.put(b"left by a crash", suffix=".pdf")  # an object whose row never came

    # Young objects are left alone: their transaction may be about to commit.
    assert await sweep_orphans(get_sessionmaker()) == []
    assert await keys(store) == {kept.storage_key, orphan}
    # Once old enough, the orphan goes and the document stays.
    later = time.time() + 2 * 3600
    assert await sweep_orphans(get_sessionmaker(), now=later) == [orphan]
    assert await keys(store) == {kept.storage_key}
    assert await store.read(kept.storage_key) == PDF


async def test_the_sweeper_runs_as_a_worker_job(store, session):
    from jobs.housekeeping import sweep_document_orphans
    from jobs.worker import WorkerSettings

    assert any(c.coroutine is sweep_document_orphans for c in WorkerSettings.cron_jobs)
    orphan = await store.put(b"x", suffix=".pdf")
    os.environ["STORAGE_ORPHAN_MINUTES"] = "0"
    try:
        assert await sweep_document_orphans({}) == 1
    finally:
        del os.environ["STORAGE_ORPHAN_MINUTES"]
    assert not await store.exists(orphan)


# Several machines: processes that share no folder, only the store.

async def test_processes_without_a_shared_disk_serve_each_others_documents(s3_endpoint, session, tmp_path):
    """Two API processes and a worker, each with a data folder of its own: an upload on one is
    downloaded from the other, and the 申请表 the worker renders from a workbook uploaded on B
    is downloaded from A."""
    import httpx

    from tests.factories import make_bank
    from tests.processes import free_port, running, start_api, start_worker

    env = s3_env(s3_endpoint)
    with environment(env):
        bucket = get_storage()
        await bucket.create_bucket()
    await make_bank(session)
    port_a, port_b = free_port(), free_port()
    folders = {name: tmp_path / name for name in ("a", "b", "worker")}
    with running(start_api(port_a, **env, DATA_DIR=str(folders["a"])), start_api(port_b, **env, DATA_DIR=str(folders["b"])),
                 start_worker(**env, DATA_DIR=str(folders["worker"]))):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}", timeout=30) as a, \
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}", timeout=30) as b:
            registered = (await gql(a, REGISTER, {"input": registration()}, files=FILES)).ok()["registerDeveloper"]
            licence = registered["user"]["organization"]["attachments"][0]
            download = await b.get(licence["url"])
            assert download.status_code == 200 and download.content == PDF
            token = registered["token"]

            collect = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { id } }"
            app = (await gql(b, collect, {"input": {"name": "两机花园", "district": "江海区", "address": "江门市江海区 2 号",
                                                    "depositTiming": "BEFORE_HANDOVER"}}, token=token)).ok()["createEstateCollection"]
            job = (await gql(b, "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }",
                             {"id": app["id"], "file": None}, token=token,
                             files={"variables.file": ("houses.xlsx", workbook(grid("1栋", 2, 2)), XLSX)})).ok()["importHouses"]
            assert (await wait_job(a, token, job["id"]))["status"] == "SUCCEEDED"
            submitted = await gql(a, "mutation($id: ID!) { submitApplication(id: $id) { status } }", {"id": app["id"]}, token=token)
            assert submitted.ok()["submitApplication"]["status"] == "SUBMITTED"
            q = "query($id: ID!) { application(id: $id) { form { url } formJob { id } } }"
            form_job = (await gql(a, q, {"id": app["id"]}, token=token)).ok()["application"]["formJob"]
            assert (await wait_job(b, token, form_job["id"]))["status"] == "SUCCEEDED"
            form = (await gql(b, q, {"id": app["id"]}, token=token)).ok()["application"]["form"]
            pdf = await a.get(form["url"])
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert not any((folder / "files").exists() for folder in folders.values())
    rows = await stored_keys(session)
    with environment(env):
        assert len(rows) == 4 and await keys(bucket) == rows  # 2 attachments, the workbook, the 申请表
        await close_storage()


async def test_an_unreachable_store_is_an_outage_and_writes_nothing(session):
    """An upload while the object store is down answers "try again later" (the coded outage),
    and no row is left behind."""
    import httpx

    from core.outage import OUTAGE_MESSAGE
    from models import Organization
    from tests.processes import free_port, running, start_api

    env = s3_env(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    port = free_port()
    with running(start_api(port, **env)):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            r = await gql(client, REGISTER, {"input": registration()}, files=FILES)
    assert r.code == "INTERNAL" and r.errors[0]["message"] == OUTAGE_MESSAGE, r
    assert await session.scalar(select(Organization.id)) is None
    assert await session.scalar(select(Document.id)) is None
