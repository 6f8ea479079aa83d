"""Log-in sessions, org user management (机构用户管理) and the last-admin rule, through HTTP."""

import asyncio
import dataclasses

import pytest
from sqlalchemy import select

from core.ids import encode_id
from models import AuditEvent, User, UserSession
from models.enums import Role
from tests.api import gql
from tests.factories import PASSWORD, login, make_org, make_user

CREATE = """mutation($input: CreateOrgUserInput!) { createOrgUser(input: $input) { id username name phone status roles organization { id } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateOrgUserInput!) { updateOrgUser(id: $id, input: $input) { id name phone roles } }"""
DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) { id status } }"
ACTIVATE = "mutation($id: ID!) { activateUser(id: $id) { id status } }"
ME = "{ me { username roles } }"


def new_user(**overrides):
    data = {"username": "jingban1", "password": "Jingban-2026", "name": "黄经办", "phone": "13912345678",
            "roles": ["ESTATE_OPERATOR"]}
    data.update(overrides)
    return {"input": data}


async def test_login_logout_and_me(client, session):
    org = await make_org(session)
    r = await gql(client, 'mutation { login(username: "%s", password: "%s") { token expiresAt user { username } } }'
                  % (org.admin_username.upper(), PASSWORD))  # usernames are case-insensitive
    token = r.ok()["login"]["token"]
    assert (await gql(client, ME, token=token)).ok()["me"]["username"] == org.admin_username
    assert (await gql(client, ME)).ok()["me"] is None  # no token: nobody
    stored = await session.scalar(select(UserSession.token_hash))
    assert stored != token.encode() and len(stored) == 32  # only a hash is kept
    assert (await gql(client, "mutation { logout }", token=token)).ok()["logout"] is True
    assert (await gql(client, ME, token=token)).code == "UNAUTHENTICATED"
    assert (await gql(client, ME, token="not-a-token")).code == "UNAUTHENTICATED"


async def test_wrong_password_is_unauthenticated_then_rate_limited(client, session, monkeypatch):
    from core.config import get_settings

    org = await make_org(session)
    strict = dataclasses.replace(get_settings(), login_slow_after=2, login_block_after=4)
    monkeypatch.setattr("services.auth.get_settings", lambda: strict)
    for _ in range(4):
        r = await gql(client, 'mutation { login(username: "%s", password: "wrong-1") { token } }' % org.admin_username)
        assert r.code == "UNAUTHENTICATED"
    r = await gql(client, 'mutation { login(username: "%s", password: "%s") { token } }' % (org.admin_username, PASSWORD))
    assert r.code == "RATE_LIMITED"
    assert r.errors[0]["extensions"]["retryAfter"] > 0
    # The refusal is of the client address; the owner, from another address, still logs in
    # (tests/test_hardening_api.py has the details).
    from server.asgi import app
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)),
                                 base_url="http://test") as elsewhere:
        assert await login(elsewhere, org.admin_username)


async def test_change_password_ends_other_sessions(client, session):
    org = await make_org(session)
    first = await login(client, org.admin_username)
    second = await login(client, org.admin_username)
    bad = await gql(client, 'mutation { changePassword(oldPassword: "nope", newPassword: "Newpass-2026") }', token=first)
    assert bad.code == "VALIDATION_FAILED" and bad.errors[0]["extensions"]["field"] == "oldPassword"
    weak = await gql(client, 'mutation { changePassword(oldPassword: "%s", newPassword: "weak") }' % PASSWORD, token=first)
    assert weak.code == "VALIDATION_FAILED" and weak.errors[0]["extensions"]["field"] == "newPassword"
    ok = await gql(client, 'mutation { changePassword(oldPassword: "%s", newPassword: "Newpass-2026") }' % PASSWORD, token=first)
    assert ok.ok()["changePassword"] is True
    assert (await gql(client, ME, token=first)).ok()["me"]
    assert (await gql(client, ME, token=second)).code == "UNAUTHENTICATED"
    assert await login(client, org.admin_username, "Newpass-2026")


async def test_org_admin_manages_users(client, session):
    org = await make_org(session)
    token = await login(client, org.admin_username)
    created = (await gql(client, CREATE, new_user(), token=token)).ok()["createOrgUser"]
    assert created["status"] == "ACTIVE" and created["roles"] == ["ESTATE_OPERATOR"]
    assert created["organization"]["id"] == encode_id("Organization", org.org_id)

    operator = await login(client, "jingban1", "Jingban-2026")
    updated = (await gql(client, UPDATE, {"id": created["id"], "input": {"name": "黄二", "roles": ["ESTATE_OPERATOR", "PAYMENT_OPERATOR"]}},
                         token=token)).ok()["updateOrgUser"]
    assert updated["name"] == "黄二" and sorted(updated["roles"]) == ["ESTATE_OPERATOR", "PAYMENT_OPERATOR"]

    users = (await gql(client, "{ me { organization { users { username status } } } }", token=token)).ok()
    assert {u["username"] for u in users["me"]["organization"]["users"]} == {org.admin_username, "jingban1"}

    # 注销: refused at once, and the login no longer works; 激活 restores it.
    assert (await gql(client, DEACTIVATE, {"id": created["id"]}, token=token)).ok()["deactivateUser"]["status"] == "DEACTIVATED"
    assert (await gql(client, ME, token=operator)).code == "UNAUTHENTICATED"
    again = await gql(client, 'mutation { login(username: "jingban1", password: "Jingban-2026") { token } }')
    assert again.code == "UNAUTHENTICATED"
    assert (await gql(client, ACTIVATE, {"id": created["id"]}, token=token)).ok()["activateUser"]["status"] == "ACTIVE"
    assert await login(client, "jingban1", "Jingban-2026")

    actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["user.create", "user.update", "user.deactivated", "user.active"]


@pytest.mark.parametrize("overrides, code, field", [
    ({"phone": "12345678901"}, "VALIDATION_FAILED", "input.phone"),
    ({"password": "short"}, "VALIDATION_FAILED", "input.password"),
    ({"roles": []}, "VALIDATION_FAILED", "input.roles"),
    ({"username": "??"}, "VALIDATION_FAILED", "input.username"),
    ({"roles": ["CLERK"]}, "FORBIDDEN", None),
    ({"roles": ["ADMIN"]}, "FORBIDDEN", None),
    ({"roles": ["NOT_A_ROLE"]}, "VALIDATION_FAILED", None),
])
async def test_bad_org_user_input(client, session, overrides, code, field):
    org = await make_org(session)
    token = await login(client, org.admin_username)
    r = await gql(client, CREATE, new_user(**overrides), token=token)
    assert r.code == code, r
    if field:
        assert r.errors[0]["extensions"]["field"] == field
    assert await session.scalar(select(User.id).where(User.username == new_user(**overrides)["input"]["username"])) is None


async def test_duplicate_username_is_conflict(client, session):
    org = await make_org(session)
    token = await login(client, org.admin_username)
    r = await gql(client, CREATE, new_user(username=org.admin_username.upper()), token=token)
    assert r.code == "CONFLICT" and r.errors[0]["extensions"]["field"] == "input.username"


async def test_last_admin_stays(client, session):
    org = await make_org(session)
    token = await login(client, org.admin_username)
    admin_gid = encode_id("User", org.admin_id)
    assert (await gql(client, DEACTIVATE, {"id": admin_gid}, token=token)).code == "LAST_ADMIN"
    demote = await gql(client, UPDATE, {"id": admin_gid, "input": {"roles": ["ESTATE_OPERATOR"]}}, token=token)
    assert demote.code == "LAST_ADMIN"

    second = (await gql(client, CREATE, new_user(username="admin2", roles=["ORG_ADMIN"]), token=token)).ok()["createOrgUser"]
    token2 = await login(client, "admin2", "Jingban-2026")
    # Two admins deactivating each other at once: exactly one succeeds.
    a, b = await asyncio.gather(
        gql(client, DEACTIVATE, {"id": second["id"]}, token=token),
        gql(client, DEACTIVATE, {"id": admin_gid}, token=token2),
    )
    assert sorted([a.code or "OK", b.code or "OK"]) in (["LAST_ADMIN", "OK"], ["OK", "UNAUTHENTICATED"])
    active_admins = [u for u in await session.scalars(select(User).where(User.organization_id == org.org_id))
                     if u.status.value == "ACTIVE" and Role.ORG_ADMIN.value in u.roles]
    assert len(active_admins) == 1


async def test_operator_cannot_manage_users(client, session):
    org = await make_org(session)
    await make_user(session, "operator1", [Role.ESTATE_OPERATOR], organization_id=org.org_id)
    token = await login(client, "operator1")
    assert (await gql(client, CREATE, new_user(), token=token)).code == "FORBIDDEN"
    assert (await gql(client, DEACTIVATE, {"id": encode_id("User", org.admin_id)}, token=token)).code == "FORBIDDEN"
    r = await gql(client, "{ me { organization { name users { username } } } }", token=token)
    assert r.code == "FORBIDDEN" and r.data["me"]["organization"] is None
    assert (await gql(client, 'mutation { updateOrganization(input: {address: "x"}) { id } }', token=token)).code == "FORBIDDEN"


async def test_unauthenticated_mutations(client):
    assert (await gql(client, CREATE, new_user())).code == "UNAUTHENTICATED"
    assert (await gql(client, "mutation { logout }")).code == "UNAUTHENTICATED"
    assert (await gql(client, "{ banks { code } }")).code == "UNAUTHENTICATED"


async def test_a_checked_token_is_served_from_the_cache_without_sql(client, session):
    """Issue 11: an authenticated request costs no database round trip once its token has been
    checked (the token cache), and `me` comes with the check, not from a second query."""
    from services.token_cache import cache
    from tests.test_tree import count_statements

    org = await make_org(session)
    token = await login(client, org.admin_username)
    await cache.listening()
    with count_statements() as first:
        assert (await gql(client, "{ me { id name username } }", token=token)).ok()["me"]["username"] == org.admin_username
    assert len(first) == 1  # the token and the user in one statement
    with count_statements() as again:
        assert (await gql(client, "{ me { id name username } }", token=token)).ok()["me"]["username"] == org.admin_username
    assert again == []


@pytest.mark.parametrize("change", ["logout", "password of another login", "deactivation", "roles", "name"])
async def test_a_cached_login_follows_every_change_at_once(client, session, change):
    """Whatever ends a login or changes its user clears the token cache: the next request sees it."""
    from services.token_cache import cache

    org = await make_org(session)
    admin = await login(client, org.admin_username)
    created = (await gql(client, CREATE, new_user(), token=admin)).ok()["createOrgUser"]
    operator = await login(client, "jingban1", "Jingban-2026")
    await cache.listening()
    query = "{ me { name roles } }"
    for _ in range(2):  # checked, then served from the cache
        assert (await gql(client, query, token=operator)).ok()["me"] == {"name": "黄经办", "roles": ["ESTATE_OPERATOR"]}
    if change == "logout":
        (await gql(client, "mutation { logout }", token=operator)).ok()
    elif change == "password of another login":
        other = await login(client, "jingban1", "Jingban-2026")
        (await gql(client, 'mutation { changePassword(oldPassword: "Jingban-2026", newPassword: "Newpass-2026") }',
                   token=other)).ok()
    elif change == "deactivation":
        (await gql(client, DEACTIVATE, {"id": created["id"]}, token=admin)).ok()
    elif change == "roles":
        (await gql(client, UPDATE, {"id": created["id"], "input": {"roles": ["PAYMENT_OPERATOR"]}}, token=admin)).ok()
    else:
        (await gql(client, UPDATE, {"id": created["id"], "input": {"name": "黄二"}}, token=admin)).ok()
    after = await gql(client, query, token=operator)
    if change in ("roles", "name"):
        expected = {"name": "黄经办", "roles": ["PAYMENT_OPERATOR"]} if change == "roles" else {"name": "黄二", "roles": ["ESTATE_OPERATOR"]}
        assert after.ok()["me"] == expected
    else:
        assert after.code == "UNAUTHENTICATED"
