"""Reading an uploaded table row by row in constant memory: XLSX (streamed) or CSV (UTF-8 or GBK).

Whatever is wrong with the file as a whole raises ``FileProblem`` with a sentence for the person who
uploaded it; what is wrong with one cell is left to the caller, which knows the columns.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl.utils.cell import range_boundaries

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and Excel's encrypted .xlsx
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


class FileProblem(Exception):
    """The file cannot be read as a table at all; ``str()`` is the Chinese explanation."""


@dataclass
class Table:
    """A table's header and its data rows as (row number in the file, cell values)."""

    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    close: Callable[[], None]
    # Rows touched by a merged range, with the range as Excel names it ("A5:C5").
    merged_rows: dict[int, str] = field(default_factory=dict)
    # The first worksheet's name when there were several (only the first is read).
    ignored_sheets: list[str] = field(default_factory=list)


def open_table(path: Path) -> Table:
    """The first worksheet of an XLSX file, or a CSV file, as a Table. Raises FileProblem."""
    with path.open("rb") as f:
        head = f.read(8192)
    if not head.strip():
        raise FileProblem("文件是空的。")
    if head.startswith(OLE2_MAGIC):
        raise FileProblem("这是旧版 Excel（.xls）或加了密码的文件，请在 Excel 中“另存为”.xlsx 或 .csv 后再上传。")
    if head.startswith(XLSX_MAGIC):
        return _xlsx(path)
    if b"\x00" in head:
        raise FileProblem("无法识别的文件：请上传 Excel（.xlsx）或 CSV 文件（可先下载模板）。")
    return _csv(path, head)


# --- XLSX ----------------------------------------------------------------------------------------

def _xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise FileProblem("无法读取该 Excel 文件（文件可能已损坏，或不是 .xlsx 格式），"
                          "请用 Excel 打开后重新保存再上传。") from exc
    sheets = book.worksheets
    if not sheets:
        raise FileProblem("Excel 文件中没有工作表。")
    sheet = sheets[0]
    merged = _merged_rows(sheet)
    values = sheet.iter_rows(values_only=True)
    header_row, headers = _header(enumerate(values, start=1))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(values, start=header_row + 1):
                cells = [_xlsx_value(v) for v in row]
                if any(c not in (None, "") for c in cells):
                    yield number, cells
        finally:
            book.close()

    return Table(headers=headers, header_row=header_row, rows=rows(), close=book.close, merged_rows=merged,
                 ignored_sheets=[s.title for s in sheets[1:]])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # a mobile number or code Excel stored as a number
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value
    return value


def _merged_rows(sheet: Any) -> dict[int, str]:
    """Rows inside merged ranges, found by scanning the sheet's XML for <mergeCell ref=…> in chunks
    (openpyxl's streaming reader does not report merges, and loading the whole sheet would not
    stay in constant memory)."""
    out: dict[int, str] = {}
    source: IO[bytes] = sheet._get_source()
    tail = b""
    try:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            for match in _MERGE.finditer(data):
                ref = match.group(1).decode()
                _, min_row, _, max_row = range_boundaries(ref)
                for row in range(int(min_row or 0), int(max_row or 0) + 1):
                    out.setdefault(row, ref)
            tail = data[-200:]
    finally:
        source.close()
    return out


# --- CSV -----------------------------------------------------------------------------------------

def _csv(path: Path, head: bytes) -> Table:
    encoding = _encoding(head)
    handle = path.open("r", encoding=encoding, newline="")
    reader = csv.reader(handle)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(reader, start=1):
                yield number, [c.strip() for c in row]
        except UnicodeDecodeError as exc:
            raise FileProblem(f"文件第 {reader.line_num + 1} 行附近有无法识别的字符："
                              "请以 UTF-8 或 GBK 编码保存 CSV。") from exc
        except csv.Error as exc:
            raise FileProblem(f"CSV 格式有误（第 {reader.line_num} 行）：引号未闭合或字段过长。") from exc

    lines = numbered()
    try:
        header_row, headers = _header(lines)
    except FileProblem:
        handle.close()
        raise

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in lines:
                if any(cells):
                    yield number, cells
        finally:
            handle.close()

    return Table(headers=headers, header_row=header_row, rows=rows(), close=handle.close)


def _encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the start decodes as UTF-8, else GB18030 (a superset of the
    GBK that Excel uses for CSV on Chinese Windows)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # The sample may end inside a multi-byte character: decode incrementally, without final.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise FileProblem("无法识别文件的编码：请以 UTF-8 或 GBK 编码保存 CSV，或上传 Excel（.xlsx）文件。") from exc


# --- both ----------------------------------------------------------------------------------------

def _header(numbered: Iterator[tuple[int, Any]]) -> tuple[int, list[str]]:
    """The first non-empty row, as stripped column titles."""
    for number, row in numbered:
        cells = ["" if v is None else str(v).strip() for v in row]
        if any(cells):
            while cells and not cells[-1]:
                cells.pop()
            return number, cells
    raise FileProblem("文件中没有表头和数据：第一行应是列名（可先下载模板）。")
