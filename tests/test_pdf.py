"""PDF rendering (documents/): the bundled CJK font is embedded, text is escaped, the QR
code carries the number, long forms flow over pages with the table header repeated; payment
notices are one page each (up to 200 lines), the refund form one page.

Checks that need poppler-utils (pdffonts, pdftotext, pdftoppm) or zbar-tools (zbarimg) skip
with a reason when those programs are missing; the rest read the PDF bytes directly."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import shutil
import subprocess
import zlib
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from documents import render
from documents.application_form import ApplicationForm, ChangeRow, application_form_html, render_application_form
from documents.capitals import chinese_capitals
from documents.payment_notice import (
    INFO_GRID, LINE_GRIDS, NOTICE_NOTE, NoticeDoc, NoticeLineDoc, payment_notices_html, render_payment_notice,
    render_payment_notices,
)
from documents.refund_form import RefundDoc, RefundHouseDoc, refund_form_html, render_refund_form
from documents.render import html_to_pdf

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
    assert render.FONT_FILE.is_absolute() and render.FONT_FILE.name == "NotoSansSC-Regular.otf"
    assert hashlib.sha256(render.FONT_FILE.read_bytes()).hexdigest() == render.FONT_SHA256
    assert render.FONT_URL.startswith("file:///") and render.FONT_URL in render.BASE_CSS


def test_form_embeds_only_the_cjk_font(small_pdf):
    assert small_pdf.startswith(b"%PDF-")
    names = font_names(small_pdf)
    assert names, "no font found in the PDF"
    assert all(re.fullmatch(r"[A-Z]{6}\+" + re.escape(render.PDF_FONT_NAME), n) for n in names), names
    assert re.search(rb"/FontFile3|/FontFile2|/FontFile\b", pdf_text(small_pdf)), "font program not embedded"


def test_pdffonts_lists_the_cjk_font_embedded(small_pdf, tmp_path):
    pdffonts = need("pdffonts")
    path = tmp_path / "form.pdf"
    path.write_bytes(small_pdf)
    lines = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines, "pdffonts found no font"
    for line in lines:
        name, *_rest = line.split()
        assert name.endswith("+" + render.PDF_FONT_NAME), line
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
    uri = render.qr_svg_data_uri("YW202611270001")
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
    # One row each, marked 新增 / 注销, with no empty half.
    assert page.count("（无）") == 0 and 'class="changed"' not in page and "变更前" not in page
    assert page.count('<tr class="after">') == page.count('<tr class="before">') == 1 and ">新增<" in page and ">注销<" in page
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
    assert all(n.endswith("+" + render.PDF_FONT_NAME) for n in font_names(data))


def test_document_cannot_fetch_files_or_network():
    from weasyprint.urls import FatalURLFetchingError

    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", Path(__file__).resolve().as_uri()):
        with pytest.raises(FatalURLFetchingError):
            html_to_pdf(f'<html><body>图<img src="{url}"></body></html>')


def test_document_cannot_change_the_font():
    data = html_to_pdf('<html><head><style>p { font-family: serif; font-weight: bold }</style></head>'
                       "<body><p>维修资金 Serif?</p><h1>标题</h1></body></html>")
    assert all(n.endswith("+" + render.PDF_FONT_NAME) for n in font_names(data))


async def test_renders_in_threads():
    results = await asyncio.gather(*(asyncio.to_thread(render_application_form, make_form(5)) for _ in range(3)))
    assert all(r.startswith(b"%PDF-") for r in results)
    assert len({len(r) for r in results}) == 1


# ---------------------------------------------------------------------------------------------
# 交存通知单 and 退款申请表

STANDARDS = ["住宅（有电梯）每平方米 75 元", "住宅（无电梯）每平方米 45 元", "非住宅 每平方米 90 元"]


def make_line(i: int) -> NoticeLineDoc:
    area = Decimal(8000 + i * 37 % 9000).scaleb(-2)
    return NoticeLineDoc(house_code=f"FW{i + 1:010d}", location=f"3栋{1 + i % 2}单元{1 + i // 4:02d}{1 + i % 4:02d}",
                         building_area=area, standard=STANDARDS[i % 3], amount=(area * 75).quantize(Decimal("0.01")))


def make_notice(count: int, number: str = "JK202611270001", **overrides) -> NoticeDoc:
    notice_lines = [make_line(i) for i in range(count)]
    values = dict(
        number=number, type_label="首期交存", payer_name="江门市示例房地产开发有限公司", payer_kind_label="开发建设单位",
        estate="翠湖花园", estate_code="WY00000001", building="3栋", developer="江门市示例房地产开发有限公司",
        bank_name="中国工商银行江门分行", bank_account_name="江门市住宅专项维修资金专户", bank_account="2012002309200123456",
        total=sum((l.amount for l in notice_lines), Decimal("0.00")),
        issued_at=datetime(2026, 11, 27, 17, 30, tzinfo=timezone.utc),  # 2026-11-28 01:30 in Shanghai
        lines=notice_lines,
    )
    values.update(overrides)
    return NoticeDoc(**values)


def make_refund(*, house_code="FW0000000123", location="3栋1单元1201", amount=Decimal("12345.60"), **overrides) -> RefundDoc:
    values = dict(
        number="YW202611270009", estate="翠湖花园（WY00000001）",
        organization="江门市示例房地产开发有限公司", account_name="王小明",
        bank_name="中国建设银行江门分行", account_number="6217000000000000123", reason="测绘面积更正，应交金额减少，退还多交部分。",
        created_at=datetime(2026, 11, 27, 17, 30, tzinfo=timezone.utc),
        houses=[RefundHouseDoc(house_code, location, amount)],
    )
    values.update(overrides)
    return RefundDoc(**values)


def pdf_pages_text(data: bytes, tmp_path: Path) -> list[str]:
    """pdftotext of each page, whitespace removed."""
    pdftotext = need("pdftotext")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", p) for p in text.split("\f")][:page_count(data)]


def qr_codes(data: bytes, tmp_path: Path) -> list[str]:
    pdftoppm, zbarimg = need("pdftoppm"), need("zbarimg")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    subprocess.run([pdftoppm, "-r", "150", "-png", str(path), str(tmp_path / "qr")], check=True)
    found = []
    for png in sorted(tmp_path.glob("qr*.png")):
        out = subprocess.run([zbarimg, "-q", str(png)], capture_output=True, text=True).stdout
        found += [line.removeprefix("QR-Code:") for line in out.splitlines() if line.startswith("QR-Code:")]
    return found


def assert_only_our_font(data: bytes) -> None:
    names = font_names(data)
    assert names, "no font found in the PDF"
    assert all(re.fullmatch(r"[A-Z]{6}\+" + re.escape(render.PDF_FONT_NAME), n) for n in names), names
    assert re.search(rb"/FontFile3|/FontFile2|/FontFile\b", pdf_text(data)), "font program not embedded"


@pytest.fixture(scope="module")
def notice_pdf() -> bytes:
    return render_payment_notice(make_notice(5))


def test_notice_is_one_page_with_the_font_embedded(notice_pdf):
    assert notice_pdf.startswith(b"%PDF-")
    assert page_count(notice_pdf) == 1
    assert_only_our_font(notice_pdf)
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf_text(notice_pdf))
    assert box and (round(float(box[1])), round(float(box[2]))) == (595, 842)  # A4 portrait


def test_notice_pdffonts_embedded_subset(notice_pdf, tmp_path):
    pdffonts = need("pdffonts")
    path = tmp_path / "notice.pdf"
    path.write_bytes(notice_pdf)
    lines = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines and all(" yes yes yes " in line and "+" + render.PDF_FONT_NAME in line for line in lines), lines


def test_notice_text(notice_pdf, tmp_path):
    notice = make_notice(5)
    (page,) = pdf_pages_text(notice_pdf, tmp_path)
    capitals = chinese_capitals(notice.total)
    assert notice.total == Decimal("30277.50") and capitals == "叁万零贰佰柒拾柒元伍角"
    for expected in ("住宅专项维修资金交存通知单", "JK202611270001", "首期交存", "开单日期", "2026-11-28",
                     "翠湖花园（WY00000001）", "3栋", "江门市示例房地产开发有限公司", "开发建设单位",
                     "开户银行", "中国工商银行江门分行", "江门市住宅专项维修资金专户", "2012002309200123456",
                     "房屋编号", "坐落", "建筑面积", "交存标准", "金额", "FW0000000001", "3栋1单元0101", "80.00",
                     "住宅（有电梯）每平方米75元", "6,000.00", "FW0000000005", "¥30,277.50", "（共5套）",
                     "人民币" + capitals, NOTICE_NOTE, "开单人", "交款人（签章）", "银行经办（盖章）"):
        assert re.sub(r"\s+", "", expected) in page, expected


def test_notice_qr_carries_the_number(notice_pdf, tmp_path):
    assert qr_codes(notice_pdf, tmp_path) == ["JK202611270001"]


def test_notice_of_200_lines_is_one_page(tmp_path):
    notice = make_notice(200)
    data = render_payment_notice(notice)
    assert page_count(data) == 1
    assert_only_our_font(data)
    (page,) = pdf_pages_text(data, tmp_path)
    for line in (notice.lines[0], notice.lines[66], notice.lines[67], notice.lines[199]):
        assert line.house_code in page and f"{line.amount:,}" in page
    assert "（共200套）" in page and chinese_capitals(notice.total) in page and "开单人" in page
    assert qr_codes(data, tmp_path) == ["JK202611270001"]


def test_crowded_notice_stays_on_one_page(tmp_path):
    """200 lines, a dozen standards too long for the column, every header value very long:
    still one page (long values are set smaller or cut, the legend at most three lines)."""
    long = "江门市" + "超长的名称" * 40
    lines = [dataclasses.replace(make_line(i), standard=f"自定义交存标准第{i % 12}号 每平方米 {60 + i % 12} 元",
                                 location="翠湖花园二期" * 5 + "1201") for i in range(200)]
    notice = make_notice(0, lines=lines, payer_name=long, developer=long, estate=long, estate_code="WY99999999",
                         building=long, bank_name=long, bank_account_name=long, bank_account="9" * 40,
                         number="JK" + "9" * 18, total=Decimal("999999999999.99"))
    data = render_payment_notice(notice)
    assert page_count(data) == 1
    (page,) = pdf_pages_text(data, tmp_path)
    assert "交存标准：A＝自定义交存标准第0号" in page and "…" in page
    assert "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分" in page


@pytest.mark.parametrize("count, layout", [(1, "l1"), (30, "l1"), (31, "l2"), (80, "l2"), (81, "l3"), (200, "l3")])
def test_notice_layout_by_line_count(count, layout):
    page = payment_notices_html([make_notice(count)])
    assert f'class="grid {layout} "' in page
    assert page.count('class="grid ') == 2  # the particulars and the lines


def test_grids_fill_the_width():
    for _, groups, grid, labels in LINE_GRIDS:
        assert round(groups * sum(c.width for c in grid.cols), 1) == 182.0, grid.name
        assert len(labels) == 5
    assert sum(c.width for c in INFO_GRID.cols) == 182


def test_longer_notice_runs_on_to_more_pages(tmp_path):
    notice = make_notice(450)
    data = render_payment_notice(notice)
    assert page_count(data) == 3
    pages = pdf_pages_text(data, tmp_path)
    assert notice.lines[0].house_code in pages[0] and notice.lines[199].house_code in pages[0]
    assert notice.lines[200].house_code in pages[1] and "（续，第2页）" in pages[1]
    assert notice.lines[449].house_code in pages[2] and "（续，第3页）" in pages[2]
    assert chinese_capitals(notice.total) in pages[2] and chinese_capitals(notice.total) not in pages[0]


def test_three_notices_three_pages(tmp_path):
    notices = [make_notice(n, number=f"JK20261127000{i}") for i, n in enumerate((1, 10, 120))]
    data = render_payment_notices(notices)
    assert page_count(data) == 3
    assert_only_our_font(data)
    pages = pdf_pages_text(data, tmp_path)
    for notice, page in zip(notices, pages):
        assert notice.number in page and chinese_capitals(notice.total) in page
        assert all(n.number not in page for n in notices if n is not notice)
    assert qr_codes(data, tmp_path) == [n.number for n in notices]


def test_notice_text_is_escaped():
    evil = '<script>alert(1)</script><img src="file:///etc/passwd">&amp;'
    line = NoticeLineDoc(evil, evil, Decimal("1.00"), evil, Decimal("1.00"))
    notice = make_notice(0, lines=[line], payer_name=evil, payer_kind_label=evil, estate=evil, estate_code=evil,
                         building=evil, developer=evil, bank_name=evil, bank_account_name=evil, bank_account=evil,
                         type_label=evil, number=evil, total=Decimal("1.00"))
    page = payment_notices_html([notice])
    assert "<script>" not in page and '<img src="file:' not in page
    assert render_payment_notice(notice).startswith(b"%PDF-")


def test_notice_without_lines_or_standard():
    notice = make_notice(0, lines=[], total=Decimal("0"), building=None)
    assert page_count(render_payment_notice(notice)) == 1
    line = dataclasses.replace(make_line(0), standard=None)
    assert "—" in payment_notices_html([make_notice(0, lines=[line])])
    with pytest.raises(ValueError):
        render_payment_notices([])


def test_qr_png_data_uri():
    uri = render.qr_png_data_uri("JK202611270001")
    assert uri.startswith("data:image/png;base64,")
    assert uri in payment_notices_html([make_notice(1)])


def test_refund_form(tmp_path):
    data = render_refund_form(make_refund())
    assert page_count(data) == 1
    assert_only_our_font(data)
    (page,) = pdf_pages_text(data, tmp_path)
    for expected in ("住宅专项维修资金退款申请表", "YW202611270009", "2026-11-28", "翠湖花园（WY00000001）",
                     "FW0000000123", "3栋1单元1201", "江门市示例房地产开发有限公司", "¥12,345.60",
                     "人民币壹万贰仟叁佰肆拾伍元陆角", "王小明", "中国建设银行江门分行", "6217000000000000123",
                     "测绘面积更正", "审核人"):
        assert expected in page, expected
    assert qr_codes(data, tmp_path) == ["YW202611270009"]


@pytest.mark.parametrize("scale", [1, 3, 20])
def test_refund_form_with_long_values_is_one_page(scale):
    """Up to the longest values the database holds (reason 1000, organization 200, account name
    and bank 100 characters): still one page, nothing cut."""
    reason = ("房屋面积测绘更正，应交金额减少，退还多交部分。" * 50)[:1000]
    organization = ("江门市示例房地产开发有限公司" * scale)[:200]
    refund = make_refund(reason=reason, organization=organization, account_name=organization[:100],
                         bank_name=("中国工商银行股份有限公司江门分行营业部" * scale)[:100], account_number="6" * 40,
                         estate=("翠湖花园" * scale * 3)[:200], location=("翠湖花园二期3号楼1单元1201房" * scale)[:120],
                         amount=Decimal("999999999999.99"))
    data = render_refund_form(refund)
    assert page_count(data) == 1
    text = pdf_text(data)
    assert render.PDF_FONT_NAME.encode() in text


def test_refund_form_is_escaped():
    page = refund_form_html(make_refund(reason="<b>", account_name="<script>", organization="&amp;"))
    assert "<b>" not in page and "<script>" not in page
    assert "&lt;b&gt;" in page and "&lt;script&gt;" in page and "&amp;amp;" in page


def test_line_breaks_and_tabs_in_values_keep_the_grid_aligned():
    line = NoticeLineDoc("FW\t0000000001", "3栋\n1单元\r\n101", Decimal("80.00"), "住宅\t75 元", Decimal("6000.00"))
    notice = make_notice(0, lines=[line] * 3, payer_name="江门市\n示例公司", bank_account_name="专户\t账户")
    page = payment_notices_html([notice])
    blocks = re.findall(r'<div class="c [^"]*">(.*?)</div>', page, flags=re.S)
    info, lines = blocks[:2], blocks[2:]
    assert [b.count("\n") for b in info] == [4, 4]  # five rows each
    assert [b.count("\n") for b in lines] == [3, 3, 3, 3]  # header + three houses each
    assert [b.count("\t") for b in [*info, *lines]] == [5, 5, 4, 0, 0, 0]  # only the grid's own tabs
    assert "江门市 示例公司" in page and "3栋 1单元 101" in page


@pytest.mark.parametrize("count", [3, 15, 25, 60])
def test_refund_form_of_many_houses_lists_each_and_never_leaves_the_signatures_alone(count, tmp_path):
    """The form printed on submit lists every refunded house; a long list runs on over pages, and
    the last page always has some of the list above the signature boxes."""
    houses = [RefundHouseDoc(f"FW{i:010d}", f"3栋1单元{i:04d}", Decimal("100.05") + i) for i in range(count)]
    data = render_refund_form(make_refund(houses=houses))
    pages = pdf_pages_text(data, tmp_path)
    assert len(pages) == page_count(data) and (len(pages) == 1) == (count <= 15)
    text = "".join(pages)
    total = sum((h.amount for h in houses), Decimal("0"))
    assert f"共{count}套" in text and f"¥{total:,.2f}" in text and chinese_capitals(total) in text
    assert all(h.code in text for h in houses)
    assert "审核人" in pages[-1] and houses[-1].code in pages[-1]  # the signatures share their page
    assert all(f"第{n}页共{len(pages)}页" in page for n, page in enumerate(pages, start=1))


@pytest.mark.parametrize("count", [9, 13, 17, 21, 26, 33, 45])
@pytest.mark.parametrize("new", [True, False])
def test_signature_boxes_never_stand_alone_on_a_page(count, new, tmp_path):
    changes = [make_change(i) for i in range(count)]
    if new:
        changes = [ChangeRow(c.label, None, c.after) for c in changes]
    pages = pdf_pages_text(render_application_form(make_form(0, changes=changes)), tmp_path)
    assert "审核人" in pages[-1] and changes[-1].label in pages[-1]
    assert ("变更前" in "".join(pages)) is not new


def test_short_columns_are_never_wrapped(tmp_path):
    """A column of short texts (用途, 电梯, 楼层) gets their width, beside a long 坐落."""
    columns = ["楼幢", "单元", "楼层", "房号", "坐落", "用途", "电梯", "建筑面积", "套内面积", "销售状态", "业主"]
    row = {"楼幢": "1栋", "单元": "1单元", "楼层": "12", "房号": "1201", "坐落": "江门市蓬江区示例路一号翠湖花园二期" * 3,
           "用途": "住宅", "电梯": "有", "建筑面积": "89.50", "套内面积": "75.20", "销售状态": "已售", "业主": "张三、李四"}
    form = make_form(0, columns=columns, changes=[ChangeRow(f"FW{i:010d}", None, row) for i in range(5)])
    path = tmp_path / "form.pdf"
    path.write_bytes(render_application_form(form))
    lines = subprocess.run([need("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True).stdout.splitlines()
    for text in ("住宅", "已售", "1201", "89.50", "张三、李四"):
        assert sum(line.strip() == text for line in lines) == 5, text


def test_auto_widths_fill_the_room_keep_set_widths_and_share_the_rest_by_widest_text():
    from documents.grid import auto_widths

    roomy = auto_widths(180.0, [30.0, ["短"], ["一段长得多的文字"]], font_pt=9, pad_mm=4)
    assert roomy[0] == 30.0 and abs(sum(roomy) - 180.0) < 1e-6
    assert abs(roomy[2] / roomy[1] - (8 * 9 * 25.4 / 72 + 4) / (9 * 25.4 / 72 + 4)) < 1e-6  # by widest text
    tight = auto_widths(60.0, [30.0, ["长" * 40], ["长" * 20]], font_pt=9, pad_mm=4)
    assert tight[0] == 30.0 and abs(sum(tight) - 60.0) < 1e-6 and tight[1] > tight[2] > 0
    assert auto_widths(100.0, [40.0, 60.0], font_pt=9, pad_mm=4) == [40.0, 60.0]


def test_receipt_with_long_texts_shows_every_one_of_them(tmp_path):
    """The 交款证明's tables use the fixed layout with computed widths: long texts wrap in their
    cells, nothing is cut."""
    from services.payments.receipts import ReceiptDoc, render_receipt

    doc = ReceiptDoc(notice_number="JK20261127000123", type_label="首期交存", payer_name="江门市示例房地产开发有限公司" * 3,
                     estate="翠湖花园", bank_name="中国农业银行股份有限公司江门蓬江支行营业部", bank_account="2012002309200123456",
                     amount=Decimal("98765432.19"), transaction_id="LOAD-JK20261127000123", channel="维修资金专用POS机",
                     paid_at=datetime(2026, 11, 27, 2, 30, tzinfo=timezone.utc),
                     houses=[("FW0000000001", "江门市蓬江区白沙大道西 138 号翠湖花园 12 幢 2 单元 1801 房及其附属车位", Decimal("1234567.89")),
                             ("FW0000000002", "翠湖花园 1幢 101", Decimal("0.01"))])
    [page] = pdf_pages_text(render_receipt(doc), tmp_path)
    for text in (doc.payer_name, doc.bank_name, doc.bank_account, doc.transaction_id, doc.channel, "¥98,765,432.19",
                 "人民币" + chinese_capitals(doc.amount), "FW0000000001", "江门市蓬江区白沙大道西138号翠湖花园12幢2单元1801房及其附属车位",
                 "1,234,567.89", "0.01"):
        assert text.replace(" ", "") in page, text
