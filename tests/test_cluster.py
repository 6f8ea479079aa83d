"""Several processes, one truth (issue 11, item 2): two API processes and two workers, real
subprocesses on loopback, on the test's PostgreSQL and Redis. A mixed scenario goes to both API
processes (imports, a clerk's acceptance and approval, building notices, the bank's
confirmations), each change heard on a subscription open on the OTHER process; one worker is
killed (SIGKILL) in the middle of a 6 000-house import. Afterwards every job ended exactly once
(the killed one taken over by the other worker through its heartbeat, its houses written once)
and every total adds up."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from decimal import Decimal

import httpx
import websockets
from sqlalchemy import func, select

from core.db import get_sessionmaker
from core.ids import decode_id, encode_id
from models import (
    Application, ApplicationHouse, Building, Document, House, Job, LedgerEntry, NoticeLine, Payment, PaymentNotice,
)
from models.enums import DocumentKind, JobStatus, NoticeStatus
from tests.api import gql
from tests.factories import login, make_bank, make_org, make_paying_estate
from tests.processes import free_port, running, start_api, start_worker, stop
from tests.sheets import XLSX, grid, workbook

# Fast liveness, so a dead worker's job is noticed in seconds (defaults: 5 / 30 / 10 s); ten
# missed beats before a live worker's job would be taken for dead on a loaded machine. INFO
# logs: arq's start and end lines say which worker took a job.
FAST = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_STALE_SECONDS": "5", "JOB_SWEEP_SECONDS": "1", "LOG_LEVEL": "INFO"}
BIG_ROWS = grid("1栋", 100, 60)  # 6 000 houses: seconds of work, progress reported each 1 000
SMALL_ROWS = grid("1栋", 4, 5)   # 20 houses

COLLECT = """mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { id estate { id } } }"""
IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }"
ISSUE = "mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { id number total } }"
CONFIRM = "mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id notice { status } } }"
JOB_UPDATED = "subscription($id: ID!) { jobUpdated(id: $id) { status processed total message } }"
STATUS_CHANGED = """subscription($org: ID) { applicationStatusChanged(organizationId: $org) {
  application { id } event { status } } }"""
TOTALS = """query($id: ID!) { estate(id: $id) { houseCount depositDue depositPaid balance
  buildings { houseCount depositDue depositPaid balance houses { id depositDue depositPaid balance status } } } }"""


async def _socket(base: str, token: str):
    ws = await websockets.connect(base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert ack["type"] == "connection_ack", ack
    return ws


async def _messages(ws, query: str, variables: dict):
    """The subscription's `next` payloads; a ping is answered, an error or completion fails."""
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        yield message["payload"]["data"]


async def watch_job(base: str, token: str, job_gid: str) -> list[dict]:
    """Every jobUpdated event of the job until it ends (the first is its state when subscribed)."""
    ws = await _socket(base, token)
    heard: list[dict] = []
    try:
        async for data in _messages(ws, JOB_UPDATED, {"id": job_gid}):
            heard.append(data["jobUpdated"])
            if heard[-1]["status"] in ("SUCCEEDED", "FAILED"):
                return heard
    finally:
        await ws.close()
    return heard


class StatusListener:
    """An open applicationStatusChanged subscription on one process: (application, status) heard."""

    def __init__(self, base: str, token: str, org_gid: str):
        self.base, self.token, self.org_gid = base, token, org_gid
        self.heard: set[tuple[str, str]] = set()
        self.task: asyncio.Task | None = None

    async def __aenter__(self):
        self.ws = await _socket(self.base, self.token)
        self.task = asyncio.create_task(self._listen())
        return self

    async def _listen(self):
        async for data in _messages(self.ws, STATUS_CHANGED, {"org": self.org_gid}):
            event = data["applicationStatusChanged"]
            self.heard.add((event["application"]["id"], event["event"]["status"]))

    async def __aexit__(self, *exc):
        self.task.cancel()
        await self.ws.close()

    async def until_heard(self, wanted: set[tuple[str, str]], timeout: float = 60) -> None:
        async def wait():
            while not wanted <= self.heard:
                assert not self.task.done(), self.task.exception()
                await asyncio.sleep(0.05)
        await asyncio.wait_for(wait(), timeout)


class Cluster:
    """The two API processes (A and B, each with its HTTP client) and the tokens of the users."""

    def __init__(self, bases: list[str]):
        self.bases = bases
        self.http = [httpx.AsyncClient(base_url=b, timeout=60) for b in bases]
        self.changes: list[tuple[str, str, int]] = []  # (application, status, process that made it)

    def other(self, process: int) -> int:
        return 1 - process

    async def ok(self, process: int, query: str, variables: dict | None = None, *, token: str, files=None) -> dict:
        return (await gql(self.http[process], query, variables, token=token, files=files)).ok()

    async def close(self) -> None:
        for client in self.http:
            await client.aclose()


async def _job_row(session, job_id: int) -> Job:
    session.expire_all()
    return await session.get(Job, job_id)


async def _worker_mid_import(session, logs, job_id: int) -> int:
    """Waits until the import is RUNNING with rows already read; which worker runs it."""
    row = await _job_row(session, job_id)
    while row.status == JobStatus.QUEUED or (row.status == JobStatus.RUNNING and row.processed == 0):
        await asyncio.sleep(0.02)
        row = await _job_row(session, job_id)
    assert row.status == JobStatus.RUNNING and row.attempts == 1, (row.status, row.attempts)
    return _worker_running(logs, job_id)


def _worker_running(logs, job_id: int) -> int:
    """Which worker arq handed the job to: arq logs `→ job-<id>-…:import_houses(…)` as it starts one."""
    takers = [i for i, log in enumerate(logs)
              if any(f"job-{job_id}-" in line and ":import_houses(" in line and "→" in line
                     for line in log.read_text().splitlines())]
    assert len(takers) == 1, takers
    return takers[0]


async def test_two_apis_two_workers_a_killed_worker_and_every_total_adds_up(session, tmp_path):
    _, org, estate = await make_paying_estate(session, buildings=4, floors=3, units=1, rooms_per_unit=2,
                                              sold_ratio=1.0)
    buildings = [encode_id("Building", b) for b in
                 (await session.scalars(select(Building.id).where(Building.estate_id == estate).order_by(Building.id))).all()]
    org_gid = encode_id("Organization", org.org_id)

    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    workers = [start_worker(log=logs[0], **FAST), start_worker(log=logs[1], **FAST)]
    ports = [free_port(), free_port()]
    with running(*workers), running(start_api(ports[0]), start_api(ports[1])):
        cluster = Cluster([f"http://127.0.0.1:{p}" for p in ports])
        try:
            dev = await login(cluster.http[0], org.admin_username)
            clerk = await login(cluster.http[1], "clerk1")
            bank_token = await login(cluster.http[0], "bank1")
            async with StatusListener(cluster.bases[0], dev, org_gid) as on_a, \
                    StatusListener(cluster.bases[1], clerk, org_gid) as on_b:
                listeners = [on_a, on_b]
                await _until_listening(cluster, dev, listeners)

                # The long job: a 6 000-house import through A, watched on B.
                big = (await cluster.ok(0, COLLECT, _collection("大型花园"), token=dev))["createEstateCollection"]
                big_job = (await cluster.ok(0, IMPORT, {"id": big["id"], "file": None}, token=dev, files={
                    "variables.file": ("big.xlsx", workbook(BIG_ROWS), XLSX)}))["importHouses"]["id"]
                big_watch = asyncio.create_task(watch_job(cluster.bases[1], dev, big_job))
                big_id = decode_id(big_job, "Job")

                # The mixed scenario runs meanwhile on both processes, its jobs on both workers.
                mixed = asyncio.gather(
                    *(_collection_flow(cluster, dev, clerk, process=i % 2, name=f"小区{i}") for i in range(3)),
                    _notices_flow(cluster, dev, bank_token, buildings))

                # Mid-import: RUNNING with rows already read; the worker arq handed it to is killed.
                victim = await _worker_mid_import(session, logs, big_id)
                stop(workers[victim], signal.SIGKILL)
                cut_off = set((await session.scalars(select(Job.id).where(Job.status == JobStatus.RUNNING))).all())

                flows = await asyncio.wait_for(mixed, 120)
                big_events = await asyncio.wait_for(big_watch, 120)
                changes = cluster.changes
                for app, status, process in changes:  # each change heard on the other process
                    await listeners[cluster.other(process)].until_heard({(app, status)})
            await _until_no_job_is_live(session)
            assert workers[1 - victim].poll() is None  # the survivor did the rest, the killed import too
            assert f"← job-{big_id}-" in logs[1 - victim].read_text()
            totals = [(await cluster.ok(1, TOTALS, {"id": encode_id("Estate", e)}, token=dev))["estate"]
                      for e in [estate] + [decode_id(f["estate"], "Estate") for f in flows[:3]]]
        finally:
            await cluster.close()

    # The killed job: taken back by the sweeper, run again by the other worker, ended once.
    statuses = [e["status"] for e in big_events]
    requeued = statuses.index("QUEUED", statuses.index("RUNNING"))
    assert "后台处理中断" in big_events[requeued]["message"], big_events
    assert statuses[-1] == "SUCCEEDED" and statuses.count("SUCCEEDED") == 1, statuses
    assert big_events[-1]["processed"] == big_events[-1]["total"] == 6000
    big_app = decode_id(big["id"], "Application")
    assert await _count(session, House, House.application_id == big_app) == 6000
    assert await _count(session, ApplicationHouse, ApplicationHouse.application_id == big_app) == 6000
    places = (await session.execute(select(House.building_id, House.unit, House.floor, House.room_number)
                                    .where(House.application_id == big_app))).all()
    assert len(set(places)) == 6000  # no house written twice

    # Every job ended exactly once: SUCCEEDED with its finishing time; run again only if it was
    # running on the killed worker.
    session.expire_all()
    jobs = (await session.scalars(select(Job).order_by(Job.id))).all()
    assert jobs and all(j.status == JobStatus.SUCCEEDED and j.finished_at for j in jobs), \
        [(j.id, j.kind, j.status, j.message) for j in jobs if j.status != JobStatus.SUCCEEDED]
    assert {j.id: j.attempts for j in jobs if j.attempts != 1}.keys() <= cut_off
    assert next(j for j in jobs if j.id == big_id).attempts == 2
    await _documents_once(session, flows)

    # Every total adds up.
    await _ledgers_add_up(session)
    for tree, houses in zip(totals, [24, 20, 20, 20]):  # the seeded estate's, then each approved collection's
        _tree_adds_up(tree, houses)
    await _notices_paid_are_payments(session, flows[3])


async def test_a_worker_paused_past_its_lease_does_not_finish_the_job_again(session, tmp_path):
    """A worker stopped (SIGSTOP: a long pause, a frozen VM) mid-import for longer than the
    heartbeat's lease: the other worker runs the job again. When the paused one wakes, its run
    must not commit too: the job ends once, its houses written once."""
    await make_bank(session)
    org = await make_org(session)
    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    workers = [start_worker(log=logs[0], **FAST), start_worker(log=logs[1], **FAST)]
    port = free_port()
    with running(*workers), running(start_api(port)):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            dev = await login(client, org.admin_username)
            app = (await gql(client, COLLECT, _collection("暂停花园"), token=dev)).ok()["createEstateCollection"]
            job = (await gql(client, IMPORT, {"id": app["id"], "file": None}, token=dev, files={
                "variables.file": ("big.xlsx", workbook(BIG_ROWS), XLSX)})).ok()["importHouses"]["id"]
        job_id, app_id = decode_id(job, "Job"), decode_id(app["id"], "Application")
        paused = await _worker_mid_import(session, logs, job_id)
        workers[paused].send_signal(signal.SIGSTOP)
        try:  # until the sweeper took the job back and the other worker started it again
            await _until(lambda: _job_is(session, job_id, attempts=2))
        finally:
            workers[paused].send_signal(signal.SIGCONT)
        await _until(lambda: _job_is(session, job_id, status=JobStatus.SUCCEEDED), step=0.02)
        first_end = (await _job_row(session, job_id)).finished_at
        houses = set((await session.scalars(select(House.id).where(House.application_id == app_id))).all())

        async def both_runs_ended():  # the paused one's and the other's, as arq logs them
            return _runs_ended(logs, job_id) == 2
        await _until(both_runs_ended)
    row = await _job_row(session, job_id)
    assert (row.status, row.attempts, row.finished_at) == (JobStatus.SUCCEEDED, 2, first_end)
    assert len(houses) == 6000
    assert set((await session.scalars(select(House.id).where(House.application_id == app_id))).all()) == houses
    assert "taken over by another run" in logs[paused].read_text()  # the paused run reached its end, and yielded


async def test_a_job_whose_worker_died_before_starting_it_runs_on_another(session, tmp_path):
    """A worker that takes a job from the queue and dies before the job's row says RUNNING
    (killed between arq's delivery and `jobs.start`) leaves arq's in-progress mark, which keeps
    that delivery from every other worker for JOB_TIMEOUT_SECONDS. The row stays QUEUED: the
    sweeper must deliver it again where a live worker takes it. The window is held open here by
    locking the job's row, as a slow start would; the worker is killed inside it."""
    await make_bank(session)
    org = await make_org(session)
    port = free_port()
    with running(start_api(port)) as (api,):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            dev = await login(client, org.admin_username)
            app = (await gql(client, COLLECT, _collection("未启花园"), token=dev)).ok()["createEstateCollection"]
            job = (await gql(client, IMPORT, {"id": app["id"], "file": None}, token=dev, files={
                "variables.file": ("small.xlsx", workbook(SMALL_ROWS), XLSX)})).ok()["importHouses"]["id"]
        job_id = decode_id(job, "Job")
        logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
        async with _fresh_session() as holder:
            await holder.execute(select(Job.id).where(Job.id == job_id).with_for_update())  # start() waits on it
            workers = [start_worker(log=logs[0], **FAST), start_worker(log=logs[1], **FAST)]
            with running(*workers):

                async def delivered():
                    return any(f"job-{job_id}-" in log.read_text() for log in logs if log.exists())
                await _until(delivered)
                taker = _worker_running(logs, job_id)
                stop(workers[taker], signal.SIGKILL)
                await holder.rollback()
                await _until(lambda: _job_is(session, job_id, status=JobStatus.SUCCEEDED), timeout=60)
    row = await _job_row(session, job_id)
    assert (row.status, row.attempts) == (JobStatus.SUCCEEDED, 1)  # the dead worker never started it
    assert await _count(session, House, House.application_id == decode_id(app["id"], "Application")) == 20


async def test_a_worker_stopped_by_sigterm_hands_its_job_back_at_once(session, tmp_path):
    """A worker told to stop (SIGTERM: a deploy, a scale-down) cancels the jobs it runs; each
    goes back in the queue as the worker exits, for another worker to run, rather than waiting
    for the sweeper to find its heartbeat silent (JOB_STALE_SECONDS, 30 s by default: here 600,
    so only the hand-back can have queued it)."""
    await make_bank(session)
    org = await make_org(session)
    slow_sweep = FAST | {"JOB_STALE_SECONDS": "600"}
    port = free_port()
    with running(start_api(port)):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            dev = await login(client, org.admin_username)
            app = (await gql(client, COLLECT, _collection("停机花园"), token=dev)).ok()["createEstateCollection"]
            job = (await gql(client, IMPORT, {"id": app["id"], "file": None}, token=dev, files={
                "variables.file": ("big.xlsx", workbook(BIG_ROWS), XLSX)})).ok()["importHouses"]["id"]
        job_id = decode_id(job, "Job")
        first = start_worker(log=tmp_path / "first.log", **slow_sweep)
        with running(first):
            await _worker_mid_import(session, [tmp_path / "first.log"], job_id)
            first.send_signal(signal.SIGTERM)
            await asyncio.to_thread(first.wait, 60)
        row = await _job_row(session, job_id)
        assert (row.status, row.attempts) == (JobStatus.QUEUED, 1), (row.status, row.message)
        assert "已重新排队" in row.message
        with running(start_worker(**slow_sweep)):
            await _until(lambda: _job_is(session, job_id, status=JobStatus.SUCCEEDED))
    row = await _job_row(session, job_id)
    assert (row.status, row.attempts) == (JobStatus.SUCCEEDED, 2)
    assert await _count(session, House, House.application_id == decode_id(app["id"], "Application")) == 6000


async def _until(check, timeout: float = 90, step: float = 0.05) -> None:
    async def poll():
        while not await check():
            await asyncio.sleep(step)
    await asyncio.wait_for(poll(), timeout)


async def _job_is(session, job_id: int, *, attempts: int | None = None, status: JobStatus | None = None) -> bool:
    row = await _job_row(session, job_id)
    assert row.status != JobStatus.FAILED, row.message
    return (attempts is None or row.attempts >= attempts) and (status is None or row.status == status)


def _runs_ended(logs, job_id: int) -> int:
    """How many runs of the job arq saw end (`← job-<id>-…`), on every worker."""
    return sum(1 for log in logs for line in log.read_text().splitlines() if f"← job-{job_id}-" in line)


# ---------------------------------------------------------------- the scenario's flows

def _collection(name: str) -> dict:
    return {"input": {"name": name, "district": "蓬江区", "address": f"江门市蓬江区{name}路 1 号", "depositTiming": "BEFORE_HANDOVER"}}


async def _until_listening(cluster: Cluster, dev: str, listeners: list[StatusListener]) -> None:
    """A subscription sends nothing when it is live: a collection created now and then is
    heard by both once both listen (a creation is a status change to DRAFT)."""
    for attempt in range(20):
        app = (await cluster.ok(0, COLLECT, _collection(f"探针{attempt}"), token=dev))["createEstateCollection"]["id"]
        try:
            await asyncio.gather(*(listener.until_heard({(app, "DRAFT")}, timeout=3) for listener in listeners))
            return
        except asyncio.TimeoutError:
            continue
    raise AssertionError("the status subscriptions never heard a change")


async def _collection_flow(cluster: Cluster, dev: str, clerk: str, *, process: int, name: str) -> dict:
    """A developer creates and imports a collection and submits it on `process` (the import
    watched on the other process); the clerk accepts it on the other and approves it on this one."""
    other = cluster.other(process)
    app = (await cluster.ok(process, COLLECT, _collection(name), token=dev))["createEstateCollection"]
    job = (await cluster.ok(process, IMPORT, {"id": app["id"], "file": None}, token=dev, files={
        "variables.file": ("houses.xlsx", workbook(SMALL_ROWS), XLSX)}))["importHouses"]["id"]
    heard = await watch_job(cluster.bases[other], dev, job)
    assert heard[-1] == {"status": "SUCCEEDED", "processed": 20, "total": 20, "message": "已导入 20 套房屋"}, heard
    for token, mutation, on in ((dev, "submitApplication", process), (clerk, "acceptApplication", other),
                                (clerk, "approveApplication", process)):
        done = await cluster.ok(on, f"mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}", {"id": app["id"]},
                                token=token)
        cluster.changes.append((app["id"], done[mutation]["status"], on))
    return {"application": app["id"], "estate": app["estate"]["id"]}


async def _notices_flow(cluster: Cluster, dev: str, bank: str, buildings: list[str]) -> list[dict]:
    """Building notices issued half on A and half on B, their PDFs' jobs watched on the other
    process; the bank confirms each on the process that did not issue it."""
    issued: list[tuple[dict, int]] = []
    for process, part in ((0, buildings[:2]), (1, buildings[2:])):
        notices = (await cluster.ok(process, ISSUE, {"ids": part}, token=dev))["issueBuildingNotices"]
        issued += [(n, process) for n in notices]
        async with _fresh_session() as s:
            render = await s.scalar(select(PaymentNotice.document_job_id).where(
                PaymentNotice.id == decode_id(notices[0]["id"], "PaymentNotice")))
        heard = await watch_job(cluster.bases[cluster.other(process)], dev, encode_id("Job", render))
        assert heard[-1]["status"] == "SUCCEEDED", heard
    for n, process in issued:
        paid = await cluster.ok(cluster.other(process), CONFIRM, {"input": {
            "noticeNumber": n["number"], "amount": n["total"], "bankTransactionId": f"TX-{n['number']}",
            "paidAt": "2026-11-27T10:00:00+08:00", "channel": "BANK_COUNTER"}}, token=bank)
        assert paid["confirmPayment"]["notice"]["status"] == "PAID"
    return [n for n, _ in issued]


def _fresh_session():
    return get_sessionmaker()()


# ---------------------------------------------------------------- the checks

async def _count(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def _until_no_job_is_live(session, timeout: float = 90) -> None:
    async def wait():
        while await _count(session, Job, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])):
            await asyncio.sleep(0.1)
    await asyncio.wait_for(wait(), timeout)


async def _documents_once(session, flows) -> None:
    """One PDF per notice, per payment (its receipt) and per application form; no document
    that no row names (a job run twice would leave its first run's)."""
    notices = (await session.scalars(select(PaymentNotice))).all()
    assert all(n.document_id for n in notices)
    payments = (await session.scalars(select(Payment))).all()
    assert all(p.receipt_document_id for p in payments)
    kinds = Counter((await session.scalars(select(Document.kind))).all())
    assert kinds[DocumentKind.PAYMENT_NOTICE] == len(notices) == len(flows[3])
    assert kinds[DocumentKind.PAYMENT_RECEIPT] == len(payments) == len(notices)
    forms = await _count(session, Application, Application.form_document_id.is_not(None))
    assert kinds[DocumentKind.APPLICATION_FORM] == forms


async def _ledgers_add_up(session) -> None:
    """Each house's balance is the sum of its ledger, its paid the sum of its deposits, and its
    last entry's balance its balance."""
    sums = dict((await session.execute(select(LedgerEntry.house_id, func.sum(LedgerEntry.amount))
                                       .group_by(LedgerEntry.house_id))).all())
    last = dict((await session.execute(select(LedgerEntry.house_id, LedgerEntry.balance_after)
                                       .distinct(LedgerEntry.house_id)
                                       .order_by(LedgerEntry.house_id, LedgerEntry.id.desc()))).all())
    houses = (await session.execute(select(House.id, House.balance, House.deposit_paid))).all()
    assert sums, "no payment reached a ledger"
    for house_id, balance, paid in houses:
        assert balance == paid == sums.get(house_id, Decimal(0)), (house_id, balance, paid, sums.get(house_id))
        if house_id in last:
            assert last[house_id] == balance


def _tree_adds_up(estate: dict, houses: int) -> None:
    """The estate's and each building's totals are their houses' sums, by services/tree/read.py's
    rules: dues and counts of ACTIVE houses, paid and balance of houses not PENDING."""
    rules = {"depositDue": ("ACTIVE",), "depositPaid": ("ACTIVE", "CANCELLED"), "balance": ("ACTIVE", "CANCELLED")}
    all_houses = [h for b in estate["buildings"] for h in b["houses"]]
    assert estate["houseCount"] == houses == len([h for h in all_houses if h["status"] == "ACTIVE"])
    for key, counted in rules.items():
        assert Decimal(estate[key]) == sum(Decimal(b[key]) for b in estate["buildings"]), (key, estate[key])
        for b in estate["buildings"]:
            assert Decimal(b[key]) == sum((Decimal(h[key]) for h in b["houses"] if h["status"] in counted), Decimal(0)), key
            assert b["houseCount"] == len([h for h in b["houses"] if h["status"] == "ACTIVE"])


async def _notices_paid_are_payments(session, issued: list[dict]) -> None:
    """Every notice PAID by exactly one payment of its total, each of its houses credited with
    its line's amount, and the payments' sum the paid notices' sum."""
    notices = {n.id: n for n in (await session.scalars(select(PaymentNotice))).all()}
    assert {n.number for n in notices.values()} == {n["number"] for n in issued}
    payments = (await session.scalars(select(Payment))).all()
    assert sorted(p.notice_id for p in payments) == sorted(notices)
    for p in payments:
        assert notices[p.notice_id].status == NoticeStatus.PAID and p.amount == notices[p.notice_id].total
    assert sum(p.amount for p in payments) == sum(n.total for n in notices.values() if n.status == NoticeStatus.PAID)
    lines = (await session.execute(select(NoticeLine.house_id, NoticeLine.amount, House.deposit_paid)
                                   .join(House, House.id == NoticeLine.house_id))).all()
    assert lines and all(amount == paid for _, amount, paid in lines)
    assert len({house for house, *_ in lines}) == len(lines)  # each house on one notice
