"""Shared API pieces: the Api class with problem+json errors, base schemas, fields, pagination."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import Select, func, select
from webargs.flaskparser import FlaskParser

from hazardloop import inputs
from hazardloop.database import local_zone
from hazardloop.extensions import db


class BoundedArgumentsParser(FlaskParser):
    """webargs' parser, plus the bounds of ``inputs.out_of_bounds`` on every parsed location.

    A date the schema accepted (0001-01-01, 9999-12-31) or an id beyond PostgreSQL's integer is
    answered 422 for its field here, before a service computes a deadline or queries with it.
    """

    def _process_location_data(self, location_data: Any, schema: ma.Schema, req: Any, location: str,
                                unknown: str | None, validators: Any) -> Any:
        data = super()._process_location_data(location_data, schema, req, location, unknown, validators)
        problems = inputs.out_of_bounds(data)
        if problems:
            # Name the fields as the client sent them (``from``, not the attribute ``start``).
            fields = schema.fields
            raise ma.ValidationError({(fields[k].data_key or k) if k in fields else k: v
                                      for k, v in problems.items()})
        return data

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        # flask-smorest hands over the schema class; webargs would build (deep-copy) a new instance per request.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _schema_instance(argmap)
        return super()._get_schema(argmap, req)


@functools.cache
def _schema_instance(schema: type[ma.Schema]) -> ma.Schema:
    """One shared instance per arguments schema (``load`` keeps no state on the instance)."""
    return schema()


class ApiBlueprint(Blueprint):
    """Every API blueprint: flask-smorest's, with the bounded arguments parser."""

    ARGUMENTS_PARSER = BoundedArgumentsParser()


def blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    return ApiBlueprint(name, import_name, url_prefix=f"/api/v1{url_prefix}", description=description)


def local_isoformat(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """How every API response writes an instant: ISO 8601 in the configured local zone."""
    return None if value is None else value.astimezone(zone).isoformat()


def row_dumper(schema: type[ma.Schema]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A fast dump of plain rows whose keys are ``schema``'s field names and values already JSON-ready.

    For long lists read as columns (not ORM objects): marshmallow's per-field machinery costs
    more than the query. Only LocalDateTime needs converting; any other field type with
    behaviour of its own (nested, methods, formatting) is refused so the output cannot drift
    from ``schema.dump``.
    """
    return _row_dumper(schema, current_app.config["TIMEZONE"])


@functools.cache
def _row_dumper(schema: type[ma.Schema], timezone: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    plain = (ma.fields.String, ma.fields.Integer, ma.fields.Boolean, ma.fields.Float, ma.fields.List)
    times, names = [], []
    for name, field in schema().dump_fields.items():
        if isinstance(field, LocalDateTime):
            times.append(name)
        elif not isinstance(field, plain) or isinstance(field, ma.fields.Nested):
            raise TypeError(f"row_dumper cannot dump {type(field).__name__} field {name!r}")
        if (field.data_key or name) != name:
            raise TypeError(f"row_dumper does not rename fields ({name!r})")
        names.append(name)
    zone = ZoneInfo(timezone)

    def dump(row: Mapping[str, Any]) -> dict[str, Any]:
        out = {name: row[name] for name in names}
        for name in times:
            out[name] = local_isoformat(out[name], zone)
        return out

    return dump


class LocalDateTime(ma.fields.DateTime):
    """An instant shown in the configured local time zone (stored as UTC)."""

    def _serialize(self, value: dt.datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return local_isoformat(value, local_zone())

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            # A time without an offset is read as local time in the configured zone.
            result = result.replace(tzinfo=local_zone())
        try:
            # 0001-01-01T00:00+08:00 has no UTC instant (and 9999-12-31T23:59-08:00 none either).
            return result.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ma.ValidationError(inputs.DATE_MESSAGE) from exc


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
