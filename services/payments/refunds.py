"""Refunds (退款): created PENDING when an approval gives money back (services/applications/
deposit_effects.py), one at a time per house, and paid out by a clerk (确认退款), which debits
the house's ledger. Their 退款申请表 are rendered by a job (services/payments/jobs.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidState, NotFound
from models import Application, Building, House, Refund
from models.enums import JobKind, LedgerKind, RefundStatus, Role
from services import audit, jobs
from services.access import Viewer, require_role
from services.payments import ledger
from services.records import RefundRecord
from services.pagination import Page, keyset_page


async def pending_refunds(session: AsyncSession, houses: Sequence[int]) -> list[InvalidState]:
    """The houses among `houses` (an application would refund them) whose earlier refund is still
    PENDING, each an INVALID_STATE. A house refunds once at a time (one PENDING refund per house): an application that would
    refund a house whose earlier refund is not paid out yet waits for it. The earlier refund is
    still in the balance until 确认退款, so refunding the balance now would pay it twice; once it
    is completed, the balance is what is left, and this application refunds exactly that."""
    if not houses:
        return []
    rows = (await session.execute(
        select(House.code, Application.number, Refund.amount)
        .join(House, House.id == Refund.house_id).join(Application, Application.id == Refund.application_id)
        .where(Refund.house_id.in_(houses), Refund.status == RefundStatus.PENDING).order_by(House.code)
    )).all()
    return [InvalidState(f"房屋 {r.code} 尚有业务单 {r.number} 的退款 {r.amount} 元未办结，须先确认退款，再办理本业务",
                         houseCode=r.code, applicationNumber=r.number) for r in rows]


def new_refund(session: AsyncSession, app: Application, house_id: int, amount: Decimal) -> Refund:
    account = app.refund_account or {}
    refund = Refund(application_id=app.id, organization_id=app.organization_id, house_id=house_id, amount=amount,
                    account_name=account.get("accountName", ""), bank_name=account.get("bankName", ""),
                    account_number=account.get("accountNumber", ""), status=RefundStatus.PENDING)
    session.add(refund)
    return refund


async def render_refund_forms(session: AsyncSession, refunds: list[Refund], viewer: Viewer | None) -> int:
    """One job renders the 退款申请表 of each refund (enqueued after the caller commits)."""
    await session.flush()
    job = jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=viewer, organization_id=refunds[0].organization_id,
                       params={"document": "REFUND_FORMS", "refunds": [r.id for r in refunds]})
    await session.flush()
    for r in refunds:
        r.form_job_id = job.id
    return job.id


async def complete_refund(session: AsyncSession, viewer: Viewer | None, refund_id: int | None) -> Refund:
    """A clerk pays the refund out: the ledger is debited (REFUND)."""
    viewer = require_role(viewer, Role.CLERK)
    refund = None if refund_id is None else await session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise NotFound("退款不存在")
    if refund.status != RefundStatus.PENDING:
        raise InvalidState("退款已办结")
    house = await session.get_one(House, refund.house_id)
    if house.balance < refund.amount:
        raise InvalidState(f"分户账余额 {house.balance} 不足以退款 {refund.amount}")
    number = await session.scalar(select(Application.number).where(Application.id == refund.application_id))
    await ledger.post(session, refund.house_id, LedgerKind.REFUND, refund.amount, memo=f"退款 {number}")  # the 业务单号
    refund.status = RefundStatus.COMPLETED
    refund.completed_at = datetime.now(timezone.utc)
    refund.completed_by_id = viewer.user_id
    audit.record(session, actor=viewer, action="refund.complete", entity_type="Refund", entity_id=refund.id,
                 organization_id=refund.organization_id, after={"amount": refund.amount, "houseId": refund.house_id})
    await session.commit()
    return refund


async def refunds_page(session: AsyncSession, viewer: Viewer, *, first: int | None, after: str | None,
                       status: RefundStatus | None, estate_id: int | None) -> Page:
    q = select(*Refund.__table__.c)
    if not viewer.is_staff:
        q = q.where(Refund.organization_id == viewer.organization_id)
    if status is not None:
        q = q.where(Refund.status == status)
    if estate_id is not None:
        q = q.where(Refund.house_id.in_(select(House.id).join(Building, Building.id == House.building_id)
                                        .where(Building.estate_id == estate_id)))
    return await keyset_page(session, q, Refund.id, RefundRecord, first=first, after=after)
