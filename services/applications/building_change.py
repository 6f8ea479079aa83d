"""楼幢变更 building change: a reason, the chosen buildings and their new values (name,
address, 建成年代, 建筑结构, or a move to another estate of the same developer), set one by one
or the same for many; on approval the values replace the old ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AppError, NotFound, ValidationFailed
from models import Application, ApplicationBuilding, Building, Estate
from models.enums import ApplicationType, BuildingStructure, RecordStatus
from services.access import Viewer
from services.applications import common
from services.applications.common import Impact, active_estate_of_viewer, clean_text, editable

UNSET: Any = object()


@dataclass
class BuildingItem:
    building_id: int | None
    estate_id: int | None = None
    name: str | None = None
    address: str | None = None
    built_year: int | None = None
    structure: BuildingStructure | None = None


def building_snapshot(b: Building) -> dict[str, Any]:
    return {"name": b.name, "address": b.address, "builtYear": b.built_year,
            "structure": b.structure.value if b.structure else None}


async def _items(session: AsyncSession, viewer: Viewer, estate: Estate, items: Sequence[BuildingItem]) -> list[tuple]:
    if not items:
        raise ValidationFailed("请选择需要变更的楼幢", field="input.items")
    if len(items) > 1000:
        raise ValidationFailed("一次最多变更 1000 个楼幢", field="input.items")
    rows = []
    seen = set()
    for i, item in enumerate(items):
        path = f"input.items.{i}"
        building = None if item.building_id is None else await session.get(Building, item.building_id)
        if building is None or building.estate_id != estate.id or building.status != RecordStatus.ACTIVE:
            raise NotFound("楼幢不存在或不属于该物业区域", field=f"{path}.buildingId")
        if building.id in seen:
            raise ValidationFailed("楼幢重复选择", field=f"{path}.buildingId")
        seen.add(building.id)
        before = building_snapshot(building)
        after = dict(before)
        if item.name is not None:
            after["name"] = clean_text(item.name, f"{path}.name", 100)
        if item.address is not None:
            after["address"] = clean_text(item.address, f"{path}.address", 300, required=False)
        if item.built_year is not None:
            if not 1900 <= item.built_year <= date.today().year + 5:
                raise ValidationFailed("建成年代应在 1900 年至今", field=f"{path}.builtYear")
            after["builtYear"] = item.built_year
        if item.structure is not None:
            after["structure"] = item.structure.value
        target = None
        if item.estate_id is not None and item.estate_id != estate.id:
            target_estate = await active_estate_of_viewer(session, viewer, item.estate_id, field=f"{path}.estateId")
            target = target_estate.id
            after["estateCode"] = target_estate.code
        if after == before and target is None:
            raise ValidationFailed("没有变更任何信息", field=path)
        rows.append((building.id, before, after, target))
    return rows


async def _save(session: AsyncSession, app: Application, rows: list[tuple]) -> None:
    await session.execute(delete(ApplicationBuilding).where(ApplicationBuilding.application_id == app.id))
    await session.execute(insert(ApplicationBuilding), [
        {"application_id": app.id, "building_id": b, "position": i, "before": before, "after": after, "target_estate_id": t}
        for i, (b, before, after, t) in enumerate(rows)
    ])


async def create(session: AsyncSession, viewer: Viewer, *, estate_id: int | None, reason: str,
                 items: Sequence[BuildingItem]) -> Application:
    viewer = common.require_estate_operator(viewer)
    estate = await active_estate_of_viewer(session, viewer, estate_id)
    reason = clean_text(reason, "input.reason", 1000)
    rows = await _items(session, viewer, estate, items)
    await common.check_unlocked(session, [("BUILDING", r[0]) for r in rows])
    app = await common.new_application(session, viewer, ApplicationType.BUILDING_CHANGE, estate_id=estate.id, reason=reason)
    await _save(session, app, rows)
    await common.commit(session)
    return app


async def update(session: AsyncSession, viewer: Viewer, app_id: int | None, *, estate_id: int | None, reason: str,
                 items: Sequence[BuildingItem]) -> Application:
    app = await editable(session, viewer, app_id, ApplicationType.BUILDING_CHANGE)
    estate = await active_estate_of_viewer(session, viewer, estate_id)
    app.reason = clean_text(reason, "input.reason", 1000)
    app.estate_id = estate.id
    rows = await _items(session, viewer, estate, items)
    await common.check_unlocked(session, [("BUILDING", r[0]) for r in rows], exclude=app.id)
    await _save(session, app, rows)
    await common.commit(session)
    return app


class BuildingChange:
    async def lock_targets(self, session: AsyncSession, app: Application) -> list[tuple[str, int]]:
        ids = await session.scalars(select(ApplicationBuilding.building_id).where(ApplicationBuilding.application_id == app.id))
        return [("BUILDING", b) for b in ids]

    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        if not await self.lock_targets(session, app):
            return [ValidationFailed("请选择需要变更的楼幢", field="input.items")]
        return []

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        return []  # a building's name, address, year or estate changes no house's due

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        rows = await session.scalars(select(ApplicationBuilding).where(ApplicationBuilding.application_id == app.id))
        for row in rows:
            building = await session.get_one(Building, row.building_id, with_for_update=True)
            after = row.after
            building.name = after["name"]
            building.address = after["address"]
            building.built_year = after["builtYear"]
            building.structure = BuildingStructure(after["structure"]) if after["structure"] else None
            if row.target_estate_id is not None:
                building.estate_id = row.target_estate_id

    async def discard(self, session: AsyncSession, app: Application) -> None:
        return None

