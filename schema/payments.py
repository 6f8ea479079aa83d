"""Types of deposits and payments: standards, notices, payments, refunds, deposit impact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from core.ids import encode_id
from resolvers import tree as tree_resolvers
from schema.enums import DepositBasis, HouseUsage, NoticeStatus, PayerKind, PaymentChannel, PaymentType, RefundStatus
from schema.types import Building, Document, Estate, House, Node, PageInfo, of_record, page_info, relay_connection
from services import records


@strawberry.type
class DepositStandard(Node):
    is_type_of = of_record(records.DepositStandardRecord)
    name: str
    usage: HouseUsage
    has_elevator: bool | None
    min_floors: int | None = strawberry.field(description="matched against the building's floors above ground, inclusive")
    max_floors: int | None
    basis: DepositBasis
    rate: Decimal
    round_to_yuan: bool = strawberry.field(description="round the amount to whole yuan instead of the fen")
    effective_from: date

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("DepositStandard", self.id))


@strawberry.type
class NoticeLine:
    building_area: Decimal
    standard: str | None
    amount: Decimal

    @strawberry.field
    async def house(self, info: Info) -> House:
        return await info.context.loaders.house_by_id.load(self.house_id)


@strawberry.type
class Payment(Node):
    is_type_of = of_record(records.PaymentRecord)
    amount: Decimal
    bank_transaction_id: str
    channel: PaymentChannel
    paid_at: datetime
    confirmed_at: datetime

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Payment", self.id))

    @strawberry.field
    async def notice(self, info: Info) -> "PaymentNotice":
        return await info.context.loaders.notice_by_id.load(self.notice_id)

    @strawberry.field(description="交款证明 PDF, can be reprinted")
    async def receipt(self, info: Info) -> Document | None:
        return None if self.receipt_document_id is None else await info.context.loaders.document_by_id.load(self.receipt_document_id)


@strawberry.type
class PaymentNotice(Node):
    is_type_of = of_record(records.NoticeRecord)
    number: str = strawberry.field(description="通知单号")
    type: PaymentType
    payer_kind: PayerKind
    payer_name: str
    total: Decimal
    bank_name: str
    bank_account: str
    status: NoticeStatus
    issued_at: datetime
    paid_at: datetime | None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("PaymentNotice", self.id))

    @strawberry.field(description="for the developer and staff; a bank sees the notice, its lines and payers only")
    async def estate(self, info: Info) -> Estate:
        tree_resolvers.require_sees(info, self.organization_id)
        return await info.context.loaders.estate_by_id.load(self.estate_id)

    @strawberry.field(description="for the developer and staff")
    async def building(self, info: Info) -> Building | None:
        tree_resolvers.require_sees(info, self.organization_id)
        return None if self.building_id is None else await info.context.loaders.building_by_id.load(self.building_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[NoticeLine]:
        return await info.context.loaders.lines_by_notice_id.load(self.id)

    @strawberry.field
    async def document(self, info: Info) -> Document | None:
        return None if self.document_id is None else await info.context.loaders.document_by_id.load(self.document_id)

    @strawberry.field
    async def payment(self, info: Info) -> Payment | None:
        return await info.context.loaders.payment_by_notice_id.load(self.id)


@strawberry.type
class Refund(Node):
    is_type_of = of_record(records.RefundRecord)
    amount: Decimal
    account_name: str
    bank_name: str
    account_number: str
    status: RefundStatus
    completed_at: datetime | None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Refund", self.id))

    @strawberry.field
    async def application(self, info: Info) -> Annotated["Application", strawberry.lazy("schema.applications")]:
        return await info.context.loaders.application_by_id.load(self.application_id)

    @strawberry.field
    async def house(self, info: Info) -> House:
        return await info.context.loaders.house_by_id.load(self.house_id)

    @strawberry.field
    async def form(self, info: Info) -> Document | None:
        return None if self.form_document_id is None else await info.context.loaders.document_by_id.load(self.form_document_id)


@strawberry.type
class DepositImpact:
    house_id: strawberry.Private[int]
    due_before: Decimal
    due_after: Decimal
    paid: Decimal
    make_up: Decimal
    refund: Decimal

    @strawberry.field
    async def house(self, info: Info) -> House:
        return await info.context.loaders.house_by_id.load(self.house_id)


PaymentNoticeConnection, PaymentNoticeEdge = relay_connection("PaymentNotice", PaymentNotice)
RefundConnection, RefundEdge = relay_connection("Refund", Refund)
_PaymentConnection, PaymentEdge = relay_connection("Payment", Payment)


@strawberry.type
class PaymentConnection:
    edges: list[PaymentEdge]
    page_info: PageInfo
    total_count: int
    total_amount: Decimal

    @classmethod
    def of(cls, page, total_amount: Decimal):
        return cls(edges=[PaymentEdge(node=n, cursor=c) for n, c in zip(page.items, page.cursors)],
                   page_info=page_info(page), total_count=page.total_count, total_amount=total_amount)
