"""Bounds every request meets before a view runs: path ids, characters, JSON shape, numbers and dates.

One place instead of a check per route: an id beyond the database's integer answers 404 like any
unknown id; a NUL, a lone surrogate or another control character, JSON nested too deep, a number
no column can hold and a date no calendar arithmetic survives answer 400/422 problem+json with a
Chinese detail, never a 500 from deep inside PostgreSQL, SQLite or ``datetime``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, ValidationError

from hazardloop.errors import ApiError, ValidationFailed

# PostgreSQL's `integer`: every id column. A larger id names nothing.
MAX_ID = 2**31 - 1
# Nothing we store is wider than a signed 64-bit integer.
MAX_INTEGER = 2**63 - 1
MAX_JSON_DEPTH = 32
# Dates a person can mean; outside them time-zone conversion and deadline arithmetic overflow.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)

# What neither XML (XLSX, PDF), PostgreSQL text nor UTF-8 can hold: C0 controls except tab, LF and CR;
# lone surrogates; the non-characters U+FFFE and U+FFFF.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A path segment has no business with any control character.
_BAD_PATH = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")

CHARACTERS_MESSAGE = "含有不允许的控制字符（如 NUL）或无效的 Unicode 字符。"
NUMBER_MESSAGE = "数值超出允许范围。"
ID_MESSAGE = "编号超出允许范围。"
DATE_MESSAGE = f"日期应在 {MIN_DATE:%Y-%m-%d} 到 {MAX_DATE:%Y-%m-%d} 之间。"


def _up_to(limit: str) -> str:
    """A regular expression for the decimal numbers 0…``limit`` (no sign, no leading zeros needed)."""
    options = [f"[0-9]{{1,{len(limit) - 1}}}"] if len(limit) > 1 else []
    for i, digit in enumerate(limit):
        low = 1 if i == 0 and len(limit) > 1 else 0  # a shorter number is covered above
        if int(digit) > low:
            options.append(f"{limit[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(limit) - i - 1}}}")
    options.append(limit)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a non-negative id that fits PostgreSQL's integer, else no match (404).

    The bound is in the regular expression, not only in ``to_python``: werkzeug answers a value its
    converter refuses with 405 when another method's rule has the same path, so a too-large id must
    never match at all.
    """

    regex = _up_to(str(MAX_ID))

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        # int() of a few thousand digits is refused by Python itself (and is slow before that).
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


class _OutOfRange:
    """A JSON number no column can hold, kept as a marker so the walk can name its field."""


_OUT_OF_RANGE = _OutOfRange()


def _parse_int(text: str) -> Any:
    if len(text.lstrip("-")) > len(str(MAX_INTEGER)) or abs(int(text)) > MAX_INTEGER:
        return _OUT_OF_RANGE
    return int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _OUT_OF_RANGE


def _parse_constant(_text: str) -> Any:
    return _OUT_OF_RANGE  # NaN, Infinity, -Infinity: not JSON, and no column takes them


def _field(path: tuple[Any, ...]) -> str | None:
    return ".".join(str(p) for p in path) or None


def _walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every leaf and every key of a decoded JSON document with its path, without recursion."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, Mapping):
            for key, child in item.items():
                yield (*where, key), key
                stack.append(((*where, key), child))
        elif isinstance(item, list | tuple):
            stack.extend(((*where, index), child) for index, child in enumerate(item))
        else:
            yield where, item


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw``, counted without parsing (strings stripped first)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def check_json_body(raw: bytes) -> None:
    """Refuse a JSON body that is too deep, holds an unstorable number or a forbidden character.

    Raises ApiError (400 malformed_json / json_too_deep) or ValidationFailed (422, per field:
    out_of_range, invalid_characters).
    """
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ApiError(f"JSON 嵌套层级过深（最多 {MAX_JSON_DEPTH} 层）。", code="json_too_deep")
    try:
        document = json.loads(raw, parse_int=_parse_int, parse_float=_parse_float,
                              parse_constant=_parse_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError("请求体不是合法的 JSON。", code="malformed_json") from exc
    errors = []
    for path, leaf in _walk(document):
        if leaf is _OUT_OF_RANGE:
            errors.append({"field": _field(path), "code": "out_of_range", "message": NUMBER_MESSAGE,
                           "location": "json"})
        elif isinstance(leaf, str) and _BAD_TEXT.search(leaf):
            errors.append({"field": _field(path), "code": "invalid_characters", "message": CHARACTERS_MESSAGE,
                           "location": "json"})
    if errors:
        raise ValidationFailed(errors[:20])


def check_request() -> None:
    """before_request: the path, the query string and a JSON body within bounds (see module doc)."""
    if _BAD_PATH.search(request.path):
        raise ApiError("请求地址含有不允许的控制字符。", code="invalid_characters")
    for key, value in request.args.items(multi=True):
        if _BAD_TEXT.search(key) or _BAD_TEXT.search(value):
            raise ValidationFailed([{"field": _BAD_TEXT.sub("?", key) or None, "code": "invalid_characters",
                                     "message": CHARACTERS_MESSAGE, "location": "query"}])
    if request.is_json and request.content_length != 0 and request.method not in ("GET", "HEAD", "OPTIONS"):
        raw = request.get_data(cache=True)
        if raw:
            check_json_body(raw)


def out_of_bounds(data: Any) -> dict[str, Any]:
    """Fields of parsed arguments no column or calendar can hold, as marshmallow-style nested messages.

    Dates and datetimes must lie between MIN_DATE and MAX_DATE; an integer must fit PostgreSQL's
    integer (the message says 编号 for a field named like an id).
    """
    messages: dict[str, Any] = {}
    for path, leaf in _walk(data):
        message = _leaf_problem(path, leaf)
        if message is None:
            continue
        node = messages
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1] if path else "_schema"] = [message]
    return messages


def _leaf_problem(path: tuple[Any, ...], leaf: Any) -> str | None:
    if isinstance(leaf, dt.datetime):
        return None if MIN_DATE <= leaf.date() <= MAX_DATE else DATE_MESSAGE
    if isinstance(leaf, dt.date):
        return None if MIN_DATE <= leaf <= MAX_DATE else DATE_MESSAGE
    if isinstance(leaf, int) and not isinstance(leaf, bool) and abs(leaf) > MAX_ID:
        # Every integer column is PostgreSQL's 4-byte integer (SQLite would silently find nothing).
        names = [p for p in path if isinstance(p, str)]
        return ID_MESSAGE if names and names[-1].lower().endswith(("id", "ids")) else NUMBER_MESSAGE
    return None


def init_app(app: Flask) -> None:
    """Install the bounded id converter (before any blueprint) and the request check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
