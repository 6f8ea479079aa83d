"""Money arithmetic, written once. Amounts are Decimal yuan with two places (fen)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
YUAN = Decimal("1")


def round_fen(value: Decimal) -> Decimal:
    """To the fen, half up (0.005 → 0.01)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def round_yuan(value: Decimal) -> Decimal:
    """To the whole yuan, half up, kept with two places (12.50 → 13.00)."""
    return Decimal(value).quantize(YUAN, rounding=ROUND_HALF_UP).quantize(FEN)


def floor_fen(value: Decimal) -> Decimal:
    """Down to the fen, toward zero (66.666… → 66.66)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


def split_by_weight(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Shares of `total` in proportion to `weights`: each but the last rounded down to the fen,
    the last the rest, so the shares add up to `total` exactly (200.00 over three equal
    weights: 66.66, 66.66, 66.68)."""
    if not weights:
        return []
    whole = sum(weights, Decimal(0))
    if whole <= 0:
        return [Decimal("0.00")] * (len(weights) - 1) + [Decimal(total).quantize(FEN)]
    shares = [floor_fen(total * w / whole) for w in weights[:-1]]
    return shares + [Decimal(total).quantize(FEN) - sum(shares, Decimal(0))]
