"""房屋信息表 house sheet: reading imports, writing exports and the import template.

The layout is SPEC.md "Workbook layouts" (one row per owner; 房屋编号 only in exports). Reading
accepts .xlsx, legacy .xls and .ods as saved by Excel, WPS and LibreOffice, recognised by their
first bytes, and reads them with python-calamine (cached values of formulas included); writing
uses openpyxl. Nothing here touches the database: callers get plain rows and row errors.

An uploaded file is untrusted, so sheets/guard.py checks it (size, format, zip, XML and cell-range
bombs) before calamine sees it. Bad rows are never raised: every problem comes back as a
`RowError` with its sheet row, column label and a Chinese message.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import operator
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from core import gc_policy
from core.errors import FileRejected
from models.enums import BuildingStructure, HouseUsage, IdType, SalesStatus
from services import pii
from services.validators import ID_CHECK, ID_WEIGHTS, valid_credit_code, valid_mobile, valid_resident_id
# The guard under the names this module's reader has always called it by.
from sheets.guard import DAMAGED, check_file as _check_file, reject as _reject

__all__ = [
    "HOUSE_COLUMNS", "MAX_ROWS", "REQUIRED_COLUMNS", "TEMPLATE_COLUMNS", "HouseRow", "OwnerRow",
    "RowError", "house_template", "read_house_sheet", "write_house_sheet",
]

log = logging.getLogger("wxfund.workbook")

MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 20
PROGRESS_EVERY = 1000

# ---------------------------------------------------------------- columns and labels

CODE = "房屋编号"
BUILDING = "楼幢名称"
BUILT_YEAR = "建成年代"
STRUCTURE = "建筑结构"
BUILDING_ADDRESS = "楼幢地址"
UNIT = "单元"
FLOOR = "楼层"
ROOM = "房号"
ADDRESS = "房屋坐落"
USAGE = "房屋用途"
LAYOUT = "户型"
ELEVATOR = "电梯"
AREA = "建筑面积"
INNER_AREA = "套内面积"
PRICE = "房款"
SALES = "销售状态"
UNIT_NUMBER = "不动产单元号"
OWNER_NAME = "业主姓名"
ID_TYPE = "证件类型"
ID_NUMBER = "证件号码"
PHONE = "手机号码"

HOUSE_COLUMNS: list[str] = [
    CODE, BUILDING, BUILT_YEAR, STRUCTURE, BUILDING_ADDRESS, UNIT, FLOOR, ROOM, ADDRESS, USAGE, LAYOUT,
    ELEVATOR, AREA, INNER_AREA, PRICE, SALES, UNIT_NUMBER, OWNER_NAME, ID_TYPE, ID_NUMBER, PHONE,
]
TEMPLATE_COLUMNS: list[str] = HOUSE_COLUMNS[1:]
REQUIRED_COLUMNS: tuple[str, ...] = (BUILDING, FLOOR, ROOM, ADDRESS, USAGE, ELEVATOR, AREA, SALES)
OWNER_COLUMNS: tuple[str, ...] = (OWNER_NAME, ID_TYPE, ID_NUMBER, PHONE)
# The columns that describe the house itself: rows of one house repeat them identically.
HOUSE_FIELD_COLUMNS: tuple[str, ...] = tuple(c for c in HOUSE_COLUMNS if c not in OWNER_COLUMNS)
BUILDING_COLUMNS: tuple[str, ...] = (BUILT_YEAR, STRUCTURE, BUILDING_ADDRESS)  # must agree within a building

USAGE_LABELS: dict[str, HouseUsage] = {
    "住宅": HouseUsage.RESIDENTIAL, "商业": HouseUsage.COMMERCIAL, "办公": HouseUsage.OFFICE,
    "车库": HouseUsage.GARAGE, "车位": HouseUsage.PARKING_SPACE, "储藏": HouseUsage.STORAGE, "其他": HouseUsage.OTHER,
}
STRUCTURE_LABELS: dict[str, BuildingStructure] = {
    "钢混": BuildingStructure.REINFORCED_CONCRETE, "混合": BuildingStructure.MIXED, "框架": BuildingStructure.FRAME,
    "框剪": BuildingStructure.FRAME_SHEAR_WALL, "钢结构": BuildingStructure.STEEL,
    "砖木": BuildingStructure.BRICK_WOOD, "其他": BuildingStructure.OTHER,
}
SALES_LABELS: dict[str, SalesStatus] = {"已售": SalesStatus.SOLD, "未售": SalesStatus.UNSOLD}
ELEVATOR_LABELS: dict[str, bool] = {"有": True, "无": False}
ELEVATOR_ALIASES: dict[str, bool] = {**ELEVATOR_LABELS, "是": True, "否": False}
ID_TYPE_LABELS: dict[str, IdType] = {
    "居民身份证": IdType.RESIDENT_ID, "护照": IdType.PASSPORT, "港澳居民来往内地通行证": IdType.HK_MACAO_PERMIT,
    "台湾居民来往大陆通行证": IdType.TAIWAN_PERMIT, "外国人永久居留身份证": IdType.FOREIGN_PERMANENT_RESIDENT_ID,
    "统一社会信用代码": IdType.CREDIT_CODE, "其他": IdType.OTHER,
}
ID_TYPE_ALIASES: dict[str, IdType] = {**ID_TYPE_LABELS, "身份证": IdType.RESIDENT_ID}

USAGE_NAMES = {v: k for k, v in USAGE_LABELS.items()}
STRUCTURE_NAMES = {v: k for k, v in STRUCTURE_LABELS.items()}
SALES_NAMES = {v: k for k, v in SALES_LABELS.items()}
ELEVATOR_NAMES = {v: k for k, v in ELEVATOR_LABELS.items()}
ID_TYPE_NAMES = {v: k for k, v in ID_TYPE_LABELS.items()}

# Text limits, as the columns of models/estate.py.
NAME_MAX = 100
ADDRESS_MAX = 300
UNIT_MAX = 20
ROOM_MAX = 20
LAYOUT_MAX = 20
CODE_MAX = 24
ID_NUMBER_MAX = 40
UNIT_NUMBER_LENGTH = 28
FLOOR_MIN, FLOOR_MAX = -5, 200
AREA_MAX = Decimal("100000")
PRICE_MAX = Decimal("999999999999.99")  # NUMERIC(14, 2)
YEAR_MIN = 1900


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class OwnerRow:
    name: str
    id_type: IdType
    id_number: str
    phone: str


@dataclass
class HouseRow:
    """One house; `row` is the 1-based sheet row of its first line. Building columns left empty on
    a row take the value stated on another row of the same building."""

    row: int
    code: str | None
    building_name: str
    built_year: int | None
    structure: BuildingStructure | None
    building_address: str | None
    unit: str | None
    floor: int
    room_number: str
    address: str
    usage: HouseUsage
    has_elevator: bool
    building_area: Decimal
    inner_area: Decimal | None
    price: Decimal | None
    sales_status: SalesStatus
    real_estate_unit_number: str | None
    owners: list[OwnerRow] = field(default_factory=list)
    layout: str | None = None  # 户型
    # False when the sheet has no 户型 column (a template or export made before it existed): an
    # info change then keeps each house's 户型 rather than clearing it.
    layout_read: bool = field(default=True, compare=False)


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    code: str
    message: str


# ---------------------------------------------------------------- opening with calamine

def _fatal(exc: BaseException) -> bool:
    # A Rust panic inside calamine arrives as pyo3's PanicException, a BaseException.
    return isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


def _open_sheet(data: bytes):
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        if not names:
            raise _reject("工作簿中没有工作表")
        index = names.index("房屋信息") if "房屋信息" in names else 0
        return book.get_sheet_by_index(index)
    except FileRejected:
        raise
    except calamine.PasswordError:
        raise _reject("工作簿已加密，请取消密码后重新保存再上传") from None
    except BaseException as exc:
        if _fatal(exc):
            raise
        raise _reject(DAMAGED) from None


# ---------------------------------------------------------------- cell values

class _Bad(Exception):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message


_BAD = object()  # a parsed value that failed
_MISS = object()
_EMPTY = object()  # a cached empty cell
# Columns whose values repeat from row to row: each distinct cell value is parsed once.
CACHED_COLUMNS = frozenset({BUILDING, BUILT_YEAR, STRUCTURE, BUILDING_ADDRESS, UNIT, FLOOR, USAGE, LAYOUT, ELEVATOR,
                            AREA, INNER_AREA, PRICE, SALES, ID_TYPE})
CACHE_MAX = 50_000
CENT = Decimal("0.01")
MONEY_FORMAT = "0.00"  # amounts and areas: a number shown with two decimals
_STRIP = " \t\r\n\u3000\xa0\u200b\ufeff"
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _blank(value: Any) -> bool:
    if value.__class__ is str:
        return not value or not value.strip(_STRIP)
    return value is None


def _float_text(x: float) -> str:
    """A float as Excel shows it: 15 significant digits, so 0.1+0.2 reads 0.3, 12.0 reads 12."""
    if not math.isfinite(x):
        return str(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(Decimal(format(x, ".15g")), "f")


def _text(value: Any) -> str:
    """Any cell as trimmed text ("" when empty)."""
    cls = value.__class__
    if cls is str:
        return value.strip(_STRIP)
    if value is None:
        return ""
    if cls is bool:
        return "TRUE" if value else "FALSE"
    if cls is float:
        return _float_text(value)
    if cls is int:
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip(_STRIP)


def _folded(value: Any) -> str:
    """Text with full-width digits and letters folded (NFKC), for codes, numbers and labels."""
    s = value.strip(_STRIP) if value.__class__ is str else _text(value)
    return s if s.isascii() else unicodedata.normalize("NFKC", s).strip(_STRIP)


def _shown(value: Any) -> str:
    s = _text(value)
    return s if len(s) <= 30 else s[:30] + "…"


def _decimal(value: Any, label: str) -> Decimal:
    cls = value.__class__
    if cls is float:
        if not math.isfinite(value):
            raise _Bad("BAD_NUMBER", f"{label}不是有效的数字")
        return Decimal(format(value, ".15g"))
    if cls is int:
        return Decimal(value)
    if cls is str:
        s = _folded(value).replace("−", "-")
        if _THOUSANDS.fullmatch(s):
            s = s.replace(",", "")
        if _NUMBER_TEXT.fullmatch(s):
            return Decimal(s)
    raise _Bad("BAD_NUMBER", f"{label}「{_shown(value)}」不是有效的数字")


def _integer(value: Any, label: str) -> int:
    d = _decimal(value, label)
    if d != d.to_integral_value():
        raise _Bad("BAD_NUMBER", f"{label}「{_shown(value)}」应为整数")
    if abs(d) > 10**9:
        raise _Bad("OUT_OF_RANGE", f"{label}「{_shown(value)}」超出范围")
    return int(d)


def _two_decimals(value: Any, label: str, low: Decimal, high: Decimal, *, low_open: bool) -> Decimal:
    d = _decimal(value, label)
    if d < low or (low_open and d == low) or d > high:
        bound = f"大于 {low}" if low_open else f"不小于 {low}"
        raise _Bad("OUT_OF_RANGE", f"{label}「{_shown(value)}」超出范围，应{bound}且不超过 {high}")
    q = d.quantize(CENT)
    if q != d:
        raise _Bad("BAD_NUMBER", f"{label}「{_shown(value)}」最多保留两位小数")
    return q.copy_abs() if q.is_zero() else q  # "-0" is 0.00


def _label(value: Any, label: str, allowed: dict[str, Any], shown: Iterable[str]) -> Any:
    found = allowed.get(value) if value.__class__ is str else None
    if found is not None:
        return found
    found = allowed.get(_folded(value))
    if found is None:
        raise _Bad("BAD_VALUE", f"{label}「{_shown(value)}」不是允许的值，应为：{'、'.join(shown)}")
    return found


def _limited(value: Any, label: str, limit: int, *, fold: bool) -> str:
    s = _folded(value) if fold else _text(value)
    if len(s) > limit:
        raise _Bad("TOO_LONG", f"{label}不能超过 {limit} 个字（当前 {len(s)} 个）")
    return s


def _parse_code(v: Any) -> str:
    return _limited(v, CODE, CODE_MAX, fold=True)


def _parse_building(v: Any) -> str:
    return _limited(v, BUILDING, NAME_MAX, fold=False)  # a name: as typed, like the API stores it


def _parse_year(v: Any) -> int:
    if isinstance(v, (date, datetime)):
        year = v.year
    else:
        if v.__class__ is str and _folded(v).endswith("年"):
            v = _folded(v)[:-1]
        year = _integer(v, BUILT_YEAR)
    this_year = date.today().year
    if not YEAR_MIN <= year <= this_year:
        raise _Bad("OUT_OF_RANGE", f"建成年代「{year}」应在 {YEAR_MIN} 至 {this_year} 年之间")
    return year


def _parse_structure(v: Any) -> BuildingStructure:
    return _label(v, STRUCTURE, STRUCTURE_LABELS, STRUCTURE_LABELS)


def _parse_building_address(v: Any) -> str:
    return _limited(v, BUILDING_ADDRESS, ADDRESS_MAX, fold=False)


def _parse_unit(v: Any) -> str:
    return _limited(v, UNIT, UNIT_MAX, fold=True)


def _parse_floor(v: Any) -> int:
    if v.__class__ is str and not _NUMBER_TEXT.fullmatch(_folded(v).replace("−", "-")):
        raise _Bad("BAD_NUMBER", f"楼层「{_shown(v)}」应为整数，地下层用负数，如 -1")
    floor = _integer(v, FLOOR)
    if not FLOOR_MIN <= floor <= FLOOR_MAX:
        raise _Bad("OUT_OF_RANGE", f"楼层「{floor}」应在 {FLOOR_MIN} 至 {FLOOR_MAX} 之间")
    return floor


def _parse_room(v: Any) -> str:
    return _limited(v, ROOM, ROOM_MAX, fold=True)


def _parse_address(v: Any) -> str:
    return _limited(v, ADDRESS, ADDRESS_MAX, fold=False)


def _parse_usage(v: Any) -> HouseUsage:
    return _label(v, USAGE, USAGE_LABELS, USAGE_LABELS)


def _parse_layout(v: Any) -> str:
    return _limited(v, LAYOUT, LAYOUT_MAX, fold=False)  # free text (三房两厅): as typed


def _parse_elevator(v: Any) -> bool:
    if v.__class__ is bool:
        return v
    return _label(v, ELEVATOR, ELEVATOR_ALIASES, ("有", "无"))


def _parse_area(v: Any) -> Decimal:
    return _two_decimals(v, AREA, Decimal(0), AREA_MAX, low_open=True)


def _parse_inner_area(v: Any) -> Decimal:
    return _two_decimals(v, INNER_AREA, Decimal(0), AREA_MAX, low_open=True)


def _parse_price(v: Any) -> Decimal:
    return _two_decimals(v, PRICE, Decimal(0), PRICE_MAX, low_open=False)


def _parse_sales(v: Any) -> SalesStatus:
    return _label(v, SALES, SALES_LABELS, SALES_LABELS)


def _parse_unit_number(v: Any) -> str:
    s = _folded(v).replace(" ", "")
    if len(s) > UNIT_NUMBER_LENGTH:
        raise _Bad("TOO_LONG", f"不动产单元号应为 {UNIT_NUMBER_LENGTH} 位（当前 {len(s)} 位）")
    if len(s) < UNIT_NUMBER_LENGTH:
        raise _Bad("BAD_VALUE", f"不动产单元号应为 {UNIT_NUMBER_LENGTH} 位（当前 {len(s)} 位）")
    return s


def _parse_owner_name(v: Any) -> str:
    return _limited(v, OWNER_NAME, NAME_MAX, fold=False)


def _parse_id_type(v: Any) -> IdType:
    return _label(v, ID_TYPE, ID_TYPE_ALIASES, ID_TYPE_LABELS)


def _parse_id_number(v: Any) -> str:
    return _limited(v, ID_NUMBER, ID_NUMBER_MAX, fold=True)


def _parse_phone(v: Any) -> str:
    phone = valid_mobile(_folded(v))
    if phone is None:
        # masked as a bank sees it: row errors are stored, and a mistyped number is still someone's
        raise _Bad("BAD_PHONE", f"手机号码「{pii.mask_phone(_shown(v))}」不是有效的 11 位手机号")
    return phone


# Text columns not cached: (limit, folded), for reading a plain str cell without calling the parser.
TEXT_LIMITS: dict[str, tuple[int, bool]] = {
    CODE: (CODE_MAX, True), ROOM: (ROOM_MAX, True), ADDRESS: (ADDRESS_MAX, False), OWNER_NAME: (NAME_MAX, False),
    ID_NUMBER: (ID_NUMBER_MAX, True),
}

PARSERS: dict[str, Callable[[Any], Any]] = {
    CODE: _parse_code, BUILDING: _parse_building, BUILT_YEAR: _parse_year, STRUCTURE: _parse_structure,
    BUILDING_ADDRESS: _parse_building_address, UNIT: _parse_unit, FLOOR: _parse_floor, ROOM: _parse_room,
    ADDRESS: _parse_address, USAGE: _parse_usage, LAYOUT: _parse_layout, ELEVATOR: _parse_elevator, AREA: _parse_area,
    INNER_AREA: _parse_inner_area, PRICE: _parse_price, SALES: _parse_sales, UNIT_NUMBER: _parse_unit_number,
    OWNER_NAME: _parse_owner_name, ID_TYPE: _parse_id_type, ID_NUMBER: _parse_id_number, PHONE: _parse_phone,
}


# ---------------------------------------------------------------- reading

class _Line:
    """One data row of the sheet, parsed: `values` by column label (None when empty, _BAD when
    unreadable), its errors, its owner, and the key and signature that group rows into houses."""

    __slots__ = ("row", "cells", "columns", "values", "errors", "owner", "key", "sig")

    def __init__(self, row: int, cells: list, columns: dict[str, int], values: dict[str, Any], errors: list[RowError]):
        self.row = row
        self.cells = cells
        self.columns = columns
        self.values = values
        self.errors = errors
        self.owner: OwnerRow | None = None
        self.key: tuple | None = None
        self.sig: tuple = ()

    def raw(self, column: str) -> Any:
        col = self.columns.get(column)
        return self.cells[col] if col is not None and col < len(self.cells) else None

    def bad(self, column: str | None, code: str, message: str) -> None:
        self.errors.append(RowError(self.row, column, code, message))


def _find_header(rows: Iterator[list], with_code: bool) -> tuple[int, dict[str, int], list[tuple[int, list]]]:
    """The 0-based header row, label → column index, and the rows read past it."""
    needed = set(REQUIRED_COLUMNS) | ({CODE} if with_code else set())
    seen: list[tuple[int, list]] = []
    best: set[str] = set()
    for index, cells in enumerate(rows):
        seen.append((index, cells))
        labels: dict[str, int] = {}
        for col, cell in enumerate(cells):
            if cell.__class__ is str:
                text = cell.strip(_STRIP)
                if text in PARSERS and text not in labels:
                    labels[text] = col
        if set(REQUIRED_COLUMNS) <= labels.keys():
            if with_code and CODE not in labels:
                raise _reject("表头缺少「房屋编号」列：拆分合并和信息变更请导入由系统导出的房屋表")
            return index, labels, seen
        if len(labels.keys() & needed) > len(best):
            best = labels.keys() & needed
        if index + 1 >= HEADER_SEARCH_ROWS:
            break
    missing = [c for c in (([CODE] if with_code else []) + list(REQUIRED_COLUMNS)) if c not in best]
    raise _reject(f"不是房屋信息模板：第一张工作表的前 {HEADER_SEARCH_ROWS} 行中找不到表头（缺少 {'、'.join(missing)}），"
                  "请下载系统模板填写")


def _merged_fill(sheet, header_row: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Cells below the top of a vertical merge under the header → the merge's top cell (Excel
    and WPS keep the value only there; users merge 楼幢名称 over a building's rows). Cells
    merged sideways stay empty: they belong to other columns. Only .xlsx and .xls report merges;
    giant merges are ignored."""
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:
        return {}
    start_col = (sheet.start or (0, 0))[1]
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    budget = 200_000
    for (r0, c0), (r1, c1) in ranges:
        if r1 <= header_row:
            continue
        area = (r1 - r0 + 1) * (c1 - c0 + 1)
        budget -= area
        if budget < 0:
            return {}
        for r in range(max(r0 + 1, header_row + 1), r1 + 1):
            covered[(r, c0 - start_col)] = (r0, c0 - start_col)
    return covered


def read_house_sheet(
    data: bytes,
    filename: str,
    *,
    with_code: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[HouseRow], list[RowError]]:
    """Reads the 房屋信息 sheet. Returns the houses of the rows that passed and every row error;
    callers write nothing when the errors are not empty. With `with_code` (an export re-imported
    for 拆分合并 or 信息变更) the 房屋编号 column must be there; its cells may be empty.

    Raises only FileRejected, for a file that is not a readable workbook of this template.
    The file is recognised by its content; `filename` is only for messages."""
    _check_file(data)
    sheet = _open_sheet(data)
    with _reading(filename):
        return _read(sheet, with_code=with_code, progress=progress)


@contextmanager
def _reading(filename: str) -> Iterator[None]:
    """Around the reading of a sheet. Reading makes a few objects per cell and keeps them all, so
    the collector is quieted meanwhile (core/gc_policy.py). Calamine failing on a damaged sheet,
    or a bug here, becomes a clear refusal."""
    try:
        with gc_policy.quiet():
            yield
    except FileRejected:
        raise
    except BaseException as exc:
        if _fatal(exc):
            raise
        log.warning("house sheet %r could not be read", filename, exc_info=True)
        raise _reject(DAMAGED) from None


class HouseSheetStream:
    """read_house_sheet a chunk at a time, for an import that writes while it reads: iterating
    yields lists of the houses that passed every check, in sheet order, as soon as their rows
    are read. The checks are the same, and no check marks a house once it has been yielded;
    when the iteration ends, `errors` holds every row error (write nothing if there is one)
    and `stated` the building columns of each building, (building name, column label) → the
    value its first row states (a house's own building columns may be empty). Raises like
    read_house_sheet, during the iteration."""

    def __init__(self, data: bytes, filename: str, *, with_code: bool = False,
                 progress: Callable[[int, int], None] | None = None, chunk: int = 2000) -> None:
        self.data, self.filename, self.with_code, self.progress, self.chunk = data, filename, with_code, progress, chunk
        self.errors: list[RowError] = []
        self.stated: dict[tuple[str, str], Any] = {}

    def __iter__(self) -> Iterator[list[HouseRow]]:
        _check_file(self.data)
        sheet = _open_sheet(self.data)
        with _reading(self.filename):
            assembler = _Assembler(self.with_code)
            self.stated = assembler.stated
            for lines in _lines(sheet, with_code=self.with_code, progress=self.progress, chunk=self.chunk):
                houses = [self._house(group) for line in lines if (group := assembler.feed(line)) is not None]
                yield [h for h in houses if h is not None]
            last = assembler.finish()
            if last is not None and (house := self._house(last)) is not None:
                yield [house]
            _sort_errors(self.errors)

    def _house(self, group: list[_Line]) -> HouseRow | None:
        group_errors = [e for line in group for e in line.errors]
        if group_errors:
            self.errors.extend(group_errors)
            return None
        return _house(group, self.stated, self.with_code)


def _read(sheet, *, with_code: bool, progress: Callable[[int, int], None] | None):
    lines = [line for chunk in _lines(sheet, with_code=with_code, progress=progress) for line in chunk]
    return _assemble(lines, with_code)


def _lines(sheet, *, with_code: bool, progress: Callable[[int, int], None] | None,
           chunk: int = 1 << 30) -> Iterator[list[_Line]]:
    """The parsed data rows (blank rows left out), `chunk` rows of the sheet at a time. Parsing is
    per cell, with the value caches shared by every chunk, so the chunk size changes nothing."""
    end = sheet.end
    if end is None:
        raise _reject("第一张工作表是空的，请下载系统模板填写")
    rows = iter(sheet.iter_rows())
    header_row, columns, seen = _find_header(rows, with_code)
    if not with_code:
        columns.pop(CODE, None)
    total = max(end[0] - header_row, 0)
    covered = _merged_fill(sheet, header_row)
    anchors = set(covered.values())
    anchor_values: dict[tuple[int, int], Any] = {}
    required = set(REQUIRED_COLUMNS)
    plan = [(label, col, PARSERS[label], label in required, {} if label in CACHED_COLUMNS else None,
             *TEXT_LIMITS.get(label, (0, False)))
            for label, col in columns.items()]
    house_columns = [c for c in HOUSE_FIELD_COLUMNS if c in columns]
    # The data rows follow the header row without gaps.
    table: list[list] = [cells for index, cells in seen if index > header_row]
    table.extend(rows)
    indices = range(header_row + 1, header_row + 1 + len(table))
    if covered:
        for index, cells in zip(indices, table):
            cells = table[index - header_row - 1] = list(cells)
            for col in range(len(cells)):
                if (index, col) in anchors:
                    anchor_values[(index, col)] = cells[col]
                elif (index, col) in covered and _blank(cells[col]):
                    cells[col] = anchor_values.get(covered[(index, col)], "")
    # Column by column, the cells that read plainly; the other rows are parsed one by one.
    labels = [entry[0] for entry in plan]
    processed = kept = 0
    for start in range(0, len(table), chunk):
        part = table[start:start + chunk]
        trouble: set[int] = set()
        results = [_parse_column(part, entry, trouble) for entry in plan]
        lines: list[_Line] = []
        for pos, (index, cells, parsed) in enumerate(zip(indices[start:start + chunk], part, zip(*results))):
            processed += 1
            if progress is not None and processed % PROGRESS_EVERY == 0:
                progress(processed, max(total, processed))
            if pos in trouble:
                line = _parse_line(index + 1, cells, columns, plan, house_columns)
                if line is None:
                    continue
            else:
                line = _finish_line(_Line(index + 1, cells, columns, dict(zip(labels, parsed)), []), house_columns)
            if kept >= MAX_ROWS:
                raise _reject(f"数据超过 {MAX_ROWS} 行的上限，请分批导入")
            kept += 1
            lines.append(line)
        yield lines
    if progress is not None:
        progress(processed, processed)


def _holds(items: list, marker: object) -> bool:
    """Whether `marker` is in `items`, by identity (`in` would call every value's __eq__)."""
    return any(map(operator.is_, items, itertools.repeat(marker, len(items))))


def _parse_column(table: list[list], entry: tuple, trouble: set[int]) -> list:
    """One column's values for the rows where it reads plainly (a cached value that parsed, a
    plain text, or empty and optional); the positions of the other rows go into `trouble`."""
    label, col, parse, required, cache, limit, folded = entry
    if not table:
        return []
    if min(map(len, table)) > col:
        cells = list(map(operator.itemgetter(col), table))
    else:
        cells = [row[col] if col < len(row) else None for row in table]
    kinds = set(map(type, cells))
    out: list | None = None
    if cache is not None and bool not in kinds:
        out = list(map(cache.get, cells, itertools.repeat(_MISS, len(cells))))
        if _holds(out, _MISS):
            for pos, value in enumerate(cells):
                if out[pos] is _MISS:
                    parsed = cache.get(value, _MISS)
                    if parsed is not _MISS:
                        out[pos] = parsed
                        continue
                    if value is None or (value.__class__ is str and not value.strip(_STRIP)):
                        parsed = _EMPTY
                    else:
                        try:
                            parsed = parse(value)
                        except _Bad as bad:
                            parsed = bad
                    if len(cache) < CACHE_MAX:
                        cache[value] = parsed
                    out[pos] = parsed
    elif limit and kinds <= {str}:
        stripped = [value.strip(_STRIP) for value in cells]
        if max(map(len, stripped)) <= limit and (not folded or "".join(stripped).isascii()):
            out = [text or _EMPTY for text in stripped]
    if out is None:
        out = []
        append = out.append
        for value in cells:
            if value is None or (value.__class__ is str and not value.strip(_STRIP)):
                append(_EMPTY)
                continue
            try:
                append(parse(value))
            except _Bad as bad:
                append(bad)
    if _holds(out, _EMPTY):
        for pos, parsed in enumerate(out):
            if parsed is _EMPTY:
                if required:
                    trouble.add(pos)
                out[pos] = None
    if _Bad in set(map(type, out)):
        for pos, parsed in enumerate(out):
            if parsed.__class__ is _Bad:
                trouble.add(pos)
    return out


def _parse_line(row: int, cells: list, columns: dict[str, int], plan: list, house_columns: list[str]) -> _Line | None:
    """The row parsed, or None for a blank row."""
    width = len(cells)
    values: dict[str, Any] = {}
    missing: list[str] = []
    errors: list[RowError] = []
    filled = False
    strip = _STRIP
    for label, col, parse, required, cache, limit, folded in plan:
        value = cells[col] if col < width else None
        cls = value.__class__
        if cls is str:
            if not value or ((value[0] in strip or value[-1] in strip) and not value.strip(strip)):
                value = None
        if value is None:
            if required:
                missing.append(label)
                values[label] = _BAD
            else:
                values[label] = None
            continue
        filled = True
        if cache is not None and cls is not bool:
            parsed = cache.get(value, _MISS)
            if parsed is _MISS:
                try:
                    parsed = parse(value)
                except _Bad as bad:
                    parsed = bad
                if len(cache) < CACHE_MAX:
                    cache[value] = parsed
        elif limit and cls is str:
            # _limited without the calls: folding only changes non-ASCII text
            parsed = value.strip(strip)
            if len(parsed) > limit or (folded and not parsed.isascii()):
                try:
                    parsed = parse(value)
                except _Bad as bad:
                    parsed = bad
        else:
            try:
                parsed = parse(value)
            except _Bad as bad:
                parsed = bad
        if parsed.__class__ is _Bad:
            errors.append(RowError(row, label, parsed.code, parsed.message))
            parsed = _BAD
        values[label] = parsed
    if not filled:
        return None
    line = _Line(row, cells, columns, values, errors)
    for label in missing:
        line.bad(label, "REQUIRED", f"{label}不能为空")
    return _finish_line(line, house_columns)


def _finish_line(line: _Line, house_columns: list[str]) -> _Line:
    """The checks across the columns of a parsed row, its owner, key and signature."""
    values, errors = line.values, line.errors
    area, inner = values.get(AREA), values.get(INNER_AREA)
    if inner is not None and inner is not _BAD and area is not _BAD and inner > area:
        line.bad(INNER_AREA, "OUT_OF_RANGE", f"套内面积（{inner}）不能大于建筑面积（{area}）")
        values[INNER_AREA] = _BAD
    if values.get(OWNER_NAME) is not None or values.get(ID_TYPE) is not None or values.get(ID_NUMBER) is not None \
            or values.get(PHONE) is not None:
        _parse_owner(line)
    key = (values.get(BUILDING), values.get(UNIT), values[FLOOR], values[ROOM])
    if key[0] is not _BAD and key[1] is not _BAD and key[2] is not _BAD and key[3] is not _BAD:
        line.key = key
    if errors:  # an unreadable value is compared as the text the cell shows
        line.sig = tuple(("raw", _text(line.raw(c))) if values.get(c) is _BAD else values.get(c) for c in house_columns)
    else:
        line.sig = tuple(map(values.get, house_columns))
    return line


_ID_DIGITS_BIAS = ord("0") * sum(ID_WEIGHTS)


def _resident_id(number: str) -> str | None:
    """valid_resident_id, without its normalising and per-character work for the usual plain
    18-character number (which normalising leaves as it is)."""
    if len(number) == 18 and number.isascii() and number[:17].isdigit() and number[17] in "0123456789Xx":
        v = number.upper()
        try:
            born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
        except ValueError:
            return None
        if born.year < 1900 or born > date.today():
            return None
        check = ID_CHECK[(sum(map(operator.mul, v[:17].encode(), ID_WEIGHTS)) - _ID_DIGITS_BIAS) % 11]
        return v if check == v[17] else None
    return valid_resident_id(number)


def _parse_owner(line: _Line) -> None:
    values = line.values
    get = values.get
    if get(OWNER_NAME) is None or get(ID_TYPE) is None or get(ID_NUMBER) is None or get(PHONE) is None:
        for c in OWNER_COLUMNS:
            if get(c) is None:
                line.bad(c, "REQUIRED", f"填写业主时{c}不能为空（业主姓名、证件类型、证件号码、手机号码须同时填写）")
    if values.get(SALES) is SalesStatus.UNSOLD:
        line.bad(SALES, "BAD_VALUE", "销售状态为未售的房屋不能填写业主")
    id_type, number = values.get(ID_TYPE), values.get(ID_NUMBER)
    if isinstance(id_type, IdType) and isinstance(number, str):
        checked: str | None = number
        what = ""
        if id_type is IdType.RESIDENT_ID:
            checked, what = _resident_id(number), "有效的居民身份证号"
        elif id_type is IdType.CREDIT_CODE:
            checked, what = valid_credit_code(number), "有效的统一社会信用代码"
        elif id_type is not IdType.OTHER:
            checked = number.upper()
        if checked is None:
            raw = line.raw(ID_NUMBER)
            hint = "（长数字被表格存成了数值，请把该列设为文本格式后重新填写）" if raw.__class__ in (int, float) else ""
            line.bad(ID_NUMBER, "BAD_ID_NUMBER", f"证件号码「{pii.mask_id_number(_shown(raw))}」不是{what}{hint}")
            values[ID_NUMBER] = _BAD
        else:
            values[ID_NUMBER] = checked
    owner = [values.get(c) for c in OWNER_COLUMNS]
    if all(v is not None and v is not _BAD for v in owner):
        line.owner = OwnerRow(*owner)


def _assemble(lines: list[_Line], with_code: bool) -> tuple[list[HouseRow], list[RowError]]:
    """Groups consecutive rows of one house, finds duplicates and buildings that disagree."""
    assembler = _Assembler(with_code)
    groups = [group for line in lines if (group := assembler.feed(line)) is not None]
    if (last := assembler.finish()) is not None:
        groups.append(last)
    houses: list[HouseRow] = []
    errors: list[RowError] = []
    for group in groups:
        group_errors = [e for line in group for e in line.errors]
        if group_errors:
            errors.extend(group_errors)
            continue
        houses.append(_house(group, assembler.stated, with_code))
    _sort_errors(errors)
    return houses, errors


_ERROR_ORDER = {c: i for i, c in enumerate(HOUSE_COLUMNS)}


def _sort_errors(errors: list[RowError]) -> None:
    errors.sort(key=lambda e: (e.row or 0, _ERROR_ORDER.get(e.column, len(_ERROR_ORDER))))


class _Assembler:
    """Rows into houses, one row at a time: consecutive rows with the same house columns are one
    house with several owners. A row is checked against the rows before it as it comes (a house
    already listed, a 房屋编号 already used) and a house when its last row has come (owners listed
    twice, building columns that disagree with the building's first stated values); no check
    marks an earlier house, so a closed house is final."""

    def __init__(self, with_code: bool) -> None:
        self.with_code = with_code
        self.first_row_of_key: dict[tuple, int] = {}
        self.first_row_of_code: dict[str, int] = {}
        self.group: list[_Line] | None = None
        self.previous_key: tuple | None = None
        self.previous_sig: tuple | None = None
        self.first_stated: dict[tuple[str, str], tuple[Any, int]] = {}
        self.stated: dict[tuple[str, str], Any] = {}  # (building, column) → the value its first row states

    def feed(self, line: _Line) -> list[_Line] | None:
        """Adds a row; returns the house (its rows) that the row closed, if any."""
        key, sig = line.key, line.sig
        if key is not None and self.group is not None and key == self.previous_key and sig == self.previous_sig:
            self.group.append(line)
            return None
        closed = self.group
        self.group = [line]
        self.previous_key, self.previous_sig = key, sig
        if key is not None:
            if key in self.first_row_of_key:
                first = self.first_row_of_key[key]
                if closed is not None and closed[0].key == key:
                    message = f"与第 {first} 行楼幢名称、单元、楼层、房号相同，但其他房屋信息不一致（同一房屋多位业主的各行，房屋信息须完全相同）"
                else:
                    message = f"与第 {first} 行的房屋重复（楼幢名称、单元、楼层、房号相同）"
                line.bad(ROOM, "DUPLICATE", message)
            else:
                self.first_row_of_key[key] = line.row
        code = line.values.get(CODE) if self.with_code else None
        if isinstance(code, str) and code:
            if code in self.first_row_of_code:
                line.bad(CODE, "DUPLICATE", f"房屋编号「{code}」与第 {self.first_row_of_code[code]} 行重复")
            else:
                self.first_row_of_code[code] = line.row
        if closed is not None:
            self._close(closed)
        return closed

    def finish(self) -> list[_Line] | None:
        """The last house, closed."""
        closed, self.group = self.group, None
        if closed is not None:
            self._close(closed)
        return closed

    def _close(self, group: list[_Line]) -> None:
        ids: dict[tuple, int] = {}
        for line in group:
            if line.owner is not None:
                who = (line.owner.id_type, line.owner.id_number)
                if who in ids:
                    line.bad(ID_NUMBER, "DUPLICATE", f"同一房屋的业主证件号码与第 {ids[who]} 行重复")
                else:
                    ids[who] = line.row
        # 建成年代, 建筑结构 and 楼幢地址 agree within a building.
        line = group[0]
        building = line.values.get(BUILDING)
        if not isinstance(building, str):
            return
        for column in BUILDING_COLUMNS:
            value = line.values.get(column)
            if value is None or value is _BAD:
                continue
            known = self.first_stated.get((building, column))
            if known is None:
                self.first_stated[(building, column)] = (value, line.row)
                self.stated[(building, column)] = value
            elif known[0] != value:
                shown = STRUCTURE_NAMES.get(known[0], known[0])
                for each in group:
                    each.bad(column, "BAD_VALUE",
                             f"同一楼幢（{building}）的{_BUILDING_NAMES[column]}应一致：第 {known[1]} 行为「{shown}」")


_BUILDING_NAMES = {BUILT_YEAR: "建成年代", STRUCTURE: "建筑结构", BUILDING_ADDRESS: "楼幢地址"}


def _house(group: list[_Line], stated: dict[tuple[str, str], Any], with_code: bool) -> HouseRow:
    v = group[0].values
    get = v.get
    building = v[BUILDING]
    year, structure, building_address = get(BUILT_YEAR), get(STRUCTURE), get(BUILDING_ADDRESS)
    if year is None:
        year = stated.get((building, BUILT_YEAR))
    if structure is None:
        structure = stated.get((building, STRUCTURE))
    if building_address is None:
        building_address = stated.get((building, BUILDING_ADDRESS))

    return HouseRow(
        row=group[0].row,
        code=(get(CODE) or None) if with_code else None,
        building_name=building,
        built_year=year,
        structure=structure,
        building_address=building_address or None,
        unit=v.get(UNIT) or None,
        floor=v[FLOOR],
        room_number=v[ROOM],
        address=v[ADDRESS],
        usage=v[USAGE],
        layout=v.get(LAYOUT) or None,
        layout_read=LAYOUT in group[0].columns,
        has_elevator=v[ELEVATOR],
        building_area=v[AREA],
        inner_area=v.get(INNER_AREA),
        price=v.get(PRICE),
        sales_status=v[SALES],
        real_estate_unit_number=v.get(UNIT_NUMBER) or None,
        owners=[line.owner for line in group if line.owner is not None],
    )


# ---------------------------------------------------------------- writing

TITLE_FONT_SIZE = 14
WIDTHS = {
    CODE: 16, BUILDING: 12, BUILT_YEAR: 10, STRUCTURE: 10, BUILDING_ADDRESS: 28, UNIT: 8, FLOOR: 7, ROOM: 9,
    ADDRESS: 36, USAGE: 10, LAYOUT: 12, ELEVATOR: 7, AREA: 11, INNER_AREA: 11, PRICE: 14, SALES: 10, UNIT_NUMBER: 32,
    OWNER_NAME: 12, ID_TYPE: 24, ID_NUMBER: 22, PHONE: 14,
}
TEXT_COLUMNS = {CODE, BUILDING, BUILDING_ADDRESS, UNIT, ROOM, ADDRESS, LAYOUT, UNIT_NUMBER, OWNER_NAME, ID_NUMBER, PHONE}
DECIMAL_COLUMNS = {AREA, INNER_AREA, PRICE}
CHOICES = {
    STRUCTURE: list(STRUCTURE_LABELS), USAGE: list(USAGE_LABELS), ELEVATOR: list(ELEVATOR_LABELS),
    SALES: list(SALES_LABELS), ID_TYPE: list(ID_TYPE_LABELS),
}
RULES: dict[str, str] = {
    CODE: "系统导出时填写，用于拆分合并、信息变更时对应原房屋；新增的房屋（拆分合并后的房屋）留空；采集、补充模板中没有此列",
    BUILDING: f"如 1栋；名称相同的房屋属于同一楼幢；不超过 {NAME_MAX} 个字",
    BUILT_YEAR: f"年份，如 2024；{YEAR_MIN} 年至今；同一楼幢须一致",
    STRUCTURE: "、".join(STRUCTURE_LABELS) + "；同一楼幢须一致",
    BUILDING_ADDRESS: f"楼幢的地址；同一楼幢须一致；不超过 {ADDRESS_MAX} 个字",
    UNIT: f"如 1单元 或 1；不超过 {UNIT_MAX} 个字",
    FLOOR: f"整数，地下层用负数（如 -1），{FLOOR_MIN} 至 {FLOOR_MAX}",
    ROOM: f"如 101；同一楼幢内 单元+楼层+房号 不能重复；不超过 {ROOM_MAX} 个字",
    ADDRESS: f"房屋的完整地址；不超过 {ADDRESS_MAX} 个字",
    USAGE: "、".join(USAGE_LABELS),
    LAYOUT: f"如 三房两厅；按原样保存；不超过 {LAYOUT_MAX} 个字",
    ELEVATOR: "有 或 无（也可填 是 或 否）",
    AREA: "平方米，大于 0，不超过 100000，最多两位小数",
    INNER_AREA: "平方米，大于 0，不大于建筑面积，最多两位小数",
    PRICE: "元，不小于 0，最多两位小数",
    SALES: "已售 或 未售；未售房屋不填业主",
    UNIT_NUMBER: f"{UNIT_NUMBER_LENGTH} 位",
    OWNER_NAME: f"业主四列（姓名、证件类型、证件号码、手机号码）要么都填，要么都不填；不超过 {NAME_MAX} 个字",
    ID_TYPE: "、".join(ID_TYPE_LABELS) + "（居民身份证也可填 身份证）",
    ID_NUMBER: "居民身份证号须校验位正确，统一社会信用代码须 18 位且校验正确；请以文本格式填写，避免长数字被截断",
    PHONE: "11 位手机号",
}
NOTES = [
    "一行填写一套房屋的一位业主；有多位业主的房屋，每位业主占一行，各行的房屋信息须完全相同并相邻。",
    "表头（第 2 行）的列名不能修改，列的顺序可以调整，可以增加其他列（导入时忽略）。",
    "空行会被忽略；数字可以是数值或文本，全角数字也可识别。",
    "导入时会一次检查所有行，列出每处错误的行号、列名和原因；全部通过后才会写入。",
]


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    return {
        "title": Font(bold=True, size=TITLE_FONT_SIZE),
        "center": Alignment(horizontal="center", vertical="center"),
        "header_font": Font(bold=True),
        "required_fill": PatternFill("solid", fgColor="FCE4D6"),
        "optional_fill": PatternFill("solid", fgColor="EDEDED"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
    }


def _set_columns(ws, columns: list[str], first_data_row: int, last_data_row: int) -> None:
    """Widths, text format for the code-like columns, and drop-downs for the label columns."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for i, label in enumerate(columns, start=1):
        letter = get_column_letter(i)
        dim = ws.column_dimensions[letter]
        dim.width = WIDTHS[label]
        if label in TEXT_COLUMNS:
            dim.number_format = "@"
        elif label in DECIMAL_COLUMNS:
            dim.number_format = MONEY_FORMAT
        if label in CHOICES:
            dv = DataValidation(type="list", formula1='"' + ",".join(CHOICES[label]) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="请从下拉列表中选择",
                                error="可选值：" + "、".join(CHOICES[label]))
            dv.add(f"{letter}{first_data_row}:{letter}{last_data_row}")
            ws.data_validations.append(dv)


def _header_cells(ws, columns: list[str], title: str | None):
    """The optional merged title row and the header row, as lists of cells."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    style = _styles()
    rows = []
    if title:
        cell = WriteOnlyCell(ws, value=_safe(title))
        cell.font, cell.alignment = style["title"], style["center"]
        rows.append([cell])
        ws.merged_cells.add(f"A1:{get_column_letter(len(columns))}1")
    header = []
    for label in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font, cell.alignment, cell.border = style["header_font"], style["center"], style["border"]
        cell.fill = style["required_fill"] if label in REQUIRED_COLUMNS else style["optional_fill"]
        header.append(cell)
    rows.append(header)
    return rows


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _safe(text: str) -> str:
    return _ILLEGAL.sub("", text)


def _deterministic(data: bytes) -> bytes:
    """The same workbook gives the same bytes (fixed member times), so a stored template is
    recognised by its digest."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def house_template() -> bytes:
    """The import template (.xlsx) for 采集 and 补充: sheet 房屋信息 with a title row and the
    header, drop-downs on the label columns; sheet 填写说明 with every column's rules."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    fixed = datetime(2024, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = "维修资金系统"
    ws = wb.create_sheet("房屋信息")
    columns = TEMPLATE_COLUMNS
    _set_columns(ws, columns, 3, MAX_ROWS + 2)
    ws.freeze_panes = "A3"
    for row in _header_cells(ws, columns, "住宅专项维修资金 房屋信息表（填写说明见第二张工作表“填写说明”）"):
        ws.append(row)

    notes = wb.create_sheet("填写说明")
    notes.freeze_panes = "A2"
    style = _styles()
    for letter, width in zip("ABC", (16, 10, 80)):
        notes.column_dimensions[letter].width = width
    head = []
    for text in ("列名", "是否必填", "填写要求 / 可选值"):
        cell = WriteOnlyCell(notes, value=text)
        cell.font, cell.fill, cell.border = style["header_font"], style["optional_fill"], style["border"]
        head.append(cell)
    notes.append(head)
    for label in columns:
        required = "必填" if label in REQUIRED_COLUMNS else ("业主四列同填" if label in OWNER_COLUMNS else "选填")
        row = []
        for text in (label, required, RULES[label]):
            cell = WriteOnlyCell(notes, value=text)
            cell.alignment, cell.border = style["wrap"], style["border"]
            row.append(cell)
        notes.append(row)
    notes.append([])
    notes.append(["说明"])
    for note in NOTES:
        notes.append(["", "", note])
    out = io.BytesIO()
    wb.save(out)
    return _deterministic(out.getvalue())


def _export_rows(houses: Iterable[HouseRow]) -> Iterator[list[Any]]:
    """The export's cell values, row by row: str, int, Decimal (two places) or None."""
    def text(value: str | None) -> str | None:
        return _safe(value) if value else None

    def money(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(CENT)

    for house in houses:
        front = [
            text(house.code), text(house.building_name), house.built_year,
            STRUCTURE_NAMES.get(house.structure) if house.structure else None,
            text(house.building_address), text(house.unit), house.floor, text(house.room_number), text(house.address),
            USAGE_NAMES[house.usage], text(house.layout), ELEVATOR_NAMES[bool(house.has_elevator)], money(house.building_area),
            money(house.inner_area), money(house.price), SALES_NAMES[house.sales_status],
            text(house.real_estate_unit_number),
        ]
        if not house.owners:
            yield front
        for owner in house.owners:
            yield front + [text(owner.name), ID_TYPE_NAMES[owner.id_type], text(owner.id_number), text(owner.phone)]


def _export_workbook(title: str | None, *, prototype: bool):
    """The export workbook with its title, header, widths and drop-downs; with `prototype`, one
    data row whose cells carry each column's style, for the fast writer to copy."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("房屋信息")
    first_data_row = 3 if title else 2
    _set_columns(ws, HOUSE_COLUMNS, first_data_row, MAX_ROWS + first_data_row)
    ws.freeze_panes = f"C{first_data_row}"
    for row in _header_cells(ws, HOUSE_COLUMNS, title):
        ws.append(row)
    if prototype:
        cells = []
        for label in HOUSE_COLUMNS:
            if label in DECIMAL_COLUMNS:
                cell = WriteOnlyCell(ws, value=Decimal("0.00"))
                cell.number_format = MONEY_FORMAT
            elif label in (BUILT_YEAR, FLOOR):
                cell = WriteOnlyCell(ws, value=0)
            else:
                cell = WriteOnlyCell(ws, value="x")
                if label in TEXT_COLUMNS:
                    cell.number_format = "@"
            cells.append(cell)
        ws.append(cells)
    return wb, ws, first_data_row


def write_house_sheet(houses: Iterable[HouseRow], *, title: str | None = None) -> bytes:
    """The export layout (.xlsx): 房屋编号 first, one row per owner with the house columns
    repeated, one row with empty owner columns for a house without owners. Areas and money are
    numbers shown with two decimals.

    openpyxl makes the workbook (styles, title, header, drop-downs) around one prototype row;
    the data rows are then written as sheet XML in the prototype's styles, which is some twenty
    times faster than openpyxl's per-cell objects (100 000 houses in seconds, not minutes)."""
    fast = _fast_export(title)
    if fast is None:
        return _write_with_openpyxl(houses, title)
    return fast(houses)


SHEET_PATH = "xl/worksheets/sheet1.xml"
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")  # Excel reads _x0041_ as "A"; _x005F_ keeps the "_"


def _xml_text(value: str) -> str:
    value = _safe(value).translate(_XML_ESCAPES)
    if "_x" in value:
        value = _EXCEL_ESCAPE.sub(r"_x005F_\1", value)
    return value


def _fast_export(title: str | None) -> Callable[[Iterable[HouseRow]], bytes] | None:
    """A writer that splices rows into the openpyxl skeleton, or None when the skeleton does not
    look as expected (then openpyxl writes every cell)."""
    from openpyxl.utils import get_column_letter

    wb, _, first = _export_workbook(title, prototype=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    skeleton = buffer.getvalue()
    try:
        xml = zipfile.ZipFile(io.BytesIO(skeleton)).read(SHEET_PATH).decode("utf-8")
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    proto = re.search(rf'<row r="{first}"[^>]*>.*?</row>', xml, re.S)
    if proto is None or xml.count("<sheetData>") != 1:
        return None
    letters = [get_column_letter(i) for i in range(1, len(HOUSE_COLUMNS) + 1)]
    styles: dict[str, str] = {}
    for cell in re.finditer(rf'<c r="([A-Z]+){first}"([^>]*)>', proto.group(0)):
        style = re.search(r'\bs="([0-9]+)"', cell.group(2))
        styles[cell.group(1)] = f' s="{style.group(1)}"' if style else ""
    if list(styles) != letters:
        return None
    head, tail = xml[:proto.start()], xml[proto.end():]
    column_styles = [styles[letter] for letter in letters]

    def write(houses: Iterable[HouseRow]) -> bytes:
        out = io.BytesIO()
        source = zipfile.ZipFile(io.BytesIO(skeleton))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                if info.filename != SHEET_PATH:
                    target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                    continue
                sheet = zipfile.ZipInfo(SHEET_PATH, date_time=info.date_time)
                sheet.compress_type = zipfile.ZIP_DEFLATED
                with target.open(sheet, "w", force_zip64=True) as f:
                    f.write(head.encode("utf-8"))
                    parts: list[str] = []
                    n = first
                    for values in _export_rows(houses):
                        parts.append(f'<row r="{n}">')
                        for letter, style, value in zip(letters, column_styles, values):
                            if value is None:
                                continue
                            if value.__class__ is str:
                                space = ' xml:space="preserve"' if value != value.strip() else ""
                                parts.append(f'<c r="{letter}{n}"{style} t="inlineStr"><is><t{space}>'
                                             f'{_xml_text(value)}</t></is></c>')
                            else:
                                parts.append(f'<c r="{letter}{n}"{style}><v>{value}</v></c>')
                        parts.append("</row>")
                        n += 1
                        if len(parts) > 20_000:
                            f.write("".join(parts).encode("utf-8"))
                            parts.clear()
                    f.write("".join(parts).encode("utf-8"))
                    f.write(tail.encode("utf-8"))
        return out.getvalue()

    return write


def _write_with_openpyxl(houses: Iterable[HouseRow], title: str | None) -> bytes:
    wb, ws, _ = _export_workbook(title, prototype=False)
    for values in _export_rows(houses):
        ws.append(typed_cells(ws, values))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def typed_cells(ws, values: Iterable[Any]) -> list[Any]:
    """A row for ``ws.append`` (any openpyxl sheet) with each value stored as what it is. Text
    stays text: openpyxl makes a str that begins with "=" a live formula, and a name or address
    typed as ``=HYPERLINK(…)`` would run in the reader's Excel (formula injection); Excel's own
    _xHHHH_ escapes are kept literal too. A Decimal is a number shown with two decimals (0.00).
    Every workbook the service writes builds its data rows here."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str):
            value = _safe(value)
            if "_x" in value:
                value = _EXCEL_ESCAPE.sub(r"_x005F_\1", value)
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"  # a string, never a formula
            value = cell
        elif isinstance(value, Decimal):
            value = WriteOnlyCell(ws, value=value)
            value.number_format = MONEY_FORMAT
        row.append(value)
    return row
