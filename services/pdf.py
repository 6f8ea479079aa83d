"""PDF documents (申请表, later 缴存通知书 and the refund form), rendered by WeasyPrint.

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
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import segno

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
    weasyprint = _weasy()
    with _lock:
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
        return document.write_pdf()


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
h2 { font-size: 12pt; margin: 0 0 2mm 0; }
table.changes { width: 100%; table-layout: fixed; font-size: 9pt; line-height: 1.3; }
table.changes th, table.changes td { border: 0.5pt solid #000; padding: 1mm 1.4mm; vertical-align: top; }
table.changes thead th { background: #e6e6e6; text-align: center; }
table.changes tbody { break-inside: avoid; }
table.changes td.side { text-align: center; color: #333; }
table.changes td.none { color: #666; text-align: center; }
table.changes td.changed { background: #ffe58f; }
table.changes tr.after td.changed { background: #ffd24d; }
.legend { font-size: 8.5pt; color: #333; margin: 1.5mm 0 0 0; }
.legend span { background: #ffd24d; padding: 0 1.5mm; }
.signatures { break-inside: avoid; margin-top: 7mm; width: 100%; table-layout: fixed; }
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


def _colgroup(form: ApplicationForm) -> str:
    """Column widths for the changes table. The table uses the fixed layout (the automatic one
    measures every cell of every row and makes long forms several times slower), so the widths
    are worked out here: each value column in proportion to its widest text, within bounds."""
    def widest(texts) -> int:
        return max((_text_width(t) for t in texts), default=0)

    label = min(max(widest(c.label for c in form.changes[:2000]), 8), 24)
    weights = []
    for key in form.columns:
        values = (side.get(key, "") for c in form.changes[:2000] for side in (c.before or {}, c.after or {}))
        weights.append(min(max(widest(values), _text_width(key), 4), 40))
    side = 6.5  # 变更前 / 变更后
    total = label + side + sum(weights)
    cols = [label, side, *weights]
    return "<colgroup>" + "".join(f'<col style="width:{w * 100 / total:.2f}%">' for w in cols) + "</colgroup>"


def _change_rows(form: ApplicationForm) -> str:
    columns = form.columns
    ncols = len(columns)
    parts: list[str] = []
    for change in form.changes:
        before = change.before or {}
        after = change.after or {}
        differs = {
            key for key in columns
            if change.before is not None and change.after is not None and before.get(key, "") != after.get(key, "")
        }
        rows = []
        for side, values, present, css in (("变更前", before, change.before is not None, "before"),
                                           ("变更后", after, change.after is not None, "after")):
            cells = []
            if side == "变更前":
                cells.append(f'<td class="label" rowspan="2">{esc(change.label)}</td>')
            cells.append(f'<td class="side">{side}</td>')
            if present:
                for key in columns:
                    mark = ' class="changed"' if key in differs else ""
                    cells.append(f"<td{mark}>{esc(values.get(key, ''))}</td>")
            else:
                cells.append(f'<td class="none" colspan="{ncols}">（无）</td>' if ncols else "")
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
    wide = ' class="wide"' if len(form.columns) > WIDE_AFTER_COLUMNS else ""
    changes = ""
    if form.columns or form.changes:
        changes = f"""
<h2>变更明细（共 {len(form.changes)} 项）</h2>
<table class="changes">
  {_colgroup(form)}
  <thead><tr><th>房屋 / 楼幢</th><th>　</th>{head}</tr></thead>
  {_change_rows(form)}
</table>
<p class="legend"><span>底色</span> 标示变更前后不同的项。</p>"""
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
