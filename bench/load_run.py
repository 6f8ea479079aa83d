"""The measured load run (bench/load.py): subscriptions opened in waves, clients started, the
servers' own timings and the processes' CPU time read at the start and end of the measured span."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
from collections import defaultdict

from bench.load_clients import Client, Recorder, Subscriber
from bench.load_report import summarise
from bench.load_world import JOB, OPERATION_NAMES, Config, World

def cpu_now(pids: dict[str, list[int]], postmaster: int | None) -> dict[str, float]:
    """CPU seconds so far of each group of processes, of PostgreSQL's backends, and of this generator."""
    from bench.cpu import children_cpu, process_cpu

    out = {group: sum(process_cpu(p) for p in members) for group, members in pids.items()}
    if postmaster:
        out["postgres"] = children_cpu(postmaster)
    out["load generator"] = process_cpu(os.getpid())
    return out


async def run(cfg: Config, base_urls: list[str], world: World, say=print, pids: dict[str, list[int]] | None = None,
              postmaster: int | None = None) -> dict:
    """The measured run against the API processes at `base_urls`; the report as a dict. `pids`
    ({"API": [...], "worker": [...]}) and `postmaster` are the processes whose CPU time is counted:
    on a shared machine the wall-clock figures include waiting for a core, CPU time does not."""
    pids = pids or {}
    rec = Recorder()
    rec.app_orgs.update(world.app_orgs)
    # Subscriptions first, spread over the processes: most are a developer's page on its own
    # organisation's applications, the rest clerks' pages on everyone's.
    subs = []
    sub_rng = random.Random(cfg.seed)
    for j in range(cfg.subscriptions):
        process = j % len(base_urls)
        if sub_rng.random() < cfg.clerk_share:
            subs.append(Subscriber(j, process, base_urls[process], sub_rng.choice(world.clerks), None, rec))
        else:
            org = world.orgs[(j // len(base_urls)) % len(world.orgs)]  # every organisation on every process
            subs.append(Subscriber(j, process, base_urls[process], org.token, org.gid, rec))
    sub_tasks = []
    for k in range(0, len(subs), 50):  # open them in waves, as users arriving
        batch = subs[k:k + 50]
        sub_tasks += [asyncio.create_task(s.run()) for s in batch]
        await asyncio.gather(*(s.ready.wait() for s in batch))
    await asyncio.sleep(1.0)  # the server subscribes to Redis after the subscribe message
    say(f"{len(subs)} subscriptions open ({len(rec.sub_errors)} failed); {cfg.clients} clients for {cfg.seconds:.0f} s "
        f"after {cfg.warmup:.0f} s of warm-up")

    # The generator's own collector must not stop it: the times are taken here, and a full
    # collection over 500 sockets' objects and the samples recorded so far took 70-115 ms, twice a
    # minute, adding its stop to whatever deliveries and responses were on their way (a delivery
    # p99 of 150 ms with the API's loop never stopped longer than 73 ms). What exists now is frozen
    # out of collection and the young objects are collected rarely; what the run makes is mostly
    # reference-counted away.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    load_before = os.getloadavg()
    began = time.perf_counter()
    measured_from = began + cfg.warmup
    until = measured_from + cfg.seconds
    clients = [Client(i, cfg, world, rec, base_urls, until) for i in range(cfg.clients)]

    async def metrics_at_start():
        await asyncio.sleep(cfg.warmup)
        return cpu_now(pids, postmaster), await scrape(base_urls)

    first_scrape = asyncio.create_task(metrics_at_start())
    await asyncio.gather(*(c.run() for c in clients))
    ended = time.perf_counter()
    cpu_start, metrics_start = await first_scrape
    cpu_end = cpu_now(pids, postmaster)
    server_side = diff(metrics_start, await scrape(base_urls))
    load_after = os.getloadavg()
    await asyncio.gather(*(c.drain() for c in clients))
    await asyncio.sleep(2.0)  # the last events on their way
    for s in subs:
        await s.close()
    for t in sub_tasks:
        t.cancel()
    await asyncio.gather(*sub_tasks, return_exceptions=True)

    report = summarise(cfg, rec, subs, measured_from, min(until, ended), len(base_urls), load_before, load_after)
    for o in report["ops"]:
        o["server_mean_ms"] = server_side.get(OPERATION_NAMES.get(o["op"], ""), float("nan"))
    requests = sum(o["count"] for o in report["ops"] if o["kind"] != JOB)
    report["cpu"] = {k: {"seconds": cpu_end[k] - cpu_start.get(k, 0.0),
                         "cores": (cpu_end[k] - cpu_start.get(k, 0.0)) / report["seconds"],
                         "ms_per_request": (cpu_end[k] - cpu_start.get(k, 0.0)) * 1000 / max(requests, 1)}
                     for k in cpu_end}
    return report


async def scrape(base_urls: list[str]) -> dict[str, tuple[float, float]]:
    """Each GraphQL operation's (count, seconds) summed over the API processes' /metrics: the time
    inside the operation (after the bearer token is read), as the server measures it."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    async with httpx.AsyncClient(timeout=60) as client:
        for url in base_urls:
            text = (await client.get(f"{url}/metrics")).text
            for family in text_string_to_metric_families(text):
                if family.name != "graphql_operation_seconds":
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_count"):
                        totals[sample.labels["operation"]][0] += sample.value
                    elif sample.name.endswith("_sum"):
                        totals[sample.labels["operation"]][1] += sample.value
    return {k: (v[0], v[1]) for k, v in totals.items()}


def diff(before: dict, after: dict) -> dict[str, float]:
    """Mean milliseconds per operation between two scrapes."""
    out = {}
    for name, (count, seconds) in after.items():
        c0, s0 = before.get(name, (0.0, 0.0))
        if count > c0:
            out[name] = (seconds - s0) / (count - c0) * 1000
    return out
