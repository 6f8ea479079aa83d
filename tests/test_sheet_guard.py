"""The untrusted-file guard (sheets/guard.py): files that are not workbooks, zip bombs, XML entity
bombs and cell-range bombs are refused before calamine opens them, LibreOffice's own files are
not, and no byte string makes the guard raise anything but FileRejected."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook

from core.errors import FileRejected
from sheets.house_reader import HouseSheetStream, read_house_sheet
from sheets import guard
from sheets.guard import MAX_WORKBOOK_BYTES, check_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refusal(data: bytes) -> FileRejected:
    """The refusal of `data`, checked to be a clear Chinese message on the file argument."""
    with pytest.raises(FileRejected) as caught:
        check_file(data)
    assert caught.value.extensions == {"code": "FILE_REJECTED", "field": "file"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    return caught.value


def small_xlsx() -> bytes:
    """A workbook as openpyxl (standing in for a user's Excel) saves it."""
    wb = Workbook()
    ws = wb.active
    ws.title = "房屋信息"
    ws.append(["楼幢名称", "楼层", "房号"])
    ws.append(["1栋", 1, "101"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_with(members: dict[str, bytes], *, big: tuple[str, int] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
        if big:
            name, size = big
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                zeros = b"\0" * (1 << 20)
                for _ in range(size >> 20):
                    f.write(zeros)
    return out.getvalue()


def xlsx_members(sheet_xml: bytes | None = None) -> dict[str, bytes]:
    """The members of a small workbook, with its sheet XML replaced when given."""
    with zipfile.ZipFile(io.BytesIO(small_xlsx())) as z:
        members = {name: z.read(name) for name in z.namelist()}
    if sheet_xml is not None:
        members["xl/worksheets/sheet1.xml"] = sheet_xml
    return members


def ole2(stream: bytes) -> bytes:
    """A compound file ([MS-CFB] version 3) holding one stream named Workbook: sector 0 is the FAT,
    1 the directory, the stream follows (at least 4096 bytes, so not in the mini stream)."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    stream = stream.ljust(4096, b"\0") if len(stream) < 4096 else stream
    count = -(-len(stream) // 512)
    header = bytearray(512)
    header[:8] = guard.OLE_MAGIC
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *[free] * 108)
    fat = [0xFFFFFFFD, end] + [2 + i + 1 for i in range(count - 1)] + [end]
    fat_sector = struct.pack("<128I", *fat, *[free] * (128 - len(fat)))

    def entry(name: str, kind: int, start: int, size: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[:len(encoded)] = encoded
        struct.pack_into("<HB", raw, 0x40, len(encoded), kind)
        struct.pack_into("<IIII", raw, 0x44, free, free, free if kind == 2 else 1, 0)
        struct.pack_into("<IQ", raw, 0x74, start, size)
        return bytes(raw)

    directory = entry("Root Entry", 5, end, 0) + entry("Workbook", 2, 2, len(stream)) + bytes(256)
    return bytes(header) + fat_sector + directory + stream.ljust(count * 512, b"\0")


def biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


BOF = biff(0x0809, bytes(16))


FAR_CELLS = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
             b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')


# ---------------------------------------------------------------- what passes

@pytest.mark.parametrize("name, kind", [("houses.xlsx", "xlsx"), ("houses.xls", "xls"), ("houses.ods", "ods"),
                                        ("houses_from_csv.xlsx", "xlsx")])
def test_workbooks_saved_by_office_suites_pass_and_are_recognised_by_content(name, kind):
    assert check_file((FIXTURES / name).read_bytes()) == kind
    assert check_file(small_xlsx()) == "xlsx"


def test_libreoffice_trailing_empty_rows_are_not_a_bomb():
    """LibreOffice writes formatted empty rows as one row repeated a million times; calamine skips
    them, so the guard does not count them and the houses read as without them."""
    original = (FIXTURES / "houses.ods").read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    content = members["content.xml"]
    tail = (b'<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
            b'table:number-columns-repeated="1024"/></table:table-row></table:table>')
    members["content.xml"] = content.replace(b"</table:table>", tail, 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", members.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, body in members.items():
            z.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    assert check_file(out.getvalue()) == "ods"
    houses, errors = read_house_sheet(out.getvalue(), "trailing.ods")
    assert errors == [] and houses == read_house_sheet(original, "houses.ods")[0] and len(houses) == 4


# ---------------------------------------------------------------- what is refused

def test_files_that_are_not_workbooks_are_refused():
    for data in [os.urandom(5000), b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF",
                 "楼幢名称,楼层,房号\n1栋,1,101\n".encode(), b"", b"PK\x03\x04" + os.urandom(2000),
                 small_xlsx()[:3000]]:
        refusal(data)
    assert "CSV" in refusal("楼幢名称,楼层\n1栋,1\n".encode("gb18030")).message
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert "工作簿" in refusal(docx.getvalue()).message


def test_an_oversized_file_is_refused():
    assert "20 MB" in refusal(small_xlsx() + b"\0" * MAX_WORKBOOK_BYTES).message


def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = zip_with(xlsx_members(), big=("xl/media/zeros.bin", 300 << 20))
    assert len(bomb) < 1 << 20
    assert "压缩炸弹" in refusal(bomb).message


def test_a_zip_whose_directory_understates_a_member_is_refused():
    data = bytearray(zip_with(xlsx_members()))
    entry = data.index(b"PK\x01\x02")  # the central directory entries
    while data[entry + 46:entry + 46 + struct.unpack_from("<H", data, entry + 28)[0]] != b"xl/worksheets/sheet1.xml":
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, 100)  # its uncompressed size: 100 bytes
    assert "压缩炸弹" in refusal(bytes(data)).message


def test_the_total_unpacked_size_is_limited(monkeypatch):
    monkeypatch.setattr(guard, "MAX_UNCOMPRESSED_BYTES", 4096)
    assert "压缩炸弹" in refusal(small_xlsx()).message


def test_an_xml_entity_bomb_is_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">' \
        b'<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    assert "实体" in refusal(zip_with(xlsx_members(laughs))).message


def test_cell_range_bombs_are_refused_before_calamine_allocates_them():
    # Two cells far apart: calamine would allocate 17 billion cells (550 GB) and abort.
    assert "范围过大" in refusal(zip_with(xlsx_members(FAR_CELLS))).message
    # The same with a namespace prefix and cells without references.
    sneaky = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
              b'<x:row r="1048576">' + b"<x:c><x:v>1</x:v></x:c>" * 50 + b'</x:row>'
              b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    assert "范围过大" in refusal(zip_with(xlsx_members(sneaky))).message
    # .ods: one cell repeated over a million rows and 16 384 columns (1 KB; 12 GB in calamine).
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               b'<table:table table:name="S"><table:table-row table:number-rows-repeated="1000000">'
               b'<table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
               b'</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>'
               b'</office:document-content>')
    ods = zip_with({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": content,
                    "META-INF/manifest.xml": b"<manifest/>"})
    assert "范围过大" in refusal(ods).message
    # .xls: cells at A1 and IV65536, the whole legacy grid.
    assert "范围过大" in refusal((FIXTURES / "far_cells.xls").read_bytes()).message


def test_a_legacy_workbook_whose_last_cell_record_is_cut_off_is_damaged():
    """A cell record running past the end of the Workbook stream holds no cell to count."""
    number = biff(0x0203, struct.pack("<HHH", 0, 0, 0) + bytes(8))  # NUMBER at A1
    assert check_file(ole2(BOF + number + biff(0x000A, b""))) == "xls"
    for cut in (number[:6], biff(0x00BD, struct.pack("<HHH", 0, 0, 1))[:8]):  # NUMBER, MULRK
        stream = BOF + biff(0x00FC, bytes(4200)) + cut
        assert "损坏" in refusal(ole2(stream)).message


@pytest.mark.parametrize("read", [
    lambda data: read_house_sheet(data, "far.xlsx"),
    lambda data: [chunk for chunk in HouseSheetStream(data, "far.xlsx")],
], ids=["read_house_sheet", "HouseSheetStream"])
def test_both_house_readers_are_guarded(read):
    with pytest.raises(FileRejected, match="范围过大"):
        read(zip_with(xlsx_members(FAR_CELLS)))


# ---------------------------------------------------------------- fuzzing

SAMPLES = [(FIXTURES / name).read_bytes() for name in ("houses.xlsx", "houses.xls", "houses.ods", "far_cells.xls")]


def passes_or_is_refused(data: bytes) -> None:
    """Any other exception would reach the client as INTERNAL."""
    try:
        assert check_file(data) in ("xlsx", "xls", "ods")
    except FileRejected as refused:
        assert refused.extensions == {"code": "FILE_REJECTED", "field": "file"}


@FUZZ
@given(st.sampled_from(range(len(SAMPLES))), st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                                                  st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbooks_are_refused_or_pass_but_never_raise_anything_else(sample, changes):
    data = bytearray(SAMPLES[sample])
    for where, byte in changes:
        data[int(where * len(data))] = byte
    passes_or_is_refused(bytes(data))


@FUZZ
@given(st.sampled_from(range(len(SAMPLES))), st.floats(0, 1, exclude_max=True))
def test_truncated_workbooks_never_raise_anything_else(sample, where):
    data = SAMPLES[sample]
    passes_or_is_refused(data[:max(1, int(where * len(data)))])


@FUZZ
@given(st.sampled_from([guard.OLE_MAGIC, guard.ZIP_MAGIC, b""]), st.binary(max_size=4096))
def test_arbitrary_bytes_behind_a_workbook_signature_never_raise_anything_else(magic, tail):
    passes_or_is_refused(magic + tail)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from([0x0809, 0x0203, 0x00FD, 0x027E, 0x00BD, 0x00BE, 0x000A, 0x00FC]),
                          st.binary(max_size=24)), min_size=1, max_size=40), st.integers(0, 27))
def test_arbitrary_records_in_a_legacy_workbook_never_raise_anything_else(records, cut):
    records_bytes = b"".join(biff(kind, body) for kind, body in records)
    filler = biff(0x00FC, bytes(4096))  # the stream ends where the records end, not in padding
    passes_or_is_refused(ole2(BOF + filler + records_bytes[:max(0, len(records_bytes) - cut)]))


_OLD_FAR = re.compile(rb'<c r="(?=[A-Za-z]{2}|[A-Za-z]+[0-9]{6})([A-Za-z]+)([0-9]+)')
_OLD_ODD = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="[A-Za-z]))')

_cell_tags = st.one_of(
    st.builds(lambda letters, digits: f'<c r="{letters}{digits}" s="1"><v>1</v></c>',
              st.text("ABCXYZabz", min_size=1, max_size=3), st.integers(0, 10**8)),
    st.sampled_from(['<c t="s" r="A1"><v>0</v></c>', "<c><v>1</v></c>", "<c/>", '<c r="$A$1"/>', '<c\tr="A1"/>',
                     '<c r="A"/>', '<col min="1" max="2"/>', '<cols>', "<cfRule/>", '<c r="A1234567"/>',
                     '<c r="A12345"/>', '<c r="A123456"/>', "<row>", "</row>", '<x:c r="A1"/>']),
)


@given(st.lists(_cell_tags, max_size=30))
def test_one_pass_over_the_cells_finds_what_two_passes_found(tags):
    """_XlsxSheetExtent finds the far and odd cells in one pass: the same extent and verdict as its
    two passes (FAR's findall and ODD's search) found."""
    piece = ("<sheetData>" + "".join(tags)).encode()
    extent = guard._XlsxSheetExtent()
    extent.feed(piece)
    max_col = max_row = 0
    for letters, digits in _OLD_FAR.findall(piece):
        if len(letters) > 1:
            max_col = max(max_col, guard._column_number(letters))
        if len(digits) > 5:
            max_row = max(max_row, int(digits) if len(digits) < 12 else 10**12)
    odd = bool(_OLD_ODD.search(piece) or (b":c" in piece and guard._XlsxSheetExtent.PREFIXED.search(piece)))
    assert (extent.max_col, extent.max_row, extent.irregular) == (max_col, max_row, odd)
