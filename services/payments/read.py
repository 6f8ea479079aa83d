"""Deposits and payments, read side: batched loads for DataLoaders and the notice list."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Reader
from models import DepositStandard, NoticeLine, Payment, PaymentNotice, Refund
from models.enums import NoticeStatus, PayerKind, PaymentType
from services.access import Viewer
from services.batches import rows_by_id
from services.records import (
    select_record,
    DepositStandardRecord, NoticeLineRecord, NoticeRecord, PaymentRecord, RefundRecord, to_record,
)
from services.pagination import Page, keyset_page


async def _by(session: AsyncSession, model, record, column, keys: Sequence[Any]) -> list[Any]:
    found = {getattr(r, column.key): to_record(record, r) for r in (await session.execute(select_record(model).where(column.in_(keys)))).all()}
    return [found.get(k) for k in keys]


async def _grouped(session: AsyncSession, query, key: str, record, keys: Sequence[Any]) -> list[list[Any]]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for r in (await session.execute(query)).all():
        groups[getattr(r, key)].append(to_record(record, r))
    return [groups.get(k, []) for k in keys]


async def notices_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by(session, PaymentNotice, NoticeRecord, PaymentNotice.id, ids)


async def payments_by_notice(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by(session, Payment, PaymentRecord, Payment.notice_id, ids)


async def lines_by_notice(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    q = select_record(NoticeLine).where(NoticeLine.notice_id.in_(ids)).order_by(NoticeLine.notice_id, NoticeLine.position)
    return await _grouped(session, q, "notice_id", NoticeLineRecord, ids)


async def owner_notice_banks_by_house(session: AsyncSession, ids: Sequence[int]) -> list[set[int]]:
    """Per house, the banks of the notices its owners pay (payer OWNER): whose payers they are."""
    q = (select(NoticeLine.house_id, PaymentNotice.bank_id).join(PaymentNotice, PaymentNotice.id == NoticeLine.notice_id)
         .where(NoticeLine.house_id.in_(ids), PaymentNotice.payer_kind == PayerKind.OWNER).distinct())
    found: dict[int, set[int]] = defaultdict(set)
    for house_id, bank_id in (await session.execute(q)).all():
        found[house_id].add(bank_id)
    return [found.get(i, set()) for i in ids]


async def notices_by_application(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    q = select_record(PaymentNotice).where(PaymentNotice.application_id.in_(ids)).order_by(PaymentNotice.id)
    return await _grouped(session, q, "application_id", NoticeRecord, ids)


async def notices_by_job(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    q = select_record(PaymentNotice).where(PaymentNotice.job_id.in_(ids)).order_by(PaymentNotice.id)
    return await _grouped(session, q, "job_id", NoticeRecord, ids)


async def refunds_by_application(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    q = select_record(Refund).where(Refund.application_id.in_(ids)).order_by(Refund.id)
    return await _grouped(session, q, "application_id", RefundRecord, ids)


async def standards(session: AsyncSession) -> list[Any]:
    rows = (await session.execute(select_record(DepositStandard).order_by(DepositStandard.usage, DepositStandard.effective_from.desc(),
                                                                  DepositStandard.id.desc()))).all()
    return [to_record(DepositStandardRecord, r) for r in rows]


def visible_notices(viewer: Viewer):
    """Org users their organisation's; a bank the notices of estates paying into it; staff all."""
    q = select_record(PaymentNotice)
    if viewer.is_staff:
        return q
    if viewer.bank_id is not None:
        return q.where(PaymentNotice.bank_id == viewer.bank_id)
    return q.where(PaymentNotice.organization_id == viewer.organization_id)


async def notices_page(session: AsyncSession, viewer: Viewer, *, first: int | None, after: str | None,
                       estate_id: int | None = None, building_id: int | None = None, house_id: int | None = None,
                       status: NoticeStatus | None = None, type: PaymentType | None = None, number: str | None = None) -> Page:
    q = visible_notices(viewer)
    if estate_id is not None:
        q = q.where(PaymentNotice.estate_id == estate_id)
    if building_id is not None:
        q = q.where(PaymentNotice.building_id == building_id)
    if house_id is not None:
        q = q.where(PaymentNotice.id.in_(select(NoticeLine.notice_id).where(NoticeLine.house_id == house_id)))
    if status is not None:
        q = q.where(PaymentNotice.status == status)
    if type is not None:
        q = q.where(PaymentNotice.type == type)
    if number:
        q = q.where(PaymentNotice.number == number.strip())
    return await keyset_page(session, q, PaymentNotice.id, NoticeRecord, first=first, after=after)


async def notice_by_number(session: AsyncSession, viewer: Viewer, number: str) -> Any:
    row = (await session.execute(visible_notices(viewer).where(PaymentNotice.number == number.strip()))).first()
    return None if row is None else to_record(NoticeRecord, row)


# by id, for the `node` field

async def payments_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await rows_by_id(session, select(*Payment.__table__.c), Payment.id, PaymentRecord, ids)


async def refunds_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await rows_by_id(session, select(*Refund.__table__.c), Refund.id, RefundRecord, ids)


async def deposit_standards_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await rows_by_id(session, select(*DepositStandard.__table__.c), DepositStandard.id, DepositStandardRecord, ids)
