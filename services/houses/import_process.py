"""A big import's reading in a process of its own: the workbook is read, checked and prepared
(owners sealed and hashed, each house's and owner's values listed) in a child process, while the
worker's event loop only COPYs each part's values. The worker's Python and the reader's no longer
share one GIL, so the reader (one core) and PostgreSQL (the other) work at the same time.

One child a worker process, started once (`spawn`: the worker has threads and an event loop, not
safe to fork) and kept. An import keeps two parts asked of it (RemoteSheet.AHEAD), so the child
reads on while the worker COPYs. The child holds each open import's reader (`_streams`), keyed by
a name the worker draws. The sealing keys come with each import from the worker's settings (they may have
been rotated since the child started), through the pipe, never a file."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterator, NamedTuple

from core import config
from core.errors import FileRejected
from models.enums import DepositTiming
from services import pii
from services.houses import snapshots
from sheets.house_reader import HouseSheetStream

# Smaller workbooks (a few hundred rows) are read in the worker's own thread: a part's round
# trip to the child costs more than the overlap saves.
MIN_BYTES = 64 * 1024


class ReaderLost(Exception):
    """The reading process died (killed, out of memory) during an import."""


class Located(NamedTuple):
    """What the worker keeps of a house read apart: where it goes (snapshots.taken_rows, the
    buildings' floors), not its values (those come prepared, in Part.prepared)."""

    row: int
    building_name: str
    unit: str | None
    floor: int
    room_number: str


class Part(NamedTuple):
    steps: list[tuple[int, int]]  # the progress steps (rows read, rows in all) since the last part
    rows: list[tuple] | None  # each house's Located values; None: not to be written (a row error before)
    firsts: dict[str, tuple]  # building name → (address, built year, structure) of its first house here
    prepared: snapshots.NewHouses | None  # the houses' and owners' values, owners sealed (insert_prepared)


class End(NamedTuple):
    steps: list[tuple[int, int]]
    errors: list[Any]  # every row error of the sheet
    buildings: dict[str, Any]  # each building's columns as the sheet states them
    rejected: str | None  # FILE_REJECTED's message when the workbook is refused


# ---------------------------------------------------------------- the child

_streams: dict[str, tuple[HouseSheetStream, Iterator, list, int, DepositTiming]] = {}


def _use_keys(keys: tuple[str, str, str]) -> None:
    """The worker's SECRET_KEY, PII_KEYS and PII_HASH_KEY as this process's settings."""
    names = ("SECRET_KEY", "PII_KEYS", "PII_HASH_KEY")
    if tuple(os.environ.get(n) for n in names) != keys:
        os.environ.update(zip(names, keys))
        config.get_settings.cache_clear()
        pii.forget_keys()


def _watch_parent(parent: int) -> None:
    """The child ends when the worker does: a worker killed outright (SIGKILL, out of memory)
    never tells it, and the pool's pipes stay open in the child itself."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="import-parent-watch", daemon=True).start()


def warm() -> None:
    """Nothing: the child imports this module (and the reader's) to run it."""


def open_stream(key: str, data: bytes, filename: str, with_code: bool, app_id: int, timing: str,
                keys: tuple[str, str, str]) -> None:
    _use_keys(keys)
    steps: list[tuple[int, int]] = []
    stream = HouseSheetStream(data, filename, with_code=with_code, progress=lambda done, total: steps.append((done, total)))
    _streams[key] = (stream, iter(stream), steps, app_id, DepositTiming(timing))


def close_stream(key: str) -> None:
    _streams.pop(key, None)


def open_readers() -> int:
    """How many imports' readers the child holds (tests: none is left behind)."""
    return len(_streams)


def _taken(steps: list) -> list:
    out = steps[:]
    steps.clear()
    return out


def next_part(key: str) -> Part | End | None:
    """The import's next part; None when its End was given (the worker asks ahead)."""
    if key not in _streams:
        return None
    stream, parts, steps, app_id, timing = _streams[key]
    try:
        houses = next(parts, None)
    except FileRejected as exc:  # returned, not raised: an AppError need not survive pickling
        del _streams[key]
        return End(_taken(steps), [], {}, exc.message)
    if houses is None:
        del _streams[key]
        return End(_taken(steps), stream.errors, stream.buildings, None)
    if not houses or stream.errors:
        return Part(_taken(steps), None, {}, None)
    return Part(_taken(steps), [(r.row, r.building_name, r.unit, r.floor, r.room_number) for r in houses],
                snapshots.first_building_columns(houses), snapshots.prepare_houses(app_id, houses, timing))


# ---------------------------------------------------------------- the worker's side

_pool: ProcessPoolExecutor | None = None


def pool() -> ProcessPoolExecutor:
    """The worker process's reading process, started on first use (or by start())."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_watch_parent, initargs=(os.getpid(),))
    return _pool


def start() -> None:
    """Starts the child now (worker start-up), so that the first big import does not wait for it."""
    pool().submit(warm)


def stop() -> None:
    """Ends the child (worker shut-down)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _forget(broken: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is broken:
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def _keys() -> tuple[str, str, str]:
    settings = config.get_settings()
    return (settings.secret_key, ",".join(f"{key_id}:{key}" for key_id, key in settings.pii_keys),
            settings.pii_hash_key)


class RemoteSheet:
    """One import's parts, read apart: `await next()` gives each Part, then the End. The worker
    keeps AHEAD parts asked for, so the child goes from one part to the next without waiting for
    the worker to ask (the round trip through a worker busy writing took it 10-20 ms a part)."""

    AHEAD = 2

    def __init__(self, data: bytes, filename: str, *, with_code: bool, app_id: int, timing: DepositTiming):
        self.key = uuid.uuid4().hex
        self.pending: deque[asyncio.Future] = deque()
        self.ended = False
        for attempt in range(2):  # a child that died between two imports is replaced once
            self.executor = pool()
            try:
                self.executor.submit(open_stream, self.key, data, filename, with_code, app_id, timing.value, _keys())
                self.pending.extend(self._ask() for _ in range(self.AHEAD))
                return
            except BrokenProcessPool as exc:
                self._drop_pending()
                _forget(self.executor)
                if attempt:
                    raise ReaderLost() from exc

    def _ask(self) -> asyncio.Future:
        return asyncio.wrap_future(self.executor.submit(next_part, self.key))

    async def next(self) -> Part | End:
        assert self.pending
        try:
            part = await self.pending.popleft()
            if isinstance(part, End):
                self.ended = True  # the End dropped the child's reader
                self.close()  # what was asked beyond the End comes back None
            else:
                self.pending.append(self._ask())
        except BrokenProcessPool as exc:
            self.ended = True  # the child is gone, and its readers with it
            self.close()
            _forget(self.executor)
            raise ReaderLost() from exc
        assert part is not None  # asked in order, and nothing is asked after the End
        return part

    def close(self) -> None:
        """Drops what was asked ahead, and the child's reader of an import that stops early."""
        self._drop_pending()
        if not self.ended:
            self.ended = True
            try:
                self.executor.submit(close_stream, self.key)
            except (BrokenProcessPool, RuntimeError):
                pass  # the child is gone, and its readers with it

    def _drop_pending(self) -> None:
        while self.pending:
            asked = self.pending.popleft()
            if not asked.done():
                asked.cancel()
            elif not asked.cancelled():
                asked.exception()  # retrieved: an error past the one the caller got is not logged as lost
