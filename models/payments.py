"""交存标准 deposit standards, 交存通知单 payment notices and their lines, bank payments, and
refunds (退款)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Area, Base, Money, created_at_column, str_enum
from models.enums import (
    DepositBasis, HouseUsage, NoticeStatus, PayerKind, PaymentChannel, PaymentType, RefundStatus,
)


class DepositStandard(Base):
    __tablename__ = "deposit_standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    usage: Mapped[HouseUsage] = mapped_column(str_enum(HouseUsage, "house_usage"))
    has_elevator: Mapped[bool | None] = mapped_column(Boolean)
    min_floors: Mapped[int | None] = mapped_column(Integer)
    max_floors: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[DepositBasis] = mapped_column(str_enum(DepositBasis, "deposit_basis"))
    rate: Mapped[Decimal] = mapped_column(Numeric(14, 6))
    round_to_yuan: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_from: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class PaymentNotice(Base):
    __tablename__ = "payment_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[PaymentType] = mapped_column(str_enum(PaymentType, "payment_type"))
    payer_kind: Mapped[PayerKind] = mapped_column(str_enum(PayerKind, "payer_kind"))
    payer_name: Mapped[str] = mapped_column(String(300))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    total: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus, "notice_status"))
    issued_at: Mapped[datetime] = created_at_column()
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="SET NULL"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    document_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))


class NoticeLine(Base):
    """One house on a notice. `open` is true while the notice is ISSUED: a house is on at most
    one open line (the partial unique index)."""

    __tablename__ = "notice_lines"
    __table_args__ = (
        Index("uq_notice_lines_open_house", "house_id", unique=True, postgresql_where=text("open")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("payment_notices.id", ondelete="CASCADE"), index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    building_area: Mapped[Decimal] = mapped_column(Area)
    standard: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    open: Mapped[bool] = mapped_column(Boolean, default=True)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("payment_notices.id"), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    bank_transaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[PaymentChannel] = mapped_column(str_enum(PaymentChannel, "payment_channel"))
    paid_at: Mapped[datetime]
    confirmed_at: Mapped[datetime] = created_at_column()
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    receipt_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        Index("uq_refunds_pending_house", "house_id", unique=True, postgresql_where=text("status = 'PENDING'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    account_name: Mapped[str] = mapped_column(String(100))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(40))
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, "refund_status"))
    created_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    form_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
