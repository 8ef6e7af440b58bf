"""Files people download: the Content-Disposition header and the cells of every spreadsheet we write."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

# Characters an XLSX cell (XML 1.0) cannot hold: C0 controls except tab, LF and CR; lone surrogates;
# U+FFFE and U+FFFF.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# A text cell that starts with one of these is read as a formula (or DDE) by Excel, WPS and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses (offers to "repair") a cell holding more characters than this.
MAX_CELL_CHARS = 32767


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet cell that is always plain data.

    Text loses the characters XLSX cannot hold, and text that a spreadsheet would run as a formula
    (``=HYPERLINK(…)``, ``=cmd|…``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'``, as OWASP
    advises for CSV/XLSX injection, so it is shown, never evaluated. Text longer than a cell holds
    is cut with an ellipsis. Numbers, dates and None pass unchanged.
    """
    if not isinstance(value, str):
        return value
    text = _ILLEGAL_XML.sub("\ufffd", value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback name plus ``filename*=UTF-8''…`` for the real (Chinese) one.

    A header value must be Latin-1 for the WSGI server (gunicorn answers 500 otherwise), so the
    fallback keeps only printable ASCII and the UTF-8 name is percent-encoded.
    """
    name = _ILLEGAL_XML.sub("", filename).replace("\r", "").replace("\n", "") or "download"
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "download"
    if ext.isascii() and ext and not ascii_name.endswith("." + ext):
        ascii_name = f"{ascii_name}.{ext}"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
