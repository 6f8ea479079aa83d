"""Issue 7: drafts hold no locks, so another approval may change or cancel their houses meanwhile.
Submit (and approval) refuses to write stale values back, naming the house; editing the draft
records the houses afresh. And a house refunds once at a time: an application that would
refund a house with an unpaid (PENDING) refund waits until the clerk completes it."""

from decimal import Decimal

import pytest

from tests.api import gql
from tests.appflow import APP_FIELDS, make_paying_world, step, through_review

INFO = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP_FIELDS
UPDATE_INFO = "mutation($id: ID!, $input: HouseInfoChangeInput!) { updateHouseInfoChange(id: $id, input: $input) { id } }"
CANCEL = "mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { %s } }" % APP_FIELDS
OWNERSHIP = "mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { %s } }" % APP_FIELDS
SPLIT = "mutation($input: HouseSplitMergeInput!) { createHouseSplitMerge(input: $input) { id } }"
SUBMIT = """mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: "江门示例置业", bankName: "工行",
            accountNumber: "6222000011112222"}) { status } }"""
HOUSE = "query($id: ID!) { house(id: $id) { code status accountStatus unit floor roomNumber buildingArea hasElevator balance building { id } ledger { kind amount } } }"
BUILDINGS = "query($id: ID!) { estate(id: $id) { buildings { id name houses { id code buildingArea balance } } } }"
REFUNDS = "query($id: ID!) { application(id: $id) { number refunds { id amount status house { id } } } }"
OWNER = {"name": "王五", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X", "phone": "13800138000"}


@pytest.fixture
async def world(client, session, worker):
    return await make_paying_world(client, session)


async def buildings(client, world) -> list[dict]:
    return (await gql(client, BUILDINGS, {"id": world.estate_gid}, token=world.dev)).ok()["estate"]["buildings"]


async def house(client, world, house_id) -> dict:
    return (await gql(client, HOUSE, {"id": house_id}, token=world.dev)).ok()["house"]


def info(world, items):
    return {"input": {"estateId": world.estate_gid, "reason": "测绘更正", "items": items}}


def cancel(world, ids):
    return {"input": {"estateId": world.estate_gid, "reason": "灭失", "houseIds": ids}}


def problems(r) -> list[dict]:
    return r.errors[0]["extensions"].get("problems") or [r.errors[0]["extensions"] | {"message": r.errors[0]["message"]}]


async def review(client, world, app_id) -> dict:
    """submit (with a refund account) → accept → approve, each checked."""
    assert (await gql(client, SUBMIT, {"id": app_id}, token=world.dev)).ok()["submitApplication"]["status"] == "SUBMITTED"
    (await step(client, world.clerk, "acceptApplication", app_id)).ok()
    return (await step(client, world.clerk, "approveApplication", app_id)).ok()["approveApplication"]


# ---------------------------------------------------------------- A. stale drafts

async def test_a_draft_on_a_house_cancelled_since_is_refused_and_the_house_stays_cancelled(client, world):
    h = (await buildings(client, world))[0]["houses"][0]
    before = await house(client, world, h["id"])
    draft = (await gql(client, INFO, info(world, [{"houseId": h["id"], "hasElevator": not before["hasElevator"]}]),
                       token=world.dev)).ok()["createHouseInfoChange"]
    owners = (await gql(client, OWNERSHIP, {"input": {"estateId": world.estate_gid, "items": [{"houseId": h["id"], "owners": [OWNER]}]}},
                        token=world.dev)).ok()["createOwnershipChange"]
    again = (await gql(client, CANCEL, cancel(world, [h["id"]]), token=world.dev)).ok()["createHouseCancellation"]
    gone = (await gql(client, CANCEL, cancel(world, [h["id"]]), token=world.dev)).ok()["createHouseCancellation"]
    await through_review(client, world, gone["id"])

    for app in (draft, owners, again):
        r = await step(client, world.dev, "submitApplication", app["id"])
        assert r.code == "INVALID_STATE", r.errors
        assert h["code"] in r.errors[0]["message"] and r.errors[0]["extensions"]["houseCode"] == h["code"]
    now = await house(client, world, h["id"])
    assert (now["status"], now["accountStatus"], now["hasElevator"]) == ("CANCELLED", "CLOSED", before["hasElevator"])


async def test_a_split_of_a_house_cancelled_since_is_refused(client, world):
    old = [x for x in (await buildings(client, world))[0]["houses"]][:2]
    split = (await gql(client, SPLIT, {"input": {"estateId": world.estate_gid, "reason": "两套合为一套",
                                                 "houseIds": [x["id"] for x in old]}}, token=world.dev)).ok()["createHouseSplitMerge"]
    await through_review(client, world, (await gql(client, CANCEL, cancel(world, [old[0]["id"]]),
                                                   token=world.dev)).ok()["createHouseCancellation"]["id"])
    r = await step(client, world.dev, "submitApplication", split["id"])
    assert "INVALID_STATE" in {p["code"] for p in problems(r)}, r.errors
    assert any(old[0]["code"] in p["message"] for p in problems(r))


async def test_a_draft_made_before_another_change_is_refused_until_edited(client, world):
    b1, b2 = await buildings(client, world)
    h = b1["houses"][0]
    was = await house(client, world, h["id"])
    move = (await gql(client, INFO, info(world, [{"houseId": h["id"], "buildingId": b2["id"], "unit": "1单元", "floor": 5,
                                                  "roomNumber": "501"}]), token=world.dev)).ok()["createHouseInfoChange"]
    area = [{"houseId": h["id"], "buildingArea": "88.00"}]
    resize = (await gql(client, INFO, info(world, area), token=world.dev)).ok()["createHouseInfoChange"]
    await through_review(client, world, move["id"])
    moved = await house(client, world, h["id"])
    assert (moved["building"]["id"], moved["floor"], moved["roomNumber"]) == (b2["id"], 5, "501")

    r = await step(client, world.dev, "submitApplication", resize["id"])
    assert r.code == "CONFLICT", r.errors
    assert h["code"] in r.errors[0]["message"] and r.errors[0]["extensions"]["houseCode"] == h["code"]
    assert await house(client, world, h["id"]) == moved

    # Editing the draft records the house as it is now: then it goes through, the move kept.
    (await gql(client, UPDATE_INFO, {"id": resize["id"], **info(world, area)}, token=world.dev)).ok()
    await review(client, world, resize["id"])
    now = await house(client, world, h["id"])
    assert (now["building"]["id"], now["unit"], now["floor"], now["roomNumber"]) == (b2["id"], "1单元", 5, "501")
    assert now["buildingArea"] == "88.00" and now["status"] == "ACTIVE"
    # The old place is free again, and nobody holds it twice.
    assert (was["building"]["id"], was["floor"], was["roomNumber"]) != (now["building"]["id"], now["floor"], now["roomNumber"])


async def test_an_ownership_change_made_before_another_is_refused(client, world):
    h = (await buildings(client, world))[0]["houses"][0]
    first = (await gql(client, OWNERSHIP, {"input": {"estateId": world.estate_gid, "items": [{"houseId": h["id"], "owners": [OWNER]}]}},
                       token=world.dev)).ok()["createOwnershipChange"]
    other = dict(OWNER, name="赵六")
    second = (await gql(client, OWNERSHIP, {"input": {"estateId": world.estate_gid, "items": [{"houseId": h["id"], "owners": [other]}]}},
                        token=world.dev)).ok()["createOwnershipChange"]
    await through_review(client, world, second["id"])
    r = await step(client, world.dev, "submitApplication", first["id"])
    assert r.code == "CONFLICT" and h["code"] in r.errors[0]["message"], r.errors
    owners = (await gql(client, "query($id: ID!) { house(id: $id) { owners { name } } }", {"id": h["id"]}, token=world.dev)).ok()
    assert owners["house"]["owners"] == [{"name": "赵六"}]


# ---------------------------------------------------------------- B. one refund at a time

async def test_a_second_refund_of_a_house_waits_for_the_first_and_refunds_the_rest(client, world):
    b1 = (await buildings(client, world))[0]
    notice = (await gql(client, "mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { number total } }",
                        {"ids": [b1["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    (await gql(client, """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id } }""",
               {"input": {"noticeNumber": notice["number"], "amount": notice["total"], "bankTransactionId": "TX-S",
                          "paidAt": "2026-11-27T10:00:00+08:00", "channel": "BANK_COUNTER"}}, token=world.bank_token)).ok()
    h = b1["houses"][0]
    paid = Decimal((await house(client, world, h["id"]))["balance"])
    smaller = str((Decimal(h["buildingArea"]) - Decimal("10.00")).quantize(Decimal("0.01")))
    shrink = (await gql(client, INFO, info(world, [{"houseId": h["id"], "buildingArea": smaller}]), token=world.dev)).ok()["createHouseInfoChange"]
    await review(client, world, shrink["id"])
    first = (await gql(client, REFUNDS, {"id": shrink["id"]}, token=world.dev)).ok()["application"]
    [pending] = first["refunds"]
    assert pending["status"] == "PENDING" and 0 < Decimal(pending["amount"]) < paid

    gone = (await gql(client, CANCEL, cancel(world, [h["id"]]), token=world.dev)).ok()["createHouseCancellation"]
    r = await gql(client, SUBMIT, {"id": gone["id"]}, token=world.dev)
    assert r.code == "INVALID_STATE", r.errors
    assert first["number"] in r.errors[0]["message"] and h["code"] in r.errors[0]["message"]
    assert r.errors[0]["extensions"]["applicationNumber"] == first["number"]

    (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": pending["id"]}, token=world.clerk)).ok()
    rest = Decimal((await house(client, world, h["id"]))["balance"])
    assert rest == paid - Decimal(pending["amount"]) > 0
    await review(client, world, gone["id"])
    [second] = (await gql(client, REFUNDS, {"id": gone["id"]}, token=world.dev)).ok()["application"]["refunds"]
    assert Decimal(second["amount"]) == rest and second["status"] == "PENDING"
    (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": second["id"]}, token=world.clerk)).ok()
    end = await house(client, world, h["id"])
    # To the fen: what was paid went out in the two refunds, and the ledger adds up to the balance.
    assert Decimal(end["balance"]) == 0 == paid - Decimal(pending["amount"]) - Decimal(second["amount"])
    assert sum(Decimal(e["amount"]) for e in end["ledger"]) == Decimal(end["balance"])  # amounts are signed
    assert sorted(Decimal(e["amount"]) for e in end["ledger"] if e["kind"] == "REFUND") == sorted(
        [-Decimal(pending["amount"]), -Decimal(second["amount"])])
