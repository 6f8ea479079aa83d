"""What every PDF document (申请表 documents/application_form.py, 交存通知单 payment_notice.py,
退款申请表 refund_form.py, and the receipt) shares: the font, HTML to PDF through WeasyPrint with
a locked URL fetcher, escaping, QR codes and the formatting of amounts and dates.

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
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pydyf
import segno

from core import gc_policy

try:  # the font's package; its absence is reported by _locate_font, clearly
    import pylopdf_fonts_zh_cn
except ImportError:  # pragma: no cover - only on a broken install
    pylopdf_fonts_zh_cn = None

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
    if pylopdf_fonts_zh_cn is None:  # pragma: no cover - only on a broken install
        raise FontMissing(f"the font package {FONT_PACKAGE} is not installed (pip install -e .)")
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
        from weasyprint.text.fonts import FontConfiguration  # late, with weasyprint (see _weasy)

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
    return html_to_pdf_and_pages(html_text, title)[0]


def html_to_pdf_and_pages(html_text: str, title: str | None) -> tuple[bytes, int]:
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
        return document.write_pdf(finisher=compress_fast), len(document.pages)


def compress_fast(_document, pdf) -> None:
    """A write_pdf finisher: the streams made of bytes alone (the embedded font above all, about
    400 KB before compression: WeasyPrint keeps the glyph numbers of our 65 000-glyph font) are
    deflated at zlib's fastest level instead of pydyf's slowest (9). The font took 14 ms a
    document that way, and 3 ms this way, in a few KB less (docs/benchmarks.md, Load). The
    streams' contents are the same; only their compression differs."""
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.compress and all(isinstance(part, bytes) for part in obj.stream):
            obj.stream = [zlib.compress(b"\n".join(obj.stream), 1)]  # pydyf joins the parts with newlines
            obj.compress = False
            obj.extra["Filter"] = "/FlateDecode"


def qr_svg_data_uri(text: str, *, scale: int = 4) -> str:
    """A QR code of ``text`` (error correction M) as an SVG data: URI for an <img>."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=scale, border=2)


# ---------------------------------------------------------------------------------------------
# Shared by the notice and the refund form


def qr_png_data_uri(text: str) -> str:
    """A QR code of ``text`` (error correction M) as a PNG data: URI, four pixels a module with a
    two-module border: about 300 bytes, and for WeasyPrint far cheaper than the SVG one when a
    document has a code on each of hundreds of pages. Four pixels a module keep the modules
    sharp enough to scan even where the image is smoothed when scaled (no
    ``image-rendering: pixelated``)."""
    return segno.make(text, error="m", micro=False).png_data_uri(scale=4, border=2)


def format_yuan(amount: Decimal) -> str:
    """1234.5 → 1,234.50"""
    return f"{Decimal(amount).quantize(Decimal('0.01')):,}"


def format_area(area: Decimal) -> str:
    return f"{Decimal(area).quantize(Decimal('0.01'))}"


def format_date(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(CHINA_TZ)
    return value.strftime("%Y-%m-%d")
