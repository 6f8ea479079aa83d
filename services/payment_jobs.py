"""Background work of deposits and payments: recalculation, renewal workbooks (续筹 export and
amount import), and the PDFs of notices (each its own file, or many in one printable file)
and of refund forms."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_sessionmaker
from core.errors import FileRejected, Forbidden, NotFound, ValidationFailed
from core.storage import get_storage
from models import Bank, Building, Document, Estate, House, Job, NoticeLine, Organization, PaymentNotice, Refund
from models.enums import DocumentKind, JobKind, JobStatus, PAYMENT_TYPE_LABELS, PayerKind, PaymentType, RecordStatus, Role
from services import deposits, documents, jobs, notices
from services.access import Viewer, require_role
from services.houses import fields
from services.records import JobRecord

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RENEWAL_THRESHOLD = Decimal("0.3")  # 续筹 when a house that paid has under 30 % of its first deposit left


# ---------------------------------------------------------------- recalculation

async def start_recalculation(session: AsyncSession, viewer: Viewer | None, estate_id: int | None) -> Job:
    viewer = require_role(viewer, Role.CLERK)
    job = jobs.new_job(session, kind=JobKind.DEPOSIT_RECALCULATION, viewer=viewer, organization_id=None,
                       params={"estateId": estate_id})
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    return job


async def run_recalculation(job_id: int) -> None:
    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        changed = await deposits.recalculate(session, estate_id=job.params.get("estateId"))
        data = _changed_workbook(changed)
        doc = await documents.store(session, kind=DocumentKind.HOUSE_EXPORT, filename=f"应交重算-{job_id}.xlsx",
                                    content_type=XLSX, data=data, organization_id=None, created_by_id=job.created_by_id,
                                    suffix=".xlsx")
        await session.flush()
        running = await session.get_one(Job, job_id, with_for_update=True)
        running.total = len(changed)
        jobs.succeed(running, message=f"应交金额变化的房屋 {len(changed)} 套", result_document_id=doc.id)
        await session.commit()
    await jobs.publish(running)


def _changed_workbook(rows: Sequence[Any]) -> bytes:
    import io

    from openpyxl import Workbook

    from sheets.house_writer import typed_cells

    wb = Workbook()
    ws = wb.active
    ws.title = "应交变化"
    ws.append(["房屋编号", "原应交", "新应交"])
    ws.freeze_panes = "A2"
    for r in rows:
        ws.append(typed_cells(ws, [r.code, Decimal(r.old_due), Decimal(r.new_due)]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- 续筹 workbooks

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
    from services import renewal_sheet

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
    from services import renewal_sheet
    from services.auth import viewer_of
    from models import User

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
            from core.errors import AppError

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


# ---------------------------------------------------------------- PDFs of notices and refunds

async def notice_docs(session: AsyncSession, notice_ids: Sequence[int]) -> list[Any]:
    from services.pdf import NoticeDoc, NoticeLineDoc

    rows = (await session.execute(
        select(PaymentNotice, Estate, Organization, Bank).join(Estate, Estate.id == PaymentNotice.estate_id)
        .join(Organization, Organization.id == PaymentNotice.organization_id).join(Bank, Bank.id == PaymentNotice.bank_id)
        .where(PaymentNotice.id.in_(notice_ids)))).all()
    by_id = {n.id: (n, e, o, b) for n, e, o, b in rows}
    buildings = dict((await session.execute(select(Building.id, Building.name).where(
        Building.id.in_([n.building_id for n, *_ in rows if n.building_id])))).all())
    lines = (await session.execute(
        select(NoticeLine, House, Building.name).join(House, House.id == NoticeLine.house_id)
        .join(Building, Building.id == House.building_id).where(NoticeLine.notice_id.in_(notice_ids))
        .order_by(NoticeLine.notice_id, NoticeLine.position))).all()
    grouped: dict[int, list] = {}
    for line, house, building_name in lines:
        grouped.setdefault(line.notice_id, []).append(NoticeLineDoc(
            house_code=house.code, location=fields.location(building_name, house.unit, house.room_number),
            building_area=line.building_area, standard=line.standard, amount=line.amount))
    docs = []
    for nid in notice_ids:
        if nid not in by_id:
            continue
        n, e, o, b = by_id[nid]
        docs.append(NoticeDoc(number=n.number, type_label=PAYMENT_TYPE_LABELS[n.type], payer_name=n.payer_name,
                              payer_kind_label="开发建设单位" if n.payer_kind == PayerKind.DEVELOPER else "业主",
                              estate=e.name, estate_code=e.code, building=buildings.get(n.building_id), developer=o.name,
                              bank_name=n.bank_name, bank_account_name=b.account_name, bank_account=n.bank_account,
                              total=n.total, issued_at=n.issued_at, lines=grouped.get(nid, [])))
    return docs


async def run_notice_pdfs(job_id: int) -> None:
    """Each notice its own PDF (kept on the notice), or all in one printable file (the job's result)."""
    from services.pdf import render_payment_notice, render_payment_notices

    job = await jobs.start(job_id)
    if job is None:
        return
    ids = job.params["notices"]
    async with get_sessionmaker()() as session:
        docs = await notice_docs(session, ids)
    if job.params.get("each"):
        files = []
        for i, d in enumerate(docs):
            files.append((d.number, await asyncio.to_thread(render_payment_notice, d)))
            if (i + 1) % 50 == 0:
                await jobs.report(job_id, processed=i + 1, total=len(docs))
        async with get_sessionmaker()() as session:
            running = await session.get_one(Job, job_id, with_for_update=True)
            for (number, pdf) in files:
                notice = await session.scalar(select(PaymentNotice).where(PaymentNotice.number == number))
                stored = await documents.store(session, kind=DocumentKind.PAYMENT_NOTICE, filename=f"交存通知单-{number}.pdf",
                                               content_type="application/pdf", data=pdf, organization_id=notice.organization_id,
                                               created_by_id=running.created_by_id, suffix=".pdf")
                await session.flush()
                notice.document_id = stored.id
            running.total = len(files)
            jobs.succeed(running, message=f"已生成 {len(files)} 张通知单")
            await session.commit()
        await jobs.publish(running)
    else:
        pdf = await asyncio.to_thread(render_payment_notices, docs)
        await jobs.succeed_with_file(job_id, kind=DocumentKind.PAYMENT_NOTICE, filename=f"交存通知单-打印-{job_id}.pdf",
                                     content_type="application/pdf", data=pdf, total=len(docs),
                                     message=f"已生成 {len(docs)} 页")


async def start_print(session: AsyncSession, viewer: Viewer | None, ids: Sequence[int | None]) -> Job:
    from services.access import require_viewer
    from services.payments_read import visible_notices

    viewer = require_viewer(viewer)
    if not ids:
        raise ValidationFailed("请选择通知单", field="ids")
    if len(ids) > 5000:
        raise ValidationFailed("一次最多打印 5000 张", field="ids")
    visible = set(await session.scalars(visible_notices(viewer).with_only_columns(PaymentNotice.id)
                                        .where(PaymentNotice.id.in_([i for i in ids if i]))))
    for i, nid in enumerate(ids):
        if nid not in visible:
            raise NotFound("通知单不存在", field=f"ids.{i}")
    job = jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=viewer, organization_id=viewer.organization_id,
                       params={"document": "PAYMENT_NOTICES", "notices": list(ids), "each": False})
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    return job


async def run_refund_forms(job_id: int) -> None:
    from models import Application
    from services.pdf import RefundDoc, RefundHouseDoc, render_refund_form

    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        rows = (await session.execute(
            select(Refund, House, Building.name, Estate.name, Organization.name, Application)
            .join(House, House.id == Refund.house_id).join(Building, Building.id == House.building_id)
            .join(Estate, Estate.id == Building.estate_id).join(Organization, Organization.id == Refund.organization_id)
            .join(Application, Application.id == Refund.application_id)
            .where(Refund.id.in_(job.params["refunds"])).order_by(Refund.id))).all()
        docs = [(r.id, RefundDoc(number=app.number, estate=e, organization=o, account_name=r.account_name,
                                 bank_name=r.bank_name, account_number=r.account_number, reason=app.reason or "",
                                 created_at=r.created_at,
                                 houses=[RefundHouseDoc(h.code, fields.location(b, h.unit, h.room_number), r.amount)]))
                for r, h, b, e, o, app in rows]
    files = [(rid, await asyncio.to_thread(render_refund_form, d)) for rid, d in docs]
    async with get_sessionmaker()() as session:
        running = await session.get_one(Job, job_id, with_for_update=True)
        for rid, pdf in files:
            refund = await session.get_one(Refund, rid)
            stored = await documents.store(session, kind=DocumentKind.REFUND_FORM, filename=f"退款申请表-{rid}.pdf",
                                           content_type="application/pdf", data=pdf, organization_id=refund.organization_id,
                                           created_by_id=running.created_by_id, suffix=".pdf")
            await session.flush()
            refund.form_document_id = stored.id
        running.total = len(files)
        jobs.succeed(running, message=f"已生成 {len(files)} 张退款申请表")
        await session.commit()
    await jobs.publish(running)
