"""Business types that read workbooks, end to end through HTTP multipart uploads and the
jobUpdated subscription: collection, supplement, split/merge, info change by Excel."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.ids import encode_id
from models import Estate, House
from models.enums import LedgerKind
from services.payments import ledger
from tests.api import gql
from tests.appflow import APP_FIELDS, make_world, rendered_form, step, through_review, tree, wait_job
from tests.sheets import XLSX, grid, house, workbook
from tests.ws import subscribe, ws_client

IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id status } }"
COLLECT = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { %s estate { id code status } } }" % APP_FIELDS
JOB_UPDATES = "subscription($id: ID!) { jobUpdated(id: $id) { status progress processed total message errors { row column code message } } }"


async def upload(client, token, app_id, data: bytes, name="houses.xlsx"):
    return await gql(client, IMPORT, {"id": app_id, "file": None}, token=token,
                     files={"variables.file": (name, data, XLSX)})


@pytest.fixture
async def world(client, session, worker):
    return await make_world(client, session)


async def test_estate_collection_end_to_end(session, worker):
    async with ws_client() as client:
        world = await make_world(client, session)
        variables = {"input": {"name": "江门新城花园", "district": "江海区", "address": "江门市江海区新城路 1 号",
                               "depositTiming": "BEFORE_HANDOVER"}}
        assert (await gql(client, COLLECT, {"input": {**variables["input"], "district": "广州市"}}, token=world.dev)).code == "VALIDATION_FAILED"
        app = (await gql(client, COLLECT, variables, token=world.dev)).ok()["createEstateCollection"]
        assert app["estate"]["status"] == "PENDING"

        rows = grid("1栋", 5, 4) + grid("2栋", 3, 2) + [house("2栋", "1单元", -1, "B101", "30.00", usage="车库", sold="未售")]
        first = (await upload(client, world.dev, app["id"], workbook(rows))).ok()["importHouses"]
        async with subscribe(client, JOB_UPDATES, {"id": first["id"]}, token=world.dev) as sub:
            states = []
            while not states or states[-1]["status"] not in ("SUCCEEDED", "FAILED"):
                states.append((await sub.next())["payload"]["data"]["jobUpdated"])
        assert states[-1]["status"] == "SUCCEEDED", states[-1]
        assert states[-1]["processed"] == states[-1]["total"] == 27

        # A second import replaces the first.
        second = (await upload(client, world.dev, app["id"], workbook(rows[:10] + rows[20:]))).ok()["importHouses"]
        assert (await wait_job(client, world.dev, second["id"]))["status"] == "SUCCEEDED"
        estate_gid = app["estate"]["id"]
        q = "query($id: ID!) { estate(id: $id) { status houseCount buildings { name status floorsAboveGround floorsBelowGround houses { status accountNumber accountStatus depositTiming } } } }"
        pending = (await gql(client, q, {"id": estate_gid}, token=world.dev)).ok()["estate"]
        assert pending["status"] == "PENDING" and pending["houseCount"] == 0
        assert sum(len(b["houses"]) for b in pending["buildings"]) == 17
        # The application lists its houses in the workbook's order; until submit their snapshots
        # are read from the houses (none is stored yet), and submit stores exactly those.
        from models import ApplicationHouse
        from services.applications import read
        from services.houses.snapshots import current_snapshots
        from core.ids import decode_id

        app_id = decode_id(app["id"], "Application")
        stored = (await session.scalars(select(ApplicationHouse).where(ApplicationHouse.application_id == app_id)
                                        .order_by(ApplicationHouse.position))).all()
        assert [a.position for a in stored] == list(range(17)) and all(a.before is None and a.after is None for a in stored)
        linked = await read.house_changes(session, app_id, first=None, offset=None)
        expected = rows[:10] + rows[20:]
        assert [(a.after["buildingName"], a.after["floor"], a.after["roomNumber"]) for a in linked] == \
            [(r["楼幢名称"], r["楼层"], r["房号"]) for r in expected]
        drafted = await current_snapshots(session, [a.house_id for a in linked])
        assert all(a.before is None and a.after == drafted[a.house_id] for a in linked)
        assert linked[-1].after["usage"] == "GARAGE" and linked[0].after["owners"][0]["name"]
        changes = (await gql(client, "query($id: ID!) { application(id: $id) { houseChangeCount houseChanges(first: 3) { before { code } after { code buildingArea owners { name } } } } }",
                             {"id": app["id"]}, token=world.dev)).ok()["application"]
        assert changes["houseChangeCount"] == 17 and changes["houseChanges"][0]["before"] is None
        assert changes["houseChanges"][0]["after"]["code"] == linked[0].after["code"]
        assert (await gql(client, q, {"id": estate_gid}, token=world.rival)).ok()["estate"] is None
        assert (await gql(client, q, {"id": estate_gid}, token=world.clerk)).ok()["estate"]["status"] == "PENDING"

        approved = await through_review(client, world, app["id"])
        assert approved["status"] == "APPROVED" and approved["houseChangeCount"] == 17
        session.expire_all()
        frozen = (await session.scalars(select(ApplicationHouse).where(ApplicationHouse.application_id == app_id)
                                        .order_by(ApplicationHouse.position))).all()
        assert [a.after for a in frozen] == [drafted[a.house_id] for a in frozen]
        active = (await gql(client, q, {"id": estate_gid}, token=world.dev)).ok()["estate"]
        assert active["status"] == "ACTIVE" and active["houseCount"] == 17
        houses = [h for b in active["buildings"] for h in b["houses"]]
        assert all(h["status"] == "ACTIVE" and h["accountStatus"] == "OPENED" and h["accountNumber"] for h in houses)
        assert all(h["depositTiming"] == "BEFORE_HANDOVER" for h in houses)
        assert {(b["name"], b["floorsAboveGround"], b["floorsBelowGround"]) for b in active["buildings"]} == {("1栋", 3, 0), ("2栋", 3, 1)}


async def test_withdrawn_collection_leaves_nothing(client, session, world):
    app = (await gql(client, COLLECT, {"input": {"name": "临时", "district": "蓬江区", "address": "x",
                                                 "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
    job = (await upload(client, world.dev, app["id"], workbook(grid("1栋", 2, 2)))).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    before = await session.scalar(select(func.count()).select_from(House))
    (await step(client, world.dev, "withdrawApplication", app["id"])).ok()
    assert await session.scalar(select(func.count()).select_from(House)) == before - 4
    assert await session.scalar(select(func.count()).select_from(Estate)) == 1


async def test_import_errors_write_nothing(client, session, world):
    app = (await gql(client, COLLECT, {"input": {"name": "错", "district": "蓬江区", "address": "x",
                                                 "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
    rows = grid("1栋", 2, 2)
    rows[1]["建筑面积"] = "-5"
    rows[2]["证件号码"] = "110105194912310021"
    rows[3].update({"楼层": 1, "房号": rows[0]["房号"]})
    before = await session.scalar(select(func.count()).select_from(House))
    job = (await upload(client, world.dev, app["id"], workbook(rows))).ok()["importHouses"]
    done = await wait_job(client, world.dev, job["id"])
    assert done["status"] == "FAILED"
    codes = {(e["row"], e["column"], e["code"]) for e in done["errors"]}
    assert (4, "建筑面积", "OUT_OF_RANGE") in codes or (4, "建筑面积", "BAD_NUMBER") in codes
    assert any(c == "BAD_ID_NUMBER" for _, _, c in codes) and any(c == "DUPLICATE" for _, _, c in codes)
    assert await session.scalar(select(func.count()).select_from(House)) == before
    bad = await upload(client, world.dev, app["id"], b"%PDF-1.4 not a workbook", name="x.xlsx")
    assert bad.code == "FILE_REJECTED"
    assert (await step(client, world.dev, "submitApplication", app["id"])).code == "VALIDATION_FAILED"


async def test_supplement_adds_to_active_and_new_buildings(client, session, world):
    r = await gql(client, "mutation($input: HouseSupplementInput!) { createHouseSupplement(input: $input) { id } }",
                  {"input": {"estateId": world.estate_gid, "depositTiming": "BEFORE_INITIAL_REGISTRATION"}}, token=world.dev)
    app = r.ok()["createHouseSupplement"]
    existing = await upload(client, world.dev, app["id"], workbook([house("1栋", "1单元", 1, "101")]))
    failed = await wait_job(client, world.dev, existing.ok()["importHouses"]["id"])
    assert failed["status"] == "FAILED" and failed["errors"][0]["code"] == "DUPLICATE"
    job = (await upload(client, world.dev, app["id"], workbook([house("1栋", "1单元", 4, "401"), house("3栋", "1单元", 1, "101")]))).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    await through_review(client, world, app["id"])
    buildings = {b["name"]: b for b in (await tree(client, world))["buildings"]}
    assert len(buildings["1栋"]["houses"]) == 7 and len(buildings["3栋"]["houses"]) == 1


async def test_split_merge_carries_balances_to_the_fen(client, session, world):
    houses = (await tree(client, world))["buildings"][0]["houses"]
    old = [h for h in houses if h["floor"] == 1]  # 101 and 102
    for h, amount in zip(old, ("120.00", "80.00")):
        from core.ids import decode_id

        await ledger.post(session, decode_id(h["id"], "House"), LedgerKind.DEPOSIT, Decimal(amount), memo="测试交存")
    await session.commit()
    total_area = sum(Decimal(h["buildingArea"]) for h in old)
    r = await gql(client, "mutation($input: HouseSplitMergeInput!) { createHouseSplitMerge(input: $input) { id } }",
                  {"input": {"estateId": world.estate_gid, "reason": "两套分为三套", "houseIds": [h["id"] for h in old]}}, token=world.dev)
    app = r.ok()["createHouseSplitMerge"]
    # Export the chosen houses, edit them into three result houses of equal area, import.
    exported = (await gql(client, "mutation($ids: [ID!]) { exportHouses(houseIds: $ids) { id } }", {"ids": [h["id"] for h in old]}, token=world.dev)).ok()
    export_job = await wait_job(client, world.dev, exported["exportHouses"]["id"])
    assert export_job["status"] == "SUCCEEDED" and export_job["result"]["filename"].endswith(".xlsx")
    third = (total_area / 3).quantize(Decimal("0.01"))
    areas = [third, third, total_area - 2 * third]
    results = [house("1栋", "1单元", 1, f"10{i + 1}", str(a)) for i, a in enumerate(areas)]
    wrong = [house("1栋", "1单元", 1, f"10{i + 1}", "10.00") for i in range(3)]
    job = (await upload(client, world.dev, app["id"], workbook(wrong, with_code=True))).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    assert (await step(client, world.dev, "submitApplication", app["id"])).code == "VALIDATION_FAILED"  # attachments
    attach = await gql(client, "mutation($id: ID!, $file: Upload!) { addAttachment(applicationId: $id, file: $file) { id contentType } }",
                       {"id": app["id"], "file": None}, token=world.dev,
                       files={"variables.file": ("证明.pdf", b"%PDF-1.4 proof", "application/pdf")})
    assert attach.ok()["addAttachment"]["contentType"] == "application/pdf"
    assert (await step(client, world.dev, "submitApplication", app["id"])).code == "AREA_MISMATCH"
    job = (await upload(client, world.dev, app["id"], workbook(results, with_code=True))).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    approved = await through_review(client, world, app["id"])
    assert approved["houseChangeCount"] == 5
    after = (await tree(client, world))["buildings"][0]["houses"]
    new = sorted([h for h in after if h["floor"] == 1 and h["status"] == "ACTIVE"], key=lambda h: h["roomNumber"])
    assert [h["balance"] for h in new] == ["66.66", "66.66", "66.68"]
    assert all(h["balance"] == "0.00" and h["depositDue"] == "0.00" for h in after if h["id"] in {o["id"] for o in old})
    assert sum(Decimal(h["balance"]) for h in after) == Decimal("200.00")
    # Each result's carried balance is short of its due (example standards): a 补交 notice each.
    notices = (await gql(client, "query($id: ID!) { application(id: $id) { paymentNotices { type total lines { house { id } } } } }",
                         {"id": app["id"]}, token=world.dev)).ok()["application"]["paymentNotices"]
    dues = {h["id"]: Decimal(h["depositDue"]) - Decimal(h["balance"]) for h in new}
    assert {n["lines"][0]["house"]["id"]: Decimal(n["total"]) for n in notices} == dues
    assert {n["type"] for n in notices} == {"MAKE_UP"}


async def test_info_change_by_excel(client, session, world):
    houses = (await tree(client, world))["buildings"][0]["houses"][:2]
    r = await gql(client, "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id } }",
                  {"input": {"estateId": world.estate_gid, "reason": "面积更正", "items": [{"houseId": h["id"]} for h in houses]}}, token=world.dev)
    app = r.ok()["createHouseInfoChange"]
    exported = (await gql(client, "mutation($id: ID) { exportHouses(applicationId: $id) { id } }", {"id": app["id"]}, token=world.dev)).ok()
    assert (await wait_job(client, world.dev, exported["exportHouses"]["id"]))["status"] == "SUCCEEDED"
    rows = [house("1栋", h["unit"], h["floor"], h["roomNumber"], "77.70", code=h["code"]) for h in houses]
    unknown = rows + [house("1栋", "1单元", 3, "301", "50.00", code="FW9999999999")]
    job = (await upload(client, world.dev, app["id"], workbook(unknown, with_code=True))).ok()["importHouses"]
    failed = await wait_job(client, world.dev, job["id"])
    assert failed["status"] == "FAILED" and any(e["code"] == "UNKNOWN_HOUSE" for e in failed["errors"])
    job = (await upload(client, world.dev, app["id"], workbook(rows, with_code=True))).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    changes = (await gql(client, "query($id: ID!) { application(id: $id) { houseChanges { before { buildingArea } after { buildingArea owners { name } } } } }",
                         {"id": app["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert [c["after"]["buildingArea"] for c in changes] == ["77.70", "77.70"]
    assert all(c["after"]["owners"] for c in changes)  # owners are kept: the import reads house columns only
    await through_review(client, world, app["id"])
    after = {h["id"]: h for h in (await tree(client, world))["buildings"][0]["houses"]}
    assert all(after[h["id"]]["buildingArea"] == "77.70" for h in houses)


async def test_houses_written_part_by_part_are_the_sheet_or_nothing(client, session, world, monkeypatch):
    """With parts of 3 rows, a sheet of 4 buildings is written in many parts while it is read:
    the result is the sheet (owners, order, the building columns stated only on a later row,
    floors over all rows); a bad row in the last part leaves nothing of the parts before it."""
    from models import ApplicationHouse, Building, Owner
    from sheets import house_reader as wb

    import threading

    from services.applications.estate_collection import CreatingWriter

    real_init, real_iter, real_write = wb.HouseSheetStream.__init__, wb.HouseSheetStream.__iter__, CreatingWriter.write
    monkeypatch.setattr(wb.HouseSheetStream, "__init__", lambda self, *a, **k: real_init(self, *a, **{**k, "chunk": 3}))
    written = threading.Event()

    def slow_iter(self):  # the reader waits for each part to be written, so each is a write of its own
        for part in real_iter(self):
            written.clear()
            yield part
            if part and not self.errors:
                written.wait(10)

    writes = []

    async def counted_write(self, houses, prepared):
        writes.append(len(houses))
        await real_write(self, houses, prepared)
        written.set()

    monkeypatch.setattr(wb.HouseSheetStream, "__iter__", slow_iter)
    monkeypatch.setattr(CreatingWriter, "write", counted_write)

    rows = grid("1栋", 3, 2) + grid("2栋", 2, 2) + [house("2栋", "1单元", -1, "B101", "30.00", usage="车库", sold="未售")] \
        + grid("3栋", 4, 1)
    for r in rows[:4]:  # 1栋's first rows leave the building columns empty; row 6 states them
        r.update({"建成年代": None, "建筑结构": None, "楼幢地址": None})
    second_owner = dict(rows[7], 业主姓名="李四", 证件号码="110105198001010016")
    rows.insert(8, second_owner)  # 2栋 102 has two owners, on rows next to each other

    app = (await gql(client, COLLECT, {"input": {"name": "分批", "district": "蓬江区", "address": "x",
                                                 "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
    before = await session.scalar(select(func.count()).select_from(House))
    bad = [dict(r) for r in rows] + [house("3栋", "1单元", 9, "901", "-1")]
    failed = await wait_job(client, world.dev, (await upload(client, world.dev, app["id"], workbook(bad))).ok()["importHouses"]["id"])
    assert failed["status"] == "FAILED" and {e["row"] for e in failed["errors"]} == {len(bad) + 2}  # a title row, then the header
    assert await session.scalar(select(func.count()).select_from(House)) == before
    assert await session.scalar(select(func.count()).select_from(Building).where(Building.status == "PENDING")) == 0
    # every part before the bad row's was written, then rolled back; the last part (the bad row and
    # the two houses of 3栋 its rows close: the sheet's last house comes with its last part) was not
    assert sum(writes) == len(rows) - 1 - 2
    writes.clear()

    done = await wait_job(client, world.dev, (await upload(client, world.dev, app["id"], workbook(rows))).ok()["importHouses"]["id"])
    assert done["status"] == "SUCCEEDED" and done["total"] == len(rows), done  # data rows: one house has two
    assert len(writes) >= 4 and sum(writes) == len(rows) - 1, writes
    from core.ids import decode_id

    app_id = decode_id(app["id"], "Application")
    created = (await session.execute(
        select(House.id, Building.name, House.floor, House.room_number).join(Building, Building.id == House.building_id)
        .join(ApplicationHouse, ApplicationHouse.house_id == House.id)
        .where(ApplicationHouse.application_id == app_id).order_by(ApplicationHouse.position))).all()
    expected = [(r["楼幢名称"], r["楼层"], r["房号"]) for i, r in enumerate(rows) if i != 8]
    assert [(name, floor, room) for _, name, floor, room in created] == expected
    owners = (await session.execute(select(Owner.name).where(Owner.house_id == created[7][0]).order_by(Owner.position))).scalars().all()
    assert owners == ["张三", "李四"]
    buildings = {b.name: b for b in (await session.scalars(select(Building).where(Building.application_id == app_id))).all()}
    assert set(buildings) == {"1栋", "2栋", "3栋"}
    first = buildings["1栋"]
    assert (first.built_year, first.address, first.floors_above_ground, first.floors_below_ground) == \
        (2024, "江门市示例路1栋", 3, 0)
    assert (buildings["2栋"].floors_above_ground, buildings["2栋"].floors_below_ground) == (2, 1)
    assert buildings["3栋"].floors_above_ground == 4


async def test_house_exports_carry_the_building_and_two_decimal_amounts(client, session, world):
    """Issue 7.12: 建成年代, 建筑结构 and 楼幢地址 come from the building, areas and money show 0.00,
    and every sheet keeps its header in view."""
    import io

    from openpyxl import load_workbook
    from sqlalchemy import update

    from services.houses.fields import HOUSE_COLUMNS

    houses = (await tree(client, world))["buildings"][0]["houses"][:2]
    await session.execute(update(House).where(House.code.in_([h["code"] for h in houses])).values(price=Decimal("880000.5")))
    await session.commit()
    app = (await gql(client, "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id } }",
                     {"input": {"estateId": world.estate_gid, "reason": "面积更正", "items": [{"houseId": houses[0]["id"]}]}},
                     token=world.dev)).ok()["createHouseInfoChange"]
    by_ids = (await gql(client, "mutation($ids: [ID!]) { exportHouses(houseIds: $ids) { id } }",
                        {"ids": [h["id"] for h in houses]}, token=world.dev)).ok()["exportHouses"]
    by_app = (await gql(client, "mutation($id: ID) { exportHouses(applicationId: $id) { id } }", {"id": app["id"]},
                        token=world.dev)).ok()["exportHouses"]
    for job, count in ((by_ids, 2), (by_app, 1)):
        done = await wait_job(client, world.dev, job["id"])
        assert done["status"] == "SUCCEEDED", done
        book = load_workbook(io.BytesIO((await client.get(done["result"]["url"])).content))
        ws = book["房屋信息"]
        assert all(sheet.freeze_panes for sheet in book.worksheets)
        first = int(ws.freeze_panes[1:])  # the first row below the frozen header
        header = [c.value for c in ws[first - 1]]
        assert header == HOUSE_COLUMNS
        rows = [dict(zip(header, (c for c in row))) for row in ws.iter_rows(min_row=first, max_row=first + count - 1)]
        assert len(rows) == count
        for row in rows:
            assert row["建成年代"].value == 2024 and row["建筑结构"].value == "钢混"
            assert row["楼幢地址"].value == "江门市蓬江区示例路 1 号1栋"
            for money in ("建筑面积", "房款"):
                assert row[money].number_format == "0.00"
            assert row["房款"].value == 880000.5


async def test_the_form_of_a_supplement_lists_new_houses_compactly(client, session, world):
    """Issue 7.11: one row per new house (no empty 变更前 rows): 30 houses on two pages, the
    signature boxes beside the last rows, and 住宅 never broken over two lines."""
    r = await gql(client, "mutation($input: HouseSupplementInput!) { createHouseSupplement(input: $input) { id number } }",
                  {"input": {"estateId": world.estate_gid, "depositTiming": "BEFORE_INITIAL_REGISTRATION"}}, token=world.dev)
    app = r.ok()["createHouseSupplement"]
    job = (await upload(client, world.dev, app["id"], workbook(grid("3栋", 10, 3)))).ok()["importHouses"]
    assert (await wait_job(client, world.dev, job["id"]))["status"] == "SUCCEEDED"
    (await step(client, world.dev, "submitApplication", app["id"])).ok()
    pages = await rendered_form(client, world.dev, app["id"])
    assert 1 <= len(pages) <= 2, len(pages)
    text = "".join(pages)
    assert "新增房屋（共 30 套）" in text and "变更前" not in text and "（无）" not in text
    lines = text.splitlines()
    assert sum(line.strip() == "住宅" for line in lines) == 30  # each on one line, never 住 / 宅
    assert not any(line.strip() in ("住", "宅") for line in lines)
    codes = [h["code"] for b in (await tree(client, world))["buildings"] for h in b["houses"] if h["status"] == "PENDING"]
    assert len(codes) == 30 and all(code in text for code in codes)
    assert "审核人" in pages[-1] and codes[-1] in pages[-1]  # no signature block alone on a page
