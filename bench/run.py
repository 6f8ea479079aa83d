"""One benchmark run, start to finish. Called from bench/__main__.py after the environment is
prepared; every application import happens in here, after that."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from bench.stats import Stopwatch, Summary

TREE_RATIO_TARGET = 1.5
PLAN_MEDIAN_TARGET_MS = 30.0


@dataclass
class Options:
    runs: int = 15
    warmup: int = 2
    plan_runs: int = 50
    inproc_runs: int = 5
    buildings: int = 100
    profile: bool = True


@dataclass
class Results:
    options: Options
    fixture: Any = None
    server_command: str = ""
    tree_bytes: int = 0
    plan_bytes: int = 0
    tree_http: Summary | None = None
    tree_memory: Summary | None = None          # schema.execute on in-memory records
    tree_memory_core: Summary | None = None     # graphql-core execute() on schema._schema, no extensions
    tree_json: Summary | None = None            # json.dumps of the result, as Strawberry's view does
    tree_inproc: Summary | None = None          # the ASGI app in-process (DB, no socket/uvicorn)
    plan_http: Summary | None = None
    plan_memory: Summary | None = None
    plan_inproc: Summary | None = None
    tree_memory_gc: Summary | None = None       # of which in the cyclic garbage collector
    tree_alt: Summary | None = None             # in memory under the other GC set-up (see alt_gc)
    tree_alt_gc: Summary | None = None
    gc_info: dict = field(default_factory=dict)      # the worker's GC set-up, mirroring the server's
    alt_gc_info: dict = field(default_factory=dict)  # the comparison worker's
    tree_inproc_gc: Summary | None = None
    plan_memory_gc: Summary | None = None
    plan_inproc_gc: Summary | None = None
    gc_collections: dict[str, list[int]] = field(default_factory=dict)  # per request, generations 0/1/2
    tree_sql: Any = None
    plan_sql: Any = None
    breakdown: Any = None
    plan_breakdown: Any = None
    tree_profile: Any = None
    plan_profile: Any = None
    ratio_samples: list[float] = field(default_factory=list)
    load_before: float = 0.0
    load_after: float = 0.0
    elapsed_s: float = 0.0
    server_restarts: int = 0
    # CPU seconds summed over the measured runs: server process, PostgreSQL backends, in-memory execution
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    # inside the in-process request: (get_context, schema.execute) medians, per query
    inproc_parts: dict[str, tuple[Summary, Summary]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.tree_http.median_ms / self.tree_memory.median_ms

    @property
    def paired_ratio(self) -> float:
        """The median of the per-run ratios (each HTTP run against the in-memory run right after it)."""
        import statistics

        return statistics.median(self.ratio_samples)

    @property
    def ratio_with_json(self) -> float:
        return self.tree_http.median_ms / (self.tree_memory.median_ms + self.tree_json.median_ms)

    @property
    def tree_ok(self) -> bool:
        return self.ratio <= TREE_RATIO_TARGET

    @property
    def plan_ok(self) -> bool:
        return self.plan_http.median_ms < PLAN_MEDIAN_TARGET_MS


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _check_tree(data: dict, fixture) -> None:
    estate = data["estate"]
    assert estate is not None, "estate not visible to the developer admin"
    assert estate["houseCount"] == fixture.houses, estate["houseCount"]
    assert len(estate["buildings"]) == fixture.buildings
    houses = [h for b in estate["buildings"] for h in b["houses"]]
    assert len(houses) == fixture.houses
    assert sum(len(h["owners"]) for h in houses) == fixture.owners


def _check_plan(data: dict, fixture) -> None:
    plan = data["building"]["floorPlan"]
    assert sum(len(row["houses"]) for row in plan["floors"]) == fixture.plan_houses


def _add_cpu(res: Results, key: str, http_cpu: dict[str, float], memory_cpu: float) -> None:
    acc = res.cpu.setdefault(key, {"server": 0.0, "pg": 0.0, "memory": 0.0, "n": 0})
    acc["server"] += http_cpu["server"]
    acc["pg"] += http_cpu["pg"]
    acc["memory"] += memory_cpu
    acc["n"] += 1


async def run(opts: Options) -> Results:
    import httpx

    from bench import data, queries
    from bench.cpu import CpuMeter, postmaster_pid
    from bench.environment import DATA
    from bench.server import Server
    from bench.worker import WorkerProcess, digest

    res = Results(opts)
    res.load_before = os.getloadavg()[0]
    started = time.perf_counter()
    say(f"seeding: {opts.buildings} buildings × 100 houses, and a 200-house building")
    with Stopwatch() as w:
        fx = res.fixture = await data.seed(opts.buildings)
    say(f"  {fx.houses} houses, {fx.owners} owners in {w.seconds:.1f} s")

    server = Server()
    res.server_command = server.command
    say(f"starting uvicorn on {server.base_url}, and the in-process worker")
    await server.start()
    worker, alt = WorkerProcess(), WorkerProcess()
    await worker.start()
    await alt.start()
    meter = CpuMeter(server.process.pid, postmaster_pid(DATA / "pg"))
    http_cpu = {"server": 0.0, "pg": 0.0}  # of the last over_http call
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as client:
            r = await client.post("/graphql", json={"query": queries.LOGIN, "variables": {"u": data.USERNAME, "p": data.PASSWORD}})
            token = r.json()["data"]["login"]["token"]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            res.gc_info = await worker.call("init", token=token, estate_ids=[fx.estate_id, fx.plan_estate_id], gc_mode="app")
            # A second worker with the other GC set-up, to show what the collector costs: Python's
            # defaults if the app tunes its GC at start-up, a tuned GC if it does not.
            res.alt_gc_info = await alt.call("init", token=token, estate_ids=[fx.estate_id],
                                             gc_mode="default" if res.gc_info["app_tunes_gc"] else "tuned")

            def body(query: str, gid: str, name: str) -> str:
                return json.dumps({"query": query, "variables": {"id": gid}, "operationName": name})

            tree_body = body(queries.TREE, fx.estate_gid, "EstateTree")
            plan_body = body(queries.FLOOR_PLAN, fx.plan_building_gid, "FloorPlan")

            async def over_http(payload: str, restarted: bool = False) -> tuple[float, bytes]:
                content = payload.encode()
                try:
                    cpu_before = meter.read()
                    with Stopwatch() as w:
                        response = await client.post("/graphql", content=content, headers=headers)
                        body_bytes = response.content  # the whole body is read before post() returns
                    cpu_after = meter.read()
                    http_cpu["server"], http_cpu["pg"] = (a - b for a, b in zip(cpu_after, cpu_before))
                except httpx.TransportError:
                    if restarted or server.process is None or server.process.poll() is None:
                        raise
                    # Something outside the bench stopped the server (it logs a clean shutdown when it
                    # gets SIGTERM). Start it again on the same port, warm it, take the sample again.
                    say(f"  uvicorn exited with {server.process.returncode} (stopped from outside); restarting it")
                    res.server_restarts += 1
                    await server.start()
                    meter.server_pid = server.process.pid
                    for _ in range(opts.warmup):
                        await client.post("/graphql", content=content, headers=headers)
                    return await over_http(payload, restarted=True)
                assert response.status_code == 200, response.text[:500]
                return w.seconds, body_bytes

            def checked(body_bytes: bytes, check) -> str:
                parsed = json.loads(body_bytes)
                assert "errors" not in parsed, parsed.get("errors")
                check(parsed["data"], fx)
                return digest(parsed["data"])

            # ---- 1 + 2: the tree over HTTP, in memory and in-process, interleaved so all see the same machine
            say(f"tree query: {opts.warmup} warm-ups + {opts.runs} runs; HTTP, in-memory and in-process interleaved")
            t = {k: [] for k in ("http", "mem", "mem_gc", "core", "json", "inproc", "inproc_gc", "alt", "alt_gc",
                                 "inproc_ctx", "inproc_exec")}
            for i in range(opts.warmup + opts.runs):
                t_http, content = await over_http(tree_body)
                mem = await worker.call("memory", query=queries.TREE, gid=fx.estate_gid, name="EstateTree", want_digest=i == 0)
                core = await worker.call("core", query=queries.TREE, gid=fx.estate_gid)
                other = await alt.call("memory", query=queries.TREE, gid=fx.estate_gid, name="EstateTree")
                inproc = await worker.call("asgi", payload=tree_body)
                if i == 0:
                    assert checked(content, _check_tree) == mem.digest, "HTTP and in-memory results differ"
                    res.tree_bytes = len(content)
                del content
                if i >= opts.warmup:
                    for k, v in zip(t, (t_http, mem.seconds, mem.gc_seconds, core.seconds, mem.json_seconds,
                                        inproc.seconds, inproc.gc_seconds, other.seconds, other.gc_seconds,
                                        inproc.context_seconds, inproc.execute_seconds)):
                        t[k].append(v)
                    res.gc_collections["tree, in memory"] = list(mem.gc_collections)
                    res.gc_collections["tree, in-process request"] = list(inproc.gc_collections)
                    res.gc_collections[f"tree, in memory, {res.alt_gc_info['gc_mode']} GC"] = list(other.gc_collections)
                    res.ratio_samples.append(t_http / mem.seconds)
                    _add_cpu(res, "tree", http_cpu, mem.cpu_seconds)
                    say(f"  run {i - opts.warmup + 1:2}: HTTP {t_http * 1000:6.0f} ms   in-memory {mem.seconds * 1000:6.0f} ms"
                        f" (GC {mem.gc_seconds * 1000:4.0f})   in-process {inproc.seconds * 1000:6.0f} ms"
                        f"   ratio {t_http / mem.seconds:.2f}")
            res.tree_http, res.tree_memory, res.tree_memory_gc = Summary.of(t["http"]), Summary.of(t["mem"]), Summary.of(t["mem_gc"])
            res.tree_memory_core, res.tree_json = Summary.of(t["core"]), Summary.of(t["json"])
            res.tree_inproc, res.tree_inproc_gc = Summary.of(t["inproc"]), Summary.of(t["inproc_gc"])
            res.tree_alt, res.tree_alt_gc = Summary.of(t["alt"]), Summary.of(t["alt_gc"])
            res.inproc_parts["tree"] = (Summary.of(t["inproc_ctx"]), Summary.of(t["inproc_exec"]))

            # ---- 3: the floor plan over HTTP (in memory and in-process beside it, for scale)
            say(f"floor plan: {opts.warmup} warm-ups + {opts.plan_runs} runs")
            t = {k: [] for k in ("http", "mem", "mem_gc", "inproc", "inproc_gc", "inproc_ctx", "inproc_exec")}
            for i in range(opts.warmup + opts.plan_runs):
                t_http, content = await over_http(plan_body)
                mem = await worker.call("memory", query=queries.FLOOR_PLAN, gid=fx.plan_building_gid, name="FloorPlan",
                                        want_digest=i == 0)
                inproc = await worker.call("asgi", payload=plan_body)
                if i == 0:
                    assert checked(content, _check_plan) == mem.digest, "HTTP and in-memory floor plans differ"
                    res.plan_bytes = len(content)
                if i >= opts.warmup:
                    for k, v in zip(t, (t_http, mem.seconds, mem.gc_seconds, inproc.seconds, inproc.gc_seconds,
                                        inproc.context_seconds, inproc.execute_seconds)):
                        t[k].append(v)
                    res.gc_collections["floor plan, in memory"] = list(mem.gc_collections)
                    _add_cpu(res, "plan", http_cpu, mem.cpu_seconds)
                    res.gc_collections["floor plan, in-process request"] = list(inproc.gc_collections)
            res.plan_http, res.plan_memory, res.plan_memory_gc = Summary.of(t["http"]), Summary.of(t["mem"]), Summary.of(t["mem_gc"])
            res.plan_inproc, res.plan_inproc_gc = Summary.of(t["inproc"]), Summary.of(t["inproc_gc"])
            res.inproc_parts["plan"] = (Summary.of(t["inproc_ctx"]), Summary.of(t["inproc_exec"]))
            say(f"  floor plan HTTP median {res.plan_http.median_ms:.1f} ms, p95 {res.plan_http.p95_ms:.1f} ms")
        server.stop()

        # ---- in the worker, with the server stopped: SQL statements, the parts, profiles
        res.tree_sql = await worker.call("sql", payload=tree_body)
        res.plan_sql = await worker.call("sql", payload=plan_body)
        say(f"SQL statements: tree {len(res.tree_sql.statements)}, floor plan {len(res.plan_sql.statements)}")
        say("breakdown of the requests (in-process)")
        res.breakdown = await worker.call("breakdown_tree", estate_id=fx.estate_id, runs=opts.inproc_runs)
        res.plan_breakdown = await worker.call("breakdown_plan", building_id=fx.plan_building_id, runs=max(opts.inproc_runs, 20))
        # Always, unless --no-profile: the profile is where a missed target gets explained.
        if opts.profile:
            say("profiling the tree request (cProfile, in-process)")
            res.tree_profile = await worker.call("profile", payload=tree_body, runs=2)
        if opts.profile:
            say("profiling the floor plan request (cProfile, in-process)")
            res.plan_profile = await worker.call("profile", payload=plan_body, runs=50)
    finally:
        server.stop()
        await worker.stop()
        await alt.stop()
    res.load_after = os.getloadavg()[0]
    res.elapsed_s = time.perf_counter() - started
    return res
