"""Where the time of a request goes, measured in-process against the same database:
the DB loads one by one (SQL + row processing + record construction, then split for the two big
ones), the in-process request through the ASGI app (no socket, no uvicorn), and a cProfile of it
grouped by library."""

from __future__ import annotations

import cProfile
import pstats
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bench.environment import ROOT
from bench.stats import Stopwatch

RAW_HOUSES = """
SELECT h.*, b.estate_id, e.developer_id, greatest(h.deposit_due - h.deposit_paid, 0) AS unpaid
FROM houses h JOIN buildings b ON b.id = h.building_id JOIN estates e ON e.id = b.estate_id
WHERE h.building_id = ANY($1::bigint[]) ORDER BY h.id"""
RAW_OWNERS = "SELECT * FROM owners WHERE house_id = ANY($1::bigint[]) ORDER BY house_id, position, id"


async def median_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    samples = []
    await fn()  # warm: connection, prepared statement, caches
    for _ in range(runs):
        with Stopwatch() as w:
            await fn()
        samples.append(w.seconds * 1000)
    return statistics.median(samples)


@dataclass
class Phase:
    name: str
    ms: float
    kind: str = ""  # for the splits: session, execute, records, raw


@dataclass
class Breakdown:
    loads: list[Phase] = field(default_factory=list)     # each load as the request makes it (the Loaders' own batch functions)
    splits: list[Phase] = field(default_factory=list)    # the big loads taken apart


def _in_session(sessions, fn, *args):
    async def call():
        async with sessions() as s:
            return await fn(s, *args)
    return call


def _loader_call(loaders, name: str, keys: list[int]):
    """One batch of the request's own DataLoader (schema.context.Loaders), however it reads:
    its load_fn is what the request runs for a batch."""
    load_fn = getattr(loaders, name).load_fn

    async def call():
        return await load_fn(list(keys))
    return call


def _reader():
    """What the app's loaders read with: core.db.get_reader() (AUTOCOMMIT connections) if the app
    has it, else a session."""
    from core import db

    if hasattr(db, "get_reader"):
        return db.get_reader().connect
    return db.get_sessionmaker()


async def measure_tree(token: str, estate_id: int, runs: int) -> Breakdown:
    from sqlalchemy import select, text

    from core import db
    from core.db import get_engine, get_sessionmaker
    from models import House, Owner
    from schema.context import Loaders
    from services import auth, batches, records
    from services.tree import read as tree

    sessions = get_sessionmaker()
    loaders = Loaders()
    reader = _reader()
    out = Breakdown()
    async with sessions() as s:
        building_ids = [b.id for b in (await tree.buildings_by_estate(s, [estate_id]))[0]]
        house_ids = [h.id for g in await tree.houses_by_building(s, building_ids) for h in g]

    async def select_one(s):
        return (await s.execute(text("SELECT 1"))).all()

    out.splits.append(Phase("a session with `SELECT 1` (pool checkout, BEGIN, the statement, ROLLBACK)",
                            await median_ms(_in_session(sessions, select_one), runs), "session"))
    if hasattr(db, "get_reader"):
        out.splits.append(Phase("an AUTOCOMMIT connection (`core.db.get_reader()`, what the loaders use) with `SELECT 1`",
                                await median_ms(_in_session(db.get_reader().connect, select_one), runs), "session"))
    for name, call in [
        ("auth.authenticate (bearer token → viewer, in a session)", _in_session(sessions, auth.authenticate, token)),
        ("estate_by_id", _loader_call(loaders, "estate_by_id", [estate_id])),
        ("totals_by_estate_id", _loader_call(loaders, "totals_by_estate_id", [estate_id])),
        ("buildings_by_estate_id", _loader_call(loaders, "buildings_by_estate_id", [estate_id])),
        (f"totals_by_building_id ({len(building_ids)} keys)", _loader_call(loaders, "totals_by_building_id", building_ids)),
        (f"houses_by_building_id ({len(building_ids)} keys, {len(house_ids):,} rows)",
         _loader_call(loaders, "houses_by_building_id", building_ids)),
        (f"owners_by_house_id ({len(house_ids):,} keys)", _loader_call(loaders, "owners_by_house_id", house_ids)),
    ]:
        out.loads.append(Phase(name, await median_ms(call, runs)))

    # The loaders' own selects (services/tree: `= ANY(:keys)`, one array parameter), taken apart.
    houses_q = tree.house_select().where(batches.in_keys(House.building_id, building_ids)).order_by(House.id)
    owners_q = select(*Owner.__table__.c).where(batches.in_keys(Owner.house_id, house_ids)) \
        .order_by(Owner.house_id, Owner.position, Owner.id)
    for label, q, cls, raw_sql, keys in [
        ("houses", houses_q, records.HouseRecord, RAW_HOUSES, building_ids),
        ("owners", owners_q, records.OwnerRecord, RAW_OWNERS, house_ids),
    ]:
        async def sa_rows(q=q):
            async with reader() as s:
                return (await s.execute(q)).all()

        rows = await sa_rows()
        out.splits.append(Phase(f"{label}: SQLAlchemy `execute(...).all()` ({len(rows):,} rows, `= ANY` of "
                                f"{len(keys):,} keys)", await median_ms(sa_rows, runs), "execute"))

        async def build(rows=rows, cls=cls):
            return [records.to_record(cls, r) for r in rows]

        out.splits.append(Phase(f"{label}: `records.to_record` (positional) over those rows", await median_ms(build, runs), "records"))

        async def raw(raw_sql=raw_sql, keys=keys):
            async with get_engine().connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                return await driver.fetch(raw_sql, keys)

        out.splits.append(Phase(f"{label}: plain asyncpg `fetch`, one `= ANY($1)` array parameter "
                                "(PostgreSQL + wire + asyncpg decoding only)", await median_ms(raw, runs), "raw"))
    return out


async def measure_plan(token: str, building_id: int, runs: int) -> Breakdown:
    from core.db import get_sessionmaker
    from schema.context import Loaders
    from services import auth
    from services.tree import read as tree

    sessions = get_sessionmaker()
    loaders = Loaders()
    out = Breakdown()
    async with sessions() as s:
        house_ids = [h.id for h in (await tree.houses_by_building(s, [building_id]))[0]]
    for name, call in [
        ("auth.authenticate (bearer token → viewer, in a session)", _in_session(sessions, auth.authenticate, token)),
        ("building_by_id", _loader_call(loaders, "building_by_id", [building_id])),
        (f"houses_by_building_id (1 key, {len(house_ids)} rows)", _loader_call(loaders, "houses_by_building_id", [building_id])),
        (f"owners_by_house_id ({len(house_ids)} keys)", _loader_call(loaders, "owners_by_house_id", house_ids)),
    ]:
        out.loads.append(Phase(name, await median_ms(call, runs)))
    return out


# ---------------------------------------------------------------- profile

CATEGORIES = [
    ("/graphql/", "graphql-core (execution, value completion)"),
    ("/strawberry/", "Strawberry (field wrappers, extensions, HTTP view)"),
    ("/sqlalchemy/", "SQLAlchemy (compile, execute, row processing)"),
    ("/asyncpg/", "asyncpg (Python side)"),
    ("/json/", "json (Python side)"),
    ("/httpx/", "httpx (test client)"),
    ("/starlette/", "Starlette"),
    ("/asyncio/", "asyncio"),
    (str(ROOT / "schema"), "project: schema/ (types, scalars)"),
    (str(ROOT / "resolvers"), "project: resolvers/"),
    (str(ROOT / "services"), "project: services/ (tree loads, records)"),
    (str(ROOT / "server"), "project: server/"),
    (str(ROOT / "core"), "project: core/"),
]


def _category(key: tuple) -> str:
    filename, _, func = key
    if filename == "~":
        if "json" in func:
            return "json (C encoder)"
        if "asyncpg" in func or "protocol" in func:
            return "asyncpg (C protocol)"
        return "C builtins (isinstance, getattr, list/dict ops …)"
    for needle, name in CATEGORIES:
        if needle in filename:
            return name
    return "other Python"


@dataclass
class Profile:
    total_s: float
    categories: list[tuple[str, float]]
    top_tottime: list[tuple[str, int, float, float]]
    project_cumtime: list[tuple[str, int, float, float]]


def _label(key: tuple) -> str:
    filename, line, func = key
    if filename == "~":
        return func
    if "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    elif filename.startswith(str(ROOT) + "/"):
        filename = filename[len(str(ROOT)) + 1:]
    elif "/lib/python" in filename:
        filename = filename.split("/lib/python", 1)[1].split("/", 1)[1]
    return f"{filename}:{line} {func}"


async def profile(call: Callable[[], Awaitable[Any]], runs: int = 3) -> Profile:
    """cProfile with the cyclic GC off: a collection is charged to whichever function happens to
    allocate when it starts, which scatters it over innocent lines. GC is measured on its own."""
    import gc

    await call()
    prof = cProfile.Profile()
    gc.collect()
    gc.disable()
    try:
        with Stopwatch() as w:
            prof.enable()
            for _ in range(runs):
                await call()
            prof.disable()
    finally:
        gc.enable()
    stats = pstats.Stats(prof).stats  # key → (cc, nc, tottime, cumtime, callers)
    by_cat: dict[str, float] = defaultdict(float)
    for key, (_, _, tt, _, _) in stats.items():
        by_cat[_category(key)] += tt / runs
    cats = sorted(by_cat.items(), key=lambda kv: -kv[1])
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:20]
    project = [kv for kv in stats.items()
               if kv[0][0].startswith(str(ROOT)) and "/.venv/" not in kv[0][0] and "/bench/" not in kv[0][0]]
    project = sorted(project, key=lambda kv: -kv[1][3])[:15]
    return Profile(
        total_s=w.seconds / runs,
        categories=cats,
        top_tottime=[(_label(k), v[1] // runs, v[2] / runs, v[3] / runs) for k, v in top],
        project_cumtime=[(_label(k), v[1] // runs, v[2] / runs, v[3] / runs) for k, v in project],
    )
