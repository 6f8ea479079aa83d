"""The in-process side of a run, in a process of its own started like the server (it imports
server.asgi and nothing of the bench's seeding or HTTP client), so that the cyclic garbage
collector — half the time of the big tree query — sees a heap like the server's and not the
bench's. Commands come one a line on stdin as JSON; each answer is one line of base64 pickle.

`python -m bench.worker` is started by bench/run.py with the environment bench/environment.py
prepared; it is not meant to be run by hand."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import os
import pickle
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.stats import GcTimer, Stopwatch

TUNED_GC_THRESHOLD = (50_000, 20, 100)


def digest(data: Any) -> str:
    """The same for equal GraphQL `data`, whichever side produced it."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Timing:
    seconds: float
    gc_seconds: float = 0.0
    gc_collections: tuple[int, int, int] = (0, 0, 0)
    json_seconds: float = 0.0
    digest: str = ""
    cpu_seconds: float = 0.0
    context_seconds: float = 0.0  # in-process request: GraphQLApp.get_context (the viewer from the token)
    execute_seconds: float = 0.0  # in-process request: schema.execute, DataLoader batches included


@dataclass
class SqlCount:
    statements: list
    checkouts: int
    pre_ping: bool = False


class Worker:
    async def init(self, token: str, estate_ids: list[int], gc_mode: str = "app") -> dict:
        """gc_mode "app": the collector set up as the server's start-up sets it (core.gc_policy.settle,
        which uvicorn runs in the lifespan; ASGITransport does not run the lifespan, so it is called
        here, before the records are loaded, as in the server). "default": Python's defaults.
        "tuned": gc.freeze() and TUNED_GC_THRESHOLD, for an app that does not tune its GC yet."""
        import graphql
        import httpx

        from bench import memory
        from server import app as app_module
        from core import gc_policy
        from server.asgi import app
        from core.db import get_sessionmaker
        from schema import schema
        from services import auth

        if gc_mode == "app":
            gc_policy.settle()
        elif gc_mode == "tuned":
            gc.collect()
            gc.freeze()
            gc.set_threshold(*TUNED_GC_THRESHOLD)

        self.schema = schema
        self.graphql = graphql
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.token = token
        async with get_sessionmaker()() as s:
            self.viewer = await auth.authenticate(s, token)
        assert self.viewer is not None, "token not accepted"
        self.snapshot = await memory.snapshot(get_sessionmaker(), estate_ids)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=300)
        self.documents: dict[str, Any] = {}
        # Time the two big steps inside each in-process request, by wrapping them on the instances
        # the app uses (in this process only): the context (bearer token → viewer: one query) and
        # schema.execute (validation, resolvers and every DataLoader batch).
        self.phase = {"context": 0.0, "execute": 0.0}
        self._timed(schema, "execute", "execute")
        if (view := getattr(app_module, "graphql_app", None)) is not None:
            self._timed(view, "get_context", "context")
        return {"pid": os.getpid(), "gc_mode": gc_mode, "app_tunes_gc": True,
                "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}

    def _timed(self, obj: Any, name: str, key: str) -> None:
        original = getattr(obj, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.phase[key] += time.perf_counter() - started

        setattr(obj, name, timed)

    def _context(self):
        from bench.memory import memory_context

        return memory_context(self.snapshot, self.viewer)

    async def memory(self, query: str, gid: str, name: str, want_digest: bool = False) -> Timing:
        ctx = self._context()
        cpu = time.process_time()
        with GcTimer() as g, Stopwatch() as w:
            result = await self.schema.execute(query, variable_values={"id": gid}, context_value=ctx, operation_name=name)
        cpu = time.process_time() - cpu
        assert not result.errors, result.errors
        with Stopwatch() as j:
            json.dumps({"data": result.data}, separators=(",", ":"))
        return Timing(w.seconds, g.seconds, tuple(g.collections), j.seconds, digest(result.data) if want_digest else "", cpu)

    async def core(self, query: str, gid: str) -> Timing:
        """graphql-core's execute() on the same schema, without Strawberry's extensions."""
        doc = self.documents.get(query) or self.documents.setdefault(query, self.graphql.parse(query))
        ctx = self._context()
        with GcTimer() as g, Stopwatch() as w:
            result = await self.graphql.execute(self.schema._schema, doc, variable_values={"id": gid}, context_value=ctx)
        assert not result.errors, result.errors
        return Timing(w.seconds, g.seconds, tuple(g.collections))

    async def _post(self, payload: str):
        response = await self.client.post("/graphql", content=payload.encode(), headers=self.headers)
        assert response.status_code == 200 and b'"errors"' not in response.content[:20], response.text[:300]
        return response

    async def asgi(self, payload: str) -> Timing:
        self.phase.update(context=0.0, execute=0.0)
        with GcTimer() as g, Stopwatch() as w:
            await self._post(payload)
        return Timing(w.seconds, g.seconds, tuple(g.collections),
                      context_seconds=self.phase["context"], execute_seconds=self.phase["execute"])

    async def sql(self, payload: str) -> SqlCount:
        from bench.sqlcount import Counter
        from core.db import get_engine

        await self._post(payload)
        with Counter(get_engine()) as counter:
            await self._post(payload)
        return SqlCount(counter.statements, counter.checkouts, bool(getattr(get_engine().pool, "_pre_ping", False)))

    async def breakdown_tree(self, estate_id: int, runs: int):
        from bench import breakdown

        return await breakdown.measure_tree(self.token, estate_id, runs)

    async def breakdown_plan(self, building_id: int, runs: int):
        from bench import breakdown

        return await breakdown.measure_plan(self.token, building_id, runs)

    async def profile(self, payload: str, runs: int):
        from bench import breakdown

        return await breakdown.profile(lambda: self._post(payload), runs=runs)

    async def close(self) -> None:
        from core.db import dispose_engine
        from core.redis import close_redis

        await self.client.aclose()
        await dispose_engine()
        await close_redis()


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer
    worker = Worker()
    try:
        while line := await reader.readline():
            request = json.loads(line)
            if request["op"] == "quit":
                break
            try:
                answer: Any = {"ok": await getattr(worker, request["op"])(**request.get("args", {}))}
            except Exception as exc:  # report to the bench, keep serving
                import traceback

                answer = {"error": "".join(traceback.format_exception(exc))}
            out.write(base64.b64encode(pickle.dumps(answer)) + b"\n")
            out.flush()
    finally:
        if hasattr(worker, "client"):
            await worker.close()


def main() -> None:
    try:
        import uvloop  # the event loop uvicorn uses
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(serve())


if __name__ == "__main__":
    # Run the module under its own name so that what it pickles is bench.worker.Timing, not __main__.Timing.
    from bench.worker import main as worker_main

    worker_main()


class WorkerProcess:
    """The bench's handle on `python -m bench.worker`."""

    async def start(self) -> None:
        from bench.environment import ROOT

        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.worker", cwd=ROOT, env=dict(os.environ),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 26)

    async def call(self, op: str, **args: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, "args": args}).encode() + b"\n")
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench worker exited with {await self.process.wait()} during {op}")
        answer = pickle.loads(base64.b64decode(line))
        if "error" in answer:
            raise RuntimeError(f"bench worker failed in {op}:\n{answer['error']}")
        return answer["ok"]

    async def stop(self) -> None:
        if self.process.returncode is None:
            try:
                self.process.stdin.write(b'{"op": "quit"}\n')
                await self.process.stdin.drain()
                await asyncio.wait_for(self.process.wait(), 30)
            except (asyncio.TimeoutError, ConnectionError):
                self.process.kill()
                await self.process.wait()
