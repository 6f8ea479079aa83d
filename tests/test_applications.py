"""Applications through HTTP and WebSocket: the business types that need no workbook, the life
cycle, locks, and refusals."""

import asyncio

import pytest
from sqlalchemy import func, select

from core.ids import encode_id
from models import AuditEvent, House, Lock
from tests.api import gql
from tests.appflow import APP_FIELDS, make_world, rendered_form, step, through_review, tree, wait_job
from tests.ws import subscribe, ws_client

BUILDING_CHANGE = "mutation($input: BuildingChangeInput!) { createBuildingChange(input: $input) { %s buildingChanges { building { id } before { name builtYear structure } after { name builtYear structure } } } }" % APP_FIELDS
OWNERSHIP = "mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { %s houseChanges { house { id } before { owners { name } } after { owners { name idNumber phone share } } } } }" % APP_FIELDS
CANCEL = "mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { %s } }" % APP_FIELDS
INFO = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s houseChanges { before { roomNumber buildingArea } after { roomNumber buildingArea usage } } } }" % APP_FIELDS
STATUS_EVENTS = "subscription($id: ID) { applicationStatusChanged(applicationId: $id) { application { number status } from event { status by { username } comment at } } }"


@pytest.fixture
async def world(client, session, worker):
    return await make_world(client, session)


async def test_building_change_end_to_end_with_live_status(session, worker):
    async with ws_client() as client:
        await building_change_flow(client, session)


async def building_change_flow(client, session):
    world = await make_world(client, session)
    estate = await tree(client, world)
    b1, b2 = estate["buildings"]
    variables = {"input": {"estateId": world.estate_gid, "reason": "竣工资料更正", "items": [
        {"buildingId": b1["id"], "builtYear": 2020, "structure": "FRAME"},
        {"buildingId": b2["id"], "builtYear": 2020, "structure": "FRAME", "name": "二号楼"},
    ]}}
    app = (await gql(client, BUILDING_CHANGE, variables, token=world.dev)).ok()["createBuildingChange"]
    assert app["status"] == "DRAFT" and app["number"].startswith("YW") and len(app["number"]) == 14
    assert [c["after"]["name"] for c in app["buildingChanges"]] == ["1栋", "二号楼"]

    async with subscribe(client, STATUS_EVENTS, {"id": app["id"]}, token=world.dev) as sub:
        await asyncio.sleep(0.1)
        (await step(client, world.dev, "submitApplication", app["id"])).ok()
        (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
        approved = (await step(client, world.clerk, "approveApplication", app["id"], comment="同意")).ok()["approveApplication"]
        seen = [await sub.next() for _ in range(3)]
    assert [(m["payload"]["data"]["applicationStatusChanged"]["from"], m["payload"]["data"]["applicationStatusChanged"]["event"]["status"]) for m in seen] == [
        ("DRAFT", "SUBMITTED"), ("SUBMITTED", "ACCEPTED"), ("ACCEPTED", "APPROVED")]
    assert seen[2]["payload"]["data"]["applicationStatusChanged"]["event"]["by"]["username"] == "clerk1"
    assert approved["status"] == "APPROVED" and [h["status"] for h in approved["history"]] == ["DRAFT", "SUBMITTED", "ACCEPTED", "APPROVED"]

    after = await tree(client, world)
    assert [(b["name"], b["builtYear"], b["structure"]) for b in after["buildings"]] == [("1栋", 2020, "FRAME"), ("二号楼", 2020, "FRAME")]
    assert await session.scalar(select(func.count()).select_from(Lock)) == 0

    # The 申请表 was rendered in the background after submit.
    q = "query($id: ID!) { application(id: $id) { form { url contentType } formJob { id status } } }"
    form = (await gql(client, q, {"id": app["id"]}, token=world.dev)).ok()["application"]
    job = await wait_job(client, world.dev, form["formJob"]["id"])
    assert job["status"] == "SUCCEEDED", job
    form = (await gql(client, q, {"id": app["id"]}, token=world.dev)).ok()["application"]
    pdf = await client.get(form["form"]["url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_ownership_change(client, session, world):
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    good = {"input": {"estateId": world.estate_gid, "items": [{"houseId": house["id"], "owners": [
        {"name": "张三", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X", "phone": "13800138000", "share": "0.5"},
        {"name": "李四", "idType": "PASSPORT", "idNumber": "E12345678", "phone": "13900139000", "share": "0.5"},
    ]}]}}
    bad = {"input": {"estateId": world.estate_gid, "items": [{"houseId": house["id"], "owners": [
        {"name": "张三", "idType": "RESIDENT_ID", "idNumber": "110105194912310021", "phone": "13800138000"}]}]}}
    r = await gql(client, OWNERSHIP, bad, token=world.dev)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.items.0.owners.0.idNumber"
    bad["input"]["items"][0]["owners"][0].update(idNumber="11010519491231002X", phone="1380013800")
    r = await gql(client, OWNERSHIP, bad, token=world.dev)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.items.0.owners.0.phone"
    shares = {"input": {"estateId": world.estate_gid, "items": [{"houseId": house["id"], "owners": [
        {**good["input"]["items"][0]["owners"][0], "share": "0.6"}, good["input"]["items"][0]["owners"][1]]}]}}
    assert (await gql(client, OWNERSHIP, shares, token=world.dev)).code == "VALIDATION_FAILED"
    number = {**good}
    number_json = await gql(client, OWNERSHIP.replace("$input: OwnershipChangeInput!", "$input: OwnershipChangeInput!"),
                            {"input": {**good["input"], "items": [{"houseId": house["id"], "owners": [{**good["input"]["items"][0]["owners"][0], "share": 0.5}]}]}},
                            token=world.dev)
    assert number_json.code == "VALIDATION_FAILED"  # a Decimal as a JSON number is refused
    assert number

    app = (await gql(client, OWNERSHIP, good, token=world.dev)).ok()["createOwnershipChange"]
    assert app["houseChanges"][0]["after"]["owners"][1]["share"] == "0.50"
    await through_review(client, world, app["id"])
    owners = (await gql(client, 'query($id: ID!) { house(id: $id) { owners { name idNumber share } } }', {"id": house["id"]}, token=world.dev)).ok()
    assert [o["name"] for o in owners["house"]["owners"]] == ["张三", "李四"]


async def test_cancellation_and_info_change_swap(client, session, world):
    houses = (await tree(client, world))["buildings"][0]["houses"]
    a, b, c = houses[0], houses[1], houses[2]
    # Swap the room numbers of two houses on one floor, and change an area.
    info = {"input": {"estateId": world.estate_gid, "reason": "测绘更正", "items": [
        {"houseId": a["id"], "roomNumber": b["roomNumber"], "buildingArea": "88.80"},
        {"houseId": b["id"], "roomNumber": a["roomNumber"], "usage": "OFFICE"},
    ]}}
    app = (await gql(client, INFO, info, token=world.dev)).ok()["createHouseInfoChange"]
    assert app["houseChanges"][0]["before"]["roomNumber"] == a["roomNumber"] and app["houseChanges"][0]["after"]["buildingArea"] == "88.80"
    await through_review(client, world, app["id"])
    cancel = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "灭失", "houseIds": [c["id"]]}},
                        token=world.dev)).ok()["createHouseCancellation"]
    await through_review(client, world, cancel["id"])
    after = {h["id"]: h for h in (await tree(client, world))["buildings"][0]["houses"]}
    assert after[a["id"]]["roomNumber"] == b["roomNumber"] and after[a["id"]]["buildingArea"] == "88.80"
    assert after[b["id"]]["roomNumber"] == a["roomNumber"]
    assert after[c["id"]]["status"] == "CANCELLED"
    count = (await gql(client, "query($id: ID!) { estate(id: $id) { houseCount } }", {"id": world.estate_gid}, token=world.dev)).ok()
    assert count["estate"]["houseCount"] == 12 - 1


async def test_locks_states_and_refusals(client, session, world):
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    first = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "灭失", "houseIds": [house["id"]]}},
                       token=world.dev)).ok()["createHouseCancellation"]
    second = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "重复", "houseIds": [house["id"]]}},
                        token=world.dev)).ok()["createHouseCancellation"]
    # Wrong states: approve a draft, accept a draft.
    assert (await step(client, world.clerk, "approveApplication", first["id"])).code == "INVALID_STATE"
    assert (await step(client, world.clerk, "acceptApplication", first["id"])).code == "INVALID_STATE"
    (await step(client, world.dev, "submitApplication", first["id"])).ok()
    locked = await step(client, world.dev, "submitApplication", second["id"])
    assert locked.code == "HOUSE_LOCKED" and locked.errors[0]["extensions"]["applicationNumber"] == first["number"]
    r = await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "三", "houseIds": [house["id"]]}}, token=world.dev)
    assert r.code == "HOUSE_LOCKED"
    lock = (await gql(client, 'query($id: ID!) { house(id: $id) { lockedBy { number } } }', {"id": house["id"]}, token=world.dev)).ok()
    assert lock["house"]["lockedBy"]["number"] == first["number"]
    # Editing a submitted application is refused; the developer cannot accept its own.
    edit = await gql(client, "mutation($id: ID!, $input: HouseCancellationInput!) { updateHouseCancellation(id: $id, input: $input) { id } }",
                     {"id": first["id"], "input": {"estateId": world.estate_gid, "reason": "改", "houseIds": [house["id"]]}}, token=world.dev)
    assert edit.code == "INVALID_STATE"
    assert (await step(client, world.dev, "acceptApplication", first["id"])).code == "FORBIDDEN"
    # Reject needs a comment; rejected, it may be edited and submitted again.
    assert (await step(client, world.clerk, "rejectApplication", first["id"], comment=" ")).code == "VALIDATION_FAILED"
    rejected = (await step(client, world.clerk, "rejectApplication", first["id"], comment="材料不全")).ok()["rejectApplication"]
    assert rejected["status"] == "REJECTED" and rejected["reviewComment"] == "材料不全"
    assert await session.scalar(select(func.count()).select_from(Lock)) == 0
    edited = await gql(client, "mutation($id: ID!, $input: HouseCancellationInput!) { updateHouseCancellation(id: $id, input: $input) { reason status } }",
                       {"id": first["id"], "input": {"estateId": world.estate_gid, "reason": "补充材料", "houseIds": [house["id"]]}}, token=world.dev)
    assert edited.ok()["updateHouseCancellation"] == {"reason": "补充材料", "status": "REJECTED"}
    (await step(client, world.dev, "submitApplication", first["id"])).ok()
    withdrawn = (await step(client, world.dev, "withdrawApplication", first["id"])).ok()["withdrawApplication"]
    assert withdrawn["status"] == "WITHDRAWN"
    assert (await step(client, world.dev, "withdrawApplication", first["id"])).code == "INVALID_STATE"
    (await step(client, world.dev, "submitApplication", second["id"])).ok()  # the lock is free again


async def test_another_organisation_gets_nothing(client, session, world):
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    r = await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "x", "houseIds": [house["id"]]}}, token=world.rival)
    assert r.code == "NOT_FOUND"
    app = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "x", "houseIds": [house["id"]]}},
                     token=world.dev)).ok()["createHouseCancellation"]
    for mutation in ("submitApplication", "withdrawApplication"):
        assert (await step(client, world.rival, mutation, app["id"])).code == "NOT_FOUND"
    seen = await gql(client, "query($id: ID!) { application(id: $id) { id } applications { totalCount } }", {"id": app["id"]}, token=world.rival)
    assert seen.ok() == {"application": None, "applications": {"totalCount": 0}}
    r = await gql(client, 'mutation($id: ID!) { updateEstate(id: $id, input: {remark: "x"}) { id } }', {"id": world.estate_gid}, token=world.rival)
    assert r.code == "NOT_FOUND"
    clerk_list = (await gql(client, "{ applications { totalCount } }", token=world.clerk)).ok()
    assert clerk_list["applications"]["totalCount"] == 1


async def test_two_clerks_approving_at_once_and_approval_racing_withdrawal(client, session, world):
    houses = (await tree(client, world))["buildings"][0]["houses"]
    app = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "x", "houseIds": [houses[0]["id"]]}},
                     token=world.dev)).ok()["createHouseCancellation"]
    (await step(client, world.dev, "submitApplication", app["id"])).ok()
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
    results = await asyncio.gather(*[step(client, world.clerk, "approveApplication", app["id"]) for _ in range(4)])
    assert sorted(r.code or "OK" for r in results) == ["INVALID_STATE"] * 3 + ["OK"]
    history = (await gql(client, "query($id: ID!) { application(id: $id) { history { status } } }", {"id": app["id"]}, token=world.dev)).ok()
    assert [h["status"] for h in history["application"]["history"]] == ["DRAFT", "SUBMITTED", "ACCEPTED", "APPROVED"]

    other = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "y", "houseIds": [houses[1]["id"]]}},
                       token=world.dev)).ok()["createHouseCancellation"]
    (await step(client, world.dev, "submitApplication", other["id"])).ok()
    reject, withdraw = await asyncio.gather(step(client, world.clerk, "rejectApplication", other["id"], comment="否"),
                                            step(client, world.dev, "withdrawApplication", other["id"]))
    outcomes = sorted([reject.code or "OK", withdraw.code or "OK"])
    # Either order is one outcome: reject then withdraw (both fine) or withdraw then reject refused.
    assert outcomes in (["OK", "OK"], ["INVALID_STATE", "OK"])


async def test_update_estate_is_immediate_and_audited(client, session, world):
    r = await gql(client, 'mutation($id: ID!) { updateEstate(id: $id, input: {address: "江门市新地址 9 号", remark: "已更正"}) { address remark } }',
                  {"id": world.estate_gid}, token=world.dev)
    assert r.ok()["updateEstate"] == {"address": "江门市新地址 9 号", "remark": "已更正"}
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "estate.update"))
    assert event.after == {"address": "江门市新地址 9 号", "remark": "已更正"}


async def test_the_ownership_change_form_shows_each_owners_papers(client, session, world):
    """Issue 7.11: the window checks each owner's 证件类型, 证件号码 and 手机号码 against the papers."""
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    owners = [{"name": "张三", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X", "phone": "13800138000", "share": "0.5"},
              {"name": "李四", "idType": "HK_MACAO_PERMIT", "idNumber": "H12345678", "phone": "13900139000", "share": "0.5"}]
    app = (await gql(client, OWNERSHIP, {"input": {"estateId": world.estate_gid, "items": [{"houseId": house["id"], "owners": owners}]}},
                     token=world.dev)).ok()["createOwnershipChange"]
    before = app["houseChanges"][0]["before"]["owners"]
    (await step(client, world.dev, "submitApplication", app["id"])).ok()
    pages = await rendered_form(client, world.dev, app["id"])
    assert len(pages) == 1
    lines = [line.strip() for line in pages[0].splitlines()]
    for expected in ("业主", "证件类型", "证件号码", "手机号码", "张三", "居民身份证", "11010519491231002X", "13800138000",
                     "李四", "港澳居民来往内地通行证", "H12345678", "13900139000", *(o["name"] for o in before)):
        assert expected in lines, expected
