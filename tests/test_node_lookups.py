"""`node(id)` of the payment area and of documents answers as the lists do (services/access.py):
a notice and its payment for the notice's organisation, its bank and staff; a deposit standard
for anyone signed in; null for anyone else, never a hint that the record exists."""

import pytest

from core.ids import encode_id
from models.enums import Role
from tests.api import gql
from tests.appflow import make_paying_world, tree
from tests.factories import login, make_bank, make_user

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


@pytest.fixture
async def world(client, session, worker):
    return await make_paying_world(client, session)


async def node(client, gid: str, token: str | None):
    return (await gql(client, NODE, {"id": gid}, token=token)).ok()["node"]


async def test_payment_area_nodes_follow_who_may_see_the_notice(client, session, world):
    building_ids = [b["id"] for b in (await tree(client, world))["buildings"]]
    notice = (await gql(client, "mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { id number total } }",
                        {"ids": building_ids}, token=world.dev)).ok()["issueBuildingNotices"][0]
    payment = (await gql(client, """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id } }""",
                         {"input": {"noticeNumber": notice["number"], "amount": notice["total"], "bankTransactionId": "TX-N1",
                                    "paidAt": "2026-11-27T10:00:00+08:00", "channel": "BANK_COUNTER"}},
                         token=world.bank_token)).ok()["confirmPayment"]
    other_bank = await make_bank(session, "BANK2")
    await make_user(session, "bank2", [Role.BANK], bank_id=other_bank)
    await session.commit()
    stranger_bank = await login(client, "bank2")

    viewers = {"developer": (world.dev, True), "clerk": (world.clerk, True), "the notice's bank": (world.bank_token, True),
               "another developer": (world.rival, False), "another bank": (stranger_bank, False), "anonymous": (None, False)}
    for name, (token, sees) in viewers.items():
        for typename, gid in (("PaymentNotice", notice["id"]), ("Payment", payment["id"])):
            found = await node(client, gid, token)
            assert found == ({"__typename": typename, "id": gid} if sees else None), (name, typename)

    standard = (await gql(client, "{ depositStandards { id } }", token=world.clerk)).ok()["depositStandards"][0]["id"]
    for token in (world.dev, world.rival, stranger_bank):
        assert await node(client, standard, token) == {"__typename": "DepositStandard", "id": standard}
    assert await node(client, standard, None) is None

    # Ids that name nothing: a row that does not exist, and an id of another type read as a payment's.
    assert await node(client, encode_id("Payment", 987654), world.clerk) is None
    assert await node(client, encode_id("Refund", 987654), world.clerk) is None
    assert await node(client, encode_id("DepositStandard", 987654), world.clerk) is None
