"""The estate tree, read side: batched loads for DataLoaders, paginated lists in SQL, totals
computed in SQL (the 楼盘表 grid is floor_plan.py). depositDue totals sum ACTIVE houses (a cancelled
house owes nothing); depositPaid and balance sum houses that are not PENDING (a cancelled house
keeps its money until it is transferred or refunded); houseCount and area count ACTIVE houses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import Select, and_, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Reader
from models import Bank, Building, Document, Estate, House, LedgerEntry, Organization, Owner, User
from models.enums import RecordStatus
from services import pii
from services.access import Viewer
from services.batches import KEYS, DriverQuery, any_key, by_id, grouped_by
from services.pagination import Page, keyset_page, like_pattern
from services.records import (
    BankRecord, BuildingRecord, DocumentRecord, EstateRecord, HouseRecord, LedgerRecord, OrganizationRecord,
    OwnerRecord, UserRecord, to_record,
)

ZERO = Decimal("0.00")

HOUSE_COLUMNS = (
    *House.__table__.columns,
    Building.estate_id,
    Estate.developer_id,
    func.greatest(House.deposit_due - House.deposit_paid, 0).label("unpaid"),
)
BUILDING_COLUMNS = (*Building.__table__.columns, Estate.developer_id)


def house_select() -> Select:
    return select(*HOUSE_COLUMNS).join(Building, Building.id == House.building_id).join(Estate, Estate.id == Building.estate_id)


def building_select() -> Select:
    return select(*BUILDING_COLUMNS).join(Estate, Estate.id == Building.estate_id)


def _user_columns():
    return [c for c in User.__table__.columns if c.key != "password_hash"]


# ---------------------------------------------------------------- batched loads (by key)

# The tree's own loads (a floor plan, a whole estate) read on asyncpg directly (DriverQuery).
_ESTATES = DriverQuery(select(*Estate.__table__.c).where(any_key(Estate.id)))
_BUILDINGS = DriverQuery(building_select().where(any_key(Building.id)))
_HOUSES = DriverQuery(house_select().where(any_key(House.id)))
_ORGANIZATIONS = select(*Organization.__table__.c).where(any_key(Organization.id))
_BANKS = select(*Bank.__table__.c).where(any_key(Bank.id))
_USERS = select(*_user_columns()).where(any_key(User.id))
_BUILDINGS_BY_ESTATE = DriverQuery(building_select().where(any_key(Building.estate_id)).order_by(Building.id))
_HOUSES_BY_BUILDING = DriverQuery(house_select().where(any_key(House.building_id)).order_by(House.id))
_OWNERS_BY_HOUSE = DriverQuery(select(*Owner.__table__.c).where(any_key(Owner.house_id))
                               .order_by(Owner.house_id, Owner.position, Owner.id))
_USERS_BY_ORGANIZATION = select(*_user_columns()).where(any_key(User.organization_id)).order_by(User.id)
_ATTACHMENTS_BY_ORGANIZATION = (select(*Document.__table__.c)
                                .where(any_key(Document.organization_id), Document.registration_kind.is_not(None))
                                .order_by(Document.id))
_LEDGER_BY_HOUSE = (select(*LedgerEntry.__table__.c).where(any_key(LedgerEntry.house_id))
                    .order_by(LedgerEntry.house_id, LedgerEntry.id))


async def estates_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await by_id(session, _ESTATES, EstateRecord, ids)


async def buildings_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await by_id(session, _BUILDINGS, BuildingRecord, ids)


async def houses_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await by_id(session, _HOUSES, HouseRecord, ids)


async def organizations_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await by_id(session, _ORGANIZATIONS, OrganizationRecord, ids)


async def banks_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await by_id(session, _BANKS, BankRecord, ids)


async def users_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await by_id(session, _USERS, UserRecord, ids)


async def buildings_by_estate(session: Reader, estate_ids: Sequence[int]) -> list[list[Any]]:
    return await grouped_by(session, _BUILDINGS_BY_ESTATE, "estate_id", BuildingRecord, estate_ids)


async def houses_by_building(session: Reader, building_ids: Sequence[int]) -> list[list[Any]]:
    return await grouped_by(session, _HOUSES_BY_BUILDING, "building_id", HouseRecord, building_ids)


async def owners_by_house(session: Reader, house_ids: Sequence[int]) -> list[list[Any]]:
    return await grouped_by(session, _OWNERS_BY_HOUSE, "house_id", OwnerRecord, house_ids)


async def users_by_organization(session: Reader, org_ids: Sequence[int]) -> list[list[Any]]:
    return await grouped_by(session, _USERS_BY_ORGANIZATION, "organization_id", UserRecord, org_ids)


async def attachments_by_organization(session: Reader, org_ids: Sequence[int]) -> list[list[Any]]:
    return await grouped_by(session, _ATTACHMENTS_BY_ORGANIZATION, "organization_id", DocumentRecord, org_ids)


async def ledger_by_house(session: Reader, house_ids: Sequence[int]) -> list[list[Any]]:
    return await grouped_by(session, _LEDGER_BY_HOUSE, "house_id", LedgerRecord, house_ids)


@dataclass(frozen=True, slots=True)
class Totals:
    house_count: int = 0
    total_building_area: Decimal = ZERO
    deposit_due: Decimal = ZERO
    deposit_paid: Decimal = ZERO
    balance: Decimal = ZERO


def _totals_columns():
    active = House.status == RecordStatus.ACTIVE
    money = House.status != RecordStatus.PENDING
    return (
        func.count().filter(active).label("house_count"),
        func.coalesce(func.sum(House.building_area).filter(active), 0).label("total_building_area"),
        func.coalesce(func.sum(House.deposit_due).filter(active), 0).label("deposit_due"),
        func.coalesce(func.sum(House.deposit_paid).filter(money), 0).label("deposit_paid"),
        func.coalesce(func.sum(House.balance).filter(money), 0).label("balance"),
    )


def _totals_select(key_column) -> Select:
    return (
        select(key_column.label("key"), *_totals_columns())
        .select_from(House)
        .join(Building, Building.id == House.building_id)
        .where(any_key(key_column))
        .group_by(key_column)
    )


_BUILDING_TOTALS = _totals_select(Building.id)
_ESTATE_TOTALS = _totals_select(Building.estate_id)


async def _totals(session: Reader, statement: Select, keys: Sequence[int]) -> list[Totals]:
    found = {r.key: Totals(r.house_count, r.total_building_area, r.deposit_due, r.deposit_paid, r.balance)
             for r in (await session.execute(statement, {KEYS: list(keys)})).all()}
    return [found.get(k, Totals()) for k in keys]


async def building_totals(session: Reader, building_ids: Sequence[int]) -> list[Totals]:
    return await _totals(session, _BUILDING_TOTALS, building_ids)


async def estate_totals(session: Reader, estate_ids: Sequence[int]) -> list[Totals]:
    return await _totals(session, _ESTATE_TOTALS, estate_ids)


# ---------------------------------------------------------------- pages

def _visible_estates(viewer: Viewer):
    return Estate.developer_id == viewer.organization_id if not viewer.is_staff else true()


async def estates_page(session: AsyncSession, viewer: Viewer, *, first: int | None, after: str | None,
                       search: str | None = None, district: str | None = None, developer_id: int | None = None,
                       status: RecordStatus | None = None, developer_filter_given: bool = False) -> Page:
    q = select(*Estate.__table__.c).where(_visible_estates(viewer))
    if search and search.strip():
        pattern = like_pattern(search)
        q = q.where(or_(Estate.name.ilike(pattern), Estate.code.ilike(pattern), Estate.address.ilike(pattern)))
    if district:
        q = q.where(Estate.district == district)
    if developer_filter_given:
        q = q.where(Estate.developer_id == developer_id)  # an unknown id matches nothing
    if status is not None:
        q = q.where(Estate.status == status)
    return await keyset_page(session, q, Estate.id, EstateRecord, first=first, after=after)


async def houses_page(session: AsyncSession, viewer: Viewer, *, first: int | None, after: str | None,
                      estate_id: int | None, building_id: int | None, search: str | None,
                      status: RecordStatus | None, sales_status=None, unpaid: bool | None) -> Page:
    q = house_select()
    if not viewer.is_staff:
        q = q.where(Estate.developer_id == viewer.organization_id)
    if estate_id is not None:
        q = q.where(Building.estate_id == estate_id)
    if building_id is not None:
        q = q.where(House.building_id == building_id)
    if search and search.strip():
        pattern = like_pattern(search)
        q = q.where(or_(
            House.room_number.ilike(pattern),
            House.address.ilike(pattern),
            House.code.ilike(pattern),
            # an owner by name (any part), or by a whole 证件号码 or 手机号码 through its keyed hash
            exists().where(and_(Owner.house_id == House.id, or_(
                Owner.name.ilike(pattern),
                Owner.id_number_hash == pii.digest(search, pii.ID_NUMBER),
                Owner.phone_hash == pii.digest(search, pii.PHONE),
            ))),
        ))
    if status is not None:
        q = q.where(House.status == status)
    if sales_status is not None:
        q = q.where(House.sales_status == sales_status)
    if unpaid is True:
        q = q.where(House.deposit_due > House.deposit_paid)
    elif unpaid is False:
        q = q.where(House.deposit_due <= House.deposit_paid)
    return await keyset_page(session, q, House.id, HouseRecord, first=first, after=after)


async def organizations_page(session: AsyncSession, *, first: int | None, after: str | None, search: str | None,
                             materials_verified: bool | None) -> Page:
    q = select(*Organization.__table__.c)
    if search and search.strip():
        pattern = like_pattern(search)
        q = q.where(or_(Organization.name.ilike(pattern), Organization.credit_code.ilike(pattern)))
    if materials_verified is not None:
        q = q.where(Organization.materials_verified == materials_verified)
    return await keyset_page(session, q, Organization.id, OrganizationRecord, first=first, after=after)


async def estates_of_organization_page(session: AsyncSession, viewer: Viewer, organization_id: int, *,
                                       first: int | None, after: str | None) -> Page:
    q = select(*Estate.__table__.c).where(Estate.developer_id == organization_id)
    return await keyset_page(session, q, Estate.id, EstateRecord, first=first, after=after)


async def all_banks(session: AsyncSession) -> list[Any]:
    return [to_record(BankRecord, r) for r in (await session.execute(select(*Bank.__table__.c).order_by(Bank.code))).all()]
