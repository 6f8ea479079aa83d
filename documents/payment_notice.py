"""住宅专项维修资金交存通知单: one A4 page a notice (up to 200 house lines), many in one PDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from documents.capitals import chinese_capitals
from documents.grid import MIN_SCALE, MM_PER_PT, Col, Grid, clip, em_width, fit_text
from documents.render import esc, format_area, format_date, format_yuan, html_to_pdf, qr_png_data_uri

@dataclass
class NoticeLineDoc:
    house_code: str
    location: str  # e.g. 1栋1单元101
    building_area: Decimal
    standard: str | None
    amount: Decimal


@dataclass
class NoticeDoc:
    number: str
    type_label: str  # 首期交存 / 补交 / 续筹 / 其他
    payer_name: str
    payer_kind_label: str  # 开发建设单位 / 业主
    estate: str
    estate_code: str
    building: str | None
    developer: str
    bank_name: str
    bank_account_name: str
    bank_account: str
    total: Decimal
    issued_at: datetime
    lines: list[NoticeLineDoc]


NOTICE_NOTE = "请持本通知单到专户银行柜台、侨都之窗或维修资金专用POS机交款；交款后凭银行回单到开发建设单位/业主处核对。"
NOTICE_LINES_PER_PAGE = 200  # lines a page holds (three column groups of 67 rows); more run on


# Lines: 房屋编号 + 坐落 (one block, a tab apart), 面积, 标准, 金额 per group; one, two or three
# groups side by side, in smaller type the more lines there are.
_LABELS = ("房屋编号", "坐落", "建筑面积（m²）", "交存标准", "金额（元）")
_SHORT_LABELS = ("房屋编号", "坐落", "面积m²", "标准", "金额(元)")


def _line_cols(code: float, place: float, area: float, standard: float, amount: float) -> tuple[Col, ...]:
    return (Col(code + place, tab=code), Col(area, right=True), Col(standard), Col(amount, right=True))


LINE_GRIDS = (  # (up to this many lines, groups, grid, labels)
    (30, 1, Grid("l1", 9.0, 4.6, _line_cols(27, 50, 26, 49, 30)), _LABELS),
    (80, 2, Grid("l2", 7.5, 3.8, _line_cols(22, 29, 12.5, 8, 19.5)), _SHORT_LABELS),
    (NOTICE_LINES_PER_PAGE, 3, Grid("l3", 6.2, 2.7, _line_cols(16.4, 17.7, 8.6, 5.2, 12.76), pad=0.4), _SHORT_LABELS),
)
# The notice's particulars: two columns of label<TAB>value.
INFO_GRID = Grid("i", 9.0, 5.0, (Col(100, tab=22, shade_tab=True), Col(82, tab=21, shade_tab=True)),
                 header=False, pad=0.8)


def _line_grid(count: int) -> tuple[int, Grid, tuple[str, ...]]:
    for limit, groups, grid, labels in LINE_GRIDS:
        if count <= limit:
            return groups, grid, labels
    return LINE_GRIDS[-1][1:]


NOTICE_CSS = f"""
@page {{ margin: 9mm 14mm 8mm 14mm; }}
.notice {{ break-after: page; }}
.qr {{ float: right; width: 21mm; height: 21mm; image-rendering: pixelated; margin: 0 0 0 4mm; }}
h1 {{ font-size: 16pt; line-height: 1.3; margin: 1mm 0 1.5mm 0; letter-spacing: 1pt; }}
.no {{ font-size: 11pt; margin: 0; }}
.grid {{ border: 0.6pt solid #000; overflow: hidden; white-space: pre; font-kerning: none;
         image-rendering: pixelated; }}
.c {{ float: left; height: 100%; overflow: hidden; box-sizing: border-box; border-left: 0.4pt solid #000; }}
.c.first {{ border-left: 0; }}
.c.g {{ border-left: 1.2pt solid #000; }}
.s {{ line-height: 0; }}  /* smaller text never makes its row taller */
.info {{ margin: 3mm 0 2mm 0; clear: both; }}
.legend {{ font-size: 7.5pt; line-height: 1.25; margin: 1mm 0 0 0; }}
.total {{ margin-top: 2mm; border: 0.8pt solid #000; padding: 1mm 2mm; font-size: 10.5pt; line-height: 1.45;
          white-space: pre; }}
.note {{ font-size: 8.5pt; line-height: 1.35; margin: 1.5mm 0 0 0; }}
.sign {{ margin: 5mm 0 0 0; font-size: 9pt; white-space: pre; tab-size: 45.5mm; }}
.cont {{ font-size: 9pt; margin: 0 0 1.5mm 0; break-before: page; }}
{"".join(grid.css() for _, _, grid, _ in LINE_GRIDS)}{INFO_GRID.css()}"""


def _standard_keys(lines: Sequence[NoticeLineDoc], grid: Grid) -> dict[str, str]:
    """Short keys (A, B, …) for the standards when one of them does not fit the 标准 column even
    set smaller (they are explained under the table); {} when all fit."""
    room = grid.room(2) / (grid.font * MM_PER_PT * MIN_SCALE)
    names = list(dict.fromkeys(line.standard for line in lines if line.standard))
    if all(em_width(n) <= room for n in names):
        return {}

    def key(i: int) -> str:
        return chr(65 + i) if i < 26 else f"{chr(65 + i // 26 - 1)}{chr(65 + i % 26)}"

    return {name: key(i) for i, name in enumerate(names)}


def _lines_grid(lines: Sequence[NoticeLineDoc], groups: int, grid: Grid, labels: Sequence[str],
                keys: dict[str, str]) -> str:
    rows = max(1, -(-len(lines) // groups))
    font = grid.font
    code_room, place_room = grid.room(0, 0), grid.room(0, 1)
    area_room, standard_room, amount_room = grid.room(1), grid.room(2), grid.room(3)

    def fit(text: str, room: float) -> str:
        return fit_text(text, room, font)

    head = [f"{fit(labels[0], code_room)}\t{fit(labels[1], place_room)}", fit(labels[2], area_room),
            fit(labels[3], standard_room), fit(labels[4], amount_room)]
    columns: list[tuple[str, list[str]]] = []
    for g in range(groups):
        part = lines[g * rows:(g + 1) * rows]  # down the first group, then the next
        houses = [head[0]] + [f"{fit(x.house_code, code_room)}\t{fit(x.location, place_room)}" for x in part]
        areas = [head[1]] + [fit(format_area(x.building_area), area_room) for x in part]
        standards = [head[2]] + [fit(keys.get(x.standard, x.standard) if x.standard else "—", standard_room)
                                 for x in part]
        amounts = [head[3]] + [fit(format_yuan(x.amount), amount_room) for x in part]
        columns += [("g" if g else "first", houses), ("", areas), ("", standards), ("", amounts)]
    return grid.html(columns, rows + 1)


def _notice_section(notice: NoticeDoc) -> str:
    lines = notice.lines
    groups, grid, labels = _line_grid(len(lines))
    keys = _standard_keys(lines, grid)
    estate = f"{notice.estate}（{notice.estate_code}）" if notice.estate_code else notice.estate
    info = INFO_GRID
    rows = [
        ("物业区域", estate, "楼幢", notice.building or "—"),
        ("交款人", notice.payer_name, "交款人类别", notice.payer_kind_label),
        ("开发建设单位", notice.developer, "交存类型", notice.type_label),
        ("开户银行", notice.bank_name, "开单日期", format_date(notice.issued_at)),
        ("收款户名", notice.bank_account_name, "收款账号", notice.bank_account),
    ]
    info_columns = [
        ("first", [f"{esc(r[0])}\t{fit_text(r[1], info.room(0, 1), info.font)}" for r in rows]),
        ("", [f"{esc(r[2])}\t{fit_text(r[3], info.room(1, 1), info.font)}" for r in rows]),
    ]
    per_page = NOTICE_LINES_PER_PAGE
    chunks = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    tables = []
    for n, chunk in enumerate(chunks):
        if n:
            tables.append(f'<p class="cont">交存通知单 {esc(notice.number)}（续，第 {n + 1} 页）　房屋 '
                          f"{n * per_page + 1}–{n * per_page + len(chunk)} / {len(lines)}</p>")
        tables.append(_lines_grid(chunk, groups, grid, labels, keys))
    legend = ""
    if keys:  # at most three lines (182 mm at 7.5 pt: 68 em a line), so the page keeps its room
        text = "交存标准：" + "；".join(f"{k}＝{name}" for name, k in keys.items())
        legend = f'<p class="legend">{esc(clip(text, 190))}</p>'
    number = esc(notice.number)
    return (
        f'<section class="notice"><img class="qr" src="{qr_png_data_uri(notice.number)}" alt="{number}">'
        f"<h1>住宅专项维修资金交存通知单</h1>"
        f'<p class="no">通知单号：{number}</p>'
        f'{info.html(info_columns, len(rows), classes="info")}'
        f"{''.join(tables)}{legend}"
        f'<div class="total">合计（小写）：¥{format_yuan(notice.total)}　　（共 {len(lines)} 套）\n'
        f"合计（大写）：人民币{chinese_capitals(notice.total)}</div>"
        f'<p class="note">说明：{NOTICE_NOTE}</p>'
        '<p class="sign">开单人：\t交款人（签章）：\t银行经办（盖章）：\t交款日期：　　年　　月　　日</p>'
        "</section>"
    )


def payment_notices_html(notices: Sequence[NoticeDoc]) -> str:
    """The notices as one HTML document, each on a page of its own (for html_to_pdf; see
    render_payment_notices)."""
    title = f"交存通知单 {notices[0].number}" if len(notices) == 1 else f"交存通知单 {len(notices)} 份"
    sections = "".join(_notice_section(n) for n in notices)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{NOTICE_CSS}</style></head>
<body>
{sections}
</body></html>"""


def render_payment_notices(notices: Sequence[NoticeDoc]) -> bytes:
    """住宅专项维修资金交存通知单, any number of them in one PDF, ONE A4 portrait page each.

    A page carries the title, the number (as text and as a QR code), estate and code, building,
    payer, developer, type, issue date (Asia/Shanghai), the bank account to pay into (开户银行,
    户名, 账号), the houses (房屋编号, 坐落, 建筑面积, 交存标准, 金额), the total in figures and in
    大写, the note and a signature line.

    One page holds up to 200 lines (NOTICE_LINES_PER_PAGE): the houses are set in one, two or
    three column groups (up to 30 / 80 / 200 lines) in smaller type the more there are (9 / 7.5
    / 6.2 pt). No field wraps, so the page's height does not depend on the data: text too wide
    for its cell is set smaller (down to 70 %) and beyond that cut with …; standards too long
    for their column become keys A, B, … explained under the table (that legend, at most three
    lines, is the only part that varies). A notice of more than 200 lines (rare) runs on to further pages, 200 lines each
    (headed 续, 第 n 页), with the total and the signature line after the last line.

    All notices are laid out as one WeasyPrint document, and the tables are column blocks rather
    than HTML tables (see Grid): about 30 pages a second on one core, against about 8 with
    tables. Synchronous and CPU-heavy: call it in a thread."""
    if not notices:
        raise ValueError("no notices to render")
    title = f"交存通知单 {notices[0].number}" if len(notices) == 1 else f"交存通知单 {len(notices)} 份"
    return html_to_pdf(payment_notices_html(notices), title=title)


def render_payment_notice(notice: NoticeDoc) -> bytes:
    """One notice as PDF: ``render_payment_notices([notice])``."""
    return render_payment_notices([notice])
