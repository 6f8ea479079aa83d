"""Import benchmark (issue: applications): 10 000 and 100 000 house rows end to end — the
multipart upload to a real API process, an arq worker process reading, checking and writing
them, until the client's jobUpdated subscription says SUCCEEDED — beside the floor measured in the same run: the same file
read with the fastest reader (python-calamine, no checks) and its rows COPYed into a table.

    .venv/bin/python -m bench.imports [10000 100000]
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

SIZES = (10_000, 100_000)
TARGETS = {10_000: 1.5, 100_000: 15.0}


def workbook(n: int) -> bytes:
    """n houses in the import template's layout: 20 floors × 10 rooms a building, one owner each."""
    from openpyxl import Workbook

    from tests.sheets import HEADER

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("房屋信息")
    ws.append(HEADER[1:])
    done = 0
    building = 0
    while done < n:
        building += 1
        for floor in range(1, 21):
            for room in range(1, 11):
                if done == n:
                    break
                ws.append([f"{building}栋", 2024, "钢混", f"示例路{building}栋", "1单元", floor, f"{floor}{room:02d}",
                           f"示例路{building}栋{floor}{room:02d}房", "住宅", "有", 89.5, 70.25, None, "已售", None,
                           "张三", "居民身份证", "11010519491231002X", "13800138000"])
                done += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def floor(data: bytes) -> float:
    """The fastest reader and COPY of the raw rows: what no import can beat."""
    import python_calamine as calamine

    from core.db import get_engine

    started = time.perf_counter()
    rows = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    records = [tuple(None if c == "" else str(c) for c in row) for row in rows[1:]]
    async with get_engine().connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        columns = [f"c{i}" for i in range(len(records[0]))]
        await raw.execute(f"CREATE TEMP TABLE floor_rows ({', '.join(c + ' text' for c in columns)})")
        await raw.copy_records_to_table("floor_rows", columns=columns, records=records)
        await raw.execute("DROP TABLE floor_rows")
    return time.perf_counter() - started


async def end_to_end(base: str, token: str, data: bytes, n: int) -> tuple[float, dict]:
    import httpx
    from httpx_ws import aconnect_ws

    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        headers = {"Authorization": f"Bearer {token}"}
        created = (await client.post("/graphql", headers=headers, json={"query": (
            'mutation { createEstateCollection(input: {name: "压测花园%d", district: "蓬江区", address: "x", '
            'depositTiming: BEFORE_HANDOVER}) { id } }' % n)})).json()
        app_id = created["data"]["createEstateCollection"]["id"]
        operations = {"query": "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id } }",
                      "variables": {"id": app_id, "file": None}}
        started = time.perf_counter()
        r = await client.post("/graphql", headers=headers, files={"0": ("houses.xlsx", data, "application/octet-stream")},
                              data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})})
        job_id = r.json()["data"]["importHouses"]["id"]
        # As an integration waits: jobUpdated over graphql-transport-ws (it sends the job's current
        # state first, so a job that finished before the subscription started is still seen).
        async with aconnect_ws(f"{base}/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_text(json.dumps({"type": "connection_init", "payload": headers}))
            assert json.loads(await ws.receive_text())["type"] == "connection_ack"
            await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription($id: ID!) { jobUpdated(id: $id) { status processed total message } }",
                "variables": {"id": job_id}}}))
            while True:
                message = json.loads(await ws.receive_text())
                if message["type"] == "ping":
                    await ws.send_text(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                job = message["payload"]["data"]["jobUpdated"]
                if job["status"] in ("SUCCEEDED", "FAILED"):
                    return time.perf_counter() - started, job


async def run(sizes=SIZES) -> list[dict]:
    from bench.server import Server
    from core.db import get_sessionmaker
    from tests.factories import PASSWORD, make_bank, make_org

    import itertools

    from tests import factories

    factories._counter = itertools.count(700_000)  # clear of the organisations the tree bench made
    async with get_sessionmaker()() as session:
        await make_bank(session, code="IMPORT")
        org = await make_org(session, admin="bench-importer")
    server = Server()
    await server.start()
    log = open(os.environ.get("DATA_DIR", ".") + "/import-worker.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "jobs.worker"], env={**os.environ, "LOG_LEVEL": "INFO"},
                              stdout=log, stderr=subprocess.STDOUT)
    results = []
    try:
        import httpx

        async with httpx.AsyncClient(base_url=server.base_url) as client:
            login = await client.post("/graphql", json={"query": 'mutation { login(username: "bench-importer", password: "%s") { token } }' % PASSWORD})
            token = login.json()["data"]["login"]["token"]
        # One small import first, not measured: the API's and the worker's first request of a
        # kind pays for statement compilation and lazy imports, as any service's first one does.
        await end_to_end(server.base_url, token, workbook(200), 200)
        for n in sizes:
            data = workbook(n)
            seconds, job = await end_to_end(server.base_url, token, data, n)
            floor_seconds = await floor(data)
            results.append({"rows": n, "bytes": len(data), "seconds": seconds, "status": job["status"],
                            "message": job["message"], "floor": floor_seconds, "target": TARGETS.get(n)})
            print(f"{n:>7} rows: end to end {seconds:6.2f} s ({job['status']}), floor {floor_seconds:5.2f} s", flush=True)
    finally:
        worker.terminate()
        worker.wait(10)
        log.close()
        server.stop()
    return results


def markdown(results: list[dict]) -> str:
    lines = ["| Rows | File | End to end (upload → SUCCEEDED) | Rows/s | Floor (calamine + COPY) | End to end / floor | Target |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        met = "**met**" if r["target"] and r["seconds"] < r["target"] else "**missed**"
        lines.append(f"| {r['rows']:,} | {r['bytes'] / 1e6:.1f} MB | {r['seconds']:.2f} s | {r['rows'] / r['seconds']:,.0f} | "
                     f"{r['floor']:.2f} s | {r['seconds'] / r['floor']:.1f}× | < {r['target']} s: {met} |")
    return "\n".join(lines)


def main() -> None:
    from bench.environment import prepare

    prepare()
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    results = asyncio.run(run(sizes))
    print(markdown(results))


if __name__ == "__main__":
    main()
