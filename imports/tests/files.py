"""Import files built in memory for the tests: CSV in any encoding, XLSX through openpyxl."""

import csv
import io

import openpyxl

SHOP_HEADERS_ZH = [
    "许可证号",
    "店名",
    "负责人",
    "电话",
    "地址",
    "纬度",
    "经度",
    "网格编码",
    "业态",
    "市场类型",
    "档级",
    "星级",
    "客户经理",
    "联系方式",
    "开业日期",
]
SHOP_HEADERS_EN = [
    "licence_no",
    "name",
    "owner_name",
    "phone",
    "address",
    "latitude",
    "longitude",
    "grid_code",
    "business_type",
    "market_type",
    "grade",
    "star",
    "account_manager",
    "contact_channels",
    "opened_on",
]
ORDER_HEADERS = ["订单号", "许可证号", "订货日期", "商品编码", "数量", "单价"]


def shop_row(grid_code: str, n: int = 1, **overrides: object) -> list[object]:
    """A valid shop row (in SHOP_HEADERS order); ``overrides`` by English column name."""
    values = {
        "licence_no": f"340104{n:06d}",
        "name": f"导入便利店{n}",
        "owner_name": "王五",
        "phone": f"1380000{n:04d}",
        "address": "合肥市包河区徽州大道1号",
        "latitude": "31.80",
        "longitude": "117.29",
        "grid_code": grid_code,
        "business_type": "便利店",
        "market_type": "urban",
        "grade": "26",
        "star": "5",
        "account_manager": "",
        "contact_channels": "wechat,phone",
        "opened_on": "2021-05-01",
    }
    values.update(overrides)
    return [values[key] for key in SHOP_HEADERS_EN]


def csv_bytes(headers: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(headers: list[str], rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
