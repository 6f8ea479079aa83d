"""Recalculation benchmark (issue: deposits): the set-based recalculation of 100 000 houses,
first when every due changes, then again when none does.

    .venv/bin/python -m bench.recalc [100000]
"""

from __future__ import annotations

import asyncio
import sys
import time

from sqlalchemy import text


async def run(houses: int = 100_000) -> dict:
    from core.db import get_sessionmaker
    from services.payments.deposits import recalculate
    from services.seed import EstateShape, create_estate, create_example_standards
    from tests.factories import make_bank, make_org

    import itertools

    from tests import factories

    factories._counter = itertools.count(800_000)  # clear of the organisations other benches made
    async with get_sessionmaker()() as session:
        bank = await make_bank(session, code="RECALC")
        org = await make_org(session, admin="bench-recalc")
        await create_example_standards(session)
        buildings = max(houses // 1000, 1)
        started = time.perf_counter()
        for b in range(buildings):  # 1 000 houses an estate-building: 50 floors × 2 units × 10 rooms
            await create_estate(session, developer_id=org.org_id, bank_id=bank, shape=EstateShape(
                name=f"重算{b}", buildings=1, floors=50, units=2, rooms_per_unit=10, owners_per_house=0, seed=b))
        await session.commit()
        seeded = time.perf_counter() - started
    # The steady state autovacuum keeps: freshly inserted pages vacuumed (hint bits, visibility
    # map) and statistics current; otherwise the first UPDATE also pays for the inserts' cleanup.
    from core.db import get_engine

    async with get_engine().connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE houses"))
        # Nor should a checkpoint of the earlier benches' writes (imports, seeding) land inside the
        # timed UPDATE: start it from a clean checkpoint, as pgbench advises for timed runs.
        try:
            await autocommit.execute(text("CHECKPOINT"))
            checkpoint = True
        except Exception:  # a DATABASE_URL role without pg_checkpoint: measured without it
            checkpoint = False
    async with get_sessionmaker()() as session:
        started = time.perf_counter()
        changed = await recalculate(session, estate_id=None)
        await session.commit()
        first = time.perf_counter() - started
    async with get_sessionmaker()() as session:
        started = time.perf_counter()
        again = await recalculate(session, estate_id=None)
        await session.commit()
        second = time.perf_counter() - started
    result = {"houses": buildings * 1000, "seeded": seeded, "first": first, "changed": len(changed), "second": second,
              "changed_again": len(again), "checkpoint": checkpoint}
    print(result, flush=True)
    return result


def markdown(r: dict) -> str:
    met = "**met**" if r["first"] < 3 else "**missed**"
    return "\n".join([
        "| Houses | First run (every due changes) | Houses changed | Second run | Changed the second time | Target |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {r['houses']:,} | {r['first']:.2f} s | {r['changed']:,} | {r['second']:.2f} s | {r['changed_again']} | first run < 3 s: {met} |",
    ])


def main() -> None:
    from bench.environment import prepare

    prepare()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(markdown(asyncio.run(run(n))))


if __name__ == "__main__":
    main()
