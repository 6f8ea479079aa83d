"""The house sheet read: one streaming reader. `HouseSheetStream` yields the houses of a sheet a
part at a time, as soon as their rows are read and checked; `read_house_sheet` is the whole
sheet at once (the stream, listed). The layout is SPEC.md "Workbook layouts" (one row per owner;
房屋编号 only in exports); every column's label, limit and rule is services/houses/fields.py's,
every cell's reading sheets/cells.py's.

Bad rows are never raised: every problem comes back as a `RowError` with its sheet row, column
label and a Chinese message, and no check marks a house once it has been yielded. Only a file
that is not a readable workbook of this template raises, `FileRejected`.

Parsing is the hot path of an import of 100 000 houses (docs/benchmarks.md, "Imports"): a part's
cells are parsed column by column (`_parse_column`), each distinct value of a repeating column
once, and only the rows with a problem are parsed again one by one (`_parse_line`) to name it.
"""

from __future__ import annotations

import io
import itertools
import logging
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import python_calamine as calamine

from core import gc_policy
from core.errors import FileRejected
from models.enums import IdType, SalesStatus
from services.houses.fields import (
    AREA, BUILDING, BUILDING_ADDRESS, BUILDING_COLUMNS, BUILT_YEAR, CODE, COLUMNS, FLOOR, HOUSE_COLUMNS,
    HOUSE_FIELD_COLUMNS, ID_NUMBER, ID_TYPE, INNER_AREA, LAYOUT, OWNER_COLUMNS, OWNER_NAME, OWNERS_MAX, PHONE,
    REQUIRED_COLUMNS, ROOM, SALES, STRUCTURE, STRUCTURE_NAMES, UNIT, BuildingFields, HouseRow, Invalid, OwnerRow,
    check_id_number, check_inner_area, check_owner_count,
)
# The untrusted-file guard, until it moves to sheets/guard.py (another branch of issue 8).
from sheets.guard import DAMAGED, check_file, reject
from sheets.cells import CACHED_COLUMNS, PARSERS, STRIP, TEXT_LIMITS, blank, text as cell_text

__all__ = ["MAX_ROWS", "HouseSheetStream", "RowError", "read_house_sheet"]

log = logging.getLogger("wxfund.workbook")

MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 20
PROGRESS_EVERY = 1000
WHOLE_SHEET = 1 << 30  # a chunk size: the whole sheet in one part
CACHE_MAX = 50_000  # distinct values cached per column

_BAD = object()  # a parsed value that failed
_MISS = object()
_EMPTY = object()  # a cached empty cell


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    code: str
    message: str


# ---------------------------------------------------------------- opening with calamine

def fatal(exc: BaseException) -> bool:
    """Whether an exception must go on (never turned into a refusal of the file)."""
    # A Rust panic inside calamine arrives as pyo3's PanicException, a BaseException.
    return isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


def open_sheet(data: bytes):
    """The sheet 房屋信息 (else the first) of a workbook that passed the guard, by calamine."""
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        if not names:
            raise reject("工作簿中没有工作表")
        index = names.index("房屋信息") if "房屋信息" in names else 0
        return book.get_sheet_by_index(index)
    except FileRejected:
        raise
    except calamine.PasswordError:
        raise reject("工作簿已加密，请取消密码后重新保存再上传") from None
    except BaseException as exc:
        if fatal(exc):
            raise
        raise reject(DAMAGED) from None


# ---------------------------------------------------------------- rows

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
                text = cell.strip(STRIP)
                if text in PARSERS and text not in labels:
                    labels[text] = col
        if set(REQUIRED_COLUMNS) <= labels.keys():
            if with_code and CODE not in labels:
                raise reject("表头缺少「房屋编号」列：拆分合并和信息变更请导入由系统导出的房屋表")
            return index, labels, seen
        if len(labels.keys() & needed) > len(best):
            best = labels.keys() & needed
        if index + 1 >= HEADER_SEARCH_ROWS:
            break
    missing = [c for c in (([CODE] if with_code else []) + list(REQUIRED_COLUMNS)) if c not in best]
    raise reject(f"不是房屋信息模板：第一张工作表的前 {HEADER_SEARCH_ROWS} 行中找不到表头（缺少 {'、'.join(missing)}），"
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
    The file is recognised by its content; `filename` is only for messages.

    The stream, listed (in one part: parsing a column at a time is fastest over the whole
    sheet); a house's building columns left empty take what a later row of its building states."""
    stream = HouseSheetStream(data, filename, with_code=with_code, progress=progress, chunk=WHOLE_SHEET,
                              first_chunk=WHOLE_SHEET)
    houses = [house for part in stream for house in part]
    for house in houses:
        building = stream.buildings.get(house.building_name)
        if building is not None:
            house.built_year = house.built_year if house.built_year is not None else building.built_year
            house.structure = house.structure if house.structure is not None else building.structure
            house.building_address = house.building_address or building.address
    return houses, stream.errors


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
        if fatal(exc):
            raise
        log.warning("house sheet %r could not be read", filename, exc_info=True)
        raise reject(DAMAGED) from None


class HouseSheetStream:
    """The sheet a part at a time, for an import that writes while it reads: iterating yields
    lists of the houses that passed every check, in sheet order, as soon as their rows are read
    (`first_chunk` rows, then `chunk` rows a part). No check marks a house once it has been
    yielded; when the iteration ends, `errors` holds every row error (write nothing if there is
    one) and `buildings` each building's columns as the sheet states them (a house's own building
    columns may be empty, and a later row may state them). Raises like read_house_sheet, during
    the iteration."""

    def __init__(self, data: bytes, filename: str, *, with_code: bool = False,
                 progress: Callable[[int, int], None] | None = None, chunk: int = 2000, first_chunk: int = 500) -> None:
        self.data, self.filename, self.with_code, self.progress, self.chunk = data, filename, with_code, progress, chunk
        self.first_chunk = first_chunk  # short: an import's writing starts as soon as the first part is read
        self.errors: list[RowError] = []
        self.buildings: dict[str, BuildingFields] = {}
        self._stated: dict[tuple[str, str], Any] = {}

    def __iter__(self) -> Iterator[list[HouseRow]]:
        check_file(self.data)
        sheet = open_sheet(self.data)
        with _reading(self.filename):
            assembler = _Assembler(self.with_code)
            self._stated = assembler.stated
            for lines, last_chunk in _lines(sheet, with_code=self.with_code, progress=self.progress,
                                            chunk=self.chunk, first_chunk=min(self.chunk, self.first_chunk)):
                houses = [self._house(group) for line in lines if (group := assembler.feed(line)) is not None]
                # The sheet's last house goes with its last part, not in a part of its own (a sheet
                # without data rows has no part, and no house to close).
                if last_chunk and (group := assembler.finish()) is not None:
                    houses.append(self._house(group))
                yield [h for h in houses if h is not None]
            _sort_errors(self.errors)
            self.buildings = _buildings(self._stated)

    def _house(self, group: list[_Line]) -> HouseRow | None:
        group_errors = [e for line in group for e in line.errors]
        if group_errors:
            self.errors.extend(group_errors)
            return None
        return _house(group, self._stated, self.with_code)


def _buildings(stated: dict[tuple[str, str], Any]) -> dict[str, BuildingFields]:
    names = dict.fromkeys(name for name, _ in stated)
    return {name: BuildingFields(built_year=stated.get((name, BUILT_YEAR)), structure=stated.get((name, STRUCTURE)),
                                 address=stated.get((name, BUILDING_ADDRESS)) or None)
            for name in names}


def _lines(sheet, *, with_code: bool, progress: Callable[[int, int], None] | None,
           chunk: int, first_chunk: int) -> Iterator[list[_Line]]:
    """The parsed data rows (blank rows left out), `first_chunk` rows of the sheet, then `chunk`
    rows at a time, each time with whether they are the sheet's last. Parsing is per cell, with
    the value caches shared by every chunk, so the chunk sizes change nothing."""
    end = sheet.end
    if end is None:
        raise reject("第一张工作表是空的，请下载系统模板填写")
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
                elif (index, col) in covered and blank(cells[col]):
                    cells[col] = anchor_values.get(covered[(index, col)], "")
    # Column by column, the cells that read plainly; the other rows are parsed one by one.
    labels = [entry[0] for entry in plan]
    processed = kept = 0
    starts = [0, *range(first_chunk, len(table), chunk)] if table else []
    for start, end in zip(starts, [*starts[1:], len(table)]):
        part = table[start:end]
        trouble: set[int] = set()
        results = [_parse_column(part, entry, trouble) for entry in plan]
        lines: list[_Line] = []
        for pos, (index, cells, parsed) in enumerate(zip(indices[start:end], part, zip(*results))):
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
                raise reject(f"数据超过 {MAX_ROWS} 行的上限，请分批导入")
            kept += 1
            lines.append(line)
        yield lines, end == len(table)
    if progress is not None:
        progress(processed, processed)


def _holds(items: list, marker: object) -> bool:
    """Whether `marker` is in `items`, by identity (`in` would call every value's __eq__)."""
    return any(map(operator.is_, items, itertools.repeat(marker, len(items))))


def _parse(parse: Callable[[Any], Any], value: Any) -> Any:
    try:
        return parse(value)
    except Invalid as bad:
        return bad


def _parse_cell(value: Any, entry: tuple) -> Any:
    """A cell that is not empty, parsed (an `Invalid` when it is bad): through the column's cache
    of parsed values, or its plain-text shortcut. A bool is never looked up in a cache (True
    would find the value of the number 1)."""
    label, col, parse, required, cache, limit, folded = entry
    if cache is not None and value.__class__ is not bool:
        parsed = cache.get(value, _MISS)
        if parsed is _MISS:
            parsed = _parse(parse, value)
            if len(cache) < CACHE_MAX:
                cache[value] = parsed
        return parsed
    if limit and value.__class__ is str:
        # limited() without the calls: folding only changes non-ASCII text
        text = value.strip(STRIP)
        if len(text) <= limit and (not folded or text.isascii()):
            return text
    return _parse(parse, value)


def _parse_column(table: list[list], entry: tuple, trouble: set[int]) -> list:
    """One column's values for the rows where it reads plainly (a cached value that parsed, a
    plain text, or empty and optional); the positions of the other rows go into `trouble`.
    Whole columns at once, through C-level map() where they can: the import's hot path."""
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
                    parsed = cache.get(value, _MISS)  # a value first met earlier in this loop
                    if parsed is _MISS:
                        parsed = _EMPTY if blank(value) else _parse(parse, value)
                        if len(cache) < CACHE_MAX:
                            cache[value] = parsed
                    out[pos] = parsed
    elif limit and kinds <= {str}:
        stripped = [value.strip(STRIP) for value in cells]
        if max(map(len, stripped)) <= limit and (not folded or "".join(stripped).isascii()):
            out = [text or _EMPTY for text in stripped]
    if out is None:  # inline, not _parse_cell(): it runs on every cell of such a column
        out = []
        append = out.append
        for value in cells:
            if value is None or (value.__class__ is str and not value.strip(STRIP)):
                append(_EMPTY)
                continue
            try:
                append(parse(value))
            except Invalid as bad:
                append(bad)
    if _holds(out, _EMPTY):
        for pos, parsed in enumerate(out):
            if parsed is _EMPTY:
                if required:
                    trouble.add(pos)
                out[pos] = None
    if Invalid in set(map(type, out)):
        for pos, parsed in enumerate(out):
            if parsed.__class__ is Invalid:
                trouble.add(pos)
    return out


def _parse_line(row: int, cells: list, columns: dict[str, int], plan: list, house_columns: list[str]) -> _Line | None:
    """A row one cell at a time (a row `_parse_column` found trouble in), with its errors named;
    None for a blank row."""
    width = len(cells)
    values: dict[str, Any] = {}
    missing: list[str] = []
    errors: list[RowError] = []
    filled = False
    for entry in plan:
        label, col = entry[0], entry[1]
        value = cells[col] if col < width else None
        if blank(value):
            if entry[3]:  # required
                missing.append(label)
                values[label] = _BAD
            else:
                values[label] = None
            continue
        filled = True
        parsed = _parse_cell(value, entry)
        if parsed.__class__ is Invalid:
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
        try:
            check_inner_area(inner, area)
        except Invalid as bad:
            line.bad(INNER_AREA, bad.code, bad.message)
            values[INNER_AREA] = _BAD
    if values.get(OWNER_NAME) is not None or values.get(ID_TYPE) is not None or values.get(ID_NUMBER) is not None \
            or values.get(PHONE) is not None:
        _parse_owner(line)
    key = (values.get(BUILDING), values.get(UNIT), values[FLOOR], values[ROOM])
    if key[0] is not _BAD and key[1] is not _BAD and key[2] is not _BAD and key[3] is not _BAD:
        line.key = key
    if errors:  # an unreadable value is compared as the text the cell shows
        line.sig = tuple(("raw", cell_text(line.raw(c))) if values.get(c) is _BAD else values.get(c) for c in house_columns)
    else:
        line.sig = tuple(map(values.get, house_columns))
    return line


def _parse_owner(line: _Line) -> None:
    values = line.values
    get = values.get
    name, id_type, number, phone = get(OWNER_NAME), get(ID_TYPE), get(ID_NUMBER), get(PHONE)
    if name is None or id_type is None or number is None or phone is None:
        for c in OWNER_COLUMNS:
            if get(c) is None:
                line.bad(c, "REQUIRED", f"填写业主时{c}不能为空（业主姓名、证件类型、证件号码、手机号码须同时填写）")
    if get(SALES) is SalesStatus.UNSOLD:
        try:
            check_owner_count(1, SalesStatus.UNSOLD)
        except Invalid as bad:
            line.bad(SALES, bad.code, bad.message)
    if id_type.__class__ is IdType and number.__class__ is str:
        try:
            values[ID_NUMBER] = number = check_id_number(id_type, number)
        except Invalid as bad:
            raw = line.raw(ID_NUMBER)
            hint = "（长数字被表格存成了数值，请把该列设为文本格式后重新填写）" if raw.__class__ in (int, float) else ""
            line.bad(ID_NUMBER, bad.code, bad.message + hint)
            values[ID_NUMBER] = number = _BAD
    if name is not None and id_type is not None and number is not None and phone is not None \
            and name is not _BAD and id_type is not _BAD and number is not _BAD and phone is not _BAD:
        line.owner = OwnerRow(name, id_type, number, phone)


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
        owners = sum(line.owner is not None for line in group) if len(group) > OWNERS_MAX else 0
        if owners > OWNERS_MAX and group[0].values.get(SALES) is not SalesStatus.UNSOLD:
            try:
                check_owner_count(owners, SalesStatus.SOLD)
            except Invalid as bad:
                group[0].bad(OWNER_NAME, bad.code, bad.message)
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
                first = STRUCTURE_NAMES.get(known[0], known[0])
                for each in group:
                    each.bad(column, "BAD_VALUE",
                             f"同一楼幢（{building}）的{column}应一致：第 {known[1]} 行为「{first}」")


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

    values = dict(zip(_TEXT_ATTRS, [get(label) or None for label in _TEXT_LABELS]))
    values.update(zip(_VALUE_ATTRS, map(get, _VALUE_LABELS)))
    return HouseRow(
        row=group[0].row,
        code=(get(CODE) or None) if with_code else None,
        building_name=building,
        built_year=year,
        structure=structure,
        building_address=building_address or None,
        layout_read=LAYOUT in group[0].columns,
        owners=[line.owner for line in group if line.owner is not None],
        **values,
    )


# The house's own columns as HouseRow takes them, by label and attribute: the text ones (an
# empty text is None) and the others.
_HOUSE_COLUMNS = [c for c in COLUMNS if c.label in HOUSE_FIELD_COLUMNS and c.label not in (CODE, BUILDING, *BUILDING_COLUMNS)]
_TEXT_LABELS = [c.label for c in _HOUSE_COLUMNS if c.kind in ("text", "code")]
_TEXT_ATTRS = [c.attr for c in _HOUSE_COLUMNS if c.kind in ("text", "code")]
_VALUE_LABELS = [c.label for c in _HOUSE_COLUMNS if c.kind not in ("text", "code")]
_VALUE_ATTRS = [c.attr for c in _HOUSE_COLUMNS if c.kind not in ("text", "code")]
