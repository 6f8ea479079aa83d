"""分户账 ledger: append-only entries per house; the house keeps its totals in step, in the same
transaction. Amounts are signed: DEPOSIT and TRANSFER_IN positive, REFUND and TRANSFER_OUT
negative. balance = Σ all entries; depositPaid = Σ of every entry but ADJUSTMENT
(= Σ DEPOSIT + Σ TRANSFER_IN − Σ TRANSFER_OUT − Σ REFUND)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import House, LedgerEntry
from models.enums import LedgerKind

SIGN = {LedgerKind.DEPOSIT: 1, LedgerKind.TRANSFER_IN: 1, LedgerKind.REFUND: -1, LedgerKind.TRANSFER_OUT: -1}


async def post(session: AsyncSession, house_id: int, kind: LedgerKind, amount: Decimal, memo: str | None = None) -> LedgerEntry:
    """Appends one entry. `amount` is the magnitude for DEPOSIT / REFUND / TRANSFER_*, signed for ADJUSTMENT."""
    house = await session.scalar(select(House).where(House.id == house_id).with_for_update())
    return _append(session, house, kind, amount, memo)


async def post_many(session: AsyncSession, postings: Sequence[tuple[int, Decimal]], kind: LedgerKind,
                    memo: str | None = None) -> list[LedgerEntry]:
    """post() for several (house id, amount) at once, in their order: the houses locked in one
    statement (in id order, as concurrent lockers of the same houses must take them), the entries
    written by one flush. One house at a time, a 10-house bank confirmation was 30 round trips."""
    ids = sorted({house_id for house_id, _ in postings})
    houses = {h.id: h for h in await session.scalars(
        select(House).where(House.id.in_(ids)).order_by(House.id).with_for_update())}
    return [_append(session, houses[house_id], kind, amount, memo) for house_id, amount in postings]


def _append(session: AsyncSession, house: House, kind: LedgerKind, amount: Decimal, memo: str | None) -> LedgerEntry:
    signed = Decimal(amount) * SIGN.get(kind, 1)
    house.balance = house.balance + signed
    if kind != LedgerKind.ADJUSTMENT:
        house.deposit_paid = house.deposit_paid + signed
    entry = LedgerEntry(house_id=house.id, kind=kind, amount=signed, balance_after=house.balance, memo=memo)
    session.add(entry)
    return entry
