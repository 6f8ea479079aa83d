"""Payments, refunds and deposit standards by id, batched for DataLoaders (the `node` field).
Kept apart from payments_read.py while that module moves into the payments package."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import select

from core.db import Reader
from models import DepositStandard, Payment, Refund
from services.batches import rows_by_id
from services.records import DepositStandardRecord, PaymentRecord, RefundRecord


async def payments_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await rows_by_id(session, select(*Payment.__table__.c), Payment.id, PaymentRecord, ids)


async def refunds_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await rows_by_id(session, select(*Refund.__table__.c), Refund.id, RefundRecord, ids)


async def deposit_standards_by_id(session: Reader, ids: Sequence[int]) -> list[Any]:
    return await rows_by_id(session, select(*DepositStandard.__table__.c), DepositStandard.id, DepositStandardRecord, ids)
