"""Resolvers of deposits and payments."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from resolvers.ids import given_row_id, row_id
from services.payments import confirm, deposits, notices, renewal
from services.payments import jobs as payment_jobs
from services.payments import read as payments_read
from services.payments import refunds as payment_refunds
from services.access import require_tree_reader, require_viewer
from services.applications.house_changes import OwnerData
from services.records import DepositStandardRecord, JobRecord, NoticeRecord, PaymentRecord, RefundRecord, from_model


async def _session_call(info, fn, *args, **kwargs):
    async with info.context.sessions() as session:
        return await fn(session, info.context.viewer, *args, **kwargs)


async def deposit_standards(info):
    require_viewer(info.context.viewer)
    async with info.context.sessions() as session:
        return await payments_read.standards(session)


async def set_deposit_standard(info, input):
    row = await _session_call(info, deposits.set_standard, name=input.name, usage=input.usage, has_elevator=input.has_elevator,
                              min_floors=input.min_floors, max_floors=input.max_floors, basis=input.basis, rate=input.rate,
                              round_to_yuan=input.round_to_yuan, effective_from=input.effective_from)
    return from_model(DepositStandardRecord, row)


async def recalculate(info, estate_id):
    pk = None
    if estate_id is not None:
        pk = row_id(estate_id, "Estate")
        if pk is None:
            raise NotFound("物业区域不存在", field="estateId")
    return from_model(JobRecord, await _session_call(info, payment_jobs.start_recalculation, pk))


def _notices(rows) -> list[Any]:
    return [from_model(NoticeRecord, n) for n in rows]


async def issue_building_notices(info, building_ids):
    return _notices(await _session_call(info, notices.issue_building_notices, [row_id(b, "Building") for b in building_ids]))


async def issue_owner_notices(info, items):
    values = [(row_id(i.house_id, "House"), [OwnerData(o.name, o.id_type, o.id_number, o.phone, o.share) for o in i.owners])
              for i in items]
    return _notices(await _session_call(info, notices.issue_owner_notices, values))


async def issue_custom_notices(info, input):
    values = [(row_id(i.house_id, "House"), i.amount) for i in input.items]
    return _notices(await _session_call(info, notices.issue_custom, input.type, values))


async def export_renewal(info, estate_id, house_ids):
    ids = None if house_ids is None else [row_id(h, "House") for h in house_ids]
    return from_model(JobRecord, await _session_call(info, renewal.start_renewal_export, row_id(estate_id, "Estate"), ids))


async def import_amounts(info, estate_id, type, file):
    return from_model(JobRecord, await _session_call(info, renewal.start_amount_import, row_id(estate_id, "Estate"), type, file))


async def cancel_notice(info, gid):
    return from_model(NoticeRecord, await _session_call(info, notices.cancel, row_id(gid, "PaymentNotice")))


async def print_notices(info, ids):
    return from_model(JobRecord, await _session_call(info, payment_jobs.start_print, [row_id(i, "PaymentNotice") for i in ids]))


async def confirm_payment(info, input):
    payment = await _session_call(info, confirm.confirm, notice_number=input.notice_number, amount=input.amount,
                                  bank_transaction_id=input.bank_transaction_id, paid_at=input.paid_at, channel=input.channel)
    return from_model(PaymentRecord, payment)


async def complete_refund(info, gid):
    return from_model(RefundRecord, await _session_call(info, payment_refunds.complete_refund, row_id(gid, "Refund")))


async def payment_notices(info, *, first, after, filter):
    viewer = require_viewer(info.context.viewer)
    kwargs: dict[str, Any] = {}
    if filter is not None:
        for name, type_name in (("estate_id", "Estate"), ("building_id", "Building"), ("house_id", "House")):
            gid = getattr(filter, name)
            if gid is not None:
                kwargs[name] = given_row_id(gid, type_name)
        kwargs.update(status=filter.status, type=filter.type, number=filter.number)
    async with info.context.sessions() as session:
        return await payments_read.notices_page(session, viewer, first=first, after=after, **kwargs)


async def payment_notice(info, number: str):
    viewer = info.context.viewer
    if viewer is None:
        return None
    async with info.context.sessions() as session:
        return await payments_read.notice_by_number(session, viewer, number)


async def payments_of_day(info, *, day, first, after):
    async with info.context.sessions() as session:
        return await confirm.payments_page(session, info.context.viewer, day=day, first=first, after=after)


async def refunds(info, *, first, after, status, estate_id):
    viewer = require_tree_reader(info.context.viewer)
    async with info.context.sessions() as session:
        return await payment_refunds.refunds_page(session, viewer, first=first, after=after, status=status,
                                                  estate_id=given_row_id(estate_id, "Estate"))


async def node(info, type_name: str, gid: str):
    """Node lookups of this area: a notice, payment or refund for whom may see it (services/access),
    a deposit standard for any signed-in user."""
    viewer = info.context.viewer
    pk = row_id(gid, type_name)
    if viewer is None or pk is None:
        return None
    loaders = info.context.loaders
    if type_name == "PaymentNotice":
        notice = await loaders.notice_by_id.load(pk)
        return notice if notice and viewer.can_see_notice(notice) else None
    if type_name == "DepositStandard":
        return await loaders.deposit_standard_by_id.load(pk)
    if type_name == "Refund":
        refund = await loaders.refund_by_id.load(pk)
        return refund if refund and viewer.can_see_org(refund.organization_id) else None
    payment = await loaders.payment_by_id.load(pk)
    notice = None if payment is None else await loaders.notice_by_id.load(payment.notice_id)
    return payment if notice and viewer.can_see_notice(notice) else None
