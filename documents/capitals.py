"""An amount in Chinese financial capitals (大写金额), as payment notices, refund forms and
receipts print it. Pure text, so that documents/ renders it without reaching into services/."""

from __future__ import annotations

from decimal import Decimal

_CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CN_PLACES = ("", "拾", "佰", "仟")  # within a group of four digits
_CN_GROUPS = ("", "万", "亿")  # groups of four digits, lowest first
_CN_LIMIT = Decimal(10) ** 12


def chinese_capitals(amount: Decimal) -> str:
    """The amount in Chinese financial capitals (大写金额) as written on bank slips and
    receipts: 1234.56 → 壹仟贰佰叁拾肆元伍角陆分, 100 → 壹佰元整, 0.05 → 伍分, 0 → 零元整,
    -12 → 负壹拾贰元整.

    The rules (中国人民银行《正确填写票据和结算凭证的基本规定》, choosing one form where it
    allows two):
    - digits 零壹贰叁肆伍陆柒捌玖, places 拾佰仟 within groups of four, groups 万 and 亿; a
      leading ten is written 壹拾 (10 → 壹拾元整, 100000 → 壹拾万元整);
    - a run of zeros between non-zero digits gives one 零 (6007.14 → 陆仟零柒元壹角肆分,
      100000001 → 壹亿零壹元整, 1000.10 → 壹仟元零壹角, 16409.02 → 壹万陆仟肆佰零玖元零贰分);
      zeros that end a 万 or 亿 group before a non-zero thousands digit give none (107000.53 →
      壹拾万柒仟元零伍角叁分), and trailing zeros give none;
    - 整 follows 元 when there are no 角 and no 分 (100 → 壹佰元整); nothing follows 角 or 分
      (1000.10 → 壹仟元零壹角, the form the rules allow without 整);
    - below one yuan only the 角 and 分 are written (0.05 → 伍分, 0.50 → 伍角).

    Exact: ``amount`` is a Decimal (or an int or a str Decimal accepts) with at most two
    decimal places by value (1.230 is fine, 1.234 is not) and |amount| < 10¹²; anything else
    raises ValueError (a float raises TypeError: pass Decimal(str(x)))."""
    if isinstance(amount, float):
        raise TypeError("chinese_capitals takes a Decimal, not a float")
    try:
        value = Decimal(amount)
    except Exception as exc:  # InvalidOperation, TypeError
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    if abs(value) >= _CN_LIMIT:
        raise ValueError(f"amount out of range (|amount| must be under 1e12): {amount!r}")
    fen_total = value * 100
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"amount has more than two decimal places: {amount!r}")
    fen_total = int(fen_total)
    sign = "负" if fen_total < 0 else ""
    fen_total = abs(fen_total)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if fen_total == 0:
        return "零元整"

    out: list[str] = []
    if yuan:
        digits = str(yuan)
        pending_zero = False
        for i, ch in enumerate(digits):
            d = int(ch)
            pos = len(digits) - 1 - i  # 0 = the 元 digit
            place, group = pos % 4, pos // 4
            if d == 0:
                pending_zero = True
            else:
                # One 零 for the run of zeros before this digit, except where the run only
                # closes a group and this digit is a thousands digit (壹拾万柒仟, not 壹拾万零柒仟).
                if pending_zero and not (place == 3 and _group_closed(digits, i)):
                    out.append("零")
                pending_zero = False
                out.append(_CN_DIGITS[d] + _CN_PLACES[place])
            if place == 0 and group > 0 and int(digits[max(0, i - 3):i + 1]):
                out.append(_CN_GROUPS[group])  # 万 / 亿 after a group with a non-zero digit
        out.append("元")
        if not jiao and not fen:
            out.append("整")
        elif digits[-1] == "0" or not jiao:
            out.append("零")  # zeros between the last non-zero yuan digit and the 角 / 分
    if jiao:
        out.append(_CN_DIGITS[jiao] + "角")
    if fen:
        out.append(_CN_DIGITS[fen] + "分")
    return sign + "".join(out)


def _group_closed(digits: str, i: int) -> bool:
    """Whether the zeros just before digits[i] all end the next higher group, so that group's
    万 / 亿 already stands between the two non-zero digits (107000 → 壹拾万柒仟); a zero run
    that spans a whole group (100007000 → 壹亿零柒仟) does not count."""
    j = i - 1
    while j >= 0 and digits[j] == "0":
        j -= 1
    pos_i = len(digits) - 1 - i
    pos_j = len(digits) - 1 - j
    return pos_i % 4 == 3 and pos_j // 4 == pos_i // 4 + 1
