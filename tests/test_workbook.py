"""The house sheet (sheets/house_reader.py, sheets/house_writer.py): reading files as Excel, WPS and LibreOffice save them,
every row error at once, the template, exports that read back unchanged, and refusing sheets that
are not the template. Refusing files that are not workbooks or would exhaust the worker (zip, XML
and cell-range bombs) is tests/test_sheet_guard.py."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from openpyxl import Workbook, load_workbook

from core.errors import FileRejected
from models.enums import BuildingStructure, HouseUsage, IdType, SalesStatus
from services.houses.fields import HOUSE_COLUMNS, ID_NUMBER_MIN, PRICE_MAX, HouseRow, OwnerRow
from services.validators import credit_code_check_char, resident_id_check_char
from sheets.guard import MAX_WORKBOOK_BYTES
from sheets import house_reader, house_writer
from sheets.house_reader import RowError, read_house_sheet
from sheets.house_writer import house_template, write_house_sheet

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEMPLATE_COLUMNS = HOUSE_COLUMNS[1:]
ROW_CODES = {"REQUIRED", "BAD_NUMBER", "BAD_VALUE", "DUPLICATE", "OUT_OF_RANGE", "TOO_LONG", "BAD_ID_NUMBER",
             "BAD_PHONE"}
PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def xlsx(rows: list[list], *, header: list[str] | None = None, title: str | None = None, merges=(),
         leading_blank_rows: int = 0) -> bytes:
    """A workbook as openpyxl (standing in for a user's Excel) saves it."""
    wb = Workbook()
    ws = wb.active
    ws.title = "房屋信息"
    for _ in range(leading_blank_rows):
        ws.append([])
    header = header or TEMPLATE_COLUMNS
    if title:
        ws.append([title])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    for merge in merges:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rid(seq: int, birth: str = "19800101") -> str:
    first17 = "440703" + birth + f"{seq % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def credit_code(body: str = "91440700MA4W12345") -> str:
    return body + credit_code_check_char(body)


def house_cells(room: str = "101", *, floor=1, building="1栋", owner=("张三", "居民身份证", None, "13800138000"),
                sold="已售", area=89.5, **changes) -> dict:
    """One template row as label → cell value."""
    row = {"楼幢名称": building, "建成年代": 2020, "建筑结构": "钢混", "楼幢地址": "江门市示例路1号", "单元": "1单元",
           "楼层": floor, "房号": room, "房屋坐落": f"江门市示例路1号{room}房", "房屋用途": "住宅", "电梯": "有",
           "建筑面积": area, "套内面积": None, "房款": None, "销售状态": sold, "不动产单元号": None}
    if owner:
        name, kind, number, phone = owner
        row.update({"业主姓名": name, "证件类型": kind, "证件号码": number or rid(int(room) if room.isdigit() else 7),
                    "手机号码": phone})
    row.update(changes)
    return row


def as_row(cells: dict, header: list[str] = TEMPLATE_COLUMNS) -> list:
    return [cells.get(label) for label in header]


def codes(errors: list[RowError]) -> set[tuple]:
    return {(e.row, e.column, e.code) for e in errors}


# ---------------------------------------------------------------- the template

def test_template_layout_dropdowns_and_notes():
    data = house_template()
    assert data == house_template(), "the template's bytes are stable, so its stored copy is found by digest"
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["房屋信息", "填写说明"]
    ws = wb["房屋信息"]
    assert [c.value for c in ws[2]] == TEMPLATE_COLUMNS
    assert "房屋编号" not in TEMPLATE_COLUMNS and "A1:T1" in {str(r) for r in ws.merged_cells.ranges}
    assert TEMPLATE_COLUMNS.index("户型") == TEMPLATE_COLUMNS.index("房屋用途") + 1
    lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    letter = {label: chr(ord("A") + i) for i, label in enumerate(TEMPLATE_COLUMNS)}
    assert lists[letter["房屋用途"]] == '"住宅,商业,办公,车库,车位,储藏,其他"'
    assert lists[letter["电梯"]] == '"有,无"'
    assert lists[letter["建筑结构"]] == '"钢混,混合,框架,框剪,钢结构,砖木,其他"'
    assert lists[letter["销售状态"]] == '"已售,未售"'
    assert "统一社会信用代码" in lists[letter["证件类型"]]
    assert ws.column_dimensions[letter["房屋坐落"]].width > ws.column_dimensions[letter["楼层"]].width
    notes = wb["填写说明"]
    assert ws.freeze_panes == "A3" and notes.freeze_panes == "A2"  # every sheet keeps its header in view
    listed = {row[0].value: (row[1].value, row[2].value) for row in notes.iter_rows(min_row=2) if row[0].value}
    for label in TEMPLATE_COLUMNS:
        assert label in listed and listed[label][1]
    assert listed["楼层"][0] == "必填" and listed["单元"][0] == "选填"
    assert "-5" in listed["楼层"][1] and "住宅" in listed["房屋用途"][1]


def test_the_empty_template_reads_as_no_rows():
    assert read_house_sheet(house_template(), "模板.xlsx") == ([], [])


def test_the_template_filled_in_reads_back():
    wb = load_workbook(io.BytesIO(house_template()))
    ws = wb["房屋信息"]
    ws.append(as_row(house_cells("101", 套内面积=70.25, 房款=1234567.8)))
    ws.append(as_row(house_cells("101", owner=("李四", "身份证", rid(2), "13900139000"), 套内面积=70.25, 房款=1234567.8)))
    ws.append(as_row(house_cells("B1", floor=-1, owner=None, sold="未售", 房屋用途="车位", 电梯="无", 单元=None, 建筑面积=12)))
    out = io.BytesIO()
    wb.save(out)
    houses, errors = read_house_sheet(out.getvalue(), "filled.xlsx")
    assert errors == []
    assert houses == [
        HouseRow(row=3, code=None, building_name="1栋", built_year=2020, structure=BuildingStructure.REINFORCED_CONCRETE,
                 building_address="江门市示例路1号", unit="1单元", floor=1, room_number="101", address="江门市示例路1号101房",
                 usage=HouseUsage.RESIDENTIAL, has_elevator=True, building_area=Decimal("89.50"),
                 inner_area=Decimal("70.25"), price=Decimal("1234567.80"), sales_status=SalesStatus.SOLD,
                 real_estate_unit_number=None,
                 owners=[OwnerRow("张三", IdType.RESIDENT_ID, rid(101), "13800138000"),
                         OwnerRow("李四", IdType.RESIDENT_ID, rid(2), "13900139000")]),
        HouseRow(row=5, code=None, building_name="1栋", built_year=2020, structure=BuildingStructure.REINFORCED_CONCRETE,
                 building_address="江门市示例路1号", unit=None, floor=-1, room_number="B1", address="江门市示例路1号B1房",
                 usage=HouseUsage.PARKING_SPACE, has_elevator=False, building_area=Decimal("12.00"), inner_area=None,
                 price=None, sales_status=SalesStatus.UNSOLD, real_estate_unit_number=None, owners=[]),
    ]
    with pytest.raises(FileRejected, match="房屋编号"):
        read_house_sheet(out.getvalue(), "filled.xlsx", with_code=True)


# ---------------------------------------------------------------- exports read back unchanged

CJK = "一二三四五六七八九十栋幢座号楼单元路街道区市江门蓬海会山平鹤恩新园苑府庭"
KEY_TEXT = st.text(alphabet=CJK + "ABCDEFGHJKXYZ0123456789-", min_size=1, max_size=8)
FREE_TEXT = st.text(alphabet=CJK + "abcxXYZ0123456789（）()#&<>=_ -·", min_size=1, max_size=40).map(str.strip).filter(bool)
MONEY = st.decimals(min_value=0, max_value=PRICE_MAX, places=2)
AREA = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@st.composite
def owners(draw, sold: bool) -> list[OwnerRow]:
    if not sold:
        return []
    result = []
    for i in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(list(IdType)))
        if kind is IdType.RESIDENT_ID:
            birth = draw(st.dates(date(1920, 1, 1), date(2010, 12, 31))).strftime("%Y%m%d")
            number = rid(draw(st.integers(0, 999)), birth)
        elif kind is IdType.CREDIT_CODE:
            number = credit_code(draw(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17)))
        else:
            number = draw(st.text(alphabet="ABCDEFGHJK0123456789", min_size=ID_NUMBER_MIN, max_size=40))
        phone = "1" + draw(st.sampled_from("3456789")) + draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
        result.append(OwnerRow(draw(FREE_TEXT), kind, number, phone))
    assume(len({(o.id_type, o.id_number) for o in result}) == len(result))
    return result


@st.composite
def export_houses(draw) -> list[HouseRow]:
    buildings = {}
    for name in draw(st.lists(KEY_TEXT, min_size=1, max_size=3, unique=True)):
        stated = draw(st.booleans())
        buildings[name] = (
            draw(st.integers(1900, date.today().year)) if stated else None,
            draw(st.sampled_from(list(BuildingStructure))) if stated else None,
            draw(FREE_TEXT) if stated else None,
        )
    houses = []
    keys, codes_used = set(), set()
    for _ in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from(sorted(buildings)))
        unit = draw(st.none() | KEY_TEXT)
        floor = draw(st.integers(-5, 200).filter(bool))  # no floor 0 (services/houses/fields.py)
        room = draw(KEY_TEXT)
        code = draw(st.none() | st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=24))
        if (name, unit, floor, room) in keys or (code and code in codes_used):
            continue
        keys.add((name, unit, floor, room))
        codes_used.add(code)
        area = draw(AREA)
        sold = draw(st.booleans())
        year, structure, address = buildings[name]
        houses.append(HouseRow(
            row=0, code=code, building_name=name, built_year=year, structure=structure, building_address=address,
            unit=unit, floor=floor, room_number=room, address=draw(FREE_TEXT), usage=draw(st.sampled_from(list(HouseUsage))),
            has_elevator=draw(st.booleans()), building_area=area,
            inner_area=draw(st.none() | st.decimals(min_value=Decimal("0.01"), max_value=area, places=2)),
            price=draw(st.none() | MONEY), sales_status=SalesStatus.SOLD if sold else SalesStatus.UNSOLD,
            real_estate_unit_number=draw(st.none() | st.text(alphabet="0123456789GBFAZ", min_size=28, max_size=28)),
            owners=draw(owners(sold)), layout=draw(st.none() | FREE_TEXT.filter(lambda s: len(s) <= 20)),
        ))
    return houses


def numbered(houses: list[HouseRow], first_row: int) -> list[HouseRow]:
    out, row = [], first_row
    for house in houses:
        out.append(replace(house, row=row))
        row += max(len(house.owners), 1)
    return out


@PROPERTY
@given(export_houses(), st.sampled_from([None, "房屋导出"]))
def test_an_export_reads_back_as_the_same_houses(houses, title):
    data = write_house_sheet(houses, title=title)
    read, errors = read_house_sheet(data, "export.xlsx", with_code=True)
    assert errors == []
    assert read == numbered(houses, 3 if title else 2)


def test_the_plain_openpyxl_writer_writes_the_same_content():
    houses = [
        HouseRow(row=0, code="H0001", building_name="1栋", built_year=2020, structure=BuildingStructure.FRAME,
                 building_address="江门市示例路 1 号", unit="1", floor=-1, room_number="0101", address="=SUM(A1) _x0041_",
                 usage=HouseUsage.GARAGE, has_elevator=False, building_area=Decimal("89.5"), inner_area=None,
                 price=Decimal("0"), sales_status=SalesStatus.SOLD, real_estate_unit_number="A" * 28,
                 owners=[OwnerRow("张三", IdType.PASSPORT, "E123", "13800138000"),
                         OwnerRow("李四", IdType.OTHER, "x-1", "13900139000")]),
        HouseRow(row=0, code=None, building_name="1栋", built_year=2020, structure=BuildingStructure.FRAME,
                 building_address="江门市示例路 1 号", unit=None, floor=200, room_number="TRUE", address="a",
                 usage=HouseUsage.RESIDENTIAL, has_elevator=True, building_area=Decimal("100000"),
                 inner_area=Decimal("0.01"), price=None, sales_status=SalesStatus.UNSOLD, real_estate_unit_number=None),
    ]
    fast = write_house_sheet(houses, title="导出")
    slow = house_writer._write_with_openpyxl(houses, "导出")
    expected = numbered(houses, 3)
    assert read_house_sheet(fast, "a.xlsx", with_code=True) == (expected, [])
    assert read_house_sheet(slow, "b.xlsx", with_code=True) == (expected, [])
    ws = load_workbook(io.BytesIO(fast))["房屋信息"]
    assert [c.value for c in ws[2]] == HOUSE_COLUMNS
    assert ws["M3"].value == 89.5 and ws["M3"].number_format == "0.00" and ws["I3"].data_type == "s"
    assert ws["A3"].value == "H0001" and ws["R4"].value == "李四" and ws["A4"].value == "H0001"
    assert ws["R5"].value is None and ws["B5"].value == "1栋"


# ---------------------------------------------------------------- files as users save them

def test_a_users_excel_file_with_title_text_numbers_full_width_digits_and_blank_rows():
    header = ["备注"] + TEMPLATE_COLUMNS[::-1]  # any column order, an extra column
    rows = [
        house_cells("101", 楼层="３", 建筑面积="８９.５０", 房款="1,000,000", 建成年代="2020", 电梯=" 是 ",
                    证件类型="身份证", 手机号码="１３８００１３８０００", 套内面积="70"),
        house_cells("102", 楼层=" 3 ", 建筑面积=120.0, 楼幢名称=None, 单元=None),  # 楼幢名称 merged from the row above
        {},
        house_cells("103", floor=12.0, 建筑面积=89.49999999999999, owner=None, sold="未售", 房号="１０３"),
        {"楼幢名称": "   ", "房屋坐落": ""},
    ]
    data = xlsx([[c.get("备注")] + as_row(c, TEMPLATE_COLUMNS[::-1]) for c in rows] + [[None] * 5] * 3,
                header=header, title="某小区房屋信息", merges=["U4:U5"], leading_blank_rows=1)
    houses, errors = read_house_sheet(data, "user.xlsx")
    assert errors == []
    assert [(h.row, h.building_name, h.unit, h.floor, h.room_number) for h in houses] == [
        (4, "1栋", "1单元", 3, "101"), (5, "1栋", None, 3, "102"), (7, "1栋", "1单元", 12, "103")]
    first = houses[0]
    assert (first.building_area, first.inner_area, first.price) == (Decimal("89.50"), Decimal("70.00"), Decimal("1000000.00"))
    assert first.owners == [OwnerRow("张三", IdType.RESIDENT_ID, rid(101), "13800138000")] and first.has_elevator
    assert houses[2].building_area == Decimal("89.50") and houses[2].owners == []


EXPECTED_FIXTURE_HOUSES = [
    HouseRow(row=3, code=None, building_name="1栋", built_year=2020, structure=BuildingStructure.REINFORCED_CONCRETE,
             building_address="江门市蓬江区示例路1号", unit="1单元", floor=1, room_number="101",
             address="江门市蓬江区示例路1号1单元101房", usage=HouseUsage.RESIDENTIAL, has_elevator=True,
             building_area=Decimal("89.50"), inner_area=Decimal("70.25"), price=Decimal("1200000.00"),
             sales_status=SalesStatus.SOLD, real_estate_unit_number=None,
             owners=[OwnerRow("张三", IdType.RESIDENT_ID, "11010519491231002X", "13800138000"),
                     OwnerRow("李四", IdType.RESIDENT_ID, "440703198001010012", "13900139000")]),
    HouseRow(row=6, code=None, building_name="1栋", built_year=2020, structure=BuildingStructure.REINFORCED_CONCRETE,
             building_address="江门市蓬江区示例路1号", unit="1单元", floor=2, room_number="102",
             address="江门市蓬江区示例路1号1单元102房", usage=HouseUsage.RESIDENTIAL, has_elevator=True,
             building_area=Decimal("120.50"), inner_area=Decimal("80.00"), price=Decimal("1234567.80"),
             sales_status=SalesStatus.SOLD, real_estate_unit_number="440703001001GB00001F00010001",
             owners=[OwnerRow("王五", IdType.PASSPORT, "E1234567", "13700137000")]),
    HouseRow(row=7, code=None, building_name="1栋", built_year=2020, structure=BuildingStructure.REINFORCED_CONCRETE,
             building_address="江门市蓬江区示例路1号", unit=None, floor=-1, room_number="B01",
             address="江门市蓬江区示例路1号地下车位B01", usage=HouseUsage.PARKING_SPACE, has_elevator=False,
             building_area=Decimal("12.50"), inner_area=None, price=None, sales_status=SalesStatus.UNSOLD,
             real_estate_unit_number=None, owners=[]),
    HouseRow(row=8, code=None, building_name="2栋", built_year=2021, structure=BuildingStructure.FRAME,
             building_address="江门市江海区示例路2号", unit="1", floor=2, room_number="0201",
             address="江门市江海区示例路2号1单元0201房", usage=HouseUsage.COMMERCIAL, has_elevator=False,
             building_area=Decimal("45.60"), inner_area=None, price=Decimal("0.00"), sales_status=SalesStatus.SOLD,
             real_estate_unit_number=None,
             owners=[OwnerRow("江门示例置业有限公司", IdType.CREDIT_CODE, "91440700MA4W123452", "13600136000")]),
]


@pytest.mark.parametrize("name", ["houses.xlsx", "houses.xls", "houses.ods"])
def test_libreoffice_files_with_a_formula_read_alike(name):
    """Saved by LibreOffice from houses.fods: a merged title, 建筑面积 = 套内面积 + 19.25 as a
    formula whose cached value is read, text numbers, full-width digits, blank rows, 2 sheets."""
    data = (FIXTURES / name).read_bytes()
    if name != "houses.xls":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("xl/worksheets/sheet1.xml" if name.endswith("xlsx") else "content.xml")
        assert b"<f aca=\"false\">K3+19.25</f><v>89.5</v>" in xml or b'table:formula="of:=[.K3]+19.25"' in xml
    assert read_house_sheet(data, name) == (EXPECTED_FIXTURE_HOUSES, [])


def test_a_csv_saved_as_xlsx_by_libreoffice():
    houses, errors = read_house_sheet((FIXTURES / "houses_from_csv.xlsx").read_bytes(), "from_csv.xlsx")
    assert errors == []
    assert houses == [replace(h, row=h.row - 1) for h in EXPECTED_FIXTURE_HOUSES]


def test_the_file_is_recognised_by_its_content_not_its_name():
    data = (FIXTURES / "houses.ods").read_bytes()
    assert read_house_sheet(data, "renamed.xlsx")[0] == EXPECTED_FIXTURE_HOUSES


# ---------------------------------------------------------------- row errors

def test_thirty_problems_are_reported_at_once():
    ok = house_cells
    rows = [
        ok("101", 楼层="三"),                                   # 3  BAD_NUMBER 楼层
        ok("102", 楼层=201),                                    # 4  OUT_OF_RANGE 楼层
        ok("103", 建筑面积=None),                               # 5  REQUIRED 建筑面积
        ok("104", 建筑面积=0),                                  # 6  OUT_OF_RANGE 建筑面积
        ok("105", 建筑面积=89.499999999),                       # 7  BAD_NUMBER 建筑面积 (three+ decimals)
        ok("106", 建筑面积=100000.01),                          # 8  OUT_OF_RANGE
        ok("107", 套内面积=90),                                 # 9  OUT_OF_RANGE 套内面积 > 建筑面积
        ok("108", 房款=-1),                                     # 10 OUT_OF_RANGE 房款
        ok("109", 房屋用途="别墅"),                              # 11 BAD_VALUE 房屋用途
        ok("110", 电梯="有的"),                                  # 12 BAD_VALUE 电梯
        ok("111", 销售状态=None),                               # 13 REQUIRED 销售状态
        ok("112", 不动产单元号="4407"),                          # 14 BAD_VALUE 不动产单元号
        ok("113", 不动产单元号="4" * 29),                        # 15 TOO_LONG
        ok("1" * 21),                                          # 16 TOO_LONG 房号
        ok("115", 证件号码="110105194912310021"),               # 17 BAD_ID_NUMBER
        ok("116", 手机号码="12345"),                             # 18 BAD_PHONE
        ok("117", 业主姓名=None),                                # 19 REQUIRED 业主姓名
        ok("118", 建成年代=1800, 楼幢名称="9栋"),                 # 20 OUT_OF_RANGE 建成年代
        ok("119", 房屋坐落="坐" * 301),                          # 21 TOO_LONG 房屋坐落
        ok("120", 证件类型="驾照"),                               # 22 BAD_VALUE 证件类型
        ok("121", 楼幢名称=None),                                # 23 REQUIRED 楼幢名称
        ok("122", sold="未售"),                                  # 24 BAD_VALUE 销售状态 (unsold with an owner)
        ok("123", 建筑结构="木"),                                # 25 BAD_VALUE 建筑结构
        ok("124", 建成年代=2019),                                # 26 BAD_VALUE 建成年代 (1栋 says 2020)
        ok("125"),                                             # 27 fine, but row 33 repeats it
        ok("126", 证件号码=credit_code(), 证件类型="统一社会信用代码", 手机号码=None),  # 28 REQUIRED 手机号码
        ok("127", 证件类型="统一社会信用代码"),                   # 29 BAD_ID_NUMBER (a resident id)
        ok("128", 楼层=3.5),                                    # 30 BAD_NUMBER 楼层
        ok("129", 单元="单" * 21),                               # 31 TOO_LONG 单元
        ok("130", 业主姓名="名" * 101),                          # 32 TOO_LONG 业主姓名
        ok("125"),                                             # 33 DUPLICATE 房号 (row 27)
    ]
    houses, errors = read_house_sheet(xlsx([as_row(r) for r in rows], title="有错的表"), "bad.xlsx")
    assert len(errors) == 30, errors
    assert [h.row for h in houses] == [27]
    found = codes(errors)
    for triple in [(3, "楼层", "BAD_NUMBER"), (4, "楼层", "OUT_OF_RANGE"), (5, "建筑面积", "REQUIRED"),
                   (7, "建筑面积", "BAD_NUMBER"), (9, "套内面积", "OUT_OF_RANGE"), (14, "不动产单元号", "BAD_VALUE"),
                   (15, "不动产单元号", "TOO_LONG"), (17, "证件号码", "BAD_ID_NUMBER"), (18, "手机号码", "BAD_PHONE"),
                   (24, "销售状态", "BAD_VALUE"), (26, "建成年代", "BAD_VALUE"), (33, "房号", "DUPLICATE"),
                   (28, "手机号码", "REQUIRED"), (32, "业主姓名", "TOO_LONG")]:
        assert triple in found
    assert all(e.message and any("\u4e00" <= ch <= "\u9fff" for ch in e.message) for e in errors)
    duplicate = next(e for e in errors if e.code == "DUPLICATE")
    assert "第 27 行" in duplicate.message
    assert [e.row for e in errors] == sorted(e.row for e in errors)


def test_consecutive_rows_of_one_house_are_one_house_with_several_owners_and_must_agree():
    two_owners = [house_cells("101"), house_cells("101", owner=("李四", "居民身份证", rid(5), "13900139000"))]
    houses, errors = read_house_sheet(xlsx([as_row(r) for r in two_owners]), "x.xlsx")
    assert errors == [] and len(houses) == 1 and [o.name for o in houses[0].owners] == ["张三", "李四"]

    disagree = [house_cells("101"), house_cells("101", area=90, owner=("李四", "居民身份证", rid(5), "13900139000"))]
    houses, errors = read_house_sheet(xlsx([as_row(r) for r in disagree]), "x.xlsx")
    assert codes(errors) == {(3, "房号", "DUPLICATE")} and "不一致" in errors[0].message and houses[0].row == 2

    same_owner_twice = [house_cells("101"), house_cells("101")]
    _, errors = read_house_sheet(xlsx([as_row(r) for r in same_owner_twice]), "x.xlsx")
    assert codes(errors) == {(3, "证件号码", "DUPLICATE")}

    other_unit = [house_cells("101"), house_cells("101", 单元="2单元")]
    houses, errors = read_house_sheet(xlsx([as_row(r) for r in other_unit]), "x.xlsx")
    assert errors == [] and len(houses) == 2


def test_building_columns_agree_within_a_building_and_fill_the_blanks():
    rows = [house_cells("101", 建成年代=None, 建筑结构=None, 楼幢地址=None), house_cells("102"),
            house_cells("103", 楼幢地址="别的地址"), house_cells("201", building="2栋", 建成年代=1999)]
    houses, errors = read_house_sheet(xlsx([as_row(r) for r in rows]), "x.xlsx")
    assert codes(errors) == {(4, "楼幢地址", "BAD_VALUE")} and "第 3 行" in errors[0].message
    assert [(h.room_number, h.built_year, h.structure, h.building_address) for h in houses] == [
        ("101", 2020, BuildingStructure.REINFORCED_CONCRETE, "江门市示例路1号"),
        ("102", 2020, BuildingStructure.REINFORCED_CONCRETE, "江门市示例路1号"),
        ("201", 1999, BuildingStructure.REINFORCED_CONCRETE, "江门市示例路1号")]


def test_exports_need_the_code_column_and_codes_are_unique():
    header = HOUSE_COLUMNS
    rows = [house_cells("101", 房屋编号="H1"), house_cells("102", 房屋编号="H1"), house_cells("103", 房屋编号=None)]
    houses, errors = read_house_sheet(xlsx([as_row(r, header) for r in rows], header=header), "x.xlsx", with_code=True)
    assert codes(errors) == {(3, "房屋编号", "DUPLICATE")}
    assert [(h.code, h.room_number) for h in houses] == [("H1", "101"), (None, "103")]
    houses, _ = read_house_sheet(xlsx([as_row(r, header) for r in rows], header=header), "x.xlsx")
    assert all(h.code is None for h in houses), "without with_code the column is ignored"


def test_cells_of_any_type_become_row_errors():
    rows = [house_cells("101", 建筑面积=True, 楼层=datetime(2024, 1, 1), 建成年代=date(2010, 5, 1)),
            house_cells("102", 证件号码=110105194912310020, 建成年代=2010)]  # a date cell gives its year
    houses, errors = read_house_sheet(xlsx([as_row(r) for r in rows]), "x.xlsx")
    assert codes(errors) == {(2, "建筑面积", "BAD_NUMBER"), (2, "楼层", "BAD_NUMBER"), (3, "证件号码", "BAD_ID_NUMBER")}
    assert "文本格式" in errors[-1].message and houses == []


MUTATIONS = [
    ("楼层", "三楼", "BAD_NUMBER"), ("楼层", 201, "OUT_OF_RANGE"), ("楼层", -6, "OUT_OF_RANGE"), ("楼层", "2.5", "BAD_NUMBER"),
    ("建筑面积", None, "REQUIRED"), ("建筑面积", 0, "OUT_OF_RANGE"), ("建筑面积", "89.123", "BAD_NUMBER"),
    ("建筑面积", "1e3", "BAD_NUMBER"), ("建筑面积", "abc", "BAD_NUMBER"), ("套内面积", 1000, "OUT_OF_RANGE"),
    ("套内面积", -1, "OUT_OF_RANGE"), ("房款", -0.01, "OUT_OF_RANGE"), ("房款", "12.345", "BAD_NUMBER"),
    ("房屋用途", "别墅", "BAD_VALUE"), ("房屋用途", None, "REQUIRED"), ("电梯", "有的", "BAD_VALUE"),
    ("建筑结构", "木", "BAD_VALUE"), ("销售状态", "预售", "BAD_VALUE"), ("销售状态", "未售", "BAD_VALUE"),
    ("不动产单元号", "123", "BAD_VALUE"), ("不动产单元号", "9" * 30, "TOO_LONG"), ("房号", "9" * 21, "TOO_LONG"),
    ("房号", None, "REQUIRED"), ("房屋坐落", None, "REQUIRED"), ("房屋坐落", "址" * 301, "TOO_LONG"),
    ("证件号码", "110105194912310021", "BAD_ID_NUMBER"), ("证件号码", None, "REQUIRED"),
    ("手机号码", "1380013800", "BAD_PHONE"), ("手机号码", 12345.0, "BAD_PHONE"), ("业主姓名", None, "REQUIRED"),
    ("证件类型", "驾照", "BAD_VALUE"), ("建成年代", 1899, "OUT_OF_RANGE"), ("建成年代", date.today().year + 1, "OUT_OF_RANGE"),
    ("建成年代", "二〇二〇", "BAD_NUMBER"), ("楼幢名称", None, "REQUIRED"), ("楼幢名称", "栋" * 101, "TOO_LONG"),
    ("单元", "单" * 21, "TOO_LONG"),
]


@PROPERTY
@given(st.integers(5, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.dictionaries(st.integers(0, n - 1), st.sampled_from(MUTATIONS), max_size=n))))
def test_every_injected_problem_is_reported_and_nothing_raises(case):
    n, injected = case
    rows = []
    for i in range(n):
        cells = house_cells(str(100 + i))
        if i in injected:
            column, value, _ = injected[i]
            cells[column] = value
        rows.append(as_row(cells))
    houses, errors = read_house_sheet(xlsx(rows), "fuzz.xlsx")
    found = codes(errors)
    for i, (column, _, code) in injected.items():
        assert (i + 2, column, code) in found
    assert {e.row for e in errors} == {i + 2 for i in injected}
    assert [h.row for h in houses] == [i + 2 for i in range(n) if i not in injected]


ANY_CELL = st.one_of(st.none(), st.text(max_size=30), st.integers(-10**20, 10**20), st.booleans(),
                     st.floats(allow_nan=False, allow_infinity=False), st.dates(date(1900, 1, 1), date(2100, 1, 1)),
                     st.sampled_from(["有", "无", "住宅", "已售", "未售", "居民身份证", "１２", " ", "-1", "89.50", "=1+1"]))


@PROPERTY
@given(st.lists(st.lists(ANY_CELL, min_size=len(TEMPLATE_COLUMNS), max_size=len(TEMPLATE_COLUMNS)), max_size=12))
def test_arbitrary_cells_never_raise(rows):
    rows = [[house_writer._ILLEGAL.sub("", v) if isinstance(v, str) else v for v in row] for row in rows]
    houses, errors = read_house_sheet(xlsx(rows), "random.xlsx")
    assert all(e.code in ROW_CODES and e.column in TEMPLATE_COLUMNS and 2 <= e.row <= len(rows) + 1 for e in errors)
    bad_rows = {e.row for e in errors}
    assert not any(h.row in bad_rows for h in houses)


def test_progress_is_reported_at_least_every_thousand_rows():
    rows = [as_row(house_cells(str(1000 + i))) for i in range(2500)]
    calls = []
    houses, errors = read_house_sheet(xlsx(rows), "big.xlsx", progress=lambda done, total: calls.append((done, total)))
    assert errors == [] and len(houses) == 2500
    assert calls[-1] == (2500, 2500) and [c[0] for c in calls[:-1]] == [1000, 2000]


# ---------------------------------------------------------------- refused files
# (the file checks before calamine are tests/test_sheet_guard.py)

def test_the_wrong_template_is_refused():
    with pytest.raises(FileRejected, match="不是房屋信息模板"):
        read_house_sheet(xlsx([["1栋", 1]], header=["楼幢", "层", "房间"]), "x.xlsx")
    with pytest.raises(FileRejected, match="前 20 行"):
        read_house_sheet(xlsx([as_row(house_cells())], leading_blank_rows=20), "x.xlsx")
    assert read_house_sheet(xlsx([as_row(house_cells())], leading_blank_rows=19), "x.xlsx")[0][0].row == 21


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(house_reader, "MAX_ROWS", 10)
    with pytest.raises(FileRejected, match="上限"):
        read_house_sheet(xlsx([as_row(house_cells(str(100 + i))) for i in range(11)]), "x.xlsx")
    assert len(read_house_sheet(xlsx([as_row(house_cells(str(100 + i))) for i in range(10)]), "x.xlsx")[0]) == 10


@pytest.mark.parametrize("text", ["=1+1", '=HYPERLINK("http://example.invalid","x")', "+SUM(A1)", "-2+3", "@A1", "_x0041_",
                                  "a\x01b"])
def test_typed_cells_store_text_as_text(text):
    """Issue 12.11: no text a user typed becomes a formula in any workbook the service writes."""
    wb = Workbook()
    ws = wb.active
    ws.append(house_writer.typed_cells(ws, [text, Decimal("12.5"), 3, None]))
    out = io.BytesIO()
    wb.save(out)
    sheet = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    back = load_workbook(io.BytesIO(out.getvalue())).active
    assert back["A1"].data_type == "s" and back["B1"].number_format == "0.00"
    import python_calamine  # reads _x005F_ escapes as Excel shows them, as openpyxl does not

    row = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()[0]
    assert row[:3] == [text.replace("\x01", ""), 12.5, 3]


def test_the_sheets_last_house_comes_with_its_last_part():
    """A stream's parts are the sheet's houses in order, none left for a part of its own at the
    end (an import wrote a last part of one house: one more round trip to PostgreSQL)."""
    rows = [as_row(house_cells(f"{floor}0{room}", floor=floor)) for floor in range(1, 5) for room in range(1, 3)]
    stream = house_reader.HouseSheetStream(xlsx(rows), "houses.xlsx", chunk=3, first_chunk=2)
    parts = [[h.room_number for h in part] for part in stream]
    assert not stream.errors
    # rows of 2, 3 and 3: a part holds the houses its rows close (a house may go on over the next
    # row), and the last part the sheet's last house too; it was [1, 3, 3, 1]
    assert [len(p) for p in parts] == [1, 3, 4]
    assert [room for part in parts for room in part] == [f"{floor}0{room}" for floor in range(1, 5) for room in range(1, 3)]
