"""The house sheet written: the import template (采集, 补充) and the export (拆分合并, 信息变更, a
house list), in the layout of SPEC.md "Workbook layouts", with the labels, limits and rules of
services/houses/fields.py. The export has a fast writer, which splices rows of sheet XML into a
workbook openpyxl made, and openpyxl's own per-cell writing as its fallback; both write the same
content (tests/test_workbook.py compares them). `typed_cells` builds the data rows of every
other workbook the service writes."""

from __future__ import annotations

import io
import operator
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from services.houses.fields import (
    BUILT_YEAR, CENT, COLUMNS, FLOOR, HOUSE_COLUMNS, OWNER_COLUMNS, REQUIRED_COLUMNS, TEMPLATE_COLUMNS, Column,
    HouseRow,
)
from sheets.cells import MONEY_FORMAT
from sheets.house_reader import MAX_ROWS

__all__ = ["house_template", "typed_cells", "write_house_sheet"]

TITLE_FONT_SIZE = 14
WIDTHS = {c.label: c.width for c in COLUMNS}
TEXT_COLUMNS = {c.label for c in COLUMNS if c.kind in ("text", "code")}  # written in text format, kept as typed
DECIMAL_COLUMNS = {c.label for c in COLUMNS if c.kind == "decimal"}
CHOICES = {c.label: list(c.choices) for c in COLUMNS if c.choices}
RULES = {c.label: c.rule for c in COLUMNS}
NOTES = [
    "一行填写一套房屋的一位业主；有多位业主的房屋，每位业主占一行，各行的房屋信息须完全相同并相邻。",
    "表头（第 2 行）的列名不能修改，列的顺序可以调整，可以增加其他列（导入时忽略）。",
    "空行会被忽略；数字可以是数值或文本，全角数字也可识别。",
    "导入时会一次检查所有行，列出每处错误的行号、列名和原因；全部通过后才会写入。",
]


def _styles():
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


def _text(value: str | None) -> str | None:
    return _safe(value) if value else None


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def _cell_value(column: Column) -> Callable[[Any], Any] | None:
    """How a column's value is written: text made safe, amounts to two places, a label's value as
    its label; None for a number written as it is."""
    if column.names:
        return column.names.get
    if column.kind in ("text", "code"):
        return _text
    return _money if column.kind == "decimal" else None


_HOUSE_PART = [c for c in COLUMNS if c.label not in OWNER_COLUMNS]
_OWNER_PART = [c for c in COLUMNS if c.label in OWNER_COLUMNS]
_house_values = operator.attrgetter(*(c.attr for c in _HOUSE_PART))
_owner_values = operator.attrgetter(*(c.attr for c in _OWNER_PART))
_HOUSE_WRITES = [_cell_value(c) for c in _HOUSE_PART]
_OWNER_WRITES = [_cell_value(c) for c in _OWNER_PART]


def _export_rows(houses: Iterable[HouseRow]) -> Iterator[list[Any]]:
    """The export's cell values, row by row in HOUSE_COLUMNS order: str, int, Decimal (two places)
    or None. A house's columns lead every row of its owners."""
    for house in houses:
        front = [value if write is None else write(value) for write, value in zip(_HOUSE_WRITES, _house_values(house))]
        if not house.owners:
            yield front
        for owner in house.owners:
            yield front + [value if write is None else write(value)
                           for write, value in zip(_OWNER_WRITES, _owner_values(owner))]


def _export_workbook(title: str | None, *, prototype: bool):
    """The export workbook with its title, header, widths and drop-downs; with `prototype`, one
    data row whose cells carry each column's style, for the fast writer to copy."""
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
