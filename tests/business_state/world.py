"""The business machine's world: the model it keeps of what exists (`AppModel`), the GraphQL it
sends, and `Plumbing`, the machine's base: sending a request (every response checked for
INTERNAL), waiting for jobs, emptying the database between examples, reading the model back and
drawing houses, notices and applications by readable names."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine
from sqlalchemy import text

from core.db import get_engine, get_sessionmaker
from core.redis import get_redis
from models import Base
from services.seed import fake_resident_id
from tests.api import Result
from tests.api import gql as raw_gql
from tests.factories import login, make_paying_estate
from tests.sheets import XLSX, workbook

STATS = {"examples": 0, "steps": 0, "refused": 0}
ZERO = Decimal("0.00")
INTERNAL_JOB_MESSAGE = "系统内部错误"  # jobs/tasks.py: the message of a job that failed unexpectedly
NOTICE_LOCKS = {"HOUSE_INFO_CHANGE", "HOUSE_SPLIT_MERGE", "HOUSE_CANCELLATION"}
REFUND_ACCOUNT = {"accountName": "江门示例置业", "bankName": "工商银行", "accountNumber": "6222000011112222"}
AREAS = ["60.00", "75.50", "89.50", "101.25", "120.00"]
UNIT = "1单元"


def money(value) -> Decimal:
    return Decimal(value)


def fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def number_of(h: dict) -> tuple:
    return (h["unit"] or "", h["floor"], h["roomNumber"])


def owner(rng: random.Random, name: str = "王五") -> dict:
    return {"name": name, "idType": "RESIDENT_ID", "idNumber": fake_resident_id(rng), "phone": "13800138000"}


# ---------------------------------------------------------------- queries

HOUSE_FIELDS = """id code unit floor roomNumber status usage hasElevator buildingArea salesStatus depositDue depositPaid
                  unpaid balance lockedBy { number } ledger { kind amount balanceAfter } owners { name }"""
TREE = """query { estates(first: 100) { edges { node { id name status depositDue depositPaid balance houseCount
            buildings { id name status depositDue depositPaid balance houseCount lockedBy { number } houses { %s } } } } } }""" % HOUSE_FIELDS
NOTICES = """query($after: String) { paymentNotices(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
            edges { node { id number type status total payerKind paidAt building { id } lines { amount house { id } }
                           payment { id amount paidAt bankTransactionId } } } } }"""
REFUNDS = """query($after: String) { refunds(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
            edges { node { id amount status house { id } application { id } } } } }"""
APPLICATIONS = """query($after: String) { applications(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
            edges { node { id number type status } } } }"""
APP = "id number type status"
NOTICE = "id number type status total payerKind lines { amount house { id } }"
IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }"
JOB = "query($id: ID!) { job(id: $id) { id status message total errors { row column code message } result { url } } }"
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) {
               id amount paidAt bankTransactionId notice { number status } } }"""


@dataclass
class AppModel:
    id: str
    number: str
    type: str
    estate: str
    status: str = "DRAFT"
    houses: list[str] = field(default_factory=list)  # existing houses it touches
    expect: dict = field(default_factory=dict)  # house id → values an approval must leave
    rows: int = 0  # houses a collection / supplement / split creates
    refund_account: bool = False  # given at an earlier submit (kept when rejected)



class Plumbing(RuleBasedStateMachine):
    """The base of the machine: test_business_state.make_machine binds `loop` (the test's event
    loop, where the worker runs), `client` and `worker`."""

    loop: asyncio.AbstractEventLoop
    client: object
    worker: object

    def __init__(self):
        super().__init__()
        STATS["examples"] += 1
        self.rng = random.Random(STATS["examples"])
        self.apps: dict[str, AppModel] = {}
        self.tx: dict[str, tuple[str, str]] = {}  # bank transaction id → (notice number, amount)
        self.ever_cancelled: set[str] = set()
        self.seen_status: dict[str, str] = {}
        self.counter = 0
        self.run(self._reset())
        self.refresh()

    # ------------------------------------------------------------ plumbing

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=300)

    def gql(self, query: str, variables: dict | None = None, *, token: str, files=None) -> Result:
        r = self.run(raw_gql(self.client, query, variables, token=token, files=files))
        assert "INTERNAL" not in r.codes, (query.split("{")[0:2], variables, r.errors)
        assert r.response.status_code in (200, 400, 413), r.response.status_code
        for e in r.errors:  # every refusal carries a code and a message
            assert e.get("extensions", {}).get("code") and e.get("message"), e
        return r

    def refused(self, r: Result, *codes: str) -> None:
        """The response is a refusal with one of these codes (any coded refusal if none given)."""
        assert r.errors, f"expected a refusal {codes}, got {r.data}"
        assert not codes or r.code in codes, (codes, r.errors)
        STATS["refused"] += 1

    def expect_refusal(self, r: Result, reasons: dict[str, bool], notice: str | None = None) -> bool:
        """When any of the reasons holds, the response is a refusal with the code of one that
        holds (the order the service checks them in is its own); a CONFLICT names the notice."""
        codes = [code for code, holds in reasons.items() if holds]
        if not codes:
            return False
        self.refused(r, *codes)
        if r.code == "CONFLICT" and notice:
            assert r.errors[0]["extensions"].get("noticeNumber") == notice, r.errors
        return True

    def imported(self, done: dict, building_names: set[str]) -> bool:
        """An import of numbers free among ACTIVE houses succeeds; a DUPLICATE is accepted only
        against a PENDING house of another application in the same building."""
        if done["status"] == "SUCCEEDED":
            return True
        pending = [h for h in self.houses.values() if h["status"] == "PENDING"
                   and self.buildings[h["building"]]["name"] in building_names]
        assert pending and {e["code"] for e in done["errors"]} == {"DUPLICATE"}, done
        STATS["refused"] += 1
        return False

    def job(self, job_id: str, token: str) -> dict:
        deadline = time.monotonic() + 120
        while True:
            job = self.gql(JOB, {"id": job_id}, token=token).ok()["job"]
            if job["status"] in ("SUCCEEDED", "FAILED"):
                assert INTERNAL_JOB_MESSAGE not in (job["message"] or ""), job
                assert job["status"] == "SUCCEEDED" or job["errors"], job  # a failure says why
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)

    def upload(self, app_id: str, rows: list[dict], *, with_code: bool = False) -> dict:
        data = workbook(rows, with_code=with_code)
        r = self.gql(IMPORT, {"id": app_id, "file": None}, token=self.dev,
                     files={"variables.file": ("houses.xlsx", data, XLSX)})
        return self.job(r.ok()["importHouses"]["id"], self.dev)

    def tx_id(self) -> str:
        self.counter += 1
        return f"TX{STATS['examples']:04d}-{self.counter:05d}"

    def paid_at(self) -> str:
        return f"2026-11-27T{10 + self.counter % 10:02d}:{self.counter % 60:02d}:00+08:00"

    async def _reset(self) -> None:
        for _ in range(600):  # the previous example's jobs finish first (TRUNCATE under their locks deadlocks)
            if all(t.done() for t in self.worker.tasks.values()):
                break
            await asyncio.sleep(0.05)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with get_engine().begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await get_redis().flushdb()
        async with get_sessionmaker()() as session:
            _, org, estate = await make_paying_estate(session, buildings=2, floors=3, units=1, rooms_per_unit=2,
                                                      sold_ratio=0.75)
        self.dev = await login(self.client, org.admin_username)
        self.clerk = await login(self.client, "clerk1")
        self.bank = await login(self.client, "bank1")

    # ------------------------------------------------------------ the model, read back

    def _pages(self, query: str, key: str, token: str) -> list[dict]:
        out, after = [], None
        while True:
            page = self.gql(query, {"after": after}, token=token).ok()[key]
            out += [e["node"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return out
            after = page["pageInfo"]["endCursor"]

    def refresh(self) -> None:
        self.estates = [e["node"] for e in self.gql(TREE, token=self.dev).ok()["estates"]["edges"]]
        self.houses = {h["id"]: {**h, "building": b["id"], "estate": e["id"]}
                       for e in self.estates for b in e["buildings"] for h in b["houses"]}
        self.buildings = {b["id"]: {**b, "estate": e["id"]} for e in self.estates for b in e["buildings"]}
        self.notices = self._pages(NOTICES, "paymentNotices", self.dev)
        self.refunds = self._pages(REFUNDS, "refunds", self.clerk)
        self.listed_apps = self._pages(APPLICATIONS, "applications", self.dev)

    def active_estates(self) -> list[dict]:
        return [e for e in self.estates if e["status"] == "ACTIVE"]

    def active_houses(self, estate: str | None = None, building: str | None = None) -> list[dict]:
        return [h for h in self.houses.values() if h["status"] == "ACTIVE"
                and (estate is None or h["estate"] == estate) and (building is None or h["building"] == building)]

    def active_buildings(self, estate: str | None = None) -> list[dict]:
        return [b for b in self.buildings.values() if b["status"] == "ACTIVE" and (estate is None or b["estate"] == estate)]

    def on_notice(self) -> dict[str, str]:
        return {l["house"]["id"]: n["number"] for n in self.notices if n["status"] == "ISSUED" for l in n["lines"]}

    def lock_type(self, house: dict) -> str | None:
        held = house["lockedBy"]
        if not held:
            return None
        return next((a.type for a in self.apps.values() if a.number == held["number"]), "?")

    def apps_in(self, *statuses: str) -> list[AppModel]:
        return [a for a in self.apps.values() if a.status in statuses]

    def free_numbers(self, building: str, *, exclude: set[str] = frozenset()) -> list[tuple]:
        taken = {number_of(h) for h in self.active_houses(building=building) if h["id"] not in exclude}
        return [(UNIT, f, f"{f}{r:02d}") for f in range(1, 5) for r in range(1, 4) if (UNIT, f, f"{f}{r:02d}") not in taken]

    def pick(self, data, items, label: str):
        """One of the items, drawn by a readable name (a house's code, a notice's or application's
        number) so the failing step sequences hypothesis prints stay short."""
        named = {self.name_of(i): i for i in items}
        return named[data.draw(st.sampled_from(sorted(named)), label=label)]

    def pick_house(self, data, houses, label: str = "house") -> dict:
        """A house; half the time one that an open application already touches, where the
        business types meet (and where their defects hide)."""
        busy = {h for a in self.apps_in("DRAFT", "REJECTED", "SUBMITTED", "ACCEPTED") for h in a.houses}
        near = [h for h in houses if h["id"] in busy]
        if near and data.draw(st.booleans(), label=f"{label} in an open application"):
            return self.pick(data, near, label)
        return self.pick(data, houses, label)

    def pick_houses(self, data, houses, label: str = "houses") -> list[dict]:
        first = self.pick_house(data, houses, label)
        rest = [h for h in houses if h["id"] != first["id"]]
        return [first] + ([self.pick(data, rest, f"{label} (2)")] if rest and data.draw(st.booleans(), label="two") else [])

    @staticmethod
    def name_of(item) -> str:
        if isinstance(item, AppModel):
            return f"{item.number} {item.type} {item.status}"
        if isinstance(item, dict):
            for key in ("code", "number", "name"):
                if key in item and "id" in item:
                    return f"{item[key]}" if key != "name" else f"{item[key]} {item['id']}"
            return item["id"]
        return str(item)

    def add_app(self, created: dict, estate: str, houses=(), **kw) -> AppModel:
        app = AppModel(created["id"], created["number"], created["type"], estate, created["status"], list(houses), **kw)
        self.apps[app.id] = app
        return app
