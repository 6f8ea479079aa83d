"""The life of every application: DRAFT → SUBMITTED → ACCEPTED → APPROVED / REJECTED, and
WITHDRAWN. Each transition locks the application row first, so two clerks approving at once,
or an approval racing a withdrawal, leave exactly one outcome; each is recorded (who, when,
comment), audited and published. Locks on houses, buildings and estates are taken on submit
and released on approve, reject and withdraw."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Protocol

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_counter_engine
from core.errors import AppError, Conflict, Forbidden, HouseLocked, InvalidState, NotFound, ValidationFailed, together
from models import Application, ApplicationEvent, DailyCounter, Lock
from models.enums import ApplicationStatus as S
from models.enums import ApplicationType, JobKind, Role
from services import audit, events, jobs
from services.access import Viewer

CHINA = timezone(timedelta(hours=8))
EDITABLE = (S.DRAFT, S.REJECTED)
LOCKING = (S.SUBMITTED, S.ACCEPTED)

STATUS_LABELS = {S.DRAFT: "保存", S.SUBMITTED: "已提交", S.ACCEPTED: "已受理", S.APPROVED: "审核通过",
                 S.REJECTED: "退回", S.WITHDRAWN: "已撤回"}


class BusinessType(Protocol):
    """What each business type module provides to the life cycle."""

    async def lock_targets(self, session: AsyncSession, app: Application) -> list[tuple[str, int]]: ...
    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        """Every problem that blocks submit; none: the application may be submitted."""
    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer) -> None: ...
    async def discard(self, session: AsyncSession, app: Application) -> None: ...


_TYPES: dict[ApplicationType, BusinessType] = {}


def register(kind: ApplicationType, handler: BusinessType) -> None:
    _TYPES[kind] = handler


def handler_of(app: Application) -> BusinessType:
    from services.applications import types  # noqa: F401  (registers every type)

    return _TYPES[app.type]


# ---------------------------------------------------------------- numbers and lookups

async def next_number(session: AsyncSession, prefix: str = "YW", digits: int = 4) -> str:
    """业务单号: prefix + date (Asia/Shanghai) + a daily sequence, e.g. YW202611270001
    (交存通知单号 use JC and 5 digits). Drawn in a transaction of its own, committed at once, not in
    the caller's (`session` is not used): the day's counter row stayed locked until the caller
    committed, and every creation and notice issue of the day queued behind it. A caller that rolls
    back leaves a gap; numbers stay unique (SPEC asks unique, not gap-free; docs/decisions.md, fanout)."""
    today = datetime.now(CHINA).date()
    async with get_counter_engine().connect() as connection:
        value = await connection.scalar(
            pg_insert(DailyCounter).values(name=prefix, day=today, value=1)
            .on_conflict_do_update(index_elements=["name", "day"], set_={"value": DailyCounter.value + 1})
            .returning(DailyCounter.value)
        )
    return f"{prefix}{today:%Y%m%d}{value:0{digits}d}"


def require_estate_operator(viewer: Viewer | None) -> Viewer:
    from services.access import require_role

    v = require_role(viewer, Role.ESTATE_OPERATOR)
    if v.organization_id is None:
        raise Forbidden("只有开发建设单位的物业区域经办人可以办理此业务")
    return v


IMPORT_LOCK = 0x1A0  # the first key of the advisory lock that holds an application's imports


async def hold_imports(session: AsyncSession, app_id: int) -> None:
    """Until this transaction ends, no import writes into the application and no other holder
    runs. Locks are taken in one order, this one, then the application row, then its houses:
    an import holds its houses for the whole sheet and wants the row only to finish, so whoever
    changes the houses (submit, withdraw, another import) must wait here, never on the row."""
    await session.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK, app_id & 0x7FFFFFFF)))


async def get_for_update(session: AsyncSession, viewer: Viewer, app_id: int | None, *,
                         hold_imports_first: bool = True) -> Application:
    """The application, row-locked, if the viewer may see it; NOT_FOUND otherwise. A running
    import is waited for first (`hold_imports`), unless the caller leaves the houses alone."""
    if app_id is None:
        raise NotFound("业务单不存在")
    if hold_imports_first:
        await hold_imports(session, app_id)
    app = await session.scalar(select(Application).where(Application.id == app_id).with_for_update())
    if app is None or not viewer.can_see_org(app.organization_id):
        raise NotFound("业务单不存在")
    return app


def require_applicant(viewer: Viewer, app: Application) -> None:
    if viewer.organization_id != app.organization_id or not viewer.has(Role.ESTATE_OPERATOR):
        raise Forbidden("只有申请单位的物业区域经办人可以办理")


def require_editable(app: Application) -> None:
    if app.status not in EDITABLE:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有保存或退回的业务单可以修改")


# ---------------------------------------------------------------- transitions

async def new_application(session: AsyncSession, viewer: Viewer, kind: ApplicationType, *, estate_id: int | None,
                          reason: str | None, payload: dict[str, Any] | None = None) -> Application:
    app = Application(number=await next_number(session), type=kind, status=S.DRAFT,
                      organization_id=viewer.organization_id, estate_id=estate_id, reason=reason,
                      payload=payload or {}, created_by_id=viewer.user_id)
    session.add(app)
    await session.flush()
    _record(session, app, viewer, None, S.DRAFT, None)
    return app


def _record(session: AsyncSession, app: Application, viewer: Viewer | None, before: S | None, after: S,
            comment: str | None) -> None:
    session.add(ApplicationEvent(application_id=app.id, from_status=before, to_status=after,
                                 by_id=viewer.user_id if viewer else None, comment=comment))
    audit.record(session, actor=viewer, action=f"application.{after.value.lower()}", entity_type="Application",
                 entity_id=app.id, organization_id=app.organization_id,
                 before={"status": before.value if before else None}, after={"status": after.value, "comment": comment})
    pending = session.info.setdefault("application_events", [])
    pending.append({"applicationId": app.id, "organizationId": app.organization_id,
                    "from": before.value if before else None, "to": after.value,
                    "byId": viewer.user_id if viewer else None, "comment": comment,
                    "at": datetime.now(timezone.utc).isoformat()})


async def publish_recorded(session: AsyncSession) -> None:
    """After commit: publish each transition recorded in this session, in order."""
    for payload in session.info.pop("application_events", []):
        await events.publish(events.APPLICATIONS, payload)


async def commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        session.info.pop("application_events", None)
        raise Conflict("数据冲突：单元、楼层、房号或编号已被占用，或记录已被修改，请刷新后重试") from exc
    await publish_recorded(session)


def _transition(session: AsyncSession, app: Application, viewer: Viewer, to: S, comment: str | None = None) -> None:
    before = app.status
    app.status = to
    _record(session, app, viewer, before, to, comment)


async def acquire_locks(session: AsyncSession, app: Application, targets: Iterable[tuple[str, int]]) -> None:
    """Takes every target or none: HOUSE_LOCKED names the application holding one already
    (submit has looked already, so only a race finds one here)."""
    wanted = sorted(set(targets))
    if not wanted:
        return
    await session.execute(
        pg_insert(Lock).on_conflict_do_nothing(),
        [{"kind": k, "target_id": t, "application_id": app.id} for k, t in wanted],
    )
    held = await session.scalar(select(func.count()).select_from(Lock).where(Lock.application_id == app.id))
    if held < len(wanted):  # another submit took one since submit looked
        await check_unlocked(session, wanted, exclude=app.id)
        raise Conflict("业务单涉及的房屋正被其他业务锁定，请重试")


async def check_unlocked(session: AsyncSession, targets: Iterable[tuple[str, int]], *, exclude: int | None = None) -> None:
    targets = list(targets)
    if not targets:
        return
    from sqlalchemy import tuple_

    row = (await session.execute(
        select(Lock.kind, Lock.target_id, Application.number)
        .join(Application, Application.id == Lock.application_id)
        .where(tuple_(Lock.kind, Lock.target_id).in_(targets), Lock.application_id != (exclude or 0))
        .limit(1)
    )).first()
    if row is not None:
        what = {"HOUSE": "房屋", "BUILDING": "楼幢", "ESTATE": "物业区域"}.get(row.kind, "对象")
        raise HouseLocked(f"{what}正在业务单 {row.number} 中办理，请待其办结后再申请", applicationNumber=row.number)


async def release_locks(session: AsyncSession, app: Application) -> None:
    await session.execute(delete(Lock).where(Lock.application_id == app.id))


async def submit(session: AsyncSession, viewer: Viewer, app_id: int | None, refund_account: dict | None = None) -> Application:
    app = await get_for_update(session, viewer, app_id)
    require_applicant(viewer, app)
    if app.status not in EDITABLE:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，不能提交")
    handler = handler_of(app)
    problems = list(await handler.check_submit(session, app))  # every one is reported at once
    targets = await handler.lock_targets(session, app)
    try:
        await check_unlocked(session, targets, exclude=app.id)
    except HouseLocked as exc:
        problems.append(exc)
    if refund_account is not None:
        try:
            app.refund_account = _refund_account(refund_account)
        except ValidationFailed as exc:
            problems.append(exc)
    from services.applications import deposit_effects, refund_form

    impacts = await deposit_effects.plan(session, app)
    if deposit_effects.needs_refund_account(impacts) and not app.refund_account:
        problems.append(ValidationFailed("审核通过后将退款，请填写退款账户", field="refundAccount"))
    problems += await deposit_effects.pending_refunds(session, impacts)
    if problems:
        raise together(problems)
    await acquire_locks(session, app, targets)
    from services.applications.houses import freeze_created

    await freeze_created(session, app)
    app.submitted_at = datetime.now(timezone.utc)
    app.review_comment = None
    _transition(session, app, viewer, S.SUBMITTED)
    job = jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=viewer, organization_id=app.organization_id,
                       application_id=app.id, params={"document": "APPLICATION_FORM"})
    await session.flush()
    app.form_job_id = job.id
    app.form_document_id = None
    await refund_form.on_submit(session, app, impacts, viewer)
    await commit(session)
    await jobs.enqueue(job.id, job.kind)
    await _enqueue_renders(session)
    return app


async def withdraw(session: AsyncSession, viewer: Viewer, app_id: int | None) -> Application:
    app = await get_for_update(session, viewer, app_id)
    require_applicant(viewer, app)
    if app.status not in (S.DRAFT, S.SUBMITTED, S.REJECTED):
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，不能撤回")
    await release_locks(session, app)
    await handler_of(app).discard(session, app)
    _transition(session, app, viewer, S.WITHDRAWN)
    await commit(session)
    return app


def _require_clerk(viewer: Viewer) -> None:
    if not viewer.has(Role.CLERK):
        raise Forbidden("只有维修资金管理部门的受理/审核人员可以办理")


async def accept(session: AsyncSession, viewer: Viewer, app_id: int | None) -> Application:
    _require_clerk(viewer)
    app = await get_for_update(session, viewer, app_id)
    if app.status != S.SUBMITTED:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有已提交的业务单可以受理")
    _transition(session, app, viewer, S.ACCEPTED)
    await commit(session)
    return app


async def reject(session: AsyncSession, viewer: Viewer, app_id: int | None, comment: str) -> Application:
    _require_clerk(viewer)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("请填写退回意见", field="comment")
    app = await get_for_update(session, viewer, app_id)
    if app.status not in LOCKING:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有已提交或已受理的业务单可以退回")
    await release_locks(session, app)
    app.review_comment = comment
    app.decided_at = datetime.now(timezone.utc)
    _transition(session, app, viewer, S.REJECTED, comment)
    await commit(session)
    return app


async def approve(session: AsyncSession, viewer: Viewer, app_id: int | None, comment: str | None) -> Application:
    """审核通过: every change of the application applied in this one transaction."""
    _require_clerk(viewer)
    app = await get_for_update(session, viewer, app_id)
    if app.status != S.ACCEPTED:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有已受理的业务单可以审核通过")
    from services.applications import deposit_effects, refund_form
    from services.applications.houses import stretch_buildings

    await stretch_buildings(session, app)  # the buildings as the houses make them, for the standards
    impacts = await deposit_effects.plan(session, app)  # from the data before the change
    await handler_of(app).approve(session, app, viewer)
    notices = await deposit_effects.apply(session, app, impacts, viewer)
    refund_note = await refund_form.on_approve(session, app, viewer)
    await release_locks(session, app)
    app.review_comment = (comment or "").strip() or None
    app.decided_at = datetime.now(timezone.utc)
    notes = [*notices, refund_note] if refund_note else notices
    note = "；".join([app.review_comment, *notes] if app.review_comment else notes) or None
    _transition(session, app, viewer, S.APPROVED, note)
    await commit(session)
    await _enqueue_renders(session)
    return app


async def _enqueue_renders(session: AsyncSession) -> None:
    """After commit: the PDF jobs the transaction created (notices, refund forms)."""
    for job_id in session.info.pop("render_jobs", []):
        await jobs.enqueue(job_id, JobKind.PDF_RENDER)


def _refund_account(account: dict) -> dict:
    """退款账户: every part required, the names as typed, the account number folded (NFKC)."""
    from services.validators import as_typed, normalise

    clean = {}
    for key, limit in (("accountName", 100), ("bankName", 100), ("accountNumber", 40)):
        value = (normalise if key == "accountNumber" else as_typed)(account.get(key) or "")
        if not value or len(value) > limit:
            raise ValidationFailed("退款账户信息不完整", field=f"refundAccount.{key}")
        clean[key] = value
    return clean
