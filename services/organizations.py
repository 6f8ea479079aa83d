"""开发建设单位注册 developer registration, 信息变更 organisation info change (immediate,
audited), and the clerk's check of the paper materials (要件)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import security
from core.errors import AgreementRequired, Conflict, NotFound, ValidationFailed
from models import Organization, User
from models.enums import DocumentKind, RegistrationFileKind, Role
from services import audit, documents
from services.access import Viewer
from services.auth import LoginResult, give_back_attempt, issue_session, reserve_attempt
from services.validators import (
    as_typed, password_problem, valid_contact_phone, valid_credit_code, valid_username,
)

AGREEMENT_VERSION = "2026-01"
AGREEMENT_TEXT = """江门市住宅专项维修资金管理平台 机构注册协议（{version}）

一、开发建设单位应如实填报单位名称、统一社会信用代码、法定代表人、联系人及联系电话等信息，并上传营业执照等要件的扫描件；因信息不实造成的后果由申请单位承担。
二、注册成功后，机构管理员负责本单位用户的添加、修改、注销与激活，并为其分配经办角色；机构用户的一切操作视为本单位的行为。
三、本单位办理首单业务时，应将注册要件的纸质复印件（A4 纸复印并加盖单位公章）一并提交维修资金管理部门核验。
四、账号及密码应妥善保管，不得转借他人；发现账号被盗用应立即注销该用户并通知维修资金管理部门。
五、平台记录的业务数据及操作日志作为办理维修资金业务的依据。
""".format(version=AGREEMENT_VERSION)

ORG_FIELDS = ("name", "legal_representative", "contact_name", "contact_phone", "address")
TEXT_LIMITS = {"name": 200, "legal_representative": 50, "contact_name": 50, "address": 300, "admin_name": 50}


@dataclass
class RegistrationFile:
    kind: RegistrationFileKind
    upload: object


@dataclass
class Registration:
    name: str
    credit_code: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    address: str
    admin_username: str
    admin_password: str
    admin_name: str
    agreement_version: str
    agreement_accepted: bool
    attachments: list[RegistrationFile] = field(default_factory=list)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def clean_text(value: str | None, name: str, *, path: str = "input", required: bool = True) -> str | None:
    """Trimmed text within its length limit; empty required text is VALIDATION_FAILED."""
    if value is None:
        return None
    v = as_typed(value)
    if required and not v:
        raise ValidationFailed("不能为空", field=f"{path}.{camel(name)}")
    if len(v) > TEXT_LIMITS.get(name, 200):
        raise ValidationFailed(f"不能超过 {TEXT_LIMITS.get(name, 200)} 个字", field=f"{path}.{camel(name)}")
    return v


def check_phone(value: str, field_path: str) -> str:
    phone = valid_contact_phone(value)
    if phone is None:
        raise ValidationFailed("联系电话应为手机号码或带区号的固定电话（如 0750-1234567）", field=field_path)
    return phone


async def register_developer(session: AsyncSession, data: Registration, *, address: str | None = None) -> LoginResult:
    """A registration that collides with a registered credit code or a taken username counts as
    a failed attempt of the client address, as a failed login does, so an address cannot probe
    usernames in bulk; any other outcome gives its attempt back."""
    await reserve_attempt(address)
    try:
        result = await _register(session, data)
    except Conflict:
        raise
    except Exception:
        await give_back_attempt(address)
        raise
    await give_back_attempt(address)
    return result


async def _register(session: AsyncSession, data: Registration) -> LoginResult:
    if not data.agreement_accepted:
        raise AgreementRequired("请阅读并同意机构注册协议", field="input.agreementAccepted")
    if data.agreement_version != AGREEMENT_VERSION:
        raise AgreementRequired("机构注册协议已更新，请阅读并同意最新版本", field="input.agreementVersion",
                                currentVersion=AGREEMENT_VERSION)
    credit_code = valid_credit_code(data.credit_code)
    if credit_code is None:
        raise ValidationFailed("统一社会信用代码不正确（校验位不符）", field="input.creditCode")
    values = {f: clean_text(getattr(data, f), f) for f in ("name", "legal_representative", "contact_name", "address")}
    values["contact_phone"] = check_phone(data.contact_phone, "input.contactPhone")
    username = valid_username(data.admin_username)
    if username is None:
        raise ValidationFailed("用户名应以字母开头，由 3 至 50 位字母、数字、下划线、点或横线组成",
                               field="input.adminUsername")
    if problem := password_problem(data.admin_password, username):
        raise ValidationFailed(problem, field="input.adminPassword")
    admin_name = clean_text(data.admin_name, "admin_name")

    if not data.attachments:
        raise ValidationFailed("请上传营业执照等要件", field="input.attachments")
    if len(data.attachments) > 20:
        raise ValidationFailed("要件最多 20 个", field="input.attachments")
    if not any(a.kind == RegistrationFileKind.BUSINESS_LICENCE for a in data.attachments):
        raise ValidationFailed("营业执照为必传要件", field="input.attachments")
    files = []
    for i, attachment in enumerate(data.attachments):
        path = f"input.attachments.{i}.file"
        incoming = await documents.read_upload(attachment.upload, field=path)
        files.append((attachment.kind, incoming, documents.attachment_type(incoming, field=path)))

    if await session.scalar(select(Organization.id).where(Organization.credit_code == credit_code)):
        raise Conflict("该统一社会信用代码已注册", field="input.creditCode")
    if await session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        # One answer for every taken name, staff or developer: it says nothing of whose it is.
        raise Conflict("该用户名不可用，请换一个", field="input.adminUsername")

    now = datetime.now(timezone.utc)
    org = Organization(credit_code=credit_code, agreement_version=AGREEMENT_VERSION, agreement_accepted_at=now,
                       materials_verified=False, **values)
    session.add(org)
    await session.flush()
    admin = User(
        username=username, password_hash=await security.hash_password(data.admin_password), name=admin_name,
        phone=values["contact_phone"] if values["contact_phone"].startswith("1") else None,
        roles=[Role.ORG_ADMIN.value, Role.ESTATE_OPERATOR.value, Role.PAYMENT_OPERATOR.value],
        organization_id=org.id,
    )
    session.add(admin)
    await session.flush()
    for kind, incoming, (content_type, suffix) in files:
        await documents.store(session, kind=DocumentKind.ATTACHMENT, filename=incoming.filename,
                              content_type=content_type, data=incoming.data, organization_id=org.id,
                              created_by_id=admin.id, registration_kind=kind, suffix=suffix)
    actor = Viewer(admin.id, admin.username, frozenset(), org.id, None)
    audit.record(session, actor=actor, action="organization.register", entity_type="Organization",
                 entity_id=org.id, organization_id=org.id,
                 after=audit.snapshot(org, ("credit_code", "agreement_version") + ORG_FIELDS))
    result = await issue_session(session, admin)
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent registration took the code or the name
        await session.rollback()
        raise Conflict("统一社会信用代码或用户名已被使用", field="input") from exc
    return result


async def update_organization(session: AsyncSession, viewer: Viewer, changes: dict[str, str | None]) -> Organization:
    """信息变更: saved at once, the before and after kept in the audit log."""
    org = await session.get(Organization, viewer.organization_id, with_for_update=True)
    if org is None:
        raise NotFound()
    before = audit.snapshot(org, ORG_FIELDS)
    for name, value in changes.items():
        if value is None:
            continue
        setattr(org, name, check_phone(value, "input.contactPhone") if name == "contact_phone" else clean_text(value, name))
    after = audit.snapshot(org, ORG_FIELDS)
    if after != before:
        audit.record(session, actor=viewer, action="organization.update", entity_type="Organization",
                     entity_id=org.id, organization_id=org.id, before=before, after=after)
    await session.commit()
    return org


async def mark_materials_verified(session: AsyncSession, viewer: Viewer, organization_id: int) -> Organization:
    org = await session.get(Organization, organization_id, with_for_update=True)
    if org is None:
        raise NotFound("机构不存在")
    if not org.materials_verified:
        org.materials_verified = True
        org.materials_verified_at = datetime.now(timezone.utc)
        org.materials_verified_by_id = viewer.user_id
        audit.record(session, actor=viewer, action="organization.verify_materials", entity_type="Organization",
                     entity_id=org.id, organization_id=org.id, before={"materials_verified": False},
                     after={"materials_verified": True})
    await session.commit()
    return org
