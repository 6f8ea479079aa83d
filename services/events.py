"""Live events through Redis pub/sub, so a subscriber on any API process hears a change made
by any API process or worker. Channels: `job:{id}` (the job changed), `applications` (an
application's status changed), `user:{id}:sessions` (a login of the user ended or the user
changed: token caches forget the user, live subscriptions re-check their login)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.exceptions import RedisError

from core.redis import get_redis

log = logging.getLogger("wxfund.events")

APPLICATIONS = "applications"
PAYMENTS = "payments"


def job_channel(job_id: int) -> str:
    return f"job:{job_id}"


def user_sessions_channel(user_id: int) -> str:
    return f"user:{user_id}:sessions"


USER_SESSIONS_PATTERN = "user:*:sessions"  # every user's, for a process-wide listener


async def publish(channel: str, payload: dict[str, Any]) -> None:
    """Best effort: the database already holds the change, so Redis being away (subscribers
    then hear nothing, and re-read on reconnecting) never fails the work that made it."""
    try:
        await get_redis().publish(channel, json.dumps(payload, ensure_ascii=False, default=str))
    except (RedisError, OSError) as exc:
        log.warning("event on %s not published (%s)", channel, type(exc).__name__)


@asynccontextmanager
async def listen(*channels: str) -> AsyncIterator[AsyncIterator[tuple[str, dict[str, Any]]]]:
    """Subscribes before yielding, so nothing published after entry is missed."""
    pubsub = get_redis().pubsub()
    await pubsub.subscribe(*channels)

    async def messages() -> AsyncIterator[tuple[str, dict[str, Any]]]:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                yield message["channel"], json.loads(message["data"])

    try:
        yield messages()
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()
