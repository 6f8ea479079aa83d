"""What an application does to deposits (交存), planned from the data as it is now and applied
in the approval's transaction:
- 采集 / 补充: every new house gets its due (no matching standard: approval refused, naming them);
- 信息变更: the due is recomputed for houses whose area, usage, elevator, price or building
  changes; a rise leaves a 补交 (MAKE_UP) notice for what is unpaid, a fall below what was paid
  a PENDING refund of the difference;
- 注销: the house owes nothing more (its due becomes 0); a positive balance becomes a refund;
- 拆分合并: result houses get their dues; one whose carried balance is short gets a 补交 notice.
Houses whose due changes or that are cancelled lose their ISSUED notices; a notice that also
covered other houses is replaced at once by one for those."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidState, together
from models import Application, ApplicationHouse, Building, Estate, House, Refund
from models.enums import ApplicationStatus, ApplicationType, PaymentType, RecordStatus, RefundStatus
from services import deposits, money, notices, payments
from services.access import Viewer

ZERO = Decimal("0.00")
DUE_FIELDS = ("usage", "hasElevator", "buildingArea", "price", "buildingName")


@dataclass
class Impact:
    house_id: int
    code: str
    due_before: Decimal
    due_after: Decimal
    paid: Decimal
    make_up: Decimal = ZERO
    refund: Decimal = ZERO
    set_due: bool = False
    cancel_notices: bool = False
    missing: bool = False


async def plan(session: AsyncSession, app: Application) -> list[Impact]:
    if app.type in (ApplicationType.ESTATE_COLLECTION, ApplicationType.HOUSE_SUPPLEMENT):
        return await _created(session, app)
    if app.type == ApplicationType.HOUSE_INFO_CHANGE:
        return await _info_change(session, app)
    if app.type == ApplicationType.HOUSE_CANCELLATION:
        return await _cancellation(session, app)
    if app.type == ApplicationType.HOUSE_SPLIT_MERGE:
        return await _split_merge(session, app)
    return []


async def _due(session: AsyncSession, house_ids: list[int], values: dict[int, dict] | None = None) -> dict[int, Any]:
    return await deposits.dues_for_houses(session, house_ids, values=values)


async def _created(session: AsyncSession, app: Application) -> list[Impact]:
    houses = list(await session.scalars(select(House).where(House.application_id == app.id, House.status == RecordStatus.PENDING)
                                        .order_by(House.id)))
    dues = await _due(session, [h.id for h in houses])
    return [Impact(h.id, h.code, ZERO, dues[h.id].amount if dues.get(h.id) else ZERO, ZERO, set_due=True,
                   missing=dues.get(h.id) is None) for h in houses]


async def _info_change(session: AsyncSession, app: Application) -> list[Impact]:
    rows = (await session.execute(
        select(ApplicationHouse, House).join(House, House.id == ApplicationHouse.house_id)
        .where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).all()
    changed = [(ah, h) for ah, h in rows if ah.after and any(ah.after.get(k) != ah.before.get(k) for k in DUE_FIELDS)]
    values = {}
    for ah, h in changed:
        v = {k: ah.after[k] for k in ("usage", "hasElevator", "buildingArea", "price")}
        if ah.target_building_id:
            v["floors"] = await session.scalar(select(Building.floors_above_ground).where(Building.id == ah.target_building_id))
        values[h.id] = v
    dues = await _due(session, [h.id for _, h in changed], values)
    impacts = []
    for _, h in changed:
        due = dues.get(h.id)
        after = due.amount if due else h.deposit_due
        impact = Impact(h.id, h.code, h.deposit_due, after, h.deposit_paid, set_due=due is not None,
                        missing=due is None, cancel_notices=after != h.deposit_due)
        if after > h.deposit_due and after > h.deposit_paid:
            impact.make_up = after - h.deposit_paid
        if after < h.deposit_paid:
            impact.refund = h.deposit_paid - after
        impacts.append(impact)
    return impacts


async def _cancellation(session: AsyncSession, app: Application) -> list[Impact]:
    houses = (await session.execute(
        select(House).join(ApplicationHouse, ApplicationHouse.house_id == House.id)
        .where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).scalars().all()
    return [Impact(h.id, h.code, h.deposit_due, ZERO, h.deposit_paid, refund=max(h.balance, ZERO),
                   cancel_notices=True) for h in houses]


async def _split_merge(session: AsyncSession, app: Application) -> list[Impact]:
    rows = (await session.execute(
        select(House).join(ApplicationHouse, ApplicationHouse.house_id == House.id)
        .where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).scalars().all()
    sources = [h for h in rows if h.status == RecordStatus.ACTIVE]
    results = [h for h in rows if h.status == RecordStatus.PENDING]
    pooled = sum((h.balance for h in sources), ZERO)
    shares = money.split_by_weight(pooled, [h.building_area for h in results])
    dues = await _due(session, [h.id for h in results])
    impacts = [Impact(h.id, h.code, h.deposit_due, ZERO, h.deposit_paid, cancel_notices=True) for h in sources]
    for h, share in zip(results, shares):
        due = dues.get(h.id)
        amount = due.amount if due else ZERO
        impacts.append(Impact(h.id, h.code, ZERO, amount, share, make_up=max(amount - share, ZERO), set_due=True,
                              missing=due is None))
    return impacts


def needs_refund_account(impacts: list[Impact]) -> bool:
    return any(i.refund > 0 for i in impacts)


async def pending_refunds(session: AsyncSession, impacts: list[Impact]) -> list[InvalidState]:
    """A house refunds once at a time (one PENDING refund per house): an application that would
    refund a house whose earlier refund is not paid out yet waits for it. The earlier refund is
    still in the balance until 确认退款, so refunding the balance now would pay it twice; once it
    is completed, the balance is what is left, and this application refunds exactly that."""
    houses = [i.house_id for i in impacts if i.refund > 0]
    if not houses:
        return []
    rows = (await session.execute(
        select(House.code, Application.number, Refund.amount)
        .join(House, House.id == Refund.house_id).join(Application, Application.id == Refund.application_id)
        .where(Refund.house_id.in_(houses), Refund.status == RefundStatus.PENDING).order_by(House.code)
    )).all()
    return [InvalidState(f"房屋 {r.code} 尚有业务单 {r.number} 的退款 {r.amount} 元未办结，须先确认退款，再办理本业务",
                         houseCode=r.code, applicationNumber=r.number) for r in rows]


async def apply(session: AsyncSession, app: Application, impacts: list[Impact], viewer: Viewer) -> list[str]:
    """In the approval's transaction, after the business type applied its changes. Returns what
    the application's history names: the notices cancelled and those issued to replace them."""
    missing = [i.code for i in impacts if i.missing]
    if missing:
        raise deposits.missing_standard(missing)
    if any(i.refund > 0 for i in impacts) and not app.refund_account:
        raise InvalidState("本业务审核通过后需退款，请退回申请人补填退款账户", field="refundAccount")
    if waiting := await pending_refunds(session, impacts):  # submit has looked; an approval since may have refunded
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
            payments.new_refund(session, app, i.house_id, i.refund)
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
