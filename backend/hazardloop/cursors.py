"""List cursors (分页游标): the one opaque spelling of "the page after this row" every list endpoint uses."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hazardloop.errors import ValidationFailed

T = TypeVar("T")


def encode(values: Sequence[Any]) -> str:
    """The sort key values of the last row shown (datetimes as ISO text), as URL-safe base64 of JSON."""
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, parse: Callable[[list[Any]], T]) -> T:
    """The values ``encode`` wrote, typed by ``parse``; anything unreadable is a 422 on ``cursor``."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list):
            raise TypeError("a cursor is a list")
        return parse(values)
    except (ValueError, TypeError, IndexError) as exc:
        raise ValidationFailed.field("cursor", "分页游标无效，请从第一页重新开始。") from exc
