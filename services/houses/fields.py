"""房屋 the house's vocabulary: every house and building column with its Chinese label, limits and
validator, the Chinese labels of its enums, its location text, and the conversions between its
snapshot (the camelCase dict an application records), its sheet row (`HouseRow`) and its table
columns. Each rule is stated here once; the sheet reader (sheets/), the info and ownership
changes, the exports, the 申请表 and the GraphQL snapshot type all call it.

Pure: no database session and no sheet format. Validators take values already read (a cell's
text or number is sheets/cells.py's business) and raise `Invalid` with a row-error code and a
Chinese message; the sheet turns it into a row error, the API into VALIDATION_FAILED.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from core.errors import ValidationFailed
from models.enums import BuildingStructure, DepositTiming, HouseUsage, IdType, SalesStatus
from services import pii
from services.validators import as_typed, normalise, valid_credit_code, valid_mobile, valid_resident_id

# ---------------------------------------------------------------- columns (the sheet's labels)

CODE = "房屋编号"
BUILDING = "楼幢名称"
BUILT_YEAR = "建成年代"
STRUCTURE = "建筑结构"
BUILDING_ADDRESS = "楼幢地址"
UNIT = "单元"
FLOOR = "楼层"
ROOM = "房号"
ADDRESS = "房屋坐落"
USAGE = "房屋用途"
LAYOUT = "户型"
ELEVATOR = "电梯"
AREA = "建筑面积"
INNER_AREA = "套内面积"
PRICE = "房款"
SALES = "销售状态"
UNIT_NUMBER = "不动产单元号"
OWNER_NAME = "业主姓名"
ID_TYPE = "证件类型"
ID_NUMBER = "证件号码"
PHONE = "手机号码"

# ---------------------------------------------------------------- enum labels

USAGE_LABELS: dict[str, HouseUsage] = {
    "住宅": HouseUsage.RESIDENTIAL, "商业": HouseUsage.COMMERCIAL, "办公": HouseUsage.OFFICE,
    "车库": HouseUsage.GARAGE, "车位": HouseUsage.PARKING_SPACE, "储藏": HouseUsage.STORAGE, "其他": HouseUsage.OTHER,
}
STRUCTURE_LABELS: dict[str, BuildingStructure] = {
    "钢混": BuildingStructure.REINFORCED_CONCRETE, "混合": BuildingStructure.MIXED, "框架": BuildingStructure.FRAME,
    "框剪": BuildingStructure.FRAME_SHEAR_WALL, "钢结构": BuildingStructure.STEEL,
    "砖木": BuildingStructure.BRICK_WOOD, "其他": BuildingStructure.OTHER,
}
SALES_LABELS: dict[str, SalesStatus] = {"已售": SalesStatus.SOLD, "未售": SalesStatus.UNSOLD}
ELEVATOR_LABELS: dict[str, bool] = {"有": True, "无": False}
ELEVATOR_ALIASES: dict[str, bool] = {**ELEVATOR_LABELS, "是": True, "否": False}
ID_TYPE_LABELS: dict[str, IdType] = {
    "居民身份证": IdType.RESIDENT_ID, "护照": IdType.PASSPORT, "港澳居民来往内地通行证": IdType.HK_MACAO_PERMIT,
    "台湾居民来往大陆通行证": IdType.TAIWAN_PERMIT, "外国人永久居留身份证": IdType.FOREIGN_PERMANENT_RESIDENT_ID,
    "统一社会信用代码": IdType.CREDIT_CODE, "其他": IdType.OTHER,
}
ID_TYPE_ALIASES: dict[str, IdType] = {**ID_TYPE_LABELS, "身份证": IdType.RESIDENT_ID}
DEPOSIT_TIMING_LABELS: dict[str, DepositTiming] = {
    "网签备案前": DepositTiming.BEFORE_CONTRACT_FILING, "首次登记前": DepositTiming.BEFORE_INITIAL_REGISTRATION,
    "交付前": DepositTiming.BEFORE_HANDOVER,
}

USAGE_NAMES = {v: k for k, v in USAGE_LABELS.items()}
STRUCTURE_NAMES = {v: k for k, v in STRUCTURE_LABELS.items()}
SALES_NAMES = {v: k for k, v in SALES_LABELS.items()}
ELEVATOR_NAMES = {v: k for k, v in ELEVATOR_LABELS.items()}
ID_TYPE_NAMES = {v: k for k, v in ID_TYPE_LABELS.items()}
DEPOSIT_TIMING_NAMES = {v: k for k, v in DEPOSIT_TIMING_LABELS.items()}

# A snapshot value (an enum's raw value, or a bool) → its Chinese label, for printed forms.
VALUE_NAMES: dict[Any, str] = {
    **{k.value: v for k, v in USAGE_NAMES.items()}, **{k.value: v for k, v in SALES_NAMES.items()},
    **{k.value: v for k, v in STRUCTURE_NAMES.items()}, **{k.value: v for k, v in DEPOSIT_TIMING_NAMES.items()},
    **ELEVATOR_NAMES,
}

# ---------------------------------------------------------------- limits (as models/estate.py's columns)

NAME_MAX = 100
ADDRESS_MAX = 300
UNIT_MAX = 20
ROOM_MAX = 20
LAYOUT_MAX = 20
CODE_MAX = 24
ID_NUMBER_MIN, ID_NUMBER_MAX = 3, 40
UNIT_NUMBER_LENGTH = 28
FLOOR_MIN, FLOOR_MAX = -5, 200  # no floor 0: above ground counts from 1, below from -1
AREA_MAX = Decimal("100000")
# NUMERIC(14, 2) holds 999 999 999 999.99; the info change allowed whole yuan up to 999 999 999 999
# and the import the cents above it. One ceiling, the stricter.
PRICE_MAX = Decimal("999999999999")
YEAR_MIN = 1900
OWNERS_MAX = 50
CENT = Decimal("0.01")




@dataclass(frozen=True)
class Column:
    """A column of the house sheet: its label (the header), what it holds, its width in the
    template and exports, and its line on the template's 填写说明 sheet."""

    label: str
    attr: str  # the attribute of HouseRow it fills (of OwnerRow for the owner columns)
    kind: str  # "text" (kept as typed), "code" (NFKC-folded text), "int", "decimal" or "label" (a drop-down)
    width: int
    rule: str
    limit: int = 0  # text and code: at most this many characters
    required: bool = False
    repeats: bool = False  # values repeat row after row: the reader parses each distinct value once
    names: dict[Any, str] = field(default_factory=dict)  # label: value → its label, in drop-down order

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.names.values())


# The house sheet in its order (the export's; the template leaves out 房屋编号).
COLUMNS: tuple[Column, ...] = (
    Column(CODE, "code", "code", 16, "系统导出时填写，用于拆分合并、信息变更时对应原房屋；新增的房屋（拆分合并后的房屋）留空；"
                             "采集、补充模板中没有此列", limit=CODE_MAX),
    Column(BUILDING, "building_name", "text", 12, f"如 1栋；名称相同的房屋属于同一楼幢；不超过 {NAME_MAX} 个字", limit=NAME_MAX,
           required=True, repeats=True),
    Column(BUILT_YEAR, "built_year", "int", 10, f"年份，如 2024；{YEAR_MIN} 年至今；同一楼幢须一致", repeats=True),
    Column(STRUCTURE, "structure", "label", 10, "、".join(STRUCTURE_LABELS) + "；同一楼幢须一致", repeats=True,
           names=STRUCTURE_NAMES),
    Column(BUILDING_ADDRESS, "building_address", "text", 28, f"楼幢的地址；同一楼幢须一致；不超过 {ADDRESS_MAX} 个字", limit=ADDRESS_MAX,
           repeats=True),
    Column(UNIT, "unit", "code", 8, f"如 1单元 或 1；不超过 {UNIT_MAX} 个字", limit=UNIT_MAX, repeats=True),
    Column(FLOOR, "floor", "int", 7, f"整数，地下层用负数（如 -1），{FLOOR_MIN} 至 {FLOOR_MAX}，没有 0 层", required=True,
           repeats=True),
    Column(ROOM, "room_number", "code", 9, f"如 101；同一楼幢内 单元+楼层+房号 不能重复；不超过 {ROOM_MAX} 个字", limit=ROOM_MAX,
           required=True),
    Column(ADDRESS, "address", "text", 36, f"房屋的完整地址；不超过 {ADDRESS_MAX} 个字", limit=ADDRESS_MAX, required=True),
    Column(USAGE, "usage", "label", 10, "、".join(USAGE_LABELS), required=True, repeats=True, names=USAGE_NAMES),
    Column(LAYOUT, "layout", "text", 12, f"如 三房两厅；按原样保存；不超过 {LAYOUT_MAX} 个字", limit=LAYOUT_MAX, repeats=True),
    Column(ELEVATOR, "has_elevator", "label", 7, "有 或 无（也可填 是 或 否）", required=True, repeats=True,
           names=ELEVATOR_NAMES),
    Column(AREA, "building_area", "decimal", 11, f"平方米，大于 0，不超过 {AREA_MAX}，最多两位小数", required=True, repeats=True),
    Column(INNER_AREA, "inner_area", "decimal", 11, "平方米，大于 0，不大于建筑面积，最多两位小数", repeats=True),
    Column(PRICE, "price", "decimal", 14, f"元，不小于 0，不超过 {PRICE_MAX}，最多两位小数", repeats=True),
    Column(SALES, "sales_status", "label", 10, "已售 或 未售；未售房屋不填业主", required=True, repeats=True, names=SALES_NAMES),
    Column(UNIT_NUMBER, "real_estate_unit_number", "code", 32, f"{UNIT_NUMBER_LENGTH} 位"),
    Column(OWNER_NAME, "name", "text", 12, f"业主四列（姓名、证件类型、证件号码、手机号码）要么都填，要么都不填；不超过 {NAME_MAX} 个字；"
                                   f"一套房屋最多 {OWNERS_MAX} 位业主", limit=NAME_MAX),
    Column(ID_TYPE, "id_type", "label", 24, "、".join(ID_TYPE_LABELS) + "（居民身份证也可填 身份证）", repeats=True,
           names=ID_TYPE_NAMES),
    Column(ID_NUMBER, "id_number", "code", 22, f"居民身份证号须校验位正确，统一社会信用代码须 18 位且校验正确，其他证件 {ID_NUMBER_MIN} 至 "
                                  f"{ID_NUMBER_MAX} 位；请以文本格式填写，避免长数字被截断", limit=ID_NUMBER_MAX),
    Column(PHONE, "phone", "code", 14, "11 位手机号"),
)
COLUMN_OF: dict[str, Column] = {c.label: c for c in COLUMNS}
HOUSE_COLUMNS: list[str] = [c.label for c in COLUMNS]
TEMPLATE_COLUMNS: list[str] = HOUSE_COLUMNS[1:]
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.label for c in COLUMNS if c.required)
OWNER_COLUMNS: tuple[str, ...] = (OWNER_NAME, ID_TYPE, ID_NUMBER, PHONE)
# The columns that describe the house itself: rows of one house repeat them identically.
HOUSE_FIELD_COLUMNS: tuple[str, ...] = tuple(c for c in HOUSE_COLUMNS if c not in OWNER_COLUMNS)
BUILDING_COLUMNS: tuple[str, ...] = (BUILT_YEAR, STRUCTURE, BUILDING_ADDRESS)  # must agree within a building

# The 申请表's columns for a house: snapshot key → heading, in print order. Free text is printed
# as typed (a 户型 or 坐落 that reads like an enum value, "OTHER", is not a label to translate).
FORM_COLUMNS = {"buildingName": "楼幢", "unit": "单元", "floor": "楼层", "roomNumber": "房号", "address": "坐落",
                "usage": "用途", "layout": "户型", "hasElevator": "电梯", "buildingArea": "建筑面积",
                "innerArea": "套内面积", "salesStatus": "销售状态", "owners": "业主"}
FORM_AS_TYPED = frozenset({"buildingName", "address", "layout", "name"})


class Invalid(Exception):
    """A value that breaks a rule: `code` as the sheet's row errors name it, `message` in Chinese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- validators

def check_text(text: str, label: str, limit: int) -> str:
    if len(text) > limit:
        raise Invalid("TOO_LONG", f"{label}不能超过 {limit} 个字（当前 {len(text)} 个）")
    return text


def check_floor(floor: int) -> int:
    if not FLOOR_MIN <= floor <= FLOOR_MAX or floor == 0:
        raise Invalid("OUT_OF_RANGE", f"楼层「{floor}」应在 {FLOOR_MIN} 至 {FLOOR_MAX} 之间且不为 0（地下层用负数，如 -1）")
    return floor


def check_two_decimals(d: Decimal, label: str, low: Decimal, high: Decimal, *, low_open: bool,
                       shown: str | None = None) -> Decimal:
    """An amount or area in range with at most two decimals, as stored (two places; "-0" is 0.00)."""
    shown = str(d) if shown is None else shown
    if d < low or (low_open and d == low) or d > high:
        bound = f"大于 {low}" if low_open else f"不小于 {low}"
        raise Invalid("OUT_OF_RANGE", f"{label}「{shown}」超出范围，应{bound}且不超过 {high}")
    q = d.quantize(CENT)
    if q != d:
        raise Invalid("BAD_NUMBER", f"{label}「{shown}」最多保留两位小数")
    return q.copy_abs() if q.is_zero() else q


def check_area(d: Decimal, label: str = AREA, shown: str | None = None) -> Decimal:
    return check_two_decimals(d, label, Decimal(0), AREA_MAX, low_open=True, shown=shown)


def check_price(d: Decimal, shown: str | None = None) -> Decimal:
    return check_two_decimals(d, PRICE, Decimal(0), PRICE_MAX, low_open=False, shown=shown)


def check_inner_area(inner: Decimal | None, area: Decimal) -> None:
    if inner is not None and inner > area:
        raise Invalid("OUT_OF_RANGE", f"套内面积（{inner}）不能大于建筑面积（{area}）")


def check_unit_number(folded: str) -> str:
    """不动产单元号, NFKC-folded: 28 characters, spaces dropped."""
    s = folded.replace(" ", "")
    if len(s) != UNIT_NUMBER_LENGTH:
        raise Invalid("TOO_LONG" if len(s) > UNIT_NUMBER_LENGTH else "BAD_VALUE",
                      f"不动产单元号应为 {UNIT_NUMBER_LENGTH} 位（当前 {len(s)} 位）")
    return s


def check_owner_name(name: str) -> str:
    if not name:
        raise Invalid("REQUIRED", "业主姓名不能为空")
    return check_text(name, OWNER_NAME, NAME_MAX)


def check_id_number(id_type: IdType, folded: str) -> str:
    """An owner's 证件号码 (NFKC-folded) as stored: a 居民身份证 with its check digit and birth date,
    a 统一社会信用代码 with its check character, other papers 3 to 40 characters (upper case but
    for 其他, kept as written). The message masks the number: row errors are stored."""
    number: str | None = folded
    what = "有效的证件号码（3 至 40 位）"
    if id_type is IdType.RESIDENT_ID:
        number, what = valid_resident_id(folded), "有效的居民身份证号"
    elif id_type is IdType.CREDIT_CODE:
        number, what = valid_credit_code(folded), "有效的统一社会信用代码"
    elif not ID_NUMBER_MIN <= len(folded) <= ID_NUMBER_MAX:
        number = None
    elif id_type is not IdType.OTHER:
        number = folded.upper()
    if number is None:
        raise Invalid("BAD_ID_NUMBER", f"证件号码「{pii.mask_id_number(folded)}」不是{what}")
    return number


def check_phone(folded: str) -> str:
    phone = valid_mobile(folded)
    if phone is None:
        # masked as a bank sees it: row errors are stored, and a mistyped number is still someone's
        raise Invalid("BAD_PHONE", f"手机号码「{pii.mask_phone(folded)}」不是有效的 11 位手机号")
    return phone


def check_owner_count(count: int, sales_status: SalesStatus | str) -> None:
    if count and SalesStatus(sales_status) is SalesStatus.UNSOLD:
        raise Invalid("BAD_VALUE", "销售状态为未售的房屋不能填写业主")
    if count > OWNERS_MAX:
        raise Invalid("BAD_VALUE", f"一套房屋的业主最多 {OWNERS_MAX} 人（当前 {count} 人）")


def repeated_owner(owners: Iterable[tuple[Any, str]]) -> tuple[int, int] | None:
    """(first, repeat) positions of the first owner whose (证件类型, 证件号码) an earlier one has."""
    seen: dict[tuple[Any, str], int] = {}
    for i, who in enumerate(owners):
        if who in seen:
            return seen[who], i
        seen[who] = i
    return None


def check_share(share: Decimal | None) -> None:
    """One owner's 份额: a fraction in (0, 1], or none."""
    if share is not None and not Decimal(0) < share <= Decimal(1):
        raise Invalid("OUT_OF_RANGE", "份额应大于 0 且不超过 1")


def check_shares(shares: Sequence[Decimal | None]) -> None:
    """A house's 份额: all given or none, each in (0, 1], summing to 1."""
    for share in shares:
        check_share(share)
    given = [s for s in shares if s is not None]
    if given and len(given) != len(shares):
        raise Invalid("REQUIRED", "份额应全部填写或全部不填")
    if given and sum(given, Decimal(0)) != Decimal(1):
        raise Invalid("BAD_VALUE", "各业主份额之和应为 1")


# ---------------------------------------------------------------- the rules, as the API asks them

def check_owners(owners: Sequence[Any], sales_status: str, path: str) -> list[dict[str, Any]]:
    """A house's owners as the API gives them (name, id_type, id_number, phone, share), each checked
    by the rules above, as the sheet import checks them: name, 证件号码 by its type, mobile, no
    owner twice, shares all or none summing to 1; an unsold house has none, a house at most
    OWNERS_MAX. Returns them as the snapshot holds them, papers sealed at once (snapshots are
    stored). A broken rule is VALIDATION_FAILED on the owner's field under `path`."""
    with as_validation(f"{path}.owners"):
        check_owner_count(len(owners), sales_status)
    result = []
    seen: list[tuple[Any, str]] = []
    for i, o in enumerate(owners):
        p = f"{path}.owners.{i}"
        with as_validation(f"{p}.name"):
            name = check_owner_name(as_typed(o.name))
        with as_validation(f"{p}.idNumber"):
            number = check_id_number(o.id_type, normalise(o.id_number))
        with as_validation(f"{p}.phone"):
            phone = check_phone(normalise(o.phone))
        with as_validation(f"{p}.share"):
            check_share(o.share)
        seen.append((o.id_type, number))
        if (twice := repeated_owner(seen)) is not None:
            raise ValidationFailed(f"业主证件号码与第 {twice[0] + 1} 位业主重复", field=f"{p}.idNumber")
        # sealed at once: snapshots are stored (services/pii.py)
        result.append({"name": name, "idType": o.id_type.value, "idNumber": pii.seal(number, pii.ID_NUMBER),
                       "phone": pii.seal(phone, pii.PHONE),
                       "share": None if o.share is None else str(o.share)})
    with as_validation(f"{path}.owners"):
        check_shares([o.share for o in owners])
    return result


@contextmanager
def as_validation(path: str) -> Iterator[None]:
    """A broken house rule (`Invalid`) as the API's VALIDATION_FAILED on `path`."""
    try:
        yield
    except Invalid as bad:
        raise ValidationFailed(bad.message, field=path) from None


# ---------------------------------------------------------------- location text

def location(building_name: str, unit: str | None, room_number: str) -> str:
    """Where a house is, as notices and refund forms print it: 1栋1单元101."""
    return f"{building_name}{unit or ''}{room_number}"


def place_text(unit: str | None, floor: int, room_number: str) -> str:
    """单元+楼层+房号 as messages name it: 1单元3层301房."""
    return f"{unit or ''}{floor}层{room_number}房"


# ---------------------------------------------------------------- the sheet row

@dataclass(frozen=True)
class OwnerRow:
    name: str
    id_type: IdType
    id_number: str
    phone: str


@dataclass
class HouseRow:
    """One house as a sheet holds it; `row` is the 1-based sheet row of its first line. Building
    columns left empty on a row take the value stated on another row of the same building."""

    row: int
    code: str | None
    building_name: str
    built_year: int | None
    structure: BuildingStructure | None
    building_address: str | None
    unit: str | None
    floor: int
    room_number: str
    address: str
    usage: HouseUsage
    has_elevator: bool
    building_area: Decimal
    inner_area: Decimal | None
    price: Decimal | None
    sales_status: SalesStatus
    real_estate_unit_number: str | None
    owners: list[OwnerRow] = field(default_factory=list)
    layout: str | None = None  # 户型
    # False when the sheet has no 户型 column (a template or export made before it existed): an
    # info change then keeps each house's 户型 rather than clearing it.
    layout_read: bool = field(default=True, compare=False)


@dataclass(frozen=True)
class BuildingFields:
    """The building columns a sheet states for one building (the first row that states each)."""

    built_year: int | None = None
    structure: BuildingStructure | None = None
    address: str | None = None


# ---------------------------------------------------------------- the snapshot

# The snapshot's house values, key → column of models.House (and attribute of HouseRow). A
# snapshot is HouseSnapshot's fields in camelCase, amounts as text, enums as their raw values,
# owners' papers sealed.
SNAPSHOT_FIELDS = {
    "unit": "unit", "floor": "floor", "roomNumber": "room_number", "address": "address", "usage": "usage",
    "layout": "layout", "hasElevator": "has_elevator", "buildingArea": "building_area", "innerArea": "inner_area",
    "price": "price", "realEstateUnitNumber": "real_estate_unit_number", "salesStatus": "sales_status",
}
# The values that are not held as they are: key → the type they are read back as.
SNAPSHOT_TYPES: dict[str, Any] = {
    "usage": HouseUsage, "salesStatus": SalesStatus, "buildingArea": Decimal, "innerArea": Decimal, "price": Decimal,
}
SNAPSHOT_AMOUNTS = frozenset(k for k, kind in SNAPSHOT_TYPES.items() if kind is Decimal)  # held as text
SNAPSHOT_ENUMS = frozenset(k for k, kind in SNAPSHOT_TYPES.items() if kind is not Decimal)  # held as raw values


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, (int, str)):
        return value.value
    return value


def owner_snapshot(owner: Any) -> dict[str, Any]:
    """A stored owner (its papers already sealed) as the snapshot holds it."""
    return {"name": owner.name, "idType": _plain(owner.id_type), "idNumber": owner.id_number, "phone": owner.phone,
            "share": _plain(getattr(owner, "share", None))}


def house_snapshot(house: Any, building_name: str, owners: Iterable[Any]) -> dict[str, Any]:
    """A stored house (models.House) with its building's name and stored owners."""
    snap = {key: _plain(getattr(house, column)) for key, column in SNAPSHOT_FIELDS.items()}
    snap["code"] = getattr(house, "code", None)
    snap["buildingName"] = building_name
    snap["owners"] = [owner_snapshot(o) for o in owners]
    return snap


def import_snapshot(row: HouseRow, code: str | None = None) -> dict[str, Any]:
    """house_snapshot of a sheet row (an info change's or a split/merge's), its owners' papers sealed."""
    snap = {key: _plain(getattr(row, column)) for key, column in SNAPSHOT_FIELDS.items()}
    snap["code"] = code
    snap["buildingName"] = row.building_name
    snap["owners"] = [{"name": o.name, "idType": o.id_type.value, "idNumber": pii.seal(o.id_number, pii.ID_NUMBER),
                       "phone": pii.seal(o.phone, pii.PHONE), "share": _plain(getattr(o, "share", None))}
                      for o in row.owners]
    return snap


def snapshot_values(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's house values as Python values, by column name of models.House. A value the
    snapshot does not hold (one taken before its column existed, such as 户型 before migration
    0012) is left out: applied to a house, it leaves the house's own."""
    values = {}
    for key, column in SNAPSHOT_FIELDS.items():
        if key in snap:
            value, kind = snap[key], SNAPSHOT_TYPES.get(key)
            values[column] = kind(value) if kind is not None and value is not None else value
    return values


def snapshot_row(snap: dict[str, Any], row: int) -> HouseRow:
    """A snapshot as a sheet row (exports), owners' papers opened: the export is for the window.
    `builtYear`, `structure` and `buildingAddress`, when the snapshot carries them, are its building's."""
    return HouseRow(
        row=row, code=snap.get("code"), building_name=snap["buildingName"], built_year=snap.get("builtYear"),
        structure=BuildingStructure(snap["structure"]) if snap.get("structure") else None,
        building_address=snap.get("buildingAddress"), **snapshot_values(snap),
        owners=[OwnerRow(name=o["name"], id_type=IdType(o["idType"]), id_number=pii.reveal(o["idNumber"], pii.ID_NUMBER),
                         phone=pii.reveal(o["phone"], pii.PHONE))
                for o in snap["owners"]],
    )
