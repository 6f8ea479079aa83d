"""The whole business as a stateful property test (hypothesis RuleBasedStateMachine), through the
GraphQL endpoint on the real PostgreSQL, Redis and arq worker.

Random sequences of collections, supplements, info changes (moves, swaps, and a number another
house holds), split/merges, cancellations, ownership changes, clerks' accepts, approvals and
rejections, applicants' submits and withdrawals, building / owner (代打) / custom (自定义, 续筹 by
Excel) notices, bank confirmations (right, repeated, wrong amount, unknown, cancelled, paid),
refund completion and recalculation under new deposit standards. The machine keeps a model of
what exists (read back from the API after every step, plus the applications it made) to choose
steps that look valid, and tries the mistakes users make, which must be refused with a coded
error. After every step it checks the invariants (`BusinessMachine.invariants_hold`), and every
response (and every job) is checked for INTERNAL.

Profiles (env WXFUND_STATEFUL):
    short (default)  5 examples of 15 steps, part of the ordinary suite; a failure is reported as
                     found (no shrinking, WXFUND_STATEFUL_SHRINK=1 to shrink)
    long             150 examples of 40 steps (6 000 steps), shrinking what fails:
        WXFUND_STATEFUL=long PYTHONPATH=$PWD .venv/bin/python -m pytest tests/test_business_state.py -q -s
    (WXFUND_STATEFUL_EXAMPLES / WXFUND_STATEFUL_STEPS override the counts of either profile; the
    run prints its examples, steps, checked refusals and seconds.) Hypothesis keeps failing
    examples in .hypothesis/ and replays them first on the next run.
Each hypothesis example starts from an emptied database (the conftest TRUNCATE) with one
developer, a clerk, a bank user, the example standards and a 12-house estate.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, Phase, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.api import Result
from tests.api import gql as raw_gql
from tests.sheets import XLSX, house as sheet_house, workbook

PROFILE = os.environ.get("WXFUND_STATEFUL", "short")
EXAMPLES, STEPS = {"short": (5, 15), "long": (150, 40)}[PROFILE]
EXAMPLES = int(os.environ.get("WXFUND_STATEFUL_EXAMPLES", EXAMPLES))
STEPS = int(os.environ.get("WXFUND_STATEFUL_STEPS", STEPS))
# Shrinking replays whole sequences (a fresh database each), up to hypothesis's 5 minutes: the long
# profile shrinks; the short one reports its (at most STEPS-step) sequence as found, unless
# WXFUND_STATEFUL_SHRINK=1.
SHRINK = PROFILE == "long" or os.environ.get("WXFUND_STATEFUL_SHRINK") == "1"
SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, print_blob=True,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if SHRINK else []))

ZERO = Decimal("0.00")
INTERNAL_JOB_MESSAGE = "系统内部错误"  # jobs/tasks.py: the message of a job that failed unexpectedly
NOTICE_LOCKS = {"HOUSE_INFO_CHANGE", "HOUSE_SPLIT_MERGE", "HOUSE_CANCELLATION"}
REFUND_ACCOUNT = {"accountName": "江门示例置业", "bankName": "工商银行", "accountNumber": "6222000011112222"}
AREAS = ["60.00", "75.50", "89.50", "101.25", "120.00"]
UNIT = "1单元"
STATS = {"examples": 0, "steps": 0, "refused": 0}


def money(value) -> Decimal:
    return Decimal(value)


def fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def number_of(h: dict) -> tuple:
    return (h["unit"] or "", h["floor"], h["roomNumber"])


def owner(rng: random.Random, name: str = "王五") -> dict:
    from services.seed import fake_resident_id

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


def make_machine(loop: asyncio.AbstractEventLoop, client, worker):
    """The machine class, bound to the test's event loop (where the worker runs) and client."""

    class BusinessMachine(RuleBasedStateMachine):
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
            return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=300)

        def gql(self, query: str, variables: dict | None = None, *, token: str, files=None) -> Result:
            r = self.run(raw_gql(client, query, variables, token=token, files=files))
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
            from sqlalchemy import text

            from core.db import get_engine, get_sessionmaker
            from core.redis import get_redis
            from models import Base
            from models.enums import Role
            from services.payments.deposits import recalculate
            from services.seed import create_example_standards
            from tests.factories import login, make_bank, make_estate, make_org, make_user

            for _ in range(600):  # the previous example's jobs finish first (TRUNCATE under their locks deadlocks)
                if all(t.done() for t in worker.tasks.values()):
                    break
                await asyncio.sleep(0.05)
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            async with get_engine().begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await get_redis().flushdb()
            async with get_sessionmaker()() as session:
                bank = await make_bank(session)
                org = await make_org(session)
                await make_user(session, "clerk1", [Role.CLERK])
                await make_user(session, "bank1", [Role.BANK], bank_id=bank)
                await create_example_standards(session)
                await session.commit()
                estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=2, floors=3, units=1,
                                           rooms_per_unit=2, sold_ratio=0.75)
                await recalculate(session, estate_id=estate)
                await session.commit()
            self.dev = await login(client, org.admin_username)
            self.clerk = await login(client, "clerk1")
            self.bank = await login(client, "bank1")

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

        # ------------------------------------------------------------ applications that create houses

        @rule(data=st.data(), mistake=st.booleans())
        def collect_estate(self, data, mistake):
            STATS["steps"] += 1
            name = f"新城花园{self.counter}"
            self.counter += 1
            q = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { %s estate { id } } }" % APP
            r = self.gql(q, {"input": {"name": name, "district": "江海区", "address": "江门市江海区新城路 1 号",
                                       "depositTiming": "BEFORE_HANDOVER"}}, token=self.dev)
            created = r.ok()["createEstateCollection"]
            buildings = data.draw(st.integers(1, 2), label="buildings")
            rows = [sheet_house(f"{b}栋", UNIT, f, f"{f}{r:02d}", self.rng.choice(AREAS))
                    for b in range(1, buildings + 1) for f in (1, 2) for r in (1, 2)]
            if mistake:  # the same 单元+楼层+房号 twice in the file: every row checked, nothing written
                failed = self.upload(created["id"], rows + [dict(rows[0])])
                assert failed["status"] == "FAILED" and any(e["code"] == "DUPLICATE" for e in failed["errors"]), failed
            done = self.upload(created["id"], rows)
            assert done["status"] == "SUCCEEDED", done
            app = AppModel(created["id"], created["number"], created["type"], created["estate"]["id"], "DRAFT", rows=len(rows))
            self.apps[app.id] = app

        @precondition(lambda self: self.active_estates())
        @rule(data=st.data(), mistake=st.booleans())
        def supplement(self, data, mistake):
            STATS["steps"] += 1
            estate = self.pick(data, self.active_estates(), "estate")
            q = "mutation($input: HouseSupplementInput!) { createHouseSupplement(input: $input) { %s } }" % APP
            r = self.gql(q, {"input": {"estateId": estate["id"], "depositTiming": "BEFORE_INITIAL_REGISTRATION"}}, token=self.dev)
            if r.errors:  # another collection or supplement of the estate is under review
                assert r.code == "HOUSE_LOCKED" and any(
                    a.type in ("HOUSE_SUPPLEMENT", "ESTATE_COLLECTION") and a.estate == estate["id"]
                    for a in self.apps_in("SUBMITTED", "ACCEPTED")), r.errors
                return self.refused(r)
            created = r.ok()["createHouseSupplement"]
            rows = []
            buildings = self.active_buildings(estate["id"])
            target = self.pick(data, buildings, "building") if buildings and data.draw(st.booleans(), label="existing") else None
            if target is not None:
                free = self.free_numbers(target["id"])
                for unit, floor, room in data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True), label="numbers") if free else []:
                    rows.append(sheet_house(target["name"], unit, floor, room, self.rng.choice(AREAS)))
            if not rows:
                name = f"补{self.counter}栋"
                self.counter += 1
                rows = [sheet_house(name, UNIT, 1, "101", self.rng.choice(AREAS)), sheet_house(name, UNIT, 1, "102", "30.00", usage="车库", sold="未售")]
            taken = self.active_houses(estate["id"])
            if mistake and taken:  # a row with a number an ACTIVE house of that building holds
                held = self.pick(data, taken, "held")
                b = self.buildings[held["building"]]
                failed = self.upload(created["id"], [sheet_house(b["name"], held["unit"], held["floor"], held["roomNumber"], "80.00")])
                assert failed["status"] == "FAILED" and any(e["code"] == "DUPLICATE" for e in failed["errors"]), failed
            if self.imported(self.upload(created["id"], rows), {r["楼幢名称"] for r in rows}):
                self.add_app(created, estate["id"], rows=len(rows))

        # ------------------------------------------------------------ applications on existing houses

        @precondition(lambda self: self.active_houses())
        @rule(data=st.data(), kind=st.sampled_from(["area", "usage", "elevator", "swap", "move", "duplicate"]))
        def info_change(self, data, kind):
            STATS["steps"] += 1
            estate = self.pick(data, [e for e in self.active_estates() if self.active_houses(e["id"])], "estate")
            houses = self.active_houses(estate["id"])
            h = self.pick_house(data, houses)
            items, expect = [], {}
            if kind == "area":
                area = data.draw(st.sampled_from([a for a in AREAS if money(a) != money(h["buildingArea"])]), label="area")
                inner = (money(area) * Decimal("0.8")).quantize(Decimal("0.01"))  # 测绘 gives both areas
                items.append({"houseId": h["id"], "buildingArea": area, "innerArea": str(inner)})
                expect[h["id"]] = {"buildingArea": area}
            elif kind == "usage":
                usage = data.draw(st.sampled_from(["RESIDENTIAL", "OFFICE", "COMMERCIAL"]), label="usage")
                items.append({"houseId": h["id"], "usage": usage})
                expect[h["id"]] = {"usage": usage}
            elif kind == "elevator":
                items.append({"houseId": h["id"], "hasElevator": not h["hasElevator"]})
                expect[h["id"]] = {"hasElevator": not h["hasElevator"]}
            elif kind == "swap":  # two houses of one building exchange their numbers
                others = [g for g in self.active_houses(building=h["building"]) if g["id"] != h["id"]]
                if not others:
                    return
                g = self.pick(data, others, "other")
                for a, b in ((h, g), (g, h)):
                    items.append({"houseId": a["id"], "unit": b["unit"], "floor": b["floor"], "roomNumber": b["roomNumber"]})
                    expect[a["id"]] = {"unit": b["unit"], "floor": b["floor"], "roomNumber": b["roomNumber"]}
            elif kind == "move":  # to another building of the estate, at a number free there
                targets = [b for b in self.active_buildings(estate["id"]) if b["id"] != h["building"] and self.free_numbers(b["id"])]
                if not targets:
                    return
                b = self.pick(data, targets, "target")
                unit, floor, room = self.pick(data, self.free_numbers(b["id"]), "number")
                items.append({"houseId": h["id"], "buildingId": b["id"], "unit": unit, "floor": floor, "roomNumber": room})
                expect[h["id"]] = {"building": b["id"], "unit": unit, "floor": floor, "roomNumber": room}
            else:  # duplicate: the number another ACTIVE house of the building holds (SPEC round 2: CONFLICT on create)
                others = [g for g in self.active_houses(building=h["building"]) if number_of(g) != number_of(h)]
                if not others:
                    return
                g = self.pick(data, others, "holder")
                items.append({"houseId": h["id"], "unit": g["unit"], "floor": g["floor"], "roomNumber": g["roomNumber"]})
            q = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP
            r = self.gql(q, {"input": {"estateId": estate["id"], "reason": "测绘更正", "items": items}}, token=self.dev)
            if kind == "duplicate" and not (r.code == "HOUSE_LOCKED" and h["lockedBy"]):
                assert r.code == "CONFLICT", ("an info change giving a house the 单元+楼层+房号 of another ACTIVE house "
                                              "must be refused with CONFLICT on create", items, r.errors or r.data)
                assert g["code"] in r.errors[0]["message"], r.errors  # naming the holder's 房屋编号
                return self.refused(r)
            if r.errors:  # a chosen house, or the building a house moves to, is under review
                involved = [self.houses[i["houseId"]]["lockedBy"] for i in items] + [
                    self.buildings[i["buildingId"]]["lockedBy"] for i in items if i.get("buildingId")]
                assert r.code == "HOUSE_LOCKED" and any(involved), r.errors
                return self.refused(r)
            self.add_app(r.ok()["createHouseInfoChange"], estate["id"], [i["houseId"] for i in items], expect=expect)

        @precondition(lambda self: self.active_houses())
        @rule(data=st.data())
        def info_change_by_excel(self, data):
            """信息变更 by Excel: export the chosen houses with the application, edit the areas, import."""
            from openpyxl import load_workbook

            STATS["steps"] += 1
            estate = self.pick(data, [e for e in self.active_estates() if self.active_houses(e["id"])], "estate")
            by_code = {h["code"]: h for h in self.active_houses(estate["id"])}
            chosen = self.pick_houses(data, self.active_houses(estate["id"]))
            q = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP
            r = self.gql(q, {"input": {"estateId": estate["id"], "reason": "面积更正",
                                       "items": [{"houseId": h["id"]} for h in chosen]}}, token=self.dev)
            if r.errors:
                assert r.code == "HOUSE_LOCKED" and any(h["lockedBy"] for h in chosen), r.errors
                return self.refused(r)
            created = r.ok()["createHouseInfoChange"]
            r = self.gql("mutation($id: ID) { exportHouses(applicationId: $id) { id } }", {"id": created["id"]}, token=self.dev)
            done = self.job(r.ok()["exportHouses"]["id"], self.dev)
            assert done["status"] == "SUCCEEDED", done
            wb = load_workbook(io.BytesIO(self.run(client.get(done["result"]["url"])).content))
            ws = wb.active
            header_row = next(row for row in ws.iter_rows() if any(c.value == "房屋编号" for c in row))
            col = {c.value: c.column for c in header_row}
            expect = {}
            for row in ws.iter_rows(min_row=header_row[0].row + 1):
                code = row[col["房屋编号"] - 1].value
                if code not in by_code:
                    continue
                area = money(data.draw(st.sampled_from(AREAS), label=f"area {code}"))
                ws.cell(row[0].row, col["建筑面积"]).value = float(area)
                ws.cell(row[0].row, col["套内面积"]).value = float((area * Decimal("0.8")).quantize(Decimal("0.01")))
                expect[by_code[code]["id"]] = {"buildingArea": str(area)}
            assert set(expect) == {h["id"] for h in chosen}, ("the export lists the application's houses", expect)
            out = io.BytesIO()
            wb.save(out)
            r = self.gql(IMPORT, {"id": created["id"], "file": None}, token=self.dev,
                         files={"variables.file": ("信息变更.xlsx", out.getvalue(), XLSX)})
            done = self.job(r.ok()["importHouses"]["id"], self.dev)
            assert done["status"] == "SUCCEEDED", done
            self.add_app(created, estate["id"], [h["id"] for h in chosen], expect=expect)

        @precondition(lambda self: [a for a in self.apps_in("DRAFT", "REJECTED") if a.type in ("HOUSE_INFO_CHANGE", "HOUSE_CANCELLATION")])
        @rule(data=st.data())
        def edit(self, data):
            """An edit of a DRAFT or REJECTED application replaces what its create set."""
            STATS["steps"] += 1
            app = self.pick(data, [a for a in self.apps_in("DRAFT", "REJECTED") if a.type in ("HOUSE_INFO_CHANGE", "HOUSE_CANCELLATION")], "app")
            houses = self.active_houses(app.estate)
            if not houses:
                return
            h = self.pick_house(data, houses)
            if app.type == "HOUSE_CANCELLATION":
                q = "mutation($id: ID!, $input: HouseCancellationInput!) { updateHouseCancellation(id: $id, input: $input) { %s } }" % APP
                variables = {"estateId": app.estate, "reason": "灭失（更正）", "houseIds": [h["id"]]}
                expect = {}
            else:
                area = data.draw(st.sampled_from(AREAS), label="area")
                inner = str((money(area) * Decimal("0.8")).quantize(Decimal("0.01")))
                q = "mutation($id: ID!, $input: HouseInfoChangeInput!) { updateHouseInfoChange(id: $id, input: $input) { %s } }" % APP
                variables = {"estateId": app.estate, "reason": "测绘更正（修改）",
                             "items": [{"houseId": h["id"], "buildingArea": area, "innerArea": inner}]}
                expect = {h["id"]: {"buildingArea": area}}
            r = self.gql(q, {"id": app.id, "input": variables}, token=self.dev)
            if r.errors:
                assert r.code == "HOUSE_LOCKED" and h["lockedBy"], r.errors
                return self.refused(r)
            assert next(iter(r.ok().values()))["status"] == app.status
            app.houses, app.expect = [h["id"]], expect

        @precondition(lambda self: any(h["salesStatus"] == "SOLD" for h in self.active_houses()))
        @rule(data=st.data(), mistake=st.booleans(), two=st.booleans())
        def ownership_change(self, data, mistake, two):
            STATS["steps"] += 1
            h = self.pick_house(data, [h for h in self.active_houses() if h["salesStatus"] == "SOLD"])
            owners = [owner(self.rng, "赵六")] + ([owner(self.rng, "钱七")] if two else [])
            if two:
                owners[0]["share"], owners[1]["share"] = "0.50", "0.50"
            q = "mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { %s } }" % APP
            variables = {"input": {"estateId": h["estate"], "items": [{"houseId": h["id"], "owners": owners}]}}
            if mistake:  # a 身份证号 with a wrong check digit
                bad = dict(owners[0], idNumber=owners[0]["idNumber"][:-1] + ("0" if owners[0]["idNumber"][-1] != "0" else "1"))
                r = self.gql(q, {"input": {**variables["input"], "items": [{"houseId": h["id"], "owners": [bad] + owners[1:]}]}}, token=self.dev)
                self.refused(r, "VALIDATION_FAILED")
                assert r.errors[0]["extensions"]["field"] == "input.items.0.owners.0.idNumber", r.errors
            r = self.gql(q, variables, token=self.dev)
            if r.errors:
                assert r.code == "HOUSE_LOCKED" and h["lockedBy"], r.errors
                return self.refused(r)
            self.add_app(r.ok()["createOwnershipChange"], h["estate"], [h["id"]],
                         expect={h["id"]: {"owners": [o["name"] for o in owners]}})

        @precondition(lambda self: self.active_houses())
        @rule(data=st.data())
        def cancellation(self, data):
            STATS["steps"] += 1
            estate = self.pick(data, [e for e in self.active_estates() if self.active_houses(e["id"])], "estate")
            chosen = self.pick_houses(data, self.active_houses(estate["id"]))
            q = "mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { %s } }" % APP
            r = self.gql(q, {"input": {"estateId": estate["id"], "reason": "灭失", "houseIds": [h["id"] for h in chosen]}}, token=self.dev)
            if r.errors:
                assert r.code == "HOUSE_LOCKED" and any(h["lockedBy"] for h in chosen), r.errors
                return self.refused(r)
            self.add_app(r.ok()["createHouseCancellation"], estate["id"], [h["id"] for h in chosen])

        @precondition(lambda self: self.active_houses())
        @rule(data=st.data(), merge=st.booleans(), mistake=st.booleans())
        def split_merge(self, data, merge, mistake):
            STATS["steps"] += 1
            h = self.pick_house(data, self.active_houses())
            building = self.buildings[h["building"]]
            sources = [h]
            if merge:
                others = [g for g in self.active_houses(building=h["building"]) if g["id"] != h["id"]]
                if not others:
                    return
                sources.append(self.pick(data, others, "other"))
            total = sum(money(s["buildingArea"]) for s in sources)
            free = self.free_numbers(h["building"], exclude={s["id"] for s in sources})
            elevator = "有" if h["hasElevator"] else "无"
            if merge:  # the result keeps the first house's number
                results = [(h["unit"], h["floor"], h["roomNumber"], total)]
            else:  # one result keeps the number, the other takes a free one
                extra = [n for n in free if n != number_of(h)]
                if not extra:
                    return
                unit, floor, room = self.pick(data, extra, "number")
                half = (total / 2).quantize(Decimal("0.01"))
                results = [(h["unit"], h["floor"], h["roomNumber"], half), (unit, floor, room, total - half)]
            q = "mutation($input: HouseSplitMergeInput!) { createHouseSplitMerge(input: $input) { %s } }" % APP
            r = self.gql(q, {"input": {"estateId": h["estate"], "reason": "两套合并" if merge else "一套分为两套",
                                       "houseIds": [s["id"] for s in sources]}}, token=self.dev)
            if r.errors:
                assert r.code == "HOUSE_LOCKED" and any(s["lockedBy"] for s in sources), r.errors
                return self.refused(r)
            created = r.ok()["createHouseSplitMerge"]
            rows = [sheet_house(building["name"], u, f, n, str(a), elevator=elevator) for u, f, n, a in results]
            attached = self.gql("mutation($id: ID!, $file: Upload!) { addAttachment(applicationId: $id, file: $file) { id } }",
                                {"id": created["id"], "file": None}, token=self.dev,
                                files={"variables.file": ("证明.pdf", b"%PDF-1.4 proof", "application/pdf")})
            attached.ok()
            if mistake and not any(s["lockedBy"] for s in sources):  # the results' areas do not add up
                wrong = [dict(r, 建筑面积=str(money(r["建筑面积"]) + 5)) for r in rows]
                if not self.imported(self.upload(created["id"], wrong, with_code=True), {building["name"]}):
                    return
                r = self.gql("mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: \"x\", bankName: \"y\", accountNumber: \"1\"}) { status } }",
                             {"id": created["id"]}, token=self.dev)
                self.refused(r, "AREA_MISMATCH")
            if self.imported(self.upload(created["id"], rows, with_code=True), {building["name"]}):
                self.add_app(created, h["estate"], [s["id"] for s in sources], rows=len(rows))

        # ------------------------------------------------------------ the life cycle

        @precondition(lambda self: self.apps_in("DRAFT", "REJECTED"))
        @rule(data=st.data(), mistake=st.booleans())
        def submit(self, data, mistake):
            STATS["steps"] += 1
            self._submit(self.pick(data, self.apps_in("DRAFT", "REJECTED"), "app"), mistake)

        @precondition(lambda self: self.apps_in("DRAFT", "REJECTED", "SUBMITTED"))
        @rule(data=st.data())
        def through_review(self, data):
            """The usual day: submitted, accepted and approved one after the other."""
            STATS["steps"] += 1
            app = self.pick(data, self.apps_in("DRAFT", "REJECTED", "SUBMITTED"), "app")
            if app.status == "SUBMITTED" or self._submit(app, False):
                self._accept(app)
                self.refresh()
                self._approve(app)

        def _submit(self, app: AppModel, mistake: bool) -> bool:
            needs = self.gql("query($id: ID!) { application(id: $id) { needsRefundAccount } }", {"id": app.id},
                             token=self.dev).ok()["application"]["needsRefundAccount"]
            q = "mutation($id: ID!, $account: RefundAccountInput) { submitApplication(id: $id, refundAccount: $account) { %s } }" % APP
            if needs and mistake and not app.refund_account:  # approval would refund money: no account is refused, naming the field
                r = self.gql(q, {"id": app.id, "account": None}, token=self.dev)
                self.refused(r)
                fields = {e["extensions"].get("field") for e in r.errors} | {
                    p.get("field") for e in r.errors for p in e["extensions"].get("problems") or []}
                assert "refundAccount" in fields, r.errors
            r = self.gql(q, {"id": app.id, "account": REFUND_ACCOUNT if needs else None}, token=self.dev)
            if r.errors:
                self.refused(r, "HOUSE_LOCKED", "CONFLICT", "AREA_MISMATCH", "VALIDATION_FAILED", "INVALID_STATE", "NOT_FOUND")
                if r.code == "HOUSE_LOCKED":
                    holder = r.errors[0]["extensions"]["applicationNumber"]
                    assert any(a.number == holder and a.status in ("SUBMITTED", "ACCEPTED") for a in self.apps.values()), r.errors
                return False
            app.status = r.ok()["submitApplication"]["status"]
            app.refund_account = app.refund_account or needs
            assert app.status == "SUBMITTED"
            return True

        @precondition(lambda self: self.apps_in("SUBMITTED"))
        @rule(data=st.data())
        def accept(self, data):
            STATS["steps"] += 1
            self._accept(self.pick(data, self.apps_in("SUBMITTED"), "app"))

        def _accept(self, app: AppModel) -> None:
            r = self.gql("mutation($id: ID!) { acceptApplication(id: $id) { %s } }" % APP, {"id": app.id}, token=self.clerk)
            app.status = r.ok()["acceptApplication"]["status"]
            assert app.status == "ACCEPTED"

        @precondition(lambda self: self.apps_in("SUBMITTED", "ACCEPTED"))
        @rule(data=st.data(), mistake=st.booleans())
        def reject(self, data, mistake):
            STATS["steps"] += 1
            app = self.pick(data, self.apps_in("SUBMITTED", "ACCEPTED"), "app")
            q = "mutation($id: ID!, $c: String!) { rejectApplication(id: $id, comment: $c) { %s } }" % APP
            if mistake:
                self.refused(self.gql(q, {"id": app.id, "c": "  "}, token=self.clerk), "VALIDATION_FAILED")
            app.status = self.gql(q, {"id": app.id, "c": "材料不全"}, token=self.clerk).ok()["rejectApplication"]["status"]
            assert app.status == "REJECTED"

        @precondition(lambda self: self.apps)
        @rule(data=st.data())
        def withdraw(self, data):
            STATS["steps"] += 1
            app = self.pick(data, self.apps.values(), "app")
            r = self.gql("mutation($id: ID!) { withdrawApplication(id: $id) { %s } }" % APP, {"id": app.id}, token=self.dev)
            if app.status not in ("DRAFT", "SUBMITTED", "REJECTED"):
                return self.refused(r, "INVALID_STATE")
            app.status = r.ok()["withdrawApplication"]["status"]
            assert app.status == "WITHDRAWN"
            if app.type == "ESTATE_COLLECTION":  # PENDING rows are deleted with their application
                self.refresh()
                assert app.estate not in {e["id"] for e in self.estates}, app.number

        @precondition(lambda self: self.apps_in("ACCEPTED"))
        @rule(data=st.data())
        def approve(self, data):
            STATS["steps"] += 1
            self._approve(self.pick(data, self.apps_in("ACCEPTED"), "app"))

        def _approve(self, app: AppModel) -> None:
            before_houses, before_notices = self.houses, {n["id"]: n for n in self.notices}
            r = self.gql("mutation($id: ID!) { approveApplication(id: $id) { %s } }" % APP, {"id": app.id}, token=self.clerk)
            if r.errors:
                self.refused(r, "INVALID_STATE", "CONFLICT")
                return
            app.status = r.ok()["approveApplication"]["status"]
            assert app.status == "APPROVED"
            self.refresh()
            detail = self.gql("""query($id: ID!) { application(id: $id) { houseChanges(first: 100) { house { id } before { code } }
                                   paymentNotices { id number status lines { house { id } } } refunds { amount status house { id } } } }""",
                              {"id": app.id}, token=self.dev).ok()["application"]
            touched = {c["house"]["id"] for c in detail["houseChanges"]}
            created = {c["house"]["id"] for c in detail["houseChanges"] if c["before"] is None}
            if app.type in ("ESTATE_COLLECTION", "HOUSE_SUPPLEMENT", "HOUSE_SPLIT_MERGE"):
                assert len(created) == app.rows, (app, detail)
                for hid in created:  # 开户 with a due under the example standards
                    assert self.houses[hid]["status"] == "ACTIVE" and money(self.houses[hid]["depositDue"]) > 0, self.houses[hid]
            if app.type in ("HOUSE_CANCELLATION", "HOUSE_SPLIT_MERGE"):
                for hid in app.houses:
                    assert self.houses[hid]["status"] == "CANCELLED", self.houses[hid]
            if app.type == "HOUSE_SPLIT_MERGE":  # the pooled balance is carried over, to the fen
                assert sum(money(self.houses[h]["balance"]) for h in created) == sum(money(before_houses[h]["balance"]) for h in app.houses)
            if app.type == "HOUSE_CANCELLATION":  # a positive balance becomes a refund
                for hid in app.houses:
                    balance = money(before_houses[hid]["balance"])
                    mine = [x for x in detail["refunds"] if x["house"]["id"] == hid]
                    assert [money(x["amount"]) for x in mine] == ([balance] if balance > 0 else []), (hid, balance, mine)
            for hid, values in app.expect.items():
                h = self.houses[hid]
                for key, value in values.items():
                    got = [o["name"] for o in h["owners"]] if key == "owners" else h[key]
                    if key == "buildingArea":
                        got, value = money(got), money(value)
                    assert got == value, (hid, key, got, value)
            # SPEC round 2: a building notice cancelled by this approval is replaced at once by one for
            # the houses it covered that the application did not touch (their unpaid amounts now).
            now = {n["id"]: n for n in self.notices}
            issued = self.on_notice()
            mine = {n["number"] for n in detail["paymentNotices"]}
            for nid, n in before_notices.items():
                if n["status"] != "ISSUED" or now[nid]["status"] != "CANCELLED" or n["building"] is None or n["payerKind"] != "DEVELOPER":
                    continue
                for line in n["lines"]:
                    hid = line["house"]["id"]
                    h = self.houses.get(hid)
                    if hid in touched or h is None or h["status"] != "ACTIVE" or money(h["unpaid"]) <= 0:
                        continue
                    assert hid in issued and issued[hid] in mine, (
                        f"building notice {n['number']} cancelled by {app.number} without a replacement for house {h['code']}",
                        issued.get(hid), mine)

        # ------------------------------------------------------------ notices

        @precondition(lambda self: self.active_buildings())
        @rule(data=st.data())
        def building_notice(self, data):
            STATS["steps"] += 1
            b = self.pick(data, self.active_buildings(), "building")
            on = self.on_notice()
            unpaid = [h for h in self.active_houses(building=b["id"]) if money(h["unpaid"]) > 0]
            eligible = [h for h in unpaid if h["id"] not in on and self.lock_type(h) not in NOTICE_LOCKS]
            r = self.gql("mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { %s } }" % NOTICE,
                         {"ids": [b["id"]]}, token=self.dev)
            if eligible:
                notices = r.ok()["issueBuildingNotices"]
                assert len(notices) == 1 and notices[0]["payerKind"] == "DEVELOPER", notices
                lines = {l["house"]["id"]: l["amount"] for l in notices[0]["lines"]}
                assert lines == {h["id"]: h["unpaid"] for h in eligible}, (lines, eligible)
            elif unpaid and all(h["id"] in on for h in unpaid):  # SPEC round 2
                assert r.code == "CONFLICT" and r.errors[0]["extensions"].get("noticeNumber") in on.values(), (
                    "issueBuildingNotices for a building whose every unpaid house is on an ISSUED notice must be CONFLICT",
                    r.errors or r.data)
                self.refused(r)
            elif r.errors:
                self.refused(r, "CONFLICT", "INVALID_STATE")
            else:
                assert r.data["issueBuildingNotices"] == [], r.data

        @precondition(lambda self: self.active_houses())
        @rule(data=st.data(), mistake=st.booleans())
        def owner_notice(self, data, mistake):
            STATS["steps"] += 1
            h = self.pick_house(data, self.active_houses())
            q = "mutation($items: [OwnerNoticeItemInput!]!) { issueOwnerNotices(items: $items) { %s } }" % NOTICE
            person = owner(self.rng, "孙八")
            if mistake:  # a mobile number one digit short
                r = self.gql(q, {"items": [{"houseId": h["id"], "owners": [dict(person, phone="1380013800")]}]}, token=self.dev)
                self.refused(r, "VALIDATION_FAILED")
                assert r.errors[0]["extensions"]["field"] == "items.0.owners.0.phone", r.errors
            r = self.gql(q, {"items": [{"houseId": h["id"], "owners": [person]}]}, token=self.dev)
            on = self.on_notice()
            if not self.expect_refusal(r, {"HOUSE_LOCKED": self.lock_type(h) in NOTICE_LOCKS | {"OWNERSHIP_CHANGE"},
                                           "CONFLICT": h["id"] in on, "INVALID_STATE": money(h["unpaid"]) <= 0}, on.get(h["id"])):
                notice = r.ok()["issueOwnerNotices"][0]
                assert notice["payerKind"] == "OWNER" and notice["total"] == h["unpaid"], (notice, h)

        @precondition(lambda self: self.active_houses())
        @rule(data=st.data(), type=st.sampled_from(["MAKE_UP", "RENEWAL", "OTHER"]), mistake=st.booleans(),
              amount=st.sampled_from(["10.00", "123.45", "800.00"]))
        def custom_notice(self, data, type, mistake, amount):
            STATS["steps"] += 1
            h = self.pick_house(data, self.active_houses())
            q = "mutation($input: CustomNoticesInput!) { issueCustomNotices(input: $input) { %s } }" % NOTICE
            if mistake:  # 首期 is not a custom amount; nor is zero
                wrong = data.draw(st.sampled_from([("FIRST_DEPOSIT", amount), (type, "0.00"), (type, "1.005")]), label="wrong")
                r = self.gql(q, {"input": {"type": wrong[0], "items": [{"houseId": h["id"], "amount": wrong[1]}]}}, token=self.dev)
                self.refused(r, "VALIDATION_FAILED")
            r = self.gql(q, {"input": {"type": type, "items": [{"houseId": h["id"], "amount": amount}]}}, token=self.dev)
            on = self.on_notice()
            if not self.expect_refusal(r, {"HOUSE_LOCKED": self.lock_type(h) in NOTICE_LOCKS, "CONFLICT": h["id"] in on}, on.get(h["id"])):
                notice = r.ok()["issueCustomNotices"][0]
                assert notice["type"] == type and notice["total"] == amount, notice

        @precondition(lambda self: self.active_estates())
        @rule(data=st.data())
        def renewal_round_trip(self, data):
            """续筹: the default export (SPEC round 2: houses with depositPaid > 0 whose balance is under
            30 % of their first deposit), edited, imported back."""
            from openpyxl import load_workbook

            STATS["steps"] += 1
            estate = self.pick(data, self.active_estates(), "estate")
            r = self.gql("mutation($e: ID!) { exportRenewalAmounts(estateId: $e) { id } }", {"e": estate["id"]}, token=self.dev)
            done = self.job(r.ok()["exportRenewalAmounts"]["id"], self.dev)
            assert done["status"] == "SUCCEEDED", done
            wb = load_workbook(io.BytesIO(self.run(client.get(done["result"]["url"])).content))
            ws = wb.active
            rows = list(ws.iter_rows(min_row=2))
            exported = {row[0].value for row in rows}
            expected = {h["code"] for h in self.active_houses(estate["id"])
                        if money(h["depositPaid"]) > 0 and money(h["balance"]) < money(h["depositDue"]) * Decimal("0.3")}
            assert exported == expected, ("the 续筹 default is the houses with depositPaid > 0 and balance < 30 % of the first deposit",
                                          sorted(exported - expected), sorted(expected - exported))
            by_code = {h["code"]: h for h in self.active_houses(estate["id"])}
            on = self.on_notice()
            wanted = []
            for row in rows:
                h = by_code.get(row[0].value)
                ok = h and h["id"] not in on and self.lock_type(h) not in NOTICE_LOCKS and (row[8].value or 0) > 0
                if ok and data.draw(st.booleans(), label=f"renew {h['code']}"):
                    wanted.append(h["id"])
                else:
                    row[8].value = None
            if not wanted:
                return
            out = io.BytesIO()
            wb.save(out)
            q = "mutation($e: ID!, $file: Upload!) { importCustomAmounts(estateId: $e, type: RENEWAL, file: $file) { id } }"
            r = self.gql(q, {"e": estate["id"], "file": None}, token=self.dev, files={"variables.file": ("续筹.xlsx", out.getvalue(), XLSX)})
            done = self.job(r.ok()["importCustomAmounts"]["id"], self.dev)
            assert done["status"] == "SUCCEEDED", done
            issued = self.gql("query($id: ID!) { job(id: $id) { paymentNotices { type lines { house { id } } } } }",
                              {"id": done["id"]}, token=self.dev).ok()["job"]["paymentNotices"]
            assert sorted(l["house"]["id"] for n in issued for l in n["lines"]) == sorted(wanted) and {n["type"] for n in issued} == {"RENEWAL"}

        @precondition(lambda self: self.notices)
        @rule(data=st.data())
        def cancel_notice(self, data):
            STATS["steps"] += 1
            n = self.pick(data, self.notices, "notice")
            r = self.gql("mutation($id: ID!) { cancelPaymentNotice(id: $id) { status } }", {"id": n["id"]}, token=self.dev)
            if n["status"] != "ISSUED":
                return self.refused(r, "INVALID_STATE")
            assert r.ok()["cancelPaymentNotice"]["status"] == "CANCELLED"

        # ------------------------------------------------------------ the bank

        def confirm(self, number: str, amount: str, tx: str) -> Result:
            return self.gql(CONFIRM, {"input": {"noticeNumber": number, "amount": amount, "bankTransactionId": tx,
                                                "paidAt": self.paid_at(), "channel": "BANK_COUNTER"}}, token=self.bank)

        @precondition(lambda self: any(n["status"] == "ISSUED" for n in self.notices))
        @rule(data=st.data(), mistake=st.booleans())
        def confirm_payment(self, data, mistake):
            STATS["steps"] += 1
            n = self.pick(data, [n for n in self.notices if n["status"] == "ISSUED"], "notice")
            if mistake:  # a fen more than the notice says
                self.refused(self.confirm(n["number"], str(money(n["total"]) + Decimal("0.01")), self.tx_id()), "AMOUNT_MISMATCH")
            tx = self.tx_id()
            paid = self.confirm(n["number"], n["total"], tx).ok()["confirmPayment"]
            assert paid["notice"]["status"] == "PAID" and paid["amount"] == n["total"], paid
            self.tx[tx] = (n["number"], n["total"], paid["id"])
            before = {l["house"]["id"]: money(self.houses[l["house"]["id"]]["balance"]) for l in n["lines"]}
            self.refresh()
            for line in n["lines"]:  # each house's ledger credited line by line
                hid = line["house"]["id"]
                assert money(self.houses[hid]["balance"]) == before[hid] + money(line["amount"]), (hid, line)

        @precondition(lambda self: self.tx)
        @rule(data=st.data(), kind=st.sampled_from(["repeat", "new_tx_on_paid", "tx_on_other_notice"]))
        def confirm_again(self, data, kind):
            STATS["steps"] += 1
            tx = self.pick(data, sorted(self.tx), "tx")
            number, amount, payment = self.tx[tx]
            if kind == "repeat":  # the same transaction id again: the effect of once
                again = self.confirm(number, amount, tx).ok()["confirmPayment"]
                assert again["id"] == payment, again
            elif kind == "new_tx_on_paid":
                self.refused(self.confirm(number, amount, self.tx_id()), "ALREADY_PAID")
            else:
                others = [n for n in self.notices if n["number"] != number and n["status"] == "ISSUED"]
                if others:
                    other = self.pick(data, others, "other")
                    self.refused(self.confirm(other["number"], other["total"], tx), "CONFLICT")

        @rule(data=st.data())
        def confirm_unknown_or_cancelled(self, data):
            STATS["steps"] += 1
            cancelled = [n for n in self.notices if n["status"] == "CANCELLED"]
            if cancelled and data.draw(st.booleans(), label="cancelled"):
                n = self.pick(data, cancelled, "notice")
                self.refused(self.confirm(n["number"], n["total"], self.tx_id()), "INVALID_STATE")
            else:
                self.refused(self.confirm("JC2099010199999", "100.00", self.tx_id()), "NOT_FOUND")

        # ------------------------------------------------------------ refunds and recalculation

        @precondition(lambda self: self.refunds)
        @rule(data=st.data())
        def complete_refund(self, data):
            STATS["steps"] += 1
            refund = self.pick(data, self.refunds, "refund")
            h = self.houses[refund["house"]["id"]]
            r = self.gql("mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": refund["id"]}, token=self.clerk)
            if refund["status"] != "PENDING":
                return self.refused(r, "INVALID_STATE")
            if money(h["balance"]) < money(refund["amount"]):
                return self.refused(r, "INVALID_STATE")
            assert r.ok()["completeRefund"]["status"] == "COMPLETED"
            self.refresh()
            assert money(self.houses[h["id"]]["balance"]) == money(h["balance"]) - money(refund["amount"])

        @rule(data=st.data(), elevator=st.booleans(), rate=st.sampled_from(["35.00", "45.50", "52.00", "64.25"]),
              mistake=st.booleans(), whole=st.booleans())
        def recalculate(self, data, elevator, rate, mistake, whole):
            STATS["steps"] += 1
            q = "mutation($input: DepositStandardInput!) { setDepositStandard(input: $input) { id } }"
            standard = {"name": f"住宅{'有' if elevator else '无'}电梯（调整）", "usage": "RESIDENTIAL", "hasElevator": elevator,
                        "basis": "PER_SQUARE_METRE", "rate": rate, "effectiveFrom": "2026-01-01"}
            if mistake:
                self.refused(self.gql(q, {"input": {**standard, "rate": "0"}}, token=self.clerk), "VALIDATION_FAILED")
            self.gql(q, {"input": standard}, token=self.clerk).ok()
            estates = self.active_estates()
            estate = None if whole or not estates else self.pick(data, estates, "estate")["id"]
            r = self.gql("mutation($e: ID) { recalculateDeposits(estateId: $e) { id } }", {"e": estate}, token=self.clerk)
            before = self.houses
            done = self.job(r.ok()["recalculateDeposits"]["id"], self.clerk)
            assert done["status"] == "SUCCEEDED", done
            self.refresh()
            for hid, h in self.houses.items():
                old = before.get(hid)
                if old is None or old["status"] != "ACTIVE" or (estate and h["estate"] != estate):
                    continue
                if money(old["depositPaid"]) != 0:  # houses with money paid keep their due
                    assert h["depositDue"] == old["depositDue"], (h, old)
                elif h["usage"] == "RESIDENTIAL" and h["hasElevator"] == elevator:
                    assert money(h["depositDue"]) == fen(money(h["buildingArea"]) * money(rate)), (h, rate)

        # ------------------------------------------------------------ invariants

        @invariant()
        def invariants_hold(self):
            from sqlalchemy import func, select

            from core.db import get_sessionmaker
            from core.ids import encode_id
            from models import LedgerEntry

            self.refresh()

            async def ledger_sums():
                async with get_sessionmaker()() as session:
                    rows = (await session.execute(select(LedgerEntry.house_id, func.sum(LedgerEntry.amount))
                                                  .group_by(LedgerEntry.house_id))).all()
                return {encode_id("House", h): s for h, s in rows}

            db_sums = self.run(ledger_sums())
            sign = {"DEPOSIT": 1, "TRANSFER_IN": 1, "REFUND": -1, "TRANSFER_OUT": -1}
            for hid, h in self.houses.items():
                amounts = [money(e["amount"]) for e in h["ledger"]]
                balance, paid, due = money(h["balance"]), money(h["depositPaid"]), money(h["depositDue"])
                # balance = Σ of its ledger entries, as the API lists them and as the database holds them
                assert balance == sum(amounts, ZERO) == db_sums.get(hid, ZERO), (h["code"], h["balance"], db_sums.get(hid))
                if h["ledger"]:
                    assert money(h["ledger"][-1]["balanceAfter"]) == balance, h["code"]
                for e in h["ledger"]:
                    assert e["kind"] == "ADJUSTMENT" or money(e["amount"]) * sign[e["kind"]] > 0, (h["code"], e)
                # depositPaid = Σ DEPOSIT + Σ TRANSFER_IN − Σ TRANSFER_OUT − Σ REFUND
                assert paid == sum((abs(money(e["amount"])) * sign[e["kind"]] for e in h["ledger"] if e["kind"] in sign), ZERO), h["code"]
                assert money(h["unpaid"]) == max(ZERO, due - paid) >= 0, (h["code"], h["unpaid"], due, paid)
                if h["status"] == "CANCELLED":  # SPEC round 2: a cancelled house owes nothing
                    assert due == 0 and money(h["unpaid"]) == 0, ("a CANCELLED house keeps a due", h["code"], h["depositDue"], h["unpaid"])
                    self.ever_cancelled.add(hid)
                # statuses move forward only: PENDING → ACTIVE → CANCELLED
                was = self.seen_status.get(hid)
                assert not (was == "CANCELLED" and h["status"] != "CANCELLED"), ("a CANCELLED house came back", h["code"], h["status"])
                assert not (was == "ACTIVE" and h["status"] == "PENDING"), ("an ACTIVE house became PENDING", h["code"])
                self.seen_status[hid] = h["status"]
                if h["lockedBy"]:
                    assert any(a.number == h["lockedBy"]["number"] and a.status in ("SUBMITTED", "ACCEPTED")
                               for a in self.apps.values()), (h["code"], h["lockedBy"])
            for hid in self.ever_cancelled:
                assert hid not in self.houses or self.houses[hid]["status"] == "CANCELLED", hid
            # totals: depositDue over ACTIVE houses; depositPaid and balance over houses that are not PENDING
            for e in self.estates:
                for key in ("depositDue", "depositPaid", "balance"):
                    assert money(e[key]) == sum((money(b[key]) for b in e["buildings"]), ZERO), (e["name"], key)
                    for b in e["buildings"]:
                        counted = [h for h in b["houses"] if (h["status"] == "ACTIVE" if key == "depositDue" else h["status"] != "PENDING")]
                        assert money(b[key]) == sum((money(h[key]) for h in counted), ZERO), (e["name"], b["name"], key, b[key])
                assert e["houseCount"] == sum(b["houseCount"] for b in e["buildings"]), e["name"]
                for b in e["buildings"]:
                    assert b["houseCount"] == sum(h["status"] == "ACTIVE" for h in b["houses"]), b["name"]
                    numbers = [number_of(h) for h in b["houses"] if h["status"] == "ACTIVE"]
                    assert len(numbers) == len(set(numbers)), ("two ACTIVE houses share 单元+楼层+房号", b["name"], sorted(numbers))
            # notices: a house on at most one ISSUED notice, each ISSUED notice's houses ACTIVE, totals add up
            seen: dict[str, str] = {}
            for n in self.notices:
                assert money(n["total"]) == sum((money(l["amount"]) for l in n["lines"]), ZERO) > 0, n["number"]
                if n["status"] == "ISSUED":
                    for l in n["lines"]:
                        hid = l["house"]["id"]
                        assert hid not in seen, ("a house on two ISSUED notices", hid, seen[hid], n["number"])
                        seen[hid] = n["number"]
                        assert self.houses[hid]["status"] == "ACTIVE", ("an ISSUED notice for a house that is not ACTIVE",
                                                                         n["number"], self.houses[hid]["code"], self.houses[hid]["status"])
                if n["status"] == "PAID":  # SPEC round 2: paid at the bank's time
                    assert n["payment"] and n["payment"]["amount"] == n["total"], n
                    assert n["paidAt"] and datetime.fromisoformat(n["paidAt"]) == datetime.fromisoformat(n["payment"]["paidAt"]), (
                        "PaymentNotice.paidAt must be Payment.paidAt", n["number"], n["paidAt"], n["payment"]["paidAt"])
                else:
                    assert n["payment"] is None, n
            pending = [r["house"]["id"] for r in self.refunds if r["status"] == "PENDING"]
            assert len(pending) == len(set(pending)), "two PENDING refunds for one house"
            for r in self.refunds:
                assert money(r["amount"]) > 0, r
            listed = {a["id"]: a["status"] for a in self.listed_apps}
            for app in self.apps.values():
                assert listed.get(app.id) == app.status, (app.number, app.type, listed.get(app.id), app.status)

        def teardown(self):
            pass

    return BusinessMachine


async def test_the_whole_business_as_a_state_machine(client, worker):
    """Hypothesis drives the machine in a thread; its steps run on this event loop (the worker's)."""
    loop = asyncio.get_running_loop()
    machine = make_machine(loop, client, worker)
    started = time.monotonic()
    before = dict(STATS)
    try:
        await loop.run_in_executor(None, lambda: run_state_machine_as_test(machine, settings=SETTINGS))
    finally:
        print(f"\n[stateful {PROFILE}] examples {STATS['examples'] - before['examples']}, steps {STATS['steps'] - before['steps']}, "
              f"refusals checked {STATS['refused'] - before['refused']}, {time.monotonic() - started:.0f} s")
