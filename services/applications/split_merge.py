"""房屋拆分合并 house split/merge: the chosen houses are replaced by result houses read from
the exported workbook (every row a result house with 房屋编号 empty, in existing buildings of
the estate); attachments are required. On approval the old houses are CANCELLED and their
pooled balance is carried to the results in proportion to area (services.payments.money.split_by_weight)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AppError, AreaMismatch, Conflict, ValidationFailed
from models import Application, ApplicationHouse, Building, Document, House
from models.enums import ApplicationType, DepositTiming, LedgerKind, RecordStatus
from services.access import Viewer
from services.applications import common
from services.houses import fields
from services.houses import snapshots
from services.applications.common import ZERO, AppliedAtEnd, Impact, active_estate_of_viewer, clean_text, editable
from services.payments import deposits, ledger, money

AREA_TOLERANCE = Decimal("0.01")  # m² per result house


async def save(session: AsyncSession, viewer: Viewer, app_id: int | None, *, estate_id: int | None, reason: str,
               house_ids: Sequence[int | None]) -> Application:
    if app_id is None:
        viewer = common.require_estate_operator(viewer)
        app = None
    else:
        app = await editable(session, viewer, app_id, ApplicationType.HOUSE_SPLIT_MERGE)
    estate = await active_estate_of_viewer(session, viewer, estate_id)
    reason = clean_text(reason, "input.reason", 1000)
    houses = await snapshots.houses_of_estate(session, estate.id, list(house_ids), field="input.houseIds")
    await common.check_unlocked(session, [("HOUSE", h.id) for h in houses], exclude=app.id if app else None)
    snaps = await snapshots.current_snapshots(session, [h.id for h in houses])
    if app is None:
        app = await common.new_application(session, viewer, ApplicationType.HOUSE_SPLIT_MERGE, estate_id=estate.id,
                                           reason=reason)
    else:
        if app.estate_id != estate.id:
            await snapshots.discard_pending(session, app)
        app.estate_id = estate.id
        app.reason = reason
    results = await _result_rows(session, app)
    await snapshots.link_houses(session, app, [(h.id, snaps[h.id], None, None) for h in houses] +
                        [(r.house_id, None, r.after, None) for r in results])
    await common.commit(session)
    return app


async def _result_rows(session: AsyncSession, app: Application) -> list[ApplicationHouse]:
    return list(await session.scalars(
        select(ApplicationHouse).join(House, House.id == ApplicationHouse.house_id)
        .where(ApplicationHouse.application_id == app.id, House.status == RecordStatus.PENDING)
        .order_by(ApplicationHouse.position)
    ))


class SplitMerge:
    with_code = True

    async def _sources(self, session: AsyncSession, app: Application) -> list[House]:
        return list(await session.scalars(
            select(House).join(ApplicationHouse, ApplicationHouse.house_id == House.id)
            .where(ApplicationHouse.application_id == app.id, House.status == RecordStatus.ACTIVE)
            .order_by(ApplicationHouse.position)
        ))

    async def validate_import(self, session: AsyncSession, app: Application, rows: Sequence[Any]) -> list[dict]:
        buildings = {b.name: b.id for b in await session.scalars(
            select(Building).where(Building.estate_id == app.estate_id, Building.status == RecordStatus.ACTIVE))}
        sources = [h.id for h in await self._sources(session, app)]
        errors = []
        for r in rows:
            if r.code:
                errors.append({"row": r.row, "column": "房屋编号", "code": "BAD_VALUE",
                               "message": "拆分合并后的房屋是新房屋，房屋编号应为空"})
            b_id = buildings.get(r.building_name)
            if b_id is None:
                errors.append({"row": r.row, "column": "楼幢名称", "code": "BAD_VALUE",
                               "message": f"物业区域中没有楼幢 {r.building_name}（结果房屋须在已有楼幢中）"})
        return errors + await snapshots.taken_rows(session, rows, buildings, leaving=sources)

    def import_writer(self, session: AsyncSession, app: Application) -> AppliedAtEnd:
        return AppliedAtEnd(self.apply_import, session, app)

    async def apply_import(self, session: AsyncSession, app: Application, rows: Sequence[Any]) -> None:
        await snapshots.discard_pending(session, app)
        buildings = {b.name: b.id for b in await session.scalars(
            select(Building).where(Building.estate_id == app.estate_id, Building.status == RecordStatus.ACTIVE))}
        sources = await self._sources(session, app)
        timing = sources[0].deposit_timing if sources else DepositTiming.BEFORE_CONTRACT_FILING
        created = await snapshots.insert_houses(session, app, rows, [buildings[r.building_name] for r in rows], timing)
        snaps = await snapshots.current_snapshots(session, [h.id for h in sources])
        await snapshots.link_houses(session, app, [(h.id, snaps[h.id], None, None) for h in sources] +
                            [(h, None, fields.import_snapshot(r, code), None) for (h, code), r in zip(created, rows)])

    async def lock_targets(self, session: AsyncSession, app: Application) -> list[tuple[str, int]]:
        return [("HOUSE", h.id) for h in await self._sources(session, app)]

    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        sources = await self._sources(session, app)
        results = list(await session.scalars(
            select(House).where(House.application_id == app.id, House.status == RecordStatus.PENDING).order_by(House.id)))
        problems: list[AppError] = await snapshots.stale_choices(session, app, (), field="input.houseIds")
        if not sources and not problems:
            problems.append(ValidationFailed("请选择需要拆分合并的房屋", field="input.houseIds"))
        if not results:
            problems.append(ValidationFailed("请先导入拆分合并后的房屋", field="importHouses"))
        if not await session.scalar(select(func.count()).select_from(Document).where(Document.application_id == app.id)):
            problems.append(ValidationFailed("拆分合并须上传证明材料（附件）", field="attachments"))
        old = sum((h.building_area for h in sources), Decimal(0))
        new = sum((h.building_area for h in results), Decimal(0))
        if sources and results and abs(old - new) > AREA_TOLERANCE * len(results):
            problems.append(AreaMismatch(f"拆分合并后的建筑面积合计 {new} 与原房屋合计 {old} 不一致",
                                         oldArea=str(old), newArea=str(new)))
        # A number free at the import may have been taken since by another application.
        placed = [snapshots.Placed(h.id, h.building_id, h.unit, h.floor, h.room_number) for h in results]
        if clashes := await snapshots.number_holders(session, placed, leaving=[h.id for h in sources]):
            names = dict((await session.execute(select(Building.id, Building.name).where(
                Building.id.in_({placed[i].building_id for i in clashes})))).all())
            problems += [Conflict(snapshots.taken_message(names[placed[i].building_id], holder) + "，请修改后重新导入",
                                  field="importHouses", houseCode=holder[0]) for i, holder in clashes.items()]
        return problems

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        """The pooled balance of the source houses is carried to the results in proportion to
        their area (money.split_by_weight); each result gets its due, and a 补交 notice when its
        share falls short. The sources lose their ISSUED notices."""
        rows = (await session.execute(
            select(House).join(ApplicationHouse, ApplicationHouse.house_id == House.id)
            .where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).scalars().all()
        sources = [h for h in rows if h.status == RecordStatus.ACTIVE]
        results = [h for h in rows if h.status == RecordStatus.PENDING]
        pooled = sum((h.balance for h in sources), ZERO)
        shares = money.split_by_weight(pooled, [h.building_area for h in results])
        dues = await deposits.dues_for_houses(session, [h.id for h in results])
        impacts = [Impact(h.id, h.code, h.deposit_due, ZERO, h.deposit_paid, cancel_notices=True, carried=-h.balance)
                   for h in sources]
        for h, share in zip(results, shares):
            due = dues.get(h.id)
            amount = due.amount if due else ZERO
            impacts.append(Impact(h.id, h.code, ZERO, amount, share, make_up=max(amount - share, ZERO), set_due=True,
                                  missing=due is None, carried=share))
        return impacts

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        """The balances move as deposit_impacts planned them in this transaction: each source's
        balance out, each result's share in (so the 补交 notices and the ledger agree)."""
        await snapshots.refuse_stale(session, app, (), field="input.houseIds")  # a source cancelled since is not split
        sources = [i for i in impacts if not i.set_due]
        for i in sources:
            if i.carried:
                await ledger.post(session, i.house_id, LedgerKind.TRANSFER_OUT, -i.carried, memo=f"拆分合并 {app.number} 转出")
        await snapshots.cancel_houses(session, app, [i.house_id for i in sources])
        await snapshots.activate_created(session, app)
        for i in impacts:
            if i.set_due and i.carried:  # a result house's share
                await ledger.post(session, i.house_id, LedgerKind.TRANSFER_IN, i.carried, memo=f"拆分合并 {app.number} 转入")

    async def discard(self, session: AsyncSession, app: Application) -> None:
        await snapshots.discard_pending(session, app)

