"""Who sees what, generated from the schema: every field of every object type, asked for by each
role (anonymous, a user of another organisation, the organisation's operator and admin, a bank,
a clerk, an admin) through the paths a client really takes to it, one field a request, and the
outcome compared with the table below. A field added to the schema without a line in the table
fails the test, so every new field gets a decision.

Outcomes: SEEN (a value, possibly null or empty), MASKED (a string with its middle starred),
NULL (the object is not there: a root lookup of something the role may not see), or an error
code (FORBIDDEN, UNAUTHENTICATED)."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest
from graphql import get_named_type, is_composite_type, is_object_type

from core.ids import encode_id
from models.enums import DocumentKind, RegistrationFileKind, Role
from services import documents
from services.payments.deposits import recalculate
from tests.api import gql
from tests.appflow import make_world, step, tree, wait_job
from tests.factories import login, make_user
from tests.sheets import workbook, house as sheet_house

SEEN, MASKED, NULL = "SEEN", "MASKED", "NULL"
FORBIDDEN, UNAUTHENTICATED = "FORBIDDEN", "UNAUTHENTICATED"
ROLES = ("anonymous", "other_org", "operator", "org_admin", "bank", "clerk", "admin")
ORG = frozenset({"operator", "org_admin", "clerk", "admin"})  # the developer's users and staff
STAFF = frozenset({"clerk", "admin"})
LISTS = ORG | {"other_org"}  # a list of one's own: another organisation gets its own (empty) page
LOGGED_IN = frozenset(ROLES) - {"anonymous"}
NOT_ROOT = {"Mutation", "Subscription"}  # mutations and subscriptions have their own refusal tests


def only(seers: frozenset[str], **others: str) -> dict[str, str]:
    """An outcome per role: SEEN for `seers`, the given outcome for the roles named, NULL for the rest."""
    return {r: SEEN if r in seers else others.get(r, NULL) for r in ROLES}


# ---------------------------------------------------------------- the table

# Query fields: what each role gets from the root.
ROOT = {
    "Query.importTemplate": only(LOGGED_IN, anonymous=UNAUTHENTICATED),
    "Query.applications": only(ORG, anonymous=UNAUTHENTICATED, other_org=SEEN, bank=FORBIDDEN),  # other_org: its own (none)
    "Query.application": only(ORG),
    "Query.job": only(ORG),
    "Query.paymentNotices": only(LOGGED_IN, anonymous=UNAUTHENTICATED),  # each its own: see test_payments
    "Query.paymentNotice": only(ORG | {"bank"}),
    "Query.payments": only(STAFF | {"bank"}, anonymous=UNAUTHENTICATED, other_org=FORBIDDEN, operator=FORBIDDEN,
                           org_admin=FORBIDDEN),
    "Query.refunds": only(ORG | {"other_org"}, anonymous=UNAUTHENTICATED, bank=FORBIDDEN),
    "Query.depositStandards": only(LOGGED_IN, anonymous=UNAUTHENTICATED),
    "Query.node": only(ORG),
    "Query.me": only(LOGGED_IN),
    "Query.registrationAgreement": only(frozenset(ROLES)),
    "Query.banks": only(LOGGED_IN, anonymous=UNAUTHENTICATED),
    "Query.organization": only(ORG),
    "Query.organizations": only(STAFF, anonymous=UNAUTHENTICATED, other_org=FORBIDDEN, operator=FORBIDDEN,
                                org_admin=FORBIDDEN, bank=FORBIDDEN),
    "Query.estates": only(ORG | {"other_org"}, anonymous=UNAUTHENTICATED, bank=FORBIDDEN),
    "Query.estate": only(ORG),
    "Query.building": only(ORG),
    "Query.house": only(ORG),
    "Query.houses": only(ORG, anonymous=UNAUTHENTICATED, other_org="NOT_FOUND", bank=FORBIDDEN),
    "Query.users": only(frozenset({"admin"}), anonymous=UNAUTHENTICATED, other_org=FORBIDDEN, operator=FORBIDDEN,
                        org_admin=FORBIDDEN, bank=FORBIDDEN, clerk=FORBIDDEN),
}

# Fields of objects: SEEN for whoever reaches the object, except where a rule says otherwise.
ADMINS_AND_STAFF = {"operator": FORBIDDEN}
TREE_ONLY = {"bank": FORBIDDEN}
FIELD_RULES: dict[str, dict[str, str]] = {
    "Organization.attachments": ADMINS_AND_STAFF,  # 注册要件: the organisation's admins and staff
    "Organization.users": ADMINS_AND_STAFF,
    "PaymentNotice.estate": TREE_ONLY,  # a bank: its notices, their lines and payers, nothing else of the tree
    "PaymentNotice.building": TREE_ONLY,
    "House.building": TREE_ONLY,
    "House.ledger": TREE_ONLY,
    "House.lockedBy": TREE_ONLY,
    "House.owners@building-notice": TREE_ONLY,  # the developer paid: its owners are not the bank's payers
    "Owner.idNumber": {"bank": MASKED},
    "Owner.phone": {"bank": MASKED},
}

# Every other field of every object type: seen by whoever reaches its object. A new field goes here
# or into FIELD_RULES; one in neither fails test_every_field_has_a_rule_and_a_path.
AS_OBJECT = {
    "Bank": "id code name accountName accountNumber isDefault",
    "Document": "id kind registrationKind filename contentType sizeBytes createdAt url",
    "User": "id username name phone status roles organization bank",
    "Organization": (
        "id name creditCode legalRepresentative contactName contactPhone address materialsVerified "
        "createdAt agreementVersion estates history"
    ),
    "EstateConnection": "edges pageInfo totalCount",
    "EstateEdge": "node cursor",
    "PageInfo": "hasNextPage hasPreviousPage startCursor endCursor",
    "Estate": (
        "id code name district address remark depositTiming status developer bank buildings "
        "houseCount totalBuildingArea depositDue depositPaid balance history"
    ),
    "Building": (
        "id name address builtYear structure floorsAboveGround floorsBelowGround status estate "
        "houses floorPlan lockedBy houseCount depositDue depositPaid balance"
    ),
    "FloorPlan": "units floors",
    "FloorPlanRow": "floor houses",
    "House": (
        "id code unit floor roomNumber address usage layout hasElevator buildingArea innerArea price "
        "realEstateUnitNumber salesStatus depositTiming status accountStatus accountNumber "
        "depositDue depositPaid unpaid balance"
    ),
    "Owner": "name idType share id",
    "LedgerEntry": "kind amount balanceAfter at memo id",
    "Application": (
        "id number type status reason createdAt submittedAt decidedAt reviewComment organization "
        "estate createdBy houseChangeCount houseChanges buildingChanges attachments importJob form "
        "formJob history depositImpact needsRefundAccount refunds paymentNotices refundForm"
    ),
    "HouseChange": "before after house",
    "HouseSnapshot": (
        "code buildingName unit floor roomNumber address usage layout hasElevator buildingArea innerArea "
        "price realEstateUnitNumber salesStatus owners"
    ),
    "BuildingChange": "before after building",
    "BuildingSnapshot": "name address builtYear structure",
    "ApplicationEvent": "at comment status by",
    "DepositImpact": "dueBefore dueAfter paid makeUp refund house",
    "Job": (
        "id kind status progress processed total message createdAt startedAt finishedAt errors "
        "result paymentNotices"
    ),
    "JobError": "row column code message",
    "DepositStandard": "id name usage hasElevator minFloors maxFloors basis rate roundToYuan effectiveFrom",
    "Payment": "id amount bankTransactionId channel paidAt confirmedAt notice receipt",
    "PaymentNotice": (
        "id number type payerKind payerName total bankName bankAccount status issuedAt paidAt lines "
        "document payment"
    ),
    "NoticeLine": "buildingArea standard amount house",
    "Refund": "id amount accountName bankName accountNumber status completedAt application house form",
    "ApplicationConnection": "edges pageInfo totalCount",
    "ApplicationEdge": "node cursor",
    "PaymentNoticeConnection": "edges pageInfo totalCount",
    "PaymentNoticeEdge": "node cursor",
    "PaymentConnection": "edges pageInfo totalCount totalAmount",
    "PaymentEdge": "node cursor",
    "RefundConnection": "edges pageInfo totalCount",
    "RefundEdge": "node cursor",
    "Agreement": "version text",
    "OrganizationConnection": "edges pageInfo totalCount",
    "OrganizationEdge": "node cursor",
    "HouseConnection": "edges pageInfo totalCount",
    "HouseEdge": "node cursor",
    "ChangeRecord": "at changes by",
    "FieldChange": "field label before after",
    "UserConnection": "edges pageInfo totalCount",
    "UserEdge": "node cursor",
}

# Object types no query reaches: answered by mutations and subscriptions only.
NOT_QUERIED = {"LoginPayload", "ApplicationStatusEvent"}

# The paths to each object type: (label, query with {sel} where the fields go, variables' names,
# the path to the object in the data, who reaches it).
PATHS: dict[str, list[tuple[str, str, str, frozenset[str]]]] = {
    "Query": [("root", "{sel}", "", frozenset(ROLES))],
    "Organization": [("organization", "organization(id: $org) {sel}", "organization", ORG)],
    "User": [("me", "me {sel}", "me", LOGGED_IN)],
    "Bank": [("banks", "banks {sel}", "banks.0", LOGGED_IN)],
    "Document": [("registration file", "organization(id: $org) { attachments {sel} }", "organization.attachments.0",
                  ORG - {"operator"}),
                 ("registration file by id", "node(id: $licence) { ... on Document {sel} }", "node", ORG - {"operator"}),
                 ("notice PDF", "paymentNotice(number: $ownerNotice) { document {sel} }", "paymentNotice.document",
                  ORG | {"bank"})],
    "Agreement": [("agreement", "registrationAgreement {sel}", "registrationAgreement", frozenset(ROLES))],
    "Estate": [("estate", "estate(id: $estate) {sel}", "estate", ORG)],
    "EstateConnection": [("estates", "estates {sel}", "estates", LISTS)],
    "EstateEdge": [("estates", "estates { edges {sel} }", "estates.edges.0", ORG)],
    "PageInfo": [("estates", "estates { pageInfo {sel} }", "estates.pageInfo", LISTS)],
    "Building": [("building", "building(id: $building) {sel}", "building", ORG)],
    "FloorPlan": [("building", "building(id: $building) { floorPlan {sel} }", "building.floorPlan", ORG)],
    "FloorPlanRow": [("building", "building(id: $building) { floorPlan { floors {sel} } }", "building.floorPlan.floors.0", ORG)],
    "House": [("house", "house(id: $paidHouse) {sel}", "house", ORG),
              ("owner-notice", "paymentNotice(number: $ownerNotice) { lines { house {sel} } }",
               "paymentNotice.lines.0.house", ORG | {"bank"}),
              ("building-notice", "paymentNotice(number: $buildingNotice) { lines { house {sel} } }",
               "paymentNotice.lines.0.house", ORG | {"bank"})],
    "HouseConnection": [("houses", "houses(filter: {estateId: $estate}) {sel}", "houses", ORG)],
    "HouseEdge": [("houses", "houses(filter: {estateId: $estate}) { edges {sel} }", "houses.edges.0", ORG)],
    "Owner": [("house", "house(id: $ownerHouse) { owners {sel} }", "house.owners.0", ORG),
              ("owner-notice", "paymentNotice(number: $ownerNotice) { lines { house { owners {sel} } } }",
               "paymentNotice.lines.0.house.owners.0", ORG | {"bank"}),
              ("snapshot", "application(id: $ownership) { houseChanges { after { owners {sel} } } }",
               "application.houseChanges.0.after.owners.0", ORG)],
    "LedgerEntry": [("house", "house(id: $paidHouse) { ledger {sel} }", "house.ledger.0", ORG)],
    "OrganizationConnection": [("organizations", "organizations {sel}", "organizations", STAFF)],
    "OrganizationEdge": [("organizations", "organizations { edges {sel} }", "organizations.edges.0", STAFF)],
    "Application": [("application", "application(id: $infoChange) {sel}", "application", ORG)],
    "ApplicationConnection": [("applications", "applications {sel}", "applications", LISTS)],
    "ApplicationEdge": [("applications", "applications { edges {sel} }", "applications.edges.0", ORG)],
    "ApplicationEvent": [("application", "application(id: $infoChange) { history {sel} }", "application.history.0", ORG)],
    "HouseChange": [("application", "application(id: $ownership) { houseChanges {sel} }", "application.houseChanges.0", ORG)],
    "HouseSnapshot": [("application", "application(id: $ownership) { houseChanges { before {sel} } }",
                       "application.houseChanges.0.before", ORG)],
    "BuildingChange": [("application", "application(id: $buildingChange) { buildingChanges {sel} }",
                        "application.buildingChanges.0", ORG)],
    "BuildingSnapshot": [("application", "application(id: $buildingChange) { buildingChanges { after {sel} } }",
                          "application.buildingChanges.0.after", ORG)],
    "DepositImpact": [("application", "application(id: $pendingChange) { depositImpact {sel} }",
                       "application.depositImpact.0", ORG)],
    "Refund": [("application", "application(id: $infoChange) { refunds {sel} }", "application.refunds.0", ORG)],
    "RefundConnection": [("refunds", "refunds {sel}", "refunds", LISTS)],
    "RefundEdge": [("refunds", "refunds { edges {sel} }", "refunds.edges.0", ORG)],
    "Job": [("job", "job(id: $importJob) {sel}", "job", ORG)],
    "JobError": [("job", "job(id: $importJob) { errors {sel} }", "job.errors.0", ORG)],
    "DepositStandard": [("standards", "depositStandards {sel}", "depositStandards.0", LOGGED_IN)],
    "PaymentNotice": [("notice", "paymentNotice(number: $buildingNotice) {sel}", "paymentNotice", ORG | {"bank"})],
    "PaymentNoticeConnection": [("notices", "paymentNotices {sel}", "paymentNotices", LOGGED_IN)],
    "PaymentNoticeEdge": [("notices", "paymentNotices(filter: {number: $buildingNotice}) { edges {sel} }",
                           "paymentNotices.edges.0", ORG | {"bank"})],
    "NoticeLine": [("notice", "paymentNotice(number: $buildingNotice) { lines {sel} }", "paymentNotice.lines.0",
                    ORG | {"bank"})],
    "Payment": [("notice", "paymentNotice(number: $buildingNotice) { payment {sel} }", "paymentNotice.payment",
                 ORG | {"bank"})],
    "PaymentConnection": [("payments", "payments(date: $day) {sel}", "payments", STAFF | {"bank"})],
    "PaymentEdge": [("payments", "payments(date: $day) { edges {sel} }", "payments.edges.0", STAFF | {"bank"})],
    "ChangeRecord": [("organization history", "organization(id: $org) { history {sel} }", "organization.history.0", ORG)],
    "FieldChange": [("organization history", "organization(id: $org) { history { changes {sel} } }",
                     "organization.history.0.changes.0", ORG)],
    "UserConnection": [("users", "users {sel}", "users", frozenset({"admin"}))],
    "UserEdge": [("users", "users { edges {sel} }", "users.edges.0", frozenset({"admin"}))],
}

# Arguments of fields that need them.
ARGS = {
    "Query.importTemplate": "(kind: HOUSES)", "Query.application": "(id: $infoChange)", "Query.job": "(id: $importJob)",
    "Query.paymentNotice": "(number: $buildingNotice)", "Query.payments": "(date: $day)", "Query.node": "(id: $estate)",
    "Query.organization": "(id: $org)", "Query.estate": "(id: $estate)", "Query.building": "(id: $building)",
    "Query.house": "(id: $paidHouse)", "Query.houses": "(filter: {estateId: $estate})",
}
VARIABLE_TYPES = {"org": "ID!", "estate": "ID!", "building": "ID!", "paidHouse": "ID!", "ownerHouse": "ID!",
                  "infoChange": "ID!", "pendingChange": "ID!", "ownership": "ID!", "buildingChange": "ID!",
                  "importJob": "ID!", "licence": "ID!", "ownerNotice": "String!", "buildingNotice": "String!", "day": "Date!"}


# ---------------------------------------------------------------- the world

@pytest.fixture
async def world(client, session, worker):
    w = await make_world(client, session)
    await recalculate(session, estate_id=w.estate)
    await session.commit()
    org = w.org.org_id
    await make_user(session, "operator1", [Role.ESTATE_OPERATOR, Role.PAYMENT_OPERATOR], organization_id=org)
    await make_user(session, "bank1", [Role.BANK], bank_id=w.bank)
    await make_user(session, "admin1", [Role.ADMIN])
    licence = await documents.store(session, kind=DocumentKind.ATTACHMENT, filename="营业执照.pdf", content_type="application/pdf",
                    data=b"%PDF-1.4 licence", organization_id=org, created_by_id=w.org.admin_id,
                    registration_kind=RegistrationFileKind.BUSINESS_LICENCE, suffix=".pdf")
    await session.commit()
    tokens = {"anonymous": None, "other_org": w.rival, "org_admin": w.dev, "clerk": w.clerk,
              "operator": await login(client, "operator1"), "bank": await login(client, "bank1"),
              "admin": await login(client, "admin1")}

    (await gql(client, 'mutation { updateOrganization(input: {address: "江门市蓬江区新址 2 号"}) { id } }',
               token=w.dev)).ok()  # 信息变更: the organisation's history
    b1, b2 = (await tree(client, w))["buildings"]
    building_notice = (await gql(client, 'mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { number total } }',
                                 {"ids": [b1["id"]]}, token=w.dev)).ok()["issueBuildingNotices"][0]
    confirm = """mutation($n: String!, $a: Decimal!) { confirmPayment(input: {noticeNumber: $n, amount: $a,
                 bankTransactionId: "TX-1", paidAt: "2026-11-27T10:00:00+08:00", channel: BANK_COUNTER}) { id } }"""
    (await gql(client, confirm, {"n": building_notice["number"], "a": building_notice["total"]}, token=tokens["bank"])).ok()
    owner_house = b2["houses"][0]["id"]
    owner_notice = (await gql(client, """mutation($items: [OwnerNoticeItemInput!]!) { issueOwnerNotices(items: $items) { number } }""",
                              {"items": [{"houseId": owner_house, "owners": [{"name": "陈业主", "idType": "RESIDENT_ID",
                                                                               "idNumber": "11010519491231002X", "phone": "18012348773"}]}]},
                              token=w.dev)).ok()["issueOwnerNotices"][0]
    # The notice's PDF is rendered by a job: wait for it, or the matrix would see a document not there yet.
    deadline = asyncio.get_running_loop().time() + 30
    while not (await gql(client, "query($n: String!) { paymentNotice(number: $n) { document { id } } }",
                         {"n": owner_notice["number"]}, token=w.dev)).ok()["paymentNotice"]["document"]:
        assert asyncio.get_running_loop().time() < deadline, "the owner notice's PDF was not rendered within 30 s"
        await asyncio.sleep(0.05)

    def smaller(house):
        return str((Decimal(house["buildingArea"]) - Decimal("10.00")).quantize(Decimal("0.01")))

    info = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id } }"
    paid, other_paid = b1["houses"][0], b1["houses"][1]
    info_change = (await gql(client, info, {"input": {"estateId": w.estate_gid, "reason": "测绘面积减少", "items": [
        {"houseId": paid["id"], "buildingArea": smaller(paid)}]}}, token=w.dev)).ok()["createHouseInfoChange"]["id"]
    (await gql(client, 'mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: "江门示例置业", '
                       'bankName: "工行", accountNumber: "6222000011112222"}) { status } }', {"id": info_change}, token=w.dev)).ok()
    (await step(client, w.clerk, "acceptApplication", info_change)).ok()
    (await step(client, w.clerk, "approveApplication", info_change)).ok()
    pending = (await gql(client, info, {"input": {"estateId": w.estate_gid, "reason": "测绘面积减少", "items": [
        {"houseId": other_paid["id"], "buildingArea": smaller(other_paid)}]}}, token=w.dev)).ok()["createHouseInfoChange"]["id"]
    bad = workbook([sheet_house(code="NOPE-1")], with_code=True)
    job = (await gql(client, "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }",
                     {"id": pending, "file": None}, token=w.dev,
                     files={"variables.file": ("houses.xlsx", bad, "application/octet-stream")})).ok()["importHouses"]["id"]
    assert (await wait_job(client, w.dev, job))["errors"]
    ownership = (await gql(client, """mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { id } }""",
                           {"input": {"estateId": w.estate_gid, "items": [{"houseId": b2["houses"][1]["id"], "owners": [
                               {"name": "何新主", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X",
                                "phone": "13912345678"}]}]}}, token=w.dev)).ok()["createOwnershipChange"]["id"]
    building_change = (await gql(client, """mutation($input: BuildingChangeInput!) { createBuildingChange(input: $input) { id } }""",
                                 {"input": {"estateId": w.estate_gid, "reason": "竣工资料更正", "items": [
                                     {"buildingId": b2["id"], "builtYear": 2020}]}}, token=w.dev)).ok()["createBuildingChange"]["id"]
    variables = {"org": encode_id("Organization", org), "estate": w.estate_gid, "building": b1["id"],
                 "paidHouse": paid["id"], "ownerHouse": owner_house, "infoChange": info_change, "pendingChange": pending,
                 "ownership": ownership, "buildingChange": building_change, "importJob": job,
                 "licence": encode_id("Document", licence.id), "ownerNotice": owner_notice["number"], "buildingNotice": building_notice["number"], "day": "2026-11-27"}
    return tokens, variables


# ---------------------------------------------------------------- asking

def _selection(field) -> str:
    return " { __typename }" if is_composite_type(get_named_type(field.type)) else ""


def _at(data, path: str):
    for part in path.split(".") if path else ():
        if data is None:
            return None
        if part.isdigit():
            data = data[int(part)] if int(part) < len(data) else None
        else:
            data = data.get(part)
    return data


async def ask(client, token, query_body: str, variables: dict) -> tuple[dict | None, list]:
    used = {name: value for name, value in variables.items() if re.search(rf"\${name}\b", query_body)}
    params = ", ".join(f"${name}: {VARIABLE_TYPES[name]}" for name in used)
    query = f"query{f'({params})' if params else ''} {{ {query_body} }}"
    result = await gql(client, query, used, token=token)
    return result.data, result.errors


def outcome(data, errors, object_path: str, field: str | None) -> str:
    """What a role got: an error at or below the object (its code), the object missing (NULL),
    or the field's value (SEEN, MASKED)."""
    prefix = object_path.split(".") if object_path else []
    for e in errors:
        path = [str(p) for p in e.get("path") or []]
        code = e.get("extensions", {}).get("code")
        if field is not None and path[:len(prefix) + 1] == prefix + [field]:
            return code
        if path == prefix[:len(path)] or not path:
            return code
    obj = _at(data, object_path) if data is not None else None
    if obj is None and object_path:
        return NULL
    if field is None:
        return SEEN
    value = obj.get(field) if isinstance(obj, dict) else None
    if value is None and not object_path:
        return NULL  # a root lookup that found nothing the role may see
    if isinstance(value, str) and "****" in value:
        return MASKED
    return SEEN


def _schema_fields():
    from schema import schema

    for type_ in schema._schema.type_map.values():
        if is_object_type(type_) and not type_.name.startswith("__") and type_.name not in NOT_ROOT:
            yield type_, type_.fields


def expected(type_name: str, field: str, label: str, role: str, seers: frozenset[str]) -> str:
    key = f"{type_name}.{field}"
    if type_name == "Query":
        return ROOT[key][role]
    if role not in seers:
        return NULL
    rules = FIELD_RULES.get(f"{key}@{label}") or FIELD_RULES.get(key) or {}
    return rules.get(role, SEEN)


def test_every_field_has_a_rule_and_a_path():
    """A new type or field must be placed in the table before it ships."""
    missing = []
    for type_, fields in _schema_fields():
        if type_.name in NOT_QUERIED:
            continue
        if type_.name not in PATHS:
            missing.append(type_.name)
        if type_.name == "Query":
            missing += [f"Query.{f}" for f in fields if f"Query.{f}" not in ROOT]
        else:
            placed = set(AS_OBJECT.get(type_.name, "").split()) | {k.split("@")[0].split(".")[1] for k in FIELD_RULES
                                                                  if k.startswith(f"{type_.name}.")}
            missing += [f"{type_.name}.{f}" for f in fields if f not in placed]
            missing += [f"{type_.name}.{f} (no longer in the schema)" for f in placed - set(fields)]
    assert not missing, missing


async def test_each_role_sees_what_it_may(client, world):
    tokens, variables = world
    wrong = []
    for type_, fields in _schema_fields():
        if type_.name in NOT_QUERIED:
            continue
        for label, template, object_path, seers in PATHS[type_.name]:
            for role in ROLES:
                if type_.name != "Query":
                    data, errors = await ask(client, tokens[role], template.replace("{sel}", "{ __typename }"), variables)
                    reached = outcome(data, errors, object_path, None)
                    if (reached == SEEN) != (role in seers):
                        wrong.append(f"{type_.name} via {label} as {role}: {reached}")
                    if reached != SEEN:
                        continue
                for name, field in fields.items():
                    selection = name + ARGS.get(f"{type_.name}.{name}", "") + _selection(field)
                    data, errors = await ask(client, tokens[role], template.replace("{sel}", "{ " + selection + " }")
                                             if type_.name != "Query" else selection, variables)
                    got = outcome(data, errors, object_path, name)
                    want = expected(type_.name, name, label, role, seers)
                    if got != want:
                        wrong.append(f"{type_.name}.{name} via {label} as {role}: {got}, expected {want}"
                                     f" {[e.get('message') for e in errors][:1]}")
    assert not wrong, "\n".join(wrong)
