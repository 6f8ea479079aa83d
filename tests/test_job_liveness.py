"""A job whose worker died (issue 12, line 9): its heartbeat stops, and a sweeper in any live
worker puts it back in the queue (or, its attempts used up, fails it with a message) within
seconds here (the intervals are configurable; by default within 60 s), and `jobUpdated`
subscribers hear it."""

import asyncio
import json
import signal

import httpx
import websockets
from sqlalchemy import func, select

from core.ids import decode_id
from models import ApplicationHouse, House
from tests.factories import make_bank, make_org
from tests.processes import free_port, running, start_api, start_worker, stop
from tests.sheets import grid
from tests.test_faults import Traffic
from tests.test_multiprocess import _job_status, _queue_import, login_http

JOB = "subscription($id: ID!) { jobUpdated(id: $id) { status processed total message } }"
# Fast liveness for the test: a beat each 0.5 s, silent 3 s is dead, a sweep each second.
FAST = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_STALE_SECONDS": "3", "JOB_SWEEP_SECONDS": "1"}


async def _watch(port, token, job_id, into: list, until=("SUCCEEDED", "FAILED")):
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": JOB, "variables": {"id": job_id}}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 90))
            assert message["type"] == "next", message
            into.append(message["payload"]["data"]["jobUpdated"])
            if into[-1]["status"] in until:
                return


async def _kill_mid_import(client, base, token, job, worker):
    status = await _job_status(client, base, token, job)
    while status["status"] == "QUEUED" or (status["status"] == "RUNNING" and status["processed"] == 0):
        await asyncio.sleep(0.02)
        status = await _job_status(client, base, token, job)
    assert status["status"] == "RUNNING", status
    stop(worker, signal.SIGKILL)


async def test_a_job_whose_worker_died_is_queued_again_and_finishes_once(session):
    await make_bank(session)
    org = await make_org(session)
    port = free_port()
    with running(start_api(port)):
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=30) as client:
            token = await login_http(client, base, org.admin_username)
            app, job = await _queue_import(client, base, token, grid("1栋", 100, 60))  # 6000 houses
            events: list = []
            watcher = asyncio.create_task(_watch(port, token, job, events))
            with Traffic(client, base, token) as traffic:
                await _kill_mid_import(client, base, token, job, start_worker(**FAST))
                # arq alone would hand the job out again only after JOB_TIMEOUT_SECONDS (600 s).
                with running(start_worker(**FAST)):
                    await asyncio.wait_for(watcher, 120)
            traffic.check()  # the API answered throughout
            status = await _job_status(client, base, token, job)
    statuses = [e["status"] for e in events]
    requeued = statuses.index("QUEUED", statuses.index("RUNNING"))
    assert "后台处理中断" in events[requeued]["message"], events[requeued]
    assert "RUNNING" in statuses[requeued:] and statuses[-1] == "SUCCEEDED", statuses
    assert status["attempts"] == 2
    app_id = decode_id(app, "Application")
    assert await session.scalar(select(func.count()).select_from(House).where(House.application_id == app_id)) == 6000
    assert await session.scalar(select(func.count()).select_from(ApplicationHouse).where(ApplicationHouse.application_id == app_id)) == 6000


async def test_a_job_out_of_attempts_fails_with_a_message(session):
    await make_bank(session)
    org = await make_org(session)
    port = free_port()
    with running(start_api(port)):
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=30) as client:
            token = await login_http(client, base, org.admin_username)
            app, job = await _queue_import(client, base, token, grid("1栋", 100, 60))
            events: list = []
            watcher = asyncio.create_task(_watch(port, token, job, events))
            await _kill_mid_import(client, base, token, job, start_worker(**FAST, JOB_MAX_ATTEMPTS="1"))
            with running(start_worker(**FAST, JOB_MAX_ATTEMPTS="1")):
                await asyncio.wait_for(watcher, 120)
            status = await _job_status(client, base, token, job)
    assert events[-1]["status"] == "FAILED" and "后台处理中断" in events[-1]["message"], events[-1]
    assert status == {"status": "FAILED", "processed": status["processed"], "attempts": 1}
    app_id = decode_id(app, "Application")
    assert await session.scalar(select(func.count()).select_from(House).where(House.application_id == app_id)) == 0
