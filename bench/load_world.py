"""The load run's ingredients (bench/load.py): the mix of operations and their GraphQL, the
configuration, and the data a run starts from (organisations with estates, buildings ready for
notices, imported collections ready to submit, notices waiting for the bank), made through the
API and the services before the clock starts."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass, field

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
