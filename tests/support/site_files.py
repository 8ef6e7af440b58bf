"""Site import files (批量导入场所) in the tests: the template's header, rows of shops and the register's count."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from hazardloop.sites.credit_code import make_credit_code
from hazardloop.sites.models import Site

HEADER = ["场所名称*", "统一社会信用代码", "地址*", "所属网格*", "场所类别*", "监管领域", "经度", "纬度", "联系人",
          "联系电话", "备注"]


def code(n: int) -> str:
    """A valid 统一社会信用代码 (GB 32100), different for each n."""
    return make_credit_code("91330105", f"{n:08d}")


def xlsx(rows: list[list[Any]], *, header: list[str] | None = None, merge: str | None = None) -> bytes:
    """A site import workbook: the template's header (or ``header``) and ``rows``, ``merge`` a merged range."""
    book = Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shop(n: int, grid: str = "A1网格", **over: Any) -> list[Any]:
    """Row ``n`` of a file of shops (fields by name in ``over``: name, code, address, grid, category, …)."""
    values = {"name": f"导入便利店{n}", "code": code(n), "address": f"导入路{n}号", "grid": grid, "category": "小商店",
              "domains": "", "lng": 120.15, "lat": 30.28, "contact": "王店主", "mobile": "13800138000", "notes": ""}
    values.update(over)
    return list(values.values())


def site_count(db: Any) -> int:
    """How many sites are registered."""
    return int(db.session.scalar(select(func.count()).select_from(Site)))
