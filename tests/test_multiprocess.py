"""Several API processes and workers on one PostgreSQL and Redis: a subscriber on one process
hears every progress event of an import run by a worker; a worker killed mid-import leaves a
job that finishes once after a restart."""

import asyncio
import json
import signal

import httpx
import websockets
from sqlalchemy import func, select

from models import ApplicationHouse, House
from tests.factories import login, make_bank, make_org
from tests.processes import free_port, running, start_api, start_worker, stop
from tests.sheets import XLSX, grid, workbook

COLLECT = 'mutation { createEstateCollection(input: {name: "多进程花园", district: "蓬江区", address: "x", depositTiming: BEFORE_HANDOVER}) { id } }'
IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }"
JOB = "subscription($id: ID!) { jobUpdated(id: $id) { status processed total } }"


async def _post(client, base, query, variables=None, token=None, files=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if files:
        data = {"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps({"0": ["variables.file"]})}
        r = await client.post(f"{base}/graphql", data=data, files={"0": files}, headers=headers)
    else:
        r = await client.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    body = r.json()
    assert not body.get("errors"), body
    return body["data"]


async def _queue_import(client, base, token, rows):
    app = (await _post(client, base, COLLECT, token=token))["createEstateCollection"]["id"]
    data = workbook(rows)
    job = (await _post(client, base, IMPORT, {"id": app, "file": None}, token, ("h.xlsx", data, XLSX)))["importHouses"]["id"]
    return app, job


async def _watch(port, token, job_id, into: list):
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": JOB, "variables": {"id": job_id}}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if message["type"] == "next":
                into.append(message["payload"]["data"]["jobUpdated"])
                if into[-1]["status"] in ("SUCCEEDED", "FAILED"):
                    return


async def test_two_apis_two_workers_progress_reaches_the_other_process(session):
    bank = await make_bank(session)
    org = await make_org(session)
    port_a, port_b = free_port(), free_port()
    with running(start_api(port_a), start_api(port_b)):
        async with httpx.AsyncClient(timeout=30) as client:
            token = await login_http(client, f"http://127.0.0.1:{port_a}", org.admin_username)
            rows = grid("1栋", 50, 50) + grid("2栋", 30, 30)  # 3400 houses: progress at 1000, 2000, 3000
            _, job = await _queue_import(client, f"http://127.0.0.1:{port_a}", token, rows)
            events: list = []
            watcher = asyncio.create_task(_watch(port_b, token, job, events))
            await asyncio.sleep(0.5)  # subscribed on B while the job is still QUEUED
            with running(start_worker(), start_worker()):
                await asyncio.wait_for(watcher, 90)
    assert events[0]["status"] == "QUEUED"
    assert events[-1] == {"status": "SUCCEEDED", "processed": 3400, "total": 3400}
    running_events = [e for e in events if e["status"] == "RUNNING"]
    processed = [e["processed"] for e in running_events]
    assert processed == sorted(processed) and len([p for p in processed if p > 0]) >= 3, events
    assert bank


async def login_http(client, base, username):
    from tests.factories import PASSWORD

    data = await _post(client, base, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
                       {"u": username, "p": PASSWORD})
    return data["login"]["token"]


async def test_worker_killed_mid_import_finishes_once_after_restart(session):
    await make_bank(session)
    org = await make_org(session)
    port = free_port()
    rows = grid("1栋", 100, 60)  # 6000 houses
    with running(start_api(port)):
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=30) as client:
            token = await login_http(client, base, org.admin_username)
            app, job = await _queue_import(client, base, token, rows)
            first = start_worker(JOB_HEARTBEAT_SECONDS="0.5", JOB_STALE_SECONDS="3", JOB_SWEEP_SECONDS="1")
            status = await _job_status(client, base, token, job)
            while status["status"] == "QUEUED" or (status["status"] == "RUNNING" and status["processed"] == 0):
                await asyncio.sleep(0.02)
                status = await _job_status(client, base, token, job)
            stop(first, signal.SIGKILL)  # mid-import: the job row says RUNNING
            with running(start_worker(JOB_HEARTBEAT_SECONDS="0.5", JOB_STALE_SECONDS="3", JOB_SWEEP_SECONDS="1")):
                for _ in range(600):
                    status = await _job_status(client, base, token, job)
                    if status["status"] in ("SUCCEEDED", "FAILED"):
                        break
                    await asyncio.sleep(0.1)
    assert status["status"] == "SUCCEEDED", status
    from core.ids import decode_id

    app_id = decode_id(app, "Application")
    assert await session.scalar(select(func.count()).select_from(House).where(House.application_id == app_id)) == 6000
    assert await session.scalar(select(func.count()).select_from(ApplicationHouse).where(ApplicationHouse.application_id == app_id)) == 6000
    assert status["attempts"] == 2  # killed once while RUNNING, then run again to the end


async def _job_status(client, base, token, job):
    from core.db import get_sessionmaker
    from core.ids import decode_id
    from models import Job

    async with get_sessionmaker()() as s:
        row = await s.get(Job, decode_id(job, "Job"))
        return {"status": row.status.value, "processed": row.processed, "attempts": row.attempts}
