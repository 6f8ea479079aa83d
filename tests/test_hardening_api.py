"""Holes of issue 12 at the API's edge, each shown closed through the HTTP endpoint: login
throttling under a burst and per client address, control characters in any string, outages
of PostgreSQL and Redis, security headers, malformed requests, non-ASCII digits, and a
password equal to the username."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
import pytest
from sqlalchemy import func, select

from models import Organization, User
from models.enums import Role
from tests.api import gql
from tests.factories import PASSWORD, credit_code, login, make_bank, make_org, make_user
from tests.processes import free_port, running, start_api
from tests.test_registration import FILES, REGISTER, registration

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
CREATE_USER = "mutation($input: CreateOrgUserInput!) { createOrgUser(input: $input) { id phone } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def login_limits(monkeypatch):
    """Small limits: a username is slowed only after many failures (so tests do not sleep), an
    address is refused after 10."""
    from core.config import get_settings

    def apply(**limits):
        strict = dataclasses.replace(get_settings(), **{"login_slow_after": 100, "login_block_after": 10, **limits})
        monkeypatch.setattr("services.auth.get_settings", lambda: strict)
        return strict

    return apply


def client_from(address: str) -> httpx.AsyncClient:
    from server.asgi import app

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://test")


# 1. A burst of logins reserves its attempts one by one.

async def test_a_burst_of_wrong_logins_checks_no_more_than_the_limit(client, session, login_limits):
    login_limits(login_block_after=10)
    org = await make_org(session)
    results = await asyncio.gather(*[gql(client, LOGIN, {"u": org.admin_username, "p": "wrong-pass-1"})
                                     for _ in range(18)])
    codes = sorted(r.code for r in results)
    assert codes == ["RATE_LIMITED"] * 8 + ["UNAUTHENTICATED"] * 10, codes
    limited = next(r for r in results if r.code == "RATE_LIMITED")
    assert limited.errors[0]["extensions"]["retryAfter"] > 0


async def test_a_successful_login_does_not_use_up_the_allowance(client, session, login_limits):
    login_limits(login_block_after=3)
    org = await make_org(session)
    for _ in range(5):
        assert await login(client, org.admin_username)
    for _ in range(3):
        assert (await gql(client, LOGIN, {"u": org.admin_username, "p": "wrong-pass-1"})).code == "UNAUTHENTICATED"
    assert (await gql(client, LOGIN, {"u": org.admin_username, "p": PASSWORD})).code == "RATE_LIMITED"


# 13. Failures count per address (refused) and per username (slowed, never shut out).

async def test_an_abusive_address_is_refused_but_the_owner_still_logs_in(session, login_limits):
    login_limits(login_block_after=4, login_slow_after=100)
    clerk = "lin-clerk"
    await make_user(session, clerk, [Role.CLERK])
    async with client_from("203.0.113.7") as attacker, client_from("198.51.100.20") as owner:
        for _ in range(4):
            assert (await gql(attacker, LOGIN, {"u": clerk, "p": "guess-2026"})).code == "UNAUTHENTICATED"
        refused = await gql(attacker, LOGIN, {"u": clerk, "p": PASSWORD})
        assert refused.code == "RATE_LIMITED" and refused.errors[0]["extensions"]["retryAfter"] > 0
        # The address is refused for every username, not only the one it guessed.
        other = await make_org(session)
        assert (await gql(attacker, LOGIN, {"u": other.admin_username, "p": PASSWORD})).code == "RATE_LIMITED"
        # The clerk, from its own address, is not locked out by someone else's guesses.
        assert await login(owner, clerk)


async def test_many_addresses_guessing_one_username_do_not_lock_its_owner_out(session, login_limits):
    login_limits(login_block_after=3, login_slow_after=100)
    await make_user(session, "icbc-bank", [Role.BANK], bank_id=await make_bank(session))
    for n in range(6):
        async with client_from(f"203.0.113.{n + 1}") as guesser:
            for _ in range(2):
                assert (await gql(guesser, LOGIN, {"u": "icbc-bank", "p": "guess-2026"})).code == "UNAUTHENTICATED"
    async with client_from("198.51.100.20") as owner:
        assert await login(owner, "icbc-bank")


async def test_registration_does_not_single_out_staff_usernames_and_counts_conflicts(session, login_limits):
    login_limits(login_block_after=3)
    await make_user(session, "lin-clerk", [Role.CLERK])
    org = await make_org(session)
    async with client_from("203.0.113.9") as prober:
        answers = []
        for n, name in enumerate(["lin-clerk", org.admin_username, "LIN-CLERK"]):
            r = await gql(prober, REGISTER, {"input": registration(creditCode=credit_code(910000 + n), adminUsername=name)},
                          files=FILES)
            answers.append((r.code, r.errors[0]["message"], r.errors[0]["extensions"].get("field")))
        # A staff name and an org user's name get the same answer, which does not say "taken by whom".
        assert len(set(answers)) == 1 and answers[0][0] == "CONFLICT", answers
        assert answers[0][2] == "input.adminUsername"
        # The probing address is then refused, even for a name that is free.
        r = await gql(prober, REGISTER, {"input": registration(creditCode=credit_code(910009), adminUsername="free-name")},
                      files=FILES)
        assert r.code == "RATE_LIMITED" and r.errors[0]["extensions"]["retryAfter"] > 0
    async with client_from("198.51.100.20") as honest:
        (await gql(honest, REGISTER, {"input": registration(creditCode=credit_code(910010))}, files=FILES)).ok()
    assert await session.scalar(select(func.count()).select_from(Organization)) == 2


# 6. Control characters are refused at the input boundary, naming the input.

async def clerk_token(client, session) -> str:
    await make_user(session, "lin-clerk", [Role.CLERK])
    return await login(client, "lin-clerk")


async def test_nul_in_login_is_validation_failed(client):
    r = await gql(client, LOGIN, {"u": "demo\x00clerk", "p": "Demo-2026"})
    assert r.code == "VALIDATION_FAILED", r
    assert r.errors[0]["extensions"]["field"] == "username"
    inline = await gql(client, 'mutation { login(username: "demo", password: "a\\u0000b") { token } }')
    assert inline.code == "VALIDATION_FAILED" and inline.errors[0]["extensions"]["field"] == "password", inline
    in_a_fragment = await gql(client, 'query { ...F } fragment F on Query { organizations(search: "x\\u0007") { totalCount } }')
    assert in_a_fragment.code == "VALIDATION_FAILED" and in_a_fragment.errors[0]["extensions"]["field"] == "search"
    nested = await gql(client, 'mutation { createOrgUser(input: {username: "abc1", password: "Abcd-2026", name: "x\\u0000", '
                               'roles: [ESTATE_OPERATOR]}) { id } }')
    assert nested.code == "VALIDATION_FAILED" and nested.errors[0]["extensions"]["field"] == "input.name", nested


async def test_nul_in_search_names_and_transaction_ids_is_validation_failed(client, session):
    token = await clerk_token(client, session)
    r = await gql(client, "query($s: String) { organizations(search: $s) { totalCount } }", {"s": "置业\x00"}, token=token)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "search", r

    org = await make_org(session)
    admin = await login(client, org.admin_username)
    data = {"username": "jingban1", "password": "Jingban-2026", "name": "黄\x00经办", "phone": "13912345678",
            "roles": ["ESTATE_OPERATOR"]}
    r = await gql(client, CREATE_USER, {"input": data}, token=admin)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.name", r
    r = await gql(client, CREATE_USER, {"input": {**data, "name": "黄经办\n"}}, token=admin)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.name", r
    assert await session.scalar(select(func.count()).select_from(User).where(User.username == "jingban1")) == 0

    bank_id = await make_bank(session)
    await make_user(session, "icbc-bank", [Role.BANK], bank_id=bank_id)
    bank = await login(client, "icbc-bank")
    payment = {"noticeNumber": "JC2026120100001", "amount": "10.00", "bankTransactionId": "TX\x1f01",
               "paidAt": "2026-12-01T09:30:00+08:00", "channel": "BANK_COUNTER"}
    r = await gql(client, "mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id } }",
                  {"input": payment}, token=bank)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.bankTransactionId", r


async def test_free_text_may_span_lines_but_not_carry_nul(client, session):
    token = await clerk_token(client, session)
    reject = "mutation($id: ID!, $c: String!) { rejectApplication(id: $id, comment: $c) { id } }"
    multi_line = await gql(client, reject, {"id": "QXBwbGljYXRpb246OTk5", "c": "第一行\r\n第二行\t附注"}, token=token)
    assert multi_line.code == "NOT_FOUND", multi_line  # past the boundary: only the id is wrong
    nul = await gql(client, reject, {"id": "QXBwbGljYXRpb246OTk5", "c": "第一行\x00"}, token=token)
    assert nul.code == "VALIDATION_FAILED" and nul.errors[0]["extensions"]["field"] == "comment", nul


# 10. Outages of PostgreSQL or Redis answer a coded JSON error.

def closed_url(kind: str) -> str:
    port = free_port()  # nothing listens there
    return f"postgresql://wxfund@127.0.0.1:{port}/wxfund" if kind == "database" else f"redis://127.0.0.1:{port}/0"


def post(port: int, body: dict, *, accept: str, token: str | None = None) -> httpx.Response:
    headers = {"accept": accept, "x-request-id": "outage-test-1"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return httpx.post(f"http://127.0.0.1:{port}/graphql", json=body, headers=headers, timeout=60)


def assert_outage(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    # the media type the client asked for (GraphQL over HTTP)
    assert response.headers["content-type"] == response.request.headers["accept"]
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"] == "outage-test-1"
    assert error["message"] == "服务暂时不可用，请稍后再试"


async def test_a_database_outage_answers_a_coded_error():
    port = free_port()
    with running(start_api(port, DATABASE_URL=closed_url("database"))):
        me = {"query": "{ me { username } }"}
        assert_outage(await asyncio.to_thread(post, port, me, accept=GRAPHQL_RESPONSE, token="some-token"), 503)
        assert_outage(await asyncio.to_thread(post, port, me, accept="application/json", token="some-token"), 500)


async def test_a_redis_outage_answers_a_coded_error_on_login(session):
    org = await make_org(session)
    port = free_port()
    body = {"query": LOGIN, "variables": {"u": org.admin_username, "p": PASSWORD}}
    with running(start_api(port, REDIS_URL=closed_url("redis"))):
        assert_outage(await asyncio.to_thread(post, port, body, accept=GRAPHQL_RESPONSE), 503)
        assert_outage(await asyncio.to_thread(post, port, body, accept="application/json"), 200)


# 12. Security headers.

def assert_common_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_api_answers_carry_security_headers(client):
    response = await client.post("/graphql", json={"query": "{ me { username } }"})
    assert_common_headers(response)
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_graphiql_may_load_only_its_own_assets(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert_common_headers(response)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline or eval'd script, nothing from elsewhere
    assert "http" not in response.headers["content-security-policy"]


async def test_signed_downloads_are_not_stored_by_caches(client):
    payload = (await gql(client, REGISTER, {"input": registration()}, files=FILES)).ok()["registerDeveloper"]
    url = payload["user"]["organization"]["attachments"][0]["url"]
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert_common_headers(response)


# 14. Malformed requests get coded Chinese errors.

def assert_coded(response: httpx.Response, code: str = "VALIDATION_FAILED") -> dict:
    assert response.headers["content-type"].startswith("application/json"), (response.status_code, response.text)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert any("\u4e00" <= c <= "\u9fff" for c in error["message"]), error
    return error


@pytest.mark.parametrize("mapping", ['{"0": "variables.file"}', "[1]", '{"0": ["variables.nowhere.0"]}', "not json",
                                     '{"9": ["variables.file"]}'])
async def test_a_malformed_multipart_map_is_validation_failed(client, mapping):
    operations = json.dumps({"query": "mutation($f: Upload!) { __typename }", "variables": {"file": None}})
    response = await client.post("/graphql", data={"operations": operations, "map": mapping},
                                 files={"0": ("a.pdf", b"%PDF-1.4", "application/pdf")},
                                 headers={"Apollo-Require-Preflight": "true"})
    assert response.status_code == 400
    assert_coded(response)


@pytest.mark.parametrize("body", [{"query": "{ }"}, {"query": "{ me { } }"}, {"query": ""}, {"query": None},
                                  {"query": "{ me { username } }", "variables": "x"}])
async def test_empty_or_malformed_documents_are_validation_failed(client, body):
    assert_coded(await client.post("/graphql", json=body))


async def test_a_subscription_over_http_is_refused_with_a_code(client):
    response = await client.post("/graphql", json={"query": 'subscription { jobUpdated(id: "Sm9iOjE=") { id } }'})
    assert_coded(response)


async def test_two_operations_without_a_name_are_refused(client):
    response = await client.post("/graphql", json={"query": "query A { me { username } } query B { banks { name } }"})
    error = assert_coded(response)
    assert "operationName" in error["message"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
async def test_payments_of_an_extreme_day_are_not_internal(client, session, day):
    token = await clerk_token(client, session)
    r = await gql(client, "query($d: Date!) { payments(date: $d) { totalCount } }", {"d": day}, token=token)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "date", r
    ordinary = await gql(client, "query($d: Date!) { payments(date: $d) { totalCount } }", {"d": "2026-12-01"}, token=token)
    assert ordinary.ok()["payments"]["totalCount"] == 0


# 15. Decimals and phones take plain digits.

@pytest.mark.parametrize("amount", ["１０.５", "\u0661\u0660.50", "1\u00b2"])
async def test_decimals_with_other_digits_are_refused(client, amount):
    payment = {"noticeNumber": "JC2026120100001", "amount": amount, "bankTransactionId": "TX01",
               "paidAt": "2026-12-01T09:30:00+08:00", "channel": "BANK_COUNTER"}
    r = await gql(client, "mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id } }",
                  {"input": payment})
    assert r.code == "VALIDATION_FAILED", r


async def test_phones_take_plain_or_full_width_digits_only(client, session):
    org = await make_org(session)
    admin = await login(client, org.admin_username)
    data = {"username": "jingban1", "password": "Jingban-2026", "name": "黄经办", "roles": ["ESTATE_OPERATOR"]}
    arabic = "13\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"  # 139… in Arabic-Indic after "13"
    r = await gql(client, CREATE_USER, {"input": {**data, "phone": arabic}}, token=admin)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.phone", r
    # Full-width digits are folded (SPEC: phones are NFKC-folded) and stored plain.
    r = await gql(client, CREATE_USER, {"input": {**data, "phone": "１３９１２３４５６７８"}}, token=admin)
    assert r.ok()["createOrgUser"]["phone"] == "13912345678"

    landline = await gql(client, REGISTER, {"input": registration(contactPhone="0750-\u0661\u0662\u0663\u0664\u0665\u0666\u0667")}, files=FILES)
    assert landline.code == "VALIDATION_FAILED" and landline.errors[0]["extensions"]["field"] == "input.contactPhone"


# 16. A password equal to the username is refused.

async def test_a_password_equal_to_the_username_is_refused(client, session):
    r = await gql(client, REGISTER, {"input": registration(adminUsername="xincheng2026", adminPassword="XinCheng2026")},
                  files=FILES)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.adminPassword", r

    org = await make_org(session)
    admin = await login(client, org.admin_username)
    data = {"username": "jingban1", "password": "jingban1", "name": "黄经办", "phone": "13912345678",
            "roles": ["ESTATE_OPERATOR"]}
    r = await gql(client, CREATE_USER, {"input": data}, token=admin)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.password", r

    await make_user(session, "lin2026x", [Role.CLERK])
    clerk = await login(client, "lin2026x")
    r = await gql(client, "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }",
                  {"o": PASSWORD, "n": "LIN2026X"}, token=clerk)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "newPassword", r


async def test_control_characters_in_an_uploaded_file_name_are_replaced(client, session):
    files = dict(FILES)
    files["variables.input.attachments.0.file"] = ("licence\x1b\x1b.pdf", FILES["variables.input.attachments.0.file"][1],
                                                   "application/pdf")
    payload = (await gql(client, REGISTER, {"input": registration()}, files=files)).ok()["registerDeveloper"]
    names = [a["filename"] for a in payload["user"]["organization"]["attachments"]]
    assert names[0] == "licence__.pdf", names


async def test_a_typed_username_cannot_reach_an_address_counter(session, login_limits):
    login_limits(login_block_after=2, login_slow_after=100)
    await make_user(session, "lin-clerk", [Role.CLERK])
    for n in range(3):  # from three addresses, each under its own limit
        async with client_from(f"203.0.113.{60 + n}") as each:
            await gql(each, LOGIN, {"u": "address:198.51.100.20", "p": "guess-2026"})
    async with client_from("198.51.100.20") as victim:
        assert await login(victim, "lin-clerk")
