"""GraphiQL as the clerks' console: the ready operations of its 业务操作 pane are valid against
the schema and cover each role's tasks, and a clerk logs in through the pane's login box, opens
审核通过 from the collection and approves an application, in a real browser (Debian's Chromium
driven by Playwright; skipped with the reason where there is none)."""

from __future__ import annotations

import json

from graphql import OperationType, parse, validate
from graphql.execution.values import get_variable_values
from sqlalchemy import select

from server.console_operations import OPERATIONS, ROLES
from models import Application
from models.enums import ApplicationStatus
from schema import schema
from tests.appflow import make_world, step, tree
from tests.api import gql
from tests.test_browser import CHROMIUM_ARGS, TIMEOUT_MS, chromium, server  # noqa: F401 (fixtures)


def test_every_operation_is_valid_commented_and_named():
    assert OPERATIONS
    for operation in OPERATIONS:
        document = parse(operation["query"])
        assert not validate(schema._schema, document), operation["title"]
        # Its example variables coerce (enum values, dates, decimals as the contract wants them).
        coerced = get_variable_values(schema._schema, document.definitions[0].variable_definitions or (),
                                      json.loads(operation["variables"]))
        assert not isinstance(coerced, list), (operation["title"], coerced)  # a list holds the errors
        assert operation["role"] in ROLES
        assert operation["query"].startswith("# "), operation["title"]  # each says what it does, in Chinese
        (definition,) = document.definitions
        assert definition.name is not None, operation["title"]


def test_each_role_has_its_tasks():
    titles = {(o["role"], o["title"]) for o in OPERATIONS}
    wanted = {
        "CLERK": ["待受理业务单", "受理", "审核通过", "退回", "物业区域的业务单", "待完成退款", "确认退款",
                  "要件未核验的机构", "交存标准", "重新计算应交"],
        "BANK": ["待确认交款通知单", "确认交款", "对账"],
        "ADMIN": ["专户银行", "新增专户银行", "修改专户银行", "用户查询", "新增工作人员", "注销用户"],
    }
    for role, tasks in wanted.items():
        for task in tasks:
            assert (role, task) in titles, (role, task)
    mutations = {o["title"] for o in OPERATIONS
                 if parse(o["query"]).definitions[0].operation == OperationType.MUTATION}
    assert {"受理", "审核通过", "退回", "确认交款", "新增工作人员"} <= mutations


async def test_operations_are_served(client):
    response = await client.get("/graphiql/operations.json")
    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ROLES and [o["title"] for o in body["operations"]] == [o["title"] for o in OPERATIONS]


async def test_clerk_approves_through_the_console(chromium, server, client, session):  # noqa: F811
    from playwright.async_api import async_playwright

    world = await make_world(client, session)
    estate = await tree(client, world)
    building = estate["buildings"][0]["id"]
    created = await gql(client, """mutation($input: BuildingChangeInput!) { createBuildingChange(input: $input) { id number } }""",
                        {"input": {"estateId": world.estate_gid, "reason": "竣工资料更正",
                                   "items": [{"buildingId": building, "builtYear": 2021}]}}, token=world.dev)
    app = created.ok()["createBuildingChange"]
    (await step(client, world.dev, "submitApplication", app["id"])).ok()
    (await step(client, world.clerk, "acceptApplication", app["id"])).ok()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{server}/graphql", wait_until="load")

            # The pane is open with its login box.
            await page.get_by_label("用户名").fill("clerk1")
            await page.get_by_label("密码").fill("wrong-password-1")
            await page.get_by_role("button", name="登录").click()
            await page.get_by_role("alert").filter(has_text="用户名或密码错误").wait_for()
            from tests.factories import PASSWORD

            await page.get_by_label("密码").fill(PASSWORD)
            await page.get_by_role("button", name="登录").click()
            await page.get_by_text("已登录：").wait_for()
            await page.screenshot(path="/tmp/console-login.png")

            # 审核通过 from the collection opens in a new tab; the clerk fills in the id and runs it.
            await page.get_by_role("button", name="审核通过", exact=True).click()
            query_editor = page.locator(".graphiql-query-editor .CodeMirror")
            await page.wait_for_function(
                "() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue().includes('approveApplication')")
            headers = await page.evaluate(
                "() => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map(e => e.CodeMirror.getValue())")
            assert any("Bearer " in text for text in headers), headers
            await page.evaluate(
                """id => { const vars = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
                           .map(e => e.CodeMirror).find(cm => cm.getValue().includes('"comment"'));
                           vars.setValue(JSON.stringify({id, comment: "材料齐全，同意。"}, null, 2)); }""", app["id"])
            await query_editor.click()
            await page.locator("button.graphiql-execute-button").click()
            await page.wait_for_function(
                "() => document.querySelector('.result-window').innerText.includes('APPROVED')")
            await page.screenshot(path="/tmp/console-approved.png")
            assert not errors, errors
        finally:
            await browser.close()

    status = await session.scalar(select(Application.status).where(Application.number == app["number"]))
    assert status == ApplicationStatus.APPROVED
