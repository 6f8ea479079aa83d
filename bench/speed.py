"""Issue 11, item 4: each speed target beside its floor or competitor, measured in the same run,
interleaved and repeated, so that the ratios hold on a busy machine.

* imports: 10 000 (and with --long 100 000) house rows, upload → SUCCEEDED, against the floor
  (the same workbook read with python-calamine and its raw rows COPYed into a scratch table);
* floor plan of 200 houses over HTTP, against `{ __typename }` on the same keep-alive client
  (the HTTP floor);
* the whole-estate tree of 10 000 houses with owners over HTTP, against PostGraphile 4 serving
  the same tables of the same database (bench/postgraphile, npm).

    PYTHONPATH=$PWD .venv/bin/python -m bench.speed [--long] [--only imports,plan,tree] [--write]

--write puts the tables into docs/benchmarks.md, in the section "Speed against the floor
(issue 11)" (the rest of the file is kept). --py-spy DIR records the import worker with py-spy
(installed apart: `pip install --target /tmp/pyspy py-spy`; PY_SPY names the binary).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.environment import DATA, ROOT, prepare

SECTION = "## Speed against the floor (issue 11)"


@dataclass
class Pair:
    """Samples (seconds) of a measurement and of its floor, taken alternately."""

    name: str
    ours: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.floor)

    def per_run_ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.ours, self.floor)]


def say(message: str) -> None:
    print(f"[speed] {message}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


# ---------------------------------------------------------------- imports

async def imports(server, token: str, sizes: list[int], repeats: int, py_spy: Path | None) -> list[Pair]:
    from bench.imports import end_to_end, floor, workbook

    env = {**os.environ, "LOG_LEVEL": "INFO"}
    args = [sys.executable, "-m", "arq", "jobs.worker.WorkerSettings"]
    if py_spy:
        py_spy.mkdir(parents=True, exist_ok=True)
        args = [os.environ.get("PY_SPY", "/tmp/pyspy/bin/py-spy"), "record", "--rate", "200", "--format", "speedscope",
                "-o", str(py_spy / "import-worker.speedscope.json"), "--", *args]
    log = open(DATA / "speed-import-worker.log", "w")
    worker = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    pairs = []
    try:
        await end_to_end(server.base_url, token, workbook(200), 200)  # first job of a fresh worker: not counted
        for n in sizes:
            data = workbook(n)
            pair = Pair(f"import {n:,} rows")
            for _ in range(repeats):
                seconds, job = await end_to_end(server.base_url, token, data, n)
                assert job["status"] == "SUCCEEDED", job
                pair.ours.append(seconds)
                pair.floor.append(await floor(data))
                say(f"{pair.name}: {seconds:.2f} s, floor {pair.floor[-1]:.2f} s")
            pairs.append(pair)
    finally:
        worker.send_signal(2)  # SIGINT: py-spy writes its profile when the program ends
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    return pairs


async def login(server, username: str, password: str) -> str:
    import httpx

    from bench.queries import LOGIN

    async with httpx.AsyncClient(base_url=server.base_url) as client:
        r = await client.post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}})
        return r.json()["data"]["login"]["token"]


async def import_user() -> tuple[str, str]:
    import itertools

    from core.db import get_sessionmaker
    from tests import factories

    factories._counter = itertools.count(800_000)  # clear of the organisations the data seed made
    async with get_sessionmaker()() as session:
        await factories.make_bank(session, code="SPEED")
        await factories.make_org(session, admin="speed-importer")
    return "speed-importer", factories.PASSWORD


# ---------------------------------------------------------------- floor plan

TYPENAME = "{ __typename }"


async def floor_plan(server, token: str, building_gid: str, runs: int) -> Pair:
    """One keep-alive client, the floor plan and `{ __typename }` (same headers) alternately: the
    second is what any request costs over this HTTP stack (the floor)."""
    import httpx

    from bench.queries import FLOOR_PLAN

    pair = Pair("floor plan, 200 houses")
    headers = {"Authorization": f"Bearer {token}"}
    plan = {"query": FLOOR_PLAN, "variables": {"id": building_gid}}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as client:
        async def timed(body) -> float:
            started = time.perf_counter()
            r = await client.post("/graphql", json=body)
            elapsed = time.perf_counter() - started
            assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]
            return elapsed

        for _ in range(20):  # warm-up
            await timed(plan)
            await timed({"query": TYPENAME})
        for _ in range(runs):
            pair.ours.append(await timed(plan))
            pair.floor.append(await timed({"query": TYPENAME}))
    return pair


# ---------------------------------------------------------------- the tree beside PostGraphile 4

POSTGRAPHILE = ROOT / "bench" / "postgraphile"

# The tree's totals as PostGraphile computed columns (functions of the row, in the table's schema),
# the same sums as services/tree.py; the bench database is recreated every run.
COMPUTED = """
CREATE FUNCTION estates_house_count(e estates) RETURNS bigint STABLE LANGUAGE sql AS
  $$ SELECT count(*) FROM houses h JOIN buildings b ON b.id = h.building_id
     WHERE b.estate_id = e.id AND h.status = 'ACTIVE' $$;
CREATE FUNCTION estates_total_building_area(e estates) RETURNS numeric STABLE LANGUAGE sql AS
  $$ SELECT coalesce(sum(h.building_area), 0) FROM houses h JOIN buildings b ON b.id = h.building_id
     WHERE b.estate_id = e.id AND h.status = 'ACTIVE' $$;
CREATE FUNCTION estates_deposit_due(e estates) RETURNS numeric STABLE LANGUAGE sql AS
  $$ SELECT coalesce(sum(h.deposit_due), 0) FROM houses h JOIN buildings b ON b.id = h.building_id
     WHERE b.estate_id = e.id AND h.status = 'ACTIVE' $$;
CREATE FUNCTION estates_balance(e estates) RETURNS numeric STABLE LANGUAGE sql AS
  $$ SELECT coalesce(sum(h.balance), 0) FROM houses h JOIN buildings b ON b.id = h.building_id
     WHERE b.estate_id = e.id AND h.status <> 'PENDING' $$;
CREATE FUNCTION buildings_house_count(b buildings) RETURNS bigint STABLE LANGUAGE sql AS
  $$ SELECT count(*) FROM houses h WHERE h.building_id = b.id AND h.status = 'ACTIVE' $$;
CREATE FUNCTION houses_unpaid(h houses) RETURNS numeric STABLE LANGUAGE sql AS
  $$ SELECT greatest(h.deposit_due - h.deposit_paid, 0) $$;
"""

PG_TREE = """query EstateTree($id: BigInt!) {
  estateById(id: $id) {
    name houseCount totalBuildingArea depositDue balance
    buildingsByEstateIdList {
      id name houseCount
      housesByBuildingIdList {
        id code unit floor roomNumber address usage hasElevator buildingArea innerArea salesStatus status
        accountNumber depositDue depositPaid unpaid balance
        ownersByHouseIdList { name idType idNumber phone }
      }
    }
  }
}"""


def node_database_url() -> str:
    """DATABASE_URL as node-postgres reads it (a socket folder in ?host= works as it is)."""
    return os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


class PostGraphile:
    def __init__(self) -> None:
        from bench.server import free_port

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.version = json_of(POSTGRAPHILE / "node_modules" / "postgraphile" / "package.json")["version"]

    async def start(self) -> None:
        import httpx

        if not (POSTGRAPHILE / "node_modules").is_dir():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=POSTGRAPHILE, check=True)
        log = open(DATA / "postgraphile.log", "w")
        self.process = subprocess.Popen(
            [str(POSTGRAPHILE / "node_modules" / ".bin" / "postgraphile"), "--connection", node_database_url(),
             "--schema", "public", "--host", "127.0.0.1", "--port", str(self.port), "--simple-collections", "only",
             "--disable-default-mutations", "--disable-query-log", "--no-setof-functions-contain-nulls"],
            cwd=POSTGRAPHILE, env={**os.environ, "NODE_ENV": "production"}, stdout=log, stderr=subprocess.STDOUT)
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            for _ in range(600):
                if self.process.poll() is not None:
                    raise RuntimeError(f"postgraphile exited: {(DATA / 'postgraphile.log').read_text()[-2000:]}")
                try:
                    r = await client.post("/graphql", json={"query": TYPENAME})
                    if r.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("postgraphile did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def json_of(path: Path):
    import json

    return json.loads(path.read_text())


async def add_computed_columns() -> None:
    from sqlalchemy import text

    from core.db import get_engine

    async with get_engine().begin() as conn:
        for statement in COMPUTED.split(";"):
            if statement.strip():
                await conn.execute(text(statement))


async def tree(server, token: str, fixture, runs: int) -> tuple[Pair, dict]:
    """Our tree (authenticated, owners' numbers decrypted) and PostGraphile's, alternately on two
    keep-alive clients, the order swapped every run."""
    import httpx

    from bench.queries import TREE

    pair = Pair("estate tree, 10,000 houses with owners")
    pg = PostGraphile()
    await pg.start()
    info: dict = {"postgraphile": pg.version}
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=120,
                                     headers={"Authorization": f"Bearer {token}"}) as ours, \
                httpx.AsyncClient(base_url=pg.base_url, timeout=120) as theirs:
            async def ask(client, body, key) -> tuple[float, bytes]:
                started = time.perf_counter()
                r = await client.post("/graphql", json=body)
                body_bytes = r.content
                elapsed = time.perf_counter() - started
                assert r.status_code == 200 and b'"errors"' not in body_bytes[:200], body_bytes[:300]
                return elapsed, body_bytes

            our_body = {"query": TREE, "variables": {"id": fixture.estate_gid}}
            their_body = {"query": PG_TREE, "variables": {"id": str(fixture.estate_id)}}
            for _ in range(2):  # warm-up
                _, a = await ask(ours, our_body, "estate")
                _, b = await ask(theirs, their_body, "estateById")
            info["our_bytes"], info["their_bytes"] = len(a), len(b)
            check_same_tree(a, b)
            for i in range(runs):
                if i % 2:
                    pair.floor.append((await ask(theirs, their_body, "estateById"))[0])
                    pair.ours.append((await ask(ours, our_body, "estate"))[0])
                else:
                    pair.ours.append((await ask(ours, our_body, "estate"))[0])
                    pair.floor.append((await ask(theirs, their_body, "estateById"))[0])
    finally:
        pg.stop()
    return pair, info


def check_same_tree(ours: bytes, theirs: bytes) -> None:
    """The two answers hold the same houses, areas and owners' names (numbers: ours decrypted,
    PostGraphile's the sealed tokens as stored)."""
    import json

    a, b = json.loads(ours)["data"]["estate"], json.loads(theirs)["data"]["estateById"]
    assert a["houseCount"] == int(b["houseCount"]), (a["houseCount"], b["houseCount"])
    codes = lambda tree, key, houses, owners: sorted((h["code"], h["buildingArea"], tuple(o["name"] for o in h[owners]))
                                                     for bld in tree[key] for h in bld[houses])
    left = codes(a, "buildings", "houses", "owners")
    right = codes(b, "buildingsByEstateIdList", "housesByBuildingIdList", "ownersByHouseIdList")
    assert len(left) == len(right) and [(c, o) for c, _, o in left] == [(c, o) for c, _, o in right]
    assert all(float(x[1]) == float(y[1]) for x, y in zip(left, right))


# ---------------------------------------------------------------- main

def parse(argv: list[str]):
    p = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="imports,plan,tree", help="comma-separated parts: imports, plan, tree")
    p.add_argument("--long", action="store_true", help="also import 100 000 rows (about a minute a run)")
    p.add_argument("--import-runs", type=int, default=3, help="runs of each import size (default 3)")
    p.add_argument("--plan-runs", type=int, default=300, help="floor plan requests (default 300)")
    p.add_argument("--tree-runs", type=int, default=15, help="tree requests on each server (default 15)")
    p.add_argument("--buildings", type=int, default=100, help="buildings of 100 houses in the tree estate (default 100)")
    p.add_argument("--py-spy", type=Path, default=None, help="record the import worker with py-spy into this folder")
    p.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    parts = set(args.only.split(","))
    prepare()

    async def run():
        from bench.server import Server
        from core.db import dispose_engine

        server = Server()
        await server.start()
        results = {}
        try:
            if "imports" in parts:
                user, password = await import_user()
                token = await login(server, user, password)
                sizes = [10_000, 100_000] if args.long else [10_000]
                results["imports"] = await imports(server, token, sizes, args.import_runs, args.py_spy)
            if parts & {"plan", "tree"}:
                from bench.data import PASSWORD, USERNAME, seed

                fixture = await seed(args.buildings)
                token = await login(server, USERNAME, PASSWORD)
                if "plan" in parts:
                    results["plan"] = [await floor_plan(server, token, fixture.plan_building_gid, args.plan_runs)]
                if "tree" in parts:
                    await add_computed_columns()
                    pair, results["tree_info"] = await tree(server, token, fixture, args.tree_runs)
                    results["tree"] = [pair]
        finally:
            server.stop()
            await dispose_engine()
        return results

    results = asyncio.run(run())
    for part in results.values():
        for pair in part if isinstance(part, list) else []:
            say(f"{pair.name}: median {ms(statistics.median(pair.ours))} against {ms(statistics.median(pair.floor))}, "
                f"ratio {pair.ratio:.2f} (per run {', '.join(f'{r:.2f}' for r in pair.per_run_ratios())})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
