"""Human-readable numbers from PostgreSQL sequences (unique across processes):
物业区域编号 WY + 8 digits, 房屋编号 FW + 10 digits, 分户账号 JM + 14 digits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.bulk import take


async def estate_code(session: AsyncSession) -> str:
    return f"WY{(await take(session, 'estate_code_seq', 1))[0]:08d}"


async def house_codes(session: AsyncSession, count: int) -> list[str]:
    return [f"FW{n:010d}" for n in await take(session, "house_code_seq", count)]


async def account_numbers(session: AsyncSession, count: int) -> list[str]:
    return [f"JM{n:014d}" for n in await take(session, "account_number_seq", count)]
