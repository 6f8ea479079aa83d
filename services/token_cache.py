"""The bearer tokens this process checked lately, so that an authenticated request costs no
database round trip (services/auth.check_token).

Right on every process at once: whatever ends a login or changes a user (logout, password
change, deactivation, new roles or name) calls auth.sessions_changed(user_id) after its commit.
That forgets the user here and publishes `user:{id}:sessions` on Redis, and each process's
listener forgets the user when the message arrives. Entries also expire after
TOKEN_CACHE_SECONDS (a safety net for a message lost on a broken connection) and never outlive
their token. While the listener is not subscribed (Redis unreachable, reconnecting) nothing is
served from or stored in the cache, so every request reads the database; each (re)subscription
starts with an empty cache, as messages may have been missed in between."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from core.redis import get_redis
from services import events

log = logging.getLogger("wxfund.auth")

MAX_ENTRIES = 50_000
RETRY_SECONDS = (0.5, 1, 2, 5, 10)


class TokenCache:
    def __init__(self) -> None:
        self._entries: dict[bytes, tuple[float, int, Any]] = {}  # token hash → (deadline, user id, value)
        # Bumped by everything that forgets: a value read from the database before a bump is
        # not stored after it (it may predate the change that caused the bump).
        self.epoch = 0
        self._subscribed = False
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()  # set while subscribed

    def get(self, key: bytes) -> Any | None:
        if not self._listening():
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[2]

    def put(self, key: bytes, user_id: int, value: Any, *, seconds: float, epoch: int) -> None:
        """Stores what was read after `epoch` was taken, unless something was forgotten since."""
        if seconds <= 0 or epoch != self.epoch or not self._subscribed:
            return
        if len(self._entries) >= MAX_ENTRIES:
            now = time.monotonic()
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
        self._entries[key] = (time.monotonic() + seconds, user_id, value)

    def forget_user(self, user_id: int) -> None:
        self.epoch += 1
        for key in [k for k, e in self._entries.items() if e[1] == user_id]:
            del self._entries[key]

    def forget_all(self) -> None:
        self.epoch += 1
        self._entries.clear()

    def _listening(self) -> bool:
        """True while the listener is subscribed; starts it on this event loop if it is not running."""
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self._set_subscribed(False)
            self._ready = asyncio.Event()  # of this loop
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="token-cache-listener")
            return False
        return self._subscribed

    def _set_subscribed(self, subscribed: bool) -> None:
        self.forget_all()
        self._subscribed = subscribed
        if subscribed:
            self._ready.set()
        else:
            self._ready.clear()

    async def listening(self, timeout: float = 10) -> None:
        """Starts the listener if it is not running and waits until it is subscribed."""
        self._listening()
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = get_redis().pubsub()
            try:
                await pubsub.psubscribe(events.USER_SESSIONS_PATTERN)
                async for message in pubsub.listen():
                    if message["type"] == "psubscribe":
                        # (Re)subscribed, also after redis-py reconnected by itself: what was
                        # published meanwhile is unknown, so start empty.
                        self._set_subscribed(True)
                        failures = 0
                    elif message["type"] == "pmessage":
                        self._forget(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis unreachable: read every token from the database meanwhile
                log.warning("token cache off, Redis listener failed: %s: %s", type(exc).__name__, exc)
            finally:
                self._set_subscribed(False)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1

    def _forget(self, data: str) -> None:
        try:
            user_id = int(json.loads(data)["userId"])
        except (ValueError, TypeError, KeyError):  # not ours: forget everyone rather than guess
            self.forget_all()
        else:
            self.forget_user(user_id)

    async def close(self) -> None:
        task, self._task = self._task, None
        self._set_subscribed(False)
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


cache = TokenCache()
