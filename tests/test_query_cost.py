"""Query cost before execution: every list field is costed (by its page size, or by a bound
taken from the data such as houses per building), and a query whose result could exceed the
limits is QUERY_TOO_COMPLEX before anything runs; the benchmark's whole-estate tree fits."""

import pytest
from graphql import GraphQLList, GraphQLNonNull, is_object_type

from bench.queries import TREE as BENCH_TREE
from core.ids import encode_id
from tests.api import gql
from tests.factories import login, make_bank, make_estate, make_org
from tests.test_tree import count_statements

NESTED = """query($id: ID!) { house(id: $id) { building { houses { building { houses { building { houses { id } } } } } } } }"""


@pytest.fixture
async def tower(session):
    """One building of 60 houses: the shape of the issue's 216 000-object request."""
    bank = await make_bank(session)
    org = await make_org(session)
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=1, floors=15, units=2,
                               rooms_per_unit=2, sold_ratio=1.0)
    return org, estate


async def test_nested_unpaginated_lists_are_refused_before_they_run(client, tower):
    org, estate = tower
    token = await login(client, org.admin_username)
    tree = (await gql(client, '{ estates { edges { node { buildings { houses { id } } } } } }', token=token)).ok()
    house = tree["estates"]["edges"][0]["node"]["buildings"][0]["houses"][0]["id"]
    assert len(tree["estates"]["edges"][0]["node"]["buildings"][0]["houses"]) == 60
    with count_statements() as statements:
        result = await gql(client, NESTED, {"id": house}, token=token)
    assert result.code == "QUERY_TOO_COMPLEX", str(result)[:300]
    assert result.data is None
    # refused before execution: nothing but the token check and the data bounds ran
    assert not any("FROM houses" in s and "building_id = ANY" in s for s in statements), statements


async def test_a_page_multiplies_the_lists_below_it(client, tower):
    org, estate = tower
    token = await login(client, org.admin_username)
    query = """query($e: ID!, $n: Int) { houses(filter: {estateId: $e}, first: $n) {
                 edges { node { building { houses { building { houses { id } } } } } } } }"""
    # 5 houses × 60 × 60 objects: fine; 100 × 60 × 60: too many, also when the page comes in a variable
    ok = await gql(client, query, {"e": encode_id("Estate", estate), "n": 5}, token=token)
    assert len(ok.ok()["houses"]["edges"]) == 5
    refused = await gql(client, query, {"e": encode_id("Estate", estate), "n": 100}, token=token)
    assert refused.code == "QUERY_TOO_COMPLEX" and refused.data is None


async def test_the_benchmark_tree_of_10000_houses_is_allowed(client, session):
    """bench/data.py: 100 buildings × 100 houses with one owner each, beside a one-building estate
    of 200 houses (the largest building of the database)."""
    bank = await make_bank(session)
    org = await make_org(session)
    big = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=100, floors=25, units=2,
                            rooms_per_unit=2, owners_per_house=1, sold_ratio=1.0)
    await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=1, floors=25, units=4,
                      rooms_per_unit=2, owners_per_house=1, sold_ratio=1.0)
    token = await login(client, org.admin_username)
    estate = (await gql(client, BENCH_TREE, {"id": encode_id("Estate", big)}, token=token)).ok()["estate"]
    assert sum(len(b["houses"]) for b in estate["buildings"]) == 10000


def test_every_list_field_has_a_cost():
    """A new list field without a bound would escape the limit: the table must name it."""
    from schema import schema
    from schema.cost import LIST_BOUNDS

    missing = []
    for type_ in schema._schema.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            t = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(t, GraphQLList) and f"{type_.name}.{name}" not in LIST_BOUNDS:
                missing.append(f"{type_.name}.{name}")
    assert not missing, missing


async def test_lists_that_grew_since_the_bounds_were_read_stop_at_the_result_cap(client, tower):
    """Bounds are kept for a while; a building that grew meanwhile is held by the executor's cap."""
    import time

    from services import query_bounds

    org, estate = tower
    token = await login(client, org.admin_username)
    house = (await gql(client, '{ estates { edges { node { buildings { houses { id } } } } } }', token=token)).ok()
    house = house["estates"]["edges"][0]["node"]["buildings"][0]["houses"][0]["id"]
    query_bounds._cached = (time.monotonic(), {name: 1 for name in query_bounds.STATEMENTS})  # read when it was small
    result = await gql(client, NESTED, {"id": house}, token=token)
    assert result.code == "QUERY_TOO_COMPLEX" and result.data == {"house": None}
