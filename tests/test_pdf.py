"""PDF rendering (services/pdf.py): the bundled CJK font is embedded, text is escaped, the QR
code carries the number, long forms flow over pages with the table header repeated.

Checks that need poppler-utils (pdffonts, pdftotext, pdftoppm) or zbar-tools (zbarimg) skip
with a reason when those programs are missing; the rest read the PDF bytes directly."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import subprocess
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services import pdf
from services.pdf import ApplicationForm, ChangeRow, application_form_html, html_to_pdf, render_application_form

COLUMNS = ["楼幢", "单元", "房屋坐落", "用途", "电梯", "销售状态"]


def make_change(i: int) -> ChangeRow:
    before = {"楼幢": "3幢", "单元": "1单元", "房屋坐落": f"江门市蓬江区建设路{i}号", "用途": "住宅", "电梯": "有",
              "销售状态": "未售"}
    after = dict(before, 用途="商业" if i % 2 else "住宅", 销售状态="已售")
    return ChangeRow(label=f"3幢{i:04d}室", before=before, after=after)


def make_form(n: int, **overrides) -> ApplicationForm:
    values = dict(
        number="YW202611270001", type_label="房屋信息变更", organization="江门市示例房地产开发有限公司",
        credit_code="91440700MA4UL0XX3K", estate="翠湖花园", estate_code="WY0001",
        reason="测绘面积更正，楼幢编号调整。", applicant="王小明",
        submitted_at=datetime(2026, 11, 27, 2, 30, tzinfo=timezone.utc), columns=COLUMNS,
        changes=[make_change(i) for i in range(n)], extra=[("交存时点", "网签备案前")],
    )
    values.update(overrides)
    return ApplicationForm(**values)


def pdf_text(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream (object streams included) decompressed after them."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            pass
    return b"\n".join(parts)


def font_names(data: bytes) -> set[str]:
    text = pdf_text(data)
    return {m.decode() for m in re.findall(rb"/(?:BaseFont|FontName)\s*/([^\s/\[\]<>()]+)", text)}


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf_text(data)))


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        package = "zbar-tools" if tool == "zbarimg" else "poppler-utils"
        pytest.skip(f"{tool} is not on PATH (apt-get install {package} to run this check)")
    return path


@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    return render_application_form(make_form(3))


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    return render_application_form(make_form(500))


def test_font_is_the_pinned_noto_sans_sc():
    assert pdf.FONT_FILE.is_absolute() and pdf.FONT_FILE.name == "NotoSansSC-Regular.otf"
    assert hashlib.sha256(pdf.FONT_FILE.read_bytes()).hexdigest() == pdf.FONT_SHA256
    assert pdf.FONT_URL.startswith("file:///") and pdf.FONT_URL in pdf.BASE_CSS


def test_form_embeds_only_the_cjk_font(small_pdf):
    assert small_pdf.startswith(b"%PDF-")
    names = font_names(small_pdf)
    assert names, "no font found in the PDF"
    assert all(re.fullmatch(r"[A-Z]{6}\+" + re.escape(pdf.PDF_FONT_NAME), n) for n in names), names
    assert re.search(rb"/FontFile3|/FontFile2|/FontFile\b", pdf_text(small_pdf)), "font program not embedded"


def test_pdffonts_lists_the_cjk_font_embedded(small_pdf, tmp_path):
    pdffonts = need("pdffonts")
    path = tmp_path / "form.pdf"
    path.write_bytes(small_pdf)
    lines = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines, "pdffonts found no font"
    for line in lines:
        name, *_rest = line.split()
        assert name.endswith("+" + pdf.PDF_FONT_NAME), line
        assert " yes yes yes " in line, f"not embedded+subset+unicode: {line}"


def test_text_is_extractable_chinese(small_pdf, tmp_path):
    pdftotext = need("pdftotext")
    path = tmp_path / "form.pdf"
    path.write_bytes(small_pdf)
    text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", "", text)  # pdftotext's spacing and line breaks vary
    for expected in ("住宅专项维修资金 房屋信息变更 申请表", "YW202611270001", "江门市示例房地产开发有限公司",
                     "91440700MA4UL0XX3K", "翠湖花园（WY0001）", "测绘面积更正", "交存时点", "网签备案前",
                     "2026-11-27 10:30", "变更前", "变更后", "申请单位（盖章）", "经办人", "受理人", "审核人",
                     "第 1 页 共 1 页"):
        assert re.sub(r"\s+", "", expected) in text, expected


def test_page_renders_to_png(small_pdf, tmp_path):
    pdftoppm = need("pdftoppm")
    path = tmp_path / "form.pdf"
    path.write_bytes(small_pdf)
    subprocess.run([pdftoppm, "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes().startswith(b"\x89PNG")


def test_qr_code_carries_the_number(small_pdf, tmp_path):
    pdftoppm, zbarimg = need("pdftoppm"), need("zbarimg")
    path = tmp_path / "form.pdf"
    path.write_bytes(small_pdf)
    subprocess.run([pdftoppm, "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    out = subprocess.run([zbarimg, "-q", str(next(tmp_path.glob("page*.png")))], capture_output=True, text=True)
    assert "QR-Code:YW202611270001" in out.stdout


def test_qr_data_uri():
    uri = pdf.qr_svg_data_uri("YW202611270001")
    assert uri.startswith("data:image/svg+xml")
    assert uri in application_form_html(make_form(1))


def test_one_page_form_and_500_changes_over_many_pages(small_pdf, long_pdf):
    assert page_count(small_pdf) == 1
    assert page_count(long_pdf) > 10
    assert font_names(long_pdf) == font_names(small_pdf)


def test_long_form_repeats_header_and_numbers_pages(long_pdf, tmp_path):
    pdftotext = need("pdftotext")
    path = tmp_path / "long.pdf"
    path.write_bytes(long_pdf)
    text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = [re.sub(r"\s+", "", p) for p in text.split("\f") if p.strip()]
    total = len(pages)
    assert total == page_count(long_pdf)
    for number, page in enumerate(pages, 1):
        assert "房屋坐落" in page and "销售状态" in page, f"table header missing on page {number}"
        assert f"第{number}页共{total}页" in page
        assert "YW202611270001" in page
    assert "3幢0499室" in pages[-1] and "审核人" in pages[-1]
    # a house's before and after rows are never split across pages
    for i in range(500):
        label = f"3幢{i:04d}室"
        page = next(p for p in pages if label in p)
        assert page.count(f"建设路{i}号") == 2, label


def test_text_is_escaped():
    evil = '<script>alert(1)</script><img src="file:///etc/passwd">&amp;'
    form = make_form(1, organization=evil, reason=evil, applicant=evil, extra=[(evil, evil)],
                     changes=[ChangeRow(evil, {"楼幢": evil}, {"楼幢": "<b>"})], columns=["楼幢", evil])
    page = application_form_html(form)
    assert "<script>" not in page and "<img src=\"file:" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&amp;amp;" in page
    assert render_application_form(form).startswith(b"%PDF-")


def test_changed_cells_are_marked():
    page = application_form_html(make_form(2))
    # house 1: 用途 and 销售状态 changed (both rows); house 0: only 销售状态
    assert page.count('class="changed"') == 2 * 2 + 2 * 1


def test_new_and_removed_houses_and_no_changes():
    form = make_form(0, changes=[ChangeRow("新建 9幢", None, {"楼幢": "9幢"}), ChangeRow("8幢101", {"楼幢": "8幢"}, None)],
                     estate=None, estate_code=None, reason=None, extra=[])
    page = application_form_html(form)
    assert page.count("（无）") == 2 and 'class="changed"' not in page
    assert render_application_form(form).startswith(b"%PDF-")
    assert render_application_form(make_form(0, columns=[], changes=[])).startswith(b"%PDF-")


def test_many_columns_print_landscape():
    columns = [f"字段{i}" for i in range(9)]
    form = make_form(2, columns=columns, changes=[ChangeRow("1幢", {c: "旧" for c in columns}, {c: "新" for c in columns})])
    data = render_application_form(form)
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf_text(data))
    assert box and float(box[1]) > float(box[2])  # wider than tall


def test_html_to_pdf_one_a4_page_per_notice():
    notices = "".join(
        f'<section style="break-after: page">缴存通知书 第{i}份 金额：人民币 1,234.56 元</section>' for i in range(3)
    )
    data = html_to_pdf(f"<!DOCTYPE html><html><body>{notices}</body></html>")
    assert page_count(data) == 3
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf_text(data))
    assert box and (round(float(box[1])), round(float(box[2]))) == (595, 842)  # A4 portrait
    assert all(n.endswith("+" + pdf.PDF_FONT_NAME) for n in font_names(data))


def test_document_cannot_fetch_files_or_network():
    from weasyprint.urls import FatalURLFetchingError

    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", Path(__file__).resolve().as_uri()):
        with pytest.raises(FatalURLFetchingError):
            html_to_pdf(f'<html><body>图<img src="{url}"></body></html>')


def test_document_cannot_change_the_font():
    data = html_to_pdf('<html><head><style>p { font-family: serif; font-weight: bold }</style></head>'
                       "<body><p>维修资金 Serif?</p><h1>标题</h1></body></html>")
    assert all(n.endswith("+" + pdf.PDF_FONT_NAME) for n in font_names(data))


async def test_renders_in_threads():
    results = await asyncio.gather(*(asyncio.to_thread(render_application_form, make_form(5)) for _ in range(3)))
    assert all(r.startswith(b"%PDF-") for r in results)
    assert len({len(r) for r in results}) == 1
