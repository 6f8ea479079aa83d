"""The estate tree, read side: batched loads for DataLoaders, paginated lists in SQL, totals
computed in SQL, and the 楼盘表 floor plan. depositDue totals sum ACTIVE houses (a cancelled
house owes nothing); depositPaid and balance sum houses that are not PENDING (a cancelled house
keeps its money until it is transferred or refunded); houseCount and area count ACTIVE houses."""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import BigInteger, Select, and_, any_, bindparam, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from models import Bank, Building, Document, Estate, House, LedgerEntry, Organization, Owner, User
from models.enums import RecordStatus
from services import pii
from services.access import Viewer
from services.records import (
    BankRecord, BuildingRecord, DocumentRecord, EstateRecord, HouseRecord, LedgerRecord, OrganizationRecord,
    OwnerRecord, UserRecord, to_record,
)

MAX_PAGE = 100
ZERO = Decimal("0.00")

HOUSE_COLUMNS = (
    *House.__table__.columns,
    Building.estate_id,
    Estate.developer_id,
    func.greatest(House.deposit_due - House.deposit_paid, 0).label("unpaid"),
)
BUILDING_COLUMNS = (*Building.__table__.columns, Estate.developer_id)


def in_keys(column, keys: Sequence[int]):
    """`column = ANY(:keys)`: one array parameter, whatever the batch size (an IN list binds one
    parameter per key and is prepared again for each size)."""
    return column == any_(literal(list(keys), ARRAY(BigInteger)))


def house_select() -> Select:
    return select(*HOUSE_COLUMNS).join(Building, Building.id == House.building_id).join(Estate, Estate.id == Building.estate_id)


def building_select() -> Select:
    return select(*BUILDING_COLUMNS).join(Estate, Estate.id == Building.estate_id)


def _user_columns():
    return [c for c in User.__table__.columns if c.key != "password_hash"]


# ---------------------------------------------------------------- batched loads (by key)

def any_key(column):
    """`column = ANY(:keys)`, the keys bound when it runs ({KEYS: [...]}): the loaders' statements
    are built once, so each batch skips building a statement and its cache key (about a
    millisecond of a floor plan's three loads)."""
    return column == any_(bindparam(KEYS, type_=ARRAY(BigInteger)))


KEYS = "keys"
_ESTATES = select(*Estate.__table__.c).where(any_key(Estate.id))
_BUILDINGS = building_select().where(any_key(Building.id))
_HOUSES = house_select().where(any_key(House.id))
_ORGANIZATIONS = select(*Organization.__table__.c).where(any_key(Organization.id))
_BANKS = select(*Bank.__table__.c).where(any_key(Bank.id))
_USERS = select(*_user_columns()).where(any_key(User.id))
_BUILDINGS_BY_ESTATE = building_select().where(any_key(Building.estate_id)).order_by(Building.id)
_HOUSES_BY_BUILDING = house_select().where(any_key(House.building_id)).order_by(House.id)
_OWNERS_BY_HOUSE = (select(*Owner.__table__.c).where(any_key(Owner.house_id))
                    .order_by(Owner.house_id, Owner.position, Owner.id))
_USERS_BY_ORGANIZATION = select(*_user_columns()).where(any_key(User.organization_id)).order_by(User.id)
_ATTACHMENTS_BY_ORGANIZATION = (select(*Document.__table__.c)
                                .where(any_key(Document.organization_id), Document.registration_kind.is_not(None))
                                .order_by(Document.id))
_LEDGER_BY_HOUSE = (select(*LedgerEntry.__table__.c).where(any_key(LedgerEntry.house_id))
                    .order_by(LedgerEntry.house_id, LedgerEntry.id))


async def _by_id(session: AsyncSession, statement: Select, cls: type, ids: Sequence[int]) -> list[Any]:
    rows = (await session.execute(statement, {KEYS: list(ids)})).all()
    found = {r.id: to_record(cls, r) for r in rows}
    return [found.get(i) for i in ids]


async def estates_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by_id(session, _ESTATES, EstateRecord, ids)


async def buildings_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by_id(session, _BUILDINGS, BuildingRecord, ids)


async def houses_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by_id(session, _HOUSES, HouseRecord, ids)


async def organizations_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by_id(session, _ORGANIZATIONS, OrganizationRecord, ids)


async def banks_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by_id(session, _BANKS, BankRecord, ids)


async def users_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    return await _by_id(session, _USERS, UserRecord, ids)


async def _grouped(session: AsyncSession, statement: Select, key: str, cls: type, keys: Sequence[int]) -> list[list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    result = await session.execute(statement, {KEYS: list(keys)})
    at = list(result.keys()).index(key)  # by position: Row._mapping builds a mapping per row
    for row in result.all():
        groups[row[at]].append(cls(*row))
    return [groups.get(k, []) for k in keys]


async def buildings_by_estate(session: AsyncSession, estate_ids: Sequence[int]) -> list[list[Any]]:
    return await _grouped(session, _BUILDINGS_BY_ESTATE, "estate_id", BuildingRecord, estate_ids)


async def houses_by_building(session: AsyncSession, building_ids: Sequence[int]) -> list[list[Any]]:
    return await _grouped(session, _HOUSES_BY_BUILDING, "building_id", HouseRecord, building_ids)


async def owners_by_house(session: AsyncSession, house_ids: Sequence[int]) -> list[list[Any]]:
    return await _grouped(session, _OWNERS_BY_HOUSE, "house_id", OwnerRecord, house_ids)


async def users_by_organization(session: AsyncSession, org_ids: Sequence[int]) -> list[list[Any]]:
    return await _grouped(session, _USERS_BY_ORGANIZATION, "organization_id", UserRecord, org_ids)


async def attachments_by_organization(session: AsyncSession, org_ids: Sequence[int]) -> list[list[Any]]:
    return await _grouped(session, _ATTACHMENTS_BY_ORGANIZATION, "organization_id", DocumentRecord, org_ids)


async def ledger_by_house(session: AsyncSession, house_ids: Sequence[int]) -> list[list[Any]]:
    return await _grouped(session, _LEDGER_BY_HOUSE, "house_id", LedgerRecord, house_ids)


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


async def _totals(session: AsyncSession, statement: Select, keys: Sequence[int]) -> list[Totals]:
    found = {r.key: Totals(r.house_count, r.total_building_area, r.deposit_due, r.deposit_paid, r.balance)
             for r in (await session.execute(statement, {KEYS: list(keys)})).all()}
    return [found.get(k, Totals()) for k in keys]


async def building_totals(session: AsyncSession, building_ids: Sequence[int]) -> list[Totals]:
    return await _totals(session, _BUILDING_TOTALS, building_ids)


async def estate_totals(session: AsyncSession, estate_ids: Sequence[int]) -> list[Totals]:
    return await _totals(session, _ESTATE_TOTALS, estate_ids)


# ---------------------------------------------------------------- pages

@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total_count: int


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"after:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, pk = raw.partition(":")
        if prefix == "after" and pk.isdigit():
            return int(pk)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationFailed("分页游标无效", field="after")


def page_size(first: int | None) -> int:
    if first is None:
        return 20
    if not 0 <= first <= MAX_PAGE:
        raise ValidationFailed(f"每页条数应在 0 到 {MAX_PAGE} 之间", field="first")
    return first


async def keyset_page(session: AsyncSession, query: Select, id_column, cls: type, *, first: int | None,
                      after: str | None) -> Page:
    """A Relay page in SQL: `id > after` ordered by id, one row more than asked to know
    whether there is a next page, and the total of the filtered query."""
    size = page_size(first)
    after_id = decode_cursor(after)
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    paged = query.order_by(id_column).limit(size + 1)
    if after_id is not None:
        paged = paged.where(id_column > after_id)
    rows = (await session.execute(paged)).all()
    items = [to_record(cls, r) for r in rows[:size]]
    return Page(items, [encode_cursor(i.id) for i in items], len(rows) > size, after_id is not None, total or 0)


def like_pattern(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text.strip()) + "%"


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


# ---------------------------------------------------------------- 楼盘表

@lru_cache(maxsize=4096)
def natural_key(text: str | None) -> tuple:
    """'2单元' after '1单元', '1001' after '201': digits compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.findall(r"\d+|\D+", text or ""))


@dataclass(frozen=True)
class FloorPlanRow:
    floor: int
    houses: list[Any]


@dataclass(frozen=True)
class FloorPlan:
    units: list[str]
    floors: list[FloorPlanRow]


def floor_plan(houses: Sequence[Any]) -> FloorPlan:
    """楼盘表: floors from the top down; on each floor houses by unit then room number, so the
    grid reads left to right as in the manual's selection screens. Cancelled houses are left out."""
    live = [h for h in houses if h.status != RecordStatus.CANCELLED]
    units = sorted({h.unit or "" for h in live}, key=natural_key)
    by_floor: dict[int, list[Any]] = defaultdict(list)
    for h in live:
        by_floor[h.floor].append(h)
    rows = [
        FloorPlanRow(floor, sorted(by_floor[floor], key=lambda h: (natural_key(h.unit), natural_key(h.room_number))))
        for floor in sorted(by_floor, reverse=True)
    ]
    return FloorPlan(units=units, floors=rows)
