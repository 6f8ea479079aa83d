"""交存通知单 payment notices: building notices for the developer (开发建设单位批量交款), per-house
owner notices (代打交款通知单), custom amounts (自定义交款, 续筹 by Excel), cancellation.

A house is on at most one ISSUED notice (its open line; a partial unique index holds it even
under concurrent issuing): issuing another for it is CONFLICT with `noticeNumber`, and a
building notice leaves such houses out (a building whose every unpaid house is on one is
CONFLICT). Houses locked by an info change, split/merge or cancellation get no notice
(HOUSE_LOCKED); an ownership change also stops owner notices. An approval that changes a
house's due or cancels it replaces its notice (`replace_for_houses`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Forbidden, HouseLocked, InvalidState, NotFound, ValidationFailed
from models import (
    Application, Bank, Building, Estate, House, Lock, NoticeLine, Organization, Owner, PaymentNotice,
)
from models.enums import (
    ApplicationType, IdType, JobKind, NoticeStatus, PayerKind, PaymentType, RecordStatus, Role, SalesStatus,
)
from services import audit, codes, jobs, pii
from services.access import Viewer, require_role, require_viewer
from services.houses import fields
from services.payments.deposits import dues_for_houses

NOTICE_LOCKS = (ApplicationType.HOUSE_INFO_CHANGE, ApplicationType.HOUSE_SPLIT_MERGE, ApplicationType.HOUSE_CANCELLATION)
TWO = Decimal("0.01")


@dataclass
class Line:
    house_id: int
    building_area: Decimal
    standard: str | None
    amount: Decimal


def require_payment_operator(viewer: Viewer | None) -> Viewer:
    v = require_role(viewer, Role.PAYMENT_OPERATOR)
    if v.organization_id is None:
        raise Forbidden("只有开发建设单位的交款经办人可以开具通知单")
    return v


async def _houses(session: AsyncSession, viewer: Viewer, house_ids: Sequence[int | None], field: str) -> dict[int, Any]:
    """ACTIVE houses of the viewer's organisation with their building and estate, locked for update."""
    rows = (await session.execute(
        select(House, Building, Estate).join(Building, Building.id == House.building_id)
        .join(Estate, Estate.id == Building.estate_id)
        .where(House.id.in_([h for h in house_ids if h is not None]), Estate.developer_id == viewer.organization_id)
        .order_by(House.id).with_for_update(of=House)
    )).all()
    found = {h.id: (h, b, e) for h, b, e in rows}
    for i, house_id in enumerate(house_ids):
        if house_id not in found:
            raise NotFound("房屋不存在", field=f"{field}.{i}.houseId")
        if found[house_id][0].status != RecordStatus.ACTIVE:
            raise InvalidState("房屋未审核通过或已注销", field=f"{field}.{i}.houseId")
    return found


async def _locks(session: AsyncSession, house_ids: Sequence[int]) -> dict[int, tuple[ApplicationType, str]]:
    rows = (await session.execute(
        select(Lock.target_id, Application.type, Application.number).join(Application, Application.id == Lock.application_id)
        .where(Lock.kind == "HOUSE", Lock.target_id.in_(house_ids))
    )).all()
    return {r.target_id: (r.type, r.number) for r in rows}


async def open_lines(session: AsyncSession, house_ids: Sequence[int]) -> dict[int, str]:
    """house id → number of the ISSUED notice it is on."""
    rows = (await session.execute(
        select(NoticeLine.house_id, PaymentNotice.number).join(PaymentNotice, PaymentNotice.id == NoticeLine.notice_id)
        .where(NoticeLine.open, NoticeLine.house_id.in_(house_ids))
    )).all()
    return {r.house_id: r.number for r in rows}


def _check_lock(locks: dict, house_id: int, field: str, *, owner_notice: bool) -> None:
    held = locks.get(house_id)
    if held and (held[0] in NOTICE_LOCKS or (owner_notice and held[0] == ApplicationType.OWNERSHIP_CHANGE)):
        raise HouseLocked(f"房屋正在业务单 {held[1]} 中办理，暂不能开具通知单", field=field, applicationNumber=held[1])


async def create_notice(session: AsyncSession, *, type: PaymentType, payer_kind: PayerKind, payer_name: str,
                        estate: Estate, building_id: int | None, lines: Sequence[Line], viewer: Viewer | None,
                        application_id: int | None = None, job_id: int | None = None) -> PaymentNotice:
    bank = await session.get_one(Bank, estate.bank_id)
    notice = PaymentNotice(
        number=await codes.next_number(session, "JC", 5), type=type, payer_kind=payer_kind, payer_name=payer_name[:300],
        organization_id=estate.developer_id, estate_id=estate.id, building_id=building_id, bank_id=bank.id,
        bank_name=bank.name, bank_account=bank.account_number, total=sum((l.amount for l in lines), Decimal("0.00")),
        status=NoticeStatus.ISSUED, issued_by_id=viewer.user_id if viewer else None, application_id=application_id,
        job_id=job_id,
    )
    session.add(notice)
    await session.flush()
    await session.execute(insert(NoticeLine), [
        {"notice_id": notice.id, "house_id": l.house_id, "position": i, "building_area": l.building_area,
         "standard": l.standard, "amount": l.amount, "open": True} for i, l in enumerate(lines)])
    audit.record(session, actor=viewer, action="notice.issue", entity_type="PaymentNotice", entity_id=notice.id,
                 organization_id=notice.organization_id, after={"number": notice.number, "total": notice.total,
                                                                 "type": type.value, "houses": len(lines)})
    return notice


async def render_documents(session: AsyncSession, notices: Sequence[PaymentNotice], viewer: Viewer | None) -> int | None:
    """One job renders the PDF of each notice (after the caller commits and enqueues it)."""
    if not notices:
        return None
    job = jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=viewer, organization_id=notices[0].organization_id,
                       params={"document": "PAYMENT_NOTICES", "notices": [n.id for n in notices], "each": True})
    await session.flush()
    for n in notices:
        n.document_job_id = job.id
    return job.id


async def _commit_and_render(session: AsyncSession, notices: list[PaymentNotice], viewer: Viewer) -> list[PaymentNotice]:
    job_id = await render_documents(session, notices, viewer)
    try:
        await session.commit()
    except IntegrityError as exc:  # another request put one of the houses on a notice meanwhile
        await session.rollback()
        raise Conflict("房屋已在其他有效的通知单上，请刷新后重试") from exc
    if job_id:
        await jobs.enqueue(job_id, JobKind.PDF_RENDER)
    return notices


def _location(building: Building, house: House) -> str:
    return fields.location(building.name, house.unit, house.room_number)


async def _standard_names(session: AsyncSession, houses: Sequence[House]) -> dict[int, str | None]:
    dues = await dues_for_houses(session, [h.id for h in houses])
    return {h: (d.standard.name if d else None) for h, d in dues.items()}


async def issue_building_notices(session: AsyncSession, viewer: Viewer | None, building_ids: Sequence[int | None]) -> list[PaymentNotice]:
    viewer = require_payment_operator(viewer)
    if not building_ids:
        raise ValidationFailed("请选择楼幢", field="buildingIds")
    if len(building_ids) > 500:
        raise ValidationFailed("一次最多 500 个楼幢", field="buildingIds")
    rows = (await session.execute(
        select(Building, Estate).join(Estate, Estate.id == Building.estate_id)
        .where(Building.id.in_([b for b in building_ids if b is not None]), Estate.developer_id == viewer.organization_id)
    )).all()
    found = {b.id: (b, e) for b, e in rows}
    for i, b in enumerate(building_ids):
        if b not in found or found[b][0].status != RecordStatus.ACTIVE:
            raise NotFound("楼幢不存在", field=f"buildingIds.{i}")
    org = await session.get_one(Organization, viewer.organization_id)
    notices = []
    for b_id in dict.fromkeys(building_ids):
        building, estate = found[b_id]
        houses = list(await session.scalars(
            select(House).where(House.building_id == b_id, House.status == RecordStatus.ACTIVE,
                                House.deposit_due > House.deposit_paid).order_by(House.id).with_for_update()))
        ids = [h.id for h in houses]
        taken, locks = await open_lines(session, ids), await _locks(session, ids)
        if taken and len(taken) == len(ids):
            number = taken[ids[0]]
            raise Conflict(f"{building.name}待交房屋均已在有效的通知单上（如 {number}），如需重开请先作废原通知单",
                           field=f"buildingIds.{building_ids.index(b_id)}", noticeNumber=number)
        houses = [h for h in houses if h.id not in taken and not (locks.get(h.id) and locks[h.id][0] in NOTICE_LOCKS)]
        if not houses:
            continue
        names = await _standard_names(session, houses)
        lines = [Line(h.id, h.building_area, names.get(h.id), h.deposit_due - h.deposit_paid) for h in houses]
        kind = PaymentType.FIRST_DEPOSIT if all(h.deposit_paid == 0 for h in houses) else PaymentType.MAKE_UP
        notices.append(await create_notice(session, type=kind, payer_kind=PayerKind.DEVELOPER, payer_name=org.name,
                                           estate=estate, building_id=b_id, lines=lines, viewer=viewer))
    return await _commit_and_render(session, notices, viewer)


async def issue_owner_notices(session: AsyncSession, viewer: Viewer | None, items: Sequence[tuple[int | None, list]]) -> list[PaymentNotice]:
    """代打交款通知单: one per house, for its owners; every owner validated and saved to the house."""
    viewer = require_payment_operator(viewer)
    if not items:
        raise ValidationFailed("请选择房屋", field="items")
    if len(items) > 1000:
        raise ValidationFailed("一次最多 1000 套房屋", field="items")
    ids = [h for h, _ in items]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("房屋重复选择", field="items")
    found = await _houses(session, viewer, ids, "items")
    taken, locks = await open_lines(session, [i for i in ids if i]), await _locks(session, [i for i in ids if i])
    notices = []
    names = await _standard_names(session, [found[h][0] for h in ids])
    for i, (house_id, owners) in enumerate(items):
        house, building, estate = found[house_id]
        path = f"items.{i}"
        if not owners:
            raise ValidationFailed("请填写业主信息", field=f"{path}.owners")
        checked = fields.check_owners(owners, SalesStatus.SOLD.value, path)
        _check_lock(locks, house_id, path, owner_notice=True)
        if house_id in taken:
            raise Conflict(f"房屋已在通知单 {taken[house_id]} 上", field=path, noticeNumber=taken[house_id])
        unpaid = house.deposit_due - house.deposit_paid
        if unpaid <= 0:
            raise InvalidState("房屋没有待交金额", field=f"{path}.houseId")
        await session.execute(delete(Owner).where(Owner.house_id == house_id))
        await session.execute(insert(Owner), [
            {"house_id": house_id, "position": j, "name": o["name"], "id_type": IdType(o["idType"]),
             **pii.stored_from_snapshot(o), "share": None if o["share"] is None else Decimal(o["share"])}
            for j, o in enumerate(checked)])
        house.sales_status = SalesStatus.SOLD
        kind = PaymentType.FIRST_DEPOSIT if house.deposit_paid == 0 else PaymentType.MAKE_UP
        notices.append(await create_notice(
            session, type=kind, payer_kind=PayerKind.OWNER, payer_name="、".join(o["name"] for o in checked),
            estate=estate, building_id=building.id, viewer=viewer,
            lines=[Line(house_id, house.building_area, names.get(house_id), unpaid)]))
    return await _commit_and_render(session, notices, viewer)


async def payer_of(session: AsyncSession, house: House, estate: Estate) -> tuple[PayerKind, str]:
    owners = list(await session.scalars(select(Owner.name).where(Owner.house_id == house.id).order_by(Owner.position)))
    if owners:
        return PayerKind.OWNER, "、".join(owners)
    org = await session.get_one(Organization, estate.developer_id)
    return PayerKind.DEVELOPER, org.name


async def issue_custom(session: AsyncSession, viewer: Viewer | None, type: PaymentType,
                       items: Sequence[tuple[int | None, Decimal]], *, field: str = "input.items",
                       job_id: int | None = None, commit: bool = True) -> list[PaymentNotice]:
    """自定义交款: one notice per house with the amount given (续筹, 补交 or other)."""
    viewer = require_payment_operator(viewer)
    if type == PaymentType.FIRST_DEPOSIT:
        raise ValidationFailed("首期交存请开具楼幢通知单或代打通知单", field="input.type")
    if not items:
        raise ValidationFailed("请选择房屋", field=field)
    if len(items) > 100000:
        raise ValidationFailed("房屋过多", field=field)
    ids = [h for h, _ in items]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("房屋重复选择", field=field)
    for i, (_, amount) in enumerate(items):
        if amount <= 0 or amount != amount.quantize(TWO) or amount > Decimal("100000000"):
            raise ValidationFailed("金额应大于 0，最多两位小数", field=f"{field}.{i}.amount")
    found = await _houses(session, viewer, ids, field)
    taken, locks = await open_lines(session, ids), await _locks(session, ids)
    notices = []
    for i, (house_id, amount) in enumerate(items):
        house, building, estate = found[house_id]
        _check_lock(locks, house_id, f"{field}.{i}", owner_notice=False)
        if house_id in taken:
            raise Conflict(f"房屋已在通知单 {taken[house_id]} 上", field=f"{field}.{i}", noticeNumber=taken[house_id])
        kind, name = await payer_of(session, house, estate)
        notices.append(await create_notice(session, type=type, payer_kind=kind, payer_name=name, estate=estate,
                                           building_id=building.id, viewer=viewer, job_id=job_id,
                                           lines=[Line(house_id, house.building_area, None, amount)]))
    if not commit:
        return notices
    return await _commit_and_render(session, notices, viewer)


async def cancel(session: AsyncSession, viewer: Viewer | None, notice_id: int | None) -> PaymentNotice:
    viewer = require_viewer(viewer)
    notice = None if notice_id is None else await session.scalar(
        select(PaymentNotice).where(PaymentNotice.id == notice_id).with_for_update())
    if notice is None or not viewer.can_see_org(notice.organization_id):
        raise NotFound("通知单不存在")
    if not (viewer.has(Role.CLERK) or (viewer.has(Role.PAYMENT_OPERATOR) and viewer.organization_id == notice.organization_id)):
        raise Forbidden()
    if notice.status != NoticeStatus.ISSUED:
        raise InvalidState("只有未交款的通知单可以作废")
    await close(session, [notice.id], NoticeStatus.CANCELLED)
    audit.record(session, actor=viewer, action="notice.cancel", entity_type="PaymentNotice", entity_id=notice.id,
                 organization_id=notice.organization_id, before={"status": "ISSUED"}, after={"status": "CANCELLED"})
    await session.commit()
    await session.refresh(notice)
    return notice


async def close(session: AsyncSession, notice_ids: Sequence[int], status: NoticeStatus, *,
                at: datetime | None = None) -> None:
    """Closes the notices and their lines: CANCELLED now, or PAID at `at`, the bank's time."""
    values: dict[str, Any] = {"status": status}
    values["cancelled_at" if status == NoticeStatus.CANCELLED else "paid_at"] = at or datetime.now(timezone.utc)
    await session.execute(update(PaymentNotice).where(PaymentNotice.id.in_(notice_ids)).values(**values))
    await session.execute(update(NoticeLine).where(NoticeLine.notice_id.in_(notice_ids)).values(open=False))


async def replace_for_houses(session: AsyncSession, house_ids: Sequence[int], *, viewer: Viewer | None,
                             application_id: int) -> tuple[list[str], list[PaymentNotice]]:
    """Approval of an application that changes these houses' due or cancels them: their ISSUED
    notices are cancelled, and each is replaced at once by a notice of the same kind and payer
    for the houses it covered that the application did not touch, for their unpaid amounts now
    (a building notice is not silently lost for the rest of its building). Returns the numbers
    cancelled and the replacements (listed on the application)."""
    if not house_ids:
        return [], []
    touched = set(house_ids)
    found = list(await session.scalars(
        select(PaymentNotice).where(PaymentNotice.id.in_(
            select(NoticeLine.notice_id).where(NoticeLine.open, NoticeLine.house_id.in_(house_ids))))
        .order_by(PaymentNotice.id)))
    if not found:
        return [], []
    kept: dict[int, list[Line]] = defaultdict(list)
    for notice_id, standard, h in await session.execute(
            select(NoticeLine.notice_id, NoticeLine.standard, House).join(House, House.id == NoticeLine.house_id)
            .where(NoticeLine.notice_id.in_([n.id for n in found])).order_by(NoticeLine.notice_id, NoticeLine.position)
            .execution_options(populate_existing=True)):
        if h.id not in touched and h.status == RecordStatus.ACTIVE and h.deposit_due > h.deposit_paid:
            kept[notice_id].append(Line(h.id, h.building_area, standard, h.deposit_due - h.deposit_paid))
    await close(session, [n.id for n in found], NoticeStatus.CANCELLED)
    replacements = []
    for notice in found:
        if kept[notice.id]:
            replacements.append(await create_notice(
                session, type=notice.type, payer_kind=notice.payer_kind, payer_name=notice.payer_name,
                estate=await session.get_one(Estate, notice.estate_id), building_id=notice.building_id,
                lines=kept[notice.id], viewer=viewer, application_id=application_id))
    return [n.number for n in found], replacements
