"""The house's rules are stated once (services/houses/fields.py): the sheet import, the info
change and the ownership change refuse the same values. Each test here was a drift between the
two copies of a rule (issue 8), settled on the stricter one."""

from decimal import Decimal

import pytest

from services.houses import fields
from tests.api import gql
from tests.appflow import APP_FIELDS, make_world, tree
from tests.test_workbook import as_row, codes, house_cells, rid, xlsx

OWNERSHIP = "mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { %s } }" % APP_FIELDS
INFO = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP_FIELDS


def read(rows: list[dict]):
    from sheets.house_reader import read_house_sheet

    return read_house_sheet(xlsx([as_row(r) for r in rows]), "houses.xlsx")


def test_floor_zero_is_refused_by_the_import_as_by_the_info_change():
    # The import took floor 0 and the info change refused it: a house imported there could not be re-saved.
    houses, errors = read([house_cells("101", floor=0), house_cells("102", floor=-1), house_cells("103", floor=1)])
    assert codes(errors) == {(2, "楼层", "OUT_OF_RANGE")}
    assert [h.floor for h in houses] == [-1, 1]


def test_the_price_ceiling_is_one():
    # The import allowed 999 999 999 999.99, the info change 999 999 999 999.
    assert fields.PRICE_MAX == Decimal("999999999999")
    houses, errors = read([house_cells("101", **{"房款": "999999999999.50"}), house_cells("102", **{"房款": "999999999999"})])
    assert codes(errors) == {(2, "房款", "OUT_OF_RANGE")}
    assert houses[0].price == Decimal("999999999999.00")


def test_an_id_number_shorter_than_three_characters_is_refused_by_the_import():
    # The ownership change asked 3 to 40 characters of a passport or permit number; the import any length.
    houses, errors = read([house_cells("101", owner=("张三", "护照", "E1", "13800138000")),
                           house_cells("102", owner=("李四", "护照", "E12345678", "13800138000"))])
    assert codes(errors) == {(2, "证件号码", "BAD_ID_NUMBER")}
    assert houses[0].owners[0].id_number == "E12345678"


def test_a_house_has_at_most_fifty_owners_in_the_import_too():
    rows = [house_cells("101", owner=("业主", "居民身份证", rid(i), "13800138000")) for i in range(fields.OWNERS_MAX + 1)]
    houses, errors = read(rows)
    assert houses == [] and {(e.column, e.code) for e in errors} == {("业主姓名", "BAD_VALUE")}


@pytest.fixture
async def world(client, session, worker):
    return await make_world(client, session)


async def test_an_owner_listed_twice_is_refused_by_the_ownership_change_too(client, world):
    # The import refused the same 证件 twice on one house; the ownership change took it.
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    owner = {"name": "张三", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X", "phone": "13800138000"}
    twice = {"input": {"estateId": world.estate_gid, "items": [{"houseId": house["id"], "owners": [
        owner, {**owner, "name": "张三丰", "idNumber": "11010519491231002x"}]}]}}
    r = await gql(client, OWNERSHIP, twice, token=world.dev)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.items.0.owners.1.idNumber"


async def test_info_change_and_import_give_the_same_message_for_a_floor(client, world):
    house = (await tree(client, world))["buildings"][0]["houses"][0]
    r = await gql(client, INFO, {"input": {"estateId": world.estate_gid, "reason": "测绘更正",
                                           "items": [{"houseId": house["id"], "floor": 0}]}}, token=world.dev)
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.items.0.floor"
    _, errors = read([house_cells("101", floor=0)])
    assert r.errors[0]["message"] == errors[0].message
