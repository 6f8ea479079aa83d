"""The 申请表 of an application: its particulars, the changes (before and after, one row a house or
building) and the signatures, portrait or landscape by the number of columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from documents.grid import em_width
from documents.render import CHINA_TZ, esc, html_to_pdf, qr_svg_data_uri

@dataclass
class ChangeRow:
    """One house or building: its values before and after, already formatted as text and keyed
    by the Chinese column labels. ``before`` is None for something new, ``after`` for something
    removed."""

    label: str
    before: dict[str, str] | None
    after: dict[str, str] | None


@dataclass
class ApplicationForm:
    number: str
    type_label: str  # e.g. 房屋信息变更
    organization: str
    credit_code: str
    estate: str | None
    estate_code: str | None
    reason: str | None
    applicant: str
    submitted_at: datetime
    columns: list[str]  # the keys to show in the before/after tables, in order
    changes: list[ChangeRow]
    extra: list[tuple[str, str]] = field(default_factory=list)  # e.g. [("交存时点", "网签备案前")]


FORM_CSS = """
@page {
  @bottom-left { content: "业务单号 " string(number); font-size: 8.5pt; color: #444; }
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9pt; }
}
@page wide { size: A4 landscape; }
body.wide { page: wide; }
.no .num { string-set: number content(); }
header { display: flex; align-items: flex-start; justify-content: space-between; margin-bottom: 4mm; }
header h1 { font-size: 17pt; margin: 4mm 0 2mm 0; letter-spacing: 0.5pt; }
header .no { font-size: 10.5pt; }
header .qr { text-align: center; font-size: 7.5pt; }
header .qr img { width: 26mm; height: 26mm; display: block; }
table.info { width: 100%; margin-bottom: 5mm; table-layout: fixed; }
table.info th, table.info td { border: 0.6pt solid #000; padding: 1.3mm 2mm; text-align: left; vertical-align: top; }
table.info th { width: 30mm; background: #f0f0f0; }
h2 { font-size: 12pt; margin: 0 0 2mm 0; break-after: avoid; }
table.changes { width: 100%; table-layout: fixed; font-size: 9pt; line-height: 1.25; }
table.changes th, table.changes td { border: 0.5pt solid #000; padding: 0.6mm 1.4mm; vertical-align: top;
                                      white-space: pre-line; }
table.changes thead th { background: #e6e6e6; text-align: center; }
table.changes tbody { break-inside: avoid; }
table.changes td.side { text-align: center; color: #333; }
table.changes td.none { color: #666; text-align: center; }
table.changes td.changed { background: #ffe58f; }
table.changes tr.after td.changed { background: #ffd24d; }
.legend { font-size: 8.5pt; color: #333; margin: 1.5mm 0 0 0; break-before: avoid; }
.legend span { background: #ffd24d; padding: 0 1.5mm; }
/* never alone on a page: the last rows of the table come along */
.signatures { break-inside: avoid; break-before: avoid; margin-top: 7mm; width: 100%; table-layout: fixed; }
.signatures td { border: 0.6pt solid #000; padding: 2.5mm 3mm; vertical-align: top; }
.signatures .who { font-size: 8.5pt; color: #444; margin-bottom: 2mm; }
.signatures p { margin: 0 0 4mm 0; }
.signatures .seal { height: 12mm; }
"""

WIDE_AFTER_COLUMNS = 6  # more value columns than this: the form is printed landscape


def _format_time(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(CHINA_TZ)
    return value.strftime("%Y-%m-%d %H:%M")


def _info_rows(pairs: list[tuple[str, str]]) -> str:
    """Label/value pairs two to a row; a long value takes a whole row."""
    rows: list[str] = []
    pending: tuple[str, str] | None = None
    for key, value in pairs:
        if _text_width(value) > 28:
            rows.append(f'<tr><th>{esc(key)}</th><td colspan="3">{esc(value)}</td></tr>')
        elif pending is None:
            pending = (key, value)
        else:
            rows.append(f"<tr><th>{esc(pending[0])}</th><td>{esc(pending[1])}</td>"
                        f"<th>{esc(key)}</th><td>{esc(value)}</td></tr>")
            pending = None
    if pending is not None:
        rows.append(f'<tr><th>{esc(pending[0])}</th><td colspan="3">{esc(pending[1])}</td></tr>')
    return "".join(rows)


def _text_width(text: str) -> int:
    """Roughly how wide a text is, in half-em units (a Han character counts 2)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


# The changes table's geometry: 9 pt type; each cell's padding and rules take about 3.2 mm.
_CHANGES_EM_MM = 9 * 25.4 / 72
_CELL_PAD_MM = 3.2
_SHORT_EM = 8.0  # a column whose every text fits this many em is never wrapped
_PAGE_MM = {False: 180.0, True: 267.0}  # text width of an A4 page, portrait / landscape (15 mm margins)


def _only_new(form: ApplicationForm) -> bool:
    """Every change adds something (采集, 补充): one row per house, no 变更前 / 变更后 column."""
    return bool(form.changes) and all(c.before is None for c in form.changes)


def _widest_line(texts) -> float:
    """em of the widest line among the texts (a cell may hold one line per owner)."""
    return max((em_width(line) for t in texts for line in t.split("\n")), default=0.0)


def _colgroup(form: ApplicationForm, *, wide: bool) -> str:
    """Column widths for the changes table. The table uses the fixed layout (the automatic one
    measures every cell of every row and makes long forms several times slower), so the widths
    are worked out here from the texts of the first 2000 changes. A short column (every text of
    it, header included, within _SHORT_EM) gets the room its widest text needs, so 住宅 or 101
    never break one character a line; the long ones (坐落, names) share the rest in proportion
    to their widest text and wrap where they must."""
    sample = form.changes[:2000]
    texts = [[c.label for c in sample]]
    if not _only_new(form):
        texts.append(["变更前"])
    for key in form.columns:
        texts.append([side.get(key, "") for c in sample for side in (c.before or {}, c.after or {})])
    heads = ["房屋 / 楼幢", "　", *form.columns] if not _only_new(form) else ["房屋 / 楼幢", *form.columns]
    natural = [max(_widest_line(t), em_width(h), 2.0) for t, h in zip(texts, heads)]
    needs = [n * _CHANGES_EM_MM + _CELL_PAD_MM for n in natural]
    page = _PAGE_MM[wide]
    long = [i for i, n in enumerate(natural) if n > _SHORT_EM]
    widths = list(needs)
    if sum(needs) <= page:  # room to spare: the long columns (or all, if none is long) get it
        share = long or list(range(len(needs)))
        spare = page - sum(needs)
        weight = sum(natural[i] for i in share)
        for i in share:
            widths[i] += spare * natural[i] / weight
    elif long:  # short columns keep their room; the long ones wrap in what is left
        room = max(page - sum(needs[i] for i in range(len(needs)) if i not in long), 12.0 * len(long))
        weight = sum(min(natural[i], 30.0) for i in long)
        for i in long:
            widths[i] = room * min(natural[i], 30.0) / weight
    total = sum(widths)
    return "<colgroup>" + "".join(f'<col style="width:{w * 100 / total:.2f}%">' for w in widths) + "</colgroup>"


def _change_rows(form: ApplicationForm) -> str:
    """One <tbody> per change (kept on one page): a new or removed house is one row (新增 / 注销;
    on a form of new houses only, without that column), a changed one two rows (变更前 / 变更后)
    with the differing cells marked."""
    columns = form.columns
    ncols = len(columns)
    only_new = _only_new(form)
    parts: list[str] = []
    for change in form.changes:
        before = change.before or {}
        after = change.after or {}
        label = esc(change.label)
        if change.before is None or change.after is None:
            values = after if change.before is None else before
            side = "" if only_new else f'<td class="side">{"新增" if change.before is None else "注销"}</td>'
            cells = "".join(f"<td>{esc(values.get(key, ''))}</td>" for key in columns)
            parts.append(f'<tbody><tr class="{"after" if change.before is None else "before"}">'
                         f'<td class="label">{label}</td>{side}{cells}</tr></tbody>')
            continue
        differs = {key for key in columns if before.get(key, "") != after.get(key, "")}
        rows = []
        for side, values, css in (("变更前", before, "before"), ("变更后", after, "after")):
            cells = [f'<td class="label" rowspan="2">{label}</td>'] if css == "before" else []
            cells.append(f'<td class="side">{side}</td>')
            for key in columns:
                mark = ' class="changed"' if key in differs else ""
                cells.append(f"<td{mark}>{esc(values.get(key, ''))}</td>")
            rows.append(f'<tr class="{css}">{"".join(cells)}</tr>')
        parts.append(f"<tbody>{''.join(rows)}</tbody>")
    if not parts:
        parts.append(f'<tbody><tr><td class="none" colspan="{ncols + 2}">（无）</td></tr></tbody>')
    return "".join(parts)


def application_form_html(form: ApplicationForm) -> str:
    """The 申请表 as an HTML document (for html_to_pdf)."""
    title = f"住宅专项维修资金 {form.type_label} 申请表"
    estate = form.estate or ""
    if form.estate_code:
        estate = f"{estate}（{form.estate_code}）" if estate else form.estate_code
    info: list[tuple[str, str]] = [("统一社会信用代码", form.credit_code)]
    if estate:
        info.append(("物业区域", estate))
    info.extend(form.extra)
    info.extend([("申请人", form.applicant), ("提交时间", _format_time(form.submitted_at))])
    info_rows = (f'<tr><th>申请单位</th><td colspan="3">{esc(form.organization)}</td></tr>' + _info_rows(info)
                 + f'<tr><th>申请原因</th><td colspan="3">{esc(form.reason or "—")}</td></tr>')
    head = "".join(f"<th>{esc(c)}</th>" for c in form.columns)
    landscape = len(form.columns) > WIDE_AFTER_COLUMNS
    wide = ' class="wide"' if landscape else ""
    changes = ""
    if form.columns or form.changes:
        if _only_new(form):
            heading, side_head, legend = f"新增房屋（共 {len(form.changes)} 套）", "", ""
        else:
            heading, side_head, legend = f"变更明细（共 {len(form.changes)} 项）", "<th>　</th>", ""
            if any(c.before is not None and c.after is not None for c in form.changes):
                legend = '<p class="legend"><span>底色</span> 标示变更前后不同的项。</p>'
        changes = f"""
<h2>{heading}</h2>
<table class="changes">
  {_colgroup(form, wide=landscape)}
  <thead><tr><th>房屋 / 楼幢</th>{side_head}{head}</tr></thead>
  {_change_rows(form)}
</table>
{legend}"""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{FORM_CSS}</style></head>
<body{wide}>
<header>
  <div>
    <h1>{esc(title)}</h1>
    <div class="no">业务单号：<span class="num">{esc(form.number)}</span></div>
  </div>
  <div class="qr"><img src="{qr_svg_data_uri(form.number)}" alt="{esc(form.number)}"></div>
</header>
<table class="info">{info_rows}</table>
{changes}
<table class="signatures"><tr>
  <td>
    <div class="who">申请单位填写</div>
    <p>申请单位（盖章）：</p>
    <div class="seal"></div>
    <p>经办人：</p>
    <p>日期：　　　　年　　月　　日</p>
  </td>
  <td>
    <div class="who">维修资金管理机构填写</div>
    <p>受理人：</p>
    <div class="seal"></div>
    <p>审核人：</p>
  </td>
</tr></table>
</body></html>"""


def render_application_form(form: ApplicationForm) -> bytes:
    """The 申请表 of an application as PDF bytes (A4; portrait, or landscape for many columns).
    Synchronous and CPU-heavy: call it in a thread."""
    return html_to_pdf(application_form_html(form), title=f"{form.number} {form.type_label}申请表")
