"""Schemas of the inbox API."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.notifications.models import CHANNELS


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    hazard_id = ma.fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPageSchema")


class NotificationQueryArgsSchema(PaginationArgsSchema):
    unread = ma.fields.Boolean(load_default=False)


class UnreadCountSchema(ma.Schema):
    unread = ma.fields.Integer()


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer()


class ChannelPreferenceSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    address = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    event_kind = ma.fields.String(load_default="*", validate=ma.validate.Length(min=1, max=32))
    enabled = ma.fields.Boolean(load_default=True)
