"""The estate tree read side through HTTP: visibility, pagination, floor plan, totals, and the
number of SQL statements a whole-estate query takes."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select, update

from core import tracing
from core.ids import encode_id
from models import Building, House, LedgerEntry
from models.enums import LedgerKind, RecordStatus, Role
from tests.api import gql
from tests.factories import login, make_bank, make_estate, make_org, make_user

TREE = """query($id: ID!) { estate(id: $id) {
  id code name district status houseCount totalBuildingArea depositDue depositPaid balance
  developer { name } bank { name accountNumber }
  buildings { id name status houseCount depositDue balance
    houses { id code unit floor roomNumber address usage hasElevator buildingArea innerArea salesStatus status
             accountStatus accountNumber depositDue depositPaid unpaid balance
             owners { id name idType idNumber phone share } } } } }"""


@contextmanager
def count_statements():
    """The SQL statements run meanwhile, read from their tracing spans (core/tracing.py): those
    through SQLAlchemy and those the tree's loaders run on asyncpg directly (services/batches.DriverQuery)."""
    statements: list[str] = []
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield statements
    finally:
        tracing.uninstall()
        statements += [s.attributes["db.statement"] for s in exporter.get_finished_spans()
                       if s.attributes.get("db.system") == "postgresql"]


@pytest.fixture
async def world(session):
    bank = await make_bank(session)
    mine = await make_org(session)
    theirs = await make_org(session)
    await make_user(session, "clerk1", [Role.CLERK])
    await make_user(session, "bank1", [Role.BANK], bank_id=bank)
    estate = await make_estate(session, developer_id=mine.org_id, bank_id=bank, buildings=2, floors=3, units=2,
                               rooms_per_unit=2, basement_floors=1)
    other = await make_estate(session, developer_id=theirs.org_id, bank_id=bank)
    return {"bank": bank, "mine": mine, "theirs": theirs, "estate": estate, "other": other}


async def test_whole_estate_in_constant_statements(client, session, world):
    big = await make_estate(session, developer_id=world["mine"].org_id, bank_id=world["bank"], buildings=100,
                            floors=25, units=2, rooms_per_unit=2, sold_ratio=1.0)
    token = await login(client, world["mine"].admin_username)
    from services.token_cache import cache

    await cache.listening()
    (await gql(client, "{ me { id } }", token=token)).ok()  # the token is checked once, then cached
    with count_statements() as small_statements:
        small = (await gql(client, TREE, {"id": encode_id("Estate", world["estate"])}, token=token)).ok()["estate"]
    with count_statements() as big_statements:
        whole = (await gql(client, TREE, {"id": encode_id("Estate", big)}, token=token)).ok()["estate"]
    assert whole["houseCount"] == 10000 and len(whole["buildings"]) == 100
    assert sum(len(b["houses"]) for b in whole["buildings"]) == 10000
    assert all(len(h["owners"]) == 1 for b in whole["buildings"] for h in b["houses"])
    assert small["houseCount"] == 2 * 4 * 4
    # estate, totals, developer, bank, buildings, building totals, houses, owners
    assert len(big_statements) == len(small_statements) <= 10, big_statements
    assert sum("FROM houses" in s and "building_id = ANY" in s for s in big_statements) == 1, big_statements
    assert sum("FROM owners" in s for s in big_statements) == 1, big_statements


async def test_each_organisation_sees_only_its_own(client, session, world):
    mine = await login(client, world["mine"].admin_username)
    theirs = await login(client, world["theirs"].admin_username)
    other_gid = encode_id("Estate", world["other"])
    estates = (await gql(client, "{ estates { totalCount edges { node { name } } } }", token=mine)).ok()["estates"]
    assert estates["totalCount"] == 1

    tree = (await gql(client, TREE, {"id": encode_id("Estate", world["estate"])}, token=mine)).ok()["estate"]
    building_gid = tree["buildings"][0]["id"]
    house_gid = tree["buildings"][0]["houses"][0]["id"]
    org_gid = encode_id("Organization", world["mine"].org_id)

    # Another organisation: null for single objects, NOT_FOUND for filters, never data.
    for query, variables in [
        ("query($id: ID!) { estate(id: $id) { name } }", {"id": encode_id("Estate", world["estate"])}),
        ("query($id: ID!) { building(id: $id) { name } }", {"id": building_gid}),
        ("query($id: ID!) { house(id: $id) { code } }", {"id": house_gid}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": house_gid}),
        ("query($id: ID!) { organization(id: $id) { name } }", {"id": org_gid}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": encode_id("User", world["mine"].admin_id)}),
    ]:
        r = await gql(client, query, variables, token=theirs)
        assert not r.errors and list(r.data.values()) == [None], (query, r)
    r = await gql(client, "query($id: ID!) { houses(filter: {estateId: $id}) { totalCount } }",
                  {"id": encode_id("Estate", world["estate"])}, token=theirs)
    assert r.code == "NOT_FOUND" and r.data is None
    r = await gql(client, "query($id: ID!) { houses(filter: {buildingId: $id}) { totalCount } }", {"id": building_gid}, token=theirs)
    assert r.code == "NOT_FOUND"
    r = await gql(client, '{ houses(filter: {search: "1"}) { totalCount edges { node { id } } } }', token=theirs)
    assert {e["node"]["id"] for e in r.ok()["houses"]["edges"]}.isdisjoint({house_gid})
    r = await gql(client, "{ organizations { totalCount } }", token=theirs)
    assert r.code == "FORBIDDEN"
    r = await gql(client, "query($id: ID!) { estates(filter: {developerId: $id}) { totalCount } }", {"id": org_gid}, token=theirs)
    assert r.ok()["estates"]["totalCount"] == 0
    r = await gql(client, 'mutation { markMaterialsVerified(organizationId: "%s") { id } }' % org_gid, token=theirs)
    assert r.code == "FORBIDDEN"
    r = await gql(client, 'mutation { deactivateUser(id: "%s") { id } }' % encode_id("User", world["mine"].admin_id), token=theirs)
    assert r.code == "NOT_FOUND"
    r = await gql(client, 'mutation { updateOrgUser(id: "%s", input: {name: "x"}) { id } }' % encode_id("User", world["mine"].admin_id), token=theirs)
    assert r.code == "NOT_FOUND"
    r = await gql(client, 'mutation { activateUser(id: "%s") { id } }' % encode_id("User", world["mine"].admin_id), token=theirs)
    assert r.code == "NOT_FOUND"


async def test_clerk_sees_all_and_bank_sees_no_tree(client, world):
    clerk = await login(client, "clerk1")
    r = (await gql(client, "{ estates { totalCount } organizations { totalCount edges { node { name users { username } } } } }", token=clerk)).ok()
    assert r["estates"]["totalCount"] == 2 and r["organizations"]["totalCount"] == 2
    bank = await login(client, "bank1")
    assert (await gql(client, "{ estates { totalCount } }", token=bank)).code == "FORBIDDEN"
    r = await gql(client, "query($id: ID!) { estate(id: $id) { name } }", {"id": encode_id("Estate", world["estate"])}, token=bank)
    assert r.ok()["estate"] is None
    me = (await gql(client, "{ me { roles bank { name } organization { name } } banks { code } }", token=bank)).ok()
    assert me["me"]["bank"]["name"] and me["me"]["organization"] is None and me["banks"][0]["code"] == "BANK1"


async def test_materials_verified_by_clerk_only(client, session, world):
    org_gid = encode_id("Organization", world["mine"].org_id)
    admin = await login(client, world["mine"].admin_username)
    assert (await gql(client, 'mutation { markMaterialsVerified(organizationId: "%s") { id } }' % org_gid, token=admin)).code == "FORBIDDEN"
    clerk = await login(client, "clerk1")
    r = await gql(client, 'mutation { markMaterialsVerified(organizationId: "%s") { materialsVerified } }' % org_gid, token=clerk)
    assert r.ok()["markMaterialsVerified"]["materialsVerified"] is True
    pending = await gql(client, "{ organizations(materialsVerified: false) { totalCount } }", token=clerk)
    assert pending.ok()["organizations"]["totalCount"] == 1
    r = await gql(client, 'mutation { markMaterialsVerified(organizationId: "bm90LWFuLWlk") { id } }', token=clerk)
    assert r.code == "NOT_FOUND"


async def test_update_organization_is_audited(client, session, world):
    from models import AuditEvent

    admin = await login(client, world["mine"].admin_username)
    r = await gql(client, 'mutation { updateOrganization(input: {contactPhone: "0750-7654321", address: " 新地址 1 号 "}) { contactPhone address } }', token=admin)
    assert r.ok()["updateOrganization"] == {"contactPhone": "0750-7654321", "address": "新地址 1 号"}
    bad = await gql(client, 'mutation { updateOrganization(input: {contactPhone: "123"}) { id } }', token=admin)
    assert bad.code == "VALIDATION_FAILED" and bad.errors[0]["extensions"]["field"] == "input.contactPhone"
    event_row = await session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.update"))
    assert event_row.before["address"] == "江门市蓬江区测试路 1 号" and event_row.after["address"] == "新地址 1 号"


async def test_pending_rows_are_hidden_from_totals(client, session, world):
    await session.execute(update(House).where(House.id.in_(select(House.id).join(Building).where(
        Building.estate_id == world["estate"]).limit(3))).values(status=RecordStatus.PENDING))
    await session.commit()
    admin = await login(client, world["mine"].admin_username)
    tree = (await gql(client, TREE, {"id": encode_id("Estate", world["estate"])}, token=admin)).ok()["estate"]
    assert tree["houseCount"] == 32 - 3
    assert sum(len(b["houses"]) for b in tree["buildings"]) == 32  # the organisation still sees its pending houses


async def test_totals_add_up(client, session, world):
    house_ids = list(await session.scalars(select(House.id).join(Building).where(Building.estate_id == world["estate"]).order_by(House.id)))
    for i, house_id in enumerate(house_ids[:5]):
        amount = Decimal("100.10") * (i + 1)
        session.add(LedgerEntry(house_id=house_id, kind=LedgerKind.DEPOSIT, amount=amount, balance_after=amount))
        await session.execute(update(House).where(House.id == house_id).values(
            deposit_due=Decimal("600.00"), deposit_paid=amount, balance=amount))
    await session.commit()
    admin = await login(client, world["mine"].admin_username)
    tree = (await gql(client, TREE, {"id": encode_id("Estate", world["estate"])}, token=admin)).ok()["estate"]
    houses = [h for b in tree["buildings"] for h in b["houses"]]
    assert tree["balance"] == "1501.50" == str(sum(Decimal(h["balance"]) for h in houses))
    assert tree["depositDue"] == "3000.00"
    assert sum(Decimal(b["balance"]) for b in tree["buildings"]) == Decimal(tree["balance"])
    unpaid = [h for h in houses if Decimal(h["unpaid"]) > 0]
    assert len(unpaid) == 5 and unpaid[0]["unpaid"] == "499.90"
    first = house_ids[0]
    ledger = (await gql(client, 'query($id: ID!) { house(id: $id) { ledger { kind amount balanceAfter at } } }',
                        {"id": encode_id("House", first)}, token=admin)).ok()["house"]["ledger"]
    assert ledger[0]["kind"] == "DEPOSIT" and ledger[0]["amount"] == "100.10" and ledger[0]["at"].endswith("+08:00")
    r = await gql(client, "query($id: ID!) { houses(filter: {estateId: $id, unpaid: true}) { totalCount } }",
                  {"id": encode_id("Estate", world["estate"])}, token=admin)
    assert r.ok()["houses"]["totalCount"] == 5


async def test_houses_pagination_and_search(client, session, world):
    admin = await login(client, world["mine"].admin_username)
    estate_gid = encode_id("Estate", world["estate"])
    q = "query($id: ID!, $after: String) { houses(filter: {estateId: $id}, first: 10, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { code } } } }"
    seen, after = [], None
    while True:
        page = (await gql(client, q, {"id": estate_gid, "after": after}, token=admin)).ok()["houses"]
        seen += [e["node"]["code"] for e in page["edges"]]
        assert page["totalCount"] == 32
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 32
    assert (await gql(client, "{ houses(filter: {}) { totalCount } }", token=admin)).code == "VALIDATION_FAILED"
    assert (await gql(client, "query($id: ID!) { houses(filter: {estateId: $id}, first: 101) { totalCount } }",
                      {"id": estate_gid}, token=admin)).code == "VALIDATION_FAILED"
    assert (await gql(client, 'query($id: ID!) { houses(filter: {estateId: $id}, after: "garbage") { totalCount } }',
                      {"id": estate_gid}, token=admin)).code == "VALIDATION_FAILED"
    owner = await session.scalar(select(House.id).join(Building).where(Building.estate_id == world["estate"]))
    from models import Owner
    name = await session.scalar(select(Owner.name).where(Owner.house_id == owner))
    found = (await gql(client, 'query($s: String!) { houses(filter: {search: $s}) { edges { node { owners { name } } } } }',
                       {"s": name}, token=admin)).ok()["houses"]["edges"]
    assert found and all(any(o["name"] == name for o in e["node"]["owners"]) for e in found)
    r = await gql(client, '{ houses(filter: {search: "%"}) { totalCount } }', token=admin)
    assert r.ok()["houses"]["totalCount"] == 0  # % is matched literally


async def test_floor_plan(client, world):
    admin = await login(client, world["mine"].admin_username)
    tree = (await gql(client, TREE, {"id": encode_id("Estate", world["estate"])}, token=admin)).ok()["estate"]
    plan = (await gql(client, 'query($id: ID!) { building(id: $id) { floorPlan { units floors { floor houses { unit roomNumber } } } } }',
                      {"id": tree["buildings"][0]["id"]}, token=admin)).ok()["building"]["floorPlan"]
    assert plan["units"] == ["1单元", "2单元"]
    assert [f["floor"] for f in plan["floors"]] == [3, 2, 1, -1]
    top = plan["floors"][0]["houses"]
    assert [(h["unit"], h["roomNumber"]) for h in top] == [("1单元", "301"), ("1单元", "302"), ("2单元", "301"), ("2单元", "302")]


async def test_malformed_ids(client, world):
    admin = await login(client, world["mine"].admin_username)
    for gid in ["", "garbage", "RXN0YXRlOi0x", "RXN0YXRlOjE5OTk5OTk5OTk5OTk5OTk5OTk5", encode_id("Estate", 999)]:
        r = await gql(client, "query($id: ID!) { estate(id: $id) { name } node(id: $id) { id } }", {"id": gid}, token=admin)
        assert r.ok() == {"estate": None, "node": None}
    # An id of another type names nothing for estate(), though node() finds the building.
    building_gid = encode_id("Building", 1)
    r = await gql(client, "query($id: ID!) { estate(id: $id) { name } node(id: $id) { __typename } }", {"id": building_gid}, token=admin)
    assert r.ok() == {"estate": None, "node": {"__typename": "Building"}}


async def test_loads_on_asyncpg_give_what_sqlalchemy_gives(session, world):
    """The tree's loaders read on asyncpg directly (services/batches.DriverQuery); a session reads
    through SQLAlchemy. Both give the same records, field by field and type by type (an enum
    member, not its text; a Decimal with its places; None where the column is NULL)."""
    from core.db import get_reader
    from services.tree import read as tree_read

    async def both(fn, keys):
        by_session = await fn(session, keys)
        async with get_reader().connect() as connection:
            on_driver = await fn(connection, keys)
        return by_session, on_driver

    def typed(record):
        return None if record is None else [(type(getattr(record, f)), getattr(record, f)) for f in record.__dataclass_fields__]

    estate = world["estate"]
    buildings = (await tree_read.buildings_by_estate(session, [estate]))[0]
    houses = [h for group in await tree_read.houses_by_building(session, [b.id for b in buildings]) for h in group]
    assert len(buildings) == 2 and len(houses) == 32
    await session.execute(update(House).where(House.id == houses[0].id).values(inner_area=None, unit=None))
    await session.commit()
    house_ids = [h.id for h in houses] + [10 ** 12]  # and an id with no row
    for fn, keys in [
        (tree_read.estates_by_id, [estate, world["other"], 10 ** 12]),
        (tree_read.buildings_by_id, [b.id for b in buildings] + [10 ** 12]),
        (tree_read.buildings_by_estate, [estate, world["other"]]),
        (tree_read.houses_by_id, house_ids),
        (tree_read.houses_by_building, [b.id for b in buildings]),
        (tree_read.owners_by_house, house_ids),
    ]:
        by_session, on_driver = await both(fn, keys)
        assert any(by_session), fn
        flat = lambda result: [typed(r) for r in result] if not result or not isinstance(result[0], list) \
            else [[typed(r) for r in group] for group in result]
        assert flat(on_driver) == flat(by_session), fn


async def test_a_tree_read_on_connections_postgresql_closed_is_one_outage(client, world):
    """The tree's loaders read on asyncpg directly. When PostgreSQL has closed the pool's
    connections (a restart, an administrator), the read that meets one is an outage (try again)
    and the pool replaces them all, as SQLAlchemy does on its own reads: the next request reads."""
    import asyncio

    from sqlalchemy import text

    from core.db import get_reader
    from core.outage import OUTAGE_MESSAGE
    from services.token_cache import cache

    token = await login(client, world["mine"].admin_username)
    await cache.listening()
    query = "query($id: ID!) { estate(id: $id) { name buildings { houses { code owners { name } } } } }"
    variables = {"id": encode_id("Estate", world["estate"])}
    expected = (await gql(client, query, variables, token=token)).ok()

    async def hold() -> None:
        async with get_reader().connect() as connection:
            await connection.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(hold() for _ in range(4)))  # four idle connections in the pool
    async with get_reader().connect() as killer:
        killed = (await killer.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'wxfund' AND pid <> pg_backend_pid()"))).scalar()
    assert killed >= 3
    outage = await gql(client, query, variables, token=token)
    assert [(e["extensions"]["code"], e["message"]) for e in outage.errors] == [("INTERNAL", OUTAGE_MESSAGE)], outage
    assert (await gql(client, query, variables, token=token)).ok() == expected
