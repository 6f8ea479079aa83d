"""Human-readable numbers from PostgreSQL sequences (unique across processes):
物业区域编号 WY + 8 digits, 房屋编号 FW + 10 digits, 分户账号 JM + 14 digits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def _next(session: AsyncSession, sequence: str, count: int = 1) -> list[int]:
    from services.bulk import take

    return await take(session, sequence, count)


async def estate_code(session: AsyncSession) -> str:
    return f"WY{(await _next(session, 'estate_code_seq'))[0]:08d}"


async def house_codes(session: AsyncSession, count: int) -> list[str]:
    return [f"FW{n:010d}" for n in await _next(session, "house_code_seq", count)]


async def account_numbers(session: AsyncSession, count: int) -> list[str]:
    return [f"JM{n:014d}" for n in await _next(session, "account_number_seq", count)]
