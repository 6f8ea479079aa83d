"""户型 (House.layout, SPEC round 2): optional free text up to 20 characters, a column of the house
sheet after 房屋用途, changeable by an info change, printed on the 申请表; end to end through the
HTTP endpoint: template, import, export, info change by items and by workbook, GraphQL, 申请表."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from tests.api import gql
from tests.appflow import APP_FIELDS, make_world, rendered_form, through_review, tree, wait_job
from tests.sheets import HEADER, XLSX, house, workbook

IMPORT = "mutation($id: ID!, $file: Upload!) { importHouses(applicationId: $id, file: $file) { id status } }"
COLLECT = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { %s estate { id } } }" % APP_FIELDS
INFO = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id } }"
UPDATE_INFO = "mutation($id: ID!, $input: HouseInfoChangeInput!) { updateHouseInfoChange(id: $id, input: $input) { id } }"
CHANGES = """query($id: ID!) { application(id: $id) { houseChanges { house { id }
               before { code layout buildingArea } after { code layout buildingArea } } } }"""
HOUSE = "query($id: ID!) { house(id: $id) { code layout usage } }"
EXPORT_BY_IDS = "mutation($ids: [ID!]) { exportHouses(houseIds: $ids) { id } }"
EXPORT_BY_APP = "mutation($id: ID) { exportHouses(applicationId: $id) { id } }"
WITH_LAYOUT = HEADER[:HEADER.index("房屋用途") + 1] + ["户型"] + HEADER[HEADER.index("房屋用途") + 1:]


@pytest.fixture
async def world(client, session, worker):
    return await make_world(client, session)


def sheet(rows: list[dict], *, with_code: bool = False) -> bytes:
    """tests.sheets.workbook with the 户型 column where the template has it (after 房屋用途)."""
    header = WITH_LAYOUT if with_code else WITH_LAYOUT[1:]
    wb = Workbook()
    ws = wb.active
    ws.append(["房屋信息"])
    ws.append(header)
    for r in rows:
        ws.append([r.get(h) for h in header])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def upload(client, token, app_id, data: bytes) -> dict:
    job = (await gql(client, IMPORT, {"id": app_id, "file": None}, token=token,
                     files={"variables.file": ("houses.xlsx", data, XLSX)})).ok()["importHouses"]
    return await wait_job(client, token, job["id"])


async def download_sheet(client, token, job_id: str):
    job = await wait_job(client, token, job_id)
    assert job["status"] == "SUCCEEDED", job
    return load_workbook(io.BytesIO((await client.get(job["result"]["url"])).content))["房屋信息"]


def by_label(ws) -> tuple[dict[str, int], list[list]]:
    """The export's header (label → 0-based column) and its data rows (the header is row 2 under a title)."""
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    at = next(i for i, r in enumerate(rows) if "房屋用途" in r)
    return {label: i for i, label in enumerate(rows[at]) if label}, rows[at + 1:]


async def set_layouts(client, world, layouts: dict[str, str]) -> None:
    """户型 for houses (by id) through an approved info change."""
    items = [{"houseId": h, "layout": v} for h, v in layouts.items()]
    app = (await gql(client, INFO, {"input": {"estateId": world.estate_gid, "reason": "补录户型", "items": items}},
                     token=world.dev)).ok()["createHouseInfoChange"]
    await through_review(client, world, app["id"])


# ---------------------------------------------------------------- template, collection import, GraphQL

async def test_the_template_has_the_layout_column_after_usage(client, world):
    doc = (await gql(client, "{ importTemplate(kind: HOUSES) { url } }", token=world.dev)).ok()["importTemplate"]
    wb = load_workbook(io.BytesIO((await client.get(doc["url"])).content))
    header = [c.value for c in wb["房屋信息"][2]]
    assert header.index("户型") == header.index("房屋用途") + 1
    rules = {row[0].value: (row[1].value, row[2].value) for row in wb["填写说明"].iter_rows(min_row=2) if row[0].value}
    assert rules["户型"][0] == "选填" and "20" in rules["户型"][1] and "三房两厅" in rules["户型"][1]


async def test_a_collection_imports_layouts_shown_by_house_and_floor_plan(client, world):
    app = (await gql(client, COLLECT, {"input": {"name": "户型花园", "district": "江海区", "address": "江门市江海区户型路 1 号",
                                                 "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
    rows = [house("1栋", "1单元", 1, "101") | {"户型": "  三房两厅 "},  # trimmed
            house("1栋", "1单元", 1, "102") | {"户型": "３房２厅（复式）"},  # free text: no NFKC folding
            house("1栋", "1单元", 2, "201") | {"户型": None},
            house("1栋", "1单元", 2, "202", usage="车库", sold="未售") | {"户型": 2}]  # a number reads as its text

    too_long = rows[:2] + [house("1栋", "1单元", 2, "201") | {"户型": "户" * 21}]
    failed = await upload(client, world.dev, app["id"], sheet(too_long))
    assert failed["status"] == "FAILED"
    assert [(e["row"], e["column"], e["code"]) for e in failed["errors"]] == [(5, "户型", "TOO_LONG")]
    assert "20" in failed["errors"][0]["message"]

    assert (await upload(client, world.dev, app["id"], sheet(rows)))["status"] == "SUCCEEDED"
    await through_review(client, world, app["id"])
    q = """query($id: ID!) { estate(id: $id) { buildings { id houses { id roomNumber layout }
             floorPlan { floors { floor houses { roomNumber layout } } } } } }"""
    building = (await gql(client, q, {"id": app["estate"]["id"]}, token=world.dev)).ok()["estate"]["buildings"][0]
    expected = {"101": "三房两厅", "102": "３房２厅（复式）", "201": None, "202": "2"}
    assert {h["roomNumber"]: h["layout"] for h in building["houses"]} == expected
    plan = {h["roomNumber"]: h["layout"] for f in building["floorPlan"]["floors"] for h in f["houses"]}
    assert plan == expected
    one = next(h for h in building["houses"] if h["roomNumber"] == "101")
    assert (await gql(client, HOUSE, {"id": one["id"]}, token=world.dev)).ok()["house"]["layout"] == "三房两厅"
    # the other developer sees nothing of it
    assert (await gql(client, HOUSE, {"id": one["id"]}, token=world.rival)).ok()["house"] is None


async def test_an_old_template_without_the_column_still_imports(client, world):
    app = (await gql(client, COLLECT, {"input": {"name": "旧模板花园", "district": "江海区", "address": "江门市江海区旧路 1 号",
                                                 "depositTiming": "BEFORE_HANDOVER"}}, token=world.dev)).ok()["createEstateCollection"]
    assert "户型" not in HEADER
    assert (await upload(client, world.dev, app["id"], workbook([house("1栋", "1单元", 1, "101")])))["status"] == "SUCCEEDED"
    changes = (await gql(client, CHANGES, {"id": app["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert [c["after"]["layout"] for c in changes] == [None]


# ---------------------------------------------------------------- export

async def test_an_export_of_houses_has_the_layout_column_filled(client, world):
    houses = (await tree(client, world))["buildings"][0]["houses"][:3]
    await set_layouts(client, world, {houses[0]["id"]: "三房两厅", houses[1]["id"]: "一房一厅"})
    ws = await download_sheet(client, world.dev, (await gql(client, EXPORT_BY_IDS, {"ids": [h["id"] for h in houses]},
                                                            token=world.dev)).ok()["exportHouses"]["id"])
    columns, rows = by_label(ws)
    assert columns["户型"] == columns["房屋用途"] + 1
    assert {r[columns["房屋编号"]]: r[columns["户型"]] for r in rows} == {
        houses[0]["code"]: "三房两厅", houses[1]["code"]: "一房一厅", houses[2]["code"]: None}


# ---------------------------------------------------------------- info change by items

async def test_an_info_change_by_items_sets_keeps_and_clears_the_layout(client, world):
    houses = (await tree(client, world))["buildings"][0]["houses"][:3]
    a, b, c = (h["id"] for h in houses)
    base = {"estateId": world.estate_gid, "reason": "户型更正"}

    bad = await gql(client, INFO, {"input": {**base, "items": [{"houseId": a, "layout": "三房两厅"},
                                                               {"houseId": b, "layout": "厅" * 21}]}}, token=world.dev)
    assert bad.code == "VALIDATION_FAILED" and bad.errors[0]["extensions"]["field"] == "input.items.1.layout"
    control = await gql(client, INFO, {"input": {**base, "items": [{"houseId": a, "layout": "三房\x07两厅"}]}}, token=world.dev)
    assert control.code == "VALIDATION_FAILED"

    items = [{"houseId": a, "layout": " 三房两厅 "}, {"houseId": b, "layout": "两房一厅"}, {"houseId": c, "buildingArea": "88.00"}]
    app = (await gql(client, INFO, {"input": {**base, "items": items}}, token=world.dev)).ok()["createHouseInfoChange"]
    changes = (await gql(client, CHANGES, {"id": app["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert [(ch["before"]["layout"], ch["after"]["layout"]) for ch in changes] == [
        (None, "三房两厅"), (None, "两房一厅"), (None, None)]
    # updating keeps what the items say: b now omits it (unchanged from the house: none)
    items[1] = {"houseId": b, "price": "100.00"}
    (await gql(client, UPDATE_INFO, {"id": app["id"], "input": {**base, "items": items}}, token=world.dev)).ok()
    changes = (await gql(client, CHANGES, {"id": app["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert [ch["after"]["layout"] for ch in changes] == ["三房两厅", None, None]
    await through_review(client, world, app["id"])
    assert (await gql(client, HOUSE, {"id": a}, token=world.dev)).ok()["house"]["layout"] == "三房两厅"

    # omitted keeps it; an empty string (or only spaces) clears it
    keep = (await gql(client, INFO, {"input": {**base, "items": [{"houseId": a, "buildingArea": "90.50"}]}},
                      token=world.dev)).ok()["createHouseInfoChange"]
    await through_review(client, world, keep["id"])
    assert (await gql(client, HOUSE, {"id": a}, token=world.dev)).ok()["house"]["layout"] == "三房两厅"
    clear = (await gql(client, INFO, {"input": {**base, "items": [{"houseId": a, "layout": "  "}]}},
                       token=world.dev)).ok()["createHouseInfoChange"]
    changes = (await gql(client, CHANGES, {"id": clear["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert (changes[0]["before"]["layout"], changes[0]["after"]["layout"]) == ("三房两厅", None)
    await through_review(client, world, clear["id"])
    assert (await gql(client, HOUSE, {"id": a}, token=world.dev)).ok()["house"]["layout"] is None


async def test_the_info_change_form_prints_the_layout_before_and_after(client, world):
    houses = (await tree(client, world))["buildings"][0]["houses"][:2]
    await set_layouts(client, world, {houses[0]["id"]: "两房一厅"})
    items = [{"houseId": houses[0]["id"], "layout": "三房两厅"}, {"houseId": houses[1]["id"], "layout": "OTHER"}]
    app = (await gql(client, INFO, {"input": {"estateId": world.estate_gid, "reason": "户型更正", "items": items}},
                     token=world.dev)).ok()["createHouseInfoChange"]
    r = await gql(client, "mutation($id: ID!) { submitApplication(id: $id) { id } }", {"id": app["id"]}, token=world.dev)
    r.ok()
    text = "\n".join(await rendered_form(client, world.dev, app["id"]))
    assert "户型" in text
    assert "两房一厅" in text and "三房两厅" in text
    assert "OTHER" in text  # free text is printed as typed, never read as a label (其他)
    assert text.index("两房一厅") < text.index("三房两厅")  # 变更前 above 变更后


# ---------------------------------------------------------------- info change by export → edit → import

async def test_an_info_change_by_workbook_changes_the_layout(client, world):
    houses = (await tree(client, world))["buildings"][0]["houses"][:2]
    await set_layouts(client, world, {houses[0]["id"]: "两房一厅", houses[1]["id"]: "一房一厅"})
    app = (await gql(client, INFO, {"input": {"estateId": world.estate_gid, "reason": "户型更正",
                                              "items": [{"houseId": h["id"]} for h in houses]}},
                     token=world.dev)).ok()["createHouseInfoChange"]
    ws = await download_sheet(client, world.dev, (await gql(client, EXPORT_BY_APP, {"id": app["id"]},
                                                            token=world.dev)).ok()["exportHouses"]["id"])
    columns, rows = by_label(ws)
    assert [r[columns["户型"]] for r in rows] == ["两房一厅", "一房一厅"]
    at = {h["code"]: [i for i, row in enumerate(ws.iter_rows(), start=1) if row[columns["房屋编号"]].value == h["code"]]
          for h in houses}
    first, second = at[houses[0]["code"]][0], at[houses[1]["code"]]

    # too long: a row error naming the row and the column; nothing changes
    ws.cell(row=first, column=columns["户型"] + 1, value="房" * 21)
    failed = await upload(client, world.dev, app["id"], _saved(ws))
    assert failed["status"] == "FAILED"
    assert [(e["row"], e["column"], e["code"]) for e in failed["errors"]] == [(first, "户型", "TOO_LONG")]

    ws.cell(row=first, column=columns["户型"] + 1, value=" 四房两厅 ")
    for row in second:  # emptied on each of the house's rows (one per owner): cleared
        ws.cell(row=row, column=columns["户型"] + 1).value = None  # (cell(value=None) would leave it)
    assert (await upload(client, world.dev, app["id"], _saved(ws)))["status"] == "SUCCEEDED"
    changes = (await gql(client, CHANGES, {"id": app["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert [(c["before"]["layout"], c["after"]["layout"]) for c in changes] == [("两房一厅", "四房两厅"), ("一房一厅", None)]
    await through_review(client, world, app["id"])
    got = [(await gql(client, HOUSE, {"id": h["id"]}, token=world.dev)).ok()["house"]["layout"] for h in houses]
    assert got == ["四房两厅", None]


async def test_a_workbook_without_the_layout_column_keeps_the_layouts(client, world):
    """An export made before 户型 existed, re-imported: it says nothing of 户型, so nothing is cleared."""
    houses = (await tree(client, world))["buildings"][0]["houses"][:2]
    await set_layouts(client, world, {houses[0]["id"]: "两房一厅"})
    app = (await gql(client, INFO, {"input": {"estateId": world.estate_gid, "reason": "面积更正",
                                              "items": [{"houseId": h["id"]} for h in houses]}},
                     token=world.dev)).ok()["createHouseInfoChange"]
    rows = [house("1栋", h["unit"], h["floor"], h["roomNumber"], "77.70", code=h["code"]) for h in houses]
    assert (await upload(client, world.dev, app["id"], workbook(rows, with_code=True)))["status"] == "SUCCEEDED"
    changes = (await gql(client, CHANGES, {"id": app["id"]}, token=world.dev)).ok()["application"]["houseChanges"]
    assert [(c["after"]["layout"], c["after"]["buildingArea"]) for c in changes] == [("两房一厅", "77.70"), (None, "77.70")]
    await through_review(client, world, app["id"])
    assert (await gql(client, HOUSE, {"id": houses[0]["id"]}, token=world.dev)).ok()["house"]["layout"] == "两房一厅"


def _saved(ws) -> bytes:
    out = io.BytesIO()
    ws.parent.save(out)
    return out.getvalue()
