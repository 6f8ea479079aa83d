"""The load run's actors (bench/load.py): a `Client` is a user at a desk running the mix with think
times, a `Subscriber` a page holding `applicationStatusChanged` open; both record into the
`Recorder`."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass

from bench.load_world import (
    ACCEPT, APPLICATION_LIST, APPROVE, CONFIRM, CREATE, FLOOR_PLAN, HOUSE_SEARCH, IMPORT, IMPORT_JOB, ISSUE, JOB,
    JOB_UPDATED, MIX, MUTATION, NOTICE_LIST, READ, STATUS_CHANGED, SUBMIT, XLSX, Config, World,
)

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
