"""Applications, read side: batched loads for DataLoaders and the paginated list."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application, ApplicationBuilding, ApplicationEvent, ApplicationHouse, Document, Job, Lock
from models.enums import ApplicationStatus, ApplicationType
from services.access import Viewer
from services.records import (
    ApplicationEventRecord, ApplicationRecord, DocumentRecord, JobRecord, select_record, to_record,
)
from services.houses.snapshots import linked_select, with_created_snapshots
from services.pagination import Page, keyset_page, like_pattern


async def applications_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    rows = {r.id: to_record(ApplicationRecord, r) for r in (await session.execute(select_record(Application).where(Application.id.in_(ids)))).all()}
    return [rows.get(i) for i in ids]


async def jobs_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    rows = {r.id: to_record(JobRecord, r) for r in (await session.execute(select_record(Job).where(Job.id.in_(ids)))).all()}
    return [rows.get(i) for i in ids]


async def documents_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    rows = {r.id: to_record(DocumentRecord, r) for r in (await session.execute(select_record(Document).where(Document.id.in_(ids)))).all()}
    return [rows.get(i) for i in ids]


async def events_by_application(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    q = select_record(ApplicationEvent).where(ApplicationEvent.application_id.in_(ids)).order_by(ApplicationEvent.id)
    for r in (await session.execute(q)).all():
        groups[r.application_id].append(to_record(ApplicationEventRecord, r))
    return [groups.get(i, []) for i in ids]


async def attachments_by_application(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    q = select_record(Document).where(Document.application_id.in_(ids)).order_by(Document.id)
    for r in (await session.execute(q)).all():
        groups[r.application_id].append(to_record(DocumentRecord, r))
    return [groups.get(i, []) for i in ids]


async def house_change_counts(session: AsyncSession, ids: Sequence[int]) -> list[int]:
    q = select(ApplicationHouse.application_id, func.count()).where(ApplicationHouse.application_id.in_(ids)) \
        .group_by(ApplicationHouse.application_id)
    found = dict((await session.execute(q)).all())
    return [found.get(i, 0) for i in ids]


async def building_changes_by_application(session: AsyncSession, ids: Sequence[int]) -> list[list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    q = select_record(ApplicationBuilding).where(ApplicationBuilding.application_id.in_(ids)).order_by(ApplicationBuilding.position)
    for row in (await session.execute(q)).all():
        groups[row.application_id].append(row)
    return [groups.get(i, []) for i in ids]


async def house_changes(session: AsyncSession, app_id: int, *, first: int | None, offset: int | None) -> list[Any]:
    q = linked_select().where(ApplicationHouse.application_id == app_id).order_by(ApplicationHouse.position) \
        .offset(max(offset or 0, 0)).limit(min(max(first if first is not None else 100, 0), 1000))
    return await with_created_snapshots(session, (await session.execute(q)).all())


async def _lockers(session: AsyncSession, kind: str, ids: Sequence[int]) -> list[int | None]:
    found = dict((await session.execute(
        select(Lock.target_id, Lock.application_id).where(Lock.kind == kind, Lock.target_id.in_(ids)))).all())
    return [found.get(i) for i in ids]


async def house_lockers(session: AsyncSession, ids: Sequence[int]) -> list[int | None]:
    return await _lockers(session, "HOUSE", ids)


async def building_lockers(session: AsyncSession, ids: Sequence[int]) -> list[int | None]:
    return await _lockers(session, "BUILDING", ids)


async def applications_page(session: AsyncSession, viewer: Viewer, *, first: int | None, after: str | None,
                            type: ApplicationType | None = None, status: ApplicationStatus | None = None,
                            estate_id: int | None = None, organization_id: int | None = None,
                            organization_given: bool = False, search: str | None = None) -> Page:
    q = select_record(Application)
    if not viewer.is_staff:
        q = q.where(Application.organization_id == viewer.organization_id)
    if type is not None:
        q = q.where(Application.type == type)
    if status is not None:
        q = q.where(Application.status == status)
    if estate_id is not None:
        q = q.where(Application.estate_id == estate_id)
    if organization_given:
        q = q.where(Application.organization_id == organization_id)
    if search and search.strip():
        q = q.where(Application.number.ilike(like_pattern(search)))
    return await keyset_page(session, q, Application.id, ApplicationRecord, first=first, after=after)
