"""The renewal sheet (续筹): 房屋编号, 楼幢名称, 单元, 楼层, 房号, 建筑面积, 首期应交, 当前余额,
本次交款金额. Exported with the default amounts, edited in Excel, read back by
importCustomAmounts; a row with 本次交款金额 empty or 0 is left out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

import python_calamine as calamine
from openpyxl import Workbook
from openpyxl.styles import Font

from core.errors import FileRejected
from sheets.house_writer import typed_cells
from sheets.guard import check_file

COLUMNS = ["房屋编号", "楼幢名称", "单元", "楼层", "房号", "建筑面积", "首期应交", "当前余额", "本次交款金额"]
AMOUNT = "本次交款金额"
CODE = "房屋编号"
TWO = Decimal("0.01")


@dataclass(frozen=True)
class RenewalRow:
    code: str
    building_name: str
    unit: str | None
    floor: int
    room_number: str
    building_area: Decimal
    first_deposit: Decimal
    balance: Decimal
    amount: Decimal


@dataclass(frozen=True)
class AmountRow:
    row: int
    code: str
    amount: Decimal


def write(rows: Iterable[RenewalRow]) -> bytes:
    """The sheet with the default amounts: text stored as text, amounts as numbers shown 0.00,
    the header row frozen."""
    wb = Workbook()
    ws = wb.active
    ws.title = "续筹金额"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for r in rows:
        ws.append(typed_cells(ws, [r.code, r.building_name, r.unit, r.floor, r.room_number, r.building_area,
                                   r.first_deposit, r.balance, r.amount]))
    for letter, width in zip("ABCDEFGHI", (16, 10, 8, 6, 8, 10, 12, 12, 14)):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        number = Decimal(text) if not isinstance(value, float) else Decimal(repr(value))
    except InvalidOperation:
        raise ValueError(text)
    if not number.is_finite():
        raise ValueError(text)
    return number


def _first_sheet(data: bytes) -> list[list[Any]]:
    """The first sheet's cells, after the checks of format, size and bombs (sheets/guard.py)."""
    check_file(data)
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [list(row) for row in book.get_sheet_by_index(0).iter_rows()]
    except Exception:
        raise FileRejected("文件已损坏或不是工作簿", field="file") from None


def read(data: bytes, filename: str) -> tuple[list[AmountRow], list[dict[str, Any]]]:
    """Reads 房屋编号 and 本次交款金额 of every row; reports every problem at once."""
    grid = _first_sheet(data)
    header_index = next((i for i, row in enumerate(grid[:20]) if CODE in [str(c).strip() for c in row if c is not None]
                         and AMOUNT in [str(c).strip() for c in row if c is not None]), None)
    if header_index is None:
        raise FileRejected("不是续筹金额表：找不到“房屋编号”和“本次交款金额”列", field="file")
    header = [str(c).strip() if c is not None else "" for c in grid[header_index]]
    code_at, amount_at = header.index(CODE), header.index(AMOUNT)
    rows, errors, seen = [], [], {}
    for offset, raw in enumerate(grid[header_index + 1:]):
        number = header_index + 2 + offset
        cells = list(raw) + [None] * (len(header) - len(raw))
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        code = str(cells[code_at]).strip() if cells[code_at] is not None else ""
        try:
            amount = _decimal(cells[amount_at])
        except ValueError:
            errors.append({"row": number, "column": AMOUNT, "code": "BAD_NUMBER", "message": "本次交款金额应为数字"})
            continue
        if amount is None or amount == 0:
            continue
        if not code:
            errors.append({"row": number, "column": CODE, "code": "REQUIRED", "message": "房屋编号不能为空"})
            continue
        if amount < 0 or amount != amount.quantize(TWO) or amount > Decimal("100000000"):
            errors.append({"row": number, "column": AMOUNT, "code": "OUT_OF_RANGE", "message": "本次交款金额应大于 0，最多两位小数"})
            continue
        if code in seen:
            errors.append({"row": number, "column": CODE, "code": "DUPLICATE", "message": f"房屋编号与第 {seen[code]} 行重复"})
            continue
        seen[code] = number
        rows.append(AmountRow(number, code, amount))
    return rows, errors
