"""The rules of round 2 (SPEC "Rules added in round 2", issue 7 "Correctness" 1–9), each through
the HTTP endpoint as a client would meet it."""

import io
import logging
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.ids import decode_id
from models import ApplicationHouse
from models.enums import LedgerKind
from services.payments import ledger
from services.validators import resident_id_check_char
from tests.api import gql
from tests.appflow import APP_FIELDS, make_paying_world, step, through_review, wait_job
from tests.sheets import XLSX, house, workbook

INFO = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP_FIELDS
UPDATE_INFO = "mutation($id: ID!, $input: HouseInfoChangeInput!) { updateHouseInfoChange(id: $id, input: $input) { id } }"
CANCEL = "mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { %s } }" % APP_FIELDS
SPLIT = "mutation($input: HouseSplitMergeInput!) { createHouseSplitMerge(input: $input) { id } }"
SUPPLEMENT = "mutation($input: HouseSupplementInput!) { createHouseSupplement(input: $input) { id } }"
IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id status } }"
NOTICE = "id number type status total paidAt lines { amount house { id code } }"
ISSUE = "mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { %s } }" % NOTICE
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id paidAt notice { number status paidAt } } }"""
BUILDINGS = """query($id: ID!) { estate(id: $id) { depositDue buildings { id name floorsAboveGround floorsBelowGround depositDue
               houses { id code unit floor roomNumber buildingArea depositDue depositPaid balance status } } } }"""


@pytest.fixture
async def world(client, session, worker):
    return await make_paying_world(client, session)


async def estate(client, world) -> dict:
    return (await gql(client, BUILDINGS, {"id": world.estate_gid}, token=world.dev)).ok()["estate"]


async def upload(client, token, app_id, data: bytes):
    job = (await gql(client, IMPORT, {"id": app_id, "file": None}, token=token,
                     files={"variables.file": ("houses.xlsx", data, XLSX)})).ok()["importHouses"]
    return await wait_job(client, token, job["id"])


async def attach(client, world, app_id):
    (await gql(client, "mutation($id: ID!, $file: Upload!) { addAttachment(applicationId: $id, file: $file) { id } }",
               {"id": app_id, "file": None}, token=world.dev,
               files={"variables.file": ("证明.pdf", b"%PDF-1.4 proof", "application/pdf")})).ok()


async def confirm(client, world, notice, tx, at="2026-11-27T10:00:00+08:00"):
    return await gql(client, CONFIRM, {"input": {"noticeNumber": notice["number"], "amount": notice["total"],
                                                 "bankTransactionId": tx, "paidAt": at, "channel": "BANK_COUNTER"}},
                     token=world.bank_token)


def info(world, items, reason="测绘更正"):
    return {"input": {"estateId": world.estate_gid, "reason": reason, "items": items}}


# ---------------------------------------------------------------- 1. no INTERNAL on a normal mistake

async def test_a_taken_unit_floor_room_is_refused_when_created_edited_imported_and_submitted(client, session, world):
    b1, b2 = (await estate(client, world))["buildings"]
    h = {(x["floor"], x["roomNumber"]): x for x in b1["houses"]}
    a, b, c = h[(1, "101")], h[(1, "102")], h[(2, "201")]

    # By items: another ACTIVE house holds 1单元 1层 102.
    r = await gql(client, INFO, info(world, [{"houseId": a["id"], "roomNumber": "102"}]), token=world.dev)
    assert r.code == "CONFLICT", r
    assert b["code"] in r.errors[0]["message"] and "102" in r.errors[0]["message"]
    assert r.errors[0]["extensions"]["field"] == "input.items.0.roomNumber"
    # Moving it to the other building, onto its 1单元 1层 101.
    r = await gql(client, INFO, info(world, [{"houseId": a["id"], "buildingId": b2["id"]}]), token=world.dev)
    other = next(x for x in b2["houses"] if (x["floor"], x["roomNumber"]) == (1, "101"))
    assert r.code == "CONFLICT" and other["code"] in r.errors[0]["message"], r
    # Two houses of one application may swap their numbers.
    app = (await gql(client, INFO, info(world, [{"houseId": a["id"], "roomNumber": "102"},
                                                {"houseId": b["id"], "roomNumber": "101"}]), token=world.dev)).ok()["createHouseInfoChange"]
    # Editing it onto a number held outside the application is refused too.
    r = await gql(client, UPDATE_INFO, {"id": app["id"], **info(world, [{"houseId": a["id"], "floor": 2, "roomNumber": "201"}])},
                  token=world.dev)
    assert r.code == "CONFLICT" and c["code"] in r.errors[0]["message"], r

    # By the export → edit → import route: a DUPLICATE row error, nothing written.
    rows = [house("1栋", a["unit"], 2, "201", a["buildingArea"], code=a["code"]),
            house("1栋", b["unit"], 1, "101", b["buildingArea"], code=b["code"])]
    failed = await upload(client, world.dev, app["id"], workbook(rows, with_code=True))
    assert failed["status"] == "FAILED", failed
    assert [(e["row"], e["code"]) for e in failed["errors"]] == [(3, "DUPLICATE")]
    assert c["code"] in failed["errors"][0]["message"]

    # Checked again on submit: meanwhile another application gave house c the number a is to take.
    (await gql(client, UPDATE_INFO, {"id": app["id"], **info(world, [{"houseId": a["id"], "floor": 3, "roomNumber": "303"}])},
               token=world.dev)).ok()
    other_app = (await gql(client, INFO, info(world, [{"houseId": c["id"], "floor": 3, "roomNumber": "303"}]),
                           token=world.dev)).ok()["createHouseInfoChange"]
    await through_review(client, world, other_app["id"])
    r = await step(client, world.dev, "submitApplication", app["id"])
    assert r.code == "CONFLICT" and c["code"] in r.errors[0]["message"], r
    assert [p["code"] for p in r.errors[0]["extensions"]["problems"]] == ["CONFLICT"]

    # The swap itself goes through.
    (await gql(client, UPDATE_INFO, {"id": app["id"], **info(world, [{"houseId": a["id"], "roomNumber": "102"},
                                                                     {"houseId": b["id"], "roomNumber": "101"}])},
               token=world.dev)).ok()
    await through_review(client, world, app["id"])
    after = {x["id"]: x for x in (await estate(client, world))["buildings"][0]["houses"]}
    assert (after[a["id"]]["roomNumber"], after[b["id"]]["roomNumber"]) == ("102", "101")


async def test_a_constraint_the_checks_missed_is_conflict_not_internal(client, session, world, monkeypatch):
    """Were a clash to slip past every check (a race), the database's unique index refuses the
    approval, and the clerk sees CONFLICT."""
    from services.houses import snapshots as H

    async def nothing_held(*args, **kwargs):
        return {}

    b1 = (await estate(client, world))["buildings"][0]
    h = {(x["floor"], x["roomNumber"]): x for x in b1["houses"]}
    monkeypatch.setattr(H, "number_holders", nothing_held)
    app = (await gql(client, INFO, info(world, [{"houseId": h[(1, "101")]["id"], "roomNumber": "102"}]),
                     token=world.dev)).ok()["createHouseInfoChange"]
    (await step(client, world.dev, "submitApplication", app["id"])).ok()
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
    r = await step(client, world.clerk, "approveApplication", app["id"])
    assert r.code == "CONFLICT", r
    state = (await gql(client, "query($id: ID!) { application(id: $id) { status } }", {"id": app["id"]}, token=world.dev)).ok()
    assert state["application"]["status"] == "ACCEPTED"


async def test_an_unexpected_error_is_logged_once(client, world, monkeypatch, caplog):
    from services.tree import read as tree_service

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tree_service, "houses_page", broken)
    caplog.set_level(logging.ERROR, logger="wxfund.errors")
    r = await gql(client, "query($f: HouseFilter!) { houses(filter: $f) { totalCount } }", {"f": {"estateId": world.estate_gid}},
                  token=world.dev)
    assert r.code == "INTERNAL" and r.errors[0]["extensions"]["requestId"]
    assert "boom" not in str(r.body)
    assert len([rec for rec in caplog.records if rec.name == "wxfund.errors"]) == 1


# ---------------------------------------------------------------- 2. a cancelled house owes nothing

async def test_a_cancelled_house_owes_nothing(client, session, world):
    before = await estate(client, world)
    gone = before["buildings"][0]["houses"][0]
    assert Decimal(gone["depositDue"]) > 0 and gone["depositPaid"] == "0.00"
    app = (await gql(client, CANCEL, {"input": {"estateId": world.estate_gid, "reason": "灭失", "houseIds": [gone["id"]]}},
                     token=world.dev)).ok()["createHouseCancellation"]
    await through_review(client, world, app["id"])

    after = await estate(client, world)
    cancelled = next(x for x in after["buildings"][0]["houses"] if x["id"] == gone["id"])
    assert cancelled["status"] == "CANCELLED" and cancelled["depositDue"] == "0.00"
    assert Decimal(after["depositDue"]) == Decimal(before["depositDue"]) - Decimal(gone["depositDue"])
    assert Decimal(after["depositDue"]) == sum(Decimal(x["depositDue"]) for b in after["buildings"] for x in b["houses"]
                                               if x["status"] == "ACTIVE")
    unpaid = (await gql(client, "query($f: HouseFilter!) { houses(filter: $f, first: 100) { totalCount edges { node { id } } } }",
                        {"f": {"estateId": world.estate_gid, "unpaid": True}}, token=world.dev)).ok()["houses"]
    assert unpaid["totalCount"] == 11 and gone["id"] not in {e["node"]["id"] for e in unpaid["edges"]}
    # Its former due stays in the application's snapshot.
    snap = await session.scalar(select(ApplicationHouse.before).where(ApplicationHouse.house_id == decode_id(gone["id"], "House")))
    assert snap["depositDue"] == gone["depositDue"]


# ---------------------------------------------------------------- 3. buildings follow their houses

async def test_buildings_follow_their_houses_and_standards_see_the_real_building(client, session, world):
    r = await gql(client, """mutation($input: DepositStandardInput!) { setDepositStandard(input: $input) { id } }""",
                  {"input": {"name": "五层以上住宅（有电梯）", "usage": "RESIDENTIAL", "hasElevator": True, "minFloors": 5,
                             "basis": "PER_SQUARE_METRE", "rate": "99.00", "effectiveFrom": "2020-01-01"}}, token=world.clerk)
    r.ok()
    app = (await gql(client, SUPPLEMENT, {"input": {"estateId": world.estate_gid, "depositTiming": "BEFORE_HANDOVER"}},
                     token=world.dev)).ok()["createHouseSupplement"]
    rows = [house("1栋", "1单元", 5, "501", "89.50"), house("1栋", "1单元", -2, "B201", "20.00", usage="车库")]
    assert (await upload(client, world.dev, app["id"], workbook(rows)))["status"] == "SUCCEEDED"
    await through_review(client, world, app["id"])
    b1 = (await estate(client, world))["buildings"][0]
    assert (b1["floorsAboveGround"], b1["floorsBelowGround"]) == (5, 2)
    top = next(x for x in b1["houses"] if x["roomNumber"] == "501")
    assert top["depositDue"] == "8860.50"  # 89.50 m² × 99.00: the standard for five floors and more

    # An info change moving a house higher up stretches its building too.
    b2 = (await estate(client, world))["buildings"][1]
    moved = b2["houses"][0]
    app = (await gql(client, INFO, info(world, [{"houseId": moved["id"], "floor": 7, "roomNumber": "701"}]),
                     token=world.dev)).ok()["createHouseInfoChange"]
    await through_review(client, world, app["id"])
    b2 = (await estate(client, world))["buildings"][1]
    assert b2["floorsAboveGround"] == 7


# ---------------------------------------------------------------- 4. notices are replaced

async def test_a_building_notice_touched_by_an_approval_is_replaced(client, session, world):
    b1 = (await estate(client, world))["buildings"][0]
    notice = (await gql(client, ISSUE, {"ids": [b1["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    assert len(notice["lines"]) == 6
    changed = b1["houses"][0]
    app = (await gql(client, INFO, info(world, [{"houseId": changed["id"], "buildingArea": "50.00", "innerArea": "40.00"}]),
                     token=world.dev)).ok()["createHouseInfoChange"]
    approved = await through_review(client, world, app["id"])

    state = (await gql(client, "query($n: String!) { paymentNotice(number: $n) { status } }", {"n": notice["number"]},
                       token=world.dev)).ok()["paymentNotice"]
    assert state["status"] == "CANCELLED"
    listed = (await gql(client, "query($id: ID!) { application(id: $id) { paymentNotices { %s } } }" % NOTICE,
                        {"id": app["id"]}, token=world.dev)).ok()["application"]["paymentNotices"]
    assert len(listed) == 1
    replacement = listed[0]
    assert replacement["status"] == "ISSUED" and replacement["type"] == notice["type"]
    houses = {x["id"]: x for x in (await estate(client, world))["buildings"][0]["houses"]}
    assert {l["house"]["id"] for l in replacement["lines"]} == set(houses) - {changed["id"]}
    assert all(l["amount"] == houses[l["house"]["id"]]["depositDue"] for l in replacement["lines"])
    comment = approved["history"][-1]["comment"]
    assert notice["number"] in comment and replacement["number"] in comment

    # The changed house alone is left to issue; then every unpaid house is on an ISSUED notice.
    alone = (await gql(client, ISSUE, {"ids": [b1["id"]]}, token=world.dev)).ok()["issueBuildingNotices"]
    assert [[l["house"]["id"] for l in n["lines"]] for n in alone] == [[changed["id"]]]
    r = await gql(client, ISSUE, {"ids": [b1["id"]]}, token=world.dev)
    assert r.code == "CONFLICT" and r.errors[0]["extensions"]["noticeNumber"] in (replacement["number"], alone[0]["number"])


# ---------------------------------------------------------------- 5. paid at is the bank's time

async def test_a_notice_is_paid_at_the_banks_time(client, session, world):
    b1 = (await estate(client, world))["buildings"][0]
    notice = (await gql(client, ISSUE, {"ids": [b1["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    paid = (await confirm(client, world, notice, "TX-AT", at="2026-11-20T09:30:00+08:00")).ok()["confirmPayment"]
    assert paid["notice"]["paidAt"] == paid["paidAt"]
    assert datetime.fromisoformat(paid["paidAt"]) == datetime.fromisoformat("2026-11-20T09:30:00+08:00")


# ---------------------------------------------------------------- 6. 续筹 defaults

async def test_renewal_default_lists_houses_that_paid_and_ran_low(client, session, world):
    b1 = (await estate(client, world))["buildings"][0]
    notice = (await gql(client, ISSUE, {"ids": [b1["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    (await confirm(client, world, notice, "TX-R")).ok()
    low = b1["houses"][0]
    spent = Decimal(low["depositDue"]) * Decimal("0.8")
    await ledger.post(session, decode_id(low["id"], "House"), LedgerKind.ADJUSTMENT, -spent, memo="维修支出")
    await session.commit()
    job = (await gql(client, "mutation($e: ID!) { exportRenewalAmounts(estateId: $e) { id } }", {"e": world.estate_gid},
                     token=world.dev)).ok()["exportRenewalAmounts"]
    done = await wait_job(client, world.dev, job["id"])
    assert done["status"] == "SUCCEEDED" and done["total"] == 1  # 2栋 never paid: first-deposit cases
    ws = load_workbook(io.BytesIO((await client.get(done["result"]["url"])).content)).active
    assert [row[0].value for row in ws.iter_rows(min_row=2)] == [low["code"]]


# ---------------------------------------------------------------- 7. text as typed

async def test_free_text_is_kept_as_typed_and_codes_are_folded(client, session, world):
    typed_reason = "  测绘更正（第二次），面积、坐落：见附件Ａ  "
    typed_address = "江门市蓬江区（东区）建设路１号，Ａ座"
    b1 = (await estate(client, world))["buildings"][0]
    one = b1["houses"][5]
    app = (await gql(client, "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { reason "
                             "houseChanges { after { address roomNumber } } } }",
                     info(world, [{"houseId": one["id"], "address": typed_address, "roomNumber": "３９９"}], reason=typed_reason),
                     token=world.dev)).ok()["createHouseInfoChange"]
    assert app["reason"] == typed_reason.strip()
    assert app["houseChanges"][0]["after"] == {"address": typed_address, "roomNumber": "399"}

    r = await gql(client, "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { estate { name address remark } } }",
                  {"input": {"name": "江海花园（二期）", "district": "蓬江区", "address": "江门市（江海区）１号",
                             "remark": "备注：车位、商铺，另议", "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)
    assert r.ok()["createEstateCollection"]["estate"] == {"name": "江海花园（二期）", "address": "江门市（江海区）１号",
                                                          "remark": "备注：车位、商铺，另议"}

    owners = [{"name": "欧阳（Ｍａｒｙ）", "idType": "RESIDENT_ID", "idNumber": "１１０１０５１９４９１２３１００２ｘ", "phone": "１３８００１３８０００"}]
    r = await gql(client, "mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { houseChanges { after { owners { name idNumber phone } } } } }",
                  {"input": {"estateId": world.estate_gid, "items": [{"houseId": b1["houses"][4]["id"], "owners": owners}]}},
                  token=world.dev)
    assert r.ok()["createOwnershipChange"]["houseChanges"][0]["after"]["owners"] == [
        {"name": "欧阳（Ｍａｒｙ）", "idNumber": "11010519491231002X", "phone": "13800138000"}]

    # A workbook's building name and owner's name are kept as typed too.
    sup = (await gql(client, SUPPLEMENT, {"input": {"estateId": world.estate_gid, "depositTiming": "BEFORE_HANDOVER"}},
                     token=world.dev)).ok()["createHouseSupplement"]
    row = house("3栋（商业）", "1单元", 1, "１０１", owner=("李（小）明", "居民身份证", "11010519491231002X", "13800138000"))
    assert (await upload(client, world.dev, sup["id"], workbook([row])))["status"] == "SUCCEEDED"
    changes = (await gql(client, "query($id: ID!) { application(id: $id) { houseChanges { after { buildingName roomNumber owners { name } } } } }",
                         {"id": sup["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert changes == [{"after": {"buildingName": "3栋（商业）", "roomNumber": "101", "owners": [{"name": "李（小）明"}]}}]


# ---------------------------------------------------------------- 8. job counters

async def test_an_import_counts_data_rows_from_first_event_to_last(client, session, world):
    app = (await gql(client, SUPPLEMENT, {"input": {"estateId": world.estate_gid, "depositTiming": "BEFORE_HANDOVER"}},
                     token=world.dev)).ok()["createHouseSupplement"]
    first = house("3栋", "1单元", 1, "101")
    second_id = "44070119800101001" + resident_id_check_char("44070119800101001")
    second_owner = {**first, "业主姓名": "李四", "证件号码": second_id, "手机号码": "13900139000"}
    rows = [first, second_owner, house("3栋", "1单元", 1, "102")]  # two houses on three data rows
    done = await upload(client, world.dev, app["id"], workbook(rows))
    assert done["status"] == "SUCCEEDED", done
    assert (done["processed"], done["total"]) == (3, 3)
    assert "2 套" in done["message"]


# ---------------------------------------------------------------- 9. submit lists every problem

async def test_submit_lists_every_blocking_problem_at_once(client, session, world):
    old = [x for x in (await estate(client, world))["buildings"][0]["houses"] if x["floor"] == 1]
    app = (await gql(client, SPLIT, {"input": {"estateId": world.estate_gid, "reason": "两套合为一套",
                                               "houseIds": [x["id"] for x in old]}}, token=world.dev)).ok()["createHouseSplitMerge"]
    merged = house("1栋", "1单元", 1, "101", "10.00")
    assert (await upload(client, world.dev, app["id"], workbook([merged], with_code=True)))["status"] == "SUCCEEDED"
    r = await step(client, world.dev, "submitApplication", app["id"])
    assert len(r.errors) == 1
    problems = r.errors[0]["extensions"]["problems"]
    assert {p["code"] for p in problems} == {"VALIDATION_FAILED", "AREA_MISMATCH"}
    assert r.code == problems[0]["code"]
    assert all(p["message"] for p in problems)
    assert "attachments" in {p["field"] for p in problems}
    await attach(client, world, app["id"])
    r = await step(client, world.dev, "submitApplication", app["id"])
    assert r.code == "AREA_MISMATCH" and [p["code"] for p in r.errors[0]["extensions"]["problems"]] == ["AREA_MISMATCH"]
