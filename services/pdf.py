"""PDF documents (申请表, 交存通知单 and the 退款申请表), rendered by WeasyPrint.

Pure: no database, no GraphQL. Rendering is CPU-heavy and synchronous; async callers run it in
a thread (``await asyncio.to_thread(render_application_form, form)``).

Fonts: every document is set in ONE font, Noto Sans SC Regular (SIL OFL 1.1), shipped by the
PyPI package ``pylopdf-fonts-zh-cn`` (pinned in pyproject.toml) and checked against the
SHA-256 of the noto-cjk source file (Sans/SubsetOTF/SC) that the package's README gives. It is loaded by absolute ``file://`` path in an @font-face rule
(``BASE_CSS``), so no system font lookup decides what the PDF looks like; the OS only has to
provide Pango, which WeasyPrint itself needs. The font is embedded (subset) in every PDF.

All text put into the HTML goes through ``esc`` (HTML-escaped). The URL fetcher refuses
everything except ``data:`` URIs and the font file, so a document can never read other local
files or reach the network.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import segno

from core import gc_policy

log = logging.getLogger(__name__)

# The one font: noto-cjk's Sans/SubsetOTF/SC/NotoSansSC-Regular.otf (revision f8d15753…), whose
# SHA-256 the package's README gives; the installed file must match it.
FONT_PACKAGE = "pylopdf-fonts-zh-cn"
FONT_SHA256 = "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9"
# A family name no system font has, so fontconfig can only ever pick our file for it. WeasyPrint
# writes it into the PDF as the font's /BaseFont and /FontName (``XXXXXX+WxFund-Noto-Sans-SC``).
FONT_FAMILY = "WxFund Noto Sans SC"
PDF_FONT_NAME = FONT_FAMILY.replace(" ", "-")

CHINA_TZ = timezone(timedelta(hours=8))  # Asia/Shanghai, no daylight saving


class FontMissing(RuntimeError):
    """The bundled CJK font is not installed, or is not the expected file."""


def _locate_font() -> Path:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError as exc:  # pragma: no cover - only on a broken install
        raise FontMissing(f"the font package {FONT_PACKAGE} is not installed (pip install -e .)") from exc
    return Path(pylopdf_fonts_zh_cn.sans_path()).resolve()


FONT_FILE = _locate_font()
FONT_URL = FONT_FILE.as_uri()


@lru_cache(maxsize=1)
def font_bytes() -> bytes:
    """The font file's bytes, checked against FONT_SHA256 (once per process)."""
    if not FONT_FILE.is_file():  # pragma: no cover
        raise FontMissing(f"font file missing: {FONT_FILE}")
    data = FONT_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != FONT_SHA256:  # pragma: no cover
        raise FontMissing(f"font file {FONT_FILE} has SHA-256 {digest}, expected {FONT_SHA256}")
    return data


# The CSS every document shares, applied by html_to_pdf as a user stylesheet: the font (the only
# family: !important in a user stylesheet outranks anything a document says) and A4 pages.
_MARGIN_BOXES = "".join(
    f'  @{box} {{ font-family: "{FONT_FAMILY}" !important; }}\n'
    for box in ("top-left", "top-center", "top-right", "bottom-left", "bottom-center", "bottom-right")
)
BASE_CSS = f"""
@font-face {{
  font-family: "{FONT_FAMILY}";
  src: url("{FONT_URL}") format("opentype");
  font-weight: normal;
  font-style: normal;
}}
*, *::before, *::after {{
  font-family: "{FONT_FAMILY}" !important;
  font-weight: normal !important;   /* one face only: no synthetic bold or italic */
  font-style: normal !important;
}}
@page {{
  size: A4;
  margin: 18mm 15mm 20mm 15mm;
  font-family: "{FONT_FAMILY}" !important;
{_MARGIN_BOXES}}}
html {{ font-size: 10.5pt; line-height: 1.45; color: #000; }}
body {{ margin: 0; }}
table {{ border-collapse: collapse; }}
td, th {{ overflow-wrap: anywhere; }}
"""


def esc(value: object) -> str:
    """HTML-escapes any value ('' for None)."""
    return "" if value is None else html.escape(str(value), quote=True)


# ---------------------------------------------------------------------------------------------
# WeasyPrint plumbing


def _weasy():
    import weasyprint  # imported late: it loads Pango, which the rest of the service never needs

    return weasyprint


_lock = threading.Lock()
_state: tuple | None = None


def _fetcher():
    weasyprint = _weasy()

    class LockedFetcher(weasyprint.URLFetcher):
        """Fetches data: URIs and the bundled font, and nothing else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:") or url == FONT_URL:
                return super().fetch(url, headers)
            raise weasyprint.urls.FatalURLFetchingError(f"resource not allowed in a document: {url[:80]}")

    return LockedFetcher(allowed_protocols=("data", "file"))


def _prepared():
    """The FontConfiguration with our font registered, the fetcher and BASE_CSS parsed, made once
    per process (building them loads the system font list and copies the 8 MB font to a
    temporary folder). Call with _lock held."""
    global _state
    if _state is None:
        weasyprint = _weasy()
        from weasyprint.text.fonts import FontConfiguration

        font_bytes()  # refuse to start with a font that is not the pinned one
        config = FontConfiguration()
        fetcher = _fetcher()
        css = weasyprint.CSS(string=BASE_CSS, font_config=config, url_fetcher=fetcher)
        _state = (config, fetcher, css)
    return _state


def html_to_pdf(html_text: str, *, title: str | None = None) -> bytes:
    """Renders a complete HTML document to PDF bytes with BASE_CSS applied (the bundled CJK font,
    A4 pages); its own <style> may set anything but the font. Only data: URIs may be referenced
    (images, QR codes). Synchronous and CPU-bound: renders run one at a time (WeasyPrint is pure
    Python under the GIL, so parallel renders would gain nothing, and its font configuration is
    shared), so async callers use a thread to keep the event loop free."""
    return _render_pdf(html_text, title)[0]


def _render_pdf(html_text: str, title: str | None) -> tuple[bytes, int]:
    """html_to_pdf, also giving the number of pages."""
    weasyprint = _weasy()
    with _lock, gc_policy.quiet():  # WeasyPrint's boxes all live until the PDF is written
        config, fetcher, css = _prepared()
        document = weasyprint.HTML(string=html_text, url_fetcher=fetcher).render(
            stylesheets=[css], font_config=config
        )
        ours = font_bytes()
        used = list(document.fonts.values())
        if used and not any(f.file_content == ours for f in used):
            raise FontMissing("the bundled CJK font was not used; the PDF would depend on system fonts")
        for f in used:
            if f.file_content != ours:
                # Pango fell back to a system font for characters Noto Sans SC lacks.
                log.warning("pdf.font_fallback", extra={"font_family": f.family})
        if title:
            document.metadata.title = title
        return document.write_pdf(), len(document.pages)


def qr_svg_data_uri(text: str, *, scale: int = 4) -> str:
    """A QR code of ``text`` (error correction M) as an SVG data: URI for an <img>."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=scale, border=2)


# ---------------------------------------------------------------------------------------------
# 申请表


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
    return max((_em_width(line) for t in texts for line in t.split("\n")), default=0.0)


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
    natural = [max(_widest_line(t), _em_width(h), 2.0) for t, h in zip(texts, heads)]
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


# ---------------------------------------------------------------------------------------------
# Shared by the notice and the refund form


def qr_png_data_uri(text: str) -> str:
    """A QR code of ``text`` (error correction M) as a PNG data: URI, four pixels a module with a
    two-module border: about 300 bytes, and for WeasyPrint far cheaper than the SVG one when a
    document has a code on each of hundreds of pages. Four pixels a module keep the modules
    sharp enough to scan even where the image is smoothed when scaled (no
    ``image-rendering: pixelated``)."""
    return segno.make(text, error="m", micro=False).png_data_uri(scale=4, border=2)


def _yuan(amount: Decimal) -> str:
    """1234.5 → 1,234.50"""
    return f"{Decimal(amount).quantize(Decimal('0.01')):,}"


def _area(area: Decimal) -> str:
    return f"{Decimal(area).quantize(Decimal('0.01'))}"


def _format_date(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(CHINA_TZ)
    return value.strftime("%Y-%m-%d")


# Advance widths (em) of the printable ASCII characters in Noto Sans SC; everything else there
# (Han, full-width punctuation) is 1 em or less.
_ASCII_EM = (
    0.224, 0.323, 0.474, 0.555, 0.555, 0.921, 0.68, 0.278, 0.338, 0.338, 0.467, 0.555, 0.278, 0.347, 0.278, 0.392,
    0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.555, 0.278, 0.278, 0.555, 0.555, 0.555, 0.474,
    0.946, 0.608, 0.657, 0.638, 0.688, 0.589, 0.552, 0.689, 0.728, 0.293, 0.535, 0.646, 0.543, 0.812, 0.723, 0.742,
    0.633, 0.742, 0.635, 0.596, 0.599, 0.721, 0.575, 0.878, 0.573, 0.531, 0.603, 0.338, 0.392, 0.338, 0.555, 0.559,
    0.606, 0.563, 0.618, 0.51, 0.62, 0.554, 0.325, 0.564, 0.607, 0.275, 0.275, 0.552, 0.284, 0.926, 0.61, 0.606,
    0.62, 0.62, 0.388, 0.468, 0.377, 0.607, 0.521, 0.802, 0.498, 0.521, 0.475, 0.338, 0.27, 0.338, 0.555,
)


def _em_width(text: str) -> float:
    """How wide a text is set in our font, in em (1 em for anything outside printable ASCII,
    which is never too little)."""
    return sum(_ASCII_EM[o - 32] if 32 <= (o := ord(ch)) < 127 else 1.0 for ch in text)


def _clip(text: str, ems: float) -> str:
    """``text`` cut to fit ``ems`` em, with … where cut."""
    if _em_width(text) <= ems:
        return text
    out, used = [], 1.0  # room for the …
    for ch in text:
        w = _em_width(ch)
        if used + w > ems:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


# ---------------------------------------------------------------------------------------------
# 交存通知单


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

_MM_PER_PT = 25.4 / 72
_MIN_SCALE = 0.7  # text too wide for its cell is set smaller, down to 70 %, then cut with …


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _fit(text: str, room_mm: float, font_pt: float) -> str:
    """``text`` (escaped) made to fit ``room_mm`` on one line: as it is, set smaller (a span with
    a smaller font-size, down to _MIN_SCALE, and no line height of its own so that its row keeps
    its height), or at the smallest size cut with …. Line breaks and tabs in it become spaces
    (in a grid they would start a row or a column)."""
    text = _CONTROL.sub(" ", text)
    width = _em_width(text) * font_pt * _MM_PER_PT
    if width <= room_mm:
        return esc(text)
    if width * _MIN_SCALE <= room_mm:
        return f'<span class="s" style="font-size:{int(room_mm / width * 100)}%">{esc(text)}</span>'
    cut = _clip(text, room_mm / (font_pt * _MM_PER_PT * _MIN_SCALE))
    return f'<span class="s" style="font-size:{int(_MIN_SCALE * 100)}%">{esc(cut)}</span>'


def _png_data_uri(width: int, height: int, pixels: bytes) -> str:
    """A tiny greyscale PNG (``height`` rows of ``width`` bytes) as a data: URI."""
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


# Backgrounds of a grid: the header row shaded (one grey pixel stretched over the first row) and
# a rule under every row (a 1 × 16 pixel tile, its last pixel dark, repeated down the grid).
_SHADE_PNG = _png_data_uri(1, 1, b"\xe6")
_RULE_PNG = _png_data_uri(1, 16, b"\xff" * 15 + b"\x70")


@dataclass(frozen=True)
class _Col:
    width: float  # mm
    right: bool = False  # text-align: right
    tab: float | None = None  # mm: two sub-columns "a<TAB>b", b starting this far in
    shade_tab: bool = False  # shade the first sub-column (labels)


@dataclass(frozen=True)
class _Grid:
    """A table set as column blocks: one block (a float) per column holding all its cells as
    lines of pre-formatted text, each line one row of fixed height. Nothing wraps, so the rows
    line up, and WeasyPrint lays out a few boxes with a line each per row instead of a box per
    cell (a real table costs it about 1 ms a cell). Two left-aligned columns can share a block,
    the second starting at a tab stop. Row rules and the shaded header row are the grid's
    background images."""

    name: str  # CSS class; its columns get the classes name + "c0", name + "c1", …
    font: float  # pt
    row: float  # mm, the height of every row (line-height)
    cols: tuple[_Col, ...]  # of one group; groups × their widths = 182 mm
    header: bool = True  # the first row is shaded
    pad: float = 0.5  # mm, a column's left and right padding

    def css(self) -> str:
        layers = 2 if self.header else 1
        size = ", ".join([f"100% {self.row}mm"] * layers)
        images = ", ".join(([f'url("{_SHADE_PNG}")'] if self.header else []) + [f'url("{_RULE_PNG}")'])
        repeat = ", ".join((["no-repeat"] if self.header else []) + ["repeat-y"])
        out = [f".{self.name} {{ font-size: {self.font}pt; line-height: {self.row}mm; background-image: {images}; "
               f"background-repeat: {repeat}; background-size: {size}; }}",
               f".{self.name} .c {{ padding: 0 {self.pad}mm; }}"]
        for i, col in enumerate(self.cols):
            rule = f"width: {col.width}mm;"
            if col.right:
                rule += " text-align: right;"
            if col.tab:
                rule += f" tab-size: {col.tab}mm;"
            if col.shade_tab:
                rule += (f' background: url("{_SHADE_PNG}") no-repeat 0 0 / {col.tab + self.pad}mm 100%;')
            out.append(f".{self.name}c{i} {{ {rule} }}")
        # The grid's last column is 1 mm narrower: floats adding up to more than the grid's inner
        # width (its borders take some) would push the last one onto a new line.
        out.append(f".{self.name}z {{ width: {self.cols[-1].width - 1}mm; }}")
        return "\n".join(out) + "\n"

    def room(self, column: int, part: int = 0) -> float:
        """mm for the text of a column (``part`` 0 / 1: before / after its tab)."""
        col = self.cols[column]
        width = col.width - (column == len(self.cols) - 1)  # the grid's last column: 1 mm less
        if col.tab is None:
            return width - 2 * self.pad - 0.3
        return col.tab - 1.0 if part == 0 else width - col.tab - 2 * self.pad - 0.3

    def html(self, columns: Sequence[tuple[str, Sequence[str]]], rows: int, *, classes: str = "") -> str:
        """``columns``: (extra CSS classes, cells already escaped and fitted) each, top down."""
        blocks = []
        for i, (extra, cells) in enumerate(columns):
            css = f"c {self.name}c{i % len(self.cols)} {extra}".strip()
            if i == len(columns) - 1:
                css += f" {self.name}z"
            blocks.append(f'<div class="{css}">' + "\n".join(cells) + "</div>")
        return (f'<div class="grid {self.name} {classes}" style="height:{rows * self.row:.2f}mm">'
                + "".join(blocks) + "</div>")


# Lines: 房屋编号 + 坐落 (one block, a tab apart), 面积, 标准, 金额 per group; one, two or three
# groups side by side, in smaller type the more lines there are.
_LABELS = ("房屋编号", "坐落", "建筑面积（m²）", "交存标准", "金额（元）")
_SHORT_LABELS = ("房屋编号", "坐落", "面积m²", "标准", "金额(元)")


def _line_cols(code: float, place: float, area: float, standard: float, amount: float) -> tuple[_Col, ...]:
    return (_Col(code + place, tab=code), _Col(area, right=True), _Col(standard), _Col(amount, right=True))


_LINE_GRIDS = (  # (up to this many lines, groups, grid, labels)
    (30, 1, _Grid("l1", 9.0, 4.6, _line_cols(27, 50, 26, 49, 30)), _LABELS),
    (80, 2, _Grid("l2", 7.5, 3.8, _line_cols(22, 29, 12.5, 8, 19.5)), _SHORT_LABELS),
    (NOTICE_LINES_PER_PAGE, 3, _Grid("l3", 6.2, 2.7, _line_cols(16.4, 17.7, 8.6, 5.2, 12.76), pad=0.4), _SHORT_LABELS),
)
# The notice's particulars: two columns of label<TAB>value.
_INFO_GRID = _Grid("i", 9.0, 5.0, (_Col(100, tab=22, shade_tab=True), _Col(82, tab=21, shade_tab=True)),
                   header=False, pad=0.8)


def _line_grid(count: int) -> tuple[int, _Grid, tuple[str, ...]]:
    for limit, groups, grid, labels in _LINE_GRIDS:
        if count <= limit:
            return groups, grid, labels
    return _LINE_GRIDS[-1][1:]


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
{"".join(grid.css() for _, _, grid, _ in _LINE_GRIDS)}{_INFO_GRID.css()}"""


def _standard_keys(lines: Sequence[NoticeLineDoc], grid: _Grid) -> dict[str, str]:
    """Short keys (A, B, …) for the standards when one of them does not fit the 标准 column even
    set smaller (they are explained under the table); {} when all fit."""
    room = grid.room(2) / (grid.font * _MM_PER_PT * _MIN_SCALE)
    names = list(dict.fromkeys(line.standard for line in lines if line.standard))
    if all(_em_width(n) <= room for n in names):
        return {}

    def key(i: int) -> str:
        return chr(65 + i) if i < 26 else f"{chr(65 + i // 26 - 1)}{chr(65 + i % 26)}"

    return {name: key(i) for i, name in enumerate(names)}


def _lines_grid(lines: Sequence[NoticeLineDoc], groups: int, grid: _Grid, labels: Sequence[str],
                keys: dict[str, str]) -> str:
    rows = max(1, -(-len(lines) // groups))
    font = grid.font
    code_room, place_room = grid.room(0, 0), grid.room(0, 1)
    area_room, standard_room, amount_room = grid.room(1), grid.room(2), grid.room(3)

    def fit(text: str, room: float) -> str:
        return _fit(text, room, font)

    head = [f"{fit(labels[0], code_room)}\t{fit(labels[1], place_room)}", fit(labels[2], area_room),
            fit(labels[3], standard_room), fit(labels[4], amount_room)]
    columns: list[tuple[str, list[str]]] = []
    for g in range(groups):
        part = lines[g * rows:(g + 1) * rows]  # down the first group, then the next
        houses = [head[0]] + [f"{fit(x.house_code, code_room)}\t{fit(x.location, place_room)}" for x in part]
        areas = [head[1]] + [fit(_area(x.building_area), area_room) for x in part]
        standards = [head[2]] + [fit(keys.get(x.standard, x.standard) if x.standard else "—", standard_room)
                                 for x in part]
        amounts = [head[3]] + [fit(_yuan(x.amount), amount_room) for x in part]
        columns += [("g" if g else "first", houses), ("", areas), ("", standards), ("", amounts)]
    return grid.html(columns, rows + 1)


def _notice_section(notice: NoticeDoc) -> str:
    from services.payments.money import chinese_capitals

    lines = notice.lines
    groups, grid, labels = _line_grid(len(lines))
    keys = _standard_keys(lines, grid)
    estate = f"{notice.estate}（{notice.estate_code}）" if notice.estate_code else notice.estate
    info = _INFO_GRID
    rows = [
        ("物业区域", estate, "楼幢", notice.building or "—"),
        ("交款人", notice.payer_name, "交款人类别", notice.payer_kind_label),
        ("开发建设单位", notice.developer, "交存类型", notice.type_label),
        ("开户银行", notice.bank_name, "开单日期", _format_date(notice.issued_at)),
        ("收款户名", notice.bank_account_name, "收款账号", notice.bank_account),
    ]
    info_columns = [
        ("first", [f"{esc(r[0])}\t{_fit(r[1], info.room(0, 1), info.font)}" for r in rows]),
        ("", [f"{esc(r[2])}\t{_fit(r[3], info.room(1, 1), info.font)}" for r in rows]),
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
        legend = f'<p class="legend">{esc(_clip(text, 190))}</p>'
    number = esc(notice.number)
    return (
        f'<section class="notice"><img class="qr" src="{qr_png_data_uri(notice.number)}" alt="{number}">'
        f"<h1>住宅专项维修资金交存通知单</h1>"
        f'<p class="no">通知单号：{number}</p>'
        f'{info.html(info_columns, len(rows), classes="info")}'
        f"{''.join(tables)}{legend}"
        f'<div class="total">合计（小写）：¥{_yuan(notice.total)}　　（共 {len(lines)} 套）\n'
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
    than HTML tables (see _Grid): about 30 pages a second on one core, against about 8 with
    tables. Synchronous and CPU-heavy: call it in a thread."""
    if not notices:
        raise ValueError("no notices to render")
    title = f"交存通知单 {notices[0].number}" if len(notices) == 1 else f"交存通知单 {len(notices)} 份"
    return html_to_pdf(payment_notices_html(notices), title=title)


def render_payment_notice(notice: NoticeDoc) -> bytes:
    """One notice as PDF: ``render_payment_notices([notice])``."""
    return render_payment_notices([notice])


# ---------------------------------------------------------------------------------------------
# 退款申请表


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
    from services.payments.money import chinese_capitals

    title = "住宅专项维修资金退款申请表"
    number = esc(refund.number)
    # A long reason is set smaller (the reason of an application holds up to 1000 characters).
    length = len(refund.reason or "")
    reason_pt = min(10.5 if length <= 250 else 9 if length <= 500 else 7, (10.5, 8, 6.5)[density])
    houses = "".join(f'<tr><td>{esc(h.code)}</td><td>{esc(h.location)}</td><td class="n">{_yuan(h.amount)}</td></tr>'
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
    <div class="no">申请日期：{_format_date(refund.created_at)}</div>
  </div>
  <div class="qr"><img src="{qr_png_data_uri(refund.number)}" alt="{number}">{number}</div>
</header>
<table class="info">
<tr><th>物业区域</th><td colspan="3">{esc(refund.estate)}</td></tr>
<tr><th>申请单位</th><td colspan="3">{esc(refund.organization)}</td></tr>
</table>
<h2>退款信息</h2>
<table class="info">
<tr><th>退款金额（小写）</th><td class="amount" colspan="3">¥{_yuan(total)}</td></tr>
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
        data, pages = _render_pdf(refund_form_html(refund, density=density), title)
        if pages == 1:
            break
    return data
