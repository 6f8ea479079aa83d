"""交款证明 payment receipts: one A4 page per confirmed payment, reprintable (Payment.receipt)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_sessionmaker
from documents.capitals import chinese_capitals
from documents.grid import auto_widths, colgroup
from documents.render import esc, html_to_pdf, qr_png_data_uri
from models import Building, Estate, House, Job, NoticeLine, Payment, PaymentNotice
from models.enums import DocumentKind, JobKind, PAYMENT_TYPE_LABELS, PaymentChannel
from services import documents, jobs
from services.access import Viewer
from services.houses import fields

CHINA = timezone(timedelta(hours=8))
CHANNELS = {PaymentChannel.BANK_COUNTER: "专户银行柜台", PaymentChannel.CITY_WINDOW: "侨都之窗", PaymentChannel.POS: "维修资金专用POS机"}


@dataclass
class ReceiptDoc:
    notice_number: str
    type_label: str
    payer_name: str
    estate: str
    bank_name: str
    bank_account: str
    amount: Decimal
    transaction_id: str
    channel: str
    paid_at: datetime
    houses: list[tuple[str, str, Decimal]]  # code, location, amount


# The tables' geometry (9 pt type): a cell's padding (2 mm a side) and its share of the 0.5 pt
# rules; the labels' column (th) 30 mm wide; the page's text width less the outer rules.
_PAD_MM = 4.18
_LABEL_MM = 30 + _PAD_MM
_ROOM_MM = 179.82


def receipt_html(r: ReceiptDoc) -> str:
    rows = "".join(f"<tr><td>{esc(code)}</td><td>{esc(where)}</td><td class='n'>{amount:,.2f}</td></tr>"
                   for code, where, amount in r.houses)
    paid = r.paid_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    amount, capitals = f"¥{r.amount:,.2f}", f"人民币{chinese_capitals(r.amount)}"
    # Both tables use the fixed layout with the widths the automatic one would choose (auto_widths).
    particulars = auto_widths(_ROOM_MM, [_LABEL_MM, [r.notice_number, r.bank_name, amount, r.transaction_id], _LABEL_MM,
                                         [r.type_label, r.bank_account, capitals, r.channel]], font_pt=9, pad_mm=_PAD_MM)
    houses = auto_widths(_ROOM_MM, [["房屋编号", *(code for code, _, _ in r.houses)],
                                    ["坐落", *(where for _, where, _ in r.houses)],
                                    ["入账金额", *(f"{amount:,.2f}" for _, _, amount in r.houses)]], font_pt=9, pad_mm=_PAD_MM)
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>交款证明</title>
<style>
h1 {{ font-size: 16pt; text-align: center; margin: 2mm 0 4mm; }}
.qr {{ float: right; width: 24mm; height: 24mm; }}
table {{ width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 9pt; margin-bottom: 4mm; }}
td, th {{ border: 0.5pt solid #000; padding: 1.2mm 2mm; text-align: left; }}
th {{ background: #f0f0f0; }}
td.n {{ text-align: right; }}
</style></head><body>
<img class="qr" src="{qr_png_data_uri(r.notice_number)}" alt="{esc(r.notice_number)}">
<h1>住宅专项维修资金交款证明</h1>
<table>{colgroup(particulars)}
<tr><th>通知单号</th><td>{esc(r.notice_number)}</td><th>交款类型</th><td>{esc(r.type_label)}</td></tr>
<tr><th>交款人</th><td colspan="3">{esc(r.payer_name)}</td></tr>
<tr><th>物业区域</th><td colspan="3">{esc(r.estate)}</td></tr>
<tr><th>收款银行</th><td>{esc(r.bank_name)}</td><th>专户账号</th><td>{esc(r.bank_account)}</td></tr>
<tr><th>交款金额</th><td>{amount}</td><th>大写</th><td>{capitals}</td></tr>
<tr><th>银行流水号</th><td>{esc(r.transaction_id)}</td><th>交款渠道</th><td>{esc(r.channel)}</td></tr>
<tr><th>交款时间</th><td colspan="3">{paid}</td></tr>
</table>
<table>{colgroup(houses)}<tr><th>房屋编号</th><th>坐落</th><th>入账金额</th></tr>{rows}</table>
<p style="font-size:8.5pt">本证明由系统根据专户银行的交款确认生成，可重复打印。</p>
</body></html>"""


def render_receipt(r: ReceiptDoc) -> bytes:
    return html_to_pdf(receipt_html(r), title="交款证明")


async def schedule(session: AsyncSession, payment: Payment, viewer: Viewer | None, organization_id: int) -> int:
    job = jobs.new_job(session, kind=JobKind.PDF_RENDER, viewer=viewer, organization_id=organization_id,
                       params={"document": "RECEIPT", "payment": payment.id})
    await session.flush()
    return job.id


async def run(job_id: int) -> None:
    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        payment = await session.get_one(Payment, job.params["payment"])
        notice = await session.get_one(PaymentNotice, payment.notice_id)
        estate = await session.get_one(Estate, notice.estate_id)
        lines = (await session.execute(
            select(NoticeLine, House, Building.name).join(House, House.id == NoticeLine.house_id)
            .join(Building, Building.id == House.building_id).where(NoticeLine.notice_id == notice.id)
            .order_by(NoticeLine.position))).all()
        doc = ReceiptDoc(notice_number=notice.number, type_label=PAYMENT_TYPE_LABELS[notice.type], payer_name=notice.payer_name,
                         estate=estate.name, bank_name=notice.bank_name, bank_account=notice.bank_account,
                         amount=payment.amount, transaction_id=payment.bank_transaction_id,
                         channel=CHANNELS[payment.channel], paid_at=payment.paid_at,
                         houses=[(h.code, fields.location(b, h.unit, h.room_number), l.amount) for l, h, b in lines])
    pdf = await asyncio.to_thread(render_receipt, doc)
    async with get_sessionmaker()() as session:
        running = await session.get_one(Job, job_id, with_for_update=True)
        payment = await session.get_one(Payment, job.params["payment"], with_for_update=True)
        stored = await documents.store(session, kind=DocumentKind.PAYMENT_RECEIPT, filename=f"交款证明-{doc.notice_number}.pdf",
                                       content_type="application/pdf", data=pdf, organization_id=running.organization_id,
                                       created_by_id=running.created_by_id, suffix=".pdf")
        await session.flush()
        payment.receipt_document_id = stored.id
        running.total = 1
        jobs.succeed(running, message="交款证明已生成", result_document_id=stored.id)
        await session.commit()
    await jobs.publish(running)
