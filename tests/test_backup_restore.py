"""The backup and restore drill: a scenario through the API, `server.cli backup`, `server.cli restore`
into a fresh database, document store and Redis, the service started on it, everything compared,
and new jobs running with ids of their own."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from models import Base, Document, Job
from models.enums import JobStatus, Role
from services.payments.deposits import recalculate
from tests.api import gql
from tests.appflow import make_world, through_review, wait_job
from tests.factories import login, make_user
from core.storage import close_storage, get_storage, storage_for
from tests.processes import ROOT, free_port, running, start_api, start_worker
from tests.s3server import s3_endpoint, s3_env  # noqa: F401 (a fixture)
from tests.sheets import XLSX, grid, workbook
from tests.test_payments import NOTICE, confirm
from tests.test_storage import environment

TOTALS = """query($id: ID!) { estate(id: $id) { code name status houseCount depositDue depositPaid balance
    buildings { name depositDue depositPaid balance houses { code status depositDue depositPaid balance
    ledger { kind amount balanceAfter } } } } }"""
NOTICES = "query($n: String!) { paymentNotice(number: $n) { number status total document { filename sizeBytes } } }"


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def cli(*args: str, **env: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "server.cli", *args, cwd=ROOT,
                                                env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def fresh_database() -> str:
    admin = os.environ["WXFUND_ADMIN_DATABASE_URL"]
    name = f"{urlsplit(os.environ['DATABASE_URL']).path.lstrip('/')}_restored_{secrets.token_hex(2)}"
    conn = await asyncpg.connect(dsn(admin))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))


async def drop_database(url: str) -> None:
    conn = await asyncpg.connect(dsn(os.environ["WXFUND_ADMIN_DATABASE_URL"]))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


async def table_rows(url: str) -> dict[str, list]:
    """Every row of every table, in primary-key order, and every sequence's position."""
    conn = await asyncpg.connect(dsn(url))
    try:
        rows = {}
        for table in Base.metadata.sorted_tables:
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            rows[table.name] = [tuple(r) for r in await conn.fetch(f'SELECT * FROM "{table.name}" ORDER BY {order}')]
        rows["sequences"] = [tuple(r) for r in await conn.fetch(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")]
        return rows
    finally:
        await conn.close()


async def scenario(client, session, world) -> dict:
    """Collection with an imported workbook and approval, building notices, a bank confirmation
    with its receipt, and an area change that refunds: every kind of row and document."""
    collect = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { id estate { id } } }"
    app = (await gql(client, collect, {"input": {"name": "备份花园", "district": "江海区", "address": "江门市江海区备份路 1 号",
                                                 "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
    job = (await gql(client, "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }",
                     {"id": app["id"], "file": None}, token=world.dev,
                     files={"variables.file": ("houses.xlsx", workbook(grid("1栋", 2, 2)), XLSX)})).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    await through_review(client, world, app["id"])

    tree = (await gql(client, "query($id: ID!) { estate(id: $id) { buildings { id houses { id buildingArea } } } }",
                      {"id": world.estate_gid}, token=world.dev)).ok()["estate"]
    issued = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [b["id"] for b in tree["buildings"]]}, token=world.dev)).ok()["issueBuildingNotices"]
    (await confirm(client, world, issued[0], "TX-BACKUP-1")).ok()
    house = tree["buildings"][0]["houses"][0]
    smaller = str((Decimal(house["buildingArea"]) - Decimal("10.00")).quantize(Decimal("0.01")))
    change = (await gql(client, "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id } }",
                        {"input": {"estateId": world.estate_gid, "reason": "测绘面积减少",
                                   "items": [{"houseId": house["id"], "buildingArea": smaller}]}},
                        token=world.dev)).ok()["createHouseInfoChange"]
    (await gql(client, 'mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: "江门示例置业", bankName: "工行", accountNumber: "6222000011112222"}) { status } }',
               {"id": change["id"]}, token=world.dev)).ok()
    for mutation in ("acceptApplication", "approveApplication"):
        (await gql(client, f"mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}", {"id": change["id"]},
                   token=world.clerk)).ok()
    refund = (await gql(client, "query($id: ID!) { application(id: $id) { refunds { id } } }", {"id": change["id"]},
                        token=world.dev)).ok()["application"]["refunds"][0]
    (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": refund["id"]},
               token=world.clerk)).ok()
    # Every background job (PDFs of the notices, receipt, forms) done before the backup.
    for _ in range(600):
        session.expire_all()
        if not await session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))):
            break
        await asyncio.sleep(0.1)
    return {"collection": app, "notices": issued}


async def api_view(client, world_tokens: dict, estates: list[str], notices: list[str]) -> dict:
    view = {"estates": [], "notices": []}
    for estate in estates:
        view["estates"].append((await gql(client, TOTALS, {"id": estate}, token=world_tokens["dev"])).ok()["estate"])
    for number in notices:
        view["notices"].append((await gql(client, NOTICES, {"n": number}, token=world_tokens["dev"])).ok()["paymentNotice"])
    view["payments"] = (await gql(client, '{ payments(date: "2026-11-27") { totalCount totalAmount edges { node { amount bankTransactionId } } } }',
                                  token=world_tokens["bank"])).ok()["payments"]
    return view


@pytest.mark.parametrize("source, target", [("folder", "s3"), ("s3", "folder")])
async def test_backup_restore_drill(client, session, worker, tmp_path, request, source, target):
    """From a folder into an object store (how a single machine's documents move to S3), and
    back from an object store into a folder."""
    source_env = s3_env(request.getfixturevalue("s3_endpoint")) if source == "s3" else {}
    with environment(source_env):
        if source == "s3":
            await get_storage().create_bucket()
        try:
            await drill(client, session, tmp_path, request, target, source_env)
        finally:
            await close_storage()


async def drill(client, session, tmp_path, request, target, source_env):
    world = await make_world(client, session)
    await recalculate(session, estate_id=world.estate)
    await session.commit()
    await make_user(session, "bank1", [Role.BANK], bank_id=world.bank)
    world.bank_token = await login(client, "bank1")
    done = await scenario(client, session, world)
    estates = [world.estate_gid, done["collection"]["estate"]["id"]]
    numbers = [n["number"] for n in done["notices"]]
    before = await api_view(client, {"dev": world.dev, "bank": world.bank_token}, estates, numbers)
    kinds = set(await session.scalars(select(Document.kind)))
    assert {"ATTACHMENT", "APPLICATION_FORM", "PAYMENT_NOTICE", "PAYMENT_RECEIPT", "REFUND_FORM"} <= {k.value for k in kinds}
    assert before["payments"]["totalCount"] == 1

    # Backup.
    dest = tmp_path / "backup"
    code, out = await cli("backup", str(dest), **source_env)
    assert code == 0, out
    documents = list(await session.scalars(select(Document).order_by(Document.id)))
    assert (dest / "manifest.json").is_file() and (dest / "database.dump").stat().st_size > 0
    assert sorted(p.relative_to(dest / "documents").as_posix() for p in (dest / "documents").rglob("*") if p.is_file()) \
        == sorted(d.storage_key for d in documents)
    assert (await cli("backup", str(dest), **source_env))[0] == 1  # never over an earlier backup

    # Restore into a fresh database, a fresh store and an empty Redis database.
    restored_url = await fresh_database()
    redis_url = os.environ["REDIS_URL"] + ("&" if "?" in os.environ["REDIS_URL"] else "?") + "db=5"
    if target == "s3":
        env = s3_env(request.getfixturevalue("s3_endpoint"))
        with environment(env):
            restored_store = storage_for(env["STORAGE_URL"], "")
            await restored_store.create_bucket()
    else:
        env = {"STORAGE_URL": f"file://{tmp_path / 'restored-files'}"}
        restored_store = storage_for(env["STORAGE_URL"], "")
    env.update(DATABASE_URL=restored_url, REDIS_URL=redis_url)
    try:
        import redis.asyncio

        fresh_redis = redis.asyncio.Redis.from_url(redis_url)
        await fresh_redis.flushdb()
        await fresh_redis.aclose()
        # A damaged backup is refused before anything is written.
        import shutil

        damaged = tmp_path / "damaged"
        shutil.copytree(dest, damaged)
        victim = damaged / "documents" / documents[0].storage_key
        victim.write_bytes(victim.read_bytes()[:-1])
        code, out = await cli("restore", str(damaged), **env)
        assert code == 1 and "已损坏" in out, out
        victim.unlink()
        (damaged / "database.dump").write_bytes((dest / "database.dump").read_bytes()[:-10])
        code, out = await cli("restore", str(damaged), **env)
        assert code == 1 and "database.dump 缺失或已损坏" in out, out

        code, out = await cli("restore", str(dest), **env)
        assert code == 0, out
        code, out = await cli("restore", str(dest), **env)  # only into an empty database
        assert code == 1 and "不是空的" in out, out

        old_rows, new_rows = await table_rows(os.environ["DATABASE_URL"]), await table_rows(restored_url)
        for table in old_rows:
            assert new_rows[table] == old_rows[table], table
        assert old_rows["houses"] and old_rows["ledger_entries"] and old_rows["payments"] and old_rows["refunds"]
        for doc in documents:
            assert await restored_store.read(doc.storage_key) == await get_storage().read(doc.storage_key)
        assert len([o async for o in restored_store.objects()]) == len(documents)

        port = free_port()
        with running(start_api(port, **env), start_worker(**env)):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as restored:
                tokens = {"dev": await login(restored, world.org.admin_username), "bank": await login(restored, "bank1")}
                after = await api_view(restored, tokens, estates, numbers)
                assert after == before
                form = (await gql(restored, "query($id: ID!) { application(id: $id) { form { url } } }",
                                  {"id": done["collection"]["id"]}, token=tokens["dev"])).ok()["application"]["form"]
                download = await restored.get(form["url"])
                original = next(d for d in documents if d.kind.value == "APPLICATION_FORM")
                assert download.status_code == 200 and download.content == await get_storage().read(original.storage_key)

                # New jobs run on the restored service, with ids after every restored one.
                job = (await gql(restored, "mutation($ids: [ID!]!) { printPaymentNotices(ids: $ids) { id } }",
                                 {"ids": [n["id"] for n in done["notices"]]}, token=tokens["dev"])).ok()["printPaymentNotices"]
                printed = await wait_job(restored, tokens["dev"], job["id"])
                assert printed["status"] == "SUCCEEDED", printed
                assert (await restored.get(printed["result"]["url"])).content.startswith(b"%PDF")
        conn = await asyncpg.connect(dsn(restored_url))
        try:
            new_ids = await conn.fetch("SELECT id FROM jobs ORDER BY id")
        finally:
            await conn.close()
        old_ids = [r[0] for r in old_rows["jobs"]]
        assert len(new_ids) == len(old_ids) + 1 and new_ids[-1]["id"] > max(old_ids)
    finally:
        await drop_database(restored_url)
        if target == "s3":
            with environment(env):
                await restored_store.aclose()


async def test_restore_refuses_an_incomplete_or_damaged_backup(tmp_path):
    (tmp_path / "empty").mkdir()
    code, out = await cli("restore", str(tmp_path / "empty"))
    assert code == 1 and "不是完整的备份" in out, out
