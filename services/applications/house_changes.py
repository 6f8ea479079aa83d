"""房屋信息变更 house info change, 房屋权属批量变更 ownership change and 房屋注销 house
cancellation: chosen houses with their new values, new owners, or nothing (cancelled)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AppError, Conflict, NotFound, ValidationFailed
from models import Application, ApplicationHouse, Building, House, Owner
from models.enums import (
    ApplicationType, HouseUsage, IdType, RecordStatus, SalesStatus,
)
from services import pii
from services.access import Viewer
from services.applications import common
from services.applications.common import ZERO, AppliedAtEnd, Impact, active_estate_of_viewer, clean_text, editable
from services.houses import fields
from services.houses import snapshots
from services.payments import deposits
from services.validators import normalise

TWO = Decimal("0.01")
DUE_FIELDS = ("usage", "hasElevator", "buildingArea", "price", "buildingName")  # what a house's due depends on


@dataclass
class OwnerData:
    name: str
    id_type: IdType
    id_number: str
    phone: str
    share: Decimal | None = None


@dataclass
class InfoItem:
    house_id: int | None
    building_id: int | None = None
    unit: str | None = None
    floor: int | None = None
    room_number: str | None = None
    address: str | None = None
    usage: HouseUsage | None = None
    layout: str | None = None  # None keeps the 户型; "" clears it
    has_elevator: bool | None = None
    building_area: Decimal | None = None
    inner_area: Decimal | None = None
    price: Decimal | None = None
    real_estate_unit_number: str | None = None
    sales_status: SalesStatus | None = None


@dataclass
class OwnershipItem:
    house_id: int | None
    owners: list[OwnerData] = field(default_factory=list)


def _amount(value: Decimal, path: str, check: Callable[[Decimal], Decimal]) -> str:
    with fields.as_validation(path):
        return str(check(value))


async def _info_after(session: AsyncSession, estate_id: int, item: InfoItem, before: dict, path: str) -> tuple[dict, int | None]:
    after = dict(before)
    target = None
    if item.building_id is not None:
        building = await session.get(Building, item.building_id)
        if building is None or building.estate_id != estate_id or building.status != RecordStatus.ACTIVE:
            raise NotFound("楼幢不存在或不属于该物业区域", field=f"{path}.buildingId")
        if building.name != before["buildingName"]:
            target = building.id
            after["buildingName"] = building.name
    if item.unit is not None:
        after["unit"] = clean_text(item.unit, f"{path}.unit", fields.UNIT_MAX, required=False, fold=True)
    if item.floor is not None:
        with fields.as_validation(f"{path}.floor"):
            after["floor"] = fields.check_floor(item.floor)
    if item.room_number is not None:
        after["roomNumber"] = clean_text(item.room_number, f"{path}.roomNumber", fields.ROOM_MAX, fold=True)
    if item.address is not None:
        after["address"] = clean_text(item.address, f"{path}.address", fields.ADDRESS_MAX)
    if item.usage is not None:
        after["usage"] = item.usage.value
    if item.layout is not None:
        after["layout"] = clean_text(item.layout, f"{path}.layout", fields.LAYOUT_MAX, required=False)
    if item.has_elevator is not None:
        after["hasElevator"] = item.has_elevator
    if item.building_area is not None:
        after["buildingArea"] = _amount(item.building_area, f"{path}.buildingArea", fields.check_area)
    if item.inner_area is not None:
        after["innerArea"] = _amount(item.inner_area, f"{path}.innerArea",
                                     lambda d: fields.check_area(d, fields.INNER_AREA))
    if after.get("innerArea") is not None:
        with fields.as_validation(f"{path}.innerArea"):
            fields.check_inner_area(Decimal(after["innerArea"]), Decimal(after["buildingArea"]))
    if item.price is not None:
        after["price"] = _amount(item.price, f"{path}.price", fields.check_price)
    if item.real_estate_unit_number is not None:
        value = normalise(item.real_estate_unit_number)
        if value:
            with fields.as_validation(f"{path}.realEstateUnitNumber"):
                value = fields.check_unit_number(value)
        after["realEstateUnitNumber"] = value or None
    if item.sales_status is not None:
        after["salesStatus"] = item.sales_status.value
        if item.sales_status == SalesStatus.UNSOLD and after["owners"]:  # fields.check_owner_count, said for this screen
            raise ValidationFailed("房屋有业主，不能改为未售（请先办理权属变更）", field=f"{path}.salesStatus")
    return after, target


class _HouseApplication:
    """Shared by the three: chosen houses are locked; the application's rows carry before/after."""

    kind: ApplicationType

    async def lock_targets(self, session: AsyncSession, app: Application) -> list[tuple[str, int]]:
        rows = (await session.execute(
            select(ApplicationHouse.house_id, ApplicationHouse.target_building_id).where(ApplicationHouse.application_id == app.id)
        )).all()
        return [("HOUSE", r.house_id) for r in rows] + [("BUILDING", r.target_building_id) for r in rows if r.target_building_id]

    chosen_field = "input.items"
    compared: tuple[str, ...] = ()  # the snapshot values approval writes back (snapshots.stale_choices)

    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        if not await session.scalar(select(ApplicationHouse.id).where(ApplicationHouse.application_id == app.id).limit(1)):
            return [ValidationFailed("请选择房屋", field=self.chosen_field)]
        return await snapshots.stale_choices(session, app, self.compared, field=self.chosen_field)

    async def refuse_stale(self, session: AsyncSession, app: Application) -> None:
        await snapshots.refuse_stale(session, app, self.compared, field=self.chosen_field)

    async def discard(self, session: AsyncSession, app: Application) -> None:
        return None

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        return []

    async def rows(self, session: AsyncSession, app: Application) -> list[ApplicationHouse]:
        return list(await session.scalars(select(ApplicationHouse).where(ApplicationHouse.application_id == app.id)
                                          .order_by(ApplicationHouse.position)))


async def _create_or_update(session: AsyncSession, viewer: Viewer, kind: ApplicationType, app_id: int | None, *,
                            estate_id: int | None, reason: str | None, reason_required: bool,
                            build) -> Application:
    if app_id is None:
        viewer = common.require_estate_operator(viewer)
        estate = await active_estate_of_viewer(session, viewer, estate_id)
        app = None
    else:
        app = await editable(session, viewer, app_id, kind)
        estate = await active_estate_of_viewer(session, viewer, estate_id)
    clean_reason = clean_text(reason, "input.reason", 1000) if reason_required else None
    items = await build(estate)
    targets = [("HOUSE", h) for h, *_ in items] + [("BUILDING", t) for *_, t in items if t]
    await common.check_unlocked(session, targets, exclude=app.id if app else None)
    if app is None:
        app = await common.new_application(session, viewer, kind, estate_id=estate.id, reason=clean_reason)
    else:
        app.estate_id = estate.id
        app.reason = clean_reason
    await snapshots.link_houses(session, app, items)
    await common.commit(session)
    return app


async def _chosen(session: AsyncSession, estate_id: int, items: Sequence[Any]) -> tuple[list[House], dict[int, dict]]:
    """The houses the items name, in their order, and their snapshots as they are now."""
    if not items:
        raise ValidationFailed("请选择房屋", field="input.items")
    houses = await snapshots.houses_of_estate(session, estate_id, [i.house_id for i in items], field="input.items")
    return houses, await snapshots.current_snapshots(session, [h.id for h in houses])


async def save_info_change(session: AsyncSession, viewer: Viewer, app_id: int | None, *, estate_id: int | None,
                           reason: str, items: Sequence[InfoItem]) -> Application:
    async def build(estate):
        houses, snaps = await _chosen(session, estate.id, items)
        result = []
        for i, (item, house) in enumerate(zip(items, houses)):
            after, target = await _info_after(session, estate.id, item, snaps[house.id], f"input.items.{i}")
            result.append((house.id, snaps[house.id], after, target))
        placed = [_placed(h, target or house.building_id, after) for (h, _, after, target), house in zip(result, houses)]
        if clashes := await snapshots.number_holders(session, placed):
            i, holder = min(clashes.items())
            raise Conflict(snapshots.taken_message(result[i][2]["buildingName"], holder),
                           field=f"input.items.{i}.roomNumber", houseCode=holder[0])
        return result

    return await _create_or_update(session, viewer, ApplicationType.HOUSE_INFO_CHANGE, app_id, estate_id=estate_id,
                                   reason=reason, reason_required=True, build=build)


async def save_ownership_change(session: AsyncSession, viewer: Viewer, app_id: int | None, *, estate_id: int | None,
                                items: Sequence[OwnershipItem]) -> Application:
    async def build(estate):
        houses, snaps = await _chosen(session, estate.id, items)
        result = []
        for i, (item, house) in enumerate(zip(items, houses)):
            before = snaps[house.id]
            owners = fields.check_owners(item.owners, before["salesStatus"], f"input.items.{i}")
            if before["salesStatus"] == SalesStatus.SOLD.value and not owners:
                raise ValidationFailed("已售房屋至少应有一名业主", field=f"input.items.{i}.owners")
            result.append((house.id, before, {**before, "owners": owners}, None))
        return result

    return await _create_or_update(session, viewer, ApplicationType.OWNERSHIP_CHANGE, app_id, estate_id=estate_id,
                                   reason=None, reason_required=False, build=build)


async def save_cancellation(session: AsyncSession, viewer: Viewer, app_id: int | None, *, estate_id: int | None,
                            reason: str, house_ids: Sequence[int | None]) -> Application:
    async def build(estate):
        houses = await snapshots.houses_of_estate(session, estate.id, list(house_ids), field="input.houseIds")
        snaps = await snapshots.current_snapshots(session, [h.id for h in houses])
        return [(h.id, snaps[h.id], None, None) for h in houses]

    return await _create_or_update(session, viewer, ApplicationType.HOUSE_CANCELLATION, app_id, estate_id=estate_id,
                                   reason=reason, reason_required=True, build=build)


def _placed(house_id: int, building_id: int, after: dict[str, Any]) -> snapshots.Placed:
    return snapshots.Placed(house_id, building_id, after["unit"], after["floor"], after["roomNumber"])


async def apply_values(session: AsyncSession, changes: Sequence[tuple[int, dict[str, Any], int | None]]) -> None:
    """New values for ACTIVE houses. They are set aside (PENDING) while changing, so numbers
    can swap between them; the unique index checks the result when they turn ACTIVE again."""
    ids = [h for h, _, _ in changes]
    await session.execute(update(House).where(House.id.in_(ids)).values(status=RecordStatus.PENDING))
    for house_id, after, target in changes:
        values = fields.snapshot_values(after)
        if target is not None:
            values["building_id"] = target
        await session.execute(update(House).where(House.id == house_id).values(**values))
    await session.execute(update(House).where(House.id.in_(ids)).values(status=RecordStatus.ACTIVE))


class InfoChange(_HouseApplication):
    kind = ApplicationType.HOUSE_INFO_CHANGE
    with_code = True
    compared = (*fields.SNAPSHOT_FIELDS, "buildingName")  # every house value is written from `after`

    async def validate_import(self, session: AsyncSession, app: Application, rows: Sequence[Any]) -> list[dict]:
        covered = await self._covered(session, app)
        buildings = {b.name: b.id for b in await session.scalars(
            select(Building).where(Building.estate_id == app.estate_id, Building.status == RecordStatus.ACTIVE))}
        errors = []
        for r in rows:
            if not r.code or r.code not in covered:
                errors.append({"row": r.row, "column": "房屋编号", "code": "UNKNOWN_HOUSE",
                               "message": f"房屋编号 {r.code or '（空）'} 不在本业务单所选房屋中"})
            if r.building_name not in buildings:
                errors.append({"row": r.row, "column": "楼幢名称", "code": "BAD_VALUE",
                               "message": f"物业区域中没有楼幢 {r.building_name}"})
        if errors:
            return errors
        # The covered houses the sheet leaves out stay where the application puts them now.
        sheet = {r.code: r for r in rows}
        rest = [ah for code, ah in covered.items() if code not in sheet]
        placed = await self._placements(session, rest) + [
            snapshots.Placed(covered[r.code].house_id, buildings[r.building_name], r.unit, r.floor, r.room_number) for r in rows]
        for i, holder in (await snapshots.number_holders(session, placed)).items():
            if i >= len(rest):
                r = rows[i - len(rest)]
                errors.append({"row": r.row, "column": "房号", "code": "DUPLICATE",
                               "message": snapshots.taken_message(r.building_name, holder)})
        return errors

    async def _placements(self, session: AsyncSession, rows: Sequence[ApplicationHouse]) -> list[snapshots.Placed]:
        """Where each row puts its house on approval."""
        current = dict((await session.execute(
            select(House.id, House.building_id).where(House.id.in_([r.house_id for r in rows])))).all())
        return [_placed(r.house_id, r.target_building_id or current[r.house_id], r.after or r.before) for r in rows]

    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        problems = await super().check_submit(session, app)
        rows = await self.rows(session, app)
        for i, holder in (await snapshots.number_holders(session, await self._placements(session, rows))).items():
            problems.append(Conflict(snapshots.taken_message((rows[i].after or rows[i].before)["buildingName"], holder),
                                     field=f"input.items.{i}.roomNumber", houseCode=holder[0]))
        return problems

    async def _covered(self, session: AsyncSession, app: Application) -> dict[str, ApplicationHouse]:
        rows = (await session.execute(
            select(ApplicationHouse, House.code).join(House, House.id == ApplicationHouse.house_id)
            .where(ApplicationHouse.application_id == app.id)
        )).all()
        return {code: ah for ah, code in rows}

    def import_writer(self, session: AsyncSession, app: Application) -> AppliedAtEnd:
        return AppliedAtEnd(self.apply_import, session, app)

    async def apply_import(self, session: AsyncSession, app: Application, rows: Sequence[Any]) -> None:
        """Reads the house columns of each covered row; owners stay as they are."""
        covered = await self._covered(session, app)
        buildings = {b.name: b.id for b in await session.scalars(
            select(Building).where(Building.estate_id == app.estate_id, Building.status == RecordStatus.ACTIVE))}
        for r in rows:
            ah = covered[r.code]
            snap = fields.import_snapshot(r, r.code)
            snap["owners"] = ah.before["owners"]
            if not r.layout_read:  # a sheet without the 户型 column says nothing about it
                snap["layout"] = ah.before.get("layout")
            ah.after = snap
            ah.target_building_id = buildings[r.building_name] if r.building_name != ah.before["buildingName"] else None

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        """The due is recomputed for houses whose area, usage, elevator, price or building changes:
        a rise leaves a 补交 (MAKE_UP) for what is unpaid, a fall below what was paid a refund."""
        rows = (await session.execute(
            select(ApplicationHouse, House).join(House, House.id == ApplicationHouse.house_id)
            .where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).all()
        changed = [(ah, h) for ah, h in rows if ah.after and any(ah.after.get(k) != ah.before.get(k) for k in DUE_FIELDS)]
        values = {}
        for ah, h in changed:
            v = {k: ah.after[k] for k in ("usage", "hasElevator", "buildingArea", "price")}
            if ah.target_building_id:
                v["floors"] = await session.scalar(select(Building.floors_above_ground).where(Building.id == ah.target_building_id))
            values[h.id] = v
        dues = await deposits.dues_for_houses(session, [h.id for _, h in changed], values=values)
        impacts = []
        for _, h in changed:
            due = dues.get(h.id)
            after = due.amount if due else h.deposit_due
            impact = Impact(h.id, h.code, h.deposit_due, after, h.deposit_paid, set_due=due is not None,
                            missing=due is None, cancel_notices=after != h.deposit_due)
            if after > h.deposit_due and after > h.deposit_paid:
                impact.make_up = after - h.deposit_paid
            if after < h.deposit_paid:
                impact.refund = h.deposit_paid - after
            impacts.append(impact)
        return impacts

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        await self.refuse_stale(session, app)
        rows = await self.rows(session, app)
        await apply_values(session, [(r.house_id, r.after, r.target_building_id) for r in rows])


class OwnershipChange(_HouseApplication):
    kind = ApplicationType.OWNERSHIP_CHANGE
    compared = ("owners", "salesStatus")  # the owners are replaced; whether a house may have them

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        await self.refuse_stale(session, app)
        rows = await self.rows(session, app)
        ids = [r.house_id for r in rows]
        await session.execute(delete(Owner).where(Owner.house_id.in_(ids)))
        new = [{"house_id": r.house_id, "position": i, "name": o["name"], "id_type": IdType(o["idType"]),
                **pii.stored_from_snapshot(o), "share": None if o["share"] is None else Decimal(o["share"])}
               for r in rows for i, o in enumerate(r.after["owners"])]
        if new:
            await session.execute(insert(Owner), new)


class Cancellation(_HouseApplication):
    kind = ApplicationType.HOUSE_CANCELLATION

    chosen_field = "input.houseIds"

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        """The house owes nothing more (its due becomes 0); a positive balance is refunded."""
        houses = (await session.execute(
            select(House).join(ApplicationHouse, ApplicationHouse.house_id == House.id)
            .where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).scalars().all()
        return [Impact(h.id, h.code, h.deposit_due, ZERO, h.deposit_paid, refund=max(h.balance, ZERO),
                       cancel_notices=True) for h in houses]

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        await self.refuse_stale(session, app)  # a house cancelled already is not cancelled again
        await snapshots.cancel_houses(session, app, [r.house_id for r in await self.rows(session, app)])

