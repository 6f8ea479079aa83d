"""Load, measured: many concurrent clients running a realistic mix against 1 or 2 API processes
(uvicorn, loopback only) on one PostgreSQL and Redis, with arq workers, while hundreds of
`applicationStatusChanged` subscriptions stay open. Bounded in time.

    .venv/bin/python -m bench.load [--api-processes 1|2] [--clients 200] [--subscriptions 500] [--seconds 60]
                                   [--think-ms 5000] [--append docs/benchmarks.md] [--json out.json]

It uses the bench's own database `wxfund_bench` (recreated) and data folder `.data/bench/`
(bench/environment.py); do not run it beside `python3 dev.py bench`.

Each client is a user at a desk: it picks an operation by weight (MIX), runs it, then waits a
random think time (exponential, mean --think-ms) before the next. Every request's latency is
recorded per operation; an error is a transport failure, a non-200 answer, or any GraphQL error
(no step here expects a coded refusal; a step that did would name the code in `expect`).
Subscriptions are spread over the API processes; a status change made through one process is
timed from the mutation's response to its arrival on each subscriber of the OTHER process (of
the same process when there is only one).

The parts: bench/load_world.py (the mix, its GraphQL, the configuration and the prepared data),
load_clients.py (clients and subscribers), load_run.py (the measured run) and load_report.py (the
figures and the markdown)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from bench.load_report import markdown
from bench.load_run import run
from bench.load_world import Config, prepare_data

# ---------------------------------------------------------------- command line

def parse(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--api-processes", type=int, choices=(1, 2), default=1)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--subscriptions", type=int, default=500)
    p.add_argument("--seconds", type=float, default=60.0, help="measured seconds (after the warm-up)")
    # Each client's first operation is a different one, so that every kind runs (load_clients.py):
    # the first round, within about the first 10 s, is heavier than the mix (as many approvals and
    # notice issues as floor plans, each a PDF to render), and took requests 3-5x their steady
    # median on this machine. 15 s keeps that round out of the measured span.
    p.add_argument("--warmup", type=float, default=15.0, help="seconds of load not counted, first")
    p.add_argument("--think-ms", type=float, default=5000.0, help="mean think time between a client's operations")
    p.add_argument("--workers", type=int, default=1, help="arq worker processes")
    p.add_argument("--orgs", type=int, default=4)
    p.add_argument("--append", type=Path, help="append the markdown section to this file (e.g. docs/benchmarks.md)")
    p.add_argument("--json", type=Path, help="write the report as JSON here")
    a = p.parse_args(argv)
    cfg = Config(api_processes=a.api_processes, clients=a.clients, subscriptions=a.subscriptions, seconds=a.seconds,
                 warmup=a.warmup, think_ms=a.think_ms, orgs=a.orgs)
    return cfg, a


def main(argv: list[str]) -> int:
    cfg, args = parse(argv)
    from bench.environment import DATA, prepare

    prepare()  # before any application import: wxfund_bench recreated and migrated
    from bench.run import say
    from bench.server import Server

    async def main_async() -> dict:
        from core.db import dispose_engine
        from core.redis import close_redis, get_redis

        await get_redis().flushdb()
        servers = []
        for i in range(cfg.api_processes):
            server = Server()
            server.log_path = DATA / f"uvicorn-load-{i}.log"
            server.log_path.unlink(missing_ok=True)
            servers.append(server)
        workers = []
        try:
            for server in servers:
                await server.start()
            env = dict(os.environ)
            for i in range(args.workers):
                log = (DATA / f"worker-load-{i}.log").open("wb")
                workers.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "jobs.worker", cwd=str(Path(__file__).resolve().parent.parent),
                    env=env, stdout=log, stderr=log))
            say(f"{len(servers)} API process(es) on {', '.join(s.base_url for s in servers)}; {len(workers)} worker(s); preparing data")
            world = await prepare_data(cfg, servers[0].base_url)
            say(f"{cfg.orgs} organisations, {sum(len(o.fresh_buildings) for o in world.orgs)} buildings to issue, "
                f"{len(world.notices)} notices to confirm")
            from bench.cpu import postmaster_pid

            return await run(cfg, [s.base_url for s in servers], world, say=say,
                             pids={"API": [s.process.pid for s in servers], "worker": [w.pid for w in workers]},
                             postmaster=postmaster_pid(DATA / "pg"))
        finally:
            for w in workers:
                if w.returncode is None:
                    w.terminate()
                    try:
                        await asyncio.wait_for(w.wait(), 10)
                    except asyncio.TimeoutError:
                        w.kill()
            for server in servers:
                server.stop()
            await dispose_engine()
            await close_redis()

    try:
        import uvloop
        report = uvloop.run(main_async())
    except ImportError:
        report = asyncio.run(main_async())
    text = markdown(report)
    print(text)
    command = "python -m bench.load " + " ".join(argv)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    if args.append:
        with args.append.open("a", encoding="utf-8") as f:
            f.write(f"\n`{command}`\n\n{text}\n")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
