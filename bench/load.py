"""Load, measured: many concurrent clients running a realistic mix against 1 or 2 API processes
(uvicorn, loopback only) on one PostgreSQL and Redis, with arq workers, while hundreds of
`applicationStatusChanged` subscriptions stay open. Bounded in time.

    .venv/bin/python -m bench.load [--api-processes 1|2] [--clients 200] [--subscriptions 500] [--seconds 60]
                                   [--think-ms 5000] [--append docs/benchmarks.md] [--json out.json]

It uses the bench's own database `wxfund_bench` (recreated) and data folder `.data/bench/`
(bench/environment.py); do not run it beside `python3 dev.py bench`.

Each client is a user at a desk: it picks an operation by weight (MIX), runs it, then waits a
random think time (exponential, mean --think-ms) before the next. Every request's latency is
recorded per operation; an error is a transport failure, a non-200 answer, or any GraphQL error
(no step here expects a coded refusal; a step that did would name the code in `expect`).
Subscriptions are spread over the API processes; a status change made through one process is
timed from the mutation's response to its arrival on each subscriber of the OTHER process (of
the same process when there is only one)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import percentile

READ, MUTATION, JOB = "read", "mutation", "job"

# operation → (kind, weight). Reads dominate, as at a real front desk.
MIX: dict[str, tuple[str, int]] = {
    "floor_plan": (READ, 16),
    "house_search": (READ, 16),
    "application_list": (READ, 14),
    "notice_list": (READ, 8),
    "create_application": (MUTATION, 7),
    "small_import": (MUTATION, 6),
    "submit_application": (MUTATION, 6),
    "accept_application": (MUTATION, 5),
    "approve_application": (MUTATION, 4),
    "issue_notices": (MUTATION, 6),
    "confirm_payment": (MUTATION, 10),
}
# The upload's job, from the upload to its SUCCEEDED on a jobUpdated subscription (another process).
IMPORT_JOB = "small_import → SUCCEEDED"
# operation → the GraphQL operation name the server's /metrics counts it under
OPERATION_NAMES = {"floor_plan": "FloorPlan", "house_search": "HouseSearch", "application_list": "ApplicationList",
                   "notice_list": "NoticeList", "create_application": "CreateCollection", "small_import": "ImportHouses",
                   "submit_application": "Submit", "accept_application": "Accept", "approve_application": "Approve",
                   "issue_notices": "Issue", "confirm_payment": "Confirm"}
TARGET_MS = {READ: 300.0, MUTATION: 1000.0, "delivery": 100.0}

PASSWORD = "Load-passw0rd"
IMPORT_ROWS = 20

FLOOR_PLAN = """query FloorPlan($id: ID!) { building(id: $id) { floorPlan { units
  floors { floor houses { id code roomNumber unit status buildingArea owners { name } } } } } }"""
HOUSE_SEARCH = """query HouseSearch($f: HouseFilter!) { houses(filter: $f, first: 20) { totalCount
  edges { node { id code address status buildingArea depositDue balance owners { name } } } } }"""
APPLICATION_LIST = """query ApplicationList($f: ApplicationFilter) { applications(first: 20, filter: $f) { totalCount
  edges { node { id number type status createdAt submittedAt estate { name } createdBy { name } } } } }"""
NOTICE_LIST = """query NoticeList($f: PaymentNoticeFilter) { paymentNotices(first: 20, filter: $f) { totalCount
  edges { node { id number status total payerName issuedAt } } } }"""
CREATE = """mutation CreateCollection($input: EstateCollectionInput!) { createEstateCollection(input: $input) { id status } }"""
IMPORT = """mutation ImportHouses($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id status } }"""
SUBMIT = """mutation Submit($id: ID!) { submitApplication(id: $id) { id status } }"""
ACCEPT = """mutation Accept($id: ID!) { acceptApplication(id: $id) { id status } }"""
APPROVE = """mutation Approve($id: ID!) { approveApplication(id: $id) { id status } }"""
ISSUE = """mutation Issue($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { number total } }"""
CONFIRM = """mutation Confirm($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id notice { status } } }"""
JOB_STATUS = "query JobStatus($id: ID!) { job(id: $id) { status errors { row code message } } }"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOGIN = "mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
JOB_UPDATED = "subscription JobUpdated($id: ID!) { jobUpdated(id: $id) { status message } }"
STATUS_CHANGED = """subscription StatusChanged($org: ID) { applicationStatusChanged(organizationId: $org) {
  application { id } from event { status at } } }"""


@dataclass
class Config:
    api_processes: int = 1
    clients: int = 200
    subscriptions: int = 500
    seconds: float = 60.0
    warmup: float = 5.0
    think_ms: float = 5000.0    # a person reads the page before the next click
    orgs: int = 4
    buildings: int = 60         # per organisation, 10 houses each: the buildings notices are issued for
    clerk_share: float = 0.2    # of the subscriptions: clerks, who hear every organisation
    ready_apps: int = 4         # per organisation: collections imported before the run, ready to submit
    seed: int = 1


@dataclass
class Org:
    gid: str
    token: str
    estate_gid: str
    plan_buildings: list[str]
    fresh_buildings: list[str]                   # no notice yet: issue_notices takes from here
    drafts: list[str] = field(default_factory=list)      # created, waiting for their import
    imported: list[str] = field(default_factory=list)    # import SUCCEEDED, waiting to be submitted


@dataclass
class World:
    orgs: list[Org]
    clerks: list[str]
    bank: str
    notices: list[tuple[str, str]]                  # (number, total) issued, waiting for the bank
    submitted: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    workbook: bytes = b""
    app_orgs: dict[str, str] = field(default_factory=dict)   # application → its organisation


# ---------------------------------------------------------------- preparation

async def prepare_data(cfg: Config, base_url: str) -> World:
    """Organisations with estates (one 10-house building each, `cfg.buildings` of them) and a
    200-house building for floor plans; clerks; a bank user; the example standards and every due
    computed; a quarter of each organisation's buildings already on notices for the bank to confirm.
    Written with the services the demo data uses, then logged in over HTTP."""
    import httpx
    from sqlalchemy import select

    from core import security
    from core.db import get_sessionmaker
    from core.ids import encode_id
    from models import Bank, Building, DepositStandard, Organization, User
    from models.enums import Role
    from services.payments.deposits import recalculate
    from services.organizations import AGREEMENT_VERSION
    from services.seed import EstateShape, create_estate, create_example_standards
    from services.validators import credit_code_check_char
    from datetime import datetime, timezone

    password_hash = await security.hash_password(PASSWORD)
    tag = f"{os.getpid()}-{int(time.time()) % 100000}"
    org_rows = []
    async with get_sessionmaker()() as s:
        bank = await s.scalar(select(Bank).where(Bank.is_default))
        if bank is None:
            bank = Bank(code=f"LOAD{tag}"[:20], name="压测银行", account_name="维修资金专户", account_number="LOAD-0001",
                        is_default=True)
            s.add(bank)
            await s.flush()
        if await s.scalar(select(DepositStandard.id).limit(1)) is None:
            await create_example_standards(s)
        users = [User(username=f"load-bank-{tag}", name="压测银行柜员", password_hash=password_hash,
                      roles=[Role.BANK.value], bank_id=bank.id)]
        users += [User(username=f"load-clerk{i}-{tag}", name=f"压测受理员{i}", password_hash=password_hash,
                       roles=[Role.CLERK.value]) for i in range(3)]
        for i in range(cfg.orgs):
            n = random.Random(f"{tag}-{i}").randrange(10**10)
            first17 = f"914407{n:011d}"
            org = Organization(name=f"压测置业{i}有限公司{tag}", credit_code=first17 + credit_code_check_char(first17),
                               legal_representative="张法人", contact_name="李联系", contact_phone="13800138000",
                               address=f"江门市蓬江区压测路 {i + 1} 号", agreement_version=AGREEMENT_VERSION,
                               agreement_accepted_at=datetime.now(timezone.utc))
            s.add(org)
            await s.flush()
            users.append(User(username=f"load-dev{i}-{tag}", name=f"压测管理员{i}", password_hash=password_hash,
                              roles=[Role.ORG_ADMIN.value, Role.ESTATE_OPERATOR.value, Role.PAYMENT_OPERATOR.value],
                              organization_id=org.id))
            small = await create_estate(s, developer_id=org.id, bank_id=bank.id, shape=EstateShape(
                name=f"压测花园{i}-{tag}", buildings=cfg.buildings, floors=5, units=1, rooms_per_unit=2,
                sold_ratio=1.0, seed=i + 1))
            plan = await create_estate(s, developer_id=org.id, bank_id=bank.id, shape=EstateShape(
                name=f"压测楼盘表{i}-{tag}", buildings=2, floors=25, units=4, rooms_per_unit=2, sold_ratio=1.0, seed=i + 101))
            org_rows.append((org.id, small, plan))
        s.add_all(users)
        await s.flush()
        for _, small, _plan in org_rows:
            await recalculate(s, estate_id=small)
        await s.commit()
        built = []
        for org_id, small, plan in org_rows:
            small_b = (await s.scalars(select(Building.id).where(Building.estate_id == small).order_by(Building.id))).all()
            plan_b = (await s.scalars(select(Building.id).where(Building.estate_id == plan).order_by(Building.id))).all()
            built.append((org_id, small, small_b, plan_b))
        usernames = [u.username for u in users]

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async def login(username: str) -> str:
            r = await client.post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}})
            return r.json()["data"]["login"]["token"]

        tokens = {u: await login(u) for u in usernames}
        orgs: list[Org] = []
        notices: list[tuple[str, str]] = []
        for i, (org_id, small, small_b, plan_b) in enumerate(built):
            token = tokens[f"load-dev{i}-{tag}"]
            gids = [encode_id("Building", b) for b in small_b]
            pre, fresh = gids[: len(gids) // 4], gids[len(gids) // 4:]
            if pre:
                r = (await client.post("/graphql", json={"query": ISSUE, "variables": {"ids": pre}},
                                       headers={"Authorization": f"Bearer {token}"})).json()
                if r.get("errors"):
                    raise RuntimeError(f"issuing the first notices failed: {r['errors']}")
                notices += [(n["number"], n["total"]) for n in r["data"]["issueBuildingNotices"]]
            orgs.append(Org(encode_id("Organization", org_id), token, encode_id("Estate", small),
                            [encode_id("Building", b) for b in plan_b], fresh))
        book = _workbook()
        # Some collections already imported, so that submissions (and the status events) start at once.
        ready = await asyncio.gather(*(_imported_collection(client, org.token, book, f"预备{i}-{k}")
                                       for i, org in enumerate(orgs) for k in range(cfg.ready_apps)))
        for i, org in enumerate(orgs):
            org.imported += ready[i * cfg.ready_apps:(i + 1) * cfg.ready_apps]
    random.Random(cfg.seed).shuffle(notices)
    world = World(orgs, [tokens[f"load-clerk{i}-{tag}"] for i in range(3)], tokens[f"load-bank-{tag}"], notices,
                  workbook=book)
    world.app_orgs = {app: org.gid for org in orgs for app in org.imported}
    return world


async def _imported_collection(client, token: str, book: bytes, name: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    r = (await client.post("/graphql", headers=headers, json={"query": CREATE, "variables": {"input": {
        "name": f"压测{name}", "district": "蓬江区", "address": "江门市蓬江区压测路", "depositTiming": "BEFORE_HANDOVER"}}})).json()
    app = r["data"]["createEstateCollection"]["id"]
    form = {"operations": json.dumps({"query": IMPORT, "variables": {"id": app, "file": None}}), "map": json.dumps({"0": ["variables.file"]})}
    r = (await client.post("/graphql", headers=headers, data=form, files={"0": ("houses.xlsx", book, XLSX)})).json()
    job = r["data"]["importHouses"]["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = (await client.post("/graphql", headers=headers, json={"query": JOB_STATUS, "variables": {"id": job}})).json()
        status = r["data"]["job"]["status"]
        if status == "SUCCEEDED":
            return app
        if status == "FAILED":
            raise RuntimeError(f"the preparation's import failed: {r}")
        await asyncio.sleep(0.2)
    raise RuntimeError("the preparation's import did not finish in 120 s (is a worker running?)")


def _workbook() -> bytes:
    """A small 采集 import: IMPORT_ROWS houses in one building, as a clerk's Excel would save them."""
    from tests.sheets import house, workbook

    rows = [house("1栋", "1单元", floor, f"{floor}{room:02d}", "89.50") for floor in range(1, IMPORT_ROWS // 2 + 1)
            for room in (1, 2)]
    return workbook(rows)


# ---------------------------------------------------------------- the run

@dataclass
class Sample:
    op: str
    kind: str
    started: float      # perf_counter
    seconds: float
    error: str | None


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.changes: dict[tuple[str, str], tuple[int, float]] = {}  # (application, status) → (process, response time)
        self.deliveries: list[tuple[int, str, str, float]] = []       # (process, application, status, arrival time)
        self.app_orgs: dict[str, str] = {}                            # application → its organisation
        self.sub_errors: list[str] = []


class Stop(Exception):
    pass


class Client:
    """One user's keep-alive connection to one API process."""

    def __init__(self, n: int, cfg: Config, world: World, rec: Recorder, base_urls: list[str], until: float) -> None:
        import httpx

        self.n, self.cfg, self.world, self.rec, self.until = n, cfg, world, rec, until
        self.process = n % len(base_urls)
        self.base_urls = base_urls
        self.org = world.orgs[n % len(world.orgs)]
        self.rng = random.Random(cfg.seed * 100_003 + n)
        self.http = httpx.AsyncClient(base_url=base_urls[self.process], timeout=30,
                                      # An idle connection is dropped before uvicorn's 5 s keep-alive timeout
                                      # drops it: at the same instant, a reused one would fail (ReadError).
                                      limits=httpx.Limits(max_connections=2, max_keepalive_connections=2, keepalive_expiry=3.0))
        self.tasks: set[asyncio.Task] = set()
        self.watch_started: dict[asyncio.Task, float] = {}

    async def gql(self, op: str, kind: str, query: str, variables: dict, token: str, *, files=None,
                  expect: tuple[str, ...] = ()) -> dict | None:
        """One request, timed and recorded; the `data` on success, else None."""
        import httpx

        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        error = None
        data = None
        try:
            if files:
                form = {"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps({"0": ["variables.file"]})}
                r = await self.http.post("/graphql", data=form, files={"0": files}, headers=headers)
            else:
                r = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            if r.status_code != 200:
                error = f"HTTP {r.status_code}"
            else:
                body = r.json()
                if body.get("errors"):
                    code = (body["errors"][0].get("extensions") or {}).get("code", "NO_CODE")
                    if code not in expect:
                        error = f"{code}: {body['errors'][0].get('message', '')[:80]}"
                else:
                    data = body["data"]
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.TransportError as exc:
            error = f"transport: {type(exc).__name__}"
        self.rec.samples.append(Sample(op, kind, started, time.perf_counter() - started, error))
        return data

    def _change(self, app: str, status: str) -> None:
        self.rec.changes[(app, status)] = (self.process, time.perf_counter())

    # ---- the operations; each returns False when it has nothing to work on (then another is chosen)

    async def floor_plan(self) -> bool:
        await self.gql("floor_plan", READ, FLOOR_PLAN, {"id": self.rng.choice(self.org.plan_buildings)}, self.org.token)
        return True

    async def house_search(self) -> bool:
        term = self.rng.choice(["101", "1栋", "2单元", "张", f"{self.rng.randint(1, 25)}0"])
        await self.gql("house_search", READ, HOUSE_SEARCH, {"f": {"estateId": self.org.estate_gid, "search": term}}, self.org.token)
        return True

    async def application_list(self) -> bool:
        if self.rng.random() < 0.3:  # a clerk's queue
            await self.gql("application_list", READ, APPLICATION_LIST, {"f": {"status": "SUBMITTED"}}, self.rng.choice(self.world.clerks))
        else:
            await self.gql("application_list", READ, APPLICATION_LIST, {"f": None}, self.org.token)
        return True

    async def notice_list(self) -> bool:
        await self.gql("notice_list", READ, NOTICE_LIST, {"f": {"status": "ISSUED"}}, self.org.token)
        return True

    async def create_application(self) -> bool:
        if len(self.org.drafts) > 50:
            return False
        data = await self.gql("create_application", MUTATION, CREATE, {"input": {
            "name": f"压测新城{self.n}-{self.rng.randrange(10**9)}", "district": "蓬江区",
            "address": "江门市蓬江区压测新城路 1 号", "depositTiming": "BEFORE_HANDOVER"}}, self.org.token)
        if data:
            app = data["createEstateCollection"]["id"]
            self.rec.app_orgs[app] = self.org.gid
            self._change(app, "DRAFT")
            self.org.drafts.append(app)
        return True

    async def small_import(self) -> bool:
        if not self.org.drafts:
            return False
        app = self.org.drafts.pop(0)
        started = time.perf_counter()
        data = await self.gql("small_import", MUTATION, IMPORT, {"id": app, "file": None}, self.org.token,
                              files=("houses.xlsx", self.world.workbook, XLSX))
        if data:
            task = asyncio.create_task(self._watch_job(app, data["importHouses"]["id"], started))
            self.watch_started[task] = started
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return True

    async def _watch_job(self, app: str, job: str, started: float) -> None:
        """The user watches the import on a jobUpdated subscription, on the other process."""
        other = self.base_urls[(self.process + 1) % len(self.base_urls)]
        error = None
        try:
            status = await asyncio.wait_for(_job_outcome(other, self.org.token, job), 120)
            if status != "SUCCEEDED":
                error = f"job {status}"
        except asyncio.TimeoutError:
            error = "timeout"
        except Exception as exc:  # the socket failed: that is what is measured
            error = f"ws: {type(exc).__name__}: {exc}"[:120]
        self.rec.samples.append(Sample(IMPORT_JOB, JOB, started, time.perf_counter() - started, error))
        if error is None:
            self.org.imported.append(app)

    async def submit_application(self) -> bool:
        if not self.org.imported:
            return False
        app = self.org.imported.pop(0)
        data = await self.gql("submit_application", MUTATION, SUBMIT, {"id": app}, self.org.token)
        if data:
            self._change(app, "SUBMITTED")
            self.world.submitted.append(app)
        return True

    async def accept_application(self) -> bool:
        if not self.world.submitted:
            return False
        app = self.world.submitted.pop(0)
        data = await self.gql("accept_application", MUTATION, ACCEPT, {"id": app}, self.rng.choice(self.world.clerks))
        if data:
            self._change(app, "ACCEPTED")
            self.world.accepted.append(app)
        return True

    async def approve_application(self) -> bool:
        if not self.world.accepted:
            return False
        app = self.world.accepted.pop(0)
        data = await self.gql("approve_application", MUTATION, APPROVE, {"id": app}, self.rng.choice(self.world.clerks))
        if data:
            self._change(app, "APPROVED")
        return True

    async def issue_notices(self) -> bool:
        if not self.org.fresh_buildings:
            return False
        building = self.org.fresh_buildings.pop()
        data = await self.gql("issue_notices", MUTATION, ISSUE, {"ids": [building]}, self.org.token)
        if data:
            self.world.notices += [(n["number"], n["total"]) for n in data["issueBuildingNotices"]]
        return True

    async def confirm_payment(self) -> bool:
        if not self.world.notices:
            return False
        number, total = self.world.notices.pop()
        await self.gql("confirm_payment", MUTATION, CONFIRM, {"input": {
            "noticeNumber": number, "amount": total, "bankTransactionId": f"LOAD-{number}",
            "paidAt": "2026-11-27T10:00:00+08:00", "channel": "BANK_COUNTER"}}, self.world.bank)
        return True

    async def run(self) -> None:
        names = list(MIX)
        weights = [MIX[n][1] for n in names]
        # Users do not all start at the same instant.
        await asyncio.sleep(self.rng.uniform(0, self.cfg.think_ms / 1000))
        first = names[self.n % len(names)]  # each client begins with a different operation: all are run
        try:
            while time.perf_counter() < self.until:
                for _ in range(len(names)):
                    name, first = first or self.rng.choices(names, weights)[0], None
                    if await getattr(self, name)():
                        break
                if self.cfg.think_ms > 0:
                    await asyncio.sleep(min(self.rng.expovariate(1000 / self.cfg.think_ms), 10 * self.cfg.think_ms / 1000))
        finally:
            await self.http.aclose()

    async def drain(self) -> None:
        """Waits up to a minute for the imports still being watched; one still unfinished then is an error."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=60)
        for t in list(self.tasks):
            t.cancel()
            self.rec.samples.append(Sample(IMPORT_JOB, JOB, self.watch_started[t], time.perf_counter() - self.watch_started[t],
                                           "not finished 60 s after the run"))


async def _connect(base_url: str, token: str):
    import websockets

    # No WebSocket-level keepalive pings, as a browser sends none: a server whose loop is queued up
    # would otherwise have the socket closed under it (1011) and show as missed events, not as latency.
    ws = await websockets.connect(base_url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                                  open_timeout=30, max_queue=None, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if ack["type"] != "connection_ack":
        await ws.close()
        raise RuntimeError(f"no connection_ack: {ack}")
    return ws


async def _job_outcome(base_url: str, token: str, job: str) -> str:
    ws = await _connect(base_url, token)
    try:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": JOB_UPDATED, "variables": {"id": job}}}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif message["type"] == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    return "error " + str(payload["errors"][0].get("extensions", {}).get("code"))
                status = payload["data"]["jobUpdated"]["status"]
                if status in ("SUCCEEDED", "FAILED"):
                    return status
            elif message["type"] in ("error", "complete"):
                return message["type"]
    finally:
        await ws.close()


class Subscriber:
    """One open `applicationStatusChanged` subscription on its own socket, as one browser tab."""

    def __init__(self, n: int, process: int, base_url: str, token: str, org: str | None, rec: Recorder) -> None:
        self.n, self.process, self.base_url, self.token, self.org, self.rec = n, process, base_url, token, org, rec
        self.ready = asyncio.Event()
        self.ws = None

    async def run(self) -> None:
        try:
            self.ws = await _connect(self.base_url, self.token)
            await self.ws.send(json.dumps({"id": "1", "type": "subscribe",
                                           "payload": {"query": STATUS_CHANGED, "variables": {"org": self.org}}}))
            self.ready.set()
            async for raw in self.ws:
                arrived = time.perf_counter()
                message = json.loads(raw)
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.rec.sub_errors.append(str(payload["errors"][0])[:160])
                        continue
                    event = payload["data"]["applicationStatusChanged"]
                    self.rec.deliveries.append((self.process, event["application"]["id"], event["event"]["status"], arrived))
                elif message["type"] in ("error", "complete"):
                    self.rec.sub_errors.append(f"{message['type']}: {str(message.get('payload'))[:160]}")
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self.ready.is_set() or not getattr(self, "closing", False):
                self.rec.sub_errors.append(f"subscriber {self.n}: {type(exc).__name__}: {exc}"[:200])
        finally:
            self.ready.set()

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()


def cpu_now(pids: dict[str, list[int]], postmaster: int | None) -> dict[str, float]:
    """CPU seconds so far of each group of processes, of PostgreSQL's backends, and of this generator."""
    from bench.cpu import children_cpu, process_cpu

    out = {group: sum(process_cpu(p) for p in members) for group, members in pids.items()}
    if postmaster:
        out["postgres"] = children_cpu(postmaster)
    out["load generator"] = process_cpu(os.getpid())
    return out


async def run(cfg: Config, base_urls: list[str], world: World, say=print, pids: dict[str, list[int]] | None = None,
              postmaster: int | None = None) -> dict:
    """The measured run against the API processes at `base_urls`; the report as a dict. `pids`
    ({"API": [...], "worker": [...]}) and `postmaster` are the processes whose CPU time is counted:
    on a shared machine the wall-clock figures include waiting for a core, CPU time does not."""
    pids = pids or {}
    rec = Recorder()
    rec.app_orgs.update(world.app_orgs)
    # Subscriptions first, spread over the processes: most are a developer's page on its own
    # organisation's applications, the rest clerks' pages on everyone's.
    subs = []
    sub_rng = random.Random(cfg.seed)
    for j in range(cfg.subscriptions):
        process = j % len(base_urls)
        if sub_rng.random() < cfg.clerk_share:
            subs.append(Subscriber(j, process, base_urls[process], sub_rng.choice(world.clerks), None, rec))
        else:
            org = world.orgs[(j // len(base_urls)) % len(world.orgs)]  # every organisation on every process
            subs.append(Subscriber(j, process, base_urls[process], org.token, org.gid, rec))
    sub_tasks = []
    for k in range(0, len(subs), 50):  # open them in waves, as users arriving
        batch = subs[k:k + 50]
        sub_tasks += [asyncio.create_task(s.run()) for s in batch]
        await asyncio.gather(*(s.ready.wait() for s in batch))
    await asyncio.sleep(1.0)  # the server subscribes to Redis after the subscribe message
    say(f"{len(subs)} subscriptions open ({len(rec.sub_errors)} failed); {cfg.clients} clients for {cfg.seconds:.0f} s "
        f"after {cfg.warmup:.0f} s of warm-up")

    load_before = os.getloadavg()
    began = time.perf_counter()
    measured_from = began + cfg.warmup
    until = measured_from + cfg.seconds
    clients = [Client(i, cfg, world, rec, base_urls, until) for i in range(cfg.clients)]

    async def metrics_at_start():
        await asyncio.sleep(cfg.warmup)
        return cpu_now(pids, postmaster), await scrape(base_urls)

    first_scrape = asyncio.create_task(metrics_at_start())
    await asyncio.gather(*(c.run() for c in clients))
    ended = time.perf_counter()
    cpu_start, metrics_start = await first_scrape
    cpu_end = cpu_now(pids, postmaster)
    server_side = diff(metrics_start, await scrape(base_urls))
    load_after = os.getloadavg()
    await asyncio.gather(*(c.drain() for c in clients))
    await asyncio.sleep(2.0)  # the last events on their way
    for s in subs:
        await s.close()
    for t in sub_tasks:
        t.cancel()
    await asyncio.gather(*sub_tasks, return_exceptions=True)

    report = summarise(cfg, rec, subs, measured_from, min(until, ended), len(base_urls), load_before, load_after)
    for o in report["ops"]:
        o["server_mean_ms"] = server_side.get(OPERATION_NAMES.get(o["op"], ""), float("nan"))
    requests = sum(o["count"] for o in report["ops"] if o["kind"] != JOB)
    report["cpu"] = {k: {"seconds": cpu_end[k] - cpu_start.get(k, 0.0),
                         "cores": (cpu_end[k] - cpu_start.get(k, 0.0)) / report["seconds"],
                         "ms_per_request": (cpu_end[k] - cpu_start.get(k, 0.0)) * 1000 / max(requests, 1)}
                     for k in cpu_end}
    return report


async def scrape(base_urls: list[str]) -> dict[str, tuple[float, float]]:
    """Each GraphQL operation's (count, seconds) summed over the API processes' /metrics: the time
    inside the operation (after the bearer token is read), as the server measures it."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    async with httpx.AsyncClient(timeout=60) as client:
        for url in base_urls:
            text = (await client.get(f"{url}/metrics")).text
            for family in text_string_to_metric_families(text):
                if family.name != "graphql_operation_seconds":
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_count"):
                        totals[sample.labels["operation"]][0] += sample.value
                    elif sample.name.endswith("_sum"):
                        totals[sample.labels["operation"]][1] += sample.value
    return {k: (v[0], v[1]) for k, v in totals.items()}


def diff(before: dict, after: dict) -> dict[str, float]:
    """Mean milliseconds per operation between two scrapes."""
    out = {}
    for name, (count, seconds) in after.items():
        c0, s0 = before.get(name, (0.0, 0.0))
        if count > c0:
            out[name] = (seconds - s0) / (count - c0) * 1000
    return out


def summarise(cfg: Config, rec: Recorder, subs: list[Subscriber], start: float, end: float, processes: int,
              load_before, load_after) -> dict:
    span = max(end - start, 1e-9)
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for s in rec.samples:
        if s.started >= start and (s.kind == JOB or s.started <= end):
            by_op[s.op].append(s)
    ops = []
    for name in [*MIX, IMPORT_JOB]:
        samples = by_op.get(name, [])
        kind = MIX[name][0] if name in MIX else JOB
        ms = [s.seconds * 1000 for s in samples]
        errors = [s.error for s in samples if s.error]
        kinds: dict[str, int] = defaultdict(int)
        for e in errors:
            kinds[e] += 1
        ops.append({"op": name, "kind": kind, "count": len(samples), "per_s": len(samples) / span,
                    "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95), "p99_ms": percentile(ms, 0.99),
                    "errors": len(errors), "error_kinds": dict(kinds)})

    # Delivery: every subscriber that may hear a change (its organisation's developer page, or a
    # clerk's) on another process than the one the change went through (any, with one process).
    lat = []
    changes = {k: v for k, v in rec.changes.items() if v[1] >= start}
    for process, app, status, at in rec.deliveries:
        if (app, status) not in changes:
            continue  # a change before the measured span, or one the load did not make
        made_on, responded = changes[(app, status)]
        if processes > 1 and process == made_on:
            continue
        lat.append((at - responded) * 1000)
    delivered_pairs = len(lat)
    expected = 0
    for (app, status), (made_on, _) in changes.items():
        org = rec.app_orgs.get(app)
        expected += sum(1 for s in subs if not (processes > 1 and s.process == made_on) and (s.org is None or s.org == org))
    missed = max(expected - delivered_pairs, 0)
    counted = len(changes)
    delivery = {"changes": counted, "deliveries": delivered_pairs, "expected": expected, "missed": missed,
                "p50_ms": percentile(lat, 0.5), "p95_ms": percentile(lat, 0.95), "p99_ms": percentile(lat, 0.99),
                "max_ms": max(lat) if lat else float("nan"), "subscription_errors": rec.sub_errors[:10],
                "subscription_error_count": len(rec.sub_errors), "open": len(subs)}
    return {"config": cfg.__dict__, "api_processes": processes, "seconds": span, "ops": ops, "delivery": delivery,
            "load_before": list(load_before), "load_after": list(load_after),
            "errors": sum(o["errors"] for o in ops) + len(rec.sub_errors) + missed}


# ---------------------------------------------------------------- report

def _ms(v: float) -> str:
    return "–" if v != v else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def goals(report: dict) -> list[tuple[str, bool]]:
    ops = [o for o in report["ops"] if o["count"]]
    reads = [o for o in ops if o["kind"] == READ]
    muts = [o for o in ops if o["kind"] == MUTATION]
    d = report["delivery"]
    return [
        ("zero errors", report["errors"] == 0),
        (f"p99 of every read under {TARGET_MS[READ]:.0f} ms", all(o["p99_ms"] < TARGET_MS[READ] for o in reads)),
        (f"p99 of every mutation under {TARGET_MS[MUTATION]:.0f} ms", all(o["p99_ms"] < TARGET_MS[MUTATION] for o in muts)),
        (f"subscription delivery p99 under {TARGET_MS['delivery']:.0f} ms",
         d["deliveries"] > 0 and d["p99_ms"] < TARGET_MS["delivery"]),
    ]


def markdown(report: dict) -> str:
    c = report["config"]
    out = [f"### {report['api_processes']} API process{'es' if report['api_processes'] > 1 else ''}: "
           f"{c['clients']} clients, {c['subscriptions']} subscriptions, {report['seconds']:.0f} s measured",
           "",
           f"Load average (1/5/15 min) before {' / '.join(f'{x:.2f}' for x in report['load_before'])}, "
           f"after {' / '.join(f'{x:.2f}' for x in report['load_after'])}; think time mean {c['think_ms']:.0f} ms.",
           "",
           "| Operation | Kind | Count | Per second | p50 ms | p95 ms | p99 ms | Server mean ms | Errors |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for o in report["ops"]:
        errs = str(o["errors"]) + ("" if not o["error_kinds"] else " (" + "; ".join(
            f"{k} ×{v}" for k, v in sorted(o["error_kinds"].items(), key=lambda kv: -kv[1])[:3]) + ")")
        out.append(f"| {o['op']} | {o['kind']} | {o['count']:,} | {o['per_s']:.1f} | {_ms(o['p50_ms'])} | "
                   f"{_ms(o['p95_ms'])} | {_ms(o['p99_ms'])} | {_ms(o.get('server_mean_ms', float('nan')))} | {errs} |")
    total = sum(o["count"] for o in report["ops"] if o["kind"] != JOB)
    out.append(f"| **all requests** | | {total:,} | {total / report['seconds']:.1f} | | | | | "
               f"{sum(o['errors'] for o in report['ops'] if o['kind'] != JOB)} |")
    d = report["delivery"]
    where = "on the other process" if report["api_processes"] > 1 else "on the same process"
    out += ["",
            f"Subscription delivery (`applicationStatusChanged`, {d['open']} open, {where}): {d['changes']} status changes, "
            f"{d['deliveries']:,} deliveries of {d['expected']:,} expected ({d['missed']} missed); from the mutation's "
            f"response to the event: p50 {_ms(d['p50_ms'])} ms, p95 {_ms(d['p95_ms'])} ms, p99 {_ms(d['p99_ms'])} ms, "
            f"max {_ms(d['max_ms'])} ms; subscription errors {d['subscription_error_count']}"
            + ("" if not d["subscription_errors"] else " (" + "; ".join(d["subscription_errors"][:3]) + ")") + ".",
            ""]
    if report.get("cpu"):
        out += ["CPU time in the measured span (user + system, from /proc; it does not count waiting for a core): " +
                "; ".join(f"{k} {v['seconds']:.1f} s ({v['cores']:.2f} cores, {v['ms_per_request']:.1f} ms per request)"
                          for k, v in report["cpu"].items()) + ".", ""]
    out += ["Goals: " + "; ".join(f"{name}: {'**met**' if ok else '**missed**'}" for name, ok in goals(report)) + "."]
    return "\n".join(out)


# ---------------------------------------------------------------- command line

def parse(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--api-processes", type=int, choices=(1, 2), default=1)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--subscriptions", type=int, default=500)
    p.add_argument("--seconds", type=float, default=60.0, help="measured seconds (after the warm-up)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds of load not counted, first")
    p.add_argument("--think-ms", type=float, default=5000.0, help="mean think time between a client's operations")
    p.add_argument("--workers", type=int, default=1, help="arq worker processes")
    p.add_argument("--orgs", type=int, default=4)
    p.add_argument("--append", type=Path, help="append the markdown section to this file (e.g. docs/benchmarks.md)")
    p.add_argument("--json", type=Path, help="write the report as JSON here")
    a = p.parse_args(argv)
    cfg = Config(api_processes=a.api_processes, clients=a.clients, subscriptions=a.subscriptions, seconds=a.seconds,
                 warmup=a.warmup, think_ms=a.think_ms, orgs=a.orgs)
    return cfg, a


def main(argv: list[str]) -> int:
    cfg, args = parse(argv)
    from bench.environment import DATA, prepare

    prepare()  # before any application import: wxfund_bench recreated and migrated
    from bench.run import say
    from bench.server import Server

    async def main_async() -> dict:
        from core.db import dispose_engine
        from core.redis import close_redis, get_redis

        await get_redis().flushdb()
        servers = []
        for i in range(cfg.api_processes):
            server = Server()
            server.args += ["--ws", "websockets-sansio"]
            server.log_path = DATA / f"uvicorn-load-{i}.log"
            server.log_path.unlink(missing_ok=True)
            servers.append(server)
        workers = []
        try:
            for server in servers:
                await server.start()
            env = dict(os.environ)
            for i in range(args.workers):
                log = (DATA / f"worker-load-{i}.log").open("wb")
                workers.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "arq", "jobs.worker.WorkerSettings", cwd=str(Path(__file__).resolve().parent.parent),
                    env=env, stdout=log, stderr=log))
            say(f"{len(servers)} API process(es) on {', '.join(s.base_url for s in servers)}; {len(workers)} worker(s); preparing data")
            world = await prepare_data(cfg, servers[0].base_url)
            say(f"{cfg.orgs} organisations, {sum(len(o.fresh_buildings) for o in world.orgs)} buildings to issue, "
                f"{len(world.notices)} notices to confirm")
            from bench.cpu import postmaster_pid

            return await run(cfg, [s.base_url for s in servers], world, say=say,
                             pids={"API": [s.process.pid for s in servers], "worker": [w.pid for w in workers]},
                             postmaster=postmaster_pid(DATA / "pg"))
        finally:
            for w in workers:
                if w.returncode is None:
                    w.terminate()
                    try:
                        await asyncio.wait_for(w.wait(), 10)
                    except asyncio.TimeoutError:
                        w.kill()
            for server in servers:
                server.stop()
            await dispose_engine()
            await close_redis()

    try:
        import uvloop
        report = uvloop.run(main_async())
    except ImportError:
        report = asyncio.run(main_async())
    text = markdown(report)
    print(text)
    command = "python -m bench.load " + " ".join(argv)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    if args.append:
        with args.append.open("a", encoding="utf-8") as f:
            f.write(f"\n`{command}`\n\n{text}\n")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
