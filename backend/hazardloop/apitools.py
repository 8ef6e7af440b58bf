"""Shared API pieces: the Api class with problem+json errors, base schemas, fields, pagination."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import Select, func, select

from hazardloop.extensions import db


def blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix=f"/api/v1{url_prefix}", description=description)


class LocalDateTime(ma.fields.DateTime):
    """An instant shown in the configured local time zone (stored as UTC)."""

    def _serialize(self, value: dt.datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return value.astimezone(zone).isoformat()

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            # A time without an offset is read as local time in the configured zone.
            result = result.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
        return result.astimezone(dt.UTC)


class PaginationArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A paged list schema for ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "total": ma.fields.Integer(),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
        },
    )


def paginate(query: Select[Any], page: int, per_page: int) -> dict[str, Any]:
    """Run ``query`` for one page and count the whole result."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "total": total or 0, "page": page, "per_page": per_page}
