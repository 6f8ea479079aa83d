"""Workbooks for import tests, written with openpyxl as a user's Excel would save them."""

from __future__ import annotations

import io

from openpyxl import Workbook

HEADER = ["房屋编号", "楼幢名称", "建成年代", "建筑结构", "楼幢地址", "单元", "楼层", "房号", "房屋坐落", "房屋用途", "电梯",
          "建筑面积", "套内面积", "房款", "销售状态", "不动产单元号", "业主姓名", "证件类型", "证件号码", "手机号码"]


def house(building="1栋", unit="1单元", floor=1, room="101", area="89.50", *, code=None, usage="住宅", elevator="有",
          sold="已售", owner=("张三", "居民身份证", "11010519491231002X", "13800138000"), year=2024, structure="钢混"):
    row = {"房屋编号": code, "楼幢名称": building, "建成年代": year, "建筑结构": structure, "楼幢地址": f"江门市示例路{building}",
           "单元": unit, "楼层": floor, "房号": room, "房屋坐落": f"江门市示例路{building}{unit}{room}房", "房屋用途": usage,
           "电梯": elevator, "建筑面积": area, "套内面积": None, "房款": None, "销售状态": sold, "不动产单元号": None}
    if owner and sold == "已售":
        row.update(zip(["业主姓名", "证件类型", "证件号码", "手机号码"], owner))
    return row


def workbook(rows: list[dict], *, with_code: bool = False, title: str | None = "房屋信息") -> bytes:
    wb = Workbook()
    ws = wb.active
    header = HEADER if with_code else HEADER[1:]
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append([_cell(r.get(h)) for h in header])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value):
    if isinstance(value, str):
        try:
            return float(value) if "." in value and value.replace(".", "", 1).isdigit() else value
        except ValueError:
            return value
    return value


def grid(building: str, floors: int, rooms: int, *, area: str = "90.00", unit: str = "1单元") -> list[dict]:
    return [house(building, unit, f, f"{f}{r:02d}", area) for f in range(1, floors + 1) for r in range(1, rooms + 1)]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
