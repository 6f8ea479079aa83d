"""The untrusted-file guard: checks an uploaded workbook before calamine (or anything else) opens it.

`check_file` refuses the file (`FileRejected`) when it is too large, is not a workbook, is a zip
bomb (judged from the zip directory, then checked while decompressing), holds an XML DTD (entity
bombs), or spans more cells than a house list can (a 5 KB .xlsx with cells at A1 and XFD1048576
makes calamine allocate 550 GB and abort the process; a 1 KB .ods with repeated cells takes
12 GB), and otherwise names its format. .xlsx and .ods are zips whose directory is checked before
anything is unpacked, then unpacked a chunk at a time; .xls is an OLE2 compound file whose
Workbook stream of BIFF records is scanned for the cells' extent. Nothing here parses cell values.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from xml.parsers import expat

from core.errors import FileRejected

__all__ = [
    "DAMAGED", "MAX_CELLS", "MAX_WORKBOOK_BYTES", "NOT_A_WORKBOOK", "check_file", "reject",
]

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
# Zip bombs. A LibreOffice .ods of 100 000 houses unpacks to 231 MB (content.xml at 68:1), so the
# limits leave room for 200 000 rows while a deflated run of zeros (about 1000:1) is refused.
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # tiny members may compress at any ratio and harm nobody
MAX_ZIP_MEMBERS = 10_000
# Cells calamine may materialise (rows x columns of the used range, per sheet it builds):
# 200 000 rows x 20 columns is 4 million.
MAX_CELLS = 10_000_000


def reject(message: str) -> FileRejected:
    """The refusal of an uploaded workbook, on its `file` argument (the readers raise it too)."""
    return FileRejected(message, field="file")


NOT_A_WORKBOOK = "文件不是可读取的工作簿：请上传 Excel、WPS 或 LibreOffice 保存的 .xlsx、.xls 或 .ods 文件"
DAMAGED = "工作簿已损坏，无法读取，请用 Excel、WPS 或 LibreOffice 打开后重新保存再上传"
ZIP_BOMB = "工作簿解压后过大或压缩比异常（疑似压缩炸弹），已拒绝"
XML_BOMB = "工作簿含有 XML 实体声明（DOCTYPE/ENTITY），已拒绝"
TOO_MANY_CELLS = f"工作表的使用范围过大（超过 {MAX_CELLS} 个单元格），请删除多余的行、列后重新保存再上传"
IRREGULAR = "工作簿的结构不规范，请用 Excel、WPS 或 LibreOffice 打开后重新保存再上传"


# ---------------------------------------------------------------- refusing files

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other OLE2 compound files)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .ods
CHUNK = 1 << 20


def check_file(data: bytes) -> str:
    """The format ("xlsx", "ods" or "xls") after every check that must precede calamine; raises
    only FileRejected, whatever the bytes."""
    if not data:
        raise reject("文件为空")
    if len(data) > MAX_WORKBOOK_BYTES:
        raise reject(f"文件超过 {MAX_WORKBOOK_BYTES // (1024 * 1024)} MB 的上限")
    if data.startswith(OLE_MAGIC):
        _check_xls(data)
        return "xls"
    if data.startswith(ZIP_MAGIC):
        return _check_zip(data)
    if data.startswith(b"%PDF"):
        raise reject("上传的是 PDF 文件，" + NOT_A_WORKBOOK)
    if _looks_like_text(data):
        raise reject("上传的是文本文件（如 CSV），请在 Excel、WPS 或 LibreOffice 中另存为 .xlsx 后上传")
    raise reject(NOT_A_WORKBOOK)


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ord(c) < 9 for c in text)
    return False


# .xlsx and .ods: a zip whose directory is checked before anything is unpacked.

def _check_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:
        raise reject(DAMAGED) from None
    if not infos:
        raise reject(NOT_A_WORKBOOK)
    if len(infos) > MAX_ZIP_MEMBERS:
        raise reject(ZIP_BOMB)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise reject("工作簿已加密，请取消密码后重新保存再上传")
        total += info.file_size
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise reject(ZIP_BOMB)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise reject(ZIP_BOMB)
    names = {info.filename.lower(): info for info in infos}
    if "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "mimetype" in names:
        mimetype = b"".join(_member_chunks(data, names["mimetype"])).strip()
        if not mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            raise reject(NOT_A_WORKBOOK)
        kind = "ods"
    elif "xl/workbook.bin" in names:
        raise reject("不支持 .xlsb 格式，请另存为 .xlsx 后上传")
    else:
        raise reject(NOT_A_WORKBOOK)
    for info in infos:
        if info.is_dir():
            continue
        if kind == "ods":
            sheet = _OdsExtent() if info.filename == "content.xml" else None
        else:
            sheet = _XlsxSheetExtent()
        _scan_member(data, info, sheet)
        if sheet is not None and sheet.irregular and kind == "xlsx":
            # Cells without a leading r="A1" or with a namespace prefix: count them exactly.
            sheet.cells = _xlsx_cells_exact(_member_chunks(data, info))
        elif sheet is not None and sheet.irregular:
            raise reject(IRREGULAR)
        elif sheet is not None and kind == "xlsx" and sheet.cells > MAX_CELLS:
            sheet.cells = _xlsx_cells_exact(_member_chunks(data, info))  # the quick bound was too coarse
        if sheet is not None and sheet.cells > MAX_CELLS:
            raise reject(TOO_MANY_CELLS)
    return kind


def _member_chunks(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Unpacks one member from the bytes the zip directory names, never producing more than the
    directory declares (a lying size is a bomb too) and checking the CRC."""
    offset = info.header_offset
    if data[offset:offset + 4] != ZIP_MAGIC or offset + 30 > len(data):
        raise reject(DAMAGED)
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise reject(DAMAGED)
    produced = 0
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for pos in range(start, end, CHUNK):
            out = data[pos:min(pos + CHUNK, end)]
            produced += len(out)
            crc = zlib.crc32(out, crc)
            yield out
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        pos = start
        pending = b""
        while not inflater.eof:
            if not pending and pos < end:
                pending = data[pos:min(pos + CHUNK, end)]
                pos += len(pending)
            try:
                out = inflater.decompress(pending, CHUNK)  # at most CHUNK bytes at a time
            except zlib.error:
                raise reject(DAMAGED) from None
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > info.file_size:
                raise reject(ZIP_BOMB)
            if out:
                crc = zlib.crc32(out, crc)
                yield out
            elif not pending and pos >= end:
                break
        if not inflater.eof:
            raise reject(DAMAGED)
    else:
        raise reject("工作簿使用了不支持的压缩方式，请用 Excel、WPS 或 LibreOffice 重新保存后上传")
    if produced != info.file_size or crc != info.CRC:
        raise reject(DAMAGED)


def _scan_member(data: bytes, info: zipfile.ZipInfo, sheet: _XlsxSheetExtent | _OdsExtent | None) -> None:
    """Refuses DTDs (entity bombs) and UTF-16 XML (which the byte checks could not see), and feeds
    the member to the sheet's extent counter. Pieces are cut before a "<" so no tag is split."""
    carry = b""
    first = True
    for chunk in _member_chunks(data, info):
        buf = carry + chunk if carry else chunk
        if first:
            first = False
            if buf[:2] in (b"\xff\xfe", b"\xfe\xff") or buf[:2] in (b"<\x00", b"\x00<"):
                raise reject(IRREGULAR)
        cut = buf.rfind(b"<")
        if cut < 0 or len(buf) - cut > CHUNK:  # no tag is that long: keep the carry small
            piece, carry = buf, b""
        else:
            piece, carry = buf[:cut], buf[cut:]
        _scan_piece(piece, sheet)
    if carry:
        _scan_piece(carry, sheet)
    if sheet is not None:
        sheet.close()


DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")


def _scan_piece(piece: bytes, sheet: _XlsxSheetExtent | _OdsExtent | None) -> None:
    if b"<!" in piece and DTD.search(piece):
        raise reject(XML_BOMB)
    if sheet is not None:
        sheet.feed(piece)


def _column_number(letters: bytes | str) -> int:
    """A1-style column letters as a 1-based number (lower case too, as calamine reads them)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ((ch if isinstance(ch, int) else ord(ch)) - 64)
    return n


class _XlsxSheetExtent:
    """An upper bound of rows x columns of a worksheet's cells, read from the cell references
    without parsing: exact for the columns beyond Z and the rows from 100 000, otherwise assumed
    to reach column Z and row 99 999. Valid when every cell is written `<c r="A1" ...`, as Excel,
    WPS, LibreOffice and openpyxl do; anything else is marked irregular."""

    FAR = re.compile(rb'<c r="(?=[A-Za-z]{2}|[A-Za-z]+[0-9]{6})([A-Za-z]+)([0-9]+)')
    # A cell without attributes, whose first attribute is not r=, or whose reference is odd ($A$1).
    ODD = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="[A-Za-z]))')
    # Every cell but the plain near ones (one letter, up to five digits): the only cells FAR or ODD
    # can match, found in one pass (FAR's and ODD's two passes were half of the guard's time).
    UNUSUAL = re.compile(rb'<c(?=[\t\n\r />])(?! r="[A-Za-z][0-9]{1,5}")')
    PREFIXED = re.compile(rb":c[\s/>]")

    def __init__(self) -> None:
        self.has_cells = False
        self.max_col = 0
        self.max_row = 0
        self.irregular = False
        self.cells = 0
        self.is_sheet = False

    def feed(self, piece: bytes) -> None:
        if not self.is_sheet:
            self.is_sheet = b"sheetData" in piece
            if not self.is_sheet:
                return
        if not self.has_cells:
            self.has_cells = b"<c " in piece
        if not self.irregular and b":c" in piece and self.PREFIXED.search(piece):
            self.irregular = True
        for unusual in self.UNUSUAL.finditer(piece):
            at = unusual.start()
            if (far := self.FAR.match(piece, at)) is not None:
                letters, digits = far.groups()
                if len(letters) > 1:
                    self.max_col = max(self.max_col, _column_number(letters))
                if len(digits) > 5:
                    self.max_row = max(self.max_row, int(digits) if len(digits) < 12 else 10**12)
            elif not self.irregular and self.ODD.match(piece, at):
                self.irregular = True

    def close(self) -> None:
        if not self.is_sheet:
            return
        if self.has_cells:
            self.cells = max(self.max_row, 99_999) * max(self.max_col, 26)


def _xlsx_cells_exact(chunks: Iterable[bytes]) -> int:
    """Rows x columns spanned by the cells that hold a value, as calamine positions them (a cell
    without r= follows the previous one)."""
    state = {"row": -1, "col": -1, "cell": None, "value": False, "max_row": -1, "max_col": -1}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "row":
            r = attrs.get("r", "")
            state["row"] = int(r) - 1 if r.isdigit() else state["row"] + 1
            state["col"] = -1
        elif local == "c":
            ref = attrs.get("r")
            m = re.fullmatch(r"([A-Za-z]{1,4})([0-9]{1,8})", ref or "")
            if m:
                row, col = int(m.group(2)) - 1, _column_number(m.group(1)) - 1
            else:
                row, col = state["row"], state["col"] + 1
            state["row"], state["col"] = row, col
            state["cell"], state["value"] = (row, col), False
        elif local in ("v", "is") and state["cell"] is not None:
            state["value"] = True

    def end(name: str) -> None:
        if name.rpartition(" ")[2] == "c":
            if state["value"] and state["cell"] is not None:
                row, col = state["cell"]
                state["max_row"] = max(state["max_row"], row)
                state["max_col"] = max(state["max_col"], col)
            state["cell"] = None

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError):
        raise reject(DAMAGED) from None
    if state["max_row"] < 0:
        return 0
    return (state["max_row"] + 1) * (state["max_col"] + 1)


class _OdsExtent:
    """Rows x columns that calamine expands from content.xml, summed over the tables (calamine
    reads every table when it opens an .ods). Rows and cells may carry repeat counts; trailing
    empty ones (LibreOffice writes a million of them) do not count. Expects the `table:` prefix
    that every office suite writes; anything else is irregular."""

    TABLE_NS = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    ROW_END = b"</table:table-row>"
    TOKEN = re.compile(rb"<table:(table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>")
    REPEAT = re.compile(rb"number-(?:rows|columns)-repeated\s*=\s*[\"']\s*([0-9]{1,12})")
    CARRY_MAX = 16 * CHUNK

    def __init__(self) -> None:
        self.carry = b""
        self.cells = 0
        self.irregular = False
        self.namespaces = 0
        self.bindings = 0
        self._new_table()

    def _new_table(self) -> None:
        self.height = 0
        self.max_height = 0
        self.max_width = 0

    def _end_table(self) -> None:
        self.cells += self.max_height * self.max_width
        self._new_table()

    def feed(self, piece: bytes) -> None:
        if self.irregular:
            return
        self.namespaces += piece.count(self.TABLE_NS)
        self.bindings += piece.count(b"xmlns:table=")
        buf = self.carry + piece if self.carry else piece
        start = 0
        while True:
            end = buf.find(self.ROW_END, start)
            if end < 0:
                break
            end += len(self.ROW_END)
            self._segment(buf[start:end])
            start = end
        self.carry = buf[start:]
        if len(self.carry) > self.CARRY_MAX:
            self.irregular = True  # a row of millions of cells

    def _segment(self, seg: bytes) -> None:
        if b"</table:table>" in seg:
            self._end_table()
        if seg.count(b"<table:table-row") == 1 and b"-repeated" not in seg:
            self.height += 1
            if b"value-type" in seg or b"<text:" in seg:
                self.max_height = self.height
                width = seg.count(b"<table:table-cell") + seg.count(b"<table:covered-table-cell")
                self.max_width = max(self.max_width, width)
            return
        row_repeat, col, width = 1, 0, 0
        for m in self.TOKEN.finditer(seg):
            kind, attrs = m.group(1), m.group(2)
            closed = attrs.endswith(b"/")
            found = self.REPEAT.search(attrs)
            repeat = max(int(found.group(1)), 1) if found else 1
            if kind == b"table-row":
                if closed:
                    self.height += repeat
                else:
                    row_repeat, col, width = repeat, 0, 0
            else:
                col += repeat
                if not closed or b"value-type" in attrs:
                    width = col
        self.height += row_repeat
        if width:
            self.max_height = self.height
            self.max_width = max(self.max_width, width)

    def close(self) -> None:
        if self.carry and not self.irregular:
            if b"</table:table>" in self.carry:
                self._end_table()
            self.carry = b""
        self._end_table()
        if self.namespaces != 1 or self.bindings != 1:
            self.irregular = True


# .xls: an OLE2 compound file; its Workbook stream is a list of BIFF records.

def _check_xls(data: bytes) -> None:
    stream = _ole_stream(data, ("workbook", "book"))
    if stream is None:
        raise reject(NOT_A_WORKBOOK)
    if _biff_cells(stream) > MAX_CELLS:
        raise reject(TOO_MANY_CELLS)


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The first stream named one of `names` (case-insensitive), or None. Follows [MS-CFB]."""
    end_of_chain = 0xFFFFFFFA  # sector ids from here up are markers
    try:
        if len(data) < 512:
            raise ValueError
        major, = struct.unpack_from("<H", data, 0x1A)
        sector_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if sector_shift not in (9, 12) or mini_shift != 6:
            raise ValueError
        size = 1 << sector_shift
        (fat_count, dir_start, _, mini_cutoff, minifat_start, minifat_count, difat_start, difat_count) = \
            struct.unpack_from("<IIIIIIII", data, 0x2C)
        sectors = (len(data) - size) // size + (1 if (len(data) - size) % size else 0)
        per_sector = size // 4

        def sector(sid: int) -> bytes:
            if sid >= sectors:
                raise ValueError
            return data[(sid + 1) * size:(sid + 2) * size].ljust(size, b"\0")

        difat = list(struct.unpack_from("<109I", data, 0x4C))
        sid = difat_start
        for _ in range(min(difat_count, sectors)):
            if sid >= end_of_chain:
                break
            entries = struct.unpack(f"<{per_sector}I", sector(sid))
            difat.extend(entries[:-1])
            sid = entries[-1]
        fat_sids = [s for s in difat[:fat_count] if s < end_of_chain]
        if len(fat_sids) > sectors:
            raise ValueError
        fat: list[int] = []
        for s in fat_sids:
            fat.extend(struct.unpack(f"<{per_sector}I", sector(s)))

        def chain(first: int, table: list[int], limit: int) -> list[int]:
            out: list[int] = []
            sid = first
            while sid < end_of_chain:
                if sid >= len(table) or len(out) > limit:
                    raise ValueError
                out.append(sid)
                sid = table[sid]
            return out

        directory = b"".join(sector(s) for s in chain(dir_start, fat, sectors))
        entries = []
        for pos in range(0, len(directory) - 127, 128):
            name_len, kind = struct.unpack_from("<HB", directory, pos + 0x40)
            name = directory[pos:pos + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
            start, length = struct.unpack_from("<IQ", directory, pos + 0x74)
            if major == 3:
                length &= 0xFFFFFFFF
            entries.append((name, kind, start, length))
        if not entries or entries[0][1] != 5:
            raise ValueError
        found = next((e for e in entries if e[1] == 2 and e[0].lower() in names), None)
        if found is None:
            return None
        _, _, start, length = found
        if length > len(data):
            raise ValueError
        if length >= mini_cutoff:
            return b"".join(sector(s) for s in chain(start, fat, sectors))[:length]
        root_start, root_length = entries[0][2], entries[0][3]
        ministream = b"".join(sector(s) for s in chain(root_start, fat, sectors))[:root_length]
        minifat_bytes = b"".join(sector(s) for s in chain(minifat_start, fat, sectors))[:minifat_count * size]
        minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes[:len(minifat_bytes) // 4 * 4]))
        mini = 1 << mini_shift
        parts = [ministream[s * mini:(s + 1) * mini] for s in chain(start, minifat, len(minifat))]
        return b"".join(parts)[:length]
    except (ValueError, struct.error, OverflowError, MemoryError):
        raise reject(DAMAGED) from None


BIFF_BOF = frozenset({0x0009, 0x0209, 0x0409, 0x0809})
# FORMULA, BLANK, NUMBER, LABEL, BOOLERR, RK, RSTRING, LABELSST, and FORMULA of BIFF3/4: row, column, ...
BIFF_CELLS = frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00FD, 0x0206, 0x0406})
BIFF_MULTI = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column, ..., last column


def _biff_cells(stream: bytes) -> int:
    """Sum over the sheets of rows x columns spanned by their cell records."""
    total = 0
    max_row = max_col = -1
    pos, n = 0, len(stream)
    unpack = struct.unpack_from
    cells, multi, bof = BIFF_CELLS, BIFF_MULTI, BIFF_BOF
    while pos + 4 <= n:
        kind, length = unpack("<HH", stream, pos)
        body = pos + 4
        pos = body + length
        if pos > n and (kind in cells or kind in multi):
            raise reject(DAMAGED)  # a cell record cut off by the end of the stream
        if kind in cells:
            if length >= 4:
                row, col = unpack("<HH", stream, body)
                if row > max_row:
                    max_row = row
                if col > max_col:
                    max_col = col
        elif kind in multi:
            if length >= 6:
                row, = unpack("<H", stream, body)
                last, = unpack("<H", stream, body + length - 2)
                if row > max_row:
                    max_row = row
                if last > max_col:
                    max_col = last
        elif kind in bof:
            if max_row >= 0:
                total += (max_row + 1) * (max_col + 1)
            max_row = max_col = -1
    if max_row >= 0:
        total += (max_row + 1) * (max_col + 1)
    return total
