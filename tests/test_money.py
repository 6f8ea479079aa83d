"""Money arithmetic (services/payments/money.py): 大写 amounts, rounding half up, splitting a total by
weights. Property-based (hypothesis) plus known examples; exact arithmetic via Fraction as the
reference."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.capitals import chinese_capitals
from services.payments.money import round_fen, round_yuan, split_by_weight

# The autouse database fixture of conftest runs once per test, not per example: harmless here.
props = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ALLOWED = set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整负")
LIMIT = 10**12


def fen_amounts(min_fen: int = -(LIMIT * 100 - 1), max_fen: int = LIMIT * 100 - 1):
    """Decimal amounts with two places, spread over every magnitude (many zeros in them too)."""
    plain = st.integers(min_fen, max_fen)
    # digits drawn from a zero-heavy alphabet, to exercise the 零 rules
    zeroy = st.text("0000000123456789", min_size=1, max_size=14).map(int).filter(lambda n: n <= max_fen)
    signed = st.tuples(zeroy, st.booleans()).map(lambda t: -t[0] if t[1] and min_fen < 0 else t[0])
    return st.one_of(plain, signed.filter(lambda n: min_fen <= n <= max_fen)).map(lambda n: Decimal(n).scaleb(-2))


# ---------------------------------------------------------------------------------------------
# a small parser of 大写 amounts, the inverse the round trip checks against

DIGIT = {ch: i for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def parse_group(text: str) -> int:
    """壹仟零伍拾 → 1050 (a group below 万; 零 carries no value)."""
    total, digit = 0, None
    for ch in text:
        if ch == "零":
            continue
        if ch in DIGIT:
            assert digit is None, f"two digits in a row in {text!r}"
            digit = DIGIT[ch]
        elif ch in PLACE:
            assert digit is not None, f"place without a digit in {text!r} (拾 must be 壹拾)"
            total += digit * PLACE[ch]
            digit = None
        else:
            raise AssertionError(f"unexpected {ch!r} in {text!r}")
    return total + (digit or 0)


def parse_capitals(text: str) -> Decimal:
    negative = text.startswith("负")
    if negative:
        text = text[1:]
    fen = 0
    if "元" in text:
        integer, _, text = text.partition("元")
        yi, _, integer = integer.rpartition("亿") if "亿" in integer else ("", "", integer)
        wan, _, integer = integer.rpartition("万") if "万" in integer else ("", "", integer)
        fen += (parse_group(yi) * 10**8 + parse_group(wan) * 10**4 + parse_group(integer)) * 100
    if text == "整":
        text = ""
    text = text.removeprefix("零")
    if "角" in text:
        jiao, _, text = text.partition("角")
        assert len(jiao) == 1
        fen += DIGIT[jiao] * 10
    if "分" in text:
        f, _, text = text.partition("分")
        assert len(f) == 1
        fen += DIGIT[f]
    assert text == "", f"left over: {text!r}"
    return Decimal(-fen if negative else fen).scaleb(-2)


# ---------------------------------------------------------------------------------------------
# chinese_capitals

KNOWN = [
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("100", "壹佰元整"),
    ("100.00", "壹佰元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.15", "壹角伍分"),
    ("0", "零元整"),
    ("1000.10", "壹仟元零壹角"),
    ("10", "壹拾元整"),
    ("110", "壹佰壹拾元整"),
    ("1409.50", "壹仟肆佰零玖元伍角"),  # the PBOC rules' own examples:
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("100000", "壹拾万元整"),
    ("100010", "壹拾万零壹拾元整"),
    ("100000001", "壹亿零壹元整"),
    ("100007000", "壹亿零柒仟元整"),
    ("100100000", "壹亿零壹拾万元整"),
    ("1000000000", "壹拾亿元整"),
    ("20000000000.01", "贰佰亿元零壹分"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-12", "负壹拾贰元整"),
    ("-0.01", "负壹分"),
    ("-0.00", "零元整"),
    ("1.230", "壹元贰角叁分"),  # two places by value
]


@pytest.mark.parametrize("amount, expected", KNOWN)
def test_known_capitals(amount, expected):
    assert chinese_capitals(Decimal(amount)) == expected
    assert parse_capitals(expected) == Decimal(amount)


@pytest.mark.parametrize("amount", ["1.234", "0.001", "1e12", "-1e12", "1000000000000", "NaN", "Infinity", "abc"])
def test_capitals_refuse(amount):
    with pytest.raises(ValueError):
        chinese_capitals(Decimal(amount) if amount != "abc" else amount)


def test_capitals_refuse_float_and_take_int():
    with pytest.raises(TypeError):
        chinese_capitals(1.5)
    assert chinese_capitals(7) == "柒元整"


@props
@given(fen_amounts())
def test_capitals_round_trip(amount):
    text = chinese_capitals(amount)
    assert set(text) <= ALLOWED, text
    assert parse_capitals(text) == amount, text


@props
@given(fen_amounts())
def test_capitals_form(amount):
    text = chinese_capitals(amount)
    assert text.startswith("负") == (amount < 0)
    assert "零零" not in text and not text.startswith(("零", "负零")) or text == "零元整"
    assert text.endswith(("整", "角", "分"))
    assert text.endswith("整") == (amount == amount.to_integral_value())
    assert "拾" not in text or all(text[i - 1] in DIGIT for i, ch in enumerate(text) if ch == "拾")  # 壹拾, never 拾
    assert not text.endswith("零元整") or amount == 0
    assert "零万" not in text and "零亿" not in text and "亿万" not in text
    assert "零元" not in text or amount == 0


# ---------------------------------------------------------------------------------------------
# round_fen / round_yuan: half up (away from zero for halves)


def half_up(value: Decimal, quantum: Fraction) -> Fraction:
    exact = Fraction(value) / quantum
    rounded = math.floor(abs(exact) + Fraction(1, 2))
    return (rounded if exact >= 0 else -rounded) * quantum


decimals = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False,
                       allow_infinity=False)


@props
@given(decimals)
def test_round_fen_half_up(value):
    result = round_fen(value)
    assert result.as_tuple().exponent == -2
    assert Fraction(result) == half_up(value, Fraction(1, 100))


@props
@given(decimals)
def test_round_yuan_half_up(value):
    result = round_yuan(value)
    assert result.as_tuple().exponent == -2
    assert Fraction(result) == half_up(value, Fraction(1))


@pytest.mark.parametrize("value, fen, yuan", [
    ("0.005", "0.01", "0.00"), ("2.675", "2.68", "3.00"), ("12.50", "12.50", "13.00"), ("12.49", "12.49", "12.00"),
    ("-0.005", "-0.01", "0.00"), ("-12.5", "-12.50", "-13.00"), ("0.004999", "0.00", "0.00"),
])
def test_rounding_examples(value, fen, yuan):
    assert round_fen(Decimal(value)) == Decimal(fen) and str(round_fen(Decimal(value))) == fen
    assert round_yuan(Decimal(value)) == Decimal(yuan)


# ---------------------------------------------------------------------------------------------
# split_by_weight

totals = st.integers(0, 10**11).map(lambda n: Decimal(n).scaleb(-2))
weights = st.lists(st.integers(0, 10**8).map(lambda n: Decimal(n).scaleb(-2)), min_size=1, max_size=40)


@props
@given(totals, weights)
def test_split_adds_up_and_floors(total, ws):
    shares = split_by_weight(total, ws)
    assert len(shares) == len(ws)
    assert sum(shares, Decimal(0)) == total
    assert all(s.as_tuple().exponent == -2 for s in shares)
    assert all(s >= 0 for s in shares)
    whole = sum(ws, Decimal(0))
    for share, w in zip(shares[:-1], ws[:-1]):
        if whole > 0:
            exact = Fraction(total) * Fraction(w) / Fraction(whole)
            assert Fraction(share) == Fraction(math.floor(exact * 100), 100), (share, exact)
        else:
            assert share == 0


@props
@given(st.integers(-10**9, 10**9).map(lambda n: Decimal(n).scaleb(-2)), weights)
def test_split_always_adds_up(total, ws):
    assert sum(split_by_weight(total, ws), Decimal(0)) == total


def test_split_examples():
    assert split_by_weight(Decimal("200.00"), [Decimal(1)] * 3) == [Decimal("66.66"), Decimal("66.66"), Decimal("66.68")]
    assert split_by_weight(Decimal("10"), [Decimal(0), Decimal(0)]) == [Decimal("0.00"), Decimal("10.00")]
    assert split_by_weight(Decimal("10"), []) == []
    assert split_by_weight(Decimal("0.01"), [Decimal(1), Decimal(1)]) == [Decimal("0.00"), Decimal("0.01")]
