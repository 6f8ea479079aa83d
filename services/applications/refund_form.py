"""The 退款申请表 of an application (Application.refundForm). When approval would refund money,
submit renders it from depositImpact (each house's refund) and the refund account given, so the
applicant prints it with the 申请表 and takes both to the window before the clerk decides
(manual 1.3.6, step 7). Approval computes the refunds again: where every amount is the one
printed, each Refund's form is that printed form; where one changed, each Refund's form is
rendered anew and the history says which amounts changed."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from documents.refund_form import RefundDoc, RefundHouseDoc, render_refund_form
from models import Application, Building, Estate, House, Job, Organization, Refund
from models.enums import DocumentKind, JobKind, JobStatus
from services import jobs
from services.payments.refunds import render_refund_forms
from services.access import Viewer
from services.houses import fields
from services.applications import files

DOCUMENT = "APPLICATION_REFUND_FORM"  # the render job's params["document"]
NOTE_HOUSES = 5  # changed amounts named one by one in the history; beyond that, a count


def _amounts(pairs) -> dict[str, Decimal]:
    return {str(house_id): Decimal(amount) for house_id, amount in pairs}


async def on_submit(session: AsyncSession, app: Application, impacts: Sequence, viewer: Viewer) -> None:
    """In submit's transaction: a job renders the form of the refunds ``impacts`` (deposit_effects.plan)
    foresee, enqueued after commit (session.info["render_jobs"]); none when nothing is refunded."""
    amounts = {str(i.house_id): str(i.refund) for i in impacts if i.refund > 0}
    app.refund_form_document_id = None
    if not amounts:
        app.refund_form_amounts = app.refund_form_job_id = None
        return
    job = jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=viewer, organization_id=app.organization_id,
                       application_id=app.id, params={"document": DOCUMENT})
    await session.flush()
    app.refund_form_amounts = amounts
    app.refund_form_job_id = job.id
    session.info.setdefault("render_jobs", []).append(job.id)


async def on_approve(session: AsyncSession, app: Application, viewer: Viewer) -> str | None:
    """In approve's transaction, after the refunds were created: each Refund's form is the one
    printed on submit when the amounts are the same, or is rendered anew (enqueued after commit).
    Returns the history's note when amounts changed."""
    refunds = list(await session.scalars(select(Refund).where(Refund.application_id == app.id).order_by(Refund.id)))
    if not refunds:
        return None
    printed = _amounts((app.refund_form_amounts or {}).items())
    now = _amounts((r.house_id, r.amount) for r in refunds)
    if printed and printed == now:
        state = await session.scalar(select(Job.status).where(Job.id == app.refund_form_job_id))
        if app.refund_form_document_id is not None or state in (JobStatus.QUEUED, JobStatus.RUNNING):
            for r in refunds:  # a render still under way attaches its document to them too (run)
                r.form_job_id, r.form_document_id = app.refund_form_job_id, app.refund_form_document_id
            return None
    session.info.setdefault("render_jobs", []).append(await render_refund_forms(session, refunds, viewer))
    return await _changed_note(session, printed, now) if printed and printed != now else None


async def _changed_note(session: AsyncSession, printed: dict[str, Decimal], now: dict[str, Decimal]) -> str:
    ids = sorted(set(printed) | set(now), key=int)
    changed = [h for h in ids if printed.get(h) != now.get(h)]
    codes = dict((await session.execute(select(House.id, House.code).where(House.id.in_([int(h) for h in changed])))).all())
    zero = Decimal("0.00")
    parts = [f"{codes.get(int(h), h)} {printed.get(h, zero):,.2f} 元改为 {now.get(h, zero):,.2f} 元"
             for h in changed[:NOTE_HOUSES]]
    more = f"等 {len(changed)} 套" if len(changed) > NOTE_HOUSES else ""
    return f"退款金额已重算（{'，'.join(parts)}{more}），已重新生成退款申请表"


async def refund_doc(session: AsyncSession, app: Application):
    """The form's content: the printed amounts, the refund account given on submit."""
    amounts = _amounts((app.refund_form_amounts or {}).items())
    rows = (await session.execute(
        select(House.id, House.code, House.unit, House.room_number, Building.name)
        .join(Building, Building.id == House.building_id).where(House.id.in_([int(h) for h in amounts]))
        .order_by(House.id))).all()
    organization = await session.get_one(Organization, app.organization_id)
    estate = await session.get(Estate, app.estate_id) if app.estate_id else None
    account = app.refund_account or {}
    return RefundDoc(
        number=app.number, estate=f"{estate.name}（{estate.code}）" if estate else "", organization=organization.name,
        account_name=account.get("accountName", ""), bank_name=account.get("bankName", ""),
        account_number=account.get("accountNumber", ""), reason=app.reason or "", created_at=app.submitted_at,
        houses=[RefundHouseDoc(r.code, fields.location(r.name, r.unit, r.room_number), amounts[str(r.id)]) for r in rows])


async def run(job_id: int) -> None:
    """Renders the form; it becomes the application's refundForm unless a later submit has taken
    its place, and the form of any Refund already waiting for it (approved meanwhile)."""
    async def attach(session: AsyncSession, app: Application, doc) -> None:
        if app.refund_form_job_id == job_id:
            app.refund_form_document_id = doc.id
            await session.execute(update(Refund).where(Refund.form_job_id == job_id).values(form_document_id=doc.id))

    await files.render_application_pdf(job_id, read=refund_doc, render=render_refund_form,
                                       kind=DocumentKind.REFUND_FORM, name="退款申请表", attach=attach)
