"""Query and Mutation fields of deposits and payments (mixed into the roots)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from resolvers import payments as payment_resolvers
from schema.application_inputs import OwnerInput
from schema.applications import Job
from schema.enums import DepositBasis, HouseUsage, NoticeStatus, PaymentChannel, PaymentType, RefundStatus
from schema.payments import DepositStandard, Payment, PaymentConnection, PaymentNotice, PaymentNoticeConnection, Refund, RefundConnection


@strawberry.input
class DepositStandardInput:
    name: str
    usage: HouseUsage
    has_elevator: bool | None = None
    min_floors: int | None = None
    max_floors: int | None = None
    basis: DepositBasis
    rate: Decimal
    round_to_yuan: bool | None = None
    effective_from: date


@strawberry.input
class PaymentNoticeFilter:
    estate_id: strawberry.ID | None = None
    building_id: strawberry.ID | None = None
    house_id: strawberry.ID | None = None
    status: NoticeStatus | None = None
    type: PaymentType | None = None
    number: str | None = None


@strawberry.input
class OwnerNoticeItemInput:
    house_id: strawberry.ID
    owners: list[OwnerInput]


@strawberry.input
class CustomNoticeItemInput:
    house_id: strawberry.ID
    amount: Decimal


@strawberry.input
class CustomNoticesInput:
    type: PaymentType
    items: list[CustomNoticeItemInput]


@strawberry.input
class ConfirmPaymentInput:
    notice_number: str
    amount: Decimal
    bank_transaction_id: str
    paid_at: datetime
    channel: PaymentChannel


@strawberry.type
class PaymentQuery:
    @strawberry.field
    async def payment_notices(self, info: Info, first: int | None = None, after: str | None = None,
                              filter: PaymentNoticeFilter | None = None) -> PaymentNoticeConnection:
        return PaymentNoticeConnection.of(await payment_resolvers.payment_notices(info, first=first, after=after, filter=filter))

    @strawberry.field
    async def payment_notice(self, info: Info, number: str) -> PaymentNotice | None:
        return await payment_resolvers.payment_notice(info, number)

    @strawberry.field(description="对账: a bank's confirmed payments of one day (a BANK user sees its own bank's; clerks all)")
    async def payments(self, info: Info, date: date, first: int | None = None, after: str | None = None) -> PaymentConnection:
        page, total = await payment_resolvers.payments_of_day(info, day=date, first=first, after=after)
        return PaymentConnection.of(page, total)

    @strawberry.field
    async def refunds(self, info: Info, first: int | None = None, after: str | None = None,
                      status: RefundStatus | None = None, estate_id: strawberry.ID | None = None) -> RefundConnection:
        return RefundConnection.of(await payment_resolvers.refunds(info, first=first, after=after, status=status, estate_id=estate_id))

    @strawberry.field
    async def deposit_standards(self, info: Info) -> list[DepositStandard]:
        return await payment_resolvers.deposit_standards(info)


@strawberry.type
class PaymentMutation:
    @strawberry.mutation
    async def set_deposit_standard(self, info: Info, input: DepositStandardInput) -> DepositStandard:
        return await payment_resolvers.set_deposit_standard(info, input)

    @strawberry.mutation
    async def recalculate_deposits(self, info: Info, estate_id: strawberry.ID | None = None) -> Job:
        return await payment_resolvers.recalculate(info, estate_id)

    @strawberry.mutation
    async def issue_building_notices(self, info: Info, building_ids: list[strawberry.ID]) -> list[PaymentNotice]:
        return await payment_resolvers.issue_building_notices(info, building_ids)

    @strawberry.mutation
    async def issue_owner_notices(self, info: Info, items: list[OwnerNoticeItemInput]) -> list[PaymentNotice]:
        return await payment_resolvers.issue_owner_notices(info, items)

    @strawberry.mutation
    async def issue_custom_notices(self, info: Info, input: CustomNoticesInput) -> list[PaymentNotice]:
        return await payment_resolvers.issue_custom_notices(info, input)

    @strawberry.mutation(description="a workbook of houses and amounts for 续筹 (renewal): the chosen houses, or all whose balance is under 30 % of the first deposit")
    async def export_renewal_amounts(self, info: Info, estate_id: strawberry.ID, house_ids: list[strawberry.ID] | None = None) -> Job:
        return await payment_resolvers.export_renewal(info, estate_id, house_ids)

    @strawberry.mutation(description="reads the edited renewal workbook back and, if every row passes, issues its notices (Job.paymentNotices)")
    async def import_custom_amounts(self, info: Info, estate_id: strawberry.ID, type: PaymentType, file: Upload) -> Job:
        return await payment_resolvers.import_amounts(info, estate_id, type, file)

    @strawberry.mutation
    async def cancel_payment_notice(self, info: Info, id: strawberry.ID) -> PaymentNotice:
        return await payment_resolvers.cancel_notice(info, id)

    @strawberry.mutation(description="one printable PDF with one notice per page")
    async def print_payment_notices(self, info: Info, ids: list[strawberry.ID]) -> Job:
        return await payment_resolvers.print_notices(info, ids)

    @strawberry.mutation
    async def confirm_payment(self, info: Info, input: ConfirmPaymentInput) -> Payment:
        return await payment_resolvers.confirm_payment(info, input)

    @strawberry.mutation
    async def complete_refund(self, info: Info, id: strawberry.ID) -> Refund:
        return await payment_resolvers.complete_refund(info, id)
