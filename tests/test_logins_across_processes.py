"""Logins across real API processes (issues 11 and 12): a logout, password change, deactivation or
role change made on one process holds at once on another that has the token in its cache, and
ends the live subscriptions of the logins it ends there; a process that cannot reach Redis
serves nothing from its cache, so it still sees every change."""

import asyncio
import json

import httpx
import websockets

from models.enums import Role
from tests.factories import make_org, make_user
from tests.processes import free_port, running, start_api
from tests.test_multiprocess import login_http
from tests.test_subscriptions import JOB, _queued_job

ME = "{ me { name roles } }"
# Entries would outlive the test: only the invalidation, never the expiry, can end them.
LONG_CACHE = {"TOKEN_CACHE_SECONDS": "3600"}


async def _gql(client, base, query, variables=None, token=None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (await client.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers)).json()


def _code(body: dict) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def _token_checks(client, base) -> dict[str, float]:
    """The process's token_checks_total by source (cache, database)."""
    checks = {"cache": 0.0, "database": 0.0}
    for line in (await client.get(f"{base}/metrics")).text.splitlines():
        for source in checks:
            if line.startswith(f'token_checks_total{{source="{source}"}}'):
                checks[source] = float(line.split()[-1])
    return checks


async def test_changes_on_one_process_hold_at_once_on_another(session):
    org = await make_org(session)
    names = ("op-logout", "op-password", "op-deactivated", "op-roles")
    for name in names:
        await make_user(session, name, [Role.ESTATE_OPERATOR], organization_id=org.org_id)
    job = await _queued_job(session, org.org_id)
    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with running(start_api(port_a, **LONG_CACHE), start_api(port_b, **LONG_CACHE)):
        async with httpx.AsyncClient(timeout=30) as client:
            admin = await login_http(client, a, org.admin_username)
            tokens = {name: await login_http(client, a, name) for name in names}
            changer = await login_http(client, a, "op-password")  # another login of op-password
            users = (await _gql(client, a, "{ me { organization { users { id username } } } }", token=admin))
            ids = {u["username"]: u["id"] for u in users["data"]["me"]["organization"]["users"]}

            before = await _token_checks(client, b)
            for token in tokens.values():
                for _ in range(2):
                    assert (await _gql(client, b, ME, token=token))["data"]["me"]["roles"] == ["ESTATE_OPERATOR"]
            after = await _token_checks(client, b)
            assert after["cache"] - before["cache"] == len(names)  # each second check came from B's cache

            async with websockets.connect(f"ws://127.0.0.1:{port_b}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tokens['op-logout']}"}}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": JOB, "variables": {"id": job}}}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 30))["payload"]["data"]["jobUpdated"]["status"] == "QUEUED"

                # Every change is made on A.
                assert (await _gql(client, a, "mutation { logout }", token=tokens["op-logout"]))["data"]["logout"] is True
                changed = await _gql(client, a, 'mutation { changePassword(oldPassword: "Passw0rd-test", newPassword: "Newpass-2026") }',
                                     token=changer)
                assert changed["data"]["changePassword"] is True, changed
                assert not (await _gql(client, a, "mutation($id: ID!) { deactivateUser(id: $id) { status } }",
                                       {"id": ids["op-deactivated"]}, token=admin)).get("errors")
                assert not (await _gql(client, a, "mutation($id: ID!, $input: UpdateOrgUserInput!) { updateOrgUser(id: $id, input: $input) { id } }",
                                       {"id": ids["op-roles"], "input": {"roles": ["PAYMENT_OPERATOR"]}}, token=admin)).get("errors")

                # The subscription on B ends, and the socket closes.
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
                assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", message
                try:
                    while json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "complete":
                        pass
                except websockets.ConnectionClosed as closed:
                    assert closed.rcvd is not None and closed.rcvd.code == 4401
                else:
                    raise AssertionError("the socket stayed open")

            # B's cached answers are gone.
            for name in ("op-logout", "op-password", "op-deactivated"):
                assert _code(await _gql(client, b, ME, token=tokens[name])) == "UNAUTHENTICATED", name
            assert (await _gql(client, b, ME, token=tokens["op-roles"]))["data"]["me"]["roles"] == ["PAYMENT_OPERATOR"]
            assert (await _gql(client, b, ME, token=changer))["data"]["me"]  # the login that changed the password stays


async def test_a_process_that_cannot_reach_redis_reads_every_token_from_the_database(session, tmp_path):
    org = await make_org(session)
    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with running(start_api(port_a), start_api(port_b, REDIS_URL=f"unix://{tmp_path}/no-redis.sock", **LONG_CACHE)):
        async with httpx.AsyncClient(timeout=30) as client:
            token = await login_http(client, a, org.admin_username)
            for _ in range(2):
                assert (await _gql(client, b, ME, token=token))["data"]["me"]
            assert await _token_checks(client, b) == {"cache": 0.0, "database": 2.0}
            assert (await _gql(client, a, "mutation { logout }", token=token))["data"]["logout"] is True
            assert _code(await _gql(client, b, ME, token=token)) == "UNAUTHENTICATED"
