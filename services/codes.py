"""Human-readable numbers from PostgreSQL sequences (unique across processes):
物业区域编号 WY + 8 digits, 房屋编号 FW + 10 digits, 分户账号 JM + 14 digits; and the daily
numbers of applications (业务单号) and payment notices (交存通知单号) from a counter table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_counter_engine
from models import DailyCounter
from services.bulk import take

CHINA = timezone(timedelta(hours=8))  # the day of a daily number is Asia/Shanghai's


async def estate_code(session: AsyncSession) -> str:
    return f"WY{(await take(session, 'estate_code_seq', 1))[0]:08d}"


HOUSE_CODE_SEQUENCE = "house_code_seq"


def house_code(n: int) -> str:
    """The 房屋编号 of a value of HOUSE_CODE_SEQUENCE."""
    return f"FW{n:010d}"


async def house_codes(session: AsyncSession, count: int) -> list[str]:
    return [house_code(n) for n in await take(session, HOUSE_CODE_SEQUENCE, count)]


async def account_numbers(session: AsyncSession, count: int) -> list[str]:
    return [f"JM{n:014d}" for n in await take(session, "account_number_seq", count)]


async def next_number(session: AsyncSession, prefix: str = "YW", digits: int = 4) -> str:
    """业务单号: prefix + date (Asia/Shanghai) + a daily sequence, e.g. YW202611270001
    (交存通知单号 use JC and 5 digits). Drawn in a transaction of its own, committed at once, not in
    the caller's (`session` is not used): the day's counter row stayed locked until the caller
    committed, and every creation and notice issue of the day queued behind it. A caller that rolls
    back leaves a gap; numbers stay unique (SPEC asks unique, not gap-free; docs/decisions.md, fanout)."""
    today = datetime.now(CHINA).date()
    async with get_counter_engine().connect() as connection:
        value = await connection.scalar(
            pg_insert(DailyCounter).values(name=prefix, day=today, value=1)
            .on_conflict_do_update(index_elements=["name", "day"], set_={"value": DailyCounter.value + 1})
            .returning(DailyCounter.value)
        )
    return f"{prefix}{today:%Y%m%d}{value:0{digits}d}"
