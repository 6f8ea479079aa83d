"""Daily numbers (业务单号, 交存通知单号) are drawn in a transaction of their own: a transaction
that drew one and goes on does not hold the day's counter for the others; numbers stay unique."""

import asyncio

from sqlalchemy import select

from core.db import get_sessionmaker
from models import DailyCounter
from services.codes import next_number


async def test_a_transaction_still_open_after_its_draw_does_not_hold_the_next_one():
    sessions = get_sessionmaker()
    async with sessions() as holder:
        await holder.execute(select(1))  # a transaction of its own, open for the whole test
        first = await next_number(holder, "ZT", 4)
        async with sessions() as other:
            await other.execute(select(1))
            # Before, this waited for `holder` to commit (here: forever, as holder waits for it).
            second = await asyncio.wait_for(next_number(other, "ZT", 4), 60)
            await other.commit()
        third = await next_number(holder, "ZT", 4)
        await holder.rollback()  # its numbers are not given back: a gap, never a duplicate
    async with sessions() as after:
        fourth = await next_number(after, "ZT", 4)
        counter = await after.scalar(select(DailyCounter.value).where(DailyCounter.name == "ZT"))
    start = int(first[-4:])
    assert [int(n[-4:]) for n in (first, second, third, fourth)] == [start, start + 1, start + 2, start + 3]
    assert counter == start + 3


async def test_concurrent_draws_get_distinct_numbers():
    sessions = get_sessionmaker()

    async def draw() -> str:
        async with sessions() as session:
            await session.execute(select(1))
            number = await next_number(session, "JC", 5)
            await session.commit()
            return number

    numbers = await asyncio.gather(*(draw() for _ in range(30)))
    assert len(set(numbers)) == 30
    drawn = sorted(int(n[-5:]) for n in numbers)
    assert drawn == list(range(drawn[0], drawn[0] + 30))
