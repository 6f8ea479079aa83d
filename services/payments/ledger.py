"""分户账 ledger: append-only entries per house; the house keeps its totals in step, in the same
transaction. Amounts are signed: DEPOSIT and TRANSFER_IN positive, REFUND and TRANSFER_OUT
negative. balance = Σ all entries; depositPaid = Σ of every entry but ADJUSTMENT
(= Σ DEPOSIT + Σ TRANSFER_IN − Σ TRANSFER_OUT − Σ REFUND)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import House, LedgerEntry
from models.enums import LedgerKind

SIGN = {LedgerKind.DEPOSIT: 1, LedgerKind.TRANSFER_IN: 1, LedgerKind.REFUND: -1, LedgerKind.TRANSFER_OUT: -1}


async def post(session: AsyncSession, house_id: int, kind: LedgerKind, amount: Decimal, memo: str | None = None) -> LedgerEntry:
    """Appends one entry. `amount` is the magnitude for DEPOSIT / REFUND / TRANSFER_*, signed for ADJUSTMENT."""
    house = await session.scalar(select(House).where(House.id == house_id).with_for_update())
    signed = Decimal(amount) * SIGN.get(kind, 1)
    house.balance = house.balance + signed
    if kind != LedgerKind.ADJUSTMENT:
        house.deposit_paid = house.deposit_paid + signed
    entry = LedgerEntry(house_id=house_id, kind=kind, amount=signed, balance_after=house.balance, memo=memo)
    session.add(entry)
    return entry
