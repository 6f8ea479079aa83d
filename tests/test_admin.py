"""Administration over GraphQL (ADMIN): banks with the one default bank, staff users, every
user of the platform, and the visible history of immediate changes (SPEC round 2)."""

from __future__ import annotations

from sqlalchemy import select

from core.ids import encode_id
from models import AuditEvent
from models.enums import Role
from tests.api import gql
from tests.factories import PASSWORD, login, make_bank, make_estate, make_org, make_user

BANK_FIELDS = "id code name accountName accountNumber isDefault"
CREATE_BANK = "mutation($input: BankInput!) { createBank(input: $input) { %s } }" % BANK_FIELDS
UPDATE_BANK = "mutation($id: ID!, $input: BankInput!) { updateBank(id: $id, input: $input) { %s } }" % BANK_FIELDS
CREATE_STAFF = "mutation($input: CreateStaffUserInput!) { createStaffUser(input: $input) { id username name roles status bank { code } } }"
USERS = """query($filter: UserFilter, $first: Int, $after: String) { users(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { username roles status organization { name } } } } }"""
BANKS = "{ banks { code isDefault } }"
DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) { id status } }"
ACTIVATE = "mutation($id: ID!) { activateUser(id: $id) { id status } }"


def bank_input(code: str, **overrides) -> dict:
    data = {"code": code, "name": f"{code} 江门分行", "accountName": "江门市住宅专项维修资金专户",
            "accountNumber": "2012000000000000123"}
    data.update(overrides)
    return {"input": data}


async def admin_token(client, session, username: str = "root") -> str:
    await make_user(session, username, [Role.ADMIN])
    return await login(client, username)


async def test_banks_have_exactly_one_default(client, session):
    token = await admin_token(client, session)
    first = (await gql(client, CREATE_BANK, bank_input("icbc-jm"), token=token)).ok()["createBank"]
    assert first["code"] == "ICBC-JM" and first["isDefault"] is True  # the first bank is the default
    second = (await gql(client, CREATE_BANK, bank_input("CCB-JM", accountNumber="4405 0000 0000 0000 002"),
                        token=token)).ok()["createBank"]
    assert second["isDefault"] is False and second["accountNumber"] == "4405000000000000002"
    # Making the second the default takes the mark from the first in one step.
    moved = (await gql(client, UPDATE_BANK, {"id": second["id"], **bank_input("CCB-JM", isDefault=True)},
                       token=token)).ok()["updateBank"]
    assert moved["isDefault"] is True
    banks = (await gql(client, BANKS, token=token)).ok()["banks"]
    assert sorted((b["code"], b["isDefault"]) for b in banks) == [("CCB-JM", True), ("ICBC-JM", False)]
    # The default cannot simply be switched off: another must be made the default instead.
    r = await gql(client, UPDATE_BANK, {"id": second["id"], **bank_input("CCB-JM", isDefault=False)}, token=token)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.isDefault"
    # A new default bank at creation moves the mark too.
    third = (await gql(client, CREATE_BANK, bank_input("BOC-JM", isDefault=True), token=token)).ok()["createBank"]
    assert third["isDefault"] is True
    defaults = [b for b in (await gql(client, BANKS, token=token)).ok()["banks"] if b["isDefault"]]
    assert defaults == [{"code": "BOC-JM", "isDefault": True}]
    # Renaming keeps the default and is audited with before and after.
    renamed = (await gql(client, UPDATE_BANK, {"id": third["id"], **bank_input("BOC-JM", name="中国银行江门分行")},
                         token=token)).ok()["updateBank"]
    assert renamed["name"] == "中国银行江门分行" and renamed["isDefault"] is True
    actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "Bank")))
    assert actions.count("bank.create") == 3 and actions.count("bank.update") == 2


async def test_bank_input_is_checked(client, session):
    token = await admin_token(client, session)
    (await gql(client, CREATE_BANK, bank_input("ICBC-JM"), token=token)).ok()
    r = await gql(client, CREATE_BANK, bank_input("icbc-jm"), token=token)
    assert r.code == "CONFLICT" and r.errors[0]["extensions"]["field"] == "input.code"
    r = await gql(client, CREATE_BANK, bank_input("BOC", accountNumber="12-ab"), token=token)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.accountNumber"
    r = await gql(client, CREATE_BANK, bank_input("BOC", name="  "), token=token)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.name"
    r = await gql(client, CREATE_BANK, bank_input("银行"), token=token)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.code"
    r = await gql(client, UPDATE_BANK, {"id": encode_id("Bank", 999), **bank_input("X1")}, token=token)
    assert r.code == "NOT_FOUND"


async def test_only_admins_administer(client, session):
    org = await make_org(session)
    await make_user(session, "clerk1", [Role.CLERK])
    bank = await make_bank(session)
    await make_user(session, "bank1", [Role.BANK], bank_id=bank)
    tokens = [await login(client, org.admin_username), await login(client, "clerk1"), await login(client, "bank1")]
    staff = {"username": "lin", "password": "Lin-2026-x", "name": "林受理", "roles": ["CLERK"]}
    for token in tokens:
        assert (await gql(client, CREATE_BANK, bank_input("X1"), token=token)).code == "FORBIDDEN"
        assert (await gql(client, UPDATE_BANK, {"id": encode_id("Bank", bank), **bank_input("X1")}, token=token)).code == "FORBIDDEN"
        assert (await gql(client, CREATE_STAFF, {"input": staff}, token=token)).code == "FORBIDDEN"
        assert (await gql(client, USERS, token=token)).code == "FORBIDDEN"
    assert (await gql(client, CREATE_BANK, bank_input("X1"))).code == "UNAUTHENTICATED"


async def test_admin_creates_staff_users(client, session):
    token = await admin_token(client, session)
    bank = (await gql(client, CREATE_BANK, bank_input("ICBC-JM"), token=token)).ok()["createBank"]
    clerk = (await gql(client, CREATE_STAFF, {"input": {"username": "lin", "password": "Lin-2026-x", "name": "林受理",
                                                        "phone": "13912345678", "roles": ["CLERK"]}},
                       token=token)).ok()["createStaffUser"]
    assert clerk["roles"] == ["CLERK"] and clerk["status"] == "ACTIVE" and clerk["bank"] is None
    teller = (await gql(client, CREATE_STAFF, {"input": {"username": "icbc1", "password": "Icbc-2026-x", "name": "工行",
                                                         "roles": ["BANK"], "bankId": bank["id"]}},
                        token=token)).ok()["createStaffUser"]
    assert teller["bank"] == {"code": "ICBC-JM"}
    assert (await gql(client, CREATE_STAFF, {"input": {"username": "root2", "password": "Root-2026-x", "name": "管理员",
                                                       "roles": ["ADMIN", "CLERK"]}}, token=token)).ok()
    # Each logs in with the password it was given.
    for username, password in (("lin", "Lin-2026-x"), ("icbc1", "Icbc-2026-x"), ("root2", "Root-2026-x")):
        assert await login(client, username, password)
    cases = [
        ({"username": "bank2", "password": "Bank-2026-x", "name": "银行", "roles": ["BANK"]}, "NOT_FOUND", "input.bankId"),
        ({"username": "bank3", "password": "Bank-2026-x", "name": "银行", "roles": ["BANK", "CLERK"], "bankId": bank["id"]},
         "VALIDATION_FAILED", "input.roles"),
        ({"username": "clerk2", "password": "Clerk-2026-x", "name": "受理", "roles": ["CLERK"], "bankId": bank["id"]},
         "VALIDATION_FAILED", "input.bankId"),
        ({"username": "oper1", "password": "Org-2026-xx", "name": "经办", "roles": ["ESTATE_OPERATOR"]},
         "VALIDATION_FAILED", "input.roles"),
        ({"username": "clerk3", "password": "short", "name": "受理", "roles": ["CLERK"]}, "VALIDATION_FAILED", "input.password"),
        ({"username": "LIN", "password": "Lin-2026-x", "name": "受理", "roles": ["CLERK"]}, "CONFLICT", "input.username"),
        ({"username": "clerk4", "password": "Clerk-2026-x", "name": "受理", "roles": []}, "VALIDATION_FAILED", "input.roles"),
    ]
    for data, code, field in cases:
        r = await gql(client, CREATE_STAFF, {"input": data}, token=token)
        assert (r.code, r.errors[0]["extensions"].get("field")) == (code, field), (data, r)
    created = list(await session.scalars(select(AuditEvent.after).where(AuditEvent.action == "user.create")))
    assert {a["username"] for a in created} >= {"lin", "icbc1", "root2"}


async def test_users_lists_every_user_with_filters_and_pages(client, session):
    token = await admin_token(client, session)
    org = await make_org(session, "翠湖置业有限公司")
    await make_user(session, "clerk1", [Role.CLERK])
    await make_user(session, "clerk2", [Role.CLERK], name="林审核")
    everyone = (await gql(client, USERS, {"first": 2}, token=token)).ok()["users"]
    assert everyone["totalCount"] == 4 and len(everyone["edges"]) == 2 and everyone["pageInfo"]["hasNextPage"]
    rest = (await gql(client, USERS, {"first": 10, "after": everyone["pageInfo"]["endCursor"]}, token=token)).ok()["users"]
    names = [e["node"]["username"] for e in everyone["edges"] + rest["edges"]]
    assert sorted(names) == sorted(["root", org.admin_username, "clerk1", "clerk2"])
    clerks = (await gql(client, USERS, {"filter": {"role": "CLERK"}}, token=token)).ok()["users"]
    assert {e["node"]["username"] for e in clerks["edges"]} == {"clerk1", "clerk2"}
    found = (await gql(client, USERS, {"filter": {"search": "审核"}}, token=token)).ok()["users"]
    assert [e["node"]["username"] for e in found["edges"]] == ["clerk2"]
    of_org = (await gql(client, USERS, {"filter": {"organizationId": encode_id("Organization", org.org_id)}},
                        token=token)).ok()["users"]
    assert [e["node"]["username"] for e in of_org["edges"]] == [org.admin_username]
    r = await gql(client, USERS, {"filter": {"organizationId": "bad"}}, token=token)
    assert r.code == "NOT_FOUND"


async def test_staff_deactivation_revokes_tokens_and_keeps_the_last_admin(client, session):
    root = await admin_token(client, session)
    clerk_id = await make_user(session, "clerk1", [Role.CLERK])
    clerk = await login(client, "clerk1")
    r = (await gql(client, DEACTIVATE, {"id": encode_id("User", clerk_id)}, token=root)).ok()
    assert r["deactivateUser"]["status"] == "DEACTIVATED"
    assert (await gql(client, "{ me { username } }", token=clerk)).code == "UNAUTHENTICATED"
    assert (await gql(client, ACTIVATE, {"id": encode_id("User", clerk_id)}, token=root)).ok()["activateUser"]["status"] == "ACTIVE"
    assert await login(client, "clerk1")
    # The only active admin cannot deactivate itself, nor be demoted.
    root_id = (await gql(client, "{ me { id } }", token=root)).ok()["me"]["id"]
    assert (await gql(client, DEACTIVATE, {"id": root_id}, token=root)).code == "LAST_ADMIN"
    r = await gql(client, "mutation($id: ID!) { updateOrgUser(id: $id, input: {roles: [CLERK]}) { roles } }",
                  {"id": root_id}, token=root)
    assert r.code == "LAST_ADMIN"
    # With a second admin it can.
    second = await make_user(session, "root2", [Role.ADMIN])
    other = await login(client, "root2")
    assert (await gql(client, DEACTIVATE, {"id": root_id}, token=other)).ok()
    assert (await gql(client, DEACTIVATE, {"id": encode_id("User", second)}, token=other)).code == "LAST_ADMIN"


async def test_collection_without_bank_pays_into_the_default_bank(client, session):
    token = await admin_token(client, session)
    (await gql(client, CREATE_BANK, bank_input("AAA-JM"), token=token)).ok()
    default = (await gql(client, CREATE_BANK, bank_input("ZZZ-JM", isDefault=True), token=token)).ok()["createBank"]
    org = await make_org(session)
    dev = await login(client, org.admin_username)
    r = await gql(client, """mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) {
                      estate { bank { code isDefault } } } }""",
                  {"input": {"name": "默认银行花园", "district": "蓬江区", "address": "江门市蓬江区示例路 2 号",
                             "depositTiming": "BEFORE_HANDOVER"}}, token=dev)
    assert r.ok()["createEstateCollection"]["estate"]["bank"] == {"code": default["code"], "isDefault": True}


async def test_demo_bank_user_belongs_to_the_default_bank(client, session):
    from services.demo import DEMO_PASSWORD, load_demo_data

    assert await load_demo_data(session)
    token = await login(client, "demo-bank", DEMO_PASSWORD)
    me = (await gql(client, "{ me { bank { code isDefault } } }", token=token)).ok()["me"]
    assert me["bank"]["isDefault"] is True
    demo_dev = await login(client, "demo-developer", DEMO_PASSWORD)
    r = await gql(client, """mutation { createEstateCollection(input: {name: "新花园", district: "江海区", address: "江门市江海区 1 号",
                      depositTiming: BEFORE_HANDOVER}) { estate { bank { code } } } }""", token=demo_dev)
    assert r.ok()["createEstateCollection"]["estate"]["bank"] == {"code": me["bank"]["code"]}


HISTORY_ORG = "query($id: ID!) { organization(id: $id) { history { at by { username } changes { field label before after } } } }"
HISTORY_ESTATE = "query($id: ID!) { estate(id: $id) { history { at by { username } changes { field label before after } } } }"


async def test_immediate_changes_are_listed_newest_first(client, session):
    org = await make_org(session)
    other = await make_org(session)
    await make_user(session, "clerk1", [Role.CLERK])
    dev = await login(client, org.admin_username)
    update = "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { id } }"
    (await gql(client, update, {"input": {"address": "江门市蓬江区新地址（东区）1 号"}}, token=dev)).ok()
    (await gql(client, update, {"input": {"contactName": "李四", "contactPhone": "13912345670"}}, token=dev)).ok()
    (await gql(client, update, {"input": {"contactName": "李四"}}, token=dev)).ok()  # nothing changed: no entry
    org_gid = encode_id("Organization", org.org_id)
    history = (await gql(client, HISTORY_ORG, {"id": org_gid}, token=dev)).ok()["organization"]["history"]
    assert len(history) == 2
    assert history[0]["by"] == {"username": org.admin_username}
    assert {(c["field"], c["label"], c["after"]) for c in history[0]["changes"]} == {
        ("contactName", "联系人", "李四"), ("contactPhone", "联系电话", "13912345670")}
    assert history[1]["changes"][0]["field"] == "address" and history[1]["changes"][0]["label"] == "地址"
    assert history[1]["changes"][0]["after"] == "江门市蓬江区新地址（东区）1 号"  # as typed (SPEC round 2)
    assert history[0]["at"] >= history[1]["at"]
    # Clerks see it too; another organisation's admin does not reach the organisation at all.
    clerk = await login(client, "clerk1")
    assert len((await gql(client, HISTORY_ORG, {"id": org_gid}, token=clerk)).ok()["organization"]["history"]) == 2
    rival = await login(client, other.admin_username)
    assert (await gql(client, HISTORY_ORG, {"id": org_gid}, token=rival)).data["organization"] is None

    bank = await make_bank(session)
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=1, floors=1, units=1,
                               rooms_per_unit=1)
    estate_gid = encode_id("Estate", estate)
    change = "mutation($id: ID!, $input: UpdateEstateInput!) { updateEstate(id: $id, input: $input) { id } }"
    (await gql(client, change, {"id": estate_gid, "input": {"remark": "新增停车场"}}, token=dev)).ok()
    (await gql(client, change, {"id": estate_gid, "input": {"address": "江门市蓬江区示例路 9 号"}}, token=dev)).ok()
    history = (await gql(client, HISTORY_ESTATE, {"id": estate_gid}, token=clerk)).ok()["estate"]["history"]
    assert [c["field"] for h in history for c in h["changes"]] == ["address", "remark"]
    assert history[1]["changes"][0] == {"field": "remark", "label": "备注", "before": None, "after": "新增停车场"}
