"""How fast 交存通知单 render: `count` realistic notices (1–10 houses each) into one PDF through
documents.payment_notice.render_payment_notices, and the same HTML through plain WeasyPrint
(``weasyprint.HTML(string=html).write_pdf()``, no user stylesheet, font config or fetcher of
ours) for comparison. One process, one thread.

    .venv/bin/python -m bench.pdf_notices [--count 1000] [--output notices.pdf] [--svg]

No database: the notices are made up here (deterministic, seeded)."""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from documents.payment_notice import (
    NoticeDoc, NoticeLineDoc, payment_notices_html, render_payment_notice, render_payment_notices,
)
from documents.render import html_to_pdf, qr_png_data_uri, qr_svg_data_uri

STANDARDS = [
    ("住宅（有电梯）每平方米 75 元", Decimal("75")),
    ("住宅（无电梯）每平方米 45 元", Decimal("45")),
    ("非住宅 每平方米 90 元", Decimal("90")),
    ("按房款 2%", None),
]
ESTATES = ["翠湖花园", "江滨华府", "侨都名苑", "蓬江湾壹号", "五邑新城", "白沙公馆", "棠下春晓", "鹤山御景"]
DEVELOPERS = ["江门市示例房地产开发有限公司", "江门侨都置业有限公司", "五邑城市建设发展有限公司"]
BANKS = [("中国工商银行江门分行", "江门市住宅专项维修资金专户", "2012002309200123456"),
         ("中国建设银行江门分行", "江门市住宅专项维修资金管理中心", "44050170010100001234")]
OWNERS = ["王小明", "李华", "张伟", "陈静", "刘洋", "黄丽", "赵磊", "周敏", "吴芳", "欧阳晓", "司马相如"]
TYPES = ["首期交存", "首期交存", "首期交存", "补交", "续筹", "其他"]


def make_line(rng: random.Random, n: int, building: int):
    area = Decimal(rng.randint(4500, 16000)).scaleb(-2)
    name, rate = rng.choice(STANDARDS)
    amount = (area * rate if rate else Decimal(rng.randint(600000, 3000000)) * Decimal("0.02")).quantize(Decimal("0.01"))
    unit, floor, room = 1 + n % 2, 1 + n // 4 % 33, 1 + n % 4
    return NoticeLineDoc(house_code=f"FW{rng.randint(1, 10**9):010d}", location=f"{building}栋{unit}单元{floor}{room:02d}",
                         building_area=area, standard=name, amount=amount)


def make_notice(rng: random.Random, i: int, lines: int | None = None):
    building = rng.randint(1, 30)
    count = lines if lines is not None else rng.randint(1, 10)
    notice_lines = [make_line(rng, n, building) for n in range(count)]
    developer = rng.choice(DEVELOPERS)
    owner = count == 1 and rng.random() < 0.6
    bank = rng.choice(BANKS)
    estate = rng.choice(ESTATES)
    return NoticeDoc(
        number=f"JK{20261127:08d}{i:06d}", type_label=rng.choice(TYPES),
        payer_name=rng.choice(OWNERS) if owner else developer, payer_kind_label="业主" if owner else "开发建设单位",
        estate=estate, estate_code=f"WY{ESTATES.index(estate) + 1:08d}", building=f"{building}栋", developer=developer,
        bank_name=bank[0], bank_account_name=bank[1], bank_account=bank[2],
        total=sum((l.amount for l in notice_lines), Decimal("0.00")),
        issued_at=datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc) + timedelta(minutes=i), lines=notice_lines,
    )


def make_notices(count: int, seed: int = 7) -> list:
    rng = random.Random(seed)
    return [make_notice(rng, i) for i in range(count)]


def page_count(pdf: bytes) -> int:
    """Pages of a PDF: /Type /Page objects, looked for in the Flate streams (object streams) too."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            parts.append(zlib.decompressobj().decompress(pdf[match.end():]))
        except zlib.error:
            pass
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", b"\n".join(parts)))


def run(count: int = 1000, output: Path | None = None, svg: bool = False) -> dict:
    """Times render_payment_notices over ``count`` notices and plain WeasyPrint over the same
    HTML; returns pages, seconds and pages/s of both. With ``svg``, also html_to_pdf of the same
    HTML with the QR codes as SVG instead of PNG (``svg_*``)."""
    import weasyprint

    notices = make_notices(count)
    html_text = payment_notices_html(notices)
    render_payment_notice(notices[0])  # warm up: font configuration, font check, imports

    started, cpu = time.perf_counter(), time.process_time()
    ours = render_payment_notices(notices)
    ours_s, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    if output:
        output.write_bytes(ours)

    started, cpu = time.perf_counter(), time.process_time()
    plain = weasyprint.HTML(string=html_text).write_pdf()
    plain_s, plain_cpu = time.perf_counter() - started, time.process_time() - cpu

    pages, plain_pages = page_count(ours), page_count(plain)
    extra = {}
    if svg:
        svg_html = html_text
        for n in notices:
            svg_html = svg_html.replace(qr_png_data_uri(n.number), qr_svg_data_uri(n.number), 1)
        started = time.perf_counter()
        svg_pages = page_count(html_to_pdf(svg_html))
        svg_s = time.perf_counter() - started
        extra = {"svg_pages": svg_pages, "svg_seconds": round(svg_s, 2), "svg_pages_per_s": round(svg_pages / svg_s, 1)}
    return {
        "notices": count,
        "lines": sum(len(n.lines) for n in notices),
        "pages": pages,
        "seconds": round(ours_s, 2),
        "pages_per_s": round(pages / ours_s, 1),
        "cpu_seconds": round(ours_cpu, 2),
        "pages_per_cpu_s": round(pages / ours_cpu, 1),
        "bytes": len(ours),
        "plain_pages": plain_pages,
        "plain_seconds": round(plain_s, 2),
        "plain_pages_per_s": round(plain_pages / plain_s, 1),
        "plain_cpu_seconds": round(plain_cpu, 2),
        "plain_pages_per_cpu_s": round(plain_pages / plain_cpu, 1),
        "plain_bytes": len(plain),
        **extra,
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pdf_notices", description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=1000, help="notices in the one PDF (default 1000)")
    p.add_argument("--output", type=Path, help="also write our PDF here")
    p.add_argument("--svg", action="store_true", help="also time the same notices with SVG instead of PNG QR codes")
    args = p.parse_args(argv)
    r = run(args.count, args.output, args.svg)
    print(f"{r['notices']} notices, {r['lines']} lines")
    print(f"render_payment_notices : {r['pages']} pages in {r['seconds']} s = {r['pages_per_s']} pages/s "
          f"(CPU {r['cpu_seconds']} s = {r['pages_per_cpu_s']} pages/CPU-s; {r['bytes'] / 1e6:.1f} MB)")
    print(f"plain WeasyPrint       : {r['plain_pages']} pages in {r['plain_seconds']} s = {r['plain_pages_per_s']} pages/s "
          f"(CPU {r['plain_cpu_seconds']} s = {r['plain_pages_per_cpu_s']} pages/CPU-s; {r['plain_bytes'] / 1e6:.1f} MB; "
          "no font of ours: system fonts)")
    if args.svg:
        print(f"html_to_pdf, SVG QR    : {r['svg_pages']} pages in {r['svg_seconds']} s = {r['svg_pages_per_s']} pages/s")
    print(f"target 20 pages/s: {'met' if r['pages_per_s'] >= 20 else 'NOT met'}")
    return 0 if r["pages_per_s"] >= 20 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
