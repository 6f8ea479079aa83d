"""机构用户管理 org user management: add, edit, deactivate (注销) and re-activate (激活) the
users of one's own organisation; the last active org admin stays. System admins create clerk,
bank and admin accounts."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import security
from core.errors import Conflict, Forbidden, LastAdmin, NotFound, ValidationFailed
from models import Bank, User
from models.enums import ORG_ROLES, Role, UserStatus
from services import audit
from services.access import Viewer
from services.auth import revoke_all_sessions, sessions_changed
from services.records import UserRecord
from services.pagination import Page, keyset_page, like_pattern
from services.validators import as_typed, normalise, password_problem, valid_mobile, valid_username

USER_FIELDS = ("username", "name", "phone", "status", "roles")


def _check_username(username: str) -> str:
    value = valid_username(username)
    if value is None:
        raise ValidationFailed("用户名应以字母开头，由 3 至 50 位字母、数字、下划线、点或横线组成", field="input.username")
    return value


def _check_name(name: str) -> str:
    value = as_typed(name)
    if not value or len(value) > 50:
        raise ValidationFailed("姓名不能为空且不超过 50 个字", field="input.name")
    return value


def _check_phone(phone: str | None) -> str | None:
    if phone is None or not normalise(phone):
        return None
    value = valid_mobile(phone)
    if value is None:
        raise ValidationFailed("手机号码不正确", field="input.phone")
    return value


def _check_password(password: str, username: str) -> str:
    if problem := password_problem(password, username):
        raise ValidationFailed(problem, field="input.password")
    return password


def _check_org_roles(roles: list[Role]) -> list[str]:
    if not roles:
        raise ValidationFailed("请至少选择一个角色", field="input.roles")
    if any(r not in ORG_ROLES for r in roles):
        raise Forbidden("机构管理员只能授予机构管理员、物业区域经办、交款经办角色")
    return sorted({r.value for r in roles})


async def _username_free(session: AsyncSession, username: str) -> None:
    if await session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict("用户名已被使用", field="input.username")


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("用户名已被使用", field="input.username") from exc


async def get_manageable_user(session: AsyncSession, viewer: Viewer, user_id: int | None, *, lock: bool = False) -> User:
    """A user the viewer may manage: one of its own organisation for an org admin, anyone for
    a system admin. Anything else is NOT_FOUND, never a hint that it exists. With lock, every
    user of the organisation is locked in id order (always the same order, so two admins
    acting on each other at once queue instead of deadlocking)."""
    if user_id is None:
        raise NotFound("用户不存在")
    query = select(User.organization_id).where(User.id == user_id)
    if Role.ADMIN not in viewer.roles:
        query = query.where(User.organization_id == viewer.organization_id)
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFound("用户不存在")
    if lock and found.organization_id is not None:
        await session.execute(
            select(User.id).where(User.organization_id == found.organization_id).order_by(User.id).with_for_update()
        )
    user = await session.scalar(select(User).where(User.id == user_id).with_for_update() if lock else select(User).where(User.id == user_id))
    if user is None:
        raise NotFound("用户不存在")
    return user


async def _ensure_another_admin(session: AsyncSession, user: User) -> None:
    """LAST_ADMIN unless another active org admin remains (the caller holds the organisation's
    user locks, see get_manageable_user)."""
    if user.organization_id is None:
        return
    others = await session.scalar(
        select(func.count()).select_from(User).where(
            User.organization_id == user.organization_id, User.id != user.id, User.status == UserStatus.ACTIVE,
            User.roles.any(Role.ORG_ADMIN.value),
        )
    )
    if not others:
        raise LastAdmin("这是本机构最后一个有效的机构管理员，不能注销或撤销其管理员角色")


async def create_org_user(session: AsyncSession, viewer: Viewer, *, username: str, password: str, name: str,
                          phone: str | None, roles: list[Role]) -> User:
    user = User(
        username=_check_username(username), name=_check_name(name), phone=_check_phone(phone),
        roles=_check_org_roles(roles), organization_id=viewer.organization_id, status=UserStatus.ACTIVE,
        password_hash="",
    )
    _check_password(password, user.username)
    await _username_free(session, user.username)
    user.password_hash = await security.hash_password(password)
    session.add(user)
    await session.flush()
    audit.record(session, actor=viewer, action="user.create", entity_type="User", entity_id=user.id,
                 organization_id=user.organization_id, after=audit.snapshot(user, USER_FIELDS))
    await _commit(session)
    return user


async def update_org_user(session: AsyncSession, viewer: Viewer, user_id: int | None, *, name: str | None,
                          phone: str | None, roles: list[Role] | None, password: str | None) -> User:
    user = await get_manageable_user(session, viewer, user_id, lock=True)
    before = audit.snapshot(user, USER_FIELDS)
    if name is not None:
        user.name = _check_name(name)
    if phone is not None:
        user.phone = _check_phone(phone)
    if roles is not None:
        new_roles = _check_org_roles(roles) if user.organization_id is not None else _check_staff_roles(roles)
        if (Role.BANK.value in new_roles) != (user.bank_id is not None):
            raise ValidationFailed("银行账号与其他账号的角色不能互换", field="input.roles")
        if Role.ORG_ADMIN.value in user.roles and Role.ORG_ADMIN.value not in new_roles:
            await _ensure_another_admin(session, user)
        if Role.ADMIN.value in user.roles and Role.ADMIN.value not in new_roles:
            await _ensure_another_system_admin(session, user)
        user.roles = new_roles
    if password is not None:
        user.password_hash = await security.hash_password(_check_password(password, user.username))
        await revoke_all_sessions(session, user.id)
    audit.record(session, actor=viewer, action="user.update", entity_type="User", entity_id=user.id,
                 organization_id=user.organization_id, before=before,
                 after={**audit.snapshot(user, USER_FIELDS), "passwordChanged": password is not None})
    await _commit(session)
    # New roles must hold at once on every process; a new password ends the user's logins.
    await sessions_changed(user.id)
    return user


async def set_status(session: AsyncSession, viewer: Viewer, user_id: int | None, status: UserStatus) -> User:
    """注销 / 激活. Deactivation revokes every token of the user at once."""
    user = await get_manageable_user(session, viewer, user_id, lock=True)
    if user.status != status:
        if status == UserStatus.DEACTIVATED:
            if Role.ORG_ADMIN.value in user.roles:
                await _ensure_another_admin(session, user)
            if Role.ADMIN.value in user.roles:
                await _ensure_another_system_admin(session, user)
            await revoke_all_sessions(session, user.id)
        before = audit.snapshot(user, USER_FIELDS)
        user.status = status
        audit.record(session, actor=viewer, action=f"user.{status.value.lower()}", entity_type="User",
                     entity_id=user.id, organization_id=user.organization_id, before=before,
                     after=audit.snapshot(user, USER_FIELDS))
    await session.commit()
    # Cached tokens and live subscriptions of a deactivated user end at once, on every process.
    await sessions_changed(user.id)
    return user


STAFF_ROLES = frozenset({Role.CLERK, Role.BANK, Role.ADMIN})


def _check_staff_roles(roles: list[Role]) -> list[str]:
    """Fund-office staff (CLERK, ADMIN, or both) or a bank's integration account (BANK alone)."""
    wanted = set(roles)
    if not wanted:
        raise ValidationFailed("请至少选择一个角色", field="input.roles")
    if not wanted <= STAFF_ROLES:
        raise ValidationFailed("只能创建受理/审核、银行或系统管理员账号；机构用户由其机构管理员添加", field="input.roles")
    if Role.BANK in wanted and len(wanted) > 1:
        raise ValidationFailed("银行账号不能兼有其他角色", field="input.roles")
    return sorted(r.value for r in wanted)


async def _ensure_another_system_admin(session: AsyncSession, user: User) -> None:
    """LAST_ADMIN unless another active system admin (ADMIN) remains. Every admin row is locked
    in id order first, so two admins deactivating each other at once queue up."""
    admins = (await session.execute(
        select(User.id, User.status).where(User.roles.any(Role.ADMIN.value)).order_by(User.id).with_for_update()
    )).all()
    if not any(a.id != user.id and a.status == UserStatus.ACTIVE for a in admins):
        raise LastAdmin("这是最后一个有效的系统管理员，不能注销或撤销其系统管理员角色")


async def create_staff_user(session: AsyncSession, *, username: str, password: str, name: str, roles: list[Role],
                            phone: str | None = None, bank_id: int | None = None,
                            actor: Viewer | None = None) -> User:
    """Clerk, bank and admin accounts (createStaffUser, the CLI and the demo data). A BANK user
    belongs to one bank; nobody else does."""
    role_values = _check_staff_roles(roles)
    if Role.BANK.value in role_values:
        if bank_id is None or await session.get(Bank, bank_id) is None:
            raise NotFound("银行不存在", field="input.bankId")
    elif bank_id is not None:
        raise ValidationFailed("只有银行账号属于某家银行", field="input.bankId")
    user = User(username=_check_username(username), name=_check_name(name), phone=_check_phone(phone),
                roles=role_values, bank_id=bank_id, status=UserStatus.ACTIVE, password_hash="")
    _check_password(password, user.username)
    await _username_free(session, user.username)
    user.password_hash = await security.hash_password(password)
    session.add(user)
    await session.flush()
    audit.record(session, actor=actor, action="user.create", entity_type="User", entity_id=user.id,
                 after={**audit.snapshot(user, USER_FIELDS), "bankId": bank_id})
    await _commit(session)
    return user


async def bank_id_by_code(session: AsyncSession, code: str | None) -> int | None:
    if code is None:
        return None
    bank_id = await session.scalar(select(Bank.id).where(Bank.code == code))
    if bank_id is None:
        raise NotFound("银行不存在", field="bank")
    return bank_id


async def users_page(session: AsyncSession, *, first: int | None, after: str | None, role: Role | None = None,
                     status: UserStatus | None = None, organization_id: int | None = None,
                     search: str | None = None) -> Page:
    """Every user of the platform, for a system admin (Query.users), keyset-paginated by id."""
    query = select(*(User.__table__.c[c] for c in UserRecord.columns))
    if role is not None:
        query = query.where(User.roles.any(role.value))
    if status is not None:
        query = query.where(User.status == status)
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    if search and search.strip():
        pattern = like_pattern(search)
        query = query.where(or_(User.username.ilike(pattern), User.name.ilike(pattern)))
    return await keyset_page(session, query, User.id, UserRecord, first=first, after=after)
