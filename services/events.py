"""Live events through Redis pub/sub, so a subscriber on any API process hears a change made
by any API process or worker. Channels: `job:{id}` (the job changed), `applications` (an
application's status changed), `user:{id}:sessions` (a login of the user ended or the user
changed: token caches forget the user, live subscriptions re-check their login).

After Redis was away, every subscription hears `RESUBSCRIBED` on each of its channels: what was
published meanwhile is lost, so it re-reads from the database what it watches."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from core.errors import RateLimited
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


SUBSCRIBER_QUEUE = 256  # events waiting for one subscriber before it is ended (docs/decisions.md, fanout)
SUBSCRIBE_TIMEOUT_SECONDS = 10.0
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)
# Told to every listener of a channel once it is subscribed again after a reconnect (this very
# object, past the filters: compare with `is`): events of the gap are lost, re-read what you watch.
RESUBSCRIBED = {"resubscribed": True}
# Given by `with_quiet` when nothing came for a while (compare with `is`).
QUIET = {"quiet": True}
# (channel, payload) → whether a subscription wants the event; run in the listener, so a subscription
# whose filter says no is not even woken. Keep it cheap and free of I/O.
Wants = Callable[[str, dict[str, Any]], bool]


class _Subscriber:
    """One `listen()`: its own bounded queue, filled by the process's one listener."""

    def __init__(self, channels: tuple[str, ...], wants: Wants | None):
        self.channels = channels
        self.wants = wants
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.overflowed = False

    def offer(self, channel: str, payload: dict[str, Any]) -> None:
        if self.overflowed or (payload is not RESUBSCRIBED and not self._wanted(channel, payload)):
            return
        try:
            self.queue.put_nowait((channel, payload))
        except asyncio.QueueFull:
            # Never wait for one slow reader (the others would wait too) and never keep an unbounded
            # backlog: this subscription ends with a coded error the next time it reads.
            self.overflowed = True

    def _wanted(self, channel: str, payload: dict[str, Any]) -> bool:
        if self.wants is None:
            return True
        try:
            return self.wants(channel, payload)
        except Exception:  # a payload the filter did not expect: the subscription itself decides
            log.warning("event filter failed on %s", channel, exc_info=True)
            return True

    async def messages(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        while True:
            if self.overflowed:
                raise RateLimited(f"订阅接收过慢，积压的事件超过 {SUBSCRIBER_QUEUE} 条，订阅已终止，请重新订阅",
                                  retry_after=1)
            yield await self.queue.get()


class Hub:
    """The process's one Redis pub/sub connection: one task reads it, parses each message once and
    hands it to the subscribers of its channel. Redis is subscribed to a channel while someone here
    listens to it; the connection and task exist while anyone listens at all. When Redis goes away
    the task reconnects and subscribes again; what was published meanwhile is lost (as for a
    subscriber of its own), so each listener of a channel subscribed again is told so (RESUBSCRIBED):
    a `user:` listener re-checks its login, a job's re-reads the job, and so on."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self._unconfirmed: dict[str, int] = {}  # SUBSCRIBE commands sent for a channel, not yet acknowledged
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def channels(self) -> list[str]:
        return sorted(self._subscribers)

    def listeners(self, channel: str) -> int:
        """Subscriptions of this process hearing `channel` (0 until Redis confirmed it)."""
        confirmed = self._confirmed.get(channel)
        return len(self._subscribers.get(channel, ())) if confirmed is not None and confirmed.is_set() else 0

    def _bind(self) -> None:
        """Tests run one event loop after another; an idle hub starts afresh in the current one."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop and not self._subscribers:
            self.__init__()
            self._loop = loop

    @asynccontextmanager
    async def listen(self, *channels: str, wants: Wants | None = None
                     ) -> AsyncIterator[AsyncIterator[tuple[str, dict[str, Any]]]]:
        self._bind()
        subscriber = _Subscriber(channels, wants)
        try:
            await self._add(subscriber)
            await asyncio.wait_for(asyncio.gather(*(self._confirmed[c].wait() for c in set(channels))),
                                   SUBSCRIBE_TIMEOUT_SECONDS)
            yield subscriber.messages()
        finally:
            await asyncio.shield(self._remove(subscriber))

    async def _add(self, subscriber: _Subscriber) -> None:
        async with self._lock:
            new = [c for c in dict.fromkeys(subscriber.channels) if c not in self._subscribers]
            for channel in subscriber.channels:
                self._subscribers.setdefault(channel, set()).add(subscriber)
            for channel in new:
                self._confirmed[channel] = asyncio.Event()
                self._unconfirmed[channel] = self._unconfirmed.get(channel, 0) + 1
            if self._pubsub is None and (self._task is None or self._task.done()):
                self._pubsub = get_redis().pubsub()
            if new and self._pubsub is not None:  # else the reconnecting listener subscribes to them
                try:
                    await self._pubsub.subscribe(*new)
                except BaseException:
                    for channel in new:
                        self._unconfirmed[channel] -= 1
                    raise
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._run(), name="events-hub")

    async def _remove(self, subscriber: _Subscriber) -> None:
        async with self._lock:
            gone = []
            for channel in subscriber.channels:
                listeners = self._subscribers.get(channel)
                if listeners is not None:
                    listeners.discard(subscriber)
                    if not listeners:
                        del self._subscribers[channel]
                        self._confirmed.pop(channel, None)
                        gone.append(channel)
            if not self._subscribers:
                await self._stop()
            elif gone and self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):  # the reconnect subscribes only to who is left
                    await self._pubsub.unsubscribe(*gone)

    async def _stop(self) -> None:
        task, self._task = self._task, None
        pubsub, self._pubsub = self._pubsub, None
        self._unconfirmed.clear()
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()

    async def _run(self) -> None:
        failures, broken = 0, False
        while True:
            try:
                if broken:
                    await self._reconnect()
                    broken = False
                pubsub = self._pubsub
                if pubsub is None:  # no one listens any more
                    return
                message = await pubsub.get_message(timeout=None)
                if message is not None:
                    self._dispatch(message)
                    failures = 0
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if not broken:
                    log.warning("event listener lost Redis (%s), reconnecting", type(exc).__name__)
                broken = True
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1

    async def _reconnect(self) -> None:
        async with self._lock:
            old, self._pubsub = self._pubsub, None
            if old is not None:
                with contextlib.suppress(RedisError, OSError):
                    await old.aclose()
            if not self._subscribers:
                return
            self._unconfirmed.clear()  # the acknowledgements that come now are resubscriptions
            pubsub = get_redis().pubsub()
            try:
                await pubsub.subscribe(*self._subscribers)
            except BaseException:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                raise
            self._pubsub = pubsub

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind, channel = message.get("type"), message.get("channel")
        if kind == "message":
            listeners = self._subscribers.get(channel)
            if not listeners:
                return
            try:
                payload = json.loads(message["data"])
            except (TypeError, ValueError):
                log.warning("event on %s is not JSON, dropped", channel)
                return
            for subscriber in tuple(listeners):  # the same parsed payload for all: read, never change it
                subscriber.offer(channel, payload)
        elif kind == "subscribe":
            pending = self._unconfirmed.get(channel, 0)
            if pending > 1:
                self._unconfirmed[channel] = pending - 1
                return
            self._unconfirmed.pop(channel, None)
            confirmed = self._confirmed.get(channel)
            if confirmed is not None and not confirmed.is_set():
                confirmed.set()
            elif pending == 0:
                # Subscribed again after a reconnect: a logout, a job's end, a status change meanwhile
                # was not heard. Told only now, so a re-read misses nothing: what it does not see is
                # published on a channel Redis delivers again.
                for subscriber in tuple(self._subscribers.get(channel, ())):
                    subscriber.offer(channel, RESUBSCRIBED)


hub = Hub()


async def with_quiet(messages: AsyncIterator[tuple[str, dict[str, Any]]],
                     seconds: float) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """`messages`, and ("", QUIET) each time nothing came for `seconds`: for a subscriber whose
    event may never be sent (a worker that died between committing a job's end and publishing
    it), so that it looks at the database, the truth, now and then."""
    pending: asyncio.Future | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(messages))
            done, _ = await asyncio.wait({pending}, timeout=seconds)
            if not done:
                yield "", QUIET
                continue
            message, pending = pending.result(), None
            yield message
    except StopAsyncIteration:
        return
    finally:
        if pending is not None:
            pending.cancel()


def listen(*channels: str, wants: Wants | None = None):
    """Subscribes before yielding, so nothing published after entry is missed. Yields an async
    iterator of (channel, payload) for which `wants` (if given) said yes; it raises RATE_LIMITED if
    this reader fell too far behind."""
    return hub.listen(*channels, wants=wants)
