"""续筹 renewal, the job side: the workbook of houses whose balance has run low (export), and
the amounts the developer fills in, read back to issue one notice per house (import). The
workbook's format is sheets/renewal.py."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_sessionmaker
from core.errors import AppError, FileRejected, NotFound, ValidationFailed
from core.storage import get_storage
from models import Building, Document, Estate, House, Job, User
from models.enums import DocumentKind, JobKind, PaymentType, RecordStatus
from services import documents, jobs
from services.access import Viewer
from services.auth import viewer_of
from services.payments import notices
from services.templates import XLSX
from sheets import renewal as renewal_sheet

RENEWAL_THRESHOLD = Decimal("0.3")  # 续筹 when a house that paid has under 30 % of its first deposit left


async def _estate_of(session: AsyncSession, viewer: Viewer, estate_id: int | None) -> Estate:
    estate = None if estate_id is None else await session.get(Estate, estate_id)
    if estate is None or not viewer.can_see_org(estate.developer_id) or estate.status != RecordStatus.ACTIVE:
        raise NotFound("物业区域不存在", field="estateId")
    return estate


async def start_renewal_export(session: AsyncSession, viewer: Viewer | None, estate_id: int | None,
                               house_ids: Sequence[int | None] | None) -> Job:
    viewer = notices.require_payment_operator(viewer)
    estate = await _estate_of(session, viewer, estate_id)
    if house_ids is not None:
        if any(h is None for h in house_ids):
            raise NotFound("房屋不存在", field="houseIds")
        count = await session.scalar(select(func.count()).select_from(House).join(Building, Building.id == House.building_id)
                                     .where(House.id.in_(house_ids), Building.estate_id == estate.id))
        if count != len(set(house_ids)):
            raise NotFound("房屋不存在或不属于该物业区域", field="houseIds")
    job = jobs.new_job(session, kind=JobKind.AMOUNT_EXPORT, viewer=viewer, organization_id=estate.developer_id,
                       params={"estateId": estate.id, "houseIds": list(house_ids) if house_ids is not None else None})
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    return job


async def run_renewal_export(job_id: int) -> None:
    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        q = (select(House, Building.name).join(Building, Building.id == House.building_id)
             .where(Building.estate_id == job.params["estateId"], House.status == RecordStatus.ACTIVE).order_by(House.id))
        if job.params.get("houseIds") is not None:
            q = q.where(House.id.in_(job.params["houseIds"]))
        else:  # houses that paid and whose balance is under 30 % of their first deposit (one that never
            # paid is a first-deposit case, for a building or owner notice)
            q = q.where(House.deposit_paid > 0, House.deposit_due > 0,
                        House.balance < House.deposit_due * RENEWAL_THRESHOLD)
        rows = [renewal_sheet.RenewalRow(h.code, name, h.unit, h.floor, h.room_number, h.building_area, h.deposit_due,
                                         h.balance, max(h.deposit_due - h.balance, Decimal("0.00")))
                for h, name in (await session.execute(q)).all()]
    data = await asyncio.to_thread(renewal_sheet.write, rows)
    await jobs.succeed_with_file(job_id, kind=DocumentKind.AMOUNT_EXPORT, filename=f"续筹金额-{job_id}.xlsx",
                                 content_type=XLSX, data=data, total=len(rows), message=f"已导出 {len(rows)} 套房屋")


async def start_amount_import(session: AsyncSession, viewer: Viewer | None, estate_id: int | None, type: PaymentType,
                              upload: Any) -> Job:
    viewer = notices.require_payment_operator(viewer)
    if type == PaymentType.FIRST_DEPOSIT:
        raise ValidationFailed("首期交存请开具楼幢通知单或代打通知单", field="type")
    estate = await _estate_of(session, viewer, estate_id)
    doc = await documents.store_workbook_upload(session, upload, organization_id=estate.developer_id,
                                                created_by_id=viewer.user_id)
    job = jobs.new_job(session, kind=JobKind.AMOUNT_IMPORT, viewer=viewer, organization_id=estate.developer_id,
                       params={"estateId": estate.id, "type": type.value}, input_document_id=doc.id)
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    return job


async def run_amount_import(job_id: int) -> None:
    """Every row checked first; if all pass, one notice per house, all in one transaction."""
    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        doc = await session.get_one(Document, job.input_document_id)
        user = await session.get_one(User, job.created_by_id)
    try:
        rows, errors = await asyncio.to_thread(renewal_sheet.read, await get_storage().read(doc.storage_key), doc.filename)
    except FileRejected as exc:
        await jobs.fail(job_id, message=exc.message, errors=[{"row": None, "column": None, "code": "FILE_REJECTED", "message": exc.message}])
        return
    async with get_sessionmaker()() as session:
        found = dict((await session.execute(
            select(House.code, House.id).join(Building, Building.id == House.building_id)
            .where(House.code.in_([r.code for r in rows]), Building.estate_id == job.params["estateId"],
                   House.status == RecordStatus.ACTIVE))).all())
        for r in rows:
            if r.code not in found:
                errors.append({"row": r.row, "column": "房屋编号", "code": "UNKNOWN_HOUSE",
                               "message": f"房屋编号 {r.code} 不是本物业区域的有效房屋"})
        if not errors and not rows:
            errors.append({"row": None, "column": None, "code": "REQUIRED", "message": "没有填写本次交款金额的房屋"})
        taken = await notices.open_lines(session, list(found.values()))
        errors += [{"row": r.row, "column": "房屋编号", "code": "DUPLICATE", "message": f"房屋已在通知单 {taken[found[r.code]]} 上"}
                   for r in rows if r.code in found and found[r.code] in taken]
        if errors:
            errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
            await jobs.fail(job_id, message=f"发现 {len(errors)} 处错误，未开具任何通知单", errors=errors)
            return
        viewer = viewer_of(user)
        try:
            issued = await notices.issue_custom(session, viewer, PaymentType(job.params["type"]),
                                                [(found[r.code], r.amount) for r in rows], field="rows", job_id=job_id,
                                                commit=False)
        except Exception as exc:  # a lock or a conflict found while issuing: nothing is written
            if not isinstance(exc, AppError):
                raise
            await session.rollback()
            await jobs.fail(job_id, message=exc.message, errors=[{"row": None, "column": None, "code": exc.code, "message": exc.message}])
            return
        render_job = await notices.render_documents(session, issued, viewer)
        running = await session.get_one(Job, job_id, with_for_update=True)
        running.total = len(rows)
        jobs.succeed(running, message=f"已开具 {len(issued)} 张通知单")
        await session.commit()
    await jobs.publish(running)
    if render_job:
        await jobs.enqueue(render_job, JobKind.PDF_RENDER)
