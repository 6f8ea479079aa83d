"""The life of every application: DRAFT → SUBMITTED → ACCEPTED → APPROVED / REJECTED, and
WITHDRAWN. Each transition locks the application row first, so two clerks approving at once,
or an approval racing a withdrawal, leave exactly one outcome; each is recorded (who, when,
comment), audited and published. Locks on houses, buildings and estates are taken on submit
and released on approve, reject and withdraw."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Forbidden, HouseLocked, InvalidState, ValidationFailed, together
from models import Application, Lock
from models.enums import ApplicationStatus
from models.enums import JobKind, Role
from services import jobs
from services.access import Viewer
from services.applications import deposit_effects, refund_form
from services.applications.common import (
    EDITABLE, STATUS_LABELS, check_unlocked, commit, get_for_update, record, require_applicant,
)
from services.houses.snapshots import freeze_created, stretch_buildings
from services.applications.registry import handler_of
from services.payments import refunds
from services.validators import as_typed, normalise

LOCKING = (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED)


def _transition(session: AsyncSession, app: Application, viewer: Viewer, to: S, comment: str | None = None) -> None:
    before = app.status
    app.status = to
    record(session, app, viewer, before, to, comment)


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
    impacts = await deposit_effects.plan(session, app)
    if deposit_effects.needs_refund_account(impacts) and not app.refund_account:
        problems.append(ValidationFailed("审核通过后将退款，请填写退款账户", field="refundAccount"))
    problems += await refunds.pending_refunds(session, deposit_effects.refunded(impacts))
    if problems:
        raise together(problems)
    await acquire_locks(session, app, targets)
    await freeze_created(session, app)
    app.submitted_at = datetime.now(timezone.utc)
    app.review_comment = None
    _transition(session, app, viewer, ApplicationStatus.SUBMITTED)
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
    if app.status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.REJECTED):
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，不能撤回")
    await release_locks(session, app)
    await handler_of(app).discard(session, app)
    _transition(session, app, viewer, ApplicationStatus.WITHDRAWN)
    await commit(session)
    return app


def _require_clerk(viewer: Viewer) -> None:
    if not viewer.has(Role.CLERK):
        raise Forbidden("只有维修资金管理部门的受理/审核人员可以办理")


async def accept(session: AsyncSession, viewer: Viewer, app_id: int | None) -> Application:
    _require_clerk(viewer)
    app = await get_for_update(session, viewer, app_id)
    if app.status != ApplicationStatus.SUBMITTED:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有已提交的业务单可以受理")
    _transition(session, app, viewer, ApplicationStatus.ACCEPTED)
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
    _transition(session, app, viewer, ApplicationStatus.REJECTED, comment)
    await commit(session)
    return app


async def approve(session: AsyncSession, viewer: Viewer, app_id: int | None, comment: str | None) -> Application:
    """审核通过: every change of the application applied in this one transaction."""
    _require_clerk(viewer)
    app = await get_for_update(session, viewer, app_id)
    if app.status != ApplicationStatus.ACCEPTED:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有已受理的业务单可以审核通过")
    await stretch_buildings(session, app)  # the buildings as the houses make them, for the standards
    impacts = await deposit_effects.plan(session, app)  # from the data before the change
    await handler_of(app).approve(session, app, viewer, impacts)
    notices = await deposit_effects.apply(session, app, impacts, viewer)
    refund_note = await refund_form.on_approve(session, app, viewer)
    await release_locks(session, app)
    app.review_comment = (comment or "").strip() or None
    app.decided_at = datetime.now(timezone.utc)
    notes = [*notices, refund_note] if refund_note else notices
    note = "；".join([app.review_comment, *notes] if app.review_comment else notes) or None
    _transition(session, app, viewer, ApplicationStatus.APPROVED, note)
    await commit(session)
    await _enqueue_renders(session)
    return app


async def _enqueue_renders(session: AsyncSession) -> None:
    """After commit: the PDF jobs the transaction created (notices, refund forms)."""
    for job_id in session.info.pop("render_jobs", []):
        await jobs.enqueue(job_id, JobKind.PDF_RENDER)


def _refund_account(account: dict) -> dict:
    """退款账户: every part required, the names as typed, the account number folded (NFKC)."""
    clean = {}
    for key, limit in (("accountName", 100), ("bankName", 100), ("accountNumber", 40)):
        value = (normalise if key == "accountNumber" else as_typed)(account.get(key) or "")
        if not value or len(value) > limit:
            raise ValidationFailed("退款账户信息不完整", field=f"refundAccount.{key}")
        clean[key] = value
    return clean
