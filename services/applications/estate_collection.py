"""物业区域采集 estate collection and 房屋补充 house supplement: estate info and 交存时点, houses
from the Excel template; on approval the estate, buildings and houses become ACTIVE and every
house gets its account (开户). Also 物业区域变更, the immediate estate change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AppError, Conflict, NotFound, ValidationFailed
from models import Application, ApplicationHouse, Bank, Building, Estate, House
from models.enums import DISTRICTS, ApplicationType, DepositTiming, RecordStatus
from services import audit, bulk, codes
from services.access import Viewer
from services.applications import common
from services.applications.common import ZERO, Impact, active_estate_of_viewer, clean_text, editable
from services.payments import banks, deposits
from services.houses import import_process, snapshots
from services.houses.fields import BuildingFields


@dataclass
class EstateInfo:
    name: str
    district: str
    address: str
    remark: str | None
    deposit_timing: DepositTiming
    bank_id: int | None = None


async def _bank_id(session: AsyncSession, bank_id: int | None) -> int:
    """The estate's 专户银行: the one chosen, or the default bank when none is given."""
    if bank_id is not None:
        if await session.get(Bank, bank_id) is None:
            raise NotFound("银行不存在", field="input.bankId")
        return bank_id
    found = await banks.default_bank_id(session)
    if found is None:
        raise ValidationFailed("尚未配置专户银行，请联系维修资金管理部门", field="input.bankId")
    return found


async def _apply_info(session: AsyncSession, estate: Estate, info: EstateInfo) -> None:
    estate.name = clean_text(info.name, "input.name", 200)
    if info.district not in DISTRICTS:
        raise ValidationFailed("行政区域应为：" + "、".join(DISTRICTS), field="input.district")
    estate.district = info.district
    estate.address = clean_text(info.address, "input.address", 300)
    estate.remark = clean_text(info.remark, "input.remark", 1000, required=False)
    estate.deposit_timing = info.deposit_timing
    estate.bank_id = await _bank_id(session, info.bank_id)


async def create_collection(session: AsyncSession, viewer: Viewer, info: EstateInfo) -> Application:
    viewer = common.require_estate_operator(viewer)
    estate = Estate(code=await codes.estate_code(session), developer_id=viewer.organization_id,
                    status=RecordStatus.PENDING)
    await _apply_info(session, estate, info)
    session.add(estate)
    await session.flush()
    app = await common.new_application(session, viewer, ApplicationType.ESTATE_COLLECTION, estate_id=estate.id,
                                       reason=None, payload={"depositTiming": info.deposit_timing.value})
    estate.application_id = app.id
    await common.commit(session)
    return app


async def update_collection(session: AsyncSession, viewer: Viewer, app_id: int | None, info: EstateInfo) -> Application:
    app = await editable(session, viewer, app_id, ApplicationType.ESTATE_COLLECTION)
    estate = await session.get_one(Estate, app.estate_id)
    await _apply_info(session, estate, info)
    app.payload = {"depositTiming": info.deposit_timing.value}
    await session.execute(update(House).where(House.application_id == app.id).values(deposit_timing=info.deposit_timing))
    await common.commit(session)
    return app


async def create_supplement(session: AsyncSession, viewer: Viewer, estate_id: int | None, timing: DepositTiming) -> Application:
    viewer = common.require_estate_operator(viewer)
    estate = await active_estate_of_viewer(session, viewer, estate_id)
    await common.check_unlocked(session, [("ESTATE", estate.id)])
    app = await common.new_application(session, viewer, ApplicationType.HOUSE_SUPPLEMENT, estate_id=estate.id,
                                       reason=None, payload={"depositTiming": timing.value})
    await common.commit(session)
    return app


async def update_supplement(session: AsyncSession, viewer: Viewer, app_id: int | None, estate_id: int | None,
                            timing: DepositTiming) -> Application:
    app = await editable(session, viewer, app_id, ApplicationType.HOUSE_SUPPLEMENT)
    estate = await active_estate_of_viewer(session, viewer, estate_id)
    if estate.id != app.estate_id:
        await snapshots.discard_pending(session, app)  # houses imported for another estate go
        app.estate_id = estate.id
    app.payload = {"depositTiming": timing.value}
    await session.execute(update(House).where(House.application_id == app.id).values(deposit_timing=timing))
    await common.commit(session)
    return app


async def update_estate(session: AsyncSession, viewer: Viewer, estate_id: int | None, *, address: str | None,
                        remark: str | None) -> Estate:
    """物业区域变更: address and remark only, saved at once and audited."""
    viewer = common.require_estate_operator(viewer)
    estate = None if estate_id is None else await session.scalar(select(Estate).where(Estate.id == estate_id).with_for_update())
    if estate is None or estate.developer_id != viewer.organization_id:
        raise NotFound("物业区域不存在", field="id")
    before = audit.snapshot(estate, ("address", "remark"))
    if address is not None:
        estate.address = clean_text(address, "input.address", 300)
    if remark is not None:
        estate.remark = clean_text(remark, "input.remark", 1000, required=False)
    after = audit.snapshot(estate, ("address", "remark"))
    if before != after:
        audit.record(session, actor=viewer, action="estate.update", entity_type="Estate", entity_id=estate.id,
                     organization_id=estate.developer_id, before=before, after=after)
    await session.commit()
    return estate


# ---------------------------------------------------------------- import and approval

class Creating:
    """Collection and supplement: houses from the template; supplement may add to ACTIVE buildings."""

    with_code = False

    def __init__(self, supplement: bool):
        self.supplement = supplement

    async def validate_import(self, session: AsyncSession, app: Application, rows: Sequence[Any]) -> list[dict]:
        if not self.supplement:
            return []
        active = await _active_buildings(session, app.estate_id)
        return await snapshots.taken_rows(session, rows, {name: b.id for name, b in active.items()})

    def import_writer(self, session: AsyncSession, app: Application) -> "CreatingWriter":
        """The houses are written while the workbook is still being read (files.run_import)."""
        return CreatingWriter(self, session, app)

    async def lock_targets(self, session: AsyncSession, app: Application) -> list[tuple[str, int]]:
        return [("ESTATE", app.estate_id)]

    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        count = await session.scalar(select(House.id).where(House.application_id == app.id).limit(1))
        if count is None:
            return [ValidationFailed("请先导入房屋信息", field="importHouses")]
        if not self.supplement:
            return []  # every building is new: the import checked the sheet against itself
        # A number free at the import may have been taken since by another application.
        added = (await session.execute(
            select(House.id, House.building_id, House.unit, House.floor, House.room_number, Building.name)
            .join(Building, Building.id == House.building_id)
            .where(House.application_id == app.id, House.status == RecordStatus.PENDING,
                   Building.status == RecordStatus.ACTIVE).order_by(House.id))).all()
        return [Conflict(snapshots.taken_message(added[i].name, holder) + "，请修改后重新导入", field="importHouses",
                         houseCode=holder[0])
                for i, holder in (await snapshots.number_holders(session, [snapshots.Placed(*r[:5]) for r in added])).items()]

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        """Every new house gets its due (none matching a standard: approval is refused, naming them)."""
        houses = list(await session.scalars(select(House).where(House.application_id == app.id,
                                                                House.status == RecordStatus.PENDING).order_by(House.id)))
        dues = await deposits.dues_for_houses(session, [h.id for h in houses])
        return [Impact(h.id, h.code, ZERO, dues[h.id].amount if dues.get(h.id) else ZERO, ZERO, set_due=True,
                       missing=dues.get(h.id) is None) for h in houses]

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        if not self.supplement:
            await session.execute(update(Estate).where(Estate.id == app.estate_id)
                                  .values(status=RecordStatus.ACTIVE, application_id=None))
        await snapshots.activate_created(session, app)

    async def discard(self, session: AsyncSession, app: Application) -> None:
        await snapshots.discard_pending(session, app)
        if not self.supplement:
            await session.execute(update(Application).where(Application.id == app.id).values(estate_id=None))
            app.estate_id = None
            await session.execute(delete(Estate).where(Estate.application_id == app.id, Estate.status == RecordStatus.PENDING))


class CreatingWriter:
    """Creating.apply_import, a part of the sheet at a time, in the caller's transaction: the
    houses of each part are written (with their new buildings, owners and the application's
    house rows) while the next part is read. `finish` then gives the buildings it created the
    building columns and floors of the whole sheet. The caller commits, or rolls everything back."""

    def __init__(self, handler: Creating, session: AsyncSession, app: Application):
        self.handler, self.session, self.app = handler, session, app
        self.app_id = app.id  # for prepare(), in another thread: no attribute loads of the ORM object there
        self.timing = DepositTiming(app.payload["depositTiming"])
        self.rows: list[Any] = []
        self.building_of: dict[str, int] = {}
        self.created: dict[str, int] = {}
        self.floors: dict[str, list[int]] = {}
        self.skip_reference_triggers = False
        self.held: set[int] = set()  # the existing buildings whose rows this import holds (FOR KEY SHARE)

    def prepare(self, rows: Sequence[Any]) -> snapshots.NewHouses:
        return snapshots.prepare_houses(self.app_id, rows, self.timing)

    async def start(self) -> None:
        await snapshots.discard_pending(self.session, self.app)
        await self.session.execute(delete(ApplicationHouse).where(ApplicationHouse.application_id == self.app.id))
        active = await _active_buildings(self.session, self.app.estate_id) if self.handler.supplement else {}
        self.building_of = {name: b.id for name, b in active.items()}
        self.skip_reference_triggers = await bulk.may_skip_reference_triggers(self.session)
        if self.skip_reference_triggers:
            # What the houses' and application rows' foreign-key triggers would do for the application.
            await self.session.execute(select(Application.id).where(Application.id == self.app.id).with_for_update(key_share=True))

    async def write(self, rows: Sequence[Any], prepared: snapshots.NewHouses) -> None:
        await self._write(rows, snapshots.first_building_columns(rows), prepared)

    async def write_apart(self, part: import_process.Part) -> None:
        """write() of a part read in the reading process (files.run_import): its houses' places
        as Located, their values prepared there."""
        await self._write(list(map(import_process.Located._make, part.rows or ())), part.firsts, part.prepared)

    async def _write(self, rows: Sequence[Any], firsts: dict[str, tuple], prepared: snapshots.NewHouses) -> None:
        await self._add_buildings(rows, firsts)
        building_ids = [self.building_of[r.building_name] for r in rows]
        # Every reference of these rows is sure without PostgreSQL's per-row triggers: the owners
        # and application rows point at the houses written with them, the houses at this
        # application (held since start) and at buildings this import wrote (unseen by others
        # until it commits) or holds (_hold_buildings).
        await self._hold_buildings(building_ids)
        async with bulk.references_checked_by_caller(self.session, self.skip_reference_triggers):
            created = await snapshots.insert_prepared(self.session, prepared, building_ids)
            await snapshots.link_created(self.session, self.app, [h for h, _ in created], start=len(self.rows))
        self.rows.extend(rows)

    async def _hold_buildings(self, building_ids: Sequence[int]) -> None:
        """The existing buildings the part's houses go into, held FOR KEY SHARE until commit (as a
        foreign-key trigger holds them), and found to be there; once a building an import."""
        if not self.skip_reference_triggers:
            return
        wanted = set(building_ids) - set(self.created.values()) - self.held
        if not wanted:
            return
        found = set(await self.session.scalars(
            select(Building.id).where(Building.id.in_(wanted)).with_for_update(key_share=True)))
        if found != wanted:
            raise Conflict("导入的房屋所属楼幢已不存在，本次导入未写入，请重新导入", field="file")
        self.held |= found

    async def _add_buildings(self, rows: Sequence[Any], firsts: dict[str, tuple]) -> None:
        """The part's buildings that are not there yet, from the columns of each one's first row
        (`firsts`: name → (address, built year, structure)); every row's floor noted."""
        for r in rows:
            self.floors.setdefault(r.building_name, []).append(r.floor)
        new = {name: Building(estate_id=self.app.estate_id, name=name, address=address, built_year=built_year,
                              structure=structure, floors_above_ground=0, floors_below_ground=0,
                              status=RecordStatus.PENDING, application_id=self.app.id)
               for name, (address, built_year, structure) in firsts.items() if name not in self.building_of}
        if new:
            self.session.add_all(new.values())
            await self.session.flush()  # one batched INSERT … RETURNING
            for name, b in new.items():
                self.building_of[name] = self.created[name] = b.id

    async def finish(self, buildings: dict[str, BuildingFields]) -> None:
        if not self.created:
            return
        values = []
        for name, building_id in self.created.items():
            above, below = snapshots.floors_of(self.floors[name])
            stated = buildings.get(name, BuildingFields())
            values.append({"b_id": building_id, "address": stated.address, "built_year": stated.built_year,
                           "structure": stated.structure, "above": above, "below": below})
        table = Building.__table__
        await self.session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(
                address=bindparam("address"), built_year=bindparam("built_year"), structure=bindparam("structure"),
                floors_above_ground=bindparam("above"), floors_below_ground=bindparam("below")), values)


async def _active_buildings(session: AsyncSession, estate_id: int) -> dict[str, Building]:
    rows = await session.scalars(select(Building).where(Building.estate_id == estate_id, Building.status == RecordStatus.ACTIVE))
    return {b.name: b for b in rows}

