"""Houses as applications see them: their snapshots recorded (the snapshot's shape is
services/houses/fields.py's), PENDING rows created by an application, and opening accounts
(开户) on approval."""

from __future__ import annotations

import operator
from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterable, NamedTuple, Sequence

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, InvalidState, NotFound, ValidationFailed, together
from models import Application, ApplicationHouse, Building, Estate, House, Owner
from models.enums import AccountStatus, DepositTiming, RecordStatus
from services import bulk, codes, pii
from services.houses import fields

ZERO = Decimal("0.00")

async def current_snapshots(session: AsyncSession, house_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Snapshots of houses as they are now, with their building names and owners (3 queries)."""
    if not house_ids:
        return {}
    rows = (await session.execute(
        select(House, Building.name).join(Building, Building.id == House.building_id).where(House.id.in_(house_ids))
    )).all()
    owners: dict[int, list[Owner]] = defaultdict(list)
    for owner in await session.scalars(select(Owner).where(Owner.house_id.in_(house_ids)).order_by(Owner.position, Owner.id)):
        owners[owner.house_id].append(owner)
    return {house.id: fields.house_snapshot(house, name, owners[house.id]) for house, name in rows}


async def houses_of_estate(session: AsyncSession, estate_id: int, house_ids: Sequence[int], *, field: str) -> list[House]:
    """The chosen ACTIVE houses, all in the estate; anything else is NOT_FOUND naming the field."""
    if not house_ids:
        raise ValidationFailed("请选择房屋", field=field)
    if len(house_ids) > 5000:
        raise ValidationFailed("一次最多选择 5000 套房屋", field=field)
    if len(set(house_ids)) != len(house_ids):
        raise ValidationFailed("房屋重复选择", field=field)
    houses = list(await session.scalars(
        select(House).join(Building, Building.id == House.building_id)
        .where(House.id.in_(house_ids), Building.estate_id == estate_id, House.status == RecordStatus.ACTIVE)
    ))
    if len(houses) != len(house_ids):
        found = {h.id for h in houses}
        missing = next(i for i, h in enumerate(house_ids) if h not in found)
        raise NotFound("房屋不存在、不属于该物业区域或已注销", field=f"{field}.{missing}")
    order = {h: i for i, h in enumerate(house_ids)}
    return sorted(houses, key=lambda h: order[h.id])


async def link_houses(session: AsyncSession, app: Application, items: Sequence[tuple[int, dict | None, dict | None, int | None]]) -> None:
    """Replaces the application's house rows: (house id, before, after, target building)."""
    await session.execute(delete(ApplicationHouse).where(ApplicationHouse.application_id == app.id))
    ids = await bulk.next_ids(session, "application_houses", len(items))
    await bulk.copy(session, "application_houses",
                    ("id", "application_id", "house_id", "position", "before", "after", "target_building_id"),
                    [(i, app.id, h, n, bulk.jsonb(b), bulk.jsonb(a), t) for n, (i, (h, b, a, t)) in enumerate(zip(ids, items))])


# fields.house_snapshot, written by PostgreSQL from the stored house: numbers as their text, enums
# as their raw values, owners in order.
_FREEZE_CREATED = text(f"""
UPDATE application_houses ah SET after = jsonb_build_object(
    {", ".join(f"'{key}', h.{column}{'::text' if key in fields.SNAPSHOT_AMOUNTS else ''}"
               for key, column in fields.SNAPSHOT_FIELDS.items())},
    'code', h.code, 'buildingName', b.name,
    'owners', COALESCE((SELECT jsonb_agg(jsonb_build_object('name', o.name, 'idType', o.id_type, 'idNumber', o.id_number,
                                                           'phone', o.phone, 'share', o.share::text) ORDER BY o.position, o.id)
                        FROM owners o WHERE o.house_id = h.id), '[]'::jsonb))
FROM houses h JOIN buildings b ON b.id = h.building_id
WHERE ah.application_id = :app AND ah.before IS NULL AND ah.after IS NULL AND h.id = ah.house_id
""")


async def link_created(session: AsyncSession, app: Application, house_ids: Sequence[int], *, start: int) -> None:
    """Lists the houses the application just created, in this order from position `start`.
    Their snapshots are not written yet:
    until the application is submitted they are the houses themselves (with_created_snapshots),
    and submit writes them (freeze_created). An import of 100 000 houses spent a third of its
    writing on them, and it is repeated until the workbook is right."""
    if house_ids:
        await session.execute(
            text("INSERT INTO application_houses (application_id, house_id, position) "
                 "SELECT :app, t.id, :start + t.n - 1 FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS t(id, n)"),
            {"app": app.id, "ids": list(house_ids), "start": start})


async def freeze_created(session: AsyncSession, app: Application) -> None:
    """On submit: the snapshots of the houses the application creates, as they are submitted."""
    await session.execute(_FREEZE_CREATED, {"app": app.id})


class Linked(NamedTuple):
    """A row of application_houses as the read side uses it."""

    id: int
    house_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def linked_select():
    return select(ApplicationHouse.id, ApplicationHouse.house_id, ApplicationHouse.before, ApplicationHouse.after)


async def with_created_snapshots(session: AsyncSession, rows: Iterable[Any]) -> list[Linked]:
    """The rows with `after` filled for the houses an unsubmitted application creates (which have
    no snapshot written yet): the house as it is stored, exactly what submit will write."""
    rows = [Linked(*r) for r in rows]
    missing = [r.house_id for r in rows if r.before is None and r.after is None]
    if not missing:
        return rows
    snaps = await current_snapshots(session, missing)
    return [r._replace(after=snaps.get(r.house_id)) if r.before is None and r.after is None else r for r in rows]


async def discard_pending(session: AsyncSession, app: Application) -> None:
    """PENDING rows the application created are deleted (withdrawal, or a new import)."""
    pending_houses = select(House.id).where(House.application_id == app.id, House.status == RecordStatus.PENDING)
    await session.execute(delete(ApplicationHouse).where(ApplicationHouse.house_id.in_(pending_houses)))
    await session.execute(delete(Owner).where(Owner.house_id.in_(pending_houses)))
    await session.execute(delete(House).where(House.application_id == app.id, House.status == RecordStatus.PENDING))
    await session.execute(delete(Building).where(Building.application_id == app.id, Building.status == RecordStatus.PENDING))


async def activate_created(session: AsyncSession, app: Application) -> list[int]:
    """开户: the application's PENDING buildings and houses become ACTIVE, each house with an
    opened account and its 分户账号. Returns the house ids."""
    house_ids = list(await session.scalars(
        select(House.id).where(House.application_id == app.id, House.status == RecordStatus.PENDING).order_by(House.id)
    ))
    await session.execute(update(Building).where(Building.application_id == app.id, Building.status == RecordStatus.PENDING)
                          .values(status=RecordStatus.ACTIVE, application_id=None))
    if house_ids:
        numbers = await codes.account_numbers(session, len(house_ids))
        await session.execute(
            update(House).execution_options(synchronize_session=False),
            [{"id": h, "status": RecordStatus.ACTIVE, "account_status": AccountStatus.OPENED, "account_number": n,
              "application_id": None} for h, n in zip(house_ids, numbers)],
        )
    return house_ids


class Placed(NamedTuple):
    """Where an application puts a house: its building and 单元+楼层+房号."""

    house_id: int
    building_id: int
    unit: str | None
    floor: int
    room_number: str

    @property
    def key(self) -> tuple[int, str, int, str]:
        return self.building_id, self.unit or "", self.floor, self.room_number


def taken_message(building_name: str, holder: tuple[str, str]) -> str:
    code, where = holder
    return f"{building_name}{where}已有房屋（房屋编号 {code}），同一楼幢的单元、楼层、房号不能重复"


async def number_holders(session: AsyncSession, placed: Sequence[Placed], *,
                         leaving: Iterable[int] = ()) -> dict[int, tuple[str, str]]:
    """单元+楼层+房号 is unique among a building's ACTIVE houses. For each placed house (by its
    index) whose number is held by an ACTIVE house that is neither placed itself nor `leaving`
    (cancelled by the same approval), or by an earlier placed house: (the holder's 房屋编号, its
    单元+楼层+房号). Houses placed together may exchange numbers, as they move at once."""
    if not placed:
        return {}
    moving = {p.house_id for p in placed}
    free = moving | set(leaving)
    rows = (await session.execute(
        select(House.id, House.code, House.building_id, House.unit, House.floor, House.room_number)
        .where(House.building_id.in_({p.building_id for p in placed}), House.status == RecordStatus.ACTIVE)
    )).all()
    held: dict[tuple, int | str] = {(r.building_id, r.unit or "", r.floor, r.room_number): r.code
                                    for r in rows if r.id not in free}
    found: dict[int, int | str] = {}
    for i, p in enumerate(placed):
        holder = held.setdefault(p.key, p.house_id)  # a placed holder by id, its code looked up below
        if holder != p.house_id:
            found[i] = holder
    ids = [h for h in found.values() if isinstance(h, int)]
    codes_of = dict((await session.execute(select(House.id, House.code).where(House.id.in_(ids))))) if ids else {}
    return {i: (codes_of.get(h, "") if isinstance(h, int) else h,
                fields.place_text(placed[i].unit, placed[i].floor, placed[i].room_number)) for i, h in found.items()}


async def taken_rows(session: AsyncSession, rows: Sequence[Any], building_of: dict[str, int], *,
                     leaving: Iterable[int] = ()) -> list[dict[str, Any]]:
    """DUPLICATE errors of an import that creates houses: each row whose 单元+楼层+房号 an ACTIVE
    house of its (existing) building holds, `leaving` houses apart (number_holders)."""
    located = [r for r in rows if r.building_name in building_of]
    placed = [Placed(-n, building_of[r.building_name], r.unit, r.floor, r.room_number)  # not written yet: no id
              for n, r in enumerate(located, 1)]
    return [{"row": located[i].row, "column": "房号", "code": "DUPLICATE",
             "message": taken_message(located[i].building_name, holder)}
            for i, holder in sorted((await number_holders(session, placed, leaving=leaving)).items())]


async def cancel_houses(session: AsyncSession, app: Application, house_ids: Sequence[int]) -> None:
    """The approval that cancels houses (房屋注销, the old houses of a split/merge): they become
    CANCELLED with their accounts closed and owe nothing from now on, so they are never unpaid;
    each one's former due stays in the application's snapshot (`before.depositDue`). They keep
    their money until it is transferred or refunded."""
    await session.execute(text(
        "UPDATE application_houses ah SET before = ah.before || jsonb_build_object('depositDue', h.deposit_due::text) "
        "FROM houses h WHERE ah.application_id = :app AND h.id = ah.house_id AND ah.before IS NOT NULL "
        "AND h.id = ANY(CAST(:ids AS bigint[]))"), {"app": app.id, "ids": list(house_ids)})
    await session.execute(update(House).where(House.id.in_(house_ids))
                          .values(status=RecordStatus.CANCELLED, account_status=AccountStatus.CLOSED, deposit_due=ZERO))


# The floors of the houses an application places (new PENDING houses, or an info change's
# houses where their `after` puts them), per building; each building grows to hold them.
_STRETCH_BUILDINGS = text("""
WITH placed AS (
    SELECT h.building_id, h.floor FROM houses h
    WHERE h.application_id = :app AND h.status = 'PENDING'
    UNION ALL
    SELECT coalesce(ah.target_building_id, h.building_id), (ah.after->>'floor')::int
    FROM application_houses ah JOIN houses h ON h.id = ah.house_id
    WHERE ah.application_id = :app AND ah.before IS NOT NULL AND ah.after IS NOT NULL
), reach AS (
    SELECT building_id, coalesce(max(floor) FILTER (WHERE floor > 0), 0) AS top,
           coalesce(-min(floor) FILTER (WHERE floor < 0), 0) AS depth
    FROM placed GROUP BY building_id
)
UPDATE buildings b SET floors_above_ground = greatest(coalesce(b.floors_above_ground, 0), r.top),
                       floors_below_ground = greatest(coalesce(b.floors_below_ground, 0), r.depth)
FROM reach r
WHERE b.id = r.building_id
  AND (coalesce(b.floors_above_ground, 0) < r.top OR coalesce(b.floors_below_ground, 0) < r.depth)
""")


async def stretch_buildings(session: AsyncSession, app: Application) -> None:
    """On approval, before the dues are planned: a building's floorsAboveGround becomes at least
    its highest house floor and floorsBelowGround at least the depth of its lowest, so the
    standards that match on floors see the building as its houses make it."""
    await session.execute(_STRETCH_BUILDINGS, {"app": app.id})


def floors_of(floors: Iterable[int]) -> tuple[int, int]:
    """(floors above ground, floors below ground) of a building from its houses' 楼层."""
    floors = list(floors)
    above = max([f for f in floors if f > 0], default=0)
    below = -min([f for f in floors if f < 0], default=0)
    return above, below


_ROW_VALUES = operator.attrgetter(*fields.SNAPSHOT_FIELDS.values())  # a HouseRow's house values, in that order
_ENUM_POSITIONS = [i for i, key in enumerate(fields.SNAPSHOT_FIELDS) if key in fields.SNAPSHOT_ENUMS]
# deposit_due, deposit_paid and balance are left to their server default, 0: encoding three
# Decimal zeros a row was half of the COPY's encoding.
HOUSE_COPY_COLUMNS = ("id", "code", "building_id", *fields.SNAPSHOT_FIELDS.values(), "deposit_timing", "status",
                      "account_status", "application_id")
OWNER_COPY_COLUMNS = ("id", "house_id", "position", "name", "id_type", *pii.SEALED_COLUMNS, "share")


def _house_values(row: Any) -> list[Any]:
    """A sheet row's values for the house's columns (fields.SNAPSHOT_FIELDS), enums by value."""
    values = list(_ROW_VALUES(row))
    for i in _ENUM_POSITIONS:
        values[i] = values[i].value
    return values


class NewHouses(NamedTuple):
    """Imported rows as insert_prepared COPYs them (prepare_houses): every value but the ids and
    房屋编号 that PostgreSQL hands out and the buildings the rows go to."""

    houses: list[tuple]  # a row's values from HOUSE_COPY_COLUMNS[3:]
    owners: list[tuple]  # an owner's: the index of its row, then OWNER_COPY_COLUMNS[2:]


def prepare_houses(app_id: int, rows: Sequence[Any], deposit_timing: DepositTiming) -> NewHouses:
    """The values of PENDING houses for imported rows, with their owners' numbers sealed. Pure
    (no session): an import prepares a part of the sheet in its reading thread while PostgreSQL
    writes the one before."""
    # The values every row shares are looked up once (an enum's .value is a descriptor call).
    tail = (deposit_timing.value, RecordStatus.PENDING.value, AccountStatus.UNOPENED.value, app_id)
    houses = [(*_house_values(r), *tail) for r in rows]
    listed = [(n, i, o) for n, r in enumerate(rows) for i, o in enumerate(r.owners)]
    sealed = pii.sealed_many([(o.id_number, o.phone) for _, _, o in listed])
    owners = [(n, i, o.name, o.id_type.value, *numbers, getattr(o, "share", None))
              for (n, i, o), numbers in zip(listed, sealed)]
    return NewHouses(houses, owners)


def first_building_columns(rows: Sequence[Any]) -> dict[str, tuple]:
    """Each building named in `rows` → (address, built year, structure) of its first row there."""
    firsts: dict[str, tuple] = {}
    for r in rows:
        if r.building_name not in firsts:
            firsts[r.building_name] = (r.building_address, r.built_year, r.structure)
    return firsts


async def insert_prepared(session: AsyncSession, new: NewHouses, building_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Inserts prepared PENDING houses (with their owners) by COPY, house i into building_ids[i].
    Returns (id, 房屋编号) of each."""
    if not new.houses:
        return []
    numbers, house_ids, owner_ids = await bulk.take_many(session, [
        (codes.HOUSE_CODE_SEQUENCE, len(new.houses)), ("houses_id_seq", len(new.houses)), ("owners_id_seq", len(new.owners))])
    house_codes = list(map(codes.house_code, numbers))
    await bulk.copy(session, "houses", HOUSE_COPY_COLUMNS,
                    [(h_id, code, b_id, *values)
                     for h_id, code, b_id, values in zip(house_ids, house_codes, building_ids, new.houses)])
    await bulk.copy(session, "owners", OWNER_COPY_COLUMNS,
                    [(o_id, house_ids[owner[0]], *owner[1:]) for o_id, owner in zip(owner_ids, new.owners)])
    return list(zip(house_ids, house_codes))


async def insert_houses(session: AsyncSession, app: Application, rows: Sequence[Any], building_ids: Sequence[int],
                        deposit_timing: DepositTiming) -> list[tuple[int, str]]:
    """Inserts PENDING houses (with their owners) for imported rows, row i into building_ids[i],
    by COPY. Returns (id, 房屋编号) of each."""
    return await insert_prepared(session, prepare_houses(app.id, rows, deposit_timing), building_ids)


async def estate_of(session: AsyncSession, app: Application) -> Estate:
    return await session.get_one(Estate, app.estate_id)


def _comparable(key: str, value: Any) -> Any:
    """A snapshot value as compared for staleness: owners by what they are, not by their sealed
    tokens (a key rotation re-seals them without changing anyone)."""
    if key != "owners":
        return value
    return [(o["name"], o["idType"], pii.reveal(o["idNumber"], pii.ID_NUMBER), pii.reveal(o["phone"], pii.PHONE), o["share"])
            for o in value]


async def stale_choices(session: AsyncSession, app: Application, compared: Sequence[str], *, field: str) -> list[Any]:
    """The chosen existing houses (rows with a `before`) that another approval has changed since
    the application recorded them: INVALID_STATE for a house no longer ACTIVE (cancelled, split
    or merged), CONFLICT for one whose `compared` snapshot values differ from `before` (approving
    would write the old values back). Drafts hold no locks, so submit asks this (and approval
    again); editing the application records the houses afresh."""
    rows = (await session.execute(
        select(ApplicationHouse.position, ApplicationHouse.house_id, ApplicationHouse.before, House.status, House.code)
        .join(House, House.id == ApplicationHouse.house_id)
        .where(ApplicationHouse.application_id == app.id, ApplicationHouse.before.is_not(None))
        .order_by(ApplicationHouse.position)
    )).all()
    now = await current_snapshots(session, [r.house_id for r in rows if r.status == RecordStatus.ACTIVE]) if compared else {}
    problems: list[Any] = []
    for r in rows:
        if r.status != RecordStatus.ACTIVE:
            problems.append(InvalidState(f"房屋 {r.code} 已注销，不能再办理本业务，请从业务单中去掉该房屋",
                                         field=f"{field}.{r.position}", houseCode=r.code))
        elif any(_comparable(k, r.before.get(k)) != _comparable(k, now[r.house_id].get(k)) for k in compared):
            problems.append(Conflict(f"房屋 {r.code} 在本业务单保存后已被其他业务变更，请重新选择该房屋或修改业务单后再提交",
                                     field=f"{field}.{r.position}", houseCode=r.code))
    return problems


async def refuse_stale(session: AsyncSession, app: Application, compared: Sequence[str], *, field: str) -> None:
    """On approval: stale_choices as one error (submit has looked already; this is for safety)."""
    if problems := await stale_choices(session, app, compared, field=field):
        raise together(problems)
