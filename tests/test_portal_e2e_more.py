"""The developer portal end to end, the screens tests/test_portal_e2e.py leaves: 代打交款通知单,
自定义交款 (续筹 through a workbook, 补交 on the 楼盘表), 机构用户管理, 楼幢变更, the 退款账户 dialog of
保存并提交, 撤回, and a 退回 application edited and submitted again. Each test does what a person
does, by role and label, asserts what the screen shows, then asks the API what it now holds.

One API process and one worker serve the whole module (tests/portal.py); skipped, with the
reason, only where Node/npm or a chromium binary is missing."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from core.ids import encode_id
from models.enums import Role
from tests.api import gql
from tests.factories import login, make_estate, make_user
from tests.portal import browser_page, choose, fetch_pdf, live, pick, portal_built, shot, sign_in, world  # noqa: F401 (fixtures)

TREE = """query($id: ID!) { estate(id: $id) { id buildings { id name houses { id code unit roomNumber buildingArea
          depositDue depositPaid balance owners { name } } } } }"""
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id } }"""


async def dues_world(session, name: str, *, sold_ratio: float = 1.0, buildings: int = 2):
    """A developer, a bank, the example standards and an estate whose houses owe their first deposit."""
    from services.payments.deposits import recalculate

    bank, org = await world(session)
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=buildings, floors=2, units=1,
                               rooms_per_unit=2, sold_ratio=sold_ratio, name=name)
    await recalculate(session, estate_id=estate)
    await session.commit()
    return bank, org, estate


async def estate_tree(client, token: str, estate: int) -> dict:
    return (await gql(client, TREE, {"id": encode_id("Estate", estate)}, token=token)).ok()["estate"]


async def paid(client, session, bank: int, notice: dict, tx: str) -> None:
    """The bank confirms the notice paid in full, as its counter would."""
    await make_user(session, f"bank-{tx}", [Role.BANK], bank_id=bank)
    teller = await login(client, f"bank-{tx}")
    (await gql(client, CONFIRM, {"input": {"noticeNumber": notice["number"], "amount": notice["total"], "bankTransactionId": tx,
                                           "paidAt": "2026-11-27T10:00:00+08:00", "channel": "BANK_COUNTER"}},
               token=teller)).ok()


async def notices_of(client, token: str) -> list[dict]:
    q = """{ paymentNotices(first: 50) { edges { node { number type payerKind payerName total status
            lines { amount house { id code } } } } } }"""
    return [e["node"] for e in (await gql(client, q, token=token)).ok()["paymentNotices"]["edges"]]


async def chosen_houses(client, org, estate) -> list[dict]:
    """The houses the owner-notice test chooses: 201 and 202 of 1栋, 101 of 2栋."""
    tree = await estate_tree(client, await login(client, org.admin_username), estate)
    return [{**h, "building": b["name"]} for b in tree["buildings"] for h in b["houses"]
            if (b["name"], h["roomNumber"]) in {("1栋", "201"), ("1栋", "202"), ("2栋", "101")}]


async def test_owner_notices_chosen_on_the_plan_and_the_list(live, client, session):
    _, org, estate = await dues_world(session, "代打花园")
    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="交款管理").click()
        await page.get_by_role("menuitem", name="代打交款通知单").click()
        await choose(page, "物业区域", "代打花园")
        # two houses of 1栋 on the 楼盘表: click, shift-click
        plan = page.get_by_role("table", name="1栋 楼盘表")
        await plan.get_by_role("button").nth(0).click()
        await plan.get_by_role("button").nth(1).click(modifiers=["Shift"])
        assert await plan.locator("[aria-pressed=true]").count() == 2
        # one of 2栋 in the 列表, found by its room number
        await page.get_by_role("menuitem", name="2栋").click()
        await page.get_by_text("列表", exact=True).click()
        await page.get_by_label("搜索房屋").fill("101")
        await page.get_by_role("checkbox", name="选择 1单元101").check()
        await page.get_by_text("已选 3 户").wait_for()
        await shot(page, "owner-notices-list")

        await page.get_by_role("button", name="业主交款列表（3）").click()
        listing = page.get_by_role("dialog", name="业主交款列表")
        await listing.get_by_role("row").nth(3).wait_for()
        total = sum(Decimal(h["depositDue"]) for h in await chosen_houses(client, org, estate))
        await listing.get_by_text(f"共 3 户，未交合计 ¥{total:,.2f}").wait_for()
        await shot(page, "owner-notices-dialog")
        # the owner of 2栋 101 is someone else now: 编辑业主, delete the old one, add the payer
        await listing.get_by_role("button", name="编辑业主 2栋 1单元 101").click()
        editor = page.get_by_role("dialog", name="编辑业主 2栋 1单元 101")
        await editor.get_by_role("button", name="删除第 1 位业主").click()
        await editor.get_by_role("button", name="添加业主").click()
        await editor.get_by_label("第 1 位业主姓名").fill("赵代打")
        await editor.get_by_label("第 1 位业主证件号码").fill("11010519491231002X")
        await editor.get_by_label("第 1 位业主手机号码").fill("13900139000")
        await shot(page, "owner-notices-edit-owner")
        await editor.get_by_role("button", name="确定").click()
        await listing.get_by_role("row").filter(has_text="2栋 1单元 101").filter(has_text="赵代打").wait_for()
        await listing.get_by_role("button", name="打印交款单").click()
        await page.get_by_text("已开具 3 张交款通知单").wait_for()
        link = page.get_by_role("link", name="打开交款单")
        await link.wait_for()
        await shot(page, "owner-notices-printed")
        await fetch_pdf(page, link)
        await page.get_by_role("button", name="业主交款列表（0）").wait_for()  # the choice is done with

    dev = await login(client, org.admin_username)
    notices = await notices_of(client, dev)
    assert len(notices) == 3
    assert {(n["type"], n["payerKind"], n["status"]) for n in notices} == {("FIRST_DEPOSIT", "OWNER", "ISSUED")}
    chosen = {h["id"]: h for h in await chosen_houses(client, org, estate)}
    lines = {n["lines"][0]["house"]["id"]: n for n in notices}
    assert set(lines) == set(chosen)
    for house_id, house in chosen.items():
        assert lines[house_id]["total"] == house["depositDue"]
        assert lines[house_id]["payerName"] == "、".join(o["name"] for o in house["owners"])
    renamed = next(h for h in chosen.values() if h["building"] == "2栋")
    assert renamed["owners"] == [{"name": "赵代打"}]  # the owners typed in the dialog are the house's now


async def test_custom_notices_renewal_by_workbook_and_a_make_up_on_the_plan(live, client, session, tmp_path):
    bank, org, estate = await dues_world(session, "续筹花园", buildings=1)
    dev = await login(client, org.admin_username)
    houses = (await estate_tree(client, dev, estate))["buildings"][0]["houses"]
    # two houses paid a little (10 元 each), far under 30 % of their first deposit: the 续筹 export finds them
    small = (await gql(client, "mutation($input: CustomNoticesInput!) { issueCustomNotices(input: $input) { number total } }",
                       {"input": {"type": "OTHER", "items": [{"houseId": h["id"], "amount": "10.00"} for h in houses[:2]]}},
                       token=dev)).ok()["issueCustomNotices"]
    for i, notice in enumerate(small):
        await paid(client, session, bank, notice, f"TX-R{i}")
    edited = tmp_path / "续筹.xlsx"

    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="交款管理").click()
        await page.get_by_role("menuitem", name="自定义交款").click()
        await choose(page, "物业区域", "续筹花园")
        card = page.get_by_text("续筹：导出、修改金额、导入")
        await card.wait_for()  # 续筹 is the type shown first
        await page.get_by_role("button", name="导出").click()
        exported = page.get_by_role("link", name=re.compile(r"^续筹金额-\d+\.xlsx$"))
        await exported.wait_for()
        await page.get_by_text("已导出 2 套房屋").wait_for()
        await shot(page, "custom-renewal-exported")
        response = await page.request.get(await exported.get_attribute("href"))
        assert response.ok
        book = load_workbook(io.BytesIO(await response.body()))
        sheet = book.active
        rows = list(sheet.iter_rows(min_row=2))
        assert sorted(r[0].value for r in rows) == sorted(h["code"] for h in houses[:2])
        rows[0][8].value = 123.45  # the amount changed in Excel
        rows[1][8].value = None  # and the other house left out
        book.save(edited)

        async with page.expect_file_chooser() as chooser:
            await page.get_by_role("button", name="导入").click()
        await (await chooser.value).set_files(str(edited))
        await page.get_by_text("已开具 1 张通知单").first.wait_for()
        await page.get_by_role("button", name="打印通知单").click()
        link = page.get_by_role("link", name="打开通知单")
        await link.wait_for()
        await shot(page, "custom-renewal-imported")
        await fetch_pdf(page, link)

        # 补交: another type, the houses chosen on the 楼盘表 and an amount typed for each
        await pick(page, "交款类型", "补交")
        plan = page.get_by_role("table", name="1栋 楼盘表")
        await plan.get_by_role("button").last.click()
        amount = page.get_by_label(re.compile(r"^1栋 1单元 \d+ 金额$"))
        await amount.fill("12.3x")
        await page.get_by_text("金额应为大于 0、最多两位小数的数").wait_for()  # checked before sending
        await amount.fill("50.00")
        await shot(page, "custom-make-up")
        await page.get_by_role("button", name="开具通知单").click()
        await page.get_by_text("已开具 1 张通知单").wait_for()

    notices = await notices_of(client, dev)
    renewal = [n for n in notices if n["type"] == "RENEWAL"]
    assert [(n["total"], n["lines"][0]["house"]["code"]) for n in renewal] == [("123.45", rows[0][0].value)]
    make_up = [n for n in notices if n["type"] == "MAKE_UP"]
    assert [(n["total"], n["status"]) for n in make_up] == [("50.00", "ISSUED")]
    last_house = min(houses, key=lambda h: (h["roomNumber"][0], -int(h["roomNumber"])))  # the plan's last cell
    assert make_up[0]["lines"][0]["house"]["id"] == last_house["id"]


async def test_org_users_add_view_edit_deactivate_activate(live, client, session):
    _, org = await world(session)
    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="机构管理").click()
        await page.get_by_role("menuitem", name="机构用户管理").click()
        await page.get_by_role("cell", name=org.admin_username, exact=True).wait_for()
        assert await page.get_by_role("button", name=f"注销用户 {org.admin_username}").is_disabled()  # not oneself

        await page.get_by_role("button", name="添加用户").click()
        form = page.get_by_role("dialog", name="添加用户")
        await form.get_by_label("用户名").fill("a")
        await form.get_by_label("电话").fill("123")
        await form.get_by_role("button", name="保存").click()
        await form.get_by_text("用户名为 3 到 50 位字母、数字或 _ . -").wait_for()  # checked before sending
        await form.get_by_text("请填写 11 位手机号码").wait_for()
        await form.get_by_text("请填写姓名").wait_for()
        await form.get_by_label("用户名").fill("cashier-1")
        await form.get_by_label("姓名").fill("钱出纳")
        await form.get_by_label("电话").fill("13700137000")
        await form.get_by_label("密码").fill("Cashier-2026")
        await form.get_by_label("物业区域经办人").uncheck()
        await shot(page, "org-users-add")
        await form.get_by_role("button", name="保存").click()
        row = page.get_by_role("row").filter(has_text="cashier-1")
        await row.filter(has_text="钱出纳").wait_for()

        await page.get_by_role("button", name="查看用户 cashier-1").click()
        view = page.get_by_role("dialog", name="查看用户")
        await view.get_by_text("13700137000").wait_for()
        await view.get_by_text("交款经办人").wait_for()
        await shot(page, "org-users-view")
        await page.keyboard.press("Escape")
        await view.wait_for(state="hidden")

        await page.get_by_role("button", name="修改用户 cashier-1").click()
        form = page.get_by_role("dialog", name="修改用户")
        assert await form.get_by_label("用户名").is_disabled()
        await form.get_by_label("姓名").fill("钱会计")
        await form.get_by_label("物业区域经办人").check()
        await form.get_by_role("button", name="保存").click()
        await row.filter(has_text="钱会计").filter(has_text="物业区域经办人").wait_for()

        await page.get_by_role("button", name="注销用户 cashier-1").click()
        await page.get_by_role("tooltip").get_by_role("button", name="注销", exact=True).click()
        await row.filter(has_text="已注销").wait_for()
        await shot(page, "org-users-deactivated")
        cashier = await gql(client, 'mutation { login(username: "cashier-1", password: "Cashier-2026") { token } }')
        assert cashier.errors, "a deactivated user logged in"

        await page.get_by_role("button", name="激活用户 cashier-1").click()
        await row.filter(has_text="正常").wait_for()

    token = await login(client, "cashier-1", "Cashier-2026")
    me = (await gql(client, "{ me { username name phone roles organization { id } } }", token=token)).ok()["me"]
    assert (me["username"], me["name"], me["phone"]) == ("cashier-1", "钱会计", "13700137000")
    assert sorted(me["roles"]) == ["ESTATE_OPERATOR", "PAYMENT_OPERATOR"]
    assert me["organization"]["id"] == encode_id("Organization", org.org_id)


async def test_building_change_batch_and_one_by_one(live, client, session):
    bank, org = await world(session)
    await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=3, floors=2, units=1, rooms_per_unit=1,
                      name="楼幢花园")
    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="楼幢变更").click()
        await choose(page, "物业区域", "楼幢花园")
        await page.get_by_label("变更原因").fill("门牌整编")
        # 批量修改: 1栋 and 2栋 get the same address, year and structure
        await page.get_by_role("checkbox", name="勾选 1栋").check()
        await page.get_by_role("checkbox", name="勾选 2栋").check()
        await page.get_by_role("button", name="批量修改").click()
        batch = page.get_by_role("dialog", name="批量修改（2 个楼幢）")
        await batch.get_by_label("地址").fill("江门市蓬江区整编路 9 号")
        await batch.get_by_label("建成年份").fill("2019")
        await pick(page, "结构", "框架", scope=batch)
        await shot(page, "building-change-batch")
        await batch.get_by_role("button", name="确定").click()
        assert await page.get_by_label("1栋 地址").input_value() == "江门市蓬江区整编路 9 号"
        # 逐个修改: 3栋 renamed in its row
        await page.get_by_label("3栋 楼幢名称").fill("3号楼")
        await page.get_by_text("已修改 3 个楼幢").wait_for()
        await shot(page, "building-change-edited")
        await page.get_by_role("button", name="保存并提交").click()
        await page.get_by_label("业务单状态").filter(has_text="已提交").wait_for()
        await page.get_by_role("cell", name="3栋 → 3号楼").wait_for()
        assert await page.get_by_role("cell", name="钢筋混凝土 → 框架").count() == 2
        assert await page.get_by_role("heading", name=re.compile("^房屋")).count() == 0  # no empty house table
        number = (await page.get_by_role("heading", name=re.compile("^楼幢变更 ")).inner_text()).split()[-1]
        await shot(page, "building-change-submitted")

    dev = await login(client, org.admin_username)
    app = (await gql(client, """{ applications(first: 5) { edges { node { number type status reason
            buildingChanges { building { name } after { name address builtYear structure } } } } } }""",
                     token=dev)).ok()["applications"]["edges"][0]["node"]
    assert (app["number"], app["type"], app["status"], app["reason"]) == (number, "BUILDING_CHANGE", "SUBMITTED", "门牌整编")
    after = {c["building"]["name"]: c["after"] for c in app["buildingChanges"]}
    for name in ("1栋", "2栋"):
        assert (after[name]["address"], after[name]["builtYear"], after[name]["structure"]) == (
            "江门市蓬江区整编路 9 号", 2019, "FRAME")
    assert after["3栋"]["name"] == "3号楼"


async def test_cancellation_of_a_paid_house_asks_for_the_refund_account(live, client, session):
    bank, org, estate = await dues_world(session, "退款花园", buildings=1)
    dev = await login(client, org.admin_username)
    building = (await estate_tree(client, dev, estate))["buildings"][0]
    notice = (await gql(client, "mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { number total } }",
                        {"ids": [building["id"]]}, token=dev)).ok()["issueBuildingNotices"][0]
    await paid(client, session, bank, notice, "TX-F")
    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="房屋注销").click()
        await choose(page, "物业区域", "退款花园")
        await page.get_by_label("注销原因").fill("房屋灭失")
        await page.get_by_role("table", name="1栋 楼盘表").get_by_role("button").first.click()
        await page.get_by_role("button", name="保存并提交").click()
        dialog = page.get_by_role("dialog", name="退款账户")
        said = await dialog.get_by_text(re.compile("^审核通过后将退还 ¥")).inner_text()  # how much, before asking where to
        await dialog.get_by_label("账户名称").fill("江门示例置业")
        await dialog.get_by_label("开户银行").fill("工商银行江门分行")
        await dialog.get_by_label("银行账号").fill("6222-0000")
        await dialog.get_by_role("button", name="提交").click()
        await dialog.get_by_text("银行账号应为 6 到 32 位数字").wait_for()  # checked before sending
        await dialog.get_by_label("银行账号").fill("6222000011112222")
        await shot(page, "refund-account-dialog")
        await dialog.get_by_role("button", name="提交").click()
        await page.get_by_label("业务单状态").filter(has_text="已提交").wait_for()
        number = (await page.get_by_role("heading", name=re.compile("^房屋注销 ")).inner_text()).split()[-1]

    # the account reached the API: the clerk's approval makes the refund to it
    await make_user(session, "clerk-refund", [Role.CLERK])
    clerk = await login(client, "clerk-refund")
    app = (await gql(client, "query($n: String!) { applications(first: 1, filter: {search: $n}) { edges { node { id status } } } }",
                     {"n": number}, token=dev)).ok()["applications"]["edges"][0]["node"]
    assert app["status"] == "SUBMITTED"
    for step in ("acceptApplication", "approveApplication"):
        (await gql(client, f"mutation($id: ID!) {{ {step}(id: $id) {{ status }} }}", {"id": app["id"]}, token=clerk)).ok()
    refunds = (await gql(client, "query($id: ID!) { application(id: $id) { refunds { amount accountName bankName accountNumber } } }",
                         {"id": app["id"]}, token=dev)).ok()["application"]["refunds"]
    assert [(r["accountName"], r["bankName"], r["accountNumber"]) for r in refunds] == [
        ("江门示例置业", "工商银行江门分行", "6222000011112222")]
    assert Decimal(refunds[0]["amount"]) > 0
    assert f"退还 ¥{Decimal(refunds[0]['amount']):,.2f}，" in said


async def test_withdraw_from_the_list_and_from_the_application(live, client, session):
    """撤回 a submitted application from the 业务单 list, and another from its own page."""
    _, org, estate = await dues_world(session, "撤回花园", buildings=1)
    dev = await login(client, org.admin_username)
    houses = (await estate_tree(client, dev, estate))["buildings"][0]["houses"]
    apps = []
    for house in houses[:2]:
        app = (await gql(client, """mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { id number } }""",
                         {"input": {"estateId": encode_id("Estate", estate), "reason": "拆除", "houseIds": [house["id"]]}},
                         token=dev)).ok()["createHouseCancellation"]
        (await gql(client, "mutation($id: ID!) { submitApplication(id: $id) { status } }", {"id": app["id"]}, token=dev)).ok()
        apps.append(app)
    from_list, from_page = apps

    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="业务单").click()
        row = page.get_by_role("row").filter(has_text=from_list["number"])
        await row.filter(has_text="已提交").wait_for()
        await row.get_by_role("button", name=f"撤回 {from_list['number']}").click()
        await page.get_by_role("tooltip").get_by_role("button", name="撤回", exact=True).click()
        await row.filter(has_text="已撤回").wait_for()
        assert await row.get_by_role("button", name=re.compile("^撤回 ")).count() == 0
        await shot(page, "withdrawn-in-list")

        await page.get_by_role("link", name=from_page["number"]).click()
        status = page.get_by_label("业务单状态")
        await status.filter(has_text="已提交").wait_for()
        await page.get_by_role("button", name="撤回").click()
        await page.get_by_role("tooltip").get_by_role("button", name="撤回", exact=True).click()
        await status.filter(has_text="已撤回").wait_for()
        await page.get_by_text(re.compile(r"\d{2}:\d{2} .+ 已撤回$")).wait_for()  # and its 办理记录
        assert await page.get_by_role("button", name="撤回").count() == 0
        await shot(page, "withdrawn")
        # the list, filtered by status, shows both 已撤回
        await page.get_by_role("link", name="业务单", exact=True).click()
        await pick(page, "状态", "已撤回")
        for app in apps:
            await page.get_by_role("row").filter(has_text=app["number"]).filter(has_text="已撤回").wait_for()

    for app in apps:
        state = (await gql(client, "query($id: ID!) { application(id: $id) { status history { status } } }", {"id": app["id"]},
                           token=dev)).ok()["application"]
        assert state["status"] == "WITHDRAWN" and state["history"][-1]["status"] == "WITHDRAWN"


async def test_a_returned_info_change_edited_and_submitted_again(live, client, session):
    bank, org, estate = await dues_world(session, "退回花园", buildings=1)
    await make_user(session, "clerk-return", [Role.CLERK])
    dev, clerk = await login(client, org.admin_username), await login(client, "clerk-return")
    house = (await estate_tree(client, dev, estate))["buildings"][0]["houses"][0]
    app = (await gql(client, """mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id number } }""",
                     {"input": {"estateId": encode_id("Estate", estate), "reason": "测绘更正",
                                "items": [{"houseId": house["id"], "innerArea": "50.00"}]}}, token=dev)).ok()["createHouseInfoChange"]
    (await gql(client, "mutation($id: ID!) { submitApplication(id: $id) { status } }", {"id": app["id"]}, token=dev)).ok()
    (await gql(client, 'mutation($id: ID!) { rejectApplication(id: $id, comment: "套内面积与测绘报告不符") { status } }',
               {"id": app["id"]}, token=clerk)).ok()

    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="业务单").click()
        await pick(page, "状态", "退回")
        await page.get_by_role("row").filter(has_text=app["number"]).get_by_role("link", name="修改").click()
        await page.get_by_role("heading", name=f"房屋信息变更（修改 {app['number']}）").wait_for()
        await page.get_by_text("退回意见：套内面积与测绘报告不符").wait_for()  # the clerk's reason, in view while editing
        await page.get_by_text("已修改 1 户").wait_for()
        await page.get_by_role("button", name=re.compile("^逐个修改 ")).click()
        one = page.get_by_role("dialog", name=re.compile("^逐个修改 "))
        assert await one.get_by_label("套内面积").input_value() == "50.00"  # what the returned one proposed
        await one.get_by_label("套内面积").fill("52.40")
        await one.get_by_label("户型").fill("三室两厅")
        await shot(page, "info-change-one-house-layout")
        await one.get_by_role("button", name="确定").click()
        await page.get_by_role("cell", name=re.compile("三室两厅")).wait_for()
        await shot(page, "info-change-returned-edited")
        await page.get_by_role("button", name="保存并提交").click()
        status = page.get_by_label("业务单状态")
        await status.filter(has_text="已提交").wait_for()
        await page.get_by_role("cell", name=re.compile("三室两厅")).wait_for()
        await shot(page, "info-change-resubmitted")
        # the batch dialog offers 户型 too
        await page.get_by_role("menuitem", name="房屋信息变更").click()
        await choose(page, "物业区域", "退回花园")
        await page.get_by_role("table", name="1栋 楼盘表").get_by_role("button").last.click()
        await page.get_by_role("checkbox", name=re.compile("^勾选 ")).first.check()
        await page.get_by_role("button", name="批量修改").click()
        await page.get_by_role("dialog", name=re.compile("批量修改")).get_by_label("户型").wait_for()
        await shot(page, "info-change-batch-layout")

    state = (await gql(client, """query($id: ID!) { application(id: $id) { status reviewComment history { status comment }
            houseChanges { after { innerArea layout } } } }""", {"id": app["id"]}, token=dev)).ok()["application"]
    assert state["status"] == "SUBMITTED"
    assert [h["status"] for h in state["history"]][-3:] == ["SUBMITTED", "REJECTED", "SUBMITTED"]
    assert state["houseChanges"] == [{"after": {"innerArea": "52.40", "layout": "三室两厅"}}]
