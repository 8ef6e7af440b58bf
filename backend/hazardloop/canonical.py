"""Canonical JSON (规范化JSON): the one spelling of data that is stored, signed and hashed alike everywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings and UUIDs as text, at any depth (for JSON columns)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 kept: the same data always gives the same bytes."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def canonical_hash(data: Any) -> str:
    """SHA-256 (hex) of ``canonical_json(data)``."""
    return hashlib.sha256(canonical_json(data)).hexdigest()
