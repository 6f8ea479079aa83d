"""Big imports read in the worker's reading process (services/houses/import_process.py): the same
houses, owners and row errors as an import read in the worker's own thread, and nothing written
when a row deep in the file fails."""

import asyncio
import os
import signal

import pytest
from sqlalchemy import select

from core.ids import decode_id
from models import ApplicationHouse, Building, House, Owner
from models.enums import DepositTiming
from services import pii
from services.applications import files
from services.houses import import_process
from tests.api import gql
from tests.appflow import make_world, wait_job
from tests.sheets import XLSX, grid, house, workbook

IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id status } }"
COLLECT = 'mutation { createEstateCollection(input: {name: "分进程花园", district: "蓬江区", address: "x", depositTiming: BEFORE_HANDOVER}) { id } }'
JOB = "query($id: ID!) { job(id: $id) { status message processed total errors { row column code message } } }"


@pytest.fixture
def apart(monkeypatch):
    """Counts the imports read apart; `apart.always(True)` sends every import there, False none."""

    class Counted(import_process.RemoteSheet):
        opened = 0

        def __init__(self, *args, **kwargs):
            Counted.opened += 1
            super().__init__(*args, **kwargs)

    def always(on: bool) -> None:
        monkeypatch.setattr(import_process, "MIN_BYTES", 0 if on else 1 << 40)

    monkeypatch.setattr(import_process, "RemoteSheet", Counted)
    Counted.always = staticmethod(always)
    return Counted


def varied_rows(n_buildings: int = 6) -> list[dict]:
    rows = []
    for b in range(1, n_buildings + 1):
        rows += grid(f"{b}栋", 12, 20, area=f"{80 + b}.25")
    rows += [house("车库", "1单元", -1, "B101", "30.00", usage="车库", sold="未售"),
             house("车库", "1单元", -2, "B201", "31.50", usage="车库", sold="未售", elevator="无")]
    # Characters COPY's text format reads specially, in a free-text column.
    rows[7]["房屋坐落"] = "江门市示例路\\1栋\\108房"
    rows[8]["房款"] = "1234567.89"
    rows[9]["套内面积"] = "70.12"
    rows[10]["业主姓名"] = "李四"
    rows[10]["手机号码"] = "13912345678"
    return rows


async def _import(client, token, app_id, data) -> dict:
    job = (await gql(client, IMPORT, {"id": app_id, "file": None}, token=token,
                     files={"variables.file": ("houses.xlsx", data, XLSX)})).ok()["importHouses"]
    await wait_job(client, token, job["id"], timeout=120)
    return (await gql(client, JOB, {"id": job["id"]}, token=token)).ok()["job"]


async def _written(session, app_gid: str) -> list[tuple]:
    """The application's houses in its order, with their buildings' names and their owners opened:
    everything but ids and 房屋编号, which sequences hand out, and the application."""
    app_id = decode_id(app_gid, "Application")
    session.expire_all()
    houses = (await session.execute(
        select(House, Building.name).join(ApplicationHouse, ApplicationHouse.house_id == House.id)
        .join(Building, Building.id == House.building_id)
        .where(ApplicationHouse.application_id == app_id).order_by(ApplicationHouse.position))).all()
    owners: dict[int, list] = {}
    for o in await session.scalars(select(Owner).where(Owner.house_id.in_([h.id for h, _ in houses])).order_by(Owner.position)):
        owners.setdefault(o.house_id, []).append((
            o.position, o.name, o.id_type, pii.reveal(o.id_number, pii.ID_NUMBER), pii.reveal(o.phone, pii.PHONE),
            o.id_number_hash, o.phone_hash, o.share))
    columns = [c.key for c in House.__table__.columns if c.key not in ("id", "code", "building_id", "application_id", "created_at", "updated_at")]
    return [(name, *(getattr(h, c) for c in columns), owners.get(h.id, [])) for h, name in houses]


async def test_a_big_import_read_apart_writes_what_one_read_in_the_worker_writes(client, session, worker, apart):
    world = await make_world(client, session)
    data = workbook(varied_rows())
    assert len(data) >= 64 * 1024  # as big as the imports that go apart by default

    apart.always(False)
    here = (await gql(client, COLLECT, token=world.dev)).ok()["createEstateCollection"]["id"]
    done = await _import(client, world.dev, here, data)
    assert done["status"] == "SUCCEEDED", done
    assert apart.opened == 0

    apart.always(True)
    there = (await gql(client, COLLECT, token=world.dev)).ok()["createEstateCollection"]["id"]
    done_apart = await _import(client, world.dev, there, data)
    assert done_apart["status"] == "SUCCEEDED", done_apart
    assert apart.opened == 1
    assert (done_apart["message"], done_apart["processed"], done_apart["total"]) == \
        (done["message"], done["processed"], done["total"])

    written, written_apart = await _written(session, here), await _written(session, there)
    assert len(written) == 6 * 240 + 2
    assert written_apart == written
    assert any(v == "江门市示例路\\1栋\\108房" for h in written_apart for v in h)

    # Again into the same application: the second import replaces the first, apart too.
    again = await _import(client, world.dev, there, workbook(varied_rows(3)))
    assert again["status"] == "SUCCEEDED" and apart.opened == 2
    assert len(await _written(session, there)) == 3 * 240 + 2


async def test_a_bad_row_deep_in_a_big_file_fails_the_import_apart_with_every_error_and_writes_nothing(
        client, session, worker, apart):
    world = await make_world(client, session)
    rows = varied_rows()
    rows[1300]["证件号码"] = "110105194912310021"  # a wrong check digit, once the first part is written
    rows[1301]["建筑面积"] = "-3"
    rows[-1]["楼层"] = "五"  # and the last row
    data = workbook(rows)

    apart.always(False)
    here = (await gql(client, COLLECT, token=world.dev)).ok()["createEstateCollection"]["id"]
    failed = await _import(client, world.dev, here, data)
    apart.always(True)
    there = (await gql(client, COLLECT, token=world.dev)).ok()["createEstateCollection"]["id"]
    failed_apart = await _import(client, world.dev, there, data)
    assert apart.opened == 1

    assert failed["status"] == failed_apart["status"] == "FAILED"
    assert failed_apart["errors"] == failed["errors"]
    assert {e["row"] for e in failed_apart["errors"]} == {1300 + 3, 1301 + 3, len(rows) + 2}  # a title row, then the header
    assert failed_apart["message"] == failed["message"]
    assert await _written(session, there) == []
    app_id = decode_id(there, "Application")
    assert (await session.scalars(select(House.id).where(House.application_id == app_id))).all() == []

    # Good rows after a good import: a failed one apart leaves the earlier houses as they were.
    assert (await _import(client, world.dev, there, workbook(varied_rows()[:20])))["status"] == "SUCCEEDED"
    before = await _written(session, there)
    assert (await _import(client, world.dev, there, data))["status"] == "FAILED"
    assert await _written(session, there) == before


async def test_a_reading_process_killed_mid_import_fails_the_job_cleanly_and_the_next_import_gets_a_new_one(
        client, session, worker, apart, monkeypatch):
    world = await make_world(client, session)
    apart.always(True)
    killed = []

    async def next_then_kill(self):
        part = await super(apart, self).next()
        if not killed:  # after the first part: the child dies while the worker writes it
            pid = await asyncio.wrap_future(self.executor.submit(os.getpid))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return part

    monkeypatch.setattr(apart, "next", next_then_kill)
    app = (await gql(client, COLLECT, token=world.dev)).ok()["createEstateCollection"]["id"]
    failed = await _import(client, world.dev, app, workbook(varied_rows()))
    assert killed
    assert failed["status"] == "FAILED" and failed["message"] == files.READER_LOST and failed["errors"] == []
    assert await _written(session, app) == []

    done = await _import(client, world.dev, app, workbook(varied_rows(2)))
    assert done["status"] == "SUCCEEDED", done
    assert len(await _written(session, app)) == 2 * 240 + 2


async def test_a_reading_stopped_early_leaves_no_reader_in_the_child():
    """An import that stops before its End (overtaken, a write failed) drops its reader in the
    child, and what it asked for ahead; one read to the End drops it itself."""
    data = workbook(varied_rows(24))  # 5 762 rows: parts of 500, 2 000, 2 000 and 1 262; two are asked ahead

    readers = lambda: asyncio.wrap_future(import_process.pool().submit(import_process.open_readers))  # noqa: E731
    before = await readers()
    sheet = import_process.RemoteSheet(data, "houses.xlsx", with_code=False, app_id=1, timing=DepositTiming.BEFORE_HANDOVER)
    part = await sheet.next()
    assert isinstance(part, import_process.Part) and part.prepared is not None
    assert await readers() == before + 1
    sheet.close()
    assert await readers() == before
    whole = import_process.RemoteSheet(data, "houses.xlsx", with_code=False, app_id=1, timing=DepositTiming.BEFORE_HANDOVER)
    while not isinstance(await whole.next(), import_process.End):
        pass
    assert not whole.pending and await readers() == before
    whole.close()
    assert await readers() == before
