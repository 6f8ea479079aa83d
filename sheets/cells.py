"""Cells of a house sheet into values: any cell (text, number, date, bool, as Excel, WPS and
LibreOffice store them) read as text, a number or a label, then checked by the house's own rules
(services/houses/fields.py, which states every label and limit). A bad cell raises
`fields.Invalid`, which the reader turns into a row error; nothing else is raised."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from models.enums import BuildingStructure, HouseUsage, IdType, SalesStatus
from services.houses.fields import (
    AREA, BUILT_YEAR, COLUMNS, ELEVATOR, ELEVATOR_ALIASES, ELEVATOR_LABELS, FLOOR, ID_TYPE,
    ID_TYPE_ALIASES, ID_TYPE_LABELS, INNER_AREA, PHONE, PRICE, SALES, SALES_LABELS, STRUCTURE, STRUCTURE_LABELS,
    UNIT_NUMBER, USAGE, USAGE_LABELS, YEAR_MIN, Column, Invalid, check_area, check_floor, check_phone, check_price,
    check_text, check_unit_number,
)

MONEY_FORMAT = "0.00"  # amounts and areas: a number shown with two decimals
STRIP = " \t\r\n\u3000\xa0\u200b\ufeff"  # what trimming a cell removes
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def blank(value: Any) -> bool:
    if value.__class__ is str:
        return not value or not value.strip(STRIP)
    return value is None


def _float_text(x: float) -> str:
    """A float as Excel shows it: 15 significant digits, so 0.1+0.2 reads 0.3, 12.0 reads 12."""
    if not math.isfinite(x):
        return str(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(Decimal(format(x, ".15g")), "f")


def text(value: Any) -> str:
    """Any cell as trimmed text ("" when empty)."""
    cls = value.__class__
    if cls is str:
        return value.strip(STRIP)
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
    return str(value).strip(STRIP)


def folded(value: Any) -> str:
    """Text with full-width digits and letters folded (NFKC), for codes, numbers and labels."""
    s = value.strip(STRIP) if value.__class__ is str else text(value)
    return s if s.isascii() else unicodedata.normalize("NFKC", s).strip(STRIP)


def shown(value: Any) -> str:
    """A cell as a message quotes it (at most 30 characters)."""
    s = text(value)
    return s if len(s) <= 30 else s[:30] + "…"


def decimal(value: Any, label: str) -> Decimal:
    cls = value.__class__
    if cls is float:
        if not math.isfinite(value):
            raise Invalid("BAD_NUMBER", f"{label}不是有效的数字")
        return Decimal(format(value, ".15g"))
    if cls is int:
        return Decimal(value)
    if cls is str:
        s = folded(value).replace("−", "-")
        if _THOUSANDS.fullmatch(s):
            s = s.replace(",", "")
        if NUMBER_TEXT.fullmatch(s):
            return Decimal(s)
    raise Invalid("BAD_NUMBER", f"{label}「{shown(value)}」不是有效的数字")


def integer(value: Any, label: str) -> int:
    d = decimal(value, label)
    if d != d.to_integral_value():
        raise Invalid("BAD_NUMBER", f"{label}「{shown(value)}」应为整数")
    if abs(d) > 10**9:
        raise Invalid("OUT_OF_RANGE", f"{label}「{shown(value)}」超出范围")
    return int(d)


def label(value: Any, column: str, allowed: dict[str, Any], listed: dict[str, Any]) -> Any:
    """A label cell (房屋用途 住宅 …) as its value; `listed` are the labels a message offers."""
    found = allowed.get(value) if value.__class__ is str else None
    if found is not None:
        return found
    found = allowed.get(folded(value))
    if found is None:
        raise Invalid("BAD_VALUE", f"{column}「{shown(value)}」不是允许的值，应为：{'、'.join(listed)}")
    return found


def limited(value: Any, column: str, limit: int, *, fold: bool) -> str:
    return check_text(folded(value) if fold else text(value), column, limit)


def parse_year(v: Any) -> int:
    if isinstance(v, (date, datetime)):
        year = v.year
    else:
        if v.__class__ is str and folded(v).endswith("年"):
            v = folded(v)[:-1]
        year = integer(v, BUILT_YEAR)
    this_year = date.today().year
    if not YEAR_MIN <= year <= this_year:
        raise Invalid("OUT_OF_RANGE", f"建成年代「{year}」应在 {YEAR_MIN} 至 {this_year} 年之间")
    return year


def parse_structure(v: Any) -> BuildingStructure:
    return label(v, STRUCTURE, STRUCTURE_LABELS, STRUCTURE_LABELS)


def parse_floor(v: Any) -> int:
    if v.__class__ is str and not NUMBER_TEXT.fullmatch(folded(v).replace("−", "-")):
        raise Invalid("BAD_NUMBER", f"楼层「{shown(v)}」应为整数，地下层用负数，如 -1")
    return check_floor(integer(v, FLOOR))


def parse_usage(v: Any) -> HouseUsage:
    return label(v, USAGE, USAGE_LABELS, USAGE_LABELS)


def parse_elevator(v: Any) -> bool:
    if v.__class__ is bool:
        return v
    return label(v, ELEVATOR, ELEVATOR_ALIASES, ELEVATOR_LABELS)


def parse_area(v: Any) -> Decimal:
    return check_area(decimal(v, AREA), AREA, shown(v))


def parse_inner_area(v: Any) -> Decimal:
    return check_area(decimal(v, INNER_AREA), INNER_AREA, shown(v))


def parse_price(v: Any) -> Decimal:
    return check_price(decimal(v, PRICE), shown(v))


def parse_sales(v: Any) -> SalesStatus:
    return label(v, SALES, SALES_LABELS, SALES_LABELS)


def parse_unit_number(v: Any) -> str:
    return check_unit_number(folded(v))


def parse_id_type(v: Any) -> IdType:
    return label(v, ID_TYPE, ID_TYPE_ALIASES, ID_TYPE_LABELS)


def parse_phone(v: Any) -> str:
    return check_phone(folded(v))


def _text_parser(column: Column) -> Callable[[Any], str]:
    fold = column.kind == "code"  # codes and numbers are folded; names and addresses kept as typed
    return lambda v: limited(v, column.label, column.limit, fold=fold)


# The columns whose values are not plain text within a limit; every other column is read as such.
_SPECIAL: dict[str, Callable[[Any], Any]] = {
    BUILT_YEAR: parse_year, STRUCTURE: parse_structure, FLOOR: parse_floor, USAGE: parse_usage,
    ELEVATOR: parse_elevator, AREA: parse_area, INNER_AREA: parse_inner_area, PRICE: parse_price, SALES: parse_sales,
    UNIT_NUMBER: parse_unit_number, ID_TYPE: parse_id_type, PHONE: parse_phone,
}
PARSERS: dict[str, Callable[[Any], Any]] = {c.label: _SPECIAL.get(c.label) or _text_parser(c) for c in COLUMNS}
# Columns whose values repeat from row to row: each distinct cell value is parsed once.
CACHED_COLUMNS = frozenset(c.label for c in COLUMNS if c.repeats)
# Text columns read without calling their parser when a cell is a plain str: (limit, folded).
TEXT_LIMITS: dict[str, tuple[int, bool]] = {
    c.label: (c.limit, c.kind == "code") for c in COLUMNS
    if c.kind in ("text", "code") and c.limit and not c.repeats and c.label not in _SPECIAL
}
