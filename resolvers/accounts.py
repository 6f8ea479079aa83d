"""Resolvers of accounts and organisations: permission, then a service call, then a record."""

from __future__ import annotations

from core.errors import Forbidden, NotFound, Unauthenticated
from core.ids import decode_id
from models.enums import Role, UserStatus
from services import auth, organizations, users
from services.payments import banks
from services.access import require_role, require_viewer
from services.records import BankRecord, OrganizationRecord, UserRecord, from_model


def me(info):
    """Null without a token; a token that is unknown, expired, revoked or of a deactivated
    user is refused with UNAUTHENTICATED, so a client knows to log in again. The user was read
    with the token (or comes from the token cache): no await, no query."""
    ctx = info.context
    if ctx.viewer is None:
        if ctx.token_rejected:
            raise Unauthenticated()
        return None
    return ctx.viewer_user if ctx.viewer_user is not None else ctx.loaders.user_by_id.load(ctx.viewer.user_id)


def _signed_in(info, result):
    """The payload is read as the user just signed in (its organisation's registration files
    after registerDeveloper, say), as the next request with the token will be."""
    info.context.viewer = auth.viewer_of(result.user)
    return result.token, result.expires_at, from_model(UserRecord, result.user)


async def login(info, *, username: str, password: str):
    async with info.context.sessions() as session:
        result = await auth.login(session, username=username, password=password, address=info.context.client_address)
    return _signed_in(info, result)


async def logout(info) -> bool:
    viewer = require_viewer(info.context.viewer)
    async with info.context.sessions() as session:
        await auth.logout(session, viewer)
    return True


async def change_password(info, *, old_password: str, new_password: str) -> bool:
    viewer = require_viewer(info.context.viewer)
    async with info.context.sessions() as session:
        await auth.change_password(session, viewer, old_password=old_password, new_password=new_password)
    return True


async def register_developer(info, data: organizations.Registration):
    async with info.context.sessions() as session:
        result = await organizations.register_developer(session, data, address=info.context.client_address)
    return _signed_in(info, result)


async def update_organization(info, changes: dict):
    viewer = require_role(info.context.viewer, Role.ORG_ADMIN)
    async with info.context.sessions() as session:
        org = await organizations.update_organization(session, viewer, changes)
    return from_model(OrganizationRecord, org)


async def mark_materials_verified(info, organization_id: str):
    viewer = require_role(info.context.viewer, Role.CLERK)
    pk = decode_id(organization_id, "Organization")
    if pk is None:
        raise NotFound("机构不存在", field="organizationId")
    async with info.context.sessions() as session:
        org = await organizations.mark_materials_verified(session, viewer, pk)
    return from_model(OrganizationRecord, org)


async def create_org_user(info, *, username, password, name, phone, roles):
    viewer = require_role(info.context.viewer, Role.ORG_ADMIN)
    async with info.context.sessions() as session:
        user = await users.create_org_user(session, viewer, username=username, password=password, name=name,
                                           phone=phone, roles=roles)
    return from_model(UserRecord, user)


async def update_org_user(info, gid: str, *, name, phone, roles, password):
    viewer = require_role(info.context.viewer, Role.ORG_ADMIN, Role.ADMIN)
    async with info.context.sessions() as session:
        user = await users.update_org_user(session, viewer, decode_id(gid, "User"), name=name, phone=phone,
                                           roles=roles, password=password)
    return from_model(UserRecord, user)


async def set_user_status(info, gid: str, status: UserStatus):
    viewer = require_role(info.context.viewer, Role.ORG_ADMIN, Role.ADMIN)
    async with info.context.sessions() as session:
        user = await users.set_status(session, viewer, decode_id(gid, "User"), status)
    return from_model(UserRecord, user)


# ---------------------------------------------------------------- administration (ADMIN)

def _bank_data(input) -> banks.BankData:
    return banks.BankData(code=input.code, name=input.name, account_name=input.account_name,
                          account_number=input.account_number, is_default=input.is_default)


async def create_bank(info, input):
    viewer = require_role(info.context.viewer, Role.ADMIN)
    async with info.context.sessions() as session:
        bank = await banks.create_bank(session, viewer, _bank_data(input))
    return from_model(BankRecord, bank)


async def update_bank(info, gid: str, input):
    viewer = require_role(info.context.viewer, Role.ADMIN)
    async with info.context.sessions() as session:
        bank = await banks.update_bank(session, viewer, decode_id(gid, "Bank"), _bank_data(input))
    return from_model(BankRecord, bank)


async def create_staff_user(info, input):
    viewer = require_role(info.context.viewer, Role.ADMIN)
    bank_id = None
    if input.bank_id is not None:
        bank_id = decode_id(input.bank_id, "Bank")
        if bank_id is None:
            raise NotFound("银行不存在", field="input.bankId")
    async with info.context.sessions() as session:
        user = await users.create_staff_user(session, username=input.username, password=input.password,
                                             name=input.name, phone=input.phone, roles=list(input.roles),
                                             bank_id=bank_id, actor=viewer)
    return from_model(UserRecord, user)


async def all_users(info, *, filter, first: int | None, after: str | None):
    require_role(info.context.viewer, Role.ADMIN)
    organization_id = None
    if filter is not None and filter.organization_id is not None:
        organization_id = decode_id(filter.organization_id, "Organization")
        if organization_id is None:
            raise NotFound("机构不存在", field="filter.organizationId")
    async with info.context.sessions() as session:
        return await users.users_page(
            session, first=first, after=after, organization_id=organization_id,
            role=None if filter is None else filter.role, status=None if filter is None else filter.status,
            search=None if filter is None else filter.search)


async def history(info, loader, key: int, *, organization_id: int):
    """Organization.history / Estate.history: for the organisation's own users, clerks and admins."""
    viewer = require_viewer(info.context.viewer)
    if not viewer.can_see_org(organization_id):
        raise Forbidden()
    return await loader.load(key)
