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


class PushKeySchema(ma.Schema):
    public_key = ma.fields.String(metadata={"description": "VAPID 公钥（applicationServerKey，base64url）"})


class PushSubscriptionCreateSchema(ma.Schema):
    """What PushSubscription.toJSON() gives in the browser, plus a name for the device list."""

    endpoint = ma.fields.URL(required=True, schemes={"https", "http"}, require_tld=False,
                             validate=ma.validate.Length(max=1000))
    keys = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf(["p256dh", "auth"])),
                          values=ma.fields.String(validate=ma.validate.Length(min=8, max=200)), required=True)
    device_label = ma.fields.String(load_default="此设备", validate=ma.validate.Length(min=1, max=100))

    @ma.validates_schema
    def _both_keys(self, data: dict, **kwargs: object) -> None:
        if set(data.get("keys", {})) != {"p256dh", "auth"}:
            raise ma.ValidationError({"keys": ["需要 p256dh 和 auth 两个密钥。"]})


class PushSubscriptionSchema(ma.Schema):
    id = ma.fields.Integer()
    device_label = ma.fields.String()
    created_at = LocalDateTime()
    last_sent_at = LocalDateTime(allow_none=True)


# --- webhook subscribers (admin) -------------------------------------------------------------------

WEBHOOK_EVENT_KINDS = ("hazard.transitioned", "circular.published")


class WebhookSubscriptionSchema(ma.Schema):
    """A subscriber as listed: never its secret."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    url = ma.fields.String()
    event_kinds = ma.fields.List(ma.fields.String(), metadata={"description": "为空表示全部事件"})
    active = ma.fields.Boolean()
    created_at = LocalDateTime()
    disabled_at = LocalDateTime(allow_none=True)
    secret_rotated_at = LocalDateTime(allow_none=True)


class WebhookSecretSchema(WebhookSubscriptionSchema):
    """Returned once, on registering and on rotating: the signing secret to give the subscriber."""

    secret = ma.fields.String()
    previous_secret_valid = ma.fields.Boolean(
        metadata={"description": "旧密钥在下次轮换前仍可用于验签（订阅方可平滑切换）"})


class WebhookCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=100))
    url = ma.fields.URL(required=True, require_tld=False, schemes={"http", "https"},
                        validate=ma.validate.Length(max=500))
    event_kinds = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(WEBHOOK_EVENT_KINDS)),
                                 load_default=list, metadata={"description": "订阅的事件类型；为空表示全部"})


class WebhookUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=2, max=100))
    url = ma.fields.URL(require_tld=False, schemes={"http", "https"}, validate=ma.validate.Length(max=500))
    event_kinds = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(WEBHOOK_EVENT_KINDS)))
    active = ma.fields.Boolean(metadata={"description": "false 停用（不再投递），true 重新启用"})


class WebhookPingSchema(ma.Schema):
    message_id = ma.fields.Integer(metadata={"description": "待办消息编号（hazardloop jobs failed 可查）"})
