"""Reading the XLSX exports (导出) the console and ledgers answer with."""

from __future__ import annotations

from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_xlsx(client: Any, path: str, **params: Any) -> dict[str, list[tuple[Any, ...]]]:
    """GET an XLSX export and return its sheets' rows (values only), header first."""
    import io

    from openpyxl import load_workbook

    response = client.get(path, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX and "attachment" in response.headers["Content-Disposition"]
    data = response.data
    response.close()  # as a WSGI server does: closes the streamed temporary file
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {name: [tuple(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}
    book.close()
    return sheets
