"""Scalars of the contract, strict on input: Decimal only as a JSON string of plain ASCII digits
(no numbers, exponents, NaN, no full-width or other scripts' digits), DateTime only with an offset (output in +08:00), Date as YYYY-MM-DD."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import strawberry
from graphql import StringValueNode

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
# [0-9], not \d: \d also matches full-width and Arabic-Indic digits, which Decimal() would accept.
DECIMAL_TEXT = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,10})?")
TWO_PLACES = Decimal("0.01")


def parse_decimal(value: object) -> Decimal:
    if not isinstance(value, str) or not DECIMAL_TEXT.fullmatch(value):
        raise ValueError("数值应以字符串传入，如 \"123.45\"（不接受 JSON 数字、指数、NaN）")
    return Decimal(value)


def format_decimal(value: Decimal) -> str:
    """Money and areas with exactly two decimals; finer values (rates, shares) with up to six."""
    if type(value) is Decimal:
        # Money read from a numeric(…, 2) column already has two places, and its str is the
        # answer (a tree of 10 000 houses formats 60 000 of them): quantize only the others.
        text = str(value)
        if text[-3:-2] == "." and "E" not in text:
            return text
    value = Decimal(value)
    if value == value.quantize(TWO_PLACES):
        return str(value.quantize(TWO_PLACES))
    return format(value.quantize(Decimal("0.000001")).normalize(), "f")


def _literal(parse):
    def parse_literal(node, _variables=None):
        if not isinstance(node, StringValueNode):
            raise ValueError("应为字符串")
        return parse(node.value)

    return parse_literal


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("日期时间应为 ISO 8601 字符串")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("日期时间必须带时区偏移，如 2026-11-27T09:30:00+08:00")
    return parsed


def format_datetime(value: datetime) -> str:
    return value.astimezone(CHINA).isoformat()


def parse_date(value: object) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("日期应为 YYYY-MM-DD")
    return date.fromisoformat(value)


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description="Exact decimal as a JSON string matching -?\\d+(\\.\\d+)?. JSON numbers, exponents, NaN and "
    "Infinity are refused (VALIDATION_FAILED). Money and areas are output with exactly two decimals (\"0.00\"); "
    "rates with up to six.",
    serialize=format_decimal,
    parse_value=parse_decimal,
    parse_literal=_literal(parse_decimal),
)

DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 with an offset; output in +08:00; input without an offset is refused (VALIDATION_FAILED).",
    serialize=format_datetime,
    parse_value=parse_datetime,
    parse_literal=_literal(parse_datetime),
)

DateScalar = strawberry.scalar(
    name="Date",
    description="A calendar day, YYYY-MM-DD, in Asia/Shanghai.",
    serialize=lambda d: d.isoformat(),
    parse_value=parse_date,
    parse_literal=_literal(parse_date),
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar, datetime: DateTimeScalar, date: DateScalar}
