"""Schemas of the inbox API."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.notifications.models import CHANNELS, DELIVERY_CHANNELS


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


DELIVERY_STATUSES_SHOWN = ("sent", "delivered", "refused", "pending", "quiet_hold", "rate_hold", "folded", "gone")


class DeliveryQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(DELIVERY_STATUSES_SHOWN), load_default=None)
    channel = ma.fields.String(validate=ma.validate.OneOf(DELIVERY_CHANNELS), load_default=None)


class DeliverySchema(ma.Schema):
    """One row of 投递记录, as staff read it: the recipient masked, the status and any reason in words."""

    id = ma.fields.Integer()
    channel = ma.fields.String()
    channel_label = ma.fields.String(metadata={"description": "短信 / 邮件 / 企业微信 / 钉钉 / 浏览器推送"})
    recipient = ma.fields.String(metadata={"description": "脱敏后的接收人，如 138****0001"})
    status = ma.fields.String(metadata={
        "description": "pending, sent, delivered, refused, quiet_hold, rate_hold, folded, gone"})
    status_label = ma.fields.String(metadata={
        "description": "已发送/已送达/被拒绝/待发送/静默时段暂缓/超出频次/已并入汇总短信/订阅已失效，已移除"})
    reason = ma.fields.String(allow_none=True, metadata={"description": "被拒绝的原因或暂缓到何时（中文）"})
    title = ma.fields.String()
    hazard_id = ma.fields.Integer(allow_none=True)
    hazard_number = ma.fields.String(allow_none=True)
    report_id = ma.fields.Integer(allow_none=True)
    report_code = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    sent_at = LocalDateTime(allow_none=True)
    hold_until = LocalDateTime(allow_none=True)
    can_retry = ma.fields.Boolean(metadata={"description": "重试可能成功且您有权重试"})


class DeliveryPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DeliverySchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                            metadata={"description": "各状态的条数（筛选标签用）"})


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

# The one home of the event kinds a subscriber may choose and their names on screen (对接系统 page).
WEBHOOK_EVENT_LABELS = {"hazard.transitioned": "隐患状态变化（交办、整改、核查、销号等）",
                        "circular.published": "通报发布"}
WEBHOOK_EVENT_KINDS = tuple(WEBHOOK_EVENT_LABELS)


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


class WebhookEventKindSchema(ma.Schema):
    """One event kind a subscriber may choose (订阅事件), with its Chinese name."""

    code = ma.fields.String()
    label = ma.fields.String()


class WebhookPingSchema(ma.Schema):
    message_id = ma.fields.Integer(metadata={"description": "待办消息编号（hazardloop jobs failed 可查）"})
