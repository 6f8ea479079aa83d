"""The developer portal end to end: the built portal (web/, built here when its sources changed)
served by a real API process with a real worker, driven in headless Debian Chromium through
Playwright (no browser download), by role and label as a person would use it. Every request to
another host than 127.0.0.1 is refused and reported.

Skipped, with the reason, only where Node/npm or a chromium binary is missing (`.ci/run`
installs chromium)."""

from __future__ import annotations

import re

from core.ids import encode_id
from models.enums import Role
from tests.api import gql
from tests.factories import credit_code, login, make_bank, make_estate, make_user
from tests.portal import browser_page, choose, fetch_pdf, live, portal_built, sign_in, world  # noqa: F401 (fixtures)
from tests.sheets import grid, workbook


async def test_register_collect_by_import_submit_and_print(live, session, tmp_path):
    await make_bank(session)
    # 3 000 houses: the worker reports every 1 000 rows, so the bar has steps between 0 and 100
    rows = [row for b in range(1, 6) for row in grid(f"{b}栋", 30, 20)]
    sheet = tmp_path / "houses.xlsx"
    sheet.write_bytes(workbook(rows))
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    bad = tmp_path / "licence.exe"
    bad.write_bytes(b"MZ")

    async with browser_page(live) as page:
        # 注册: the agreement, the organisation, its admin and the 营业执照
        await page.goto("/login")
        await page.get_by_role("link", name="注册").click()
        await page.get_by_role("region", name="机构注册协议").wait_for()
        await page.get_by_label("我已阅读并同意《机构注册协议》").check()
        await page.get_by_label("机构名称").fill("门户测试置业有限公司")
        await page.get_by_label("统一社会信用代码").fill(credit_code(990001))
        await page.get_by_label("法定代表人", exact=True).fill("张法人")
        await page.get_by_label("联系人", exact=True).fill("李联系")
        await page.get_by_label("联系电话").fill("13800138000")
        await page.get_by_label("地址", exact=True).fill("江门市蓬江区门户路 1 号")
        await page.get_by_label("管理员用户名").fill("portal-admin")
        await page.get_by_label("管理员姓名").fill("王管理")
        await page.get_by_label("管理员密码").fill("Portal-2026")
        async with page.expect_file_chooser() as chooser:
            await page.get_by_role("button", name="上传营业执照").click()
        await (await chooser.value).set_files(str(bad))
        await page.get_by_role("alert").filter(has_text="文件类型不符").wait_for()  # refused before upload
        async with page.expect_file_chooser() as chooser:
            await page.get_by_role("button", name="上传营业执照").click()
        await (await chooser.value).set_files(str(licence))
        await page.get_by_role("button", name="注册").click()
        await page.get_by_role("navigation", name="主菜单").wait_for()

        # 物业区域采集: the estate's particulars, 保存 → the draft 业务单
        await page.get_by_role("menuitem", name="物业区域采集").click()
        await page.get_by_label("物业区域名称").fill("门户花园")
        await choose(page, "行政区域", "蓬江区")
        await page.get_by_label("坐落").fill("江门市蓬江区门户路 8 号")
        await page.get_by_role("button", name="保存").click()
        await page.get_by_role("heading", name=re.compile("物业区域采集 ")).wait_for()
        assert await page.get_by_role("link", name="模板下载").count() == 1

        # 导入 with the progress bar fed by jobUpdated
        await page.get_by_role("button", name="导入").click()
        dialog = page.get_by_role("dialog", name="导入房屋")
        async with page.expect_file_chooser() as chooser:
            await dialog.get_by_role("button", name="选择文件").click()
        await (await chooser.value).set_files(str(sheet))
        # every value the bar shows, recorded by the page itself as it renders
        await page.evaluate("""() => {
            window.progressSeen = [];
            new MutationObserver(() => {
                const bar = document.querySelector('[role=dialog] [role=progressbar]');
                if (bar) window.progressSeen.push(Number(bar.getAttribute('aria-valuenow')));
            }).observe(document.body, {subtree: true, childList: true, attributes: true});
        }""")
        await dialog.get_by_role("button", name="开始导入").click()
        await dialog.get_by_text("导入成功，共 3000 行").wait_for()
        assert await dialog.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
        seen = await page.evaluate("window.progressSeen")
        assert any(0 < v < 100 for v in seen), f"the bar went straight to the end: {sorted(set(seen))}"
        await dialog.get_by_role("button", name="关闭").last.click()
        await page.get_by_role("heading", name="房屋（3000 户）").wait_for()

        # 保存并提交, then 打印申请表 opens the PDF the worker renders
        await page.get_by_role("button", name="保存并提交").click()
        await page.get_by_label("业务单状态").filter(has_text="已提交").wait_for()
        form_link = page.get_by_role("link", name="打印申请表")
        await form_link.wait_for(timeout=300_000)  # the worker renders 3 000 houses into the form
        await fetch_pdf(page, form_link)


async def test_clerk_approval_over_the_api_shows_without_reload(live, client, session):
    bank, org = await world(session)
    await make_user(session, "clerk-e2e", [Role.CLERK])
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=1, floors=2, units=1,
                               rooms_per_unit=2)
    dev = await login(client, org.admin_username)
    houses = (await gql(client, "query($id: ID!) { estate(id: $id) { buildings { houses { id } } } }",
                        {"id": encode_id("Estate", estate)}, token=dev)).ok()["estate"]["buildings"][0]["houses"]
    app = (await gql(client, """mutation($input: HouseCancellationInput!) {
        createHouseCancellation(input: $input) { id number } }""",
                     {"input": {"estateId": encode_id("Estate", estate), "reason": "拆除", "houseIds": [houses[0]["id"]]}},
                     token=dev)).ok()["createHouseCancellation"]
    (await gql(client, "mutation($id: ID!) { submitApplication(id: $id) { status } }", {"id": app["id"]}, token=dev)).ok()

    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="业务单").click()
        await page.get_by_role("link", name=app["number"]).click()
        status = page.get_by_label("业务单状态")
        await status.filter(has_text="已提交").wait_for()
        # no navigation from here on: the page must hear the clerk by itself
        clerk = await login(client, "clerk-e2e")
        (await gql(client, "mutation($id: ID!) { acceptApplication(id: $id) { status } }", {"id": app["id"]}, token=clerk)).ok()
        await status.filter(has_text="已受理").wait_for()
        (await gql(client, "mutation($id: ID!) { approveApplication(id: $id) { status } }", {"id": app["id"]}, token=clerk)).ok()
        await status.filter(has_text="已审核").wait_for()
        await page.get_by_text("林受理").count()  # the history names the clerk (the factory's name)
        assert await page.get_by_text("审核", exact=False).count() > 0


async def test_info_change_on_the_floor_plan_with_batch_edit(live, client, session):
    bank, org = await world(session)
    await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=2, floors=3, units=1,
                      rooms_per_unit=2, name="批改花园")
    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="房屋信息变更").click()
        await choose(page, "物业区域", "批改花园")
        await page.get_by_label("变更原因").fill("测绘面积更正")
        plan = page.get_by_role("table", name=re.compile("楼盘表"))
        await plan.wait_for()
        # click the first house, shift-click the third: a range of three
        houses = plan.get_by_role("button")
        first, third = houses.nth(0), houses.nth(2)
        await first.click()
        await third.click(modifiers=["Shift"])
        assert await plan.locator("[aria-pressed=true]").count() == 3
        await page.get_by_text(re.compile("已选房屋（3 户")).wait_for()
        for box in await page.get_by_role("checkbox", name=re.compile("^勾选 ")).all():
            await box.check()
        await page.get_by_role("button", name="批量修改").click()
        dialog = page.get_by_role("dialog", name=re.compile("批量修改"))
        await dialog.get_by_label("套内面积").fill("61.50")
        await dialog.get_by_role("button", name="确定").click()
        await page.get_by_text(re.compile("已修改 3 户")).wait_for()
        await page.get_by_role("button", name="保存并提交").click()
        await page.get_by_label("业务单状态").filter(has_text="已提交").wait_for()
        number = (await page.get_by_role("heading", name=re.compile("^房屋信息变更 ")).inner_text()).split()[-1]

    dev = await login(client, org.admin_username)
    apps = (await gql(client, """{ applications(first: 5) { edges { node { number type status
            houseChanges { before { innerArea } after { innerArea } } } } } }""", token=dev)).ok()
    app = apps["applications"]["edges"][0]["node"]
    assert (app["number"], app["type"], app["status"]) == (number, "HOUSE_INFO_CHANGE", "SUBMITTED")
    assert [c["after"]["innerArea"] for c in app["houseChanges"]] == ["61.50"] * 3


async def test_print_a_building_notice(live, client, session):
    bank, org = await world(session)
    from services.payments.deposits import recalculate

    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=1, floors=2, units=1,
                               rooms_per_unit=2, sold_ratio=0.0, name="交款花园")
    await recalculate(session, estate_id=estate)  # the dues under the example standards
    await session.commit()
    async with browser_page(live) as page:
        await sign_in(page, org.admin_username)
        await page.get_by_role("menuitem", name="交款管理").click()
        await page.get_by_role("menuitem", name="开发建设单位批量交款").click()
        await choose(page, "物业区域", "交款花园")
        await page.get_by_role("checkbox", name=re.compile("^选择 ")).first.check()
        await page.get_by_role("button", name="打印交款通知单").click()
        await page.get_by_text("已开具 1 张交款通知单").wait_for()
        await fetch_pdf(page, page.get_by_role("link", name="打开交款通知单"))
        # the notice is listed 未交款
        await page.get_by_role("link", name="查看交款通知单").click()
        await page.get_by_role("cell", name="未交款").wait_for()
