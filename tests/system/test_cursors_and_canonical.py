"""The shared spellings: list cursors round-trip and refuse garbage with a 422; canonical JSON is one byte string."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hazardloop import cursors
from hazardloop.canonical import canonical_hash, canonical_json, jsonable
from hazardloop.errors import ValidationFailed


def test_a_cursor_gives_back_the_sort_values_it_was_made_from():
    found_at = dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC)
    cursor = cursors.encode([found_at, 42])
    assert "=" not in cursor  # URL-safe, unpadded: it travels in a query string as is
    assert cursors.decode(cursor, lambda v: (dt.datetime.fromisoformat(v[0]), int(v[1]))) == (found_at, 42)


@pytest.mark.parametrize("garbage", ["garbage!", "%%%", "", cursors.encode([]), "e30", "NQ"])  # e30 = {}, NQ = 5
def test_an_unreadable_cursor_is_a_validation_problem_on_the_cursor_field(garbage):
    with pytest.raises(ValidationFailed) as refused:
        cursors.decode(garbage, lambda v: int(v[0]))
    assert refused.value.status == 422
    assert refused.value.errors == [
        {"field": "cursor", "message": "分页游标无效，请从第一页重新开始。", "code": "invalid"}]


def test_canonical_json_ignores_key_order_and_keeps_chinese():
    spelled = canonical_json({"b": 1, "a": "隐患"})
    assert spelled == canonical_json({"a": "隐患", "b": 1}) == '{"a":"隐患","b":1}'.encode()
    assert canonical_hash({"b": 1, "a": 2}) == canonical_hash({"a": 2, "b": 1})
    assert canonical_hash({"a": 1}) != canonical_hash({"a": 2})


def test_jsonable_turns_times_and_uuids_into_text_at_any_depth():
    at = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    key = uuid.UUID(int=1)
    assert jsonable({"at": at, "list": [{"id": key}], "n": 3}) == {
        "at": at.isoformat(), "list": [{"id": str(key)}], "n": 3}
