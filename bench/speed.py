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
    # CPU seconds summed over the measured runs: (server process, PostgreSQL backends) each side
    ours_cpu: list[float] = field(default_factory=lambda: [0.0, 0.0])
    floor_cpu: list[float] = field(default_factory=lambda: [0.0, 0.0])

    def cpu_ratio(self) -> float | None:
        ours, floor = sum(self.ours_cpu), sum(self.floor_cpu)
        return ours / floor if floor else None

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
    args = [sys.executable, "-m", "jobs.worker"]
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
            read_worker, read_api = meter(worker.pid), meter(server.process.pid)
            for _ in range(repeats):
                before, api_before = read_worker(), read_api()
                seconds, job = await end_to_end(server.base_url, token, data, n)
                after, api_after = read_worker(), read_api()
                assert job["status"] == "SUCCEEDED", job
                pair.ours.append(seconds)
                # the worker and the API process (upload, subscription), and PostgreSQL
                pair.ours_cpu[0] += after[0] - before[0] + api_after[0] - api_before[0]
                pair.ours_cpu[1] += after[1] - before[1]
                before, started = read_worker(), time.process_time()
                pair.floor.append(await floor(data))
                pair.floor_cpu[0] += time.process_time() - started  # this process: calamine, COPY's encoding
                pair.floor_cpu[1] += read_worker()[1] - before[1]
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


def meter(pid: int):
    """(process CPU, PostgreSQL backends' CPU) now, in seconds (bench/cpu.py, 10 ms ticks)."""
    from bench.cpu import CpuMeter, postmaster_pid

    cpu = CpuMeter(pid, postmaster_pid(DATA / "pg"))
    return cpu.read


def add_cpu(total: list[float], before: tuple[float, float], after: tuple[float, float]) -> None:
    total[0] += after[0] - before[0]
    total[1] += after[1] - before[1]


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
        read = meter(server.process.pid)
        for _ in range(runs):
            before = read()
            pair.ours.append(await timed(plan))
            middle = read()
            pair.floor.append(await timed({"query": TYPENAME}))
            add_cpu(pair.ours_cpu, before, middle)
            add_cpu(pair.floor_cpu, middle, read())
    return pair


# ---------------------------------------------------------------- the tree beside PostGraphile 4

POSTGRAPHILE = ROOT / "bench" / "postgraphile"

# The tree's totals as PostGraphile computed columns (functions of the row, in the table's schema),
# the same sums as services/tree/read.py; the bench database is recreated every run.
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
            read_ours, read_theirs = meter(server.process.pid), meter(pg.process.pid)

            async def one_of_ours() -> None:
                before = read_ours()
                pair.ours.append((await ask(ours, our_body, "estate"))[0])
                add_cpu(pair.ours_cpu, before, read_ours())

            async def one_of_theirs() -> None:
                before = read_theirs()
                pair.floor.append((await ask(theirs, their_body, "estateById"))[0])
                add_cpu(pair.floor_cpu, before, read_theirs())

            for i in range(runs):
                first, second = (one_of_theirs, one_of_ours) if i % 2 else (one_of_ours, one_of_theirs)
                await first()
                await second()
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


# ---------------------------------------------------------------- report

TARGETS = {"imports": ("ratio ≤ 3", 3.0), "plan": ("median < 10 ms", None), "tree": ("ratio ≤ 1", 1.0)}
FLOOR_NAMES = {"imports": "calamine + COPY", "plan": "`{ __typename }`", "tree": "PostGraphile"}


def markdown(results: dict, command: str, started: datetime, load: tuple, info: dict) -> str:
    lines = [SECTION, "",
             f"Written by `{command}` at {started:%Y-%m-%d %H:%M} UTC. Load average (1 min) {load[0]:.2f} before the run, "
             f"{load[1]:.2f} after, on {os.cpu_count()} cores shared with other work: wall-clock times wait for a core, so "
             "each figure is set beside its floor taken in the same run, alternately, and the CPU time each side used "
             "(from /proc: the serving process and PostgreSQL's backends) is given too, which waiting does not inflate.",
             "",
             "| Measurement | Runs | Ours (median) | Floor (median) | Ratio of medians | Per-run ratios | CPU a run, ours | CPU a run, floor | CPU ratio | Target |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---|"]
    for part in ("imports", "plan", "tree"):
        for pair in results.get(part, []):
            ratios = pair.per_run_ratios()
            cpu = pair.cpu_ratio()
            label, bound = TARGETS[part]
            median = statistics.median(pair.ours)
            met = (median < 0.010) if part == "plan" else (pair.ratio <= bound)
            lines.append(
                f"| {pair.name} (floor: {FLOOR_NAMES[part]}) | {len(pair.ours)} | {ms(median)} | {ms(statistics.median(pair.floor))} | "
                f"{pair.ratio:.2f} | {min(ratios):.2f}–{max(ratios):.2f} | {ms(sum(pair.ours_cpu) / len(pair.ours))} | "
                f"{ms(sum(pair.floor_cpu) / len(pair.floor))} | {'' if cpu is None else f'{cpu:.2f}'} | "
                f"{label}: {'**met**' if met else '**missed**'} |")
    tree_info = info.get("tree_info")
    notes = ["* Imports: upload (GraphQL multipart) to the `jobUpdated` subscription saying SUCCEEDED, one API process "
              "and one arq worker (bench/imports.py's workbook: 20 floors × 10 rooms a building, one owner each); the floor "
              "reads the same bytes with python-calamine and COPYs the raw rows as text into a temporary table. CPU, ours: "
              "the worker and the API process; floor: the bench process. Both with PostgreSQL's backends.",
              "* Floor plan: 200 houses (bench/queries.py FLOOR_PLAN), authenticated, on one keep-alive httpx client, "
              "alternating with `{ __typename }` with the same token (the HTTP stack, the token check and the GraphQL "
              "envelope: what any request costs)."]
    lines.append("")
    lines += [note for note, part in zip(notes, ("imports", "plan")) if part in results]
    if tree_info:
        lines += [f"* Estate tree: bench/queries.py TREE, 10,000 houses with their owners, against PostGraphile "
                  f"{tree_info['postgraphile']} (`bench/postgraphile`, npm; `--simple-collections only`, the estate, "
                  "building and house totals as computed-column functions with the same sums as services/tree/read.py) "
                  "on the same database, the order swapped each run. Not equal work: ours authenticates the bearer token, "
                  "checks each node's visibility and opens 20,000 sealed ID and phone numbers (AES-GCM, services/pii.py); "
                  "PostGraphile connects as the database owner with no permission checks and serves the sealed columns as "
                  f"stored. Bodies: ours {tree_info['our_bytes'] / 1e6:.2f} MB, PostGraphile's "
                  f"{tree_info['their_bytes'] / 1e6:.2f} MB; the bench checks that both hold the same houses, areas and owners."]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replaces this section of docs/benchmarks.md (up to the next `## ` heading) or appends it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(SECTION + "\n")
    if start < 0:
        path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        return
    end = text.find("\n## ", start + len(SECTION))
    rest = "" if end < 0 else text[end + 1:]
    path.write_text(text[:start] + section + ("\n" + rest if rest else ""), encoding="utf-8")


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
    started, load_before = datetime.now(timezone.utc), os.getloadavg()[0]
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
    command = "PYTHONPATH=$PWD .venv/bin/python -m bench.speed" + ("" if not argv else " " + " ".join(argv))
    section = markdown(results, command, started, (load_before, os.getloadavg()[0]), results)
    print(section)
    if args.write:
        write_section(ROOT / "docs" / "benchmarks.md", section)
    for part in results.values():
        for pair in part if isinstance(part, list) else []:
            cpu = pair.cpu_ratio()
            say(f"{pair.name}: median {ms(statistics.median(pair.ours))} against {ms(statistics.median(pair.floor))}, "
                f"ratio {pair.ratio:.2f} (per run {', '.join(f'{r:.2f}' for r in pair.per_run_ratios())})"
                + (f"; CPU a run {ms(sum(pair.ours_cpu) / len(pair.ours))} against {ms(sum(pair.floor_cpu) / len(pair.floor))}"
                   f" (server, PostgreSQL: {pair.ours_cpu[0]:.2f}+{pair.ours_cpu[1]:.2f} s against "
                   f"{pair.floor_cpu[0]:.2f}+{pair.floor_cpu[1]:.2f} s), ratio {cpu:.2f}" if cpu else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
