"""The estate tree: 物业区域 Estate → 楼幢 Building → 房屋 House → 业主 Owner, and each house's
分户账 ledger. A house keeps its ledger totals (deposit_paid, balance) beside the entries; the
ledger service updates both in one transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, SmallInteger, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Area, Base, Money, created_at_column, str_enum
from models.enums import (
    AccountStatus, BuildingStructure, DepositTiming, HouseUsage, IdType, LedgerKind, RecordStatus,
    SalesStatus,
)


class Estate(Base):
    __tablename__ = "estates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    remark: Mapped[str | None] = mapped_column(String(1000))
    deposit_timing: Mapped[DepositTiming] = mapped_column(str_enum(DepositTiming, "deposit_timing"))
    developer_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    status: Mapped[RecordStatus] = mapped_column(str_enum(RecordStatus, "record_status"))
    # the application that created it while it is PENDING (deleted with it if withdrawn)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", use_alter=True, ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at_column()


class Building(Base):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    built_year: Mapped[int | None] = mapped_column(SmallInteger)
    structure: Mapped[BuildingStructure | None] = mapped_column(str_enum(BuildingStructure, "building_structure"))
    floors_above_ground: Mapped[int | None] = mapped_column(SmallInteger)
    floors_below_ground: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[RecordStatus] = mapped_column(str_enum(RecordStatus, "record_status"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", use_alter=True, ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at_column()


class House(Base):
    __tablename__ = "houses"
    __table_args__ = (
        # 单元+楼层+房号 is unique among a building's ACTIVE houses. PENDING houses are checked
        # by the applications that create them (a split/merge's result may reuse the number of
        # a house it cancels on approval).
        Index(
            "uq_houses_building_unit_floor_room",
            "building_id", func.coalesce(text("unit"), text("''")), "floor", "room_number",
            unique=True, postgresql_where=text("status = 'ACTIVE'"),
        ),
        # 分户账号 is unique once opened; unopened (PENDING) houses have none and stay out of the
        # index, so the houses an import writes skip its upkeep (migration 0005).
        Index("uq_houses_account_number", "account_number", unique=True,
              postgresql_where=text("account_number IS NOT NULL")),
        # Room on each page for an in-place (HOT) update of every row on it: dues and balances (0004, 0006).
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit: Mapped[str | None] = mapped_column(String(20))
    floor: Mapped[int] = mapped_column(SmallInteger)
    room_number: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    usage: Mapped[HouseUsage] = mapped_column(str_enum(HouseUsage, "house_usage"))
    layout: Mapped[str | None] = mapped_column(String(20))  # 户型, free text as typed (三房两厅)
    has_elevator: Mapped[bool] = mapped_column(Boolean)
    building_area: Mapped[Decimal] = mapped_column(Area)
    inner_area: Mapped[Decimal | None] = mapped_column(Area)
    price: Mapped[Decimal | None] = mapped_column(Money)
    real_estate_unit_number: Mapped[str | None] = mapped_column(String(28))
    sales_status: Mapped[SalesStatus] = mapped_column(str_enum(SalesStatus, "sales_status"))
    deposit_timing: Mapped[DepositTiming] = mapped_column(str_enum(DepositTiming, "deposit_timing"))
    status: Mapped[RecordStatus] = mapped_column(str_enum(RecordStatus, "record_status"))
    account_status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, "account_status"), default=AccountStatus.UNOPENED
    )
    account_number: Mapped[str | None] = mapped_column(String(30))
    deposit_due: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    deposit_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", use_alter=True, ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at_column()


class Owner(Base):
    """业主. id_number and phone hold sealed values (services/pii.py: AES-GCM, the key outside the
    database); the *_hash columns are their keyed hashes, for matching."""

    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    id_type: Mapped[IdType] = mapped_column(str_enum(IdType, "id_type"))
    id_number: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(200))
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    share: Mapped[Decimal | None] = mapped_column(Numeric(9, 8))


class LedgerEntry(Base):
    """分户账 entry: append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, "ledger_kind"))
    amount: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)
    at: Mapped[datetime] = created_at_column()
    memo: Mapped[str | None] = mapped_column(String(200))
