"""What an application does to deposits (交存), planned from the data as it is now by its
business type (registry.BusinessType.deposit_impacts) and applied here in the approval's
transaction:
- 采集 / 补充: every new house gets its due (no matching standard: approval refused, naming them);
- 信息变更: the due is recomputed for houses whose area, usage, elevator, price or building
  changes; a rise leaves a 补交 (MAKE_UP) notice for what is unpaid, a fall below what was paid
  a PENDING refund of the difference;
- 注销: the house owes nothing more (its due becomes 0); a positive balance becomes a refund;
- 拆分合并: result houses get their dues; one whose carried balance is short gets a 补交 notice.
Houses whose due changes or that are cancelled lose their ISSUED notices; a notice that also
covered other houses is replaced at once by one for those."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidState, together
from models import Application, Building, Estate, House
from models.enums import ApplicationStatus, PaymentType
from services.access import Viewer
from services.applications.common import Impact
from services.applications.registry import handler_of
from services.payments import deposits, notices, refunds


async def plan(session: AsyncSession, app: Application) -> list[Impact]:
    """What approving `app` would do to each house's deposit, as its business type says."""
    return await handler_of(app).deposit_impacts(session, app)


def refunded(impacts: list[Impact]) -> list[int]:
    """The houses the approval would refund."""
    return [i.house_id for i in impacts if i.refund > 0]


def needs_refund_account(impacts: list[Impact]) -> bool:
    return bool(refunded(impacts))


async def apply(session: AsyncSession, app: Application, impacts: list[Impact], viewer: Viewer) -> list[str]:
    """In the approval's transaction, after the business type applied its changes. Returns what
    the application's history names: the notices cancelled and those issued to replace them."""
    missing = [i.code for i in impacts if i.missing]
    if missing:
        raise deposits.missing_standard(missing)
    if any(i.refund > 0 for i in impacts) and not app.refund_account:
        raise InvalidState("本业务审核通过后需退款，请退回申请人补填退款账户", field="refundAccount")
    if waiting := await refunds.pending_refunds(session, refunded(impacts)):  # submit looked; an approval since may have refunded
        raise together(waiting)
    for i in impacts:
        if i.set_due:
            await session.execute(update(House).where(House.id == i.house_id).values(deposit_due=i.due_after))
    cancelled, issued = await notices.replace_for_houses(
        session, [i.house_id for i in impacts if i.cancel_notices], viewer=viewer, application_id=app.id)
    history = [f"作废交存通知单：{'、'.join(cancelled)}"] if cancelled else []
    if issued:
        history.append(f"补开交存通知单：{'、'.join(n.number for n in issued)}")
    for i in impacts:
        if i.make_up > 0:
            house = await session.get_one(House, i.house_id)
            estate = await session.scalar(select(Estate).join(Building, Building.estate_id == Estate.id)
                                          .where(Building.id == house.building_id))
            kind, name = await notices.payer_of(session, house, estate)
            issued.append(await notices.create_notice(
                session, type=PaymentType.MAKE_UP, payer_kind=kind, payer_name=name, estate=estate,
                building_id=house.building_id, viewer=viewer, application_id=app.id,
                lines=[notices.Line(house.id, house.building_area, None, i.make_up)]))
        if i.refund > 0:
            refunds.new_refund(session, app, i.house_id, i.refund)
    if issued:
        session.info.setdefault("render_jobs", []).append(await notices.render_documents(session, issued, viewer))
    # Their forms: the one printed on submit or new ones (refund_form.on_approve, after this).
    return history


async def impacts_if_approved(session: AsyncSession, app: Any) -> list[Impact]:
    """How approving the application (a record or row) would change each house's deposit,
    computed now; nothing for one approved or withdrawn, which changes nothing more."""
    if app.status in (ApplicationStatus.APPROVED, ApplicationStatus.WITHDRAWN):
        return []
    return await plan(session, await session.get(Application, app.id))
