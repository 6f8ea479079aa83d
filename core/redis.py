"""The Redis client of this process (login throttling, pub/sub, the arq queue)."""

from __future__ import annotations

from redis.asyncio import Redis

from core.config import get_settings

_client: Redis | None = None


def get_redis() -> Redis:
    global _client
    if _client is None:
        _client = Redis.from_url(get_settings().redis_url, decode_responses=True)
    return _client


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
    _client = None
