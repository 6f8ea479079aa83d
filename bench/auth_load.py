"""Authenticated requests under concurrency (issue 11, item 0): `wrk` against one uvicorn process
on loopback, anonymous `{ __typename }` beside authenticated `{ me { id name } }`, at several
connection counts, in one run so the two compare like with like.

    PYTHONPATH=$PWD .venv/bin/python -m bench.auth_load [--seconds 10] [--connections 8,64,256]
        [--baseline DIR]   # also an earlier version, e.g. DIR from `git archive <commit> | tar -x -C DIR`

Needs `wrk` (apt-get install wrk). Uses its own data folder `.data/authload` and database
`wxfund_authload` (embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set), so it
may run beside `python3 dev.py bench`. Bounded in time: rounds × connection counts × 2 ×
(warm-up + seconds), twice with --baseline. Each round measures the two queries back to back
(with --baseline, on the earlier version's server too, from the same database), and the table
gives the median over rounds, so that other work on the machine weighs on all alike. Besides wrk's
figures it reads the CPU time the server process (and, embedded, PostgreSQL) spent per request
from /proc, which other load disturbs much less than throughput. Prints a Markdown table;
nothing is asserted."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from server.uvicorn_options import API_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data" / "authload"
DATABASE = "wxfund_authload"

ANONYMOUS = "{ __typename }"
AUTHENTICATED = "{ me { id name } }"

# One Lua script for both: POSTs the query, counts answers that are not 200 or lack the expected
# field (a GraphQL error is a 200 too), and prints that count per run.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
%(auth)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, %(expect)s, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("BAD_ANSWERS %%d\\n", total))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII


@dataclass
class Figures:
    version: str
    query: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    socket_errors: str
    timeouts: int
    pg_sessions: int  # PostgreSQL connections opened during the run
    server_cpu_us: float  # CPU time of the uvicorn process per request
    pg_cpu_us: float | None  # of the embedded PostgreSQL (all its processes) per request


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = int(re.search(r"BAD_ANSWERS (\d+)", output).group(1))
    errors = re.search(r"Socket errors: (.*)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = errors.group(1) if errors else "none"
    if non2xx:
        socket += f"; non-2xx {non2xx.group(1)}"
    timeouts = re.search(r"timeout (\d+)", socket)
    return {"requests_per_s": rps, "p50_ms": p50, "p99_ms": p99, "requests": requests, "bad": bad, "socket_errors": socket,
            "timeouts": int(timeouts.group(1)) if timeouts else 0}


def prepare() -> None:
    """The environment before any application import (get_settings() is cached)."""
    os.environ.setdefault("DATA_DIR", str(DATA))
    os.environ.setdefault("SECRET_KEY", "authload-secret-key")
    os.environ.setdefault("ARGON2_TIME_COST", "1")
    os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    DATA.mkdir(parents=True, exist_ok=True)
    from bench.environment import _recreate_database
    from core.embedded import start_postgres, start_redis

    if os.environ.get("DATABASE_URL"):
        os.environ["WXFUND_AUTHLOAD_EXTERNAL_PG"] = "1"
    admin_url = os.environ.get("DATABASE_URL") or start_postgres(DATA, database="postgres")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = start_redis(DATA)
    os.environ["DATABASE_URL"] = _recreate_database(admin_url, DATABASE)
    from core.config import get_settings
    from core.migrate import upgrade

    get_settings.cache_clear()
    upgrade()


async def make_token() -> str:
    """A clerk and a login session for them, made through the services."""
    from core.db import dispose_engine, get_sessionmaker
    from core.redis import close_redis, get_redis
    from models.enums import Role
    from services import auth, users

    await get_redis().flushdb()
    async with get_sessionmaker()() as session:
        user = await users.create_staff_user(session, username="load-clerk", password="Load-passw0rd", name="压测受理",
                                             roles=[Role.CLERK])
        result = await auth.issue_session(session, user)
        await session.commit()
    await dispose_engine()
    await close_redis()
    return result.token


async def pg_sessions() -> int:
    import asyncpg

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        return await conn.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = $1", DATABASE)
    finally:
        await conn.close()


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    f = _stat(pid)
    return (int(f[11]) + int(f[12])) / TICK


def postgres_cpu_seconds() -> float | None:
    """The embedded PostgreSQL's CPU time: the postmaster with its reaped children (backends that
    ended, as churned connections do) plus the live ones. None for a server that is not ours."""
    pid_file = DATA / "pg" / "postmaster.pid"
    if os.environ.get("WXFUND_AUTHLOAD_EXTERNAL_PG") or not pid_file.exists():
        return None
    postmaster = int(pid_file.read_text().split()[0])
    f = _stat(postmaster)
    total = sum(int(x) for x in f[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = _stat(int(entry.name))
            except OSError:
                continue
            if int(child[1]) == postmaster:
                total += sum(int(x) for x in child[11:15])
    return total / TICK


def start_server(port: int, root: Path, name: str, loop: str | None = None) -> subprocess.Popen:
    """uvicorn with the code under `root` (this checkout or the baseline), with the service's own
    options (server/uvicorn_options.py) or, given `loop`, another event loop."""
    import urllib.request

    log_path = DATA / f"uvicorn-{name}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1", *API_OPTIONS,
                             *(("--loop", loop) if loop else ())], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("uvicorn did not start")


def check(port: int, query: str, token: str | None, expect: str) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, headers=headers).json()
    if expect not in json.dumps(body, ensure_ascii=False) or body.get("errors"):
        raise RuntimeError(f"{query} answered {body}")


def wrk(port: int, script: Path, connections: int, seconds: float, threads: int) -> str:
    args = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
            "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}/graphql"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout


def measure(version: str, port: int, pid: int, script: Path, query: str, connections: int, args) -> Figures:
    if args.warmup > 0:
        wrk(port, script, connections, args.warmup, args.threads)
    sessions, server_cpu, pg_cpu = asyncio.run(pg_sessions()), cpu_seconds(pid), postgres_cpu_seconds()
    figures = parse_wrk(wrk(port, script, connections, args.seconds, args.threads))
    server_cpu = cpu_seconds(pid) - server_cpu
    pg_cpu = None if pg_cpu is None else postgres_cpu_seconds() - pg_cpu
    opened = asyncio.run(pg_sessions()) - sessions - 1  # less the one that counts
    n = max(figures["requests"], 1)
    return Figures(version=version, query=query, connections=connections, pg_sessions=opened,
                   server_cpu_us=server_cpu / n * 1e6, pg_cpu_us=None if pg_cpu is None else pg_cpu / n * 1e6, **figures)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.auth_load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=int, default=10, help="measured seconds per query and connection count (whole)")
    p.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each (whole seconds, as wrk takes)")
    p.add_argument("--connections", default="8,64,256", help="comma-separated connection counts")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of both queries per connection count (default 3)")
    p.add_argument("--baseline", type=Path, help="a checkout of an earlier version to measure in the same rounds")
    p.add_argument("--also-loop", choices=["uvloop", "asyncio"],
                   help="also measure this checkout on another event loop (uvicorn --loop), in the same rounds")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    counts = [int(c) for c in args.connections.split(",")]

    prepare()
    token = asyncio.run(make_token())
    from bench.server import free_port

    versions = {"this": (ROOT, None), **({f"this, {args.also_loop}": (ROOT, args.also_loop)} if args.also_loop else {}),
                **({"baseline": (args.baseline.resolve(), None)} if args.baseline else {})}
    servers: dict[str, tuple[int, subprocess.Popen]] = {}
    results: list[Figures] = []
    load_before = os.getloadavg()[0]
    try:
        for version, (root, loop) in versions.items():
            port = free_port()
            servers[version] = (port, start_server(port, root, version.replace(", ", "-"), loop))
        with tempfile.TemporaryDirectory() as tmp:
            scripts = {}
            for name, query, auth, expect in (("anonymous", ANONYMOUS, None, '"__typename"'),
                                              ("authenticated", AUTHENTICATED, token, '"name"')):
                for port, _ in servers.values():
                    check(port, query, auth, expect.strip('"'))
                path = Path(tmp) / f"{name}.lua"
                path.write_text(WRK_SCRIPT % {
                    "body": lua_string(json.dumps({"query": query})), "expect": lua_string(expect),
                    "auth": "" if auth is None else f'wrk.headers["Authorization"] = {lua_string("Bearer " + auth)}'})
                scripts[query] = path
            for connections in counts:
                for round_ in range(args.rounds):
                    for version, (port, server) in servers.items():
                        for query in (ANONYMOUS, AUTHENTICATED):
                            r = measure(version, port, server.pid, scripts[query], query, connections, args)
                            results.append(r)
                            print(f"{version:8} {query:20} c={connections:<4} round {round_ + 1}: {r.requests_per_s:6.0f} req/s  "
                                  f"p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  server CPU {r.server_cpu_us:5.0f} µs/req  "
                                  f"PG CPU {'-' if r.pg_cpu_us is None else f'{r.pg_cpu_us:.0f}'} µs/req  bad {r.bad}  "
                                  f"socket {r.socket_errors}  new PG connections {r.pg_sessions}", file=sys.stderr, flush=True)
    finally:
        for _, server in servers.values():
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    print(markdown(results, args, load_before, os.getloadavg()[0]))
    return 0


def markdown(results: list[Figures], args, load_before: float, load_after: float) -> str:
    def cell(version: str, query: str, c: int) -> list[Figures]:
        return [r for r in results if r.version == version and r.query == query and r.connections == c]

    def median(version: str, query: str, c: int, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in cell(version, query, c))

    def pg(version: str, c: int) -> str:
        values = [r.pg_cpu_us for r in cell(version, AUTHENTICATED, c)]
        return "–" if None in values else f"{statistics.median(values):,.0f}"

    lines = [
        f"wrk -t{args.threads} --latency --timeout 5s, {args.rounds} rounds × {args.seconds:g} s per version, query and "
        f"connection count, each after {args.warmup:g} s of warm-up; medians over the rounds. Load average "
        f"{load_before:.2f} before, {load_after:.2f} after. CPU: microseconds per request of the uvicorn process and "
        "of all PostgreSQL processes (read from /proc).",
        "",
        "| version | connections | anonymous req/s | p99 ms | authenticated req/s | p50 ms | p99 ms | auth / anon | "
        "server CPU µs/req anon → auth | PostgreSQL CPU µs/req (auth) | new PG connections (auth, all rounds) | "
        "timeouts anon / auth (all rounds) | wrong answers |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for version in dict.fromkeys(r.version for r in results):
        for c in sorted({r.connections for r in results}):
            anon_rps, auth_rps = median(version, ANONYMOUS, c, "requests_per_s"), median(version, AUTHENTICATED, c, "requests_per_s")
            lines.append(
                f"| {version} | {c} | {anon_rps:,.0f} | {median(version, ANONYMOUS, c, 'p99_ms'):,.0f} | {auth_rps:,.0f} | "
                f"{median(version, AUTHENTICATED, c, 'p50_ms'):,.1f} | {median(version, AUTHENTICATED, c, 'p99_ms'):,.0f} | "
                f"{auth_rps / anon_rps:.0%} | {median(version, ANONYMOUS, c, 'server_cpu_us'):,.0f} → "
                f"{median(version, AUTHENTICATED, c, 'server_cpu_us'):,.0f} | {pg(version, c)} | "
                f"{sum(r.pg_sessions for r in cell(version, AUTHENTICATED, c))} | "
                f"{sum(r.timeouts for r in cell(version, ANONYMOUS, c))} / {sum(r.timeouts for r in cell(version, AUTHENTICATED, c))} | "
                f"{sum(r.bad for r in cell(version, ANONYMOUS, c) + cell(version, AUTHENTICATED, c))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
