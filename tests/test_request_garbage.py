"""What an operation read goes when the operation ends, by reference counting, not at the next
run of the cyclic garbage collector. graphql-core's executor is a reference cycle (its resolve-info
helpers are its own bound methods) holding the operation's context; when the context still held
the request's DataLoaders, every house and owner an operation read waited in that cycle for the
collector, which then freed 35–45 thousand objects at once every few seconds under bench/load.py:
a 30–70 ms stop of the API's event loop, felt by every request and subscription delivery of
that moment (docs/benchmarks.md, "Delivery: the collector's stops")."""

from __future__ import annotations

import gc

from core.ids import encode_id
from tests.api import gql
from tests.factories import login, make_bank, make_estate, make_org
from tests.test_tree import TREE


def records_alive() -> int:
    return sum(type(o).__name__ in ("HouseRecord", "OwnerRecord") for o in gc.get_objects())


async def test_an_operation_leaves_no_record_for_the_collector(client, session):
    bank = await make_bank(session)
    org = await make_org(session)
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=3, floors=4, units=2,
                               rooms_per_unit=2)
    token = await login(client, org.admin_username)
    (await gql(client, TREE, {"id": encode_id("Estate", estate)}, token=token)).ok()  # warm: caches, pools
    gc.collect()
    before = records_alive()
    gc.disable()
    try:
        tree = (await gql(client, TREE, {"id": encode_id("Estate", estate)}, token=token)).ok()["estate"]
        assert sum(len(b["houses"]) for b in tree["buildings"]) == 3 * 4 * 2 * 2
        left = records_alive() - before
    finally:
        gc.enable()
    assert left <= 0, f"{left} house and owner records are held by reference cycles after the operation"
