"""住宅专项维修资金退款申请表: the houses refunded, the account to pay into, the reason and the
signature boxes; one page up to REFUND_ONE_PAGE_HOUSES houses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from documents.capitals import chinese_capitals
from documents.render import esc, format_date, format_yuan, html_to_pdf_and_pages, qr_png_data_uri

@dataclass
class RefundHouseDoc:
    """One house of a refund form: 房屋编号, 坐落 and the amount refunded for it."""

    code: str
    location: str
    amount: Decimal


@dataclass
class RefundDoc:
    """The 退款申请表 of an application: every house it refunds (one for a Refund's own form,
    each house of depositImpact with a refund for the form printed on submit), the account to
    pay into and the reason."""

    number: str  # the application number
    estate: str
    organization: str
    account_name: str
    bank_name: str
    account_number: str
    reason: str
    created_at: datetime
    houses: list[RefundHouseDoc]

    @property
    def total(self) -> Decimal:
        return sum((h.amount for h in self.houses), Decimal("0.00"))


REFUND_CSS = """
@page {
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 8.5pt; color: #444; }
}
header { display: flex; align-items: flex-start; justify-content: space-between; margin-bottom: 4mm; }
header h1 { font-size: 17pt; margin: 4mm 0 2mm 0; letter-spacing: 0.5pt; }
header .no { font-size: 10.5pt; }
header .qr { text-align: center; font-size: 7.5pt; }
header .qr img { width: 26mm; height: 26mm; display: block; image-rendering: pixelated; }
h2 { font-size: 12pt; margin: 0 0 2mm 0; break-after: avoid; }
table.info, table.houses { width: 100%; margin-bottom: 5mm; table-layout: fixed; }
table.info th, table.info td, table.houses th, table.houses td {
  border: 0.6pt solid #000; padding: 1.6mm 2mm; text-align: left; vertical-align: top; }
table.info th { width: 32mm; background: #f0f0f0; }
table.info td.amount { font-size: 12pt; }
table.houses { font-size: 9.5pt; line-height: 1.3; }
table.houses th, table.houses td { padding: 1mm 2mm; }
table.houses thead th { background: #f0f0f0; }
table.houses .n { text-align: right; white-space: nowrap; }
table.houses tr { break-inside: avoid; }
.reason { min-height: 24mm; line-height: 1.35; }
.signatures { break-inside: avoid; break-before: avoid; margin-top: 6mm; width: 100%; table-layout: fixed; }
.signatures td { border: 0.6pt solid #000; padding: 2.5mm 3mm; vertical-align: top; }
.signatures .who { font-size: 8.5pt; color: #444; margin-bottom: 2mm; }
.signatures p { margin: 0 0 4mm 0; }
.signatures .seal { height: 12mm; }
.remark { font-size: 8.5pt; color: #333; margin-top: 4mm; break-before: avoid; }
/* denser, for a form whose long values would otherwise run onto a second page */
.c1 { font-size: 9pt; }
.c1 header { margin-bottom: 2mm; }
.c1 header h1 { margin-top: 0; }
.c1 table.info, .c1 table.houses { margin-bottom: 3mm; }
.c1 table.info th, .c1 table.info td, .c1 table.houses th, .c1 table.houses td { padding: 0.8mm 1.5mm; }
.c1 table.info td.amount { font-size: 10pt; }
.c1 .reason { min-height: 10mm; }
.c1 .signatures { margin-top: 3mm; }
.c1 .signatures p { margin-bottom: 2mm; }
.c1 .signatures .seal { height: 5mm; }
.c2 { font-size: 7.5pt; }
.c2 header .qr img { width: 20mm; height: 20mm; }
.c2 header h1 { font-size: 14pt; }
.c2 h2 { font-size: 10pt; margin-bottom: 1mm; }
.c2 table.info td.amount { font-size: 8.5pt; }
.c2 .reason { min-height: 0; }
"""
_REFUND_DENSITY = ("", "c1", "c1 c2")  # tried in turn until the form is one page
REFUND_ONE_PAGE_HOUSES = 20  # up to this many houses the form is made to fit one page


def refund_form_html(refund: RefundDoc, *, density: int = 0) -> str:
    """The 退款申请表 as an HTML document (for html_to_pdf); ``density`` 1 or 2 sets it ever
    tighter and smaller (render_refund_form uses them when long values need it)."""
    title = "住宅专项维修资金退款申请表"
    number = esc(refund.number)
    # A long reason is set smaller (the reason of an application holds up to 1000 characters).
    length = len(refund.reason or "")
    reason_pt = min(10.5 if length <= 250 else 9 if length <= 500 else 7, (10.5, 8, 6.5)[density])
    houses = "".join(f'<tr><td>{esc(h.code)}</td><td>{esc(h.location)}</td><td class="n">{format_yuan(h.amount)}</td></tr>'
                     for h in refund.houses)
    total = refund.total
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>{REFUND_CSS}</style></head>
<body class="{_REFUND_DENSITY[density]}">
<header>
  <div>
    <h1>{title}</h1>
    <div class="no">业务单号：{number}</div>
    <div class="no">申请日期：{format_date(refund.created_at)}</div>
  </div>
  <div class="qr"><img src="{qr_png_data_uri(refund.number)}" alt="{number}">{number}</div>
</header>
<table class="info">
<tr><th>物业区域</th><td colspan="3">{esc(refund.estate)}</td></tr>
<tr><th>申请单位</th><td colspan="3">{esc(refund.organization)}</td></tr>
</table>
<h2>退款信息</h2>
<table class="info">
<tr><th>退款金额（小写）</th><td class="amount" colspan="3">¥{format_yuan(total)}</td></tr>
<tr><th>退款金额（大写）</th><td class="amount" colspan="3">人民币{chinese_capitals(total)}</td></tr>
<tr><th>收款户名</th><td colspan="3">{esc(refund.account_name)}</td></tr>
<tr><th>开户银行</th><td>{esc(refund.bank_name)}</td><th>账号</th><td>{esc(refund.account_number)}</td></tr>
<tr><th>退款原因</th><td colspan="3"><div class="reason" style="font-size:{reason_pt}pt">{esc(refund.reason)}</div></td></tr>
</table>
<h2>退款房屋（共 {len(refund.houses)} 套）</h2>
<table class="houses">
<colgroup><col style="width:28%"><col style="width:48%"><col style="width:24%"></colgroup>
<thead><tr><th>房屋编号</th><th>坐落</th><th class="n">退款金额（元）</th></tr></thead>
<tbody>{houses}</tbody>
</table>
<table class="signatures"><tr>
  <td>
    <div class="who">申请人填写</div>
    <p>申请单位 / 业主（签章）：</p>
    <div class="seal"></div>
    <p>经办人：</p>
    <p>日期：　　　　年　　月　　日</p>
  </td>
  <td>
    <div class="who">维修资金管理机构填写</div>
    <p>审核意见：</p>
    <div class="seal"></div>
    <p>审核人：</p>
    <p>日期：　　　　年　　月　　日</p>
  </td>
</tr></table>
<p class="remark">注：退款划入上列收款账户；收款户名须与申请单位或业主一致。</p>
</body></html>"""


def render_refund_form(refund: RefundDoc) -> bytes:
    """The 退款申请表 as PDF bytes (A4 portrait): the application number as text and as a QR
    code, the apply date (Asia/Shanghai), each house refunded with its amount, the total in
    figures and in 大写, the account to pay into, the reason (up to 1000 characters, set smaller
    when long) and the signature boxes. Nothing is cut. A form of up to REFUND_ONE_PAGE_HOUSES
    houses is one page: when long values would push it onto a second page it is set again,
    tighter and smaller (up to twice). More houses run on over pages (the house table's header
    repeated), and the signature boxes never stand alone on the last page. Synchronous and
    CPU-heavy: call it in a thread."""
    title = f"{refund.number} 退款申请表"
    tries = len(_REFUND_DENSITY) if len(refund.houses) <= REFUND_ONE_PAGE_HOUSES else 1
    for density in range(tries):
        data, pages = html_to_pdf_and_pages(refund_form_html(refund, density=density), title)
        if pages == 1:
            break
    return data
