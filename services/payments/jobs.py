"""Background work of deposits and payments: recalculation, and the PDFs of notices (each its
own file, or many in one printable file) and of refund forms. The 续筹 workbooks' jobs are in
services/payments/renewal.py."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal
from typing import Any, Sequence

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_sessionmaker
from core.errors import NotFound, ValidationFailed
from documents.payment_notice import NoticeDoc, NoticeLineDoc, render_payment_notice, render_payment_notices
from documents.refund_form import RefundDoc, RefundHouseDoc, render_refund_form
from models import Application, Bank, Building, Estate, House, Job, NoticeLine, Organization, PaymentNotice, Refund
from models.enums import DocumentKind, JobKind, PAYMENT_TYPE_LABELS, PayerKind, Role
from services import documents, jobs
from services.access import Viewer, require_role, require_viewer
from services.payments import deposits
from services.payments.read import visible_notices
from services.houses import fields
from sheets.house_writer import typed_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


# ---------------------------------------------------------------- PDFs of notices and refunds

async def notice_docs(session: AsyncSession, notice_ids: Sequence[int]) -> list[Any]:
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
