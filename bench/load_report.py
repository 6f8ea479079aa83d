"""The load run's report (bench/load.py): latency percentiles per operation, subscription
delivery, the goals, and the markdown section for docs/benchmarks.md."""

from __future__ import annotations

from collections import defaultdict

from bench.load_clients import Recorder, Sample, Subscriber
from bench.load_world import IMPORT_JOB, JOB, MIX, MUTATION, READ, TARGET_MS, Config
from bench.stats import percentile

def summarise(cfg: Config, rec: Recorder, subs: list[Subscriber], start: float, end: float, processes: int,
              load_before, load_after) -> dict:
    span = max(end - start, 1e-9)
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for s in rec.samples:
        if s.started >= start and (s.kind == JOB or s.started <= end):
            by_op[s.op].append(s)
    ops = []
    for name in [*MIX, IMPORT_JOB]:
        samples = by_op.get(name, [])
        kind = MIX[name][0] if name in MIX else JOB
        ms = [s.seconds * 1000 for s in samples]
        errors = [s.error for s in samples if s.error]
        kinds: dict[str, int] = defaultdict(int)
        for e in errors:
            kinds[e] += 1
        ops.append({"op": name, "kind": kind, "count": len(samples), "per_s": len(samples) / span,
                    "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95), "p99_ms": percentile(ms, 0.99),
                    "errors": len(errors), "error_kinds": dict(kinds)})

    # Delivery: every subscriber that may hear a change (its organisation's developer page, or a
    # clerk's) on another process than the one the change went through (any, with one process).
    lat = []
    changes = {k: v for k, v in rec.changes.items() if v[1] >= start}
    for process, app, status, at in rec.deliveries:
        if (app, status) not in changes:
            continue  # a change before the measured span, or one the load did not make
        made_on, responded = changes[(app, status)]
        if processes > 1 and process == made_on:
            continue
        lat.append((at - responded) * 1000)
    delivered_pairs = len(lat)
    expected = 0
    for (app, status), (made_on, _) in changes.items():
        org = rec.app_orgs.get(app)
        expected += sum(1 for s in subs if not (processes > 1 and s.process == made_on) and (s.org is None or s.org == org))
    missed = max(expected - delivered_pairs, 0)
    counted = len(changes)
    delivery = {"changes": counted, "deliveries": delivered_pairs, "expected": expected, "missed": missed,
                "p50_ms": percentile(lat, 0.5), "p95_ms": percentile(lat, 0.95), "p99_ms": percentile(lat, 0.99),
                "max_ms": max(lat) if lat else float("nan"), "subscription_errors": rec.sub_errors[:10],
                "subscription_error_count": len(rec.sub_errors), "open": len(subs)}
    return {"config": cfg.__dict__, "api_processes": processes, "seconds": span, "ops": ops, "delivery": delivery,
            "load_before": list(load_before), "load_after": list(load_after),
            "errors": sum(o["errors"] for o in ops) + len(rec.sub_errors) + missed}


# ---------------------------------------------------------------- report

def _ms(v: float) -> str:
    return "–" if v != v else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def goals(report: dict) -> list[tuple[str, bool]]:
    ops = [o for o in report["ops"] if o["count"]]
    reads = [o for o in ops if o["kind"] == READ]
    muts = [o for o in ops if o["kind"] == MUTATION]
    d = report["delivery"]
    return [
        ("zero errors", report["errors"] == 0),
        (f"p99 of every read under {TARGET_MS[READ]:.0f} ms", all(o["p99_ms"] < TARGET_MS[READ] for o in reads)),
        (f"p99 of every mutation under {TARGET_MS[MUTATION]:.0f} ms", all(o["p99_ms"] < TARGET_MS[MUTATION] for o in muts)),
        (f"subscription delivery p99 under {TARGET_MS['delivery']:.0f} ms",
         d["deliveries"] > 0 and d["p99_ms"] < TARGET_MS["delivery"]),
    ]


def markdown(report: dict) -> str:
    c = report["config"]
    out = [f"### {report['api_processes']} API process{'es' if report['api_processes'] > 1 else ''}: "
           f"{c['clients']} clients, {c['subscriptions']} subscriptions, {report['seconds']:.0f} s measured",
           "",
           f"Load average (1/5/15 min) before {' / '.join(f'{x:.2f}' for x in report['load_before'])}, "
           f"after {' / '.join(f'{x:.2f}' for x in report['load_after'])}; think time mean {c['think_ms']:.0f} ms.",
           "",
           "| Operation | Kind | Count | Per second | p50 ms | p95 ms | p99 ms | Server mean ms | Errors |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for o in report["ops"]:
        errs = str(o["errors"]) + ("" if not o["error_kinds"] else " (" + "; ".join(
            f"{k} ×{v}" for k, v in sorted(o["error_kinds"].items(), key=lambda kv: -kv[1])[:3]) + ")")
        out.append(f"| {o['op']} | {o['kind']} | {o['count']:,} | {o['per_s']:.1f} | {_ms(o['p50_ms'])} | "
                   f"{_ms(o['p95_ms'])} | {_ms(o['p99_ms'])} | {_ms(o.get('server_mean_ms', float('nan')))} | {errs} |")
    total = sum(o["count"] for o in report["ops"] if o["kind"] != JOB)
    out.append(f"| **all requests** | | {total:,} | {total / report['seconds']:.1f} | | | | | "
               f"{sum(o['errors'] for o in report['ops'] if o['kind'] != JOB)} |")
    d = report["delivery"]
    where = "on the other process" if report["api_processes"] > 1 else "on the same process"
    out += ["",
            f"Subscription delivery (`applicationStatusChanged`, {d['open']} open, {where}): {d['changes']} status changes, "
            f"{d['deliveries']:,} deliveries of {d['expected']:,} expected ({d['missed']} missed); from the mutation's "
            f"response to the event: p50 {_ms(d['p50_ms'])} ms, p95 {_ms(d['p95_ms'])} ms, p99 {_ms(d['p99_ms'])} ms, "
            f"max {_ms(d['max_ms'])} ms; subscription errors {d['subscription_error_count']}"
            + ("" if not d["subscription_errors"] else " (" + "; ".join(d["subscription_errors"][:3]) + ")") + ".",
            ""]
    if report.get("cpu"):
        out += ["CPU time in the measured span (user + system, from /proc; it does not count waiting for a core): " +
                "; ".join(f"{k} {v['seconds']:.1f} s ({v['cores']:.2f} cores, {v['ms_per_request']:.1f} ms per request)"
                          for k, v in report["cpu"].items()) + ".", ""]
    out += ["Goals: " + "; ".join(f"{name}: {'**met**' if ok else '**missed**'}" for name, ok in goals(report)) + "."]
    return "\n".join(out)
